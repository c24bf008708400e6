//! JSON Schemas of the spec kinds and kiln.yaml.
//!
//! The schemas are generated from the Rust types in [`crate::spec`] and [`crate::config`]
//! (draft 2020-12, a description on every field) and committed under `schemas/`; a test
//! fails when a committed file is stale. `kiln schema` prints the committed files and
//! `kiln check` validates with them (rewritten as the same schema in draft-07, see
//! `as_draft_07`), so editors, the CLI and the docs see one schema.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::path::FieldPath;
use crate::spec::{BusinessService, FlinkJob, Kind, ModelPool};
use crate::suggest;

/// File name under `schemas/` of a kind's schema.
pub fn file_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Config => "kiln.schema.json",
        Kind::FlinkJob => "flinkjob.schema.json",
        Kind::ModelPool => "modelpool.schema.json",
        Kind::BusinessService => "businessservice.schema.json",
    }
}

/// The committed schema text, as `kiln schema` prints it.
pub fn committed(kind: Kind) -> &'static str {
    match kind {
        Kind::Config => include_str!("../schemas/kiln.schema.json"),
        Kind::FlinkJob => include_str!("../schemas/flinkjob.schema.json"),
        Kind::ModelPool => include_str!("../schemas/modelpool.schema.json"),
        Kind::BusinessService => include_str!("../schemas/businessservice.schema.json"),
    }
}

/// Generate a kind's schema from its Rust type.
pub fn generate(kind: Kind) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = match kind {
        Kind::Config => generator.into_root_schema_for::<Config>(),
        Kind::FlinkJob => generator.into_root_schema_for::<FlinkJob>(),
        Kind::ModelPool => generator.into_root_schema_for::<ModelPool>(),
        Kind::BusinessService => generator.into_root_schema_for::<BusinessService>(),
    };
    let mut value = schema.to_value();
    forbid_null(&mut value);
    value
}

/// schemars makes every `Option` field nullable. In kiln an absent field means "default"
/// and an explicit `null` is an error, not a second spelling, so `null` is taken out.
fn forbid_null(node: &mut Value) {
    let Value::Object(map) = node else {
        if let Value::Array(items) = node {
            items.iter_mut().for_each(forbid_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".to_string(), only);
        }
    }
    if let Some(Value::Array(options)) = map.get_mut("anyOf") {
        options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
        if options.len() == 1
            && let Some(Value::Object(only)) = options.pop()
        {
            map.remove("anyOf");
            for (k, v) in only {
                map.entry(k).or_insert(v);
            }
        }
    }
    map.values_mut().for_each(forbid_null);
}

/// Generated schema as committed: pretty JSON with a final newline.
pub fn generate_text(kind: Kind) -> String {
    let mut text = serde_json::to_string_pretty(&generate(kind)).unwrap_or_default();
    text.push('\n');
    text
}

/// The committed schema as kiln validates with it: in draft-07 form (see [`as_draft_07`]).
fn parsed(kind: Kind) -> &'static Value {
    static CELLS: [OnceLock<Value>; 4] = [const { OnceLock::new() }; 4];
    let cell = &CELLS[kind as usize];
    cell.get_or_init(|| {
        serde_json::from_str(committed(kind)).map_or(Value::Bool(true), |mut schema| {
            as_draft_07(&mut schema);
            schema
        })
    })
}

fn validator(kind: Kind) -> Option<&'static Validator> {
    static CELLS: [OnceLock<Option<Validator>>; 4] = [const { OnceLock::new() }; 4];
    let cell = &CELLS[kind as usize];
    cell.get_or_init(|| jsonschema::draft7::new(parsed(kind)).ok())
        .as_ref()
}

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The committed draft 2020-12 schema, rewritten as the same schema in draft-07: `$defs`
/// become `definitions` and every `$ref` follows them. jsonschema checks every schema against
/// its draft's meta-schema before compiling it, and draft-07's meta-schema is one document
/// where 2020-12's is eight: building that check was half the CPU time of a one-job render.
/// The two drafts mean the same for kiln's schemas, which use no keyword that changed
/// between them, and no `$ref` with a sibling that asserts anything (draft-07 ignores a
/// `$ref`'s siblings): `schemas_mean_the_same_in_draft_07` checks both.
fn as_draft_07(schema: &mut Value) {
    if let Value::Object(root) = schema {
        if root.get("$schema").and_then(Value::as_str) == Some(DRAFT_2020_12) {
            root.insert("$schema".to_string(), Value::from(DRAFT_07));
        }
        // schemars keeps every definition at the root.
        if let Some(defs) = root.remove("$defs") {
            root.insert("definitions".to_string(), defs);
        }
    }
    follow_definitions(schema);
}

/// Every `$ref` to `#/$defs/X` below `node` made a `$ref` to `#/definitions/X`.
fn follow_definitions(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/$defs/")
            {
                *reference = format!("#/definitions/{name}");
            }
            // Subschemas only: `enum`, `const` and `default` hold instance values.
            for (key, value) in map.iter_mut() {
                if !matches!(key.as_str(), "enum" | "const" | "default" | "examples") {
                    follow_definitions(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(follow_definitions),
        _ => {}
    }
}

/// Validate a document against its kind's schema; every violation becomes a diagnostic.
pub fn validate(kind: Kind, value: &Value, file: usize, doc: usize) -> Vec<Diagnostic> {
    let Some(validator) = validator(kind) else {
        return vec![Diagnostic::error(format!(
            "internal error: the {} schema does not compile",
            kind.name()
        ))];
    };
    let schema = parsed(kind);
    validator
        .iter_errors(value)
        .flat_map(|error| to_diagnostics(&error, schema, file, doc))
        .collect()
}

fn to_diagnostics(
    error: &ValidationError<'_>,
    schema: &Value,
    file: usize,
    doc: usize,
) -> Vec<Diagnostic> {
    let path = FieldPath::from_pointer(error.instance_path().as_str());
    let subschema = schema_at(schema, error.schema_path().as_str());
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = subschema
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let mut d = Diagnostic::error(format!("unknown field \"{key}\"")).at_key(
                        file,
                        doc,
                        path.key(key),
                    );
                    if let Some(near) = suggest::closest(key, known.iter().copied()) {
                        d = d.with_hint(format!("did you mean \"{near}\"?"));
                    } else if !known.is_empty() {
                        d = d.with_hint(format!("known fields: {}", known.join(", ")));
                    }
                    d
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![
                Diagnostic::error(format!("missing required field \"{name}\"")).at(file, doc, path),
            ]
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let given = error.instance();
            let mut d = Diagnostic::error(format!(
                "unknown value {}; expected one of {}",
                short(given),
                options.join(", ")
            ))
            .at(file, doc, path);
            if let Some(near) = given
                .as_str()
                .and_then(|g| suggest::closest(g, options.iter().copied()))
            {
                d = d.with_hint(format!("did you mean \"{near}\"?"));
            }
            vec![d]
        }
        ValidationErrorKind::Constant { expected_value } => vec![
            Diagnostic::error(format!(
                "expected {}, found {}",
                expected_value,
                short(error.instance())
            ))
            .at(file, doc, path),
        ],
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let found = error.instance();
            let mut d = Diagnostic::error(format!(
                "expected {}, found {} {}",
                article(&expected),
                type_name(found),
                short(found)
            ))
            .at(file, doc, path);
            if expected.contains("string") && (found.is_number() || found.is_boolean()) {
                d = d.with_hint(format!("quote the value: \"{found}\""));
            }
            vec![d]
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            vec![
                Diagnostic::error(format!(
                    "must be at least {limit}, found {}",
                    error.instance()
                ))
                .at(file, doc, path),
            ]
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            vec![
                Diagnostic::error(format!(
                    "must be at most {limit}, found {}",
                    error.instance()
                ))
                .at(file, doc, path),
            ]
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let mut d = Diagnostic::error(format!(
                "{} does not match any accepted form",
                short(error.instance())
            ))
            .at(file, doc, path);
            if let Some(description) = subschema
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
            {
                d = d.with_hint(description.to_string());
            }
            vec![d]
        }
        _ => vec![Diagnostic::error(error.to_string()).at(file, doc, path)],
    }
}

/// The schema object holding the keyword at `schema_path`, following `$ref`s into `$defs`.
fn schema_at<'a>(root: &'a Value, schema_path: &str) -> Option<&'a Value> {
    let mut segments: Vec<&str> = schema_path.split('/').skip(1).collect();
    segments.pop(); // the keyword itself
    let mut node = root;
    for segment in segments {
        if segment == "$ref" {
            let reference = node.get("$ref")?.as_str()?;
            node = root.pointer(reference.strip_prefix('#')?)?;
            continue;
        }
        let key = segment.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Object(map) => map.get(&key)?,
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = root.pointer(reference.strip_prefix('#')?)?;
    }
    Some(node)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn article(word: &str) -> String {
    let word = word.replace("object", "map").replace("array", "list");
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

/// A value for a message: scalars as JSON, collections summarized.
fn short(value: &Value) -> String {
    match value {
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a map".to_string(),
        other => {
            let text = other.to_string();
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(60).collect::<String>())
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn generated_schemas_describe_every_property() {
        fn walk(node: &Value, at: &str, missing: &mut Vec<String>) {
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    if prop.get("description").is_none() {
                        missing.push(format!("{at}/{name}"));
                    }
                    walk(prop, &format!("{at}/{name}"), missing);
                }
            }
            if let Some(defs) = node.get("$defs").and_then(Value::as_object) {
                for (name, def) in defs {
                    walk(def, &format!("$defs/{name}"), missing);
                }
            }
        }
        for kind in Kind::ALL {
            let mut missing = Vec::new();
            walk(&generate(kind), "", &mut missing);
            assert!(
                missing.is_empty(),
                "{}: no description on {missing:?}",
                kind.name()
            );
        }
    }

    /// What makes [`as_draft_07`] exact: every keyword of the committed schemas means the
    /// same in both drafts, and a `$ref`'s siblings are annotations only.
    #[test]
    fn schemas_mean_the_same_in_draft_07() {
        const SAME_IN_BOTH: &[&str] = &[
            "$schema",
            "$defs",
            "$ref",
            "title",
            "description",
            "default",
            "type",
            "enum",
            "const",
            "properties",
            "additionalProperties",
            "required",
            "items",
            "anyOf",
            "oneOf",
            "allOf",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minItems",
            "maxItems",
            "uniqueItems",
        ];
        const ANNOTATIONS: &[&str] = &["$ref", "title", "description", "default"];
        fn walk(node: &Value, at: &str, problems: &mut Vec<String>) {
            let Some(map) = node.as_object() else {
                if let Some(items) = node.as_array() {
                    for item in items {
                        walk(item, at, problems);
                    }
                }
                return;
            };
            for (key, value) in map {
                if !SAME_IN_BOTH.contains(&key.as_str()) {
                    problems.push(format!("{at}: keyword {key}"));
                }
                if matches!(key.as_str(), "properties" | "$defs") {
                    for (name, schema) in value.as_object().into_iter().flatten() {
                        walk(schema, &format!("{at}/{key}/{name}"), problems);
                    }
                } else if !matches!(key.as_str(), "enum" | "const" | "default" | "required") {
                    walk(value, &format!("{at}/{key}"), problems);
                }
            }
            if map.contains_key("$ref") {
                for key in map.keys().filter(|k| !ANNOTATIONS.contains(&k.as_str())) {
                    problems.push(format!("{at}: {key} beside $ref"));
                }
            }
        }
        for kind in Kind::ALL {
            let mut schema: Value = serde_json::from_str(committed(kind)).unwrap();
            assert_eq!(schema["$schema"], DRAFT_2020_12);
            let mut problems = Vec::new();
            walk(&schema, "", &mut problems);
            assert!(problems.is_empty(), "{}: {problems:?}", kind.name());
            // The rewrite leaves no 2020-12 reference behind and compiles as draft-07.
            as_draft_07(&mut schema);
            let text = schema.to_string();
            assert!(!text.contains("$defs"), "{}", kind.name());
            assert_eq!(schema["$schema"], DRAFT_07);
            assert!(jsonschema::draft7::new(&schema).is_ok(), "{}", kind.name());
        }
    }

    #[test]
    fn unknown_field_gets_a_hint() {
        let doc = json!({"apiVersion": "kiln.dev/v1alpha1", "kind": "FlinkJob", "metadata": {"name": "a"},
            "spec": {"type": "jar", "jar": {"uri": "local:///a.jar"}, "paralelism": 2}});
        let diags = validate(Kind::FlinkJob, &doc, 0, 0);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].message, "unknown field \"paralelism\"");
        assert_eq!(diags[0].field.as_deref(), Some("spec.paralelism"));
        assert_eq!(
            diags[0].hint.as_deref(),
            Some("did you mean \"parallelism\"?")
        );
    }

    #[test]
    fn enum_and_type_messages() {
        let doc = json!({"apiVersion": "kiln.dev/v1alpha1", "kind": "FlinkJob", "metadata": {"name": "a"},
            "spec": {"type": "jar", "flinkVersion": 1.19, "autoscaling": {"mode": "hpa2"}}});
        let mut messages: Vec<String> = validate(Kind::FlinkJob, &doc, 0, 0)
            .into_iter()
            .map(|d| {
                format!(
                    "{}: {} ({})",
                    d.field.unwrap_or_default(),
                    d.message,
                    d.hint.unwrap_or_default()
                )
            })
            .collect();
        messages.sort();
        assert_eq!(
            messages,
            [
                "spec.autoscaling.mode: unknown value \"hpa2\"; expected one of disabled, reactive, hpa, hpa_reactive, scheduled, scheduled_hpa, operator (did you mean \"hpa\"?)",
                "spec.flinkVersion: expected a string, found number 1.19 (quote the value: \"1.19\")",
            ]
        );
    }
}
