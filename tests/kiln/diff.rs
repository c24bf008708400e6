//! `kiln diff` against real git repositories built in temporary folders. The kiln root is
//! always a subfolder (`apps/app`) of the repository.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{Run, bless, diff as text_diff, kiln, project_dir, read, run};

const KILN_YAML: &str = "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  namespace: ns\n  timeZone: UTC\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n";

struct Repo {
    _dir: tempfile::TempDir,
    top: PathBuf,
    app: PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.email=test@example.com",
            "-c",
            "user.name=test",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is required");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

impl Repo {
    /// A repository whose first commit holds `files` under apps/app.
    fn new(files: &[(&str, &str)]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().to_path_buf();
        let app = top.join("apps/app");
        fs::create_dir_all(&app).unwrap();
        git(&top, &["init", "-q", "-b", "main"]);
        let repo = Repo {
            _dir: dir,
            top,
            app,
        };
        repo.write("kiln.yaml", KILN_YAML);
        for (path, text) in files {
            repo.write(path, text);
        }
        repo.commit("base");
        repo
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.app.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, text).unwrap();
    }

    fn commit(&self, message: &str) {
        git(&self.top, &["add", "-A"]);
        git(&self.top, &["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn diff(&self, args: &[&str]) -> Run {
        run(kiln().arg("diff").args(args).current_dir(&self.app))
    }
}

fn job(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: {name}}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///a.jar\"}}\n{extra}"
    )
}

fn notes(result: &Run) -> Vec<String> {
    let report: Value = serde_json::from_str(&result.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", result.stdout, result.stderr));
    report["environments"][0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["impact"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Notes for a change of one FlinkJob spec.
fn flink_notes(before: &str, after: &str) -> Vec<String> {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", before))]);
    repo.write("jobs/a.yaml", &job("a", after));
    let result = repo.diff(&["--base", "main", "--format=json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    notes(&result)
}

#[test]
fn added_removed_changed_and_unchanged() {
    let repo = Repo::new(&[
        ("jobs/a.yaml", &job("a", "")),
        ("jobs/b.yaml", &job("b", "")),
        ("jobs/c.yaml", &job("c", "")),
    ]);
    fs::remove_file(repo.app.join("jobs/b.yaml")).unwrap();
    repo.write(
        "jobs/c.yaml",
        &job(
            "c",
            "  parallelism: 3\n  autoscaling: {minReplicas: 3, maxReplicas: 3}\n",
        ),
    );
    repo.write("jobs/d.yaml", &job("d", ""));
    let result = repo.diff(&["--base", "main", "--format=json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let report: Value = serde_json::from_str(&result.stdout).unwrap();
    let summary = &report["environments"][0]["summary"];
    assert_eq!(
        (
            summary["added"].as_u64(),
            summary["removed"].as_u64(),
            summary["changed"].as_u64(),
            summary["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    let changes: Vec<String> = report["environments"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["change"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["source"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "removed b jobs/b.yaml",
            "changed c jobs/c.yaml",
            "added d jobs/d.yaml"
        ]
    );

    // The working tree is untouched by reading the base.
    assert!(!repo.app.join("jobs/b.yaml").exists());
    let status = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&repo.top)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout).lines().count(), 3);
}

#[test]
fn no_changes_exit_0_and_reordering_shows_no_diff() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", "  env: {B: \"2\", A: \"1\"}\n"))]);
    // The same spec with its fields in another order and other formatting.
    repo.write("jobs/a.yaml", "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nspec:\n  env:\n    A: \"1\"\n    B: \"2\"\n  jar:\n    uri: local:///a.jar\n  type: jar\nmetadata:\n  name: a\n");
    let result = repo.diff(&["--base", "main"]);
    assert_eq!(result.code, 0, "{}\n{}", result.stdout, result.stderr);
    assert!(
        result
            .stdout
            .contains("0 added, 0 removed, 0 changed, 1 unchanged"),
        "{}",
        result.stdout
    );
}

#[test]
fn restart_note_names_the_fields() {
    assert_eq!(
        flink_notes("  image: \"flink:1.19.2\"\n", "  image: \"flink:1.19.3\"\n"),
        ["restart: restarts the job (an upgrade with upgradeMode stateless): spec.image changed"]
    );
}

#[test]
fn reactive_rescale_is_in_place() {
    let notes = flink_notes(
        "  autoscaling: {mode: reactive, minReplicas: 2, maxReplicas: 2}\n",
        "  autoscaling: {mode: reactive, minReplicas: 4, maxReplicas: 4}\n",
    );
    assert_eq!(
        notes,
        ["rescale: rescales in place (standalone mode with the reactive scheduler): no restart"]
    );
}

#[test]
fn native_rescale_restarts() {
    let notes = flink_notes(
        "  autoscaling: {minReplicas: 2, maxReplicas: 2}\n",
        "  autoscaling: {minReplicas: 3, maxReplicas: 3}\n",
    );
    assert_eq!(
        notes,
        [
            "restart: changing parallelism or replicas in native mode is a full upgrade: the job restarts (upgradeMode stateless)"
        ]
    );
}

#[test]
fn mode_change_is_refused() {
    let notes = flink_notes("", "  autoscaling: {mode: reactive}\n");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("refused: mode changes from native to standalone"),
        "{notes:?}"
    );
}

#[test]
fn suspend_and_resume() {
    assert_eq!(
        flink_notes("", "  state: suspended\n"),
        ["state: the job is suspended (upgradeMode stateless)"]
    );
    assert_eq!(
        flink_notes("  state: suspended\n", ""),
        ["state: the job resumes"]
    );
}

#[test]
fn upgrade_mode_change() {
    let ha = "  checkpoints: {dir: \"s3://b/cp\"}\n  savepoints: {dir: \"s3://b/sp\"}\n";
    let notes = flink_notes(ha, &format!("{ha}  upgradeMode: savepoint\n"));
    assert_eq!(
        notes,
        ["state: upgradeMode changes from stateless to savepoint"]
    );
}

#[test]
fn removal_loses_state() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", ""))]);
    repo.write("jobs/a.yaml", "");
    repo.write("jobs/keep.yaml", &job("keep", ""));
    let notes = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert_eq!(
        notes,
        [
            "state: the FlinkDeployment is removed: its job stops and its state is lost unless a savepoint is taken first (upgradeMode stateless)"
        ]
    );
}

fn pool(production: u32, replicas: u32) -> String {
    format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata: {{name: qwen}}\nspec:\n  engine: vllm\n  model: Qwen/Qwen3-0.6B\n  replicas: {replicas}\n  assignments: {{production: {production}}}\n"
    )
}

fn service(exposure: &str) -> String {
    format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: BusinessService\nmetadata: {{name: chat}}\nspec: {{pool: qwen, business: production, exposure: {exposure}}}\n"
    )
}

#[test]
fn pool_capacity_per_business() {
    let repo = Repo::new(&[("pool.yaml", &pool(2, 4))]);
    repo.write("pool.yaml", &pool(1, 4));
    let notes = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert_eq!(
        notes,
        ["capacity: business capacity: production 2 → 1, unassigned 2 → 3"]
    );
}

/// An autoscaled slice shows its range, read from its ScaledObject or HPA: a new maximum, an
/// engine switch that keeps the range (no note), and autoscaling turned off.
#[test]
fn pool_slice_ranges() {
    let autoscaled = |max: u32, engine: &str| {
        format!(
            "{}  autoscaling: {{engine: {engine}, prometheus: 'http://prom:9090', max: {{production: {max}}}}}\n",
            pool(2, 4)
        )
    };
    let repo = Repo::new(&[("pool.yaml", &autoscaled(6, "keda"))]);
    repo.write("pool.yaml", &autoscaled(8, "keda"));
    let first = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert_eq!(first, ["capacity: business capacity: production 2-6 → 2-8"]);
    repo.write("pool.yaml", &autoscaled(6, "kubernetes"));
    let switched = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert!(
        switched.iter().all(|n| !n.starts_with("capacity")),
        "{switched:?}"
    );
    repo.write("pool.yaml", &pool(2, 4));
    let off = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert_eq!(off, ["capacity: business capacity: production 2-6 → 2"]);
}

#[test]
fn exposure_widened() {
    let repo = Repo::new(&[
        ("pool.yaml", &pool(2, 4)),
        ("svc.yaml", &service("internal")),
    ]);
    repo.write("svc.yaml", &service("external"));
    assert_eq!(
        notes(&repo.diff(&["--base", "main", "--format=json"])),
        ["exposure: exposure widened: internal → external"]
    );
}

#[test]
fn deployment_selector_change_needs_a_replace() {
    let deployment = |app: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: ns}}\nspec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec: {{containers: [{{name: web, image: \"nginx:1.27\"}}]}}\n"
        )
    };
    let repo = Repo::new(&[
        ("web.yaml", &deployment("web")),
        ("jobs/a.yaml", &job("a", "")),
    ]);
    repo.write("web.yaml", &deployment("website"));
    let notes = notes(&repo.diff(&["--base", "main", "--format=json"]));
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .starts_with("replace: the selector changes, and Deployment selectors are immutable"),
        "{notes:?}"
    );
}

#[test]
fn cron_schedule_change() {
    let schedule = |peak: &str, zone: &str| {
        format!(
            "  autoscaling:\n    mode: scheduled\n    timeZone: {zone}\n    schedules:\n      - {{name: peak, cron: \"{peak}\", minReplicas: 3, maxReplicas: 3}}\n      - {{name: calm, cron: \"0 18 * * *\", minReplicas: 1, maxReplicas: 1}}\n"
        )
    };
    let said = flink_notes(
        &schedule("0 9 * * 1-5", "Asia/Shanghai"),
        &schedule("0 8 * * 1-5", "Europe/Berlin"),
    );
    assert_eq!(
        said,
        [
            "schedule: schedule changes (applied within 15 minutes by the scaler CronJobs): time zone Asia/Shanghai → Europe/Berlin; peak `0 9 * * 1-5` 3-3 → `0 8 * * 1-5` 3-3"
        ]
    );
    // A schedule whose week does not change (one entry keeps one floor) renders the same:
    // no change, no note.
    let one = |cron: &str| {
        format!(
            "  autoscaling:\n    mode: scheduled\n    timeZone: UTC\n    schedules: [{{name: peak, cron: \"{cron}\", minReplicas: 2, maxReplicas: 2}}]\n"
        )
    };
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", &one("0 9 * * 1-5")))]);
    repo.write("jobs/a.yaml", &job("a", &one("0 8 * * 1-5")));
    let result = repo.diff(&["--base", "main", "--format=json"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(notes(&result).is_empty());
}

/// Switching engines says what happens in between, both ways; a window's new bounds are
/// noted with when they apply.
#[test]
fn engine_and_window_changes() {
    let scaling = |engine: &str, morning: u32| {
        format!(
            "  autoscaling:\n    mode: scheduled_hpa\n    engine: {engine}\n    timeZone: UTC\n    schedules:\n      - {{name: morning, cron: \"0 9 * * 1-5\", minReplicas: {morning}, maxReplicas: 8}}\n      - {{name: evening, cron: \"0 18 * * 1-5\", minReplicas: 1, maxReplicas: 8}}\n"
        )
    };
    assert_eq!(
        flink_notes(&scaling("kubernetes", 3), &scaling("keda", 3)),
        [
            "autoscaling: autoscaling moves from kubernetes to keda: the HPA and its scaler CronJobs are pruned and a ScaledObject takes over, so for a moment the job is not autoscaled; KEDA's admission webhook refuses a ScaledObject while another HPA scales the same FlinkDeployment, so sync with pruning (Argo CD prunes before it creates) or delete HPA a first"
        ]
    );
    assert_eq!(
        flink_notes(&scaling("keda", 3), &scaling("kubernetes", 4)),
        [
            "autoscaling: autoscaling moves from keda to kubernetes: the ScaledObject is pruned (KEDA deletes its HPA keda-hpa-a) and an HPA with scaler CronJobs takes over, so for a moment the job is not autoscaled",
            "schedule: schedule changes (applied within 15 minutes by the scaler CronJobs): morning `0 9 * * 1-5` 3-8 → `0 9 * * 1-5` 4-8",
        ]
    );
    assert_eq!(
        flink_notes(&scaling("keda", 3), &scaling("keda", 5)),
        [
            "schedule: schedule changes (applied at KEDA's next poll): morning `0 9 * * 1-5` 3-8 → `0 9 * * 1-5` 5-8"
        ]
    );
}

#[test]
fn invalid_base_and_unknown_ref_are_errors() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", "  paralelism: 2\n"))]);
    repo.write("jobs/a.yaml", &job("a", ""));
    let result = repo.diff(&["--base", "main"]);
    assert_eq!(result.code, 2);
    assert!(result.stdout.is_empty());
    assert!(
        result.stderr.contains("the base (main) does not render"),
        "{}",
        result.stderr
    );
    assert!(
        result
            .stderr
            .contains("jobs/a.yaml:7:3: error: spec.paralelism: unknown field"),
        "{}",
        result.stderr
    );

    let unknown = repo.diff(&["--base", "no-such-branch"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("unknown revision \"no-such-branch\""),
        "{}",
        unknown.stderr
    );
    let option = repo.diff(&["--base", "--output=/tmp/x"]);
    assert_eq!(
        option.code, 2,
        "a revision that looks like an option is refused"
    );
}

#[test]
fn head_revision_and_new_app() {
    let repo = Repo::new(&[]);
    fs::remove_file(repo.app.join("kiln.yaml")).unwrap();
    repo.commit("no app yet");
    repo.write("kiln.yaml", KILN_YAML);
    repo.write("jobs/a.yaml", &job("a", ""));
    repo.commit("app");
    // HEAD~1 has no kiln root here: everything is added.
    let result = repo.diff(&["--base", "HEAD~1", "--head", "HEAD", "--format=json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let report: Value = serde_json::from_str(&result.stdout).unwrap();
    assert_eq!(report["environments"][0]["summary"]["added"], 1);
    assert_eq!(report["head"], "HEAD");
}

#[test]
fn colour_follows_the_flag() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", ""))]);
    repo.write(
        "jobs/a.yaml",
        &job(
            "a",
            "  parallelism: 5\n  autoscaling: {minReplicas: 5, maxReplicas: 5}\n",
        ),
    );
    let always = repo.diff(&["--base", "main", "--color=always"]);
    assert!(always.stdout.contains("\u{1b}[32m+"), "{}", always.stdout);
    let never = repo.diff(&["--base", "main", "--color=never"]);
    assert!(!never.stdout.contains('\u{1b}'));
    let auto = run(kiln()
        .args(["diff", "--base", "main"])
        .env("NO_COLOR", "1")
        .current_dir(&repo.app));
    assert!(
        !auto.stdout.contains('\u{1b}'),
        "not a terminal, and NO_COLOR"
    );
}

/// A repository with many changed objects, for the markdown goldens.
fn markdown_repo() -> Repo {
    let jobs: Vec<(String, String)> = (0..6)
        .map(|i| (format!("jobs/j{i}.yaml"), job(&format!("job-{i}"), "")))
        .collect();
    let files: Vec<(&str, &str)> = jobs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let repo = Repo::new(&files);
    for i in 0..6 {
        repo.write(&format!("jobs/j{i}.yaml"), &job(&format!("job-{i}"), "  image: \"flink:1.19.9\"\n  autoscaling: {mode: hpa_reactive}\n  env: {NOTE: \"uses ``` fences\"}\n"));
    }
    repo
}

fn balanced(markdown: &str) -> Result<(), String> {
    let opens = markdown.matches("<details>").count();
    let closes = markdown.matches("</details>").count();
    if opens != closes {
        return Err(format!("{opens} <details> but {closes} </details>"));
    }
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        if ticks.len() >= 3 {
            match &fence {
                None => fence = Some(ticks),
                Some(open) if ticks == *open && line.trim() == open.as_str() => fence = None,
                Some(_) => {}
            }
        }
    }
    match fence {
        Some(open) => Err(format!("unclosed fence {open}")),
        None => Ok(()),
    }
}

fn markdown_golden(name: &str, max_length: usize) {
    let repo = markdown_repo();
    let result = repo.diff(&[
        "--base",
        "main",
        "--format=markdown",
        &format!("--max-length={max_length}"),
    ]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(
        result.stdout.chars().count() <= max_length,
        "{} > {max_length}",
        result.stdout.chars().count()
    );
    balanced(&result.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{}", result.stdout));
    let path = project_dir().join("tests/data/diff").join(name);
    if bless() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &result.stdout).unwrap();
    }
    let expected = read(&path).unwrap_or_default();
    assert!(
        result.stdout == expected,
        "{name} (KILN_BLESS=1 rewrites it):\n{}",
        text_diff(&expected, &result.stdout)
    );
}

#[test]
fn markdown_full() {
    markdown_golden("full.md", 65536);
}

#[test]
fn markdown_truncated() {
    markdown_golden("truncated.md", 6000);
    let repo = markdown_repo();
    for max in [400, 1500, 3000, 9000] {
        let result = repo.diff(&[
            "--base",
            "main",
            "--format=markdown",
            &format!("--max-length={max}"),
        ]);
        assert!(result.stdout.chars().count() <= max, "{max}");
        balanced(&result.stdout).unwrap_or_else(|e| panic!("{max}: {e}"));
    }
}

#[test]
fn operator_ignored_fields_do_not_restart() {
    // The operator's @SpecDiff(IGNORE) fields and flinkConfiguration prefixes apply without
    // an upgrade: no restart note, though the object changed.
    let before =
        "  flinkConfiguration: {\"kubernetes.operator.periodic.savepoint.interval\": 1h}\n";
    let after = "  flinkConfiguration: {\"kubernetes.operator.periodic.savepoint.interval\": 6h}\n";
    assert_eq!(flink_notes(before, after), Vec::<String>::new());
    // Any other key restarts the job.
    let after = "  flinkConfiguration: {\"kubernetes.operator.periodic.savepoint.interval\": 1h, \"pipeline.max-parallelism\": \"256\"}\n";
    assert_eq!(
        flink_notes(before, after),
        [
            "restart: restarts the job (an upgrade with upgradeMode stateless): spec.flinkConfiguration[\"pipeline.max-parallelism\"] changed"
        ]
    );
}

#[test]
fn runs_from_any_folder_of_the_repository() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", ""))]);
    repo.write("jobs/a.yaml", &job("a", "  parallelism: 3\n"));
    let from_app = repo.diff(&["--base", "main", "--format=json"]);
    assert_eq!(from_app.code, 1, "{}", from_app.stderr);
    let from_top = run(kiln()
        .args(["diff", "apps/app", "--base", "main", "--format=json"])
        .current_dir(&repo.top));
    let from_below = run(kiln()
        .args(["diff", "..", "--base", "main", "--format=json"])
        .current_dir(repo.app.join("jobs")));
    assert_eq!(from_top.stdout, from_app.stdout, "{}", from_top.stderr);
    assert_eq!(from_below.stdout, from_app.stdout, "{}", from_below.stderr);
    // The working tree is untouched.
    assert!(
        read(&repo.app.join("jobs/a.yaml"))
            .unwrap()
            .contains("parallelism: 3")
    );
}

#[test]
fn environments_one_or_all() {
    let envs = "environments:\n  dev: {namespace: dev}\n  prod: {namespace: prod}\n";
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", ""))]);
    repo.write("kiln.yaml", &format!("{KILN_YAML}{envs}"));
    repo.commit("environments");
    // prod is new in the working tree: --all-envs compares it against nothing.
    repo.write(
        "kiln.yaml",
        &format!("{KILN_YAML}{envs}  staging: {{namespace: staging}}\n"),
    );
    repo.write("jobs/a.yaml", &job("a", "  parallelism: 3\n"));
    let result = repo.diff(&["--base", "main", "--all-envs", "--format=json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let report: Value = serde_json::from_str(&result.stdout).unwrap();
    let summaries: Vec<(String, String)> = report["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = &e["summary"];
            (
                e["environment"].as_str().unwrap().to_string(),
                format!(
                    "+{} -{} ~{} ={}",
                    s["added"], s["removed"], s["changed"], s["unchanged"]
                ),
            )
        })
        .collect();
    let expected = [
        ("dev", "+0 -0 ~1 =0"),
        ("prod", "+0 -0 ~1 =0"),
        ("staging", "+1 -0 ~0 =0"),
    ];
    assert_eq!(
        summaries,
        expected.map(|(e, s)| (e.to_string(), s.to_string()))
    );
    // -e picks one; an environment the base lacks is an error naming the side.
    let one = repo.diff(&["--base", "main", "-e", "prod", "--format=json"]);
    let report: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(report["environments"][0]["environment"], "prod");
    assert_eq!(report["environments"].as_array().unwrap().len(), 1);
    let missing = repo.diff(&["--base", "main", "-e", "staging"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("the base (main) does not render"),
        "{}",
        missing.stderr
    );
    assert!(missing.stderr.contains("staging"), "{}", missing.stderr);
}

#[test]
fn base_checkout_keeps_symlinks_and_large_files() {
    // The base is written file by file from git: a symlinked SQL file inside the root must
    // still resolve, and a large non-YAML blob is streamed, not held.
    let sql_job = "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {name: q}\nspec:\n  type: sql\n  sql: {file: sql/q.sql}\n";
    // Two more SQL jobs: referenced files are read one after another from one cat-file.
    let other = |name: &str| {
        format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: {name}}}\nspec:\n  type: sql\n  sql: {{file: {name}.sql}}\n"
        )
    };
    let repo = Repo::new(&[
        ("jobs/q.yaml", sql_job),
        ("shared/q.sql", "INSERT INTO t SELECT 1;\n"),
        ("data/blob.bin", &"x".repeat(6 * 1024 * 1024)),
        ("more/r.yaml", &other("r")),
        ("more/r.sql", "INSERT INTO r SELECT 2;\n"),
        ("more/s.yaml", &other("s")),
        ("more/s.sql", "INSERT INTO s SELECT 3;\n"),
    ]);
    fs::create_dir_all(repo.app.join("jobs/sql")).unwrap();
    std::os::unix::fs::symlink("../../shared/q.sql", repo.app.join("jobs/sql/q.sql")).unwrap();
    repo.commit("symlinked sql");
    repo.write("jobs/q.yaml", &format!("{sql_job}  parallelism: 3\n"));
    let result = repo.diff(&["--base", "main", "--format=json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let report: Value = serde_json::from_str(&result.stdout).unwrap();
    let changes: Vec<&str> = report["environments"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    // The ConfigMap holding the SQL is identical on both sides: the symlink was followed.
    assert_eq!(changes, ["FlinkDeployment"], "{}", result.stdout);
}

/// git's output for plumbing commands that print an object id.
fn git_out(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git is required");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A crafted base revision (built with `git mktree`) whose tree holds a symlink `evil` to a
/// folder outside and a folder `evil/` with a file: `kiln diff` must write nothing there, fail
/// with exit 2 and print nothing on stdout. A blob larger than the loader reads is refused as
/// in a working tree, not written out.
#[test]
fn a_crafted_base_tree_writes_nothing_outside() {
    let repo = Repo::new(&[("jobs/a.yaml", &job("a", ""))]);
    let victim = tempfile::tempdir().unwrap();
    let top = &repo.top;
    let blob = |text: &[u8]| git_out(top, &["hash-object", "-w", "--stdin"], text);
    let pwned = blob(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pwned}\n");
    let link = blob(victim.path().to_str().unwrap().as_bytes());
    let config = blob(KILN_YAML.as_bytes());
    let inner = git_out(
        top,
        &["mktree"],
        format!("100644 blob {pwned}\tpwned.yaml\n").as_bytes(),
    );
    let app = git_out(
        top,
        &["mktree"],
        format!(
            "120000 blob {link}\tevil\n040000 tree {inner}\tevil\n100644 blob {config}\tkiln.yaml\n"
        )
        .as_bytes(),
    );
    let apps = git_out(
        top,
        &["mktree"],
        format!("040000 tree {app}\tapp\n").as_bytes(),
    );
    let root = git_out(
        top,
        &["mktree"],
        format!("040000 tree {apps}\tapps\n").as_bytes(),
    );
    let commit = git_out(top, &["commit-tree", &root, "-m", "crafted"], b"");
    let result = repo.diff(&["--base", &commit]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stdout.is_empty(), "{}", result.stdout);
    assert!(
        result.stderr.contains("evil/pwned.yaml") && result.stderr.contains("not a folder"),
        "{}",
        result.stderr
    );
    assert_eq!(
        fs::read_dir(victim.path()).unwrap().count(),
        0,
        "a file was written outside"
    );

    // A 5 MiB YAML blob on the base: the same "too large" error as in a working tree.
    let big = format!("# {}\n", "x".repeat(5 * 1024 * 1024));
    let repo = Repo::new(&[("big.yaml", &big)]);
    repo.write("big.yaml", "# small\n");
    let result = repo.diff(&["--base", "main"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("big.yaml"), "{}", result.stderr);
    assert!(result.stderr.contains("MiB"), "{}", result.stderr);
}

/// `--format html`: one page on stdout (nothing on stderr), exit 1 with changes, the same
/// summary and notes as the JSON report in its `data-*` attributes, repository text escaped.
/// scripts/html_check.py loads such a page in headless chromium.
#[test]
fn html_is_one_page_with_the_json_reports_numbers() {
    let repo = markdown_repo();
    let html = repo.diff(&["--base", "main", "--format", "html"]);
    assert_eq!(html.code, 1, "{}", html.stderr);
    assert!(html.stderr.is_empty(), "{}", html.stderr);
    assert!(
        html.stdout.starts_with("<!DOCTYPE html>"),
        "{}",
        &html.stdout[..80.min(html.stdout.len())]
    );
    assert!(html.stdout.contains("default-src 'none'"));
    assert!(!html.stdout.contains("<script"));
    let json: Value =
        serde_json::from_str(&repo.diff(&["--base", "main", "--format", "json"]).stdout).unwrap();
    let summary = &json["environments"][0]["summary"];
    let attrs = format!(
        "data-added=\"{}\" data-removed=\"{}\" data-changed=\"{}\" data-unchanged=\"{}\"",
        summary["added"], summary["removed"], summary["changed"], summary["unchanged"]
    );
    assert!(html.stdout.contains(&attrs), "{attrs}");
    let notes = json["environments"][0]["notes"].as_array().unwrap();
    assert!(!notes.is_empty());
    assert_eq!(html.stdout.matches("class=\"note\"").count(), notes.len());
    let unchanged = repo.diff(&["--base", "HEAD", "--head", "HEAD", "--format", "html"]);
    assert_eq!(unchanged.code, 0, "{}", unchanged.stderr);
}

/// Lifecycle changes say what they do: a snapshot added is taken, one removed keeps or
/// deletes its data; a new redeploy nonce redeploys from the path (and says what
/// allowNonRestoredState drops); a new path without a new nonce does nothing to a running
/// job.
#[test]
fn lifecycle_changes() {
    let spec = |snapshots: &str, restore: &str| {
        format!("  savepoints: {{dir: s3://b/sp}}\n  snapshots: [{snapshots}]\n{restore}")
    };
    assert_eq!(
        flink_notes(&spec("", ""), &spec("{name: before-v2}", "")),
        ["state: a savepoint of a is taken"]
    );
    assert_eq!(
        flink_notes(
            &spec(
                "{name: before-v2}, {name: scratch, disposeOnDelete: true}",
                ""
            ),
            &spec("", "")
        ),
        [
            "state: the snapshot object is removed; its data stays where it is",
            "state: the snapshot object is removed and its savepoint data deleted (disposeOnDelete)",
        ]
    );
    let restore = |path: &str, nonce: u32| {
        format!(
            "  restore: {{path: {path}, allowNonRestoredState: true, redeployNonce: {nonce}}}\n"
        )
    };
    assert_eq!(
        flink_notes(
            &spec("", &restore("s3://b/sp/1", 1)),
            &spec("", &restore("s3://b/sp/2", 2))
        ),
        [
            "state: the job is cancelled and redeployed from s3://b/sp/2; allowNonRestoredState: state that maps to no operator of the job is dropped"
        ]
    );
    assert_eq!(
        flink_notes(
            &spec("", &restore("s3://b/sp/1", 1)),
            &spec("", &restore("s3://b/sp/2", 1))
        ),
        [
            "state: restore.path or allowNonRestoredState changes without a new restore.redeployNonce: a running job is not redeployed (they apply when the job is first deployed, or with a new nonce)"
        ]
    );
}

/// A blue/green job: a change the operator would upgrade for starts a transition; a state
/// change suspends or resumes in place.
#[test]
fn blue_green_transitions() {
    let spec = |image: &str, state: &str| {
        format!(
            "  image: \"{image}\"\n  rollout: blueGreen\n  state: {state}\n  upgradeMode: savepoint\n  checkpoints: {{dir: s3://b/cp}}\n  savepoints: {{dir: s3://b/sp}}\n"
        )
    };
    assert_eq!(
        flink_notes(
            &spec("flink:1.19.3", "running"),
            &spec("flink:1.19.4", "running")
        ),
        [
            "rollout: a blue/green transition starts: the inactive one of a-blue and a-green is deployed from a savepoint of the active one next to the active one, takes over once ready, and the old one is deleted (spec.image changed)"
        ]
    );
    assert_eq!(
        flink_notes(
            &spec("flink:1.19.3", "running"),
            &spec("flink:1.19.3", "suspended")
        ),
        ["state: the active deployment is suspended in place"]
    );
}

/// Sessions and their jobs: a change of a session's spec redeploys its cluster (saying what
/// its jobs keep), a change between a fixed and an on-demand size is refused, a job moving
/// to another session must be replaced, an upgrade of a session job restarts it, and a
/// session job removed is cancelled without a savepoint.
#[test]
fn session_changes() {
    let session = |name: &str, extra: &str| {
        format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: FlinkSession\nmetadata: {{name: {name}}}\nspec:\n{extra}"
        )
    };
    let on = |session: &str, extra: &str| {
        format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: j}}\nspec:\n  type: jar\n  session: {session}\n  jar: {{uri: \"https://a.example.com/j.jar\"}}\n{extra}"
        )
    };
    let both = format!(
        "{}\n---\n{}",
        session("s1", "  taskManagers: 2\n"),
        session("s2", "  taskManagers: 2\n")
    );
    let repo = Repo::new(&[
        ("sessions.yaml", &both),
        ("job.yaml", &on("s1", "  parallelism: 2\n")),
    ]);
    let diff = |repo: &Repo| {
        let result = repo.diff(&["--base", "main", "--format=json"]);
        assert_eq!(result.code, 1, "{}", result.stderr);
        notes(&result)
    };

    repo.write("job.yaml", &on("s2", "  parallelism: 2\n"));
    assert_eq!(
        diff(&repo),
        [
            "replace: the job moves from session s1 to s2: the operator refuses a changed deploymentName, so the FlinkSessionJob must be deleted and created again (Argo CD sync options Replace=true,Force=true, or delete it first); deleting cancels the job without a savepoint, and the new one starts with empty state (take a snapshot first and set restore.path to keep it)"
        ]
    );

    repo.write("job.yaml", &on("s1", "  parallelism: 1\n"));
    assert_eq!(
        diff(&repo),
        [
            "restart: restarts the job on session s1 (an upgrade with upgradeMode stateless): spec.job.parallelism changed"
        ]
    );

    repo.write(
        "job.yaml",
        &on("s1", "  parallelism: 2\n  state: suspended\n"),
    );
    assert_eq!(
        diff(&repo),
        ["state: the job is suspended (upgradeMode stateless)"]
    );

    fs::remove_file(repo.app.join("job.yaml")).unwrap();
    assert_eq!(
        diff(&repo),
        [
            "state: the session job is removed: the operator cancels it on session s1 without a savepoint (unless kubernetes.operator.job.savepoint-on-deletion is true); its state is lost unless a snapshot is taken first"
        ]
    );

    repo.write("job.yaml", &on("s1", "  parallelism: 2\n"));
    repo.write(
        "sessions.yaml",
        &format!(
            "{}\n---\n{}",
            session("s1", "  taskManagers: 3\n"),
            session("s2", "  resources: {taskManager: {slots: 2}}\n")
        ),
    );
    assert_eq!(
        diff(&repo),
        [
            "restart: the operator deletes the session cluster and deploys it again: every job on it stops; without high availability on the session their running state is lost (spec.taskManager.replicas changed)",
            "refused: mode changes from standalone to native (taskManagers set or left out): the operator refuses to change the mode of a deployment; delete the session's FlinkDeployment and let it be recreated (its jobs stop)",
        ]
    );
}
