//! The spec kinds a user writes (`apiVersion: kiln.dev/v1alpha1`), as Rust types.
//!
//! These types are the single source of the JSON Schemas under `schemas/` (see
//! [`crate::schema`]): every doc comment on a field is its schema description.

pub mod business_service;
pub mod flink_job;
pub mod flink_session;
pub mod model_pool;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostic::Diagnostics;
use crate::parse::{Located, Parsed};

pub use business_service::BusinessService;
pub use flink_job::FlinkJob;
pub use flink_session::FlinkSession;
pub use model_pool::ModelPool;

pub const API_VERSION: &str = "kiln.dev/v1alpha1";

/// The API version of every kiln document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "kiln.dev/v1alpha1")]
    V1Alpha1,
}

/// The kinds of spec kiln renders, plus `Config` (kiln.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Config,
    FlinkJob,
    FlinkSession,
    ModelPool,
    BusinessService,
}

/// What the pipeline needs to know of a kind, kept in the kind's folder: adding a kind is a
/// folder under `kinds/`, a [`Kind`] variant and one line in [`Kind::registration`].
pub struct Registration {
    pub name: &'static str,
    /// File name under `schemas/`.
    pub schema_file: &'static str,
    /// The committed schema text, as `kiln schema` prints it.
    pub committed_schema: &'static str,
    /// The schema generated from the kind's Rust type (`schemars`).
    pub generate_schema: fn() -> schemars::Schema,
    /// The committed schema's violations in a document (a validator compiled into kiln).
    pub schema_errors: for<'a> fn(&'a Value) -> jsonschema::ErrorIterator<'a>,
    /// Turn a schema-valid document into its typed spec among the parsed ones; None for
    /// kiln.yaml, which is read before any spec.
    pub accept: Option<fn(Located<Value>, &mut Parsed, &mut Diagnostics)>,
    /// For `kiln explain`: the rendered fields each spec field drives, as (field path,
    /// `Kind path` of each target). Written into the schema as `x-kiln-renders`.
    pub renders: &'static [(&'static str, &'static [&'static str])],
    /// Fields a user may look for on this kind that belong elsewhere, with why: the hint of
    /// their unknown-field error.
    pub elsewhere: &'static [(&'static str, &'static str)],
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Config,
        Kind::FlinkJob,
        Kind::FlinkSession,
        Kind::ModelPool,
        Kind::BusinessService,
    ];

    /// The kind's [`Registration`].
    pub fn registration(self) -> &'static Registration {
        match self {
            Kind::Config => &crate::config::REGISTRATION,
            Kind::FlinkJob => &flink_job::REGISTRATION,
            Kind::FlinkSession => &flink_session::REGISTRATION,
            Kind::ModelPool => &model_pool::REGISTRATION,
            Kind::BusinessService => &business_service::REGISTRATION,
        }
    }

    pub fn name(self) -> &'static str {
        self.registration().name
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Spec kinds (what may appear outside kiln.yaml).
    pub fn specs() -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(|k| *k != Kind::Config)
    }
}

/// What drives autoscaling: `kubernetes` (HorizontalPodAutoscalers) or `keda` (KEDA
/// ScaledObjects).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AutoscalingEngine {
    Kubernetes,
    Keda,
}

impl AutoscalingEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoscalingEngine::Kubernetes => "kubernetes",
            AutoscalingEngine::Keda => "keda",
        }
    }
}

/// Object metadata, as on a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Name of the spec; rendered objects are named after it.
    pub name: String,
    /// Namespace of every rendered object. Default: the environment's namespace, then
    /// `defaults.namespace` in kiln.yaml, then Argo CD's destination namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels copied onto every rendered object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations copied onto every rendered object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A scalar written where Kubernetes wants a string (env values, Flink configuration):
/// numbers and booleans are accepted and rendered as strings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    String(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    pub fn render(&self) -> String {
        match self {
            Scalar::String(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}
