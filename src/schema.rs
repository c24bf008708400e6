//! JSON Schemas of the spec kinds and kiln.yaml.
//!
//! The schemas are generated from the Rust types in [`crate::kinds`] and [`crate::config`]
//! (draft 2020-12, a description on every field) and committed under `schemas/`; a test
//! fails when a committed file is stale. `kiln schema` prints the committed files and kiln
//! validates with them (through validators generated from them at build time), so editors,
//! the CLI and the docs see one schema.

use std::sync::OnceLock;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::field_path::FieldPath;
use crate::kinds::Kind;

/// File name under `schemas/` of a kind's schema.
pub fn file_name(kind: Kind) -> &'static str {
    kind.registration().schema_file
}

/// The committed schema text, as `kiln schema` prints it.
pub fn committed(kind: Kind) -> &'static str {
    kind.registration().committed_schema
}

/// The draft 2020-12 schema of a Rust type, as schemars makes it.
pub fn root_schema<T: schemars::JsonSchema>() -> schemars::Schema {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Generate a kind's schema from its Rust type, with what each field renders
/// (`x-kiln-renders`, from the kind's registration).
///
/// # Panics
///
/// When a registration names a field its type does not have: a mistake in kiln, caught by
/// the test that keeps `schemas/` current.
pub fn generate(kind: Kind) -> Value {
    let registration = kind.registration();
    let mut value = (registration.generate_schema)().to_value();
    forbid_null(&mut value);
    int32_bounds(&mut value);
    for (path, targets) in registration.renders {
        let pointer = field_pointer(&value, path)
            .unwrap_or_else(|| panic!("{}: no field {path} in the schema", kind.name()));
        if let Some(Value::Object(node)) = value.pointer_mut(&pointer) {
            node.insert("x-kiln-renders".into(), Value::from(targets.to_vec()));
        }
    }
    value
}

/// The JSON pointer of a field's schema node (`spec.autoscaling.mode` →
/// `/$defs/Autoscaling/properties/mode`), following `$ref`s and the alternatives of
/// optional fields on the way.
fn field_pointer(root: &Value, path: &str) -> Option<String> {
    let mut pointer = String::new();
    for field in path.split('.') {
        let node = root.pointer(&pointer)?;
        if node.get("properties").is_none() {
            let reference = node
                .get("$ref")
                .or_else(|| {
                    node.get("anyOf")?
                        .as_array()?
                        .iter()
                        .find_map(|a| a.get("$ref"))
                })?
                .as_str()?;
            pointer = reference.strip_prefix('#')?.to_string();
        }
        root.pointer(&format!("{pointer}/properties/{field}"))?;
        pointer = format!("{pointer}/properties/{field}");
    }
    Some(pointer)
}

/// Every unsigned count kiln writes lands in an int32 field of Kubernetes or the Flink
/// operator (replicas, parallelism, ports, slots): a larger number is refused up front
/// rather than clamped or rejected by the API server.
fn int32_bounds(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("uint32") {
                let max = map.get("maximum").and_then(Value::as_u64);
                if max.is_none_or(|m| m > i32::MAX as u64) {
                    map.insert("maximum".into(), Value::from(i32::MAX));
                }
            }
            map.values_mut().for_each(int32_bounds);
        }
        Value::Array(items) => items.iter_mut().for_each(int32_bounds),
        _ => {}
    }
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

/// The committed schema, parsed (once, on the first error): [`to_diagnostics`] looks up the
/// subschema an error points at (its known properties, its description).
fn parsed(kind: Kind) -> &'static Value {
    // One cell per kind, in `Kind::ALL` order (the variants' order): adding a kind needs no
    // change here.
    static CELLS: [OnceLock<Value>; Kind::ALL.len()] = [const { OnceLock::new() }; Kind::ALL.len()];
    let cell = &CELLS[kind as usize];
    cell.get_or_init(|| serde_json::from_str(committed(kind)).unwrap_or(Value::Bool(true)))
}

// The validators are generated from the committed schemas when kiln is compiled (jsonschema's
// `validator` macro, next to each kind's registration), so a run compiles no schema: compiling
// two at run time (and checking them against the draft's meta-schema first) was two thirds of a
// one-job render. `generated_validators_follow_the_committed_schemas` checks they judge as
// jsonschema's run-time validator does.

/// Validate a document against its kind's schema; every violation becomes a diagnostic.
pub fn validate(kind: Kind, value: &Value, file: usize, doc: usize) -> Vec<Diagnostic> {
    // The schema text is parsed only when there is an error to explain.
    (kind.registration().schema_errors)(value)
        .flat_map(|error| to_diagnostics(&error, parsed(kind), file, doc))
        .map(
            |d| match (&d.field, d.message.starts_with("unknown field")) {
                (Some(field), true) => match kind
                    .registration()
                    .elsewhere
                    .iter()
                    .find(|(path, _)| path == field)
                {
                    Some((_, why)) => Diagnostic { hint: None, ..d }.with_hint(*why),
                    None => d,
                },
                _ => d,
            },
        )
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
                    d = d.suggesting(key, known.iter().copied());
                    if d.hint.is_none() && !known.is_empty() {
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
            if let Some(given) = given.as_str() {
                d = d.suggesting(given, options.iter().copied());
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

    /// Every error of a validation, as a comparable line: where in the document, which
    /// keyword of the schema, and what it says.
    fn errors(errors: jsonschema::ErrorIterator<'_>) -> Vec<String> {
        let mut lines: Vec<String> = errors
            .map(|e| {
                format!(
                    "{} {} {:?}",
                    e.instance_path().as_str(),
                    e.schema_path().as_str(),
                    e.kind()
                )
            })
            .collect();
        lines.sort();
        lines
    }

    /// Every spec document and kiln.yaml of the fixtures and examples.
    fn sample_documents() -> Vec<(Kind, Value)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut documents = Vec::new();
        for folder in ["fixtures", "examples"] {
            for entry in walkdir::WalkDir::new(root.join(folder)).sort_by_file_name() {
                let entry = entry.unwrap();
                let path = entry.path();
                if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                let Ok(values) = crate::yaml::parse_documents(&text) else {
                    continue;
                };
                for value in values {
                    if let Some(kind) = value
                        .get("kind")
                        .and_then(Value::as_str)
                        .and_then(Kind::from_name)
                    {
                        documents.push((kind, value));
                    }
                }
            }
        }
        documents
    }

    /// `value` with the node at every path replaced by each of a few values of other types
    /// and shapes, and an unknown key added to every map: every keyword gets to fail.
    fn mutations(value: &Value) -> Vec<Value> {
        const REPLACEMENTS: &[&str] = &[
            "null",
            "true",
            "0",
            "-1",
            "1.5",
            "65536",
            "5000000000",
            "1e300",
            "\"\"",
            "\"x\"",
            "[]",
            "[1]",
            "{}",
            "{\"zz\": 1}",
        ];
        fn walk(node: &Value, at: String, pointers: &mut Vec<String>) {
            match node {
                Value::Object(map) => {
                    for (k, v) in map {
                        walk(
                            v,
                            format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                            pointers,
                        );
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, format!("{at}/{i}"), pointers);
                    }
                }
                _ => {}
            }
            pointers.push(at);
        }
        let mut pointers = Vec::new();
        walk(value, String::new(), &mut pointers);
        let mut out = Vec::new();
        for pointer in &pointers {
            for replacement in REPLACEMENTS {
                let mut changed = value.clone();
                *changed.pointer_mut(pointer).unwrap() = serde_json::from_str(replacement).unwrap();
                out.push(changed);
            }
            let mut changed = value.clone();
            if let Some(map) = changed.pointer_mut(pointer).unwrap().as_object_mut() {
                map.insert("unknownField".to_string(), Value::from(1));
                out.push(changed);
            }
        }
        out
    }

    /// The generated validators judge every document as jsonschema's run-time validator does
    /// with the committed schema: the fixtures and examples, and every one of them with each
    /// node replaced by values of other types and shapes.
    #[test]
    fn generated_validators_follow_the_committed_schemas() {
        let runtime: Vec<jsonschema::Validator> = Kind::ALL
            .iter()
            .map(|&kind| jsonschema::validator_for(parsed(kind)).unwrap())
            .collect();
        let documents = sample_documents();
        let mut kinds = std::collections::BTreeSet::new();
        let mut failing = 0;
        let mut compared = 0;
        for (kind, document) in &documents {
            kinds.insert(kind.name());
            for value in std::iter::once(document.clone()).chain(mutations(document)) {
                let expected = errors(runtime[*kind as usize].iter_errors(&value));
                let got = errors((kind.registration().schema_errors)(&value));
                // One difference, by design of the generated code: where `type` and `enum`
                // both fail, only `enum` is reported (its values already have that type).
                let subsumed = |line: &String| {
                    let Some((place, _)) = line.split_once("/type Type {") else {
                        return false;
                    };
                    got.iter()
                        .any(|g| g.starts_with(&format!("{place}/enum Enum {{")))
                };
                let rest: Vec<&String> = expected.iter().filter(|e| !subsumed(e)).collect();
                assert_eq!(
                    got.iter().collect::<Vec<_>>(),
                    rest,
                    "{}: {value}",
                    kind.name()
                );
                failing += usize::from(!expected.is_empty());
                compared += 1;
            }
        }
        assert_eq!(kinds.len(), Kind::ALL.len(), "{kinds:?}");
        // The mutations make most documents invalid, in every way the schemas allow.
        assert!(failing * 2 > compared, "{failing} of {compared}");
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
