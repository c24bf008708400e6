//! `kiln.yaml`: repository defaults, extra profiles and presets, what to skip.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::ApiVersion;
use crate::kinds::flink_job::ScheduleEntry;

/// The kubectl image scaler CronJobs run when kiln.yaml names none. Pinned; never `latest`.
pub const DEFAULT_SCALER_IMAGE: &str = "registry.k8s.io/kubectl:v1.34.1";

/// kiln.yaml: marks a kiln root and holds repository-wide settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "kiln.yaml")]
pub struct Config {
    /// Always `kiln.dev/v1alpha1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<ApiVersion>,
    /// Always `Config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ConfigKind>,
    /// Defaults for every spec in this root.
    #[serde(default)]
    pub defaults: Defaults,
    /// Extra resource profiles, or overrides of built-in ones (fields not set keep the
    /// built-in profile's values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Profile>,
    /// Extra scheduling presets: a name and its list of schedules.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub presets: BTreeMap<String, Vec<ScheduleEntry>>,
    /// Globs (relative to this folder) of files and folders kiln does not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Folder (relative to this folder) that `kiln render --output` and the pre-commit hook
    /// write to; kiln never reads it as input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The environment rendered when none is chosen (`-e`, Argo CD's `environment` parameter
    /// or `ARGOCD_ENV_KILN_ENV`). Without it, no environment's settings apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_environment: Option<String>,
    /// Named environments (dev, staging, prod): a namespace, labels and patches each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, Environment>,
}

/// One environment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Environment {
    /// Namespace of specs without one, in this environment (wins over `defaults.namespace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels put on every rendered object in this environment (win over `defaults.labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Patches, applied in order. A target whose kind is a kiln kind (FlinkJob) patches the
    /// spec before validation; any other kind patches the rendered manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
}

/// A patch: a target and either an RFC 7386 merge patch or an RFC 6902 JSON patch.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Patch {
    /// What the patch applies to. It must match at least one spec or object.
    pub target: Target,
    /// An RFC 7386 JSON merge patch (`null` removes a field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_patch: Option<serde_json::Value>,
    /// An RFC 6902 JSON patch: a list of operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_patch: Option<Vec<JsonPatchOperation>>,
}

/// What a patch applies to; every field given must match.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Target {
    /// Kind: a kiln kind (`FlinkJob`) or a rendered kind (`FlinkDeployment`, `CronJob`, ...).
    pub kind: String,
    /// Name, or a glob of names (`clickstream-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace, or a glob of namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A Kubernetes label selector (`team=growth,tier!=batch`, `env in (dev,prod)`, `!legacy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonPatchOperation {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: JsonPatchOp,
    /// JSON pointer of the field (`/spec/flinkConfiguration/pipeline.max-parallelism`).
    pub path: String,
    /// Value for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Source pointer for `move` and `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// RFC 6902 operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonPatchOp {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// The kind of kiln.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ConfigKind {
    Config,
}

/// Defaults for every spec.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Defaults {
    /// Namespace of specs that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// IANA time zone for schedules (`Asia/Shanghai`). Without one, CronJobs run in the
    /// controller's zone (usually UTC) and kiln warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Labels put on every rendered object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Defaults for FlinkJobs.
    #[serde(default)]
    pub flink: FlinkDefaults,
    /// The scaler CronJobs of scheduled autoscaling modes.
    #[serde(default)]
    pub scaler: ScalerDefaults,
    /// Default images of the model-pool engines.
    #[serde(default)]
    pub engines: EngineDefaults,
    /// Autoscaling defaults of FlinkJobs and ModelPools.
    #[serde(default)]
    pub autoscaling: AutoscalingDefaults,
    /// Prometheus URL that KEDA triggers query (`http://prometheus.monitoring:9090`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
    /// How `internal` and `external` BusinessServices get a load balancer. Default: the AWS
    /// Load Balancer Controller's NLB (`service.k8s.aws/nlb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerDefaults>,
}

/// Autoscaling defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutoscalingDefaults {
    /// The engine of specs that set none: `kubernetes` (default) or `keda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<crate::kinds::AutoscalingEngine>,
}

/// Default images of the model-pool engines.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngineDefaults {
    /// vLLM (default `vllm/vllm-openai:v0.11.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vllm: Option<EngineDefault>,
    /// SGLang (default `lmsysorg/sglang:v0.5.4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sglang: Option<EngineDefault>,
}

/// One engine's defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngineDefault {
    /// Image of pools that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// Load balancer settings for other clouds or controllers; replaces kiln's AWS defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadBalancerDefaults {
    /// `spec.loadBalancerClass` (omitted when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Annotations of `internal` Services.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub internal_annotations: BTreeMap<String, String>,
    /// Annotations of `external` Services.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_annotations: BTreeMap<String, String>,
}

/// Defaults for FlinkJobs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FlinkDefaults {
    /// Image of jobs that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Flink version (`"1.19.3"`) of jobs that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
    /// Service account of jobs that set none (else `flink`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// URI schemes the Flink operator downloads session jobs' jars from: its
    /// `kubernetes.operator.user.artifacts.allowed-schemes`, an operator-level setting whose
    /// default is `[https]`. Say here what your operator allows (e.g. `[https, s3]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jar_schemes: Option<Vec<String>>,
}

/// Scaler CronJob settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalerDefaults {
    /// A pinned image with `kubectl` on its PATH (default `registry.k8s.io/kubectl:v1.34.1`).
    /// A `latest` or missing tag is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// A resource profile.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Profile {
    /// CPU cores of the JobManager and of each TaskManager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory of the JobManager and of each TaskManager (`2048m`); at least 1024m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Default fewest TaskManagers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_replicas: Option<u32>,
    /// Default most TaskManagers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_replicas: Option<u32>,
    /// Task slots per TaskManager (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub slots: Option<u32>,
}

/// The `output` folder as a clean path relative to the root (`./rendered/` → `rendered`):
/// a folder strictly inside the root, never the root, `..`, an absolute path or `.git`.
pub fn output_folder(value: &str) -> Result<String, String> {
    if value.starts_with(['/', '\\']) || std::path::Path::new(value).is_absolute() {
        return Err(format!(
            "output \"{value}\" is an absolute path; name a folder inside the kiln root, relative to kiln.yaml"
        ));
    }
    let mut parts = Vec::new();
    for part in value.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "output \"{value}\" climbs with ..; name a folder inside the kiln root"
                ));
            }
            part => parts.push(part),
        }
    }
    match parts.first() {
        None => Err(format!(
            "output \"{value}\" is the kiln root itself; name a folder inside it (for example rendered)"
        )),
        Some(&".git") => Err(format!("output \"{value}\" is inside .git")),
        Some(_) => Ok(parts.join("/")),
    }
}

#[cfg(test)]
mod tests {
    use super::output_folder;

    #[test]
    fn output_folders_stay_inside_the_root() {
        assert_eq!(output_folder("./rendered/").unwrap(), "rendered");
        assert_eq!(output_folder("out//./prod").unwrap(), "out/prod");
        for bad in [
            "/abs/x",
            "../x",
            "a/../../x",
            ".",
            "./",
            "",
            ".git/x",
            "\\x",
        ] {
            assert!(output_folder(bad).is_err(), "{bad}");
        }
    }
}

/// kiln.yaml's place in the pipeline (see [`crate::kinds::Registration`]).
pub const REGISTRATION: crate::kinds::Registration = crate::kinds::Registration {
    name: "Config",
    schema_file: "kiln.schema.json",
    committed_schema: include_str!("../schemas/kiln.schema.json"),
    generate_schema: crate::schema::root_schema::<Config>,
    schema_errors: Schema::iter_errors,
    accept: None,
    renders: &[],
    elsewhere: &[],
};

// Compiled from the committed schema when kiln is built (see `crate::schema`).
#[jsonschema::validator(path = "schemas/kiln.schema.json", methods = { is_valid = false, validate = false })]
struct Schema;
