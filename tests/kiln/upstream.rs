//! Equivalence with the Flink operator's own examples: the kiln specs in `examples/upstream/`
//! render the same jobs as the upstream FlinkDeployments vendored in `tests/data/upstream/`
//! (image, flinkVersion, mode, job, resources, and every upstream Flink configuration key).
//!
//! Two deliberate differences are normalized, not ignored:
//! - Flink keys are compared by meaning: upstream's deprecated `state.checkpoints.dir` /
//!   `state.savepoints.dir` on Flink 2.x are kiln's `execution.checkpointing.dir` /
//!   `execution.checkpointing.savepoint-dir`, `high-availability` is `high-availability.type`,
//!   and the HA factory class is the `kubernetes` shorthand; values compare case-insensitively.
//! - The SQL example bakes its script into the image; kiln ships it in a ConfigMap, so the
//!   runner's one argument is the mounted script's path.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{documents, kiln, project_dir, run};

const CASES: [(&str, &str); 5] = [
    ("basic.yaml", "basic-example"),
    ("basic-reactive.yaml", "basic-reactive-example"),
    ("python-example.yaml", "python-example"),
    ("sql-example.yaml", "sql-example"),
    ("autoscaling.yaml", "autoscaling-example"),
];

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn canonical(key: &str, value: &str) -> (String, String) {
    let key = match key {
        "state.checkpoints.dir" => "execution.checkpointing.dir",
        "state.savepoints.dir" => "execution.checkpointing.savepoint-dir",
        "high-availability" => "high-availability.type",
        other => other,
    };
    let value = match value {
        "org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory" => {
            "kubernetes".to_string()
        }
        other => other.to_lowercase(),
    };
    (key.to_string(), value)
}

fn configuration(deployment: &Value) -> BTreeMap<String, String> {
    let mut flat = BTreeMap::new();
    flatten("", &deployment["spec"]["flinkConfiguration"], &mut flat);
    flat.iter().map(|(k, v)| canonical(k, v)).collect()
}

fn or(value: &Value, default: &str) -> Value {
    if value.is_null() {
        Value::String(default.to_string())
    } else {
        value.clone()
    }
}

#[test]
fn kiln_renders_the_operator_examples() {
    let result = run(kiln()
        .arg("render")
        .arg(project_dir().join("examples/upstream")));
    assert_eq!(result.code, 0, "{}", result.stderr);
    let rendered = documents(&result.stdout);
    for (file, name) in CASES {
        let text =
            std::fs::read_to_string(project_dir().join("tests/data/upstream").join(file)).unwrap();
        let upstream = documents(&text)
            .into_iter()
            .find(|d| d["kind"] == "FlinkDeployment")
            .unwrap();
        let ours = rendered
            .iter()
            .find(|d| d["kind"] == "FlinkDeployment" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("kiln renders no FlinkDeployment {name}"));
        let (u, o) = (&upstream["spec"], &ours["spec"]);
        for field in ["image", "flinkVersion", "serviceAccount"] {
            assert_eq!(o[field], u[field], "{name}: spec.{field}");
        }
        assert_eq!(o["mode"], or(&u["mode"], "native"), "{name}: spec.mode");
        for field in ["jarURI", "entryClass", "parallelism", "upgradeMode"] {
            assert_eq!(o["job"][field], u["job"][field], "{name}: spec.job.{field}");
        }
        assert_eq!(
            o["job"]["state"],
            or(&u["job"]["state"], "running"),
            "{name}: spec.job.state"
        );
        for manager in ["jobManager", "taskManager"] {
            let (ur, or_) = (&u[manager]["resource"], &o[manager]["resource"]);
            assert_eq!(or_["memory"], ur["memory"], "{name}: {manager} memory");
            assert_eq!(
                or_["cpu"].as_f64(),
                ur["cpu"].as_f64(),
                "{name}: {manager} cpu"
            );
        }
        if name == "sql-example" {
            let args = o["job"]["args"].as_array().unwrap();
            assert_eq!(args.len(), u["job"]["args"].as_array().unwrap().len());
            let script = args[0].as_str().unwrap();
            let mount = &o["podTemplate"]["spec"]["containers"][0]["volumeMounts"][0];
            assert!(
                std::path::Path::new(script)
                    .extension()
                    .is_some_and(|e| e == "sql")
                    && script.starts_with(mount["mountPath"].as_str().unwrap())
            );
        } else {
            assert_eq!(o["job"]["args"], u["job"]["args"], "{name}: spec.job.args");
        }
        if !u["podTemplate"].is_null() {
            assert_eq!(
                o["podTemplate"], u["podTemplate"],
                "{name}: spec.podTemplate"
            );
        }
        let (theirs, mine) = (configuration(&upstream), configuration(ours));
        for (key, value) in &theirs {
            // kiln writes durations in units every Flink reads (`1m` → `1min`): the same time.
            let same = mine.get(key) == Some(value)
                || (key == "execution.checkpointing.interval"
                    && mine.get(key).and_then(|m| flink_seconds(m)) == flink_seconds(value));
            assert!(
                same,
                "{name}: flinkConfiguration {key} = {value:?}\nkiln: {mine:#?}"
            );
        }
    }
}

/// A Flink duration (`1m`, `1min`, `30 s`, `6h`, `2d`) in seconds, as Flink's TimeUtils reads
/// the units kiln and the operator's examples use.
fn flink_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..split].parse().ok()?;
    let unit = match text[split..].trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    Some(number * unit)
}
