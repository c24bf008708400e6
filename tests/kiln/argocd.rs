//! The Argo CD config-management plugin contract, exercised the way argocd-cmp-server runs
//! the plugin: the repository copied into a fresh folder, `kiln argocd generate` executed
//! without a shell in the app's folder, with the `ARGOCD_APP_*`, `KUBE_*`, `ARGOCD_ENV_*`,
//! `ARGOCD_APP_PARAMETERS` and `PARAM_*` variables and nothing else of the test's
//! environment; stdout read as Argo CD reads it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Run, kiln, project_dir, run};

/// A fresh copy of the repository layout Argo CD would check out: the example under
/// `apps/lemo` of a repo root.
fn checkout() -> (tempfile::TempDir, PathBuf) {
    let repo = tempfile::tempdir().unwrap();
    let app = repo.path().join("apps/lemo");
    copy_tree(&project_dir().join("examples/lemo"), &app);
    (repo, app)
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap().path();
        let target = to.join(entry.file_name().unwrap());
        if entry.is_dir() {
            copy_tree(&entry, &target);
        } else {
            fs::copy(&entry, &target).unwrap();
        }
    }
}

/// The variables argocd-cmp-server sets for every generate call.
fn standard(app: &Path) -> Vec<(String, String)> {
    [
        ("ARGOCD_APP_NAME", "lemo-dev"),
        ("ARGOCD_APP_NAMESPACE", "argocd-destination"),
        ("ARGOCD_APP_REVISION", "0123456789abcdef0123456789abcdef01234567"),
        ("ARGOCD_APP_SOURCE_PATH", "apps/lemo"),
        ("ARGOCD_APP_SOURCE_REPO_URL", "https://git.example.com/platform/gitops.git"),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD"),
        ("KUBE_VERSION", "1.29.3"),
        (
            "KUBE_API_VERSIONS",
            "v1,apps/v1,batch/v1,autoscaling/v2,rbac.authorization.k8s.io/v1,networking.k8s.io/v1,flink.apache.org/v1beta1,flink.apache.org/v1beta1/FlinkDeployment",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain(std::iter::once(("PWD".to_string(), app.display().to_string())))
    .collect()
}

fn generate(app: &Path, extra: &[(&str, &str)]) -> Run {
    let mut command = kiln();
    command.args(["argocd", "generate"]).current_dir(app);
    command.envs(standard(app));
    for (k, v) in extra {
        command.env(k, v);
    }
    run(&mut command)
}

/// Read stdout as Argo CD does: a YAML stream in which every document is an object with
/// apiVersion, kind and metadata.name; no empty documents.
fn argo_manifests(stdout: &str) -> Vec<Value> {
    assert!(!stdout.trim().is_empty(), "empty output");
    for (i, chunk) in stdout.split("\n---\n").enumerate() {
        assert!(
            !chunk.trim().trim_start_matches("---").trim().is_empty(),
            "empty document #{i}"
        );
    }
    let docs: Vec<Value> = serde_saphyr::from_multiple(stdout).expect("a YAML stream");
    for doc in &docs {
        for field in ["/apiVersion", "/kind", "/metadata/name"] {
            assert!(
                doc.pointer(field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{field} missing in {doc}"
            );
        }
    }
    docs
}

/// A named case: extra variables and what to expect.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

fn namespaces(docs: &[Value]) -> Vec<String> {
    let mut set: Vec<String> = docs
        .iter()
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(str::to_string))
        .collect();
    set.sort();
    set.dedup();
    set
}

#[test]
fn generate_renders_the_chosen_environment_for_every_parameter_shape() {
    let (_repo, app) = checkout();
    let cases: [Case<'_>; 7] = [
        ("parameters absent, no PARAM_*: default", vec![], "lemo-dev"),
        (
            "parameters absent, PARAM_ENVIRONMENT",
            vec![("PARAM_ENVIRONMENT", "prod")],
            "lemo-prod",
        ),
        (
            "parameters null",
            vec![("ARGOCD_APP_PARAMETERS", "null")],
            "lemo-dev",
        ),
        (
            "parameters []",
            vec![("ARGOCD_APP_PARAMETERS", "[]")],
            "lemo-dev",
        ),
        (
            "parameters list",
            vec![(
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"environment","string":"prod"},{"name":"strict","string":"false"}]"#,
            )],
            "lemo-prod",
        ),
        (
            "ARGOCD_ENV_KILN_ENV",
            vec![("ARGOCD_ENV_KILN_ENV", "prod")],
            "lemo-prod",
        ),
        (
            "parameter wins over ARGOCD_ENV_KILN_ENV",
            vec![
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"environment","string":"dev"}]"#,
                ),
                ("ARGOCD_ENV_KILN_ENV", "prod"),
            ],
            "lemo-dev",
        ),
    ];
    for (name, extra, namespace) in cases {
        let result = generate(&app, &extra);
        assert_eq!(result.code, 0, "{name}: {}", result.stderr);
        assert!(result.stderr.is_empty(), "{name}: {}", result.stderr);
        let docs = argo_manifests(&result.stdout);
        assert_eq!(namespaces(&docs), [namespace], "{name}");
        let expected = fs::read_to_string(project_dir().join(format!(
            "fixtures/example-lemo-{}/expected.yaml",
            namespace.trim_start_matches("lemo-")
        )))
        .unwrap();
        assert_eq!(
            result.stdout, expected,
            "{name}: same output as kiln render -e"
        );
    }
}

#[test]
fn concurrent_runs_agree_and_write_nothing() {
    let (repo, app) = checkout();
    let snapshot = |root: &Path| -> BTreeMap<String, (u64, std::time::SystemTime)> {
        walk(root)
            .into_iter()
            .map(|p| {
                let meta = fs::metadata(&p).unwrap();
                (
                    p.display().to_string(),
                    (meta.len(), meta.modified().unwrap()),
                )
            })
            .collect()
    };
    let before = snapshot(repo.path());
    let outputs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let app = app.clone();
                scope.spawn(move || {
                    let env = if i % 2 == 0 { "dev" } else { "prod" };
                    let result = generate(&app, &[("ARGOCD_ENV_KILN_ENV", env)]);
                    assert_eq!(result.code, 0, "{}", result.stderr);
                    format!("{env}\n{}", result.stdout)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for output in &outputs {
        let same_env: Vec<&String> = outputs
            .iter()
            .filter(|o| o.lines().next() == output.lines().next())
            .collect();
        assert!(
            same_env.iter().all(|o| *o == output),
            "concurrent runs differ"
        );
    }
    assert_eq!(
        snapshot(repo.path()),
        before,
        "generate wrote into the checkout"
    );
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

#[test]
fn destination_namespace_is_the_last_fallback() {
    let repo = tempfile::tempdir().unwrap();
    fs::write(repo.path().join("kiln.yaml"), "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\nenvironments:\n  dev: {}\n  prod: {namespace: prod-ns}\n").unwrap();
    fs::write(repo.path().join("job.yaml"), "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {name: a}\nspec: {type: jar, jar: {uri: \"local:///a.jar\"}}\n").unwrap();
    let dev = generate(repo.path(), &[("ARGOCD_ENV_KILN_ENV", "dev")]);
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    assert_eq!(
        namespaces(&argo_manifests(&dev.stdout)),
        ["argocd-destination"]
    );
    let prod = generate(repo.path(), &[("ARGOCD_ENV_KILN_ENV", "prod")]);
    assert_eq!(
        namespaces(&argo_manifests(&prod.stdout)),
        ["prod-ns"],
        "the environment's namespace wins"
    );
}

#[test]
fn failures_are_short_and_leave_stdout_empty() {
    let (_repo, app) = checkout();
    let huge = "x".repeat(100_000);
    let cases: [Case<'_>; 8] = [
        (
            "huge environment name",
            vec![("ARGOCD_ENV_KILN_ENV", huge.as_str())],
            "unknown environment \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (100000 bytes)\"",
        ),
        (
            "parameters that are not objects",
            vec![("ARGOCD_APP_PARAMETERS", "[\"prod\"]")],
            "ARGOCD_APP_PARAMETERS must list objects with a name",
        ),
        (
            "a cluster without autoscaling/v2",
            vec![("KUBE_VERSION", "1.20")],
            "HorizontalPodAutoscaler autoscaling/v2 needs Kubernetes 1.23 or later; the target cluster is 1.20",
        ),
        (
            "unknown environment",
            vec![("ARGOCD_ENV_KILN_ENV", "staging")],
            "unknown environment \"staging\"; kiln.yaml defines dev, prod",
        ),
        (
            "old cluster",
            vec![("KUBE_VERSION", "1.26.9")],
            "CronJob timeZone needs Kubernetes 1.27 or later; the target cluster is 1.26",
        ),
        (
            "bad parameters",
            vec![("ARGOCD_APP_PARAMETERS", "{not json")],
            "ARGOCD_APP_PARAMETERS is not JSON",
        ),
        (
            "bad strict",
            vec![("PARAM_STRICT", "maybe")],
            "parameter strict must be true or false",
        ),
        (
            "bad KUBE_VERSION",
            vec![("KUBE_VERSION", "latest")],
            "KUBE_VERSION",
        ),
    ];
    for (name, extra, message) in cases {
        let result = generate(&app, &extra);
        assert_ne!(result.code, 0, "{name}");
        assert!(result.stdout.is_empty(), "{name}: stdout must stay empty");
        assert!(result.stderr.contains(message), "{name}: {}", result.stderr);
        assert!(
            result.stderr.len() < 4096,
            "{name}: stderr is {} bytes",
            result.stderr.len()
        );
        assert!(
            result.stderr.lines().count() <= 12,
            "{name}: stderr is not short:\n{}",
            result.stderr
        );
    }
}

#[test]
fn missing_operator_is_a_warning_and_strict_fails_on_it() {
    let (_repo, app) = checkout();
    let apis = ("KUBE_API_VERSIONS", "v1,apps/v1,batch/v1,autoscaling/v2");
    let relaxed = generate(&app, &[apis]);
    assert_eq!(relaxed.code, 0);
    assert!(
        relaxed
            .stderr
            .contains("does not serve flink.apache.org/v1beta1/FlinkDeployment"),
        "{}",
        relaxed.stderr
    );
    argo_manifests(&relaxed.stdout);
    let strict = generate(
        &app,
        &[
            apis,
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"strict","string":"true"}]"#,
            ),
        ],
    );
    assert_eq!(strict.code, 1);
    assert!(strict.stdout.is_empty());
}

#[test]
fn an_empty_app_is_an_error() {
    let repo = tempfile::tempdir().unwrap();
    fs::write(
        repo.path().join("kiln.yaml"),
        "apiVersion: kiln.dev/v1alpha1\nkind: Config\n",
    )
    .unwrap();
    let result = generate(repo.path(), &[]);
    assert_eq!(result.code, 1);
    assert!(result.stdout.is_empty());
    assert!(result.stderr.contains("nothing to render"));
}

#[test]
fn params_are_parameter_announcements() {
    let (_repo, app) = checkout();
    let result = run(kiln().args(["argocd", "params"]).current_dir(&app));
    assert_eq!(result.code, 0, "{}", result.stderr);
    let announcements: Value = serde_json::from_str(&result.stdout).unwrap();
    let list = announcements.as_array().expect("a JSON list");
    let names: Vec<&str> = list.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["environment", "strict"]);
    for a in list {
        for field in [
            "name",
            "title",
            "tooltip",
            "itemType",
            "collectionType",
            "string",
        ] {
            assert!(a[field].is_string(), "{field} must be a string in {a}");
        }
        assert!(
            a["required"].is_boolean(),
            "required must be a boolean in {a}"
        );
        let allowed = [
            "name",
            "title",
            "tooltip",
            "required",
            "itemType",
            "collectionType",
            "string",
            "array",
            "map",
        ];
        for key in a.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "{key} is not a ParameterAnnouncement field"
            );
        }
    }
    assert_eq!(list[0]["string"], "dev");
    assert!(list[0]["tooltip"].as_str().unwrap().contains("dev, prod"));
}

#[test]
fn plugin_yaml_follows_argo_cd_rules() {
    let text = fs::read_to_string(project_dir().join("plugin.yaml")).unwrap();
    let plugin: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "kiln");
    let spec = &plugin["spec"];
    assert_eq!(spec["discover"]["fileName"], "kiln.yaml");
    assert_eq!(
        spec["generate"]["command"],
        serde_json::json!(["kiln", "argocd", "generate"])
    );
    assert_eq!(
        spec["parameters"]["dynamic"]["command"],
        serde_json::json!(["kiln", "argocd", "params"])
    );
    let allowed_spec = [
        "version",
        "init",
        "generate",
        "discover",
        "parameters",
        "preserveFileMode",
        "provideGitCreds",
    ];
    for key in spec.as_object().unwrap().keys() {
        assert!(
            allowed_spec.contains(&key.as_str()),
            "spec.{key} is not a ConfigManagementPlugin field"
        );
    }
    for announcement in spec["parameters"]["static"].as_array().unwrap() {
        assert!(announcement["name"].is_string());
        assert!(announcement["required"].is_boolean());
        assert!(announcement["collectionType"].is_string());
    }
}

#[test]
fn deploy_files_wire_the_sidecar_as_argo_cd_requires() {
    let read =
        |name: &str| fs::read_to_string(project_dir().join("deploy/argocd").join(name)).unwrap();
    let patch: Value = serde_saphyr::from_str(&read("repo-server-patch.yaml")).unwrap();
    let pod = &patch["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        container["command"],
        serde_json::json!(["/var/run/argocd/argocd-cmp-server"])
    );
    assert_eq!(container["securityContext"]["runAsUser"], 999);
    let mounts: BTreeMap<&str, &str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap(),
                m["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(mounts["/var/run/argocd"], "var-files");
    assert_eq!(mounts["/home/argocd/cmp-server/plugins"], "plugins");
    let tmp = mounts["/tmp"];
    assert_ne!(
        tmp, "tmp",
        "the sidecar needs its own /tmp, not the repo server's"
    );
    assert!(
        pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == tmp && v["emptyDir"].is_object())
    );

    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("COPY plugin.yaml /home/argocd/cmp-server/config/plugin.yaml"));
    assert!(dockerfile.contains("USER 999"));

    let app: Value = serde_saphyr::from_str(&read("application.yaml")).unwrap();
    let source = &app["spec"]["source"];
    assert_eq!(source["plugin"]["name"], "kiln");
    assert!(
        project_dir()
            .join(source["path"].as_str().unwrap())
            .join("kiln.yaml")
            .is_file()
    );

    let set: Value = serde_saphyr::from_str(&read("applicationset.yaml")).unwrap();
    let mut environments: Vec<&str> = set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    environments.sort_unstable();
    let config: Value = serde_saphyr::from_str(
        &fs::read_to_string(project_dir().join("examples/lemo/kiln.yaml")).unwrap(),
    )
    .unwrap();
    let defined: Vec<&str> = config["environments"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        environments, defined,
        "one Application per environment of kiln.yaml"
    );
    assert_eq!(
        set["spec"]["template"]["spec"]["source"]["plugin"]["parameters"][0]["name"],
        "environment"
    );
}
