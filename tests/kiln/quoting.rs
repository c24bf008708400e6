//! Strings that a YAML 1.1 reader would take for booleans, numbers, nulls or dates survive a
//! round trip through the real reader: `kubectl label --local -f FILE x=y -o json` decodes
//! kiln's output offline with sigs.k8s.io/yaml, as Argo CD and kubectl apply do.
//!
//! Requires kubectl (`.ci/run` installs the Debian package).

use std::fmt::Write as _;
use std::process::Command;

use serde_json::Value;

use crate::common::{kiln, run};

/// Values every YAML 1.1 reader mistakes for something else when unquoted.
const TRICKY: [&str; 24] = [
    "no",
    "on",
    "off",
    "y",
    "n",
    "yes",
    "No",
    "ON",
    "0755",
    "1e3",
    "null",
    "~",
    "2024-01-01",
    "1_000",
    "0x1F",
    "0o17",
    "12:30:45",
    "1.0",
    ".inf",
    "-.5",
    "+12",
    "true",
    "",
    "0b101",
];

/// The subset that is also a valid label value.
fn label_safe(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && value
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn quoted(value: &str) -> String {
    Value::String(value.to_string()).to_string()
}

/// kubectl's decoding of a YAML file, as JSON objects.
fn kubectl_reads(file: &std::path::Path) -> Vec<Value> {
    let output = Command::new("kubectl")
        .args(["label", "--local", "-f"])
        .arg(file)
        .args(["x=y", "-o", "json"])
        .env("KUBECONFIG", "/dev/null")
        .output()
        .expect("kubectl is required for this test: apt-get install kubectl");
    assert!(
        output.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    json_stream(&String::from_utf8(output.stdout).unwrap())
}

fn json_stream(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("kubectl prints JSON objects")
}

#[test]
fn tricky_strings_survive_the_yaml_1_1_reader() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("kiln.yaml"),
        "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults: {namespace: quoting}\n",
    )
    .unwrap();
    let mut env = String::new();
    let mut labels = String::new();
    for (i, value) in TRICKY.iter().enumerate() {
        let _ = writeln!(env, "    V{i}: {}", quoted(value));
        if label_safe(value) {
            let _ = writeln!(labels, "    l{i}: {}", quoted(value));
        }
    }
    let spec = format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata:\n  name: quoting\n  labels:\n{labels}spec:\n  type: jar\n  image: flink:1.19.3\n  flinkVersion: \"1.19.3\"\n  jar: {{uri: \"local:///opt/flink/a.jar\", args: [{}]}}\n  env:\n{env}  flinkConfiguration:\n    a.value: \"no\"\n",
        TRICKY
            .iter()
            .map(|v| quoted(v))
            .collect::<Vec<_>>()
            .join(", ")
    );
    std::fs::write(root.path().join("job.yaml"), spec).unwrap();
    let rendered = run(kiln().arg("render").arg(root.path()));
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let file = root.path().join("rendered.yaml");
    std::fs::write(&file, &rendered.stdout).unwrap();

    let objects = kubectl_reads(&file);
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "FlinkDeployment")
        .expect("a FlinkDeployment");

    let env = deployment["spec"]["podTemplate"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    for (i, value) in TRICKY.iter().enumerate() {
        let item = env.iter().find(|e| e["name"] == format!("V{i}")).unwrap();
        assert_eq!(
            item["value"],
            Value::String((*value).to_string()),
            "env V{i}"
        );
    }
    for (i, value) in TRICKY.iter().enumerate().filter(|(_, v)| label_safe(v)) {
        assert_eq!(
            deployment["metadata"]["labels"][format!("l{i}")],
            Value::String((*value).to_string()),
            "label l{i}"
        );
    }
    let args: Vec<&str> = deployment["spec"]["job"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().expect("every arg is a string"))
        .collect();
    assert_eq!(args, TRICKY);
    assert_eq!(deployment["spec"]["flinkConfiguration"]["a.value"], "no");
    assert_eq!(
        deployment["metadata"]["labels"]["x"], "y",
        "kubectl applied its label"
    );
}

/// A pass-through manifest written with YAML 1.1 scalars (`0644`, `yes`, `on`, `0x1F`,
/// `1_000`, merge keys) means after kiln what it means to kubectl read directly.
#[test]
fn plain_manifests_mean_what_kubectl_reads_in_them() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("kiln.yaml"),
        "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults: {namespace: quoting}\n",
    )
    .unwrap();
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: yaml11, namespace: quoting}\nspec:\n  replicas: 0x2\n  selector: {matchLabels: {app: yaml11}}\n  template:\n    metadata: {labels: {app: yaml11}}\n    spec:\n      containers:\n        - &main\n          name: main\n          image: busybox:1.36\n          tty: yes\n          stdin: on\n          stdinOnce: n\n          args: [0644, 0x1F, 1_000, 0b101, 0o17, 08, 1e3, .5, +12, yes, \"0644\", 1:20, 2001-12-14, -0]\n        - <<: *main\n          name: second\n          tty: off\n      volumes:\n        - name: v\n          secret: {secretName: s, defaultMode: 0644}\n";
    let input = root.path().join("deployment.yaml");
    std::fs::write(&input, manifest).unwrap();
    let rendered = run(kiln().arg("render").arg(root.path()));
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let output = tempfile::tempdir().unwrap();
    let file = output.path().join("rendered.yaml");
    std::fs::write(&file, &rendered.stdout).unwrap();
    let mut direct = kubectl_reads(&input).remove(0);
    let mut through_kiln = kubectl_reads(&file).remove(0);
    // kiln adds its provenance annotation and labels; the rest must be equal.
    for object in [&mut direct, &mut through_kiln] {
        object["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("annotations");
        object["metadata"].as_object_mut().unwrap().remove("labels");
    }
    assert_eq!(through_kiln, direct);
    let volume = &direct["spec"]["template"]["spec"]["volumes"][0]["secret"];
    assert_eq!(
        volume["defaultMode"], 420,
        "the test's input means what it should"
    );
    assert_eq!(
        direct["spec"]["template"]["spec"]["containers"][1]["tty"],
        false
    );
}
