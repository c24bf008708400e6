//! `kiln init`: the root it creates renders and passes `kiln check --strict` in every
//! environment as created; in a git repository the pre-commit configuration goes to the top
//! folder with the hooks pointed at the root; it never overwrites a file and writes nothing
//! when it refuses.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{kiln, run};

fn init(dir: &Path, args: &[&str]) -> crate::common::Run {
    run(kiln()
        .arg("init")
        .args(args)
        .current_dir(dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()))
}

/// Every file below `dir` (git's own folder left out), relative and sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .filter(|p| !p.starts_with(".git/"))
        .collect();
    found.sort();
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

const CREATED: [&str; 6] = [
    ".pre-commit-config.yaml",
    "argocd/application.yaml",
    "jobs/clickstream.yaml",
    "kiln.yaml",
    "pools/qwen.yaml",
    "services/production.yaml",
];

#[test]
fn a_new_root_renders_and_passes_check_strict_in_every_environment() {
    let dir = tempfile::tempdir().unwrap();
    let created = init(dir.path(), &[]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(files(dir.path()), CREATED);
    // stdout: the files, one a line; stderr: what to do next.
    assert_eq!(created.stdout.lines().count(), 6, "{}", created.stdout);
    assert!(created.stderr.contains("kiln check"), "{}", created.stderr);
    let check = run(kiln()
        .args(["check", "--all-envs", "--strict"])
        .arg(dir.path()));
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains("0 errors, 0 warnings"),
        "{}",
        check.stderr
    );
    for env in ["dev", "prod"] {
        let render = run(kiln().args(["render", "-e", env]).arg(dir.path()));
        assert_eq!(render.code, 0, "{}", render.stderr);
        for kind in [
            "FlinkDeployment",
            "HorizontalPodAutoscaler",
            "Deployment",
            "Service",
        ] {
            assert!(
                render.stdout.contains(&format!("kind: {kind}\n")),
                "{env}: {kind}"
            );
        }
        assert!(
            !render.stdout.contains("kind: Application"),
            "the Application is for Argo CD, not rendered"
        );
    }
    let pre_commit = fs::read_to_string(dir.path().join(".pre-commit-config.yaml")).unwrap();
    assert!(
        pre_commit.contains("args: [\".\", --all-envs, --strict]"),
        "{pre_commit}"
    );
    assert!(pre_commit.contains(&format!("rev: v{}", env!("CARGO_PKG_VERSION"))));
    for file in CREATED {
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            text.contains("Change first"),
            "{file} says what to change first"
        );
    }
}

#[test]
fn in_a_git_repository_pre_commit_is_configured_at_the_top() {
    let repo = tempfile::tempdir().unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.path())
        .status()
        .expect("git is required");
    assert!(git.success());
    let created = init(repo.path(), &["apps/streaming"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let pre_commit = fs::read_to_string(repo.path().join(".pre-commit-config.yaml")).unwrap();
    assert!(
        pre_commit.contains("args: [\"apps/streaming\", --all-envs, --strict]"),
        "{pre_commit}"
    );
    let application =
        fs::read_to_string(repo.path().join("apps/streaming/argocd/application.yaml")).unwrap();
    assert!(
        application.contains("path: \"apps/streaming\""),
        "{application}"
    );
    assert!(
        application.contains("name: streaming-prod"),
        "{application}"
    );
    let check = run(kiln()
        .args(["check", "--all-envs", "--strict"])
        .arg(repo.path().join("apps/streaming")));
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn it_never_overwrites_and_writes_nothing_when_it_refuses() {
    // One of the root's files exists: that file is named, nothing else appears.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("jobs")).unwrap();
    fs::write(dir.path().join("jobs/clickstream.yaml"), "mine\n").unwrap();
    let refused = init(dir.path(), &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("jobs/clickstream.yaml exists"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was written"),
        "{}",
        refused.stderr
    );
    assert_eq!(files(dir.path()), ["jobs/clickstream.yaml"]);
    assert_eq!(
        fs::read_to_string(dir.path().join("jobs/clickstream.yaml")).unwrap(),
        "mine\n"
    );

    // The repository's own pre-commit configuration: refused the same way.
    let repo = tempfile::tempdir().unwrap();
    assert!(
        Command::new("git")
            .args(["init", "-q"])
            .current_dir(repo.path())
            .status()
            .unwrap()
            .success()
    );
    fs::write(repo.path().join(".pre-commit-config.yaml"), "repos: []\n").unwrap();
    let refused = init(repo.path(), &["apps/x"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(".pre-commit-config.yaml exists"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        files(repo.path()),
        [".pre-commit-config.yaml"],
        "no folder or file made"
    );

    // A write that fails half-way (`pools` is a file, so pools/qwen.yaml cannot be made after
    // kiln.yaml and jobs/ were): what this run wrote is removed again.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pools"), "not a folder\n").unwrap();
    let failed = init(dir.path(), &[]);
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("nothing was written"),
        "{}",
        failed.stderr
    );
    assert_eq!(files(dir.path()), ["pools"]);
    assert!(
        !dir.path().join("jobs").exists(),
        "the folder it made is gone"
    );
}
