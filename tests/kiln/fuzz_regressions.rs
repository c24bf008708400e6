//! Replays the fuzzers' committed inputs through the fuzz entry points (`kiln::fuzzing`):
//! the seeds (`fuzz/seeds/<target>/`) and every crash the fuzzers found, minimized
//! (`fuzz/regressions/<target>/`). A plain `cargo test` so a fixed crash stays fixed without
//! cargo-fuzz or a nightly toolchain.

use std::path::Path;

use crate::common::project_dir;

fn replay(target: &str, entry: fn(&str)) {
    let mut replayed = 0;
    for folder in ["seeds", "regressions"] {
        let dir = project_dir().join("fuzz").join(folder).join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !is_hidden(p))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            // The fuzz targets skip input that is not UTF-8; so does the replay.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let result = std::panic::catch_unwind(|| entry(text));
                assert!(result.is_ok(), "{} panics", file.display());
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 5, "{target}: only {replayed} inputs replayed");
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

#[test]
fn parse_inputs() {
    replay("parse", kiln::fuzzing::parse);
}

#[test]
fn patch_inputs() {
    replay("patch", kiln::fuzzing::patch);
}

#[test]
fn render_inputs() {
    replay("render", kiln::fuzzing::render);
}

#[test]
fn emit_inputs() {
    replay("emit", kiln::fuzzing::emit);
}

#[test]
fn checkout_inputs() {
    replay("checkout", kiln::fuzzing::checkout);
}
