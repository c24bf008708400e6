//! Every custom resource kiln renders (fixtures, examples and what `kiln init` creates) is
//! valid for its CRD, with unknown fields rejected: FlinkDeployment (Flink operator 1.15.0),
//! ScaledObject (KEDA 2.20.2), PodMonitor (Prometheus Operator v0.93.0).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::{case_dirs, documents, kiln, project_dir, read, run};

/// `(kind, apiVersion, CRD file under schemas/upstream)`.
const CRDS: [(&str, &str, &str); 6] = [
    (
        "FlinkDeployment",
        "flink.apache.org/v1beta1",
        "flinkdeployments.flink.apache.org-v1.yml",
    ),
    (
        "ScaledObject",
        "keda.sh/v1alpha1",
        "keda.sh_scaledobjects.yaml",
    ),
    (
        "PodMonitor",
        "monitoring.coreos.com/v1",
        "monitoring.coreos.com_podmonitors.yaml",
    ),
    (
        "FlinkSessionJob",
        "flink.apache.org/v1beta1",
        "flinksessionjobs.flink.apache.org-v1.yml",
    ),
    (
        "FlinkStateSnapshot",
        "flink.apache.org/v1beta1",
        "flinkstatesnapshots.flink.apache.org-v1.yml",
    ),
    (
        "FlinkBlueGreenDeployment",
        "flink.apache.org/v1beta1",
        "flinkbluegreendeployments.flink.apache.org-v1.yml",
    ),
];

fn crd(file: &str) -> Value {
    let path = project_dir().join("schemas/upstream").join(file);
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// Forbid unknown fields in every object schema that lists its properties, except where the
/// CRD says unknown fields are kept.
fn close(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserves {
        map.insert("additionalProperties".into(), json!(false));
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" => {
                if let Value::Object(children) = child {
                    children.values_mut().for_each(close);
                }
            }
            _ => match child {
                Value::Array(items) => items.iter_mut().for_each(close),
                other => close(other),
            },
        }
    }
}

fn validators() -> &'static BTreeMap<&'static str, jsonschema::Validator> {
    static VALIDATORS: OnceLock<BTreeMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        CRDS.iter()
            .map(|(kind, api_version, file)| {
                let crd = crd(file);
                let version = api_version.rsplit('/').next().unwrap();
                let versions = crd["spec"]["versions"].as_array().unwrap();
                let entry = versions
                    .iter()
                    .find(|v| v["name"] == version)
                    .expect("the CRD serves the version kiln renders");
                let mut schema = entry["schema"]["openAPIV3Schema"].clone();
                // The API server validates these itself; the CRD schema leaves them out.
                let properties = schema["properties"]
                    .as_object_mut()
                    .expect("root properties");
                properties.insert(
                    "apiVersion".into(),
                    json!({"type": "string", "enum": [api_version]}),
                );
                properties.insert("kind".into(), json!({"type": "string", "enum": [kind]}));
                properties.insert("metadata".into(), json!({"type": "object"}));
                close(&mut schema);
                let validator = jsonschema::draft7::new(&schema).expect("the CRD schema compiles");
                (*kind, validator)
            })
            .collect()
    })
}

fn violations(object: &Value) -> Vec<String> {
    let kind = object["kind"].as_str().unwrap_or_default();
    validators()[kind]
        .iter_errors(object)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Rendered output of every fixture and example that renders successfully.
fn rendered_outputs() -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    for (name, dir) in case_dirs("fixtures") {
        if let Some(text) = read(&dir.join("expected.yaml")) {
            outputs.push((format!("fixtures/{name}"), text));
        }
    }
    for (name, dir) in case_dirs("examples") {
        if !dir.join("kiln.yaml").is_file() {
            continue;
        }
        let result = run(kiln().arg("render").arg(&dir));
        assert_eq!(
            result.code, 0,
            "examples/{name} does not render:\n{}",
            result.stderr
        );
        outputs.push((format!("examples/{name}"), result.stdout));
    }
    // The root `kiln init` creates, in both its environments.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    assert_eq!(run(kiln().arg("init").arg(&root)).code, 0, "kiln init");
    for env in ["dev", "prod"] {
        let result = run(kiln().args(["render", "-e", env]).arg(&root));
        assert_eq!(
            result.code, 0,
            "kiln init's root does not render:\n{}",
            result.stderr
        );
        outputs.push((format!("kiln init ({env})"), result.stdout));
    }
    outputs
}

#[test]
fn every_rendered_custom_resource_matches_its_crd() {
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, text) in rendered_outputs() {
        for doc in documents(&text) {
            let Some((kind, _, _)) = CRDS.iter().find(|(k, _, _)| doc["kind"] == *k) else {
                continue;
            };
            *checked.entry(kind).or_default() += 1;
            let errors = violations(&doc);
            if !errors.is_empty() {
                failures.push(format!("{name} {}: {errors:?}", doc["metadata"]["name"]));
            }
        }
    }
    let count = |kind: &str| checked.get(kind).copied().unwrap_or(0);
    assert!(count("FlinkDeployment") >= 30, "{checked:?}");
    assert!(count("ScaledObject") >= 1, "{checked:?}");
    assert!(count("PodMonitor") >= 3, "{checked:?}");
    assert!(count("FlinkStateSnapshot") >= 3, "{checked:?}");
    assert!(count("FlinkBlueGreenDeployment") >= 1, "{checked:?}");
    assert!(count("FlinkSessionJob") >= 4, "{checked:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_closed_keda_and_prometheus_schemas_reject_misspelt_fields() {
    let mut scaled = json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "a"},
        "spec": {"scaleTargetRef": {"name": "d"}, "minReplicaCount": 1, "maxReplicaCount": 2,
                 "triggers": [{"type": "prometheus", "metadata": {"query": "q"}}]}
    });
    assert!(violations(&scaled).is_empty(), "{:?}", violations(&scaled));
    scaled["spec"]["minReplicas"] = json!(1);
    assert_eq!(violations(&scaled).len(), 1);
    let mut monitor = json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "a"},
        "spec": {"selector": {}, "podMetricsEndpoints": [{"port": "http"}]}
    });
    assert!(
        violations(&monitor).is_empty(),
        "{:?}",
        violations(&monitor)
    );
    monitor["spec"]["podMetricsEndpoints"][0]["paht"] = json!("/metrics");
    assert_eq!(violations(&monitor).len(), 1);
}

#[test]
fn the_closed_schema_rejects_a_misspelt_field() {
    let mut doc = json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "a"},
        "spec": {"image": "flink:1.19", "flinkVersion": "v1_19",
                 "job": {"jarURI": "local:///a.jar", "parallelism": 1},
                 "taskManager": {"resource": {"cpu": 1, "memory": "1024m"}}}
    });
    assert!(violations(&doc).is_empty(), "{:?}", violations(&doc));
    doc["spec"]["taskManager"]["resources"] = json!({"cpu": 1});
    assert_eq!(violations(&doc).len(), 1);
    doc["spec"]["taskManager"]
        .as_object_mut()
        .unwrap()
        .remove("resources");
    doc["spec"]["podTemplate"] =
        json!({"spec": {"containers": [{"name": "flink-main-container", "evn": []}]}});
    assert_eq!(
        violations(&doc).len(),
        1,
        "unknown field in the pod template"
    );
}

#[test]
fn supported_flink_versions_are_the_crd_enum() {
    let crd = crd(CRDS[0].2);
    let enum_values: Vec<String> =
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["flinkVersion"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    let ours: Vec<String> = kiln::kinds::flink_job::version::SUPPORTED_FLINK_VERSIONS
        .iter()
        .map(|(a, b)| format!("v{a}_{b}"))
        .collect();
    assert_eq!(ours, enum_values);
}

/// The test objects of kiln's Argo CD health checks (deploy/argocd/health/) are objects the
/// operator could have written: each, status included, matches its CRD with unknown fields
/// rejected.
#[test]
fn health_check_test_data_matches_the_crds() {
    let root = project_dir().join("deploy/argocd/health/flink.apache.org");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (kind, _, _) in &CRDS[3..] {
        let dir = root.join(kind).join("testdata");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let object: Value = serde_saphyr::from_str(&read(&file).unwrap()).unwrap();
            assert_eq!(object["kind"], *kind, "{}", file.display());
            let errors = violations(&object);
            if !errors.is_empty() {
                failures.push(format!("{}: {errors:?}", file.display()));
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
