//! `BusinessService`: a Service routing to one business's slice of a ModelPool.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::{ApiVersion, Metadata};

/// A Service for one business of a ModelPool.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "BusinessService")]
pub struct BusinessService {
    /// Always `kiln.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `BusinessService`.
    pub kind: BusinessServiceKind,
    /// Name (the Service's; a DNS label starting with a letter), namespace, labels.
    pub metadata: Metadata,
    /// Which pool and business it routes to, and how it is exposed.
    pub spec: BusinessServiceSpec,
}

/// The kind of a BusinessService document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum BusinessServiceKind {
    BusinessService,
}

/// Which pool and business it routes to, and how it is exposed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BusinessServiceSpec {
    /// Name of a ModelPool in the same namespace.
    pub pool: String,
    /// One of the pool's assigned businesses.
    pub business: String,
    /// `cluster` (ClusterIP, default), `internal` (internal load balancer) or `external`
    /// (internet-facing load balancer).
    #[serde(default)]
    pub exposure: Exposure,
    /// Service port. Default 8000. The target is always the pods' named port `http`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// CIDRs allowed to reach a load balancer (`loadBalancerSourceRanges`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
    /// Extra Service annotations; they win over the generated ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// How a business Service is exposed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    #[default]
    Cluster,
    Internal,
    External,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Cluster => "cluster",
            Exposure::Internal => "internal",
            Exposure::External => "external",
        }
    }
}
