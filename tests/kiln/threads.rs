//! Threads never change a render: a repository large enough for the parallel paths (parsing
//! and expansion split into chunks) renders to the same text and the same diagnostics on one
//! thread and on several, whether objects are kept whole or frozen as they are made.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use kiln::diagnostic::Diagnostic;
use kiln::emit;
use kiln::load::DiskFiles;
use kiln::render::{self, Keep, Options};

const KILN_YAML: &str = r#"apiVersion: kiln.dev/v1alpha1
kind: Config
defaults:
  namespace: ns
  timeZone: UTC
  flink: {image: "flink:1.19.3", flinkVersion: "1.19.3"}
  engines:
    vllm: {image: "vllm/vllm-openai:v0.11.0"}
defaultEnvironment: prod
environments:
  prod:
    labels: {env: prod}
    patches:
      - target: {kind: FlinkJob, name: "job-*7"}
        mergePatch: {spec: {resources: {profile: large}}}
      - target: {kind: FlinkDeployment, labelSelector: "team=t1"}
        jsonPatch:
          - {op: add, path: /spec/flinkConfiguration/patched, value: "yes"}
"#;

/// A root of `specs` specs (jobs of several types and modes, pools, services, a manifest
/// per folder), optionally with a few invalid ones.
fn repo(dir: &Path, specs: usize, broken: bool) {
    fs::write(dir.join("kiln.yaml"), KILN_YAML).unwrap();
    for i in 0..specs {
        let folder = dir.join(format!("team-{}", i / 50));
        fs::create_dir_all(&folder).unwrap();
        let mut text = match i % 5 {
            0..=2 => format!(
                "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: job-{i:03}, namespace: ns-{}, labels: {{team: t{}}}}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///a.jar\"}}\n  autoscaling: {}\n",
                i / 50,
                i % 3,
                [
                    "{mode: hpa_reactive, minReplicas: 1, maxReplicas: 4}",
                    "{mode: scheduled, preset: workday_peak}",
                    "{mode: disabled}"
                ][i % 3]
            ),
            3 => format!(
                "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata: {{name: pool-{i:03}, namespace: ns-{}}}\nspec:\n  engine: vllm\n  model: org/m-{i}\n  replicas: 3\n  assignments: {{production: 2}}\n  gpu: {{count: 1}}\n",
                i / 50
            ),
            _ => format!(
                "apiVersion: kiln.dev/v1alpha1\nkind: BusinessService\nmetadata: {{name: svc-{i:03}, namespace: ns-{}}}\nspec: {{pool: pool-{:03}, business: production}}\n",
                i / 50,
                i - 1
            ),
        };
        if broken && i % 97 == 0 {
            text.push_str("  paralelism: 2\n");
        }
        fs::write(folder.join(format!("s{i:03}.yaml")), text).unwrap();
        if i % 50 == 0 {
            let mut manifest = String::new();
            let _ = write!(
                manifest,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: ns-{}}}\ndata: {{a: \"no\"}}\n",
                i / 50
            );
            fs::write(folder.join("manifest.yaml"), manifest).unwrap();
        }
    }
}

fn render(root: &Path, threads: usize, keep: Keep) -> (String, Vec<Diagnostic>) {
    let options = Options {
        threads: Some(threads),
        keep,
        ..Options::default()
    };
    let loaded = render::load(root, &options).unwrap();
    let outcome = render::render(loaded, &DiskFiles::new(root.to_path_buf()), &options);
    (emit::yaml_stream(&outcome.objects), outcome.diagnostics)
}

#[test]
fn threads_never_change_the_output() {
    for broken in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        repo(&root, 400, broken);
        let (reference, diagnostics) = render(&root, 1, Keep::Values);
        if broken {
            // Five broken files: four unknown fields, a syntax error, and the Service whose
            // pool that error hides.
            assert_eq!(
                diagnostics.iter().filter(|d| d.is_error()).count(),
                6,
                "{diagnostics:?}"
            );
            // job-097 is patched (and far from the first chunk): its error says so.
            assert!(
                diagnostics
                    .iter()
                    .any(|d| d.file.as_deref() == Some("team-1/s097.yaml")
                        && d.hint
                            .as_deref()
                            .is_some_and(|h| h.contains("patched by environment"))),
                "{diagnostics:?}"
            );
        } else {
            assert!(diagnostics.is_empty(), "{diagnostics:?}");
            assert!(reference.matches("\n---\n").count() > 500);
            assert!(reference.contains("patched: \"yes\""));
        }
        for threads in [2, 3, 4] {
            for keep in [Keep::Values, Keep::Yaml] {
                let (text, again) = render(&root, threads, keep);
                assert!(
                    text == reference,
                    "{threads} threads, {keep:?}: output differs"
                );
                assert_eq!(again, diagnostics, "{threads} threads, {keep:?}");
            }
        }
    }
}
