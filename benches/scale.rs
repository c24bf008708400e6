//! `cargo bench --bench scale`: kiln at monorepo scale (README: Performance).
//!
//! Generates synthetic kiln roots of 10, 1,000 and 10,000 specs (FlinkJobs of every job type
//! and autoscaling mode, ModelPools, BusinessServices, over many namespaces) under
//! `target/bench/`, then reports:
//!
//! - for the release binary, as a user runs it (process start included): median wall time
//!   of several runs, objects rendered per second, output bytes and peak RSS (from `wait4`);
//!   also one FlinkJob alone, `kiln check`, and `kiln diff` with one spec changed;
//! - in process, the render's stages, and the floor: reading and parsing the inputs plus
//!   serializing the already-rendered output, without validation or expansion, with the
//!   render as a multiple of it;
//! - a billion-laughs file: time and peak RSS until it is rejected.
//!
//! `KILN_BENCH_SIZES=10,1000` limits the sizes.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln::load::DiskFiles;
use kiln::render::{self, Keep, Options};
use kiln::{emit, yaml};

const KILN: &str = env!("CARGO_BIN_EXE_kiln");

const KILN_YAML: &str = r#"apiVersion: kiln.dev/v1alpha1
kind: Config
defaults:
  namespace: bench
  timeZone: Europe/Berlin
  labels: {owner: platform}
  flink: {image: "registry.example.com/flink:1.19.3", flinkVersion: "1.19.3"}
  engines:
    vllm: {image: "vllm/vllm-openai:v0.11.0"}
    sglang: {image: "lmsysorg/sglang:v0.5.4"}
"#;

const JOB_TYPES: [&str; 6] = [
    "type: python\n  python: {script: \"https://files.example.com/jobs/job.py\", args: [--topic, clicks]}",
    "type: python\n  python: {script: /opt/flink/usrlib/job.py}",
    "type: python\n  python: {module: jobs.enrich}",
    "type: jar\n  jar: {uri: \"local:///opt/flink/usrlib/job.jar\", entryClass: com.example.Main, args: [--env, prod]}",
    "type: sql\n  sql: {file: query.sql}",
    "type: sql\n  sql: {runner: jar, statements: \"CREATE TABLE t (a INT) WITH ('connector' = 'datagen');\\nINSERT INTO s SELECT a FROM t;\"}",
];

const MODES: [&str; 7] = [
    "{mode: disabled}",
    "{mode: reactive, minReplicas: 1, maxReplicas: 4}",
    "{mode: hpa, minReplicas: 1, maxReplicas: 6}",
    "{mode: hpa_reactive, minReplicas: 2, maxReplicas: 8}",
    "{mode: scheduled, preset: workday_peak}",
    "{mode: scheduled_hpa, preset: 24x7_peak}",
    "{mode: operator, minReplicas: 1, maxReplicas: 6}",
];

const SQL: &str = "-- a query\nCREATE TABLE clicks (user_id STRING, ts TIMESTAMP(3)) WITH ('connector' = 'kafka');\nINSERT INTO sink SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id;\n";

/// The spec file of spec `i`: 70% FlinkJobs, 20% ModelPools, 10% BusinessServices.
fn spec(i: usize) -> String {
    let name = format!("s{i:05}");
    match i % 10 {
        0..=6 => {
            let job_type = JOB_TYPES[i % JOB_TYPES.len()];
            let mode = MODES[(i / 10 + i) % MODES.len()];
            let state = if i.is_multiple_of(3) {
                "  upgradeMode: savepoint\n  checkpoints: {dir: \"s3://bucket/cp\", interval: 1m}\n  savepoints: {dir: \"s3://bucket/sp\"}\n"
            } else {
                ""
            };
            format!(
                "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata:\n  name: {name}\n  labels: {{team: t{}}}\nspec:\n  {job_type}\n  resources: {{profile: {}}}\n  autoscaling: {mode}\n{state}  env: {{KAFKA_BOOTSTRAP: \"kafka:9092\", FLAG: \"no\"}}\n  flinkConfiguration: {{pipeline.max-parallelism: \"720\"}}\n",
                i % 7,
                ["micro", "small", "medium", "large", "xlarge"][i % 5]
            )
        }
        7 | 8 => {
            let engine = if i % 10 == 7 { "vllm" } else { "sglang" };
            format!(
                "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata:\n  name: {name}\nspec:\n  engine: {engine}\n  model: org/model-{i}\n  replicas: 4\n  assignments: {{production: 2, testing: \"25%\"}}\n  gpu: {{count: 1}}\n  resources: {{cpu: \"4\", memory: 32Gi}}\n  engineArgs: {{maxModelLen: 8192}}\n  hfTokenSecret: {{name: hf-token, key: token}}\n"
            )
        }
        _ => format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: BusinessService\nmetadata:\n  name: {name}\nspec:\n  pool: s{:05}\n  business: production\n  exposure: {}\n",
            i - 2,
            ["cluster", "internal", "external"][i / 10 % 3]
        ),
    }
}

/// A kiln root of `specs` specs, 100 per namespace folder (the namespace set per spec).
fn generate(dir: &Path, specs: usize) {
    if dir.join(".complete").is_file() {
        return;
    }
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("kiln.yaml"), KILN_YAML).unwrap();
    for i in 0..specs {
        let folder = dir.join(format!("team-{:03}", i / 100));
        fs::create_dir_all(&folder).unwrap();
        let text = spec(i).replacen(
            "metadata:\n",
            &format!("metadata:\n  namespace: ns-{:03}\n", i / 100),
            1,
        );
        fs::write(folder.join(format!("s{i:05}.yaml")), text).unwrap();
        if i % 10 <= 6 {
            fs::write(folder.join("query.sql"), SQL).unwrap();
        }
    }
    fs::write(dir.join(".complete"), "").unwrap();
}

/// One process run: wall time, stdout bytes, exit code, peak RSS in KiB.
struct Sample {
    wall: Duration,
    bytes: usize,
    code: i32,
    max_rss_kib: i64,
}

// The child is reaped by wait4 below, which also gives its peak RSS.
#[allow(unsafe_code, clippy::zombie_processes)]
fn run_once(args: &[&str], cwd: Option<&Path>) -> Sample {
    let mut command = Command::new(KILN);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("kiln starts");
    let pid = i32::try_from(child.id()).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Count the output without keeping it: the benchmark's own memory must stay small, since
    // a child's peak RSS includes the parent's high-water mark from before its exec.
    let reader = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 1 << 16];
        let mut total = 0;
        loop {
            match std::io::Read::read(&mut stdout, &mut buffer) {
                Ok(0) => break total,
                Ok(n) => total += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("reading kiln's output: {e}"),
            }
        }
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for; status and usage point to live values.
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let bytes = reader.join().unwrap();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Sample {
        wall,
        bytes,
        code,
        max_rss_kib: usage.ru_maxrss,
    }
}

/// Median wall time over `runs` (after one warm-up), with the last run's bytes and the
/// largest peak RSS.
fn measure(args: &[&str], cwd: Option<&Path>, runs: usize, expect_code: i32) -> Sample {
    let warm = run_once(args, cwd);
    assert_eq!(warm.code, expect_code, "kiln {args:?} exited {}", warm.code);
    let mut samples: Vec<Sample> = (0..runs).map(|_| run_once(args, cwd)).collect();
    samples.sort_by_key(|s| s.wall);
    let max_rss_kib = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
    let median = samples.swap_remove(runs / 2);
    Sample {
        max_rss_kib,
        ..median
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// In-process figures for one root, measured in a child process (`--in-process ROOT RUNS`)
/// so the benchmark's own memory never counts in a measured kiln's peak RSS (`wait4` reports
/// the parent's high-water mark for a child that has not yet exec'd).
struct InProcess {
    total: Duration,
    floor: Duration,
    objects: usize,
    stages: Vec<(String, Duration)>,
}

fn in_process(root: &Path, runs: usize) -> InProcess {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--in-process")
        .arg(root)
        .arg(runs.to_string())
        .output()
        .expect("the benchmark runs itself");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut fields = text.trim().split('\t');
    let mut next = || fields.next().unwrap().to_string();
    let nanos = |s: String| Duration::from_nanos(s.parse().unwrap());
    let total = nanos(next());
    let floor = nanos(next());
    let objects = next().parse().unwrap();
    let stages = next()
        .split(',')
        .map(|pair| {
            let (name, ns) = pair.split_once('=').unwrap();
            (name.to_string(), nanos(ns.to_string()))
        })
        .collect();
    InProcess {
        total,
        floor,
        objects,
        stages,
    }
}

/// Split `items` in two and run `f` on both halves at once (the floor gets the same two
/// cores the render uses).
fn halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> (R, R) {
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| f(a));
        let second = f(b);
        (first.join().unwrap(), second)
    })
}

/// The child side of [`in_process`]: the render as `kiln render` does it (objects serialized
/// as they are made, then written out), and the floor.
fn in_process_child(root: &Path, runs: usize) {
    let root = fs::canonicalize(root).unwrap();
    let yaml_only = Options {
        keep: Keep::Yaml,
        ..Options::default()
    };
    // The rendered objects as trees, for the floor's serialization.
    let loaded = render::load(&root, &Options::default()).unwrap();
    let values = render::render(loaded, &DiskFiles::new(root.clone()), &Options::default());
    let mut totals = Vec::new();
    let mut floors = Vec::new();
    let mut stages: Vec<Vec<(String, Duration)>> = Vec::new();
    let mut objects = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let files = render::load(&root, &yaml_only).unwrap();
        let loaded = started.elapsed();
        let outcome = render::render(files, &DiskFiles::new(root.clone()), &yaml_only);
        assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics.first());
        let rendered = started.elapsed();
        let text = emit::yaml_stream(&outcome.objects);
        let total = started.elapsed();
        std::hint::black_box(&text);
        objects = outcome.objects.len();
        totals.push(total);
        let mut timing = vec![("read files".to_string(), loaded)];
        timing.extend(outcome.timings.iter().map(|(n, d)| ((*n).to_string(), *d)));
        timing.push(("write".to_string(), total.saturating_sub(rendered)));
        stages.push(timing);

        // The floor: read and parse the same inputs, serialize the same output.
        let started = Instant::now();
        let sources = render::load(&root, &yaml_only).unwrap().sources;
        std::hint::black_box(halves(&sources, |part| {
            part.iter()
                .map(|s| yaml::parse_documents(&s.text).unwrap().len())
                .sum::<usize>()
        }));
        let (a, b) = halves(&values.objects, emit::yaml_stream);
        floors.push(started.elapsed());
        std::hint::black_box((a, b));
    }
    let names: Vec<String> = stages[0].iter().map(|(n, _)| n.clone()).collect();
    let stage_text: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let d = median(stages.iter().map(|s| s[i].1).collect());
            format!("{name}={}", d.as_nanos())
        })
        .collect();
    println!(
        "{}\t{}\t{objects}\t{}",
        median(totals).as_nanos(),
        median(floors).as_nanos(),
        stage_text.join(",")
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.email=bench@example.com",
            "-c",
            "user.name=bench",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[allow(
    clippy::too_many_lines,
    reason = "the benchmark script: one measurement after another, each printed as it is taken; split, it would read as a maze of tiny steps"
)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--in-process") {
        in_process_child(Path::new(&args[i + 1]), args[i + 2].parse().unwrap());
        return;
    }
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    fs::create_dir_all(&bench).unwrap();
    let sizes: Vec<usize> = std::env::var("KILN_BENCH_SIZES").map_or_else(
        |_| vec![10, 1_000, 10_000],
        |s| s.split(',').map(|n| n.trim().parse().unwrap()).collect(),
    );
    let mut report = String::new();
    println!("kiln benchmark: release binary {KILN}");

    // One small app: one FlinkJob.
    let one = bench.join("one-job");
    if !one.join("kiln.yaml").is_file() {
        fs::create_dir_all(one.join("jobs")).unwrap();
        fs::write(one.join("kiln.yaml"), KILN_YAML).unwrap();
        fs::write(one.join("jobs/job.yaml"), spec(3)).unwrap();
    }
    let mut targets: Vec<String> = Vec::new();
    let mut target = |what: String, ok: bool| {
        targets.push(format!("  [{}] {what}", if ok { "ok" } else { "MISSED" }));
    };
    let sample = measure(&["render", one.to_str().unwrap()], None, 51, 0);
    target(
        format!("one FlinkJob < 5 ms: {:.2} ms", ms(sample.wall)),
        sample.wall < Duration::from_millis(5),
    );
    let _ = writeln!(
        report,
        "one FlinkJob            render {:8.2} ms  (process start included)  peak RSS {:6.1} MiB",
        ms(sample.wall),
        sample.max_rss_kib as f64 / 1024.0
    );

    let mut previous: Option<(usize, Duration)> = None;
    for &size in &sizes {
        let root = bench.join(format!("specs-{size}"));
        generate(&root, size);
        let path = root.to_str().unwrap();
        let runs = if size >= 10_000 { 9 } else { 21 };
        let render = measure(&["render", path], None, runs, 0);
        let check = measure(&["check", path], None, runs, 0);
        let InProcess {
            total,
            floor,
            objects,
            stages,
        } = in_process(&root, runs.min(7));
        let _ = writeln!(
            report,
            "\n{size} specs → {objects} objects, {:.1} MiB of YAML",
            render.bytes as f64 / (1024.0 * 1024.0)
        );
        let _ = writeln!(
            report,
            "  kiln render   {:9.2} ms median of {runs}  {:9.0} objects/s  peak RSS {:6.1} MiB",
            ms(render.wall),
            objects as f64 / render.wall.as_secs_f64(),
            render.max_rss_kib as f64 / 1024.0
        );
        let _ = writeln!(
            report,
            "  kiln check    {:9.2} ms median of {runs}                     peak RSS {:6.1} MiB",
            ms(check.wall),
            check.max_rss_kib as f64 / 1024.0
        );
        let _ = writeln!(
            report,
            "  in process: render {:.2} ms, floor {:.2} ms (read + parse inputs, serialize output): render = {:.2} x floor",
            ms(total),
            ms(floor),
            total.as_secs_f64() / floor.as_secs_f64()
        );
        let stage_text: Vec<String> = stages
            .iter()
            .map(|(name, d)| format!("{name} {:.2}", ms(*d)))
            .collect();
        let _ = writeln!(report, "  stages (ms): {}", stage_text.join(", "));
        let ratio = total.as_secs_f64() / floor.as_secs_f64();
        if let Some((prev_size, prev_wall)) = previous {
            let growth = render.wall.as_secs_f64() / prev_wall.as_secs_f64();
            let _ = writeln!(
                report,
                "  growth: {}x specs → {growth:.2}x time",
                size / prev_size,
            );
            if size == 10 * prev_size {
                target(
                    format!("{prev_size} → {size} specs: at most 11x time: {growth:.2}x"),
                    growth <= 11.0,
                );
            }
        }
        match size {
            1_000 => target(
                format!("1,000 specs < 100 ms: {:.1} ms", ms(render.wall)),
                render.wall < Duration::from_millis(100),
            ),
            10_000 => {
                target(
                    format!("10,000 specs < 1 s: {:.0} ms", ms(render.wall)),
                    render.wall < Duration::from_secs(1),
                );
                let rss = render.max_rss_kib as f64 / 1024.0;
                target(
                    format!("10,000 specs peak RSS < 200 MiB: {rss:.1} MiB"),
                    rss < 200.0,
                );
            }
            _ => {}
        }
        if size == *sizes.iter().max().unwrap() {
            target(
                format!("render at most 3x the floor at {size} specs: {ratio:.2}x"),
                ratio <= 3.0,
            );
        }
        previous = Some((size, render.wall));

        if size == 1_000 {
            // kiln diff with one spec changed, against a git commit of the same repository.
            let repo = bench.join("diff-1000");
            if !repo.join(".git").is_dir() {
                let _ = fs::remove_dir_all(&repo);
                let copy = Command::new("cp")
                    .arg("-r")
                    .arg(&root)
                    .arg(&repo)
                    .status()
                    .unwrap();
                assert!(copy.success());
                git(&repo, &["init", "-q"]);
                git(&repo, &["add", "-A"]);
                git(&repo, &["commit", "-qm", "base"]);
            }
            // Packed, as in a clone (CI and Argo CD diff clones): a fresh commit leaves every
            // object loose, and reading a thousand loose objects costs git about 50 ms more.
            git(&repo, &["repack", "-adq"]);
            let changed = repo.join("team-000/s00003.yaml");
            let text = fs::read_to_string(&changed).unwrap();
            fs::write(&changed, text.replace("profile: large", "profile: xlarge")).unwrap();
            let diff = measure(&["diff", ".", "--base", "HEAD"], Some(&repo), runs, 1);
            git(&repo, &["checkout", "-q", "--", "."]);
            let _ = writeln!(
                report,
                "  kiln diff     {:9.2} ms median of {runs} (one spec changed, base from git)  peak RSS {:6.1} MiB",
                ms(diff.wall),
                diff.max_rss_kib as f64 / 1024.0
            );
            target(
                format!(
                    "kiln diff, 1,000 specs, one changed < 300 ms: {:.1} ms",
                    ms(diff.wall)
                ),
                diff.wall < Duration::from_millis(300),
            );
        }
    }

    // Billion laughs: rejected quickly, in little memory.
    let lol = bench.join("billion-laughs");
    fs::create_dir_all(lol.join("jobs")).unwrap();
    fs::write(lol.join("kiln.yaml"), KILN_YAML).unwrap();
    let mut text = String::from("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for (prev, name) in ('a'..='h').zip('b'..='i') {
        let _ = writeln!(
            text,
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        );
    }
    fs::write(lol.join("jobs/lol.yaml"), text).unwrap();
    let sample = measure(&["render", lol.to_str().unwrap()], None, 11, 1);
    let _ = writeln!(
        report,
        "\nbillion laughs          rejected in {:.2} ms, peak RSS {:.1} MiB",
        ms(sample.wall),
        sample.max_rss_kib as f64 / 1024.0
    );
    let _ = writeln!(report, "\ntargets (README: Performance):");
    for line in &targets {
        let _ = writeln!(report, "{line}");
    }
    print!("{report}");
}
