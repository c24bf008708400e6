//! Parsing: YAML documents → kiln.yaml, typed specs, and pass-through manifests.
//!
//! Every document is parsed and schema-checked before anything is expanded, and every
//! problem becomes a diagnostic; nothing stops at the first error.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field_path::FieldPath;
use crate::kinds::{API_VERSION, BusinessService, FlinkJob, FlinkSession, Kind, ModelPool};
use crate::schema;
use crate::source::SourceFile;
use crate::yaml;

/// A value with the document it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// Index into the run's source files.
    pub file: usize,
    /// Index of the non-empty document in that file.
    pub doc: usize,
    pub value: T,
}

impl<T> Located<T> {
    pub fn diagnostic(&self, diagnostic: Diagnostic, path: &str) -> Diagnostic {
        diagnostic.at(self.file, self.doc, FieldPath::parse(path))
    }
}

/// Everything read from a kiln root.
#[derive(Debug, Default)]
pub struct Parsed {
    pub config: Config,
    /// The kiln.yaml document, for locating its diagnostics (None when the file is empty).
    pub config_doc: Option<Located<()>>,
    /// Spec documents as read, before environment patches and schema checks.
    pub spec_values: Vec<Located<(Kind, Value)>>,
    pub flink_jobs: Vec<Located<FlinkJob>>,
    pub flink_sessions: Vec<Located<FlinkSession>>,
    pub model_pools: Vec<Located<ModelPool>>,
    pub business_services: Vec<Located<BusinessService>>,
    pub manifests: Vec<Located<Value>>,
    /// Spec documents their schema rejected: kind and `metadata.name` (when it is a
    /// string), so a document that refers to one by name is not told it does not exist.
    pub rejected: Vec<Located<(Kind, Option<String>)>>,
    /// Documents that claim to be kiln specs, valid or not.
    pub spec_documents: usize,
}

/// Parse kiln.yaml only: what the loader needs (exclude globs, output folder) before walking.
pub fn parse_config(
    file: &SourceFile,
    index: usize,
    diagnostics: &mut Diagnostics,
) -> (Config, Option<Located<()>>) {
    let docs = match yaml::parse_documents(&file.text) {
        Ok(docs) => docs,
        Err(e) => {
            diagnostics.push(syntax_error(file, &e));
            return (Config::default(), None);
        }
    };
    let mut docs = docs.into_iter();
    let Some(value) = docs.next() else {
        return (Config::default(), None);
    };
    if !strings_within_limit(&value, index, 0, diagnostics) {
        return (Config::default(), None);
    }
    if docs.next().is_some() {
        diagnostics.push(Diagnostic::error("kiln.yaml must hold one document").at(
            index,
            1,
            FieldPath::root(),
        ));
    }
    let errors = schema::validate(Kind::Config, &value, index, 0);
    if !errors.is_empty() {
        diagnostics.extend(errors);
        return (
            Config::default(),
            Some(Located {
                file: index,
                doc: 0,
                value: (),
            }),
        );
    }
    let mut config = typed::<Config>(
        Located {
            file: index,
            doc: 0,
            value,
        },
        diagnostics,
    )
    .map(|c| c.value)
    .unwrap_or_default();
    check_config_paths(&mut config, index, diagnostics);
    (
        config,
        Some(Located {
            file: index,
            doc: 0,
            value: (),
        }),
    )
}

/// The output folder made a clean relative path (or an error at `output`), and every
/// `exclude` glob compiled once here so a bad one is reported at its line.
fn check_config_paths(config: &mut Config, index: usize, diagnostics: &mut Diagnostics) {
    if let Some(output) = &config.output {
        match crate::config::output_folder(output) {
            Ok(clean) => config.output = Some(clean),
            Err(message) => {
                diagnostics.push(Diagnostic::error(message).at(
                    index,
                    0,
                    FieldPath::parse("output"),
                ));
                config.output = None;
            }
        }
    }
    for (i, pattern) in config.exclude.iter().enumerate() {
        if let Err(e) = globset::Glob::new(pattern.trim_end_matches('/')) {
            diagnostics.push(
                Diagnostic::error(format!("invalid exclude glob \"{pattern}\": {}", e.kind())).at(
                    index,
                    0,
                    FieldPath::parse("exclude").index(i),
                ),
            );
        }
    }
}

/// Parse every spec and manifest document of the files (kiln.yaml excluded).
pub fn parse_documents(
    files: &[SourceFile],
    first: usize,
    parsed: &mut Parsed,
    diagnostics: &mut Diagnostics,
) {
    for (offset, file) in files.iter().enumerate() {
        let index = first + offset;
        let docs = match yaml::parse_documents(&file.text) {
            Ok(docs) => docs,
            Err(e) => {
                diagnostics.push(syntax_error(file, &e));
                continue;
            }
        };
        let docs = match as_kubectl_reads(file, docs) {
            Ok(docs) => docs,
            Err(d) => {
                diagnostics.push(d);
                continue;
            }
        };
        for (doc, value) in docs.into_iter().enumerate() {
            if strings_within_limit(&value, index, doc, diagnostics) {
                classify(value, index, doc, parsed, diagnostics);
            }
        }
    }
}

/// A plain manifest means what kubectl makes of it (YAML 1.1 scalars, `yaml::kube`), so a
/// file holding one is read again that way and its manifests take the second reading;
/// kiln's own documents keep the strict one.
fn as_kubectl_reads(file: &SourceFile, mut docs: Vec<Value>) -> Result<Vec<Value>, Diagnostic> {
    let is_manifest = |value: &Value| {
        value.is_object()
            && !value
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("kiln.dev/"))
    };
    if !docs.iter().any(is_manifest) {
        return Ok(docs);
    }
    let kube = yaml::kube::documents(&file.text).map_err(|e| syntax_error(file, &e))?;
    if kube.len() != docs.len() {
        return Err(Diagnostic::error(format!(
            "kubectl would read {} documents here where kiln reads {}; check empty and null documents",
            kube.len(),
            docs.len()
        ))
        .in_file(file.path.clone()));
    }
    for (doc, kube) in docs.iter_mut().zip(kube) {
        if is_manifest(doc) {
            *doc = kube;
        }
    }
    Ok(docs)
}

/// Refuse a document holding a string (or key) longer than [`yaml::MAX_STRING`] bytes: no
/// field of a spec or manifest needs one, and every later stage copies strings around.
fn strings_within_limit(
    value: &Value,
    file: usize,
    doc: usize,
    diagnostics: &mut Diagnostics,
) -> bool {
    /// The steps to the first string over the limit, innermost first (built only on a hit).
    fn find(value: &Value) -> Option<(Vec<Result<&str, usize>>, usize)> {
        match value {
            Value::String(s) if s.len() > yaml::MAX_STRING => Some((Vec::new(), s.len())),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                find(v).map(|(mut steps, n)| {
                    steps.push(Err(i));
                    (steps, n)
                })
            }),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.len() > yaml::MAX_STRING {
                    return Some((Vec::new(), k.len()));
                }
                find(v).map(|(mut steps, n)| {
                    steps.push(Ok(k.as_str()));
                    (steps, n)
                })
            }),
            _ => None,
        }
    }
    let Some((steps, length)) = find(value) else {
        return true;
    };
    let at = steps
        .iter()
        .rev()
        .fold(FieldPath::root(), |at, step| match step {
            Ok(key) => at.key(key),
            Err(i) => at.index(*i),
        });
    diagnostics.push(
        Diagnostic::error(format!(
            "a string of {length} bytes is longer than the limit of {}",
            crate::load::human_size(yaml::MAX_STRING as u64)
        ))
        .at(file, doc, at),
    );
    false
}

fn syntax_error(file: &SourceFile, error: &yaml::YamlError) -> Diagnostic {
    Diagnostic::error(error.message.clone())
        .in_file(file.path.clone())
        .with_position(error.line, error.column)
}

fn classify(
    value: Value,
    file: usize,
    doc: usize,
    parsed: &mut Parsed,
    diagnostics: &mut Diagnostics,
) {
    let root = FieldPath::root();
    if !value.is_object() {
        diagnostics.push(
            Diagnostic::error("a document must be a mapping with apiVersion, kind and metadata")
                .at(file, doc, root),
        );
        return;
    }
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api_version == API_VERSION || api_version.starts_with("kiln.dev/") {
        if api_version != API_VERSION {
            diagnostics.push(
                Diagnostic::error(format!(
                    "unknown kiln apiVersion \"{api_version}\"; expected {API_VERSION}"
                ))
                .at(file, doc, root.key("apiVersion")),
            );
            return;
        }
        parsed.spec_documents += 1;
        match Kind::from_name(kind) {
            Some(Kind::Config) => diagnostics.push(
                Diagnostic::error("kind Config belongs in kiln.yaml at the root").at(
                    file,
                    doc,
                    root.key("kind"),
                ),
            ),
            Some(kind) => {
                parsed.spec_values.push(Located {
                    file,
                    doc,
                    value: (kind, value),
                });
            }
            None => {
                let known: Vec<&str> = Kind::specs().map(Kind::name).collect();
                let mut d = Diagnostic::error(format!(
                    "unknown kiln kind \"{kind}\"; expected one of {}",
                    known.join(", ")
                ))
                .at(file, doc, root.key("kind"));
                d = d.suggesting(kind, known.iter().copied());
                diagnostics.push(d);
            }
        }
        return;
    }
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let missing: Vec<&str> = [
        ("apiVersion", api_version),
        ("kind", kind),
        ("metadata.name", name),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_empty())
    .map(|(k, _)| k)
    .collect();
    if missing.is_empty() {
        let problems = crate::object::problems(&value);
        if problems.is_empty() {
            parsed.manifests.push(Located { file, doc, value });
        }
        for (path, message) in problems {
            diagnostics.push(Diagnostic::error(message).at(file, doc, path));
        }
    } else {
        let (what, at) = if missing.len() == 3 {
            (
                "not a Kubernetes manifest or kiln spec: ",
                FieldPath::root(),
            )
        } else {
            ("", FieldPath::parse(missing[0]))
        };
        diagnostics.push(
            Diagnostic::error(format!("{what}missing or empty {}", missing.join(", ")))
                .at(file, doc, at),
        );
    }
}

/// Schema-check the spec documents (after environment patches) and turn them into typed
/// specs. `patched` holds the indices of `spec_values` an environment patch changed; their
/// errors say so, since the problem may come from the patch.
pub fn check_specs(
    parsed: &mut Parsed,
    patched: &[usize],
    environment: Option<&str>,
    diagnostics: &mut Diagnostics,
) {
    for (i, located) in std::mem::take(&mut parsed.spec_values)
        .into_iter()
        .enumerate()
    {
        let Located {
            file,
            doc,
            value: (kind, value),
        } = located;
        let errors = schema::validate(kind, &value, file, doc);
        if !errors.is_empty() {
            let note =
                patched.binary_search(&i).ok().and(environment).map(|env| {
                    format!("this spec was patched by environment \"{env}\" in kiln.yaml")
                });
            diagnostics.extend(errors.into_iter().map(|d| match (&note, d.hint.clone()) {
                (Some(note), None) => d.with_hint(note.clone()),
                (Some(note), Some(hint)) => d.with_hint(format!("{hint} ({note})")),
                (None, _) => d,
            }));
            let name = value["metadata"]["name"].as_str().map(str::to_string);
            parsed.rejected.push(Located {
                file,
                doc,
                value: (kind, name),
            });
            continue;
        }
        if let Some(accept) = kind.registration().accept {
            accept(Located { file, doc, value }, parsed, diagnostics);
        }
    }
}

/// Schema-valid JSON into its Rust type. A failure here means the schema and the type
/// disagree; it is still reported as a located error, never a panic.
pub fn typed<T: DeserializeOwned>(
    document: Located<Value>,
    diagnostics: &mut Diagnostics,
) -> Option<Located<T>> {
    let Located { file, doc, value } = document;
    match serde_path_to_error::deserialize(value) {
        Ok(value) => Some(Located { file, doc, value }),
        Err(e) => {
            let mut at = FieldPath::root();
            for segment in e.path() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => at = at.index(*index),
                    serde_path_to_error::Segment::Map { key } => at = at.key(key),
                    _ => {}
                }
            }
            let message = plain_words(&e.into_inner().to_string());
            diagnostics.push(Diagnostic::error(message).at(file, doc, at));
            None
        }
    }
}

/// serde's message in the words of a spec's author: no Rust type names.
fn plain_words(message: &str) -> String {
    let mut text = message.replace("floating point `", "the number `");
    for (rust, words) in [
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("; use Option<String>", ""),
    ] {
        text = text.replace(rust, words);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> (Parsed, Vec<String>) {
        let files = [SourceFile {
            path: "a.yaml".into(),
            text: text.into(),
        }];
        let mut parsed = Parsed::default();
        let mut diagnostics = Diagnostics::new();
        parse_documents(&files, 0, &mut parsed, &mut diagnostics);
        check_specs(&mut parsed, &[], None, &mut diagnostics);
        let messages = diagnostics
            .into_sorted()
            .into_iter()
            .map(|d| d.message)
            .collect();
        (parsed, messages)
    }

    #[test]
    fn manifests_pass_through() {
        let (parsed, messages) =
            parse_one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(parsed.manifests.len(), 1);
    }

    #[test]
    fn documents_that_are_neither() {
        let (_, messages) = parse_one(
            "foo: bar\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\"}\n---\n- a\n",
        );
        // Unresolved diagnostics sort by message.
        assert_eq!(
            messages,
            [
                "a document must be a mapping with apiVersion, kind and metadata",
                "missing or empty metadata.name",
                "not a Kubernetes manifest or kiln spec: missing or empty apiVersion, kind, metadata.name",
            ]
        );
    }

    #[test]
    fn unknown_kiln_kind() {
        let (_, messages) =
            parse_one("apiVersion: kiln.dev/v1alpha1\nkind: FlinkJobs\nmetadata: {name: a}\n");
        assert_eq!(
            messages,
            [
                "unknown kiln kind \"FlinkJobs\"; expected one of FlinkJob, FlinkSession, ModelPool, BusinessService"
            ]
        );
    }
}
