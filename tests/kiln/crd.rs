//! Every FlinkDeployment kiln renders (fixtures and examples) is valid for the Flink
//! operator 1.15.0 CRD, with unknown fields rejected.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::{case_dirs, documents, kiln, project_dir, read, run};

fn crd() -> Value {
    let path = project_dir().join("schemas/upstream/flinkdeployments.flink.apache.org-v1.yml");
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

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let mut schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
        // The API server validates these itself; the CRD schema leaves them out.
        let properties = schema["properties"]
            .as_object_mut()
            .expect("root properties");
        properties.insert(
            "apiVersion".into(),
            json!({"type": "string", "enum": ["flink.apache.org/v1beta1"]}),
        );
        properties.insert(
            "kind".into(),
            json!({"type": "string", "enum": ["FlinkDeployment"]}),
        );
        properties.insert("metadata".into(), json!({"type": "object"}));
        close(&mut schema);
        jsonschema::draft7::new(&schema).expect("the CRD schema compiles")
    })
}

fn violations(object: &Value) -> Vec<String> {
    validator()
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
    outputs
}

#[test]
fn every_rendered_flink_deployment_matches_the_operator_crd() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, text) in rendered_outputs() {
        for doc in documents(&text) {
            if doc["kind"] != "FlinkDeployment" {
                continue;
            }
            checked += 1;
            let errors = violations(&doc);
            if !errors.is_empty() {
                failures.push(format!("{name} {}: {errors:?}", doc["metadata"]["name"]));
            }
        }
    }
    assert!(checked >= 30, "only {checked} FlinkDeployments checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
    let crd = crd();
    let enum_values: Vec<String> =
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["flinkVersion"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    let ours: Vec<String> = kiln::catalog::SUPPORTED_FLINK_VERSIONS
        .iter()
        .map(|(a, b)| format!("v{a}_{b}"))
        .collect();
    assert_eq!(ours, enum_values);
}
