//! Untrusted repositories (issue 18): the cases that need a real folder, several processes or
//! sizes a fixture cannot hold. Each asserts the exit code, the message with its place, an
//! empty stdout where the run fails, and that nothing was written where it must not be.

use std::fs;
use std::path::Path;
use std::thread;

use crate::common::{Run, kiln, run};

const KILN_YAML: &str = "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  namespace: ns\n  timeZone: UTC\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n";
const JOB: &str = "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {name: a}\nspec:\n  type: jar\n  jar: {uri: \"local:///a.jar\"}\n";

/// A kiln root in a temporary folder: kiln.yaml (with `config_tail` appended) and one job.
fn repo(config_tail: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("kiln.yaml"),
        format!("{KILN_YAML}{config_tail}"),
    )
    .unwrap();
    fs::create_dir(dir.path().join("jobs")).unwrap();
    fs::write(dir.path().join("jobs/a.yaml"), JOB).unwrap();
    dir
}

fn write(root: &Path) -> Run {
    run(kiln().args(["render", "--write"]).arg(root))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_dot_slash_output_folder_is_recognised_on_the_next_run() {
    let root = repo("output: ./rendered/\n");
    let first = write(root.path());
    assert_eq!(
        first.code, 1,
        "the first --write rewrites: {}",
        first.stderr
    );
    assert!(
        entries(&root.path().join("rendered"))
            .iter()
            .any(|n| n.contains("_flinkdeployment_"))
    );
    // The second run must not read rendered/ back as input, and finds it current.
    let second = write(root.path());
    assert_eq!((second.code, second.stderr.as_str()), (0, ""));
    let check = run(kiln().arg("check").arg(root.path()));
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn the_output_folder_is_not_written_through_a_symbolic_link() {
    let outside = tempfile::tempdir().unwrap();
    // A hidden link is not read as input, so only the write can refuse it.
    let root = repo("output: .link/rendered\n");
    std::os::unix::fs::symlink(outside.path(), root.path().join(".link")).unwrap();
    let result = write(root.path());
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stdout.is_empty());
    assert!(
        result
            .stderr
            .contains("kiln.yaml output \".link/rendered\": ")
            && result.stderr.contains(".link is a symbolic link"),
        "{}",
        result.stderr
    );
    assert!(
        entries(outside.path()).is_empty(),
        "{:?}",
        entries(outside.path())
    );
    // The output folder itself a link (excluded from reading).
    let root = repo("output: rendered\nexclude: [rendered]\n");
    std::os::unix::fs::symlink(outside.path(), root.path().join("rendered")).unwrap();
    assert_eq!(write(root.path()).code, 2);
    assert!(entries(outside.path()).is_empty());
    // A visible link out of the root is refused while reading, before anything is written.
    let root = repo("output: link/rendered\n");
    std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
    let result = write(root.path());
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(
        result
            .stderr
            .contains("link: error: symlink points outside the kiln root")
    );
    assert!(entries(outside.path()).is_empty());
}

#[test]
fn renders_at_once_to_one_new_output_folder_all_succeed() {
    let root = repo("");
    let outputs = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let output = outputs.path().join(format!("out-{round}"));
        let results: Vec<Run> = thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    let output = output.clone();
                    let root = root.path().to_path_buf();
                    scope.spawn(move || {
                        run(kiln().arg("render").arg(&root).arg("--output").arg(&output))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for result in &results {
            assert_eq!(result.code, 0, "round {round}: {}", result.stderr);
        }
        assert!(
            entries(&output)
                .iter()
                .any(|n| n.contains("_flinkdeployment_"))
        );
        let leftovers: Vec<String> = entries(outputs.path())
            .into_iter()
            .filter(|n| n.contains("kiln-new") || n.contains("kiln-old"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn file_names_cannot_forge_diagnostic_lines() {
    let root = repo("");
    let name = "jobs/evil\u{1b}[2K\rkiln: 0 errors\n.yaml";
    fs::write(
        root.path().join(name),
        JOB.replace("name: a", "name: Bad_Name"),
    )
    .unwrap();
    let result = run(kiln().arg("render").arg(root.path()));
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stdout.is_empty());
    assert!(!result.stderr.contains('\u{1b}') && !result.stderr.contains('\r'));
    let lines: Vec<&str> = result.stderr.lines().collect();
    assert!(
        lines[0].starts_with("jobs/evil\\u{1b}[2K\\rkiln: 0 errors\\n.yaml:3:"),
        "{}",
        result.stderr
    );
    assert_eq!(lines.last(), Some(&"kiln: 1 error; nothing rendered"));
}

#[test]
fn a_sql_script_too_large_for_a_config_map_is_refused() {
    let root = repo("");
    let job = "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {name: big}\nspec:\n  type: sql\n  sql: {file: big.sql}\n";
    fs::write(root.path().join("jobs/big.yaml"), job).unwrap();
    let script = format!(
        "INSERT INTO t SELECT 1;\n{}",
        "-- padding padding padding padding padding padding padding\n".repeat(3 * 1024 * 1024 / 60)
    );
    fs::write(root.path().join("jobs/big.sql"), &script).unwrap();
    let output = tempfile::tempdir().unwrap();
    fs::write(output.path().join("keep"), "untouched").unwrap();
    let result = run(kiln()
        .arg("render")
        .arg(root.path())
        .arg("--output")
        .arg(output.path()));
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stdout.is_empty());
    assert!(
        result
            .stderr
            .starts_with("jobs/big.yaml:6:15: error: spec.sql.file: the SQL ConfigMap would hold ")
            && result
                .stderr
                .contains("the API server stores at most 1048576 bytes in a ConfigMap"),
        "{}",
        result.stderr
    );
    assert_eq!(entries(output.path()), ["keep"]);
}

/// The shipped CI example: zizmor (every persona's audits, offline) finds nothing, and the
/// properties that make it safe for fork pull requests hold.
#[test]
fn the_ci_example_passes_zizmor_and_runs_nothing_of_a_pr_with_a_write_token() {
    let dir = crate::common::project_dir().join("examples/ci");
    let files = ["kiln-diff.yml", "kiln-diff-comment.yml"];
    let output = std::process::Command::new("zizmor")
        .args(["--offline", "--persona", "pedantic", "--format", "plain"])
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .expect("zizmor is required for this test: python3 -m pip install zizmor");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    assert!(report.contains("No findings to report"), "{report}");

    let workflow = |name: &str| {
        let text = fs::read_to_string(dir.join(name)).unwrap();
        kiln::yaml::parse_documents(&text).unwrap().remove(0)
    };
    let (render, comment) = (workflow(files[0]), workflow(files[1]));
    for (name, flow) in [(files[0], &render), (files[1], &comment)] {
        assert_eq!(flow["permissions"], serde_json::json!({}), "{name}");
        for (job, body) in flow["jobs"].as_object().unwrap() {
            for step in body["steps"].as_array().unwrap() {
                if let Some(uses) = step["uses"].as_str() {
                    let sha = uses.split_once('@').map_or("", |(_, r)| r);
                    assert!(
                        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name} {job}: {uses} is not pinned to a commit"
                    );
                }
                if let Some(script) = step["run"].as_str() {
                    assert!(
                        !script.contains("${{"),
                        "{name} {job}: an expression inside run:"
                    );
                }
            }
        }
    }
    let diff_job = &render["jobs"]["diff"];
    assert!(render["on"].get("pull_request").is_some());
    assert_eq!(
        diff_job["permissions"],
        serde_json::json!({"contents": "read"})
    );
    assert_eq!(diff_job["steps"][0]["with"]["persist-credentials"], false);
    assert!(comment["on"].get("workflow_run").is_some());
    let comment_steps = comment["jobs"]["comment"]["steps"].as_array().unwrap();
    assert!(
        comment_steps.iter().all(|s| !s["uses"]
            .as_str()
            .unwrap_or("")
            .starts_with("actions/checkout")
            && s.get("run").is_none()),
        "the commenting workflow checks out or runs nothing"
    );
}
