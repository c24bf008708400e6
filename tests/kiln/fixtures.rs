//! Fixture cases: `fixtures/<case>/input/` is a kiln root; next to it
//!
//! - `expected.yaml`: what `kiln render` prints on success (exit 0), and
//!   `expected-warnings.txt`: its stderr when it warns (absent: stderr must be empty);
//! - or `expected-error.txt`: the stderr of a failed render (exit 1, stdout empty);
//! - optionally `args`: extra command-line arguments, one per line;
//! - instead of `input/`, a file `root` naming a kiln root of the project (`examples/lemo`),
//!   so an example's environments get goldens without a copy.
//!
//! Adding a test case means adding a folder; each case is a test of its own
//! (`cargo test --test fixtures -- err-sql-no-job`). `KILN_BLESS=1 cargo test --test fixtures`
//! rewrites the expectations; review every changed file as if it were code.
//!
//! Every failing case is also run with `--output` over an existing folder, which must be left
//! exactly as it was, and through `kiln check`, which must report the same diagnostics.

use std::fs;
use std::path::Path;

use libtest_mimic::Trial;

use crate::common::{bless, case_dirs, diff, kiln, project_dir, read, run};

const EXPECTED: &str = "expected.yaml";
const WARNINGS: &str = "expected-warnings.txt";
const ERROR: &str = "expected-error.txt";

/// One test per case, named after its folder (`cargo test --test fixtures -- pool-loras`),
/// and one that the cases are there at all.
pub fn trials() -> Vec<Trial> {
    let cases = case_dirs("fixtures");
    let count = cases.len();
    let mut trials = vec![Trial::test("fixtures_are_present", move || {
        if count > 40 {
            Ok(())
        } else {
            Err(format!("fixtures/ holds only {count} cases").into())
        }
    })];
    trials.extend(cases.into_iter().map(|(name, dir)| {
        Trial::test(name, move || {
            check_case(&dir).map_err(|message| {
                format!("{message}\n(KILN_BLESS=1 rewrites expectations)").into()
            })
        })
    }));
    trials
}

fn args(dir: &Path) -> Vec<String> {
    read(&dir.join("args"))
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn check_case(dir: &Path) -> Result<(), String> {
    let input = match read(&dir.join("root")) {
        Some(root) => project_dir().join(root.trim()),
        None => dir.join("input"),
    };
    let extra = args(dir);
    let result = run(kiln().arg("render").arg(&input).args(&extra));
    if bless() {
        for file in [EXPECTED, WARNINGS, ERROR] {
            let _ = fs::remove_file(dir.join(file));
        }
        if result.code == 0 {
            fs::write(dir.join(EXPECTED), &result.stdout).unwrap();
            if !result.stderr.is_empty() {
                fs::write(dir.join(WARNINGS), &result.stderr).unwrap();
            }
        } else {
            fs::write(dir.join(ERROR), &result.stderr).unwrap();
        }
    }
    if let Some(expected_error) = read(&dir.join(ERROR)) {
        if result.code != 1 {
            return Err(format!(
                "exit code {} (expected 1)\nstderr:\n{}",
                result.code, result.stderr
            ));
        }
        if !result.stdout.is_empty() {
            return Err(format!("stdout is not empty on error:\n{}", result.stdout));
        }
        if result.stderr != expected_error {
            return Err(diff(&expected_error, &result.stderr));
        }
        if !expected_error.lines().all(|l| {
            l.starts_with("kiln: ")
                || l.contains(": error: ")
                || l.contains(": warning: ")
                || l.starts_with("  hint: ")
        }) {
            return Err("an error line lacks a file:line:col location".to_string());
        }
        output_folder_untouched(&input, &extra)?;
        if expected_error
            .lines()
            .any(|l| !l.starts_with("kiln: ") && l.contains(": error: "))
        {
            check_agrees(&input, &extra, &expected_error)?;
        }
        Ok(())
    } else {
        let expected = read(&dir.join(EXPECTED)).ok_or("no expected.yaml or expected-error.txt")?;
        if result.code != 0 {
            return Err(format!(
                "exit code {}\nstderr:\n{}",
                result.code, result.stderr
            ));
        }
        if result.stdout != expected {
            return Err(diff(&expected, &result.stdout));
        }
        let expected_warnings = read(&dir.join(WARNINGS)).unwrap_or_default();
        if result.stderr != expected_warnings {
            return Err(diff(&expected_warnings, &result.stderr));
        }
        Ok(())
    }
}

/// A failed render leaves an existing output folder exactly as it was.
fn output_folder_untouched(input: &Path, extra: &[String]) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join(".kiln-output"), "marker\n").unwrap();
    fs::write(out.join("old.yaml"), "kind: Old\n").unwrap();
    let result = run(kiln()
        .arg("render")
        .arg(input)
        .args(extra)
        .arg("--output")
        .arg(&out));
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if result.code != 1
        || names != [".kiln-output", "old.yaml"]
        || read(&out.join("old.yaml")).as_deref() != Some("kind: Old\n")
    {
        return Err(format!(
            "--output folder changed on error (exit {}): {names:?}",
            result.code
        ));
    }
    Ok(())
}

/// `kiln check` reports the same diagnostics as a failed render.
fn check_agrees(input: &Path, extra: &[String], expected_error: &str) -> Result<(), String> {
    let result = run(kiln().arg("check").arg(input).args(
        extra
            .iter()
            .filter(|a| a.starts_with("--kube-version") || a.starts_with("--env")),
    ));
    if result.code != 1 {
        return Err(format!("kiln check exit code {} (expected 1)", result.code));
    }
    for line in expected_error.lines().filter(|l| !l.starts_with("kiln: ")) {
        if !result.stderr.contains(line) {
            return Err(format!(
                "kiln check does not report: {line}\n{}",
                result.stderr
            ));
        }
    }
    Ok(())
}
