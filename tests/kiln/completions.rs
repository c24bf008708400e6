//! `kiln completions SHELL` and `kiln man`: each completion script loads in its real shell
//! (bash, zsh and fish, from Debian; scripts/test installs zsh and fish), completes
//! subcommands, and completes `-e` with the environments of the kiln.yaml in the current
//! folder by calling kiln back.

use std::path::Path;
use std::process::Command;

use crate::common::{kiln, run};

const KILN_YAML: &str = "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults: {namespace: ns}\nenvironments:\n  dev: {namespace: dev}\n  prod: {namespace: prod}\n  staging: {namespace: staging}\n";

/// A shell running `script` in a kiln root with environments dev, prod and staging, with the
/// kiln under test first on the PATH; its stdout.
fn shell(program: &str, script: &str) -> String {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("kiln.yaml"), KILN_YAML).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_kiln")).parent().unwrap();
    let output = Command::new(program)
        .arg("-c")
        .arg(script)
        .current_dir(root.path())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", root.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required for this test (apt-get install {program}): {e}")
        });
    assert!(
        output.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_shell_gets_a_script() {
    for name in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let result = run(kiln().args(["completions", name]));
        assert_eq!((result.code, result.stderr.as_str()), (0, ""), "{name}");
        assert!(
            result.stdout.contains("KILN_COMPLETE"),
            "{name}: {}",
            result.stdout
        );
    }
    let result = run(kiln().args(["completions", "tcsh"]));
    assert_eq!(result.code, 2);
    assert!(result.stdout.is_empty());
}

#[test]
fn bash_loads_the_script_and_completes_environments() {
    let out = shell(
        "bash",
        r#"source <(kiln completions bash)
complete -p kiln
COMP_WORDS=(kiln render -e ""); COMP_CWORD=3; COMP_LINE="kiln render -e "; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
_clap_complete_kiln kiln "" -e; echo "envs: ${COMPREPLY[*]}"
COMP_WORDS=(kiln st); COMP_CWORD=1; COMP_LINE="kiln st"; COMP_POINT=${#COMP_LINE}
_clap_complete_kiln kiln st kiln; echo "commands: ${COMPREPLY[*]}""#,
    );
    assert!(out.contains("-F _clap_complete_kiln kiln"), "{out}");
    assert!(out.contains("envs: dev prod staging"), "{out}");
    assert!(out.contains("commands: status"), "{out}");
}

#[test]
fn zsh_loads_the_script_and_completes_environments() {
    // zsh completes only inside its line editor; the test loads the script and asks kiln
    // exactly as the script's function does.
    let out = shell(
        "zsh",
        r"autoload -Uz compinit && compinit -u
source <(kiln completions zsh)
whence -w _clap_dynamic_completer_kiln
_CLAP_IFS=$'\n' _CLAP_COMPLETE_INDEX=3 KILN_COMPLETE=zsh kiln -- kiln check -e p",
    );
    assert!(
        out.contains("_clap_dynamic_completer_kiln: function"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("prod")), "{out}");
    assert!(!out.contains("dev"), "{out}");
}

#[test]
fn fish_loads_the_script_and_completes_environments() {
    let out = shell(
        "fish",
        r#"kiln completions fish | source
complete -C"kiln re"
complete -C"kiln diff --base main -e "
complete -C"kiln render --format ""#,
    );
    let values: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    for expected in ["render", "dev", "prod", "staging", "yaml", "json"] {
        assert!(values.contains(&expected), "{expected} in {out}");
    }
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let result = run(kiln().arg("man"));
    assert_eq!((result.code, result.stderr.as_str()), (0, ""));
    assert!(
        result.stdout.contains(".TH kiln 1"),
        "{}",
        &result.stdout[..200]
    );
    for command in [
        "render",
        "check",
        "diff",
        "status",
        "schema",
        "argocd",
        "completions",
        "man",
    ] {
        assert!(
            result.stdout.contains(&format!("kiln\\-{command}(1)")),
            "{command}"
        );
    }
}

#[test]
fn explain_describes_a_field_and_refuses_an_unknown_one() {
    let result = run(kiln().args(["explain", "FlinkJob.spec.autoscaling.mode"]));
    assert_eq!((result.code, result.stderr.as_str()), (0, ""));
    assert!(
        result.stdout.starts_with("KIND:     FlinkJob\nFIELD:    spec.autoscaling.mode <string>\nDEFAULT:  \"disabled\"\nALLOWED:  disabled, reactive, hpa,"),
        "{}",
        result.stdout
    );
    let session = run(kiln().args(["explain", "FlinkSession.spec.taskManagers"]));
    assert_eq!((session.code, session.stderr.as_str()), (0, ""));
    assert!(
        session.stdout.starts_with("KIND:     FlinkSession\nFIELD:    spec.taskManagers <integer>\n")
            && session.stdout.ends_with("RENDERS:\n    FlinkDeployment spec.mode\n    FlinkDeployment spec.taskManager.replicas\n"),
        "{}",
        session.stdout
    );
    let tree = run(kiln().args(["explain", "modelpool", "--recursive"]));
    assert_eq!(tree.code, 0, "{}", tree.stderr);
    assert!(
        tree.stdout
            .contains("\n    autoscaling\t<PoolAutoscaling>\n      engine\t<string>\n"),
        "{}",
        tree.stdout
    );
    let unknown = run(kiln().args(["explain", "FlinkJob.spec.autoscale"]));
    assert_eq!(unknown.code, 2);
    assert!(unknown.stdout.is_empty());
    assert!(
        unknown
            .stderr
            .starts_with("kiln: FlinkJob has no field \"autoscale\" at spec; it has ")
            && unknown
                .stderr
                .trim_end()
                .ends_with("(did you mean \"autoscaling\"?)"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn fish_completes_kinds_and_fields_for_explain() {
    let out = shell(
        "fish",
        r#"kiln completions fish | source
complete -C"kiln explain Mo"
complete -C"kiln explain FlinkJob.spec.autos""#,
    );
    assert!(out.lines().any(|l| l.starts_with("ModelPool")), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("FlinkJob.spec.autoscaling")),
        "{out}"
    );
}
