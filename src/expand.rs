//! Expansion: validated plans → Kubernetes objects, one module per kind of output.
//!
//! Core kinds are built with k8s-openapi types; the FlinkDeployment (a custom resource) and
//! user-supplied fragments stay `serde_json::Value`. Every object is returned as a
//! `serde_json::Value` with sorted keys, ready for [`crate::emit`].

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

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
    /// `Value::Null` once frozen.
    pub value: Value,
    /// Root-relative path of the spec or manifest file(s) it came from.
    pub source: String,
    /// Index of the source file and document, for diagnostics.
    pub file: usize,
    pub doc: usize,
    frozen: Option<Box<Frozen>>,
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
            value,
            source: source.to_string(),
            file,
            doc,
            frozen: None,
        }
    }

    /// Keep the identity (and the YAML text, with `yaml`) and drop the value.
    pub fn freeze(&mut self, yaml: bool) {
        if self.frozen.is_some() {
            return;
        }
        let value = std::mem::take(&mut self.value);
        self.frozen = Some(Box::new(Frozen {
            kind: field(&value, "kind").to_string(),
            api_version: field(&value, "apiVersion").to_string(),
            namespace: metadata_field(&value, "namespace").to_string(),
            name: metadata_field(&value, "name").to_string(),
            yaml: yaml.then(|| {
                // Written into this thread's scratch buffer and kept as an exact copy: no
                // growth slack is kept until the end (an allocator may keep up to half of a
                // buffer after shrinking it in place) and the buffer's pages are reused.
                thread_local! {
                    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
                }
                SCRATCH.with_borrow_mut(|scratch| {
                    scratch.clear();
                    crate::yaml::write(&value, scratch);
                    scratch.as_str().to_owned()
                })
            }),
        }));
    }

    /// The YAML text of a frozen object, when it was kept.
    pub fn yaml(&self) -> Option<&str> {
        self.frozen.as_ref().and_then(|f| f.yaml.as_deref())
    }

    pub fn kind(&self) -> &str {
        match &self.frozen {
            Some(f) => &f.kind,
            None => field(&self.value, "kind"),
        }
    }

    pub fn api_version(&self) -> &str {
        match &self.frozen {
            Some(f) => &f.api_version,
            None => field(&self.value, "apiVersion"),
        }
    }

    /// API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn name(&self) -> &str {
        match &self.frozen {
            Some(f) => &f.name,
            None => metadata_field(&self.value, "name"),
        }
    }

    pub fn namespace(&self) -> &str {
        match &self.frozen {
            Some(f) => &f.namespace,
            None => metadata_field(&self.value, "namespace"),
        }
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

    pub fn object_meta(&self, name: &str, namespace: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            labels: Some(self.labels()),
            annotations: Some(self.annotations()),
            ..ObjectMeta::default()
        }
    }
}

/// Serialize a k8s-openapi object (or any value) to JSON. Serializing these types cannot
/// fail; a failure would yield `null` and be caught by the schema tests.
pub fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}
