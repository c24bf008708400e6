//! Pod fields the API server checks, checked up front so a spec that renders is one the
//! cluster accepts: environment variable names, Secret and ConfigMap keys and names,
//! tolerations (`k8s.io/kubernetes/pkg/apis/core/validation`).

use serde_json::{Map, Value};

use crate::diagnostic::Severity;
use crate::field_path::FieldPath;
use crate::names::{is_dns_subdomain, label_problem};

/// The API server's limit on a ConfigMap's or Secret's data (1 MiB).
pub const MAX_CONFIG_MAP_BYTES: usize = 1024 * 1024;

/// A Kubernetes minor version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// `1.29.3`, `v1.29`, `1.29.0-eks-1234`.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let bad = || format!("\"{text}\" is not a Kubernetes version (expected e.g. 1.29.3)");
        let trimmed = text.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor_text: String = parts
            .next()
            .ok_or_else(bad)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let minor = minor_text.parse().map_err(|_| bad())?;
        Ok(KubeVersion { major, minor })
    }
}

/// An environment variable name: every Kubernetes version refuses an empty name, `=` and
/// anything but printable ASCII; before 1.32 (RelaxedEnvironmentVariableValidation) it
/// also refuses what is not `[-._a-zA-Z][-._a-zA-Z0-9]*`, which is a warning here.
pub fn env_name_problem(name: &str) -> Option<(Severity, String)> {
    if name.is_empty() {
        return Some((
            Severity::Error,
            "an environment variable needs a name".into(),
        ));
    }
    if name.contains('=') || !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Some((
            Severity::Error,
            format!(
                "{name:?} is not a valid environment variable name: printable ASCII without '='"
            ),
        ));
    }
    let strict = name.starts_with(|c: char| c.is_ascii_alphabetic() || "-._".contains(c))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    (!strict).then(|| {
        (
            Severity::Warning,
            format!("environment variable name {name:?} is refused by Kubernetes before 1.32 (letters, digits, '-', '.', '_', not starting with a digit)"),
        )
    })
}

/// A key of a ConfigMap or Secret (`IsConfigMapKey`): letters, digits, `-`, `_`, `.`, at
/// most 253 characters, not `.` or `..`.
pub fn config_key_problem(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    (!ok).then(|| {
        format!("{key:?} is not a valid key (letters, digits, '-', '_' or '.', at most 253)")
    })
}

/// The problems of a Secret or ConfigMap reference `{name, key}`, with the field they are at.
pub fn key_ref_problems(name: &str, key: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !is_dns_subdomain(name) {
        out.push((
            "name",
            format!("{name:?} is not a valid name (a DNS subdomain)"),
        ));
    }
    if let Some(problem) = config_key_problem(key) {
        out.push(("key", problem));
    }
    out
}

/// The problems of an EnvVarSource (`valueFrom`), at paths below it.
pub fn env_source_problems(source: &Map<String, Value>) -> Vec<(FieldPath, String)> {
    let mut out = Vec::new();
    for kind in ["secretKeyRef", "configMapKeyRef"] {
        let Some(reference) = source.get(kind).and_then(Value::as_object) else {
            continue;
        };
        let text = |field: &str| reference.get(field).and_then(Value::as_str).unwrap_or("");
        for (field, problem) in key_ref_problems(text("name"), text("key")) {
            out.push((FieldPath::root().key(kind).key(field), problem));
        }
    }
    out
}

/// The problems of one environment variable (its name, its `valueFrom`), at paths below it.
pub fn env_var_problems(
    name: &str,
    value_from: Option<&Map<String, Value>>,
) -> Vec<(FieldPath, Severity, String)> {
    let mut out = Vec::new();
    if let Some((severity, problem)) = env_name_problem(name) {
        out.push((FieldPath::root().key("name"), severity, problem));
    }
    for (path, problem) in value_from.map(env_source_problems).unwrap_or_default() {
        let at = FieldPath::root().key("valueFrom").join(&path);
        out.push((at, Severity::Error, problem));
    }
    out
}

/// The problems of one toleration, at paths below it.
pub fn toleration_problems(toleration: &Map<String, Value>) -> Vec<(FieldPath, String)> {
    const FIELDS: [&str; 5] = ["key", "operator", "value", "effect", "tolerationSeconds"];
    let at = |field: &str| FieldPath::root().key(field);
    let mut out = Vec::new();
    for field in toleration.keys() {
        if !FIELDS.contains(&field.as_str()) {
            out.push((
                at(field),
                format!(
                    "a toleration has no field {field:?}; it has {}",
                    FIELDS.join(", ")
                ),
            ));
        }
    }
    let text = |field: &str| toleration.get(field).and_then(Value::as_str);
    let key = text("key").unwrap_or("");
    let operator = text("operator").unwrap_or("Equal");
    if !matches!(operator, "Equal" | "Exists") {
        out.push((
            at("operator"),
            format!("operator {operator:?} is not Equal or Exists"),
        ));
    }
    if !key.is_empty()
        && let Some(problem) = label_problem(key, "")
    {
        out.push((at("key"), problem));
    }
    if key.is_empty() && operator != "Exists" {
        out.push((
            at("operator"),
            "a toleration without a key must use operator Exists".into(),
        ));
    }
    match (operator, text("value").unwrap_or("")) {
        ("Exists", value) if !value.is_empty() => out.push((
            at("value"),
            "a toleration with operator Exists has no value".into(),
        )),
        (_, value) if !value.is_empty() && label_problem("k", value).is_some() => {
            out.push((at("value"), format!("{value:?} is not a valid label value")));
        }
        _ => {}
    }
    let effect = text("effect").unwrap_or("");
    if !matches!(effect, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        out.push((
            at("effect"),
            format!("effect {effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"),
        ));
    }
    if toleration.contains_key("tolerationSeconds") && effect != "NoExecute" {
        out.push((
            at("tolerationSeconds"),
            "tolerationSeconds applies only with effect NoExecute".into(),
        ));
    }
    out
}

/// The problems of a user's pod template (a FlinkJob's `podTemplate`): the env names and
/// sources of every container and init container, and the tolerations, at paths below it.
pub fn pod_template_problems(template: &Map<String, Value>) -> Vec<(FieldPath, Severity, String)> {
    let mut out = Vec::new();
    let Some(spec) = template.get("spec").and_then(Value::as_object) else {
        return out;
    };
    let at = FieldPath::root().key("spec");
    for list in ["containers", "initContainers"] {
        let containers = spec
            .get(list)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (i, container) in containers.iter().enumerate() {
            let env = container
                .get("env")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            for (j, var) in env.iter().enumerate() {
                let here = at.key(list).index(i).key("env").index(j);
                let name = var.get("name").and_then(Value::as_str).unwrap_or("");
                let source = var.get("valueFrom").and_then(Value::as_object);
                for (path, severity, problem) in env_var_problems(name, source) {
                    out.push((here.clone().join(&path), severity, problem));
                }
            }
        }
    }
    let tolerations = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, toleration) in tolerations.iter().enumerate() {
        let here = at.key("tolerations").index(i);
        match toleration.as_object() {
            Some(toleration) => {
                for (path, problem) in toleration_problems(toleration) {
                    out.push((here.clone().join(&path), Severity::Error, problem));
                }
            }
            None => out.push((
                here,
                Severity::Error,
                "a toleration must be a mapping".into(),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_name_problem("KAFKA_BOOTSTRAP"), None);
        assert_eq!(env_name_problem("a.b-c"), None);
        for bad in ["", "A=B", "NAÏVE", "TAB\t"] {
            assert_eq!(
                env_name_problem(bad).map(|p| p.0),
                Some(Severity::Error),
                "{bad}"
            );
        }
        assert_eq!(
            env_name_problem("1ST").map(|p| p.0),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn pod_templates() {
        let template = json!({"spec": {"containers": [{"name": "flink-main-container", "env": [{"name": "A=B", "value": "x"}, {"name": "OK", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "bad key"}}}]}], "tolerations": [{"key": "k", "operator": "Sometimes"}]}});
        let problems: Vec<String> = pod_template_problems(template.as_object().unwrap())
            .into_iter()
            .map(|(path, _, message)| format!("{path}: {message}"))
            .collect();
        assert_eq!(
            problems,
            [
                "spec.containers[0].env[0].name: \"A=B\" is not a valid environment variable name: printable ASCII without '='",
                "spec.containers[0].env[1].valueFrom.configMapKeyRef.key: \"bad key\" is not a valid key (letters, digits, '-', '_' or '.', at most 253)",
                "spec.tolerations[0].operator: operator \"Sometimes\" is not Equal or Exists",
            ]
        );
    }

    #[test]
    fn keys() {
        assert_eq!(config_key_problem("token.txt"), None);
        for bad in ["bad key", "", ".", "..", "a/b"] {
            assert!(config_key_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn tolerations() {
        let problems = |value: Value| {
            toleration_problems(value.as_object().unwrap())
                .into_iter()
                .map(|(path, message)| format!("{path}: {message}"))
                .collect::<Vec<_>>()
        };
        assert!(
            problems(
                json!({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"})
            )
            .is_empty()
        );
        assert_eq!(
            problems(
                json!({"key": "a", "operator": "Sometimes", "effect": "Always", "tolerationSeconds": 5, "colour": "red"})
            ),
            [
                "colour: a toleration has no field \"colour\"; it has key, operator, value, effect, tolerationSeconds",
                "operator: operator \"Sometimes\" is not Equal or Exists",
                "effect: effect \"Always\" is not NoSchedule, PreferNoSchedule or NoExecute",
                "tolerationSeconds: tolerationSeconds applies only with effect NoExecute",
            ]
        );
        assert_eq!(
            problems(json!({"operator": "Equal", "value": "x"})).len(),
            1
        );
    }
}
