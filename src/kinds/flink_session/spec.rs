//! `FlinkSession`: a Flink session cluster that FlinkJobs with `session:` run on.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::kinds::flink_job::{
    Checkpoints, Env, FlinkJobSpec, HighAvailability, JobType, Resources, Savepoints,
};
use crate::kinds::{ApiVersion, Metadata, Scalar};

/// A Flink session cluster run by the Flink Kubernetes Operator: FlinkJobs that name it in
/// `session` are submitted to it as FlinkSessionJobs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "FlinkSession")]
pub struct FlinkSession {
    /// Always `kiln.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `FlinkSession`.
    pub kind: FlinkSessionKind,
    /// Name (at most 45 characters: `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`), namespace, labels.
    pub metadata: Metadata,
    /// The cluster: image, Flink version, size, and the settings its jobs share.
    pub spec: FlinkSessionSpec,
}

/// The kind of a FlinkSession document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum FlinkSessionKind {
    FlinkSession,
}

/// The cluster: image, Flink version, size, and the settings its jobs share.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FlinkSessionSpec {
    /// Flink version as `MAJOR.MINOR[.PATCH]` (a string: quote it); every job on the session
    /// runs on it. Default: `defaults.flink.flinkVersion` in kiln.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
    /// Container image of the JobManager and TaskManagers. Default: `defaults.flink.image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Kubernetes service account the Flink pods run as. Default:
    /// `defaults.flink.serviceAccount`, else `flink`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// A fixed number of TaskManagers, always running (standalone mode: the operator keeps a
    /// TaskManager Deployment of this size), their slots shared by the jobs. Leave it out for
    /// TaskManagers on demand (native mode: Flink starts them as jobs ask for slots and stops
    /// idle ones). A session cannot autoscale: the operator fills no scale status for it, and
    /// redeploys the whole cluster on any change of its spec. Changing between set and unset
    /// changes the mode, which the operator refuses on an existing session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub task_managers: Option<u32>,
    /// CPU, memory and task slots of the JobManager and each TaskManager, from a profile with
    /// optional overrides.
    #[serde(default)]
    pub resources: Resources,
    /// Checkpointing defaults for the jobs on the session: directory and interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<Checkpoints>,
    /// Savepoint directory and policy for the jobs on the session (a job's own wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoints: Option<Savepoints>,
    /// Kubernetes high availability for the JobManager: with it, the jobs on the session
    /// survive a JobManager restart and a redeploy of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<HighAvailability>,
    /// Environment of the Flink main container: a map `NAME: value`, or a list of
    /// `{name, value}` / `{name, valueFrom}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
    /// Flink configuration of the cluster; wins over the keys kiln generates. Values are
    /// rendered as strings. `kubernetes.namespace`, `kubernetes.cluster-id` and
    /// `high-availability.cluster-id` are owned by the operator and refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, Scalar>,
    /// Pod template passed through as the FlinkDeployment's `spec.podTemplate` base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<Map<String, Value>>,
    /// Change this number to restart the cluster (and every job on it) without any other
    /// change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
}

impl FlinkSessionSpec {
    /// The session as a FlinkJob spec without a program, so that the cluster-level rules,
    /// Flink configuration and FlinkDeployment of a FlinkJob serve it unchanged.
    pub fn as_cluster(&self) -> FlinkJobSpec {
        FlinkJobSpec {
            job_type: JobType::Jar,
            flink_version: self.flink_version.clone(),
            image: self.image.clone(),
            service_account: self.service_account.clone(),
            python: None,
            jar: None,
            sql: None,
            parallelism: None,
            resources: self.resources.clone(),
            autoscaling: crate::kinds::flink_job::Autoscaling::default(),
            state: crate::kinds::flink_job::JobState::Running,
            upgrade_mode: crate::kinds::flink_job::UpgradeMode::Stateless,
            checkpoints: self.checkpoints.clone(),
            savepoints: self.savepoints.clone(),
            rollout: crate::kinds::flink_job::Rollout::Rolling,
            session: None,
            restore: None,
            snapshots: Vec::new(),
            high_availability: self.high_availability.clone(),
            env: self.env.clone(),
            flink_configuration: self.flink_configuration.clone(),
            pod_template: self.pod_template.clone(),
            restart_nonce: self.restart_nonce,
        }
    }
}
