//! The command line end to end: exit codes, stdout/stderr split, the output folder, check,
//! schema, determinism.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::common::{kiln, project_dir, run};

fn lemo() -> PathBuf {
    project_dir().join("examples/lemo")
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(full, text).unwrap();
}

const KILN_YAML: &str = "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n";

fn job(name: &str) -> String {
    format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///a.jar\"}}\n"
    )
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_folder_is_replaced_whole() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kiln.yaml", KILN_YAML);
    write(root.path(), "jobs/a.yaml", &job("alpha"));
    write(root.path(), "jobs/b.yaml", &job("beta"));
    let out = root.path().join("rendered");

    let first = run(kiln()
        .arg("render")
        .arg(root.path())
        .arg("--output")
        .arg(&out));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.is_empty(), "stdout stays empty with --output");
    assert_eq!(
        listing(&out),
        [
            ".kiln-output",
            "ns_flinkdeployment_alpha.yaml",
            "ns_flinkdeployment_beta.yaml"
        ]
    );
    let alpha = fs::read_to_string(out.join("ns_flinkdeployment_alpha.yaml")).unwrap();
    assert!(
        alpha.starts_with("apiVersion: flink.apache.org/v1beta1\n"),
        "{alpha}"
    );

    // The output folder sits inside the root and is not read back as input.
    fs::remove_file(root.path().join("jobs/b.yaml")).unwrap();
    let second = run(kiln()
        .arg("render")
        .arg(root.path())
        .arg("--output")
        .arg(&out)
        .arg("--format=json"));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        listing(&out),
        [".kiln-output", "ns_flinkdeployment_alpha.json"],
        "stale files removed"
    );
    let parsed: Value = serde_json::from_str(
        &fs::read_to_string(out.join("ns_flinkdeployment_alpha.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(parsed["kind"], "FlinkDeployment");
    let staging: Vec<String> = listing(root.path())
        .into_iter()
        .filter(|n| n.contains("kiln-new"))
        .collect();
    assert!(
        staging.is_empty(),
        "no staging folder left behind: {staging:?}"
    );
}

#[test]
fn output_folder_kiln_did_not_write_is_refused() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kiln.yaml", KILN_YAML);
    write(root.path(), "jobs/a.yaml", &job("alpha"));
    let foreign = tempfile::tempdir().unwrap();
    write(foreign.path(), "precious.txt", "keep me\n");
    let result = run(kiln()
        .arg("render")
        .arg(root.path())
        .arg("--output")
        .arg(foreign.path()));
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("refusing to replace a folder kiln did not write"),
        "{}",
        result.stderr
    );
    assert_eq!(listing(foreign.path()), ["precious.txt"]);

    let over_root = run(kiln()
        .arg("render")
        .arg(root.path())
        .arg("--output")
        .arg(root.path()));
    assert_eq!(over_root.code, 2, "{}", over_root.stderr);
    assert!(root.path().join("kiln.yaml").is_file());
}

#[test]
fn usage_errors_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            vec!["render".to_string(), "/nonexistent/kiln/root".into()],
            "no such folder",
        ),
        (
            vec!["render".into(), empty.path().display().to_string()],
            "not a kiln root",
        ),
        (
            vec![
                "render".into(),
                lemo().display().to_string(),
                "--kube-version=soon".into(),
            ],
            "not a Kubernetes version",
        ),
        (
            vec!["render".into(), "--no-such-flag".into()],
            "unexpected argument",
        ),
        (vec!["schema".into(), "Nope".into()], "unknown kind"),
    ] {
        let result = run(kiln().args(&args));
        assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
        assert!(
            result.stderr.contains(message),
            "{args:?}: {}",
            result.stderr
        );
        assert!(result.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn check_reports_and_strict_fails_on_warnings() {
    let fixture = project_dir().join("fixtures/warn-latest-image/input");
    let relaxed = run(kiln().arg("check").arg(&fixture));
    assert_eq!(relaxed.code, 0, "{}", relaxed.stderr);
    assert!(relaxed.stdout.is_empty());
    assert!(
        relaxed.stderr.contains("warning: spec.image"),
        "{}",
        relaxed.stderr
    );
    assert!(
        relaxed
            .stderr
            .contains("1 spec, 1 object: 0 errors, 1 warning"),
        "{}",
        relaxed.stderr
    );

    let strict = run(kiln().arg("check").arg(&fixture).arg("--strict"));
    assert_eq!(strict.code, 1);

    let json = run(kiln().arg("check").arg(&fixture).arg("--format=json"));
    assert_eq!(json.code, 0);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["warnings"], 1);
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], "jobs/job.yaml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(8), Some(10))
    );
    assert_eq!(d["field"], "spec.image");
}

#[test]
fn check_json_lists_every_error() {
    let fixture = project_dir().join("fixtures/err-multiple-files/input");
    let json = run(kiln().arg("check").arg(&fixture).arg("--format=json"));
    assert_eq!(json.code, 1);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["errors"], 3);
    let files: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["jobs/a.yaml", "jobs/b.yaml", "manifests/broken.yaml"]
    );
}

#[test]
fn schema_prints_the_committed_schemas() {
    let list = run(kiln().arg("schema"));
    assert_eq!(list.code, 0);
    assert_eq!(
        list.stdout,
        "Config\tschemas/kiln.schema.json\nFlinkJob\tschemas/flinkjob.schema.json\nFlinkSession\tschemas/flinksession.schema.json\nModelPool\tschemas/modelpool.schema.json\nBusinessService\tschemas/businessservice.schema.json\n"
    );
    for (kind, file) in [
        ("FlinkJob", "flinkjob.schema.json"),
        ("flinkjob", "flinkjob.schema.json"),
        ("FlinkSession", "flinksession.schema.json"),
        ("kiln.yaml", "kiln.schema.json"),
    ] {
        let result = run(kiln().arg("schema").arg(kind));
        assert_eq!(result.code, 0);
        assert_eq!(
            result.stdout,
            fs::read_to_string(project_dir().join("schemas").join(file)).unwrap()
        );
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = kiln()
        .arg("render")
        .arg(lemo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Copy a folder tree creating entries in an order given by `seed` (0: reversed; else a
/// permutation): directory order on disk then differs from copy to copy.
fn copy_tree_shuffled(from: &Path, to: &Path, seed: u64) {
    fs::create_dir_all(to).unwrap();
    let mut entries: Vec<_> = fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if seed == 0 {
        entries.reverse();
    }
    let mut state = seed;
    for i in (1..entries.len()).rev().filter(|_| seed != 0) {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap() % (i + 1);
        entries.swap(i, j);
    }
    for entry in entries {
        let target = to.join(entry.file_name().unwrap());
        if entry.is_dir() {
            copy_tree_shuffled(&entry, &target, if seed == 0 { 0 } else { seed + 1 });
        } else {
            fs::copy(&entry, &target).unwrap();
        }
    }
}

#[test]
fn output_is_deterministic() {
    // 100 renders of the example (both environments), from copies whose files were created
    // in different orders, under different locales and time zones: byte-identical output.
    let settings = [
        ("C", "UTC"),
        ("de_DE.UTF-8", "Asia/Shanghai"),
        ("tr_TR.UTF-8", "America/Los_Angeles"),
        ("ja_JP.UTF-8", "Pacific/Chatham"),
        ("", ""),
    ];
    let copies: Vec<tempfile::TempDir> = (0..5)
        .map(|seed| {
            let copy = tempfile::tempdir().unwrap();
            copy_tree_shuffled(&lemo(), copy.path(), seed);
            copy
        })
        .collect();
    for env in ["dev", "prod"] {
        let reference = run(kiln().args(["render", "-e", env]).arg(lemo()));
        assert_eq!(reference.code, 0, "{}", reference.stderr);
        for i in 0..50 {
            let (lc_all, tz) = settings[i % settings.len()];
            let copy = &copies[(i / settings.len()) % copies.len()];
            let again = run(kiln()
                .args(["render", "-e", env])
                .arg(copy.path())
                .env("LC_ALL", lc_all)
                .env("TZ", tz));
            assert_eq!(again.code, 0, "{}", again.stderr);
            assert!(
                again.stdout == reference.stdout,
                "render {i} of {env} differs (LC_ALL={lc_all} TZ={tz})"
            );
        }
    }
}

#[test]
fn argo_cd_destination_namespace_is_the_last_fallback() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kiln.yaml", KILN_YAML);
    write(
        root.path(),
        "job.yaml",
        &job("alpha").replace(", namespace: ns", ""),
    );
    let without = run(kiln().arg("render").arg(root.path()));
    assert_eq!(without.code, 1);
    assert!(
        without.stderr.contains("no namespace"),
        "{}",
        without.stderr
    );
    let with = run(kiln()
        .arg("render")
        .arg(root.path())
        .env("ARGOCD_APP_NAMESPACE", "from-argocd"));
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert!(with.stdout.contains("namespace: from-argocd\n"));
}

#[test]
fn every_object_carries_the_standard_labels_and_source() {
    let result = run(kiln().arg("render").arg(lemo()));
    for doc in crate::common::documents(&result.stdout) {
        let name = format!("{} {}", doc["kind"], doc["metadata"]["name"]);
        assert_eq!(
            doc["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kiln",
            "{name}"
        );
        assert_eq!(
            doc["metadata"]["labels"]["owner"], "data-platform",
            "{name}"
        );
        assert!(
            doc["metadata"]["annotations"]["kiln.dev/source"].is_string(),
            "{name}"
        );
        if doc["kind"] != "NetworkPolicy" {
            assert!(
                doc["metadata"]["labels"]["app.kubernetes.io/part-of"].is_string(),
                "{name}"
            );
        }
    }
}

#[test]
fn check_all_envs_reports_each_environment() {
    // prod's patch matches nothing; dev is clean.
    let fixture = project_dir().join("fixtures/err-patch-matches-nothing/input");
    let text = run(kiln().arg("check").arg(&fixture).arg("--all-envs"));
    assert_eq!(text.code, 1, "{}", text.stderr);
    let dev = text
        .stderr
        .find("kiln: environment dev:")
        .expect("a dev section");
    let prod = text
        .stderr
        .find("kiln: environment prod:")
        .expect("a prod section");
    assert!(dev < prod);
    assert!(text.stderr[prod..].contains("patch matches nothing"));
    assert!(
        !text.stderr[dev..prod].contains(": error:"),
        "{}",
        &text.stderr[dev..prod]
    );

    let json = run(kiln()
        .arg("check")
        .arg(&fixture)
        .arg("--all-envs")
        .arg("--format=json"));
    assert_eq!(json.code, 1);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let environments = report["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 2);
    assert_eq!(
        (
            environments[0]["environment"].as_str(),
            environments[0]["ok"].as_bool()
        ),
        (Some("dev"), Some(true))
    );
    assert_eq!(
        (
            environments[1]["environment"].as_str(),
            environments[1]["errors"].as_u64()
        ),
        (Some("prod"), Some(2))
    );

    let conflicting = run(kiln()
        .arg("check")
        .arg(&fixture)
        .arg("--all-envs")
        .arg("-e")
        .arg("dev"));
    assert_eq!(conflicting.code, 2, "-e and --all-envs exclude each other");
}

/// `kiln status` shows each job's savepoint policy and snapshots: in full in JSON, as one
/// line under the job in the table.
#[test]
fn status_shows_the_savepoint_policy() {
    let root = project_dir().join("fixtures/lifecycle-snapshots/input");
    let json = run(kiln().args(["status", "--format", "json"]).arg(&root));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let orders = &report["jobs"][1];
    assert_eq!(orders["name"], "orders");
    assert_eq!(
        orders["savepoints"],
        serde_json::json!({"dir": "s3://bucket/savepoints/orders", "periodic": "6h", "maxAge": "7d", "maxCount": 5, "formatType": "native"})
    );
    assert_eq!(
        orders["snapshots"][1],
        serde_json::json!({"name": "nightly-cp", "type": "checkpoint"})
    );
    let table = run(kiln().arg("status").arg(&root));
    assert!(
        table.stdout.contains(
            "\nstreaming  minimal  jar   medium   disabled  2-5\n  savepoints every 1h30m\n"
        ),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("  savepoints every 6h, at most 5, kept 7d; snapshots before-v2, nightly-cp"),
        "{}",
        table.stdout
    );
}
