//! Expansion: validated plans → Kubernetes objects, one module per kind of output.
//!
//! Every object is built as a `serde_json::Value` with sorted keys, ready for
//! [`crate::emit`]; user-supplied fragments are spliced in as they were written. Core kinds
//! are checked by `kubernetes-validate --strict` (scripts/conformance.py) and custom
//! resources against their CRDs (tests/kiln/crd.rs), not by Rust types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
pub const SOURCE_ANNOTATION: &str = "kiln.dev/source";

/// A rendered object and the spec it came from.
///
/// Once final (patched), a render that needs no values any more [`freezes`](Object::freeze) it:
/// the identity is kept as strings, the YAML text too when asked, and the value is dropped —
/// so a large repository never holds all its objects as trees at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Root-relative path of the spec or manifest file(s) it came from.
    pub source: String,
    /// Index of the source file and document, for diagnostics.
    pub file: usize,
    pub doc: usize,
    body: Body,
}

/// What an object holds: its tree until it is final, then only what the caller keeps.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    /// The tree, open to patches (and kept for JSON output and diffs).
    Tree(Value),
    /// Final: the identity, and the YAML text when the caller writes YAML.
    Frozen(Box<Frozen>),
}

#[derive(Debug, Clone, PartialEq)]
struct Frozen {
    kind: String,
    api_version: String,
    namespace: String,
    name: String,
    yaml: Option<String>,
}

fn field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn metadata_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get("metadata").map_or("", |m| field(m, key))
}

impl Object {
    pub fn new(value: Value, source: &str, file: usize, doc: usize) -> Self {
        Object {
            source: source.to_string(),
            file,
            doc,
            body: Body::Tree(value),
        }
    }

    /// The tree; None once frozen.
    pub fn value(&self) -> Option<&Value> {
        match &self.body {
            Body::Tree(value) => Some(value),
            Body::Frozen(_) => None,
        }
    }

    /// The tree, to patch; None once frozen.
    pub fn value_mut(&mut self) -> Option<&mut Value> {
        match &mut self.body {
            Body::Tree(value) => Some(value),
            Body::Frozen(_) => None,
        }
    }

    /// The tree; None once frozen.
    pub fn into_value(self) -> Option<Value> {
        match self.body {
            Body::Tree(value) => Some(value),
            Body::Frozen(_) => None,
        }
    }

    /// Keep the identity (and the YAML text, with `yaml`) and drop the tree.
    pub fn freeze(&mut self, yaml: bool) {
        let Body::Tree(value) = &self.body else {
            return;
        };
        let frozen = Frozen {
            kind: field(value, "kind").to_string(),
            api_version: field(value, "apiVersion").to_string(),
            namespace: metadata_field(value, "namespace").to_string(),
            name: metadata_field(value, "name").to_string(),
            yaml: yaml.then(|| {
                // Written into this thread's scratch buffer and kept as an exact copy: no
                // growth slack is kept until the end (an allocator may keep up to half of a
                // buffer after shrinking it in place) and the buffer's pages are reused.
                thread_local! {
                    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
                }
                SCRATCH.with_borrow_mut(|scratch| {
                    scratch.clear();
                    crate::yaml::write(value, scratch);
                    scratch.as_str().to_owned()
                })
            }),
        };
        self.body = Body::Frozen(Box::new(frozen));
    }

    /// The object as a YAML document: the text kept when it was frozen, or its tree
    /// written now; None for an object frozen to its identity only.
    pub fn yaml(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.body {
            Body::Tree(value) => Some(std::borrow::Cow::Owned(crate::yaml::to_string(value))),
            Body::Frozen(frozen) => frozen.yaml.as_deref().map(std::borrow::Cow::Borrowed),
        }
    }

    /// The length of the YAML text kept when it was frozen (0 for a tree).
    pub fn kept_yaml_len(&self) -> usize {
        match &self.body {
            Body::Frozen(frozen) => frozen.yaml.as_ref().map_or(0, String::len),
            Body::Tree(_) => 0,
        }
    }

    fn frozen(&self) -> Option<&Frozen> {
        match &self.body {
            Body::Frozen(frozen) => Some(frozen),
            Body::Tree(_) => None,
        }
    }

    fn tree_field(&self, key: &str) -> &str {
        self.value().map_or("", |v| field(v, key))
    }

    fn tree_metadata(&self, key: &str) -> &str {
        self.value().map_or("", |v| metadata_field(v, key))
    }

    pub fn kind(&self) -> &str {
        self.frozen()
            .map_or_else(|| self.tree_field("kind"), |f| &f.kind)
    }

    pub fn api_version(&self) -> &str {
        self.frozen()
            .map_or_else(|| self.tree_field("apiVersion"), |f| &f.api_version)
    }

    /// API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn name(&self) -> &str {
        self.frozen()
            .map_or_else(|| self.tree_metadata("name"), |f| &f.name)
    }

    pub fn namespace(&self) -> &str {
        self.frozen()
            .map_or_else(|| self.tree_metadata("namespace"), |f| &f.namespace)
    }
}

/// The labels and annotations every object of a spec carries.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// `app.kubernetes.io/part-of` (the spec's name).
    pub part_of: &'a str,
    /// `kiln.dev/source`.
    pub source: &'a str,
    /// kiln.yaml default labels merged with the spec's labels.
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
}

impl<'a> Stamp<'a> {
    /// The stamp of a spec named `name` from `source`.
    pub fn new(
        name: &'a str,
        source: &'a str,
        labels: &'a BTreeMap<String, String>,
        annotations: &'a BTreeMap<String, String>,
    ) -> Self {
        Stamp {
            part_of: name,
            source,
            labels,
            annotations,
        }
    }

    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(MANAGED_BY.to_string(), "kiln".to_string());
        labels.insert(PART_OF.to_string(), self.part_of.to_string());
        labels
    }

    pub fn annotations(&self) -> BTreeMap<String, String> {
        let mut annotations = self.annotations.clone();
        annotations.insert(SOURCE_ANNOTATION.to_string(), self.source.to_string());
        annotations
    }

    /// An object's `metadata`: name, namespace, kiln's labels and annotations.
    pub fn metadata(&self, name: &str, namespace: &str) -> Value {
        self.metadata_labelled(name, namespace, self.labels())
    }

    /// [`Stamp::metadata`] with other labels.
    pub fn metadata_labelled(
        &self,
        name: &str,
        namespace: &str,
        labels: BTreeMap<String, String>,
    ) -> Value {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Value::String(name.to_string()));
        metadata.insert("namespace".into(), Value::String(namespace.to_string()));
        metadata.insert("labels".into(), strings(labels));
        metadata.insert("annotations".into(), strings(self.annotations()));
        Value::Object(metadata)
    }
}

// `json!` copies every expression it is given through `serde_json::to_value`, a deep copy of
// a tree; the helpers below move the parts of an object in instead. (Writing the objects
// with `json!` throughout cost a fifth more instructions per render than k8s-openapi's
// structs did: docs/performance.md.)

/// A Kubernetes object from parts moved in: apiVersion, kind, metadata, then `fields`.
pub fn resource<const N: usize>(
    api_version: &str,
    kind: &str,
    metadata: Value,
    fields: [(&str, Value); N],
) -> Value {
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(api_version.to_string()));
    object.insert("kind".into(), Value::String(kind.to_string()));
    object.insert("metadata".into(), metadata);
    for (key, value) in fields {
        object.insert(key.to_string(), value);
    }
    Value::Object(object)
}

/// A list of strings as a JSON array, its strings moved.
pub fn strings_list(list: Vec<String>) -> Value {
    Value::Array(list.into_iter().map(Value::String).collect())
}

/// A string map as a JSON object, its strings moved.
pub fn strings(map: BTreeMap<String, String>) -> Value {
    Value::Object(
        map.into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect(),
    )
}
