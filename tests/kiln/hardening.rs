//! Adversarial inputs: every limit, paths that leave the root, files that are not files, a
//! run killed while it writes `--output`, and what a panic looks like. The path cases that
//! git can hold (symlinks out of the root, `..`, absolute `sql.file`) are fixtures; the ones
//! built here need a FIFO or sizes too large to commit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{Run, kiln, run};

const KILN_YAML: &str = "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  namespace: ns\n  timeZone: UTC\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n";

fn job(name: &str) -> String {
    format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: {name}}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///a.jar\"}}\n"
    )
}

/// A kiln root in a temporary folder with `files`.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("kiln.yaml"), KILN_YAML).unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, text).unwrap();
    }
    dir
}

fn render(root: &Path) -> Run {
    run(kiln().arg("render").arg(root))
}

/// The render fails with exit 1, nothing on stdout, and an error that contains `expected`.
#[track_caller]
fn refused(result: &Run, expected: &str) {
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stdout.is_empty(), "stdout: {}", result.stdout);
    assert!(
        result.stderr.contains(expected),
        "expected {expected:?} in:\n{}",
        result.stderr
    );
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
}

#[test]
fn file_larger_than_the_limit() {
    let big = format!("# {}\n{}", "x".repeat(4 * 1024 * 1024), job("a"));
    let root = repo(&[("jobs/big.yaml", &big)]);
    refused(
        &render(root.path()),
        "jobs/big.yaml: error: file is larger than the limit of 4 MiB (4194421 bytes)",
    );
}

#[test]
fn total_input_larger_than_the_limit() {
    // 17 files just under the per-file limit: 68 MiB in all, over the 64 MiB total.
    let filler = format!("# {}\n", "x".repeat(4 * 1024 * 1024 - 100));
    let files: Vec<(String, String)> = (0..17)
        .map(|i| (format!("jobs/f{i:02}.yaml"), filler.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let root = repo(&refs);
    refused(
        &render(root.path()),
        "jobs/f16.yaml: error: total input exceeds 64 MiB (the limit for one kiln root)",
    );
}

#[test]
fn too_many_documents() {
    let many = "---\nx: 1\n".repeat(1001);
    let root = repo(&[("jobs/many.yaml", &many)]);
    refused(
        &render(root.path()),
        "jobs/many.yaml:2001:1: error: file has more than 1000 documents",
    );
}

#[test]
fn nesting_too_deep() {
    let deep = format!("a: {}1{}\n", "[".repeat(70), "]".repeat(70));
    let root = repo(&[("jobs/deep.yaml", &deep)]);
    refused(
        &render(root.path()),
        "jobs/deep.yaml:1:67: error: nesting is deeper than 64 levels",
    );
}

#[test]
fn billion_laughs_is_rejected() {
    let mut lol = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ('a'..='h').zip('b'..='i') {
        let _ = writeln!(
            lol,
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        );
    }
    let root = repo(&[("jobs/lol.yaml", &lol)]);
    let result = render(root.path());
    refused(
        &result,
        "jobs/lol.yaml:5:11: error: aliases expand to too much data (limit: 20000 replayed nodes per file)",
    );
}

#[test]
fn string_longer_than_the_limit() {
    let spec = format!(
        "{}  args: [\"{}\"]\n",
        job("a").replace(
            "  jar: {uri: \"local:///a.jar\"}\n",
            "  jar:\n    uri: \"local:///a.jar\"\n"
        ),
        "y".repeat(1024 * 1024 + 1)
    );
    let spec = spec.replace("  args:", "    args:");
    let root = repo(&[("jobs/long.yaml", &spec)]);
    refused(
        &render(root.path()),
        "jobs/long.yaml:8:12: error: spec.jar.args[0]: a string of 1048577 bytes is longer than the limit of 1 MiB",
    );
}

#[test]
fn kiln_yaml_symlinked_outside_the_root() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("kiln.yaml"), KILN_YAML).unwrap();
    let root = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("kiln.yaml"),
        root.path().join("kiln.yaml"),
    )
    .unwrap();
    refused(
        &render(root.path()),
        "kiln.yaml: error: symlink points outside the kiln root; refusing to follow it",
    );
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn fifos_are_never_opened_for_reading() {
    // A FIFO named like a spec is skipped (not a regular file); one reached through a
    // symlink inside the root, or as sql.file, is refused — and kiln never blocks on it.
    let root = repo(&[("jobs/a.yaml", &job("a"))]);
    mkfifo(&root.path().join("jobs/pipe.yaml"));
    let result = render(root.path());
    assert_eq!(result.code, 0, "{}", result.stderr);

    std::os::unix::fs::symlink("pipe.yaml", root.path().join("jobs/link.yaml")).unwrap();
    refused(
        &render(root.path()),
        "jobs/link.yaml: error: not a regular file",
    );

    let sql = "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {name: q}\nspec:\n  type: sql\n  sql: {file: pipe.sql}\n";
    let root = repo(&[("jobs/q.yaml", sql)]);
    mkfifo(&root.path().join("jobs/pipe.sql"));
    refused(
        &render(root.path()),
        "spec.sql.file: \"pipe.sql\" is not a regular file",
    );
}

#[test]
fn a_panic_is_an_internal_error_without_a_backtrace() {
    let result = run(kiln()
        .args(["render", "."])
        .env("KILN_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1"));
    assert_eq!(result.code, 2);
    assert!(result.stdout.is_empty());
    assert!(
        result.stderr.starts_with(
            "kiln: internal error, please report: KILN_DEBUG_PANIC is set at src/run.rs:"
        ),
        "{}",
        result.stderr
    );
    assert_eq!(result.stderr.lines().count(), 1, "{}", result.stderr);
}

/// Every file of a folder, by name.
fn folder(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// A repository of `jobs` jobs whose parallelism depends on `generation`.
fn write_jobs(root: &Path, jobs: usize, generation: usize) {
    for i in 0..jobs {
        let spec = format!(
            "{}  parallelism: {}\n",
            job(&format!("job-{i:03}")),
            2 + generation
        );
        fs::write(root.join(format!("jobs/job-{i:03}.yaml")), spec).unwrap();
    }
}

#[test]
fn a_killed_render_leaves_the_output_folder_old_or_new() {
    const JOBS: usize = 150;
    const RUNS: usize = 60;
    let root = repo(&[]);
    fs::create_dir(root.path().join("jobs")).unwrap();
    let out_parent = tempfile::tempdir().unwrap();
    let out: PathBuf = out_parent.path().join("rendered");
    let render_to = |dir: &Path, extra: &[&str]| {
        run(kiln()
            .arg("render")
            .arg(root.path())
            .arg("--output")
            .arg(dir)
            .args(extra))
    };
    // The two complete states the folder may be in.
    let mut states = Vec::new();
    for generation in 0..2 {
        write_jobs(root.path(), JOBS, generation);
        let dir = out_parent.path().join(format!("state-{generation}"));
        let result = render_to(&dir, &[]);
        assert_eq!(result.code, 0, "{}", result.stderr);
        states.push(folder(&dir));
    }
    assert_ne!(states[0], states[1]);
    write_jobs(root.path(), JOBS, 0);
    assert_eq!(render_to(&out, &[]).code, 0);

    // How long a whole run takes, to spread the kills over it, and how long its last stage,
    // writing the folder, takes (`--timings`), to aim every other kill at the write itself:
    // on a fast machine the write is a small part of a run.
    let started = std::time::Instant::now();
    let timed = render_to(&out, &["--timings"]);
    assert_eq!(timed.code, 0, "{}", timed.stderr);
    let span = started.elapsed().as_micros().max(1000) as u64;
    let write = timed
        .stderr
        .split("write ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .map_or(span / 4, |d| d.as_micros() as u64)
        .clamp(500, span);

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let (mut old, mut new, mut mid_write) = (0, 0, 0);
    let mut i = 0;
    // At least RUNS kills; more (up to five times as many) until one has hit the write.
    while i < RUNS || (mid_write == 0 && i < 5 * RUNS) {
        write_jobs(root.path(), JOBS, (i + 1) % 2);
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let random = seed >> 33;
        let delay = Duration::from_micros(if i % 2 == 0 {
            random % (span + span / 4)
        } else {
            // Within the write, give or take a millisecond and a quarter of it.
            let window = write + write / 4 + 2000;
            (span + 1000).saturating_sub(window) + random % window
        });
        let mut child = kiln()
            .arg("render")
            .arg(root.path())
            .arg("--output")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let staging = out_parent
            .path()
            .join(format!(".rendered.kiln-new-{}", child.id()));
        if staging.exists() {
            mid_write += 1;
        }
        let now = folder(&out);
        if now == states[0] || now == states[1] {
            if now == states[(i + 1) % 2] {
                new += 1;
            } else {
                old += 1;
            }
        } else {
            panic!("run {i} killed after {delay:?}: the output folder is mixed or partial");
        }
        i += 1;
    }
    eprintln!(
        "{i} killed runs: {old} left the old folder, {new} the new one; {mid_write} were killed while writing (its staging folder was left)"
    );
    // The kills must have hit the write itself, not only before or after it.
    assert!(mid_write > 0, "no run was killed while writing");
    // Abandoned staging folders of killed runs are cleaned up by the next run.
    assert_eq!(render_to(&out, &[]).code, 0);
    let leftovers: Vec<String> = fs::read_dir(out_parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kiln-new"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
