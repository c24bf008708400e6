//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bless() -> bool {
    std::env::var_os("KILN_BLESS").is_some()
}

/// The kiln binary with a clean environment: nothing from the test's own environment leaks
/// in (no ARGOCD_* variables, no HOME).
pub fn kiln() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command.env_clear();
    command
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("kiln runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// Every fixture case folder of `fixtures/`, or every kiln root of `examples/` (a folder with a
/// kiln.yaml: `examples/ci/` holds CI configuration, not specs), as (name, folder).
pub fn case_dirs(parent: &str) -> Vec<(String, PathBuf)> {
    let dir = project_dir().join(parent);
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter(|e| parent != "examples" || e.path().join("kiln.yaml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    cases.sort();
    cases
}

/// A unified diff of two texts, for assertion messages.
pub fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Split a YAML stream into documents as JSON values.
pub fn documents(yaml: &str) -> Vec<serde_json::Value> {
    serde_saphyr::from_multiple(yaml).expect("kiln output is valid YAML")
}

pub fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}
