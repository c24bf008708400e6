//! What every object that leaves kiln must be, however it was produced: a pass-through
//! manifest, a rendered object, or either after an environment patch. These are the checks
//! the API server makes on any object (names, namespace, labels, annotations) plus the
//! top-level fields of the core kinds that have no `spec`, so a patch cannot turn an object
//! into something `kubectl apply` refuses.

use serde_json::Value;

use crate::field_path::FieldPath;
use crate::names::{is_dns_label, is_dns_subdomain, label_problem};
use crate::validate::kube::{MAX_CONFIG_MAP_BYTES, config_key_problem};

/// The API server's limit on all annotations of one object together (256 KiB).
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Every problem with `object`, as (field, message).
pub fn problems(object: &Value) -> Vec<(FieldPath, String)> {
    let root = FieldPath::root();
    let Some(map) = object.as_object() else {
        return vec![(
            root,
            format!(
                "a Kubernetes object must be a mapping, not {}",
                describe(object)
            ),
        )];
    };
    let mut out = Vec::new();
    let string = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default();
    let api_version = string("apiVersion");
    if !is_api_version(api_version) {
        out.push((
            root.key("apiVersion"),
            format!(
                "apiVersion {} is not a version or group/version",
                shown(map.get("apiVersion"))
            ),
        ));
    }
    let kind = string("kind");
    if !is_kind(kind) {
        out.push((
            root.key("kind"),
            format!(
                "kind {} is not a kind name (a capital letter, then letters and digits)",
                shown(map.get("kind"))
            ),
        ));
    }
    let Some(metadata) = map.get("metadata").and_then(Value::as_object) else {
        out.push((
            root.key("metadata"),
            "metadata must be a mapping with a name".into(),
        ));
        return out;
    };
    let at = root.key("metadata");
    match metadata.get("name").and_then(Value::as_str) {
        Some(name) => {
            if let Some(problem) = name_problem(api_version, kind, name) {
                out.push((at.key("name"), problem));
            }
        }
        None => out.push((at.key("name"), "metadata.name must be a string".into())),
    }
    if let Some(namespace) = metadata.get("namespace")
        && !namespace.as_str().is_some_and(|n| is_dns_label(n, 63))
    {
        out.push((
            at.key("namespace"),
            format!(
                "namespace {} is not a DNS label (lower-case letters, digits and '-', at most 63)",
                shown(Some(namespace))
            ),
        ));
    }
    string_map(
        metadata.get("labels"),
        &at.key("labels"),
        &mut out,
        label_problem,
    );
    let mut annotation_bytes = 0;
    string_map(
        metadata.get("annotations"),
        &at.key("annotations"),
        &mut out,
        |key, value| {
            annotation_bytes += key.len() + value.len();
            label_problem(key, "").map(|_| format!("\"{key}\" is not a valid annotation key"))
        },
    );
    if annotation_bytes > MAX_ANNOTATIONS_BYTES {
        out.push((
            at.key("annotations"),
            format!("annotations hold {annotation_bytes} bytes; the API server allows {MAX_ANNOTATIONS_BYTES}"),
        ));
    }
    if api_version == "v1" && matches!(kind, "ConfigMap" | "Secret") {
        data_problems(map, &mut out);
    }
    if let Some(allowed) = top_level_fields(api_version, kind) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) && !COMMON.contains(&key.as_str()) {
                out.push((
                    root.key(key),
                    format!(
                        "{kind} has no field \"{key}\"; it has {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

const COMMON: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// The top-level fields of core kinds that have no `spec` (the ones a patch could dress up
/// as something else); `None` for every other kind.
fn top_level_fields(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    Some(match (api_version, kind) {
        ("v1", "ConfigMap") => &["data", "binaryData", "immutable"],
        ("v1", "Secret") => &["data", "stringData", "type", "immutable"],
        ("v1", "ServiceAccount") => &[
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        ("rbac.authorization.k8s.io/v1", "Role") => &["rules"],
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => &["rules", "aggregationRule"],
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => {
            &["subjects", "roleRef"]
        }
        _ => return None,
    })
}

/// A ConfigMap's or Secret's keys, and the 1 MiB the API server stores of its data.
fn data_problems(map: &serde_json::Map<String, Value>, out: &mut Vec<(FieldPath, String)>) {
    let mut bytes = 0;
    for field in ["data", "binaryData", "stringData"] {
        let Some(entries) = map.get(field).and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in entries {
            bytes += key.len() + value.as_str().map_or(0, str::len);
            if let Some(problem) = config_key_problem(key) {
                out.push((FieldPath::root().key(field).key(key), problem));
            }
        }
    }
    if bytes > MAX_CONFIG_MAP_BYTES {
        out.push((
            FieldPath::root(),
            format!("the object's data holds {bytes} bytes; the API server stores at most {MAX_CONFIG_MAP_BYTES}"),
        ));
    }
}

/// Check a mapping of strings (labels, annotations) with `problem` for each entry.
fn string_map(
    value: Option<&Value>,
    at: &FieldPath,
    out: &mut Vec<(FieldPath, String)>,
    mut problem: impl FnMut(&str, &str) -> Option<String>,
) {
    let Some(value) = value else { return };
    let Some(map) = value.as_object() else {
        out.push((
            at.clone(),
            format!("must be a mapping of strings, not {}", describe(value)),
        ));
        return;
    };
    for (key, value) in map {
        match value.as_str() {
            Some(text) => {
                if let Some(message) = problem(key, text) {
                    out.push((at.key(key), message));
                }
            }
            None => out.push((
                at.key(key),
                format!("must be a string, not {} (quote it)", describe(value)),
            )),
        }
    }
}

/// The API server's name rule for the kind: RBAC names are path segments, Namespaces and
/// Services DNS labels, everything else a DNS subdomain.
fn name_problem(api_version: &str, kind: &str, name: &str) -> Option<String> {
    let rbac = api_version.starts_with("rbac.authorization.k8s.io/");
    if rbac {
        return (name.is_empty() || name == "." || name == ".." || name.contains(['/', '%'])).then(
            || format!("name \"{name}\" is not a valid path segment (no '/', '%', '.' or '..')"),
        );
    }
    if api_version == "v1" && matches!(kind, "Namespace" | "Service") {
        return (!is_dns_label(name, 63)).then(|| {
            format!("name \"{name}\" is not a DNS label (lower-case letters, digits and '-', at most 63)")
        });
    }
    (!is_dns_subdomain(name)).then(|| {
        format!("name \"{name}\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253)")
    })
}

fn is_api_version(text: &str) -> bool {
    let version = match text.split_once('/') {
        Some((group, version)) => {
            if !is_dns_subdomain(group) {
                return false;
            }
            version
        }
        None => text,
    };
    is_dns_label(version, 63)
}

fn is_kind(text: &str) -> bool {
    text.len() <= 63
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "(missing)".into(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(other) => describe(other).into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn messages(object: &Value) -> Vec<String> {
        problems(object)
            .into_iter()
            .map(|(path, message)| format!("{path}: {message}"))
            .collect()
    }

    #[test]
    fn a_valid_object_has_no_problems() {
        assert!(messages(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a.b-c", "namespace": "ns", "labels": {"app.kubernetes.io/name": "x", "empty": ""}, "annotations": {"kiln.dev/source": "a b: c"}}, "spec": {}})).is_empty());
        assert!(messages(&json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:kiln"}, "rules": []})).is_empty());
    }

    #[test]
    fn what_a_patch_can_break_is_found() {
        assert_eq!(
            messages(&json!("text")),
            [": a Kubernetes object must be a mapping, not a string"]
        );
        assert_eq!(
            messages(&json!(7)),
            [": a Kubernetes object must be a mapping, not a number"]
        );
        assert_eq!(
            messages(
                &json!({"apiVersion": "v1", "metadata": {"name": "Bad_Name!", "labels": {"bad key!": "x", "n": 5}}})
            ),
            [
                "kind: kind (missing) is not a kind name (a capital letter, then letters and digits)",
                "metadata.name: name \"Bad_Name!\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253)",
                "metadata.labels[\"bad key!\"]: \"bad key!\" is not a valid label key",
                "metadata.labels.n: must be a string, not a number (quote it)",
            ]
        );
        assert_eq!(
            messages(
                &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}, "spec": {}})
            ),
            ["spec: Secret has no field \"spec\"; it has data, stringData, type, immutable"]
        );
        assert_eq!(
            messages(&json!({"apiVersion": "v1", "kind": "Pod"})),
            ["metadata: metadata must be a mapping with a name"]
        );
        assert_eq!(
            messages(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a.b", "namespace": "Prod"}})).len(),
            2
        );
    }
}
