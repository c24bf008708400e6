//! `kiln explain KIND[.field…] [--recursive]`: a kind or field described as `kubectl
//! explain` describes one — type, default, allowed values, description and the fields below
//! it — read from the committed JSON Schemas that `kiln schema` prints, so the CLI, editors
//! and the docs have one source.

use std::fmt::Write as _;

use serde_json::Value;

use crate::kinds::Kind;
use crate::schema;

/// How deep `--recursive` goes (the schemas nest about six levels).
const MAX_DEPTH: usize = 12;

/// The text for `path` (`FlinkJob.spec.autoscaling`), or an error saying what is wrong with
/// it (with a "did you mean").
pub fn explain(path: &str, recursive: bool) -> Result<String, String> {
    let (kind, root, node, fields) = walk(path)?;
    let mut out = String::new();
    let _ = writeln!(out, "KIND:     {}", kind.name());
    if !fields.is_empty() {
        let _ = writeln!(
            out,
            "FIELD:    {} <{}>",
            fields.join("."),
            type_name(root, node)
        );
    }
    let (description, default) = summary(root, node);
    if let Some(default) = default {
        let _ = writeln!(out, "DEFAULT:  {default}");
    }
    if let Some(values) = allowed(root, node) {
        let _ = writeln!(out, "ALLOWED:  {}", values.join(", "));
    }
    if let Some(description) = description {
        let _ = writeln!(out, "\nDESCRIPTION:");
        for line in description.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    let renders = renders(node);
    if !renders.is_empty() {
        let _ = writeln!(out, "\nRENDERS:");
        for target in renders {
            let _ = writeln!(out, "    {target}");
        }
    }
    let children = properties(root, node);
    if !children.is_empty() {
        let _ = writeln!(out, "\nFIELDS:");
        list(root, &children, recursive, 1, &mut out);
    }
    Ok(out)
}

/// The names below `prefix` (`FlinkJob.spec.au` → `FlinkJob.spec.autoscaling`, …), for shell
/// completion; kinds when there is no dot yet.
pub fn candidates(prefix: &str) -> Vec<String> {
    let Some((parent, partial)) = prefix.rsplit_once('.') else {
        return Kind::ALL
            .iter()
            .map(|k| k.name().to_string())
            .filter(|name| name.to_lowercase().starts_with(&prefix.to_lowercase()))
            .collect();
    };
    let Ok((_, root, node, _)) = walk(parent) else {
        return Vec::new();
    };
    properties(root, node)
        .into_iter()
        .filter(|(name, _)| name.starts_with(partial))
        .map(|(name, _)| format!("{parent}.{name}"))
        .collect()
}

type Walked<'a> = (Kind, &'a Value, &'a Value, Vec<String>);

/// The kind, its schema, the schema node of the path's last field, and the field names.
fn walk(path: &str) -> Result<Walked<'static>, String> {
    let mut parts = path.split('.');
    let name = parts.next().unwrap_or_default();
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let known = Kind::ALL.map(Kind::name);
            let mut message = format!(
                "unknown kind \"{name}\"; expected one of {}",
                known.join(", ")
            );
            if let Some(near) = crate::suggest::closest(name, known) {
                let _ = write!(message, " (did you mean \"{near}\"?)");
            }
            message
        })?;
    let root: &'static Value = schema_value(kind);
    let mut node = root;
    let mut fields = Vec::new();
    for part in parts {
        let children = properties(root, node);
        let Some((_, child)) = children.iter().find(|(name, _)| name == part) else {
            let mut message = if children.is_empty() {
                format!("{}.{} has no fields", kind.name(), fields.join("."))
            } else {
                format!(
                    "{} has no field \"{part}\" at {}; it has {}",
                    kind.name(),
                    if fields.is_empty() {
                        "the top".to_string()
                    } else {
                        fields.join(".")
                    },
                    children
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            if let Some(near) =
                crate::suggest::closest(part, children.iter().map(|(n, _)| n.as_str()))
            {
                let _ = write!(message, " (did you mean \"{near}\"?)");
            }
            return Err(message);
        };
        node = child;
        fields.push(part.to_string());
    }
    Ok((kind, root, node, fields))
}

/// The committed schema of a kind, parsed once per process.
fn schema_value(kind: Kind) -> &'static Value {
    static SCHEMAS: std::sync::OnceLock<Vec<(Kind, Value)>> = std::sync::OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .map(|k| {
                (
                    k,
                    serde_json::from_str(schema::committed(k)).unwrap_or(Value::Null),
                )
            })
            .collect()
    });
    schemas
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&Value::Null, |(_, v)| v)
}

/// A node with its `$ref` followed (the reference's own description and default win).
fn target<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name))
            .unwrap_or(node),
        None => node,
    }
}

/// The fields below a node: its properties, those of its array items, or of each of its
/// alternatives (an `anyOf` such as `env`), sorted by name.
fn properties<'a>(root: &'a Value, node: &'a Value) -> Vec<(String, &'a Value)> {
    let node = target(root, node);
    let mut out: Vec<(String, &Value)> = Vec::new();
    if let Some(map) = node.get("properties").and_then(Value::as_object) {
        out.extend(map.iter().map(|(k, v)| (k.clone(), v)));
    }
    if let Some(items) = node.get("items") {
        out.extend(properties(root, items));
    }
    for alternative in node
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (name, value) in properties(root, alternative) {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn summary(root: &Value, node: &Value) -> (Option<String>, Option<String>) {
    let resolved = target(root, node);
    let description = node
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let default = node
        .get("default")
        .or_else(|| resolved.get("default"))
        .map(Value::to_string);
    (description, default)
}

/// The rendered fields a field drives (`x-kiln-renders`: `Kind path` each).
fn renders(node: &Value) -> Vec<&str> {
    node.get("x-kiln-renders")
        .and_then(Value::as_array)
        .map(|targets| targets.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn allowed(root: &Value, node: &Value) -> Option<Vec<String>> {
    let values = target(root, node).get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
    )
}

/// kubectl's way of naming a type: `string`, `integer`, `Object`, `[]ScheduleEntry`, and
/// alternatives joined with `|`.
fn type_name(root: &Value, node: &Value) -> String {
    let named = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"));
    let node = target(root, node);
    if let Some(alternatives) = node.get("anyOf").and_then(Value::as_array) {
        return alternatives
            .iter()
            .map(|a| type_name(root, a))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if node.get("properties").is_some() {
        return named.unwrap_or("Object").to_string();
    }
    match node.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "[]{}",
            node.get("items")
                .map_or("Object".into(), |i| type_name(root, i))
        ),
        Some("object") => "map".to_string(),
        Some(other) => other.to_string(),
        None => "any".to_string(),
    }
}

fn list(
    root: &Value,
    children: &[(String, &Value)],
    recursive: bool,
    depth: usize,
    out: &mut String,
) {
    let indent = "  ".repeat(depth);
    for (name, child) in children {
        let _ = writeln!(out, "{indent}{name}\t<{}>", type_name(root, child));
        if !recursive {
            let (description, _) = summary(root, child);
            if let Some(description) = description {
                let one_line = description.split_whitespace().collect::<Vec<_>>().join(" ");
                let _ = writeln!(out, "{indent}  {one_line}");
            }
        } else if depth < MAX_DEPTH {
            list(root, &properties(root, child), true, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_described_with_its_type_default_and_values() {
        let text = explain("FlinkJob.spec.autoscaling.mode", false).unwrap();
        assert!(text.starts_with("KIND:     FlinkJob\nFIELD:    spec.autoscaling.mode <string>\nDEFAULT:  \"disabled\"\nALLOWED:  disabled, reactive, hpa, hpa_reactive, scheduled, scheduled_hpa, operator\n"), "{text}");
        let text = explain("flinkjob.spec.autoscaling", false).unwrap();
        assert!(
            text.contains("FIELD:    spec.autoscaling <Autoscaling>"),
            "{text}"
        );
        assert!(
            text.contains("\n  maxReplicas\t<integer>\n    Most TaskManagers."),
            "{text}"
        );
        assert!(
            explain("FlinkJob.spec.autoscaling.schedules", false)
                .unwrap()
                .contains("<[]ScheduleEntry>")
        );
        let text = explain("FlinkJob.spec.parallelism", false).unwrap();
        assert!(
            text.ends_with("\nRENDERS:\n    FlinkDeployment spec.job.parallelism\n"),
            "{text}"
        );
    }

    #[test]
    fn recursive_lists_the_whole_tree() {
        let text = explain("ModelPool", true).unwrap();
        assert!(text.contains("\n  spec\t<ModelPoolSpec>\n"), "{text}");
        assert!(
            text.contains("\n    autoscaling\t<PoolAutoscaling>\n"),
            "{text}"
        );
    }

    #[test]
    fn unknown_paths_are_errors_with_a_suggestion() {
        assert_eq!(
            explain("FlinkJob.spec.autoscale", false)
                .unwrap_err()
                .split(';')
                .next()
                .unwrap(),
            "FlinkJob has no field \"autoscale\" at spec"
        );
        assert!(
            explain("FlinkJob.spec.autoscale", false)
                .unwrap_err()
                .ends_with("(did you mean \"autoscaling\"?)")
        );
        assert!(
            explain("FlinkJobs", false)
                .unwrap_err()
                .contains("did you mean \"FlinkJob\"")
        );
        assert!(
            explain("FlinkJob.spec.parallelism.x", false)
                .unwrap_err()
                .contains("has no fields")
        );
    }

    #[test]
    fn completion_candidates() {
        assert_eq!(candidates("Fl"), ["FlinkJob", "FlinkSession"]);
        assert_eq!(candidates("FlinkS"), ["FlinkSession"]);
        assert!(candidates("FlinkJob.spec.au").contains(&"FlinkJob.spec.autoscaling".to_string()));
        assert!(candidates("Nope.x").is_empty());
    }
}
