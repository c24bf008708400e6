//! `FlinkJob`: a streaming job, rendered to a FlinkDeployment and its helpers.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::kinds::{ApiVersion, AutoscalingEngine, Metadata, Scalar};

/// A Flink streaming job run by the Flink Kubernetes Operator.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "FlinkJob")]
pub struct FlinkJob {
    /// Always `kiln.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `FlinkJob`.
    pub kind: FlinkJobKind,
    /// Name (at most 45 characters: `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`), namespace, labels.
    pub metadata: Metadata,
    /// What to run and how to size and scale it.
    pub spec: FlinkJobSpec,
}

/// The kind of a FlinkJob document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum FlinkJobKind {
    FlinkJob,
}

/// What to run and how to size and scale it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FlinkJobSpec {
    /// The job's language: `python` (PyFlink), `jar` (a Java/Scala jar) or `sql` (a SQL script).
    #[serde(rename = "type")]
    pub job_type: JobType,
    /// Flink version as `MAJOR.MINOR[.PATCH]` (a string: quote it). The FlinkDeployment gets
    /// `vMAJOR_MINOR`. Default: `defaults.flink.flinkVersion` in kiln.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
    /// Container image for the JobManager and TaskManagers. Default: `defaults.flink.image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Kubernetes service account the Flink pods run as. Default: `defaults.flink.serviceAccount`,
    /// else `flink`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The Python job (`type: python`): one of `script` or `module`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonJob>,
    /// The jar job (`type: jar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jar: Option<JarJob>,
    /// The SQL job (`type: sql`): one of `file` or `statements`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlJob>,
    /// Job parallelism. Default: minReplicas x task slots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub parallelism: Option<u32>,
    /// CPU, memory and task slots, from a profile with optional overrides.
    #[serde(default)]
    pub resources: Resources,
    /// How the number of TaskManagers changes.
    #[serde(default)]
    pub autoscaling: Autoscaling,
    /// Desired job state: `running` or `suspended`.
    #[serde(default)]
    pub state: JobState,
    /// How the operator upgrades the job: `stateless` (default), `savepoint` or `last-state`.
    /// `savepoint` and `last-state` need `checkpoints.dir`; `savepoint` also `savepoints.dir`.
    #[serde(default)]
    pub upgrade_mode: UpgradeMode,
    /// Checkpointing: directory and interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<Checkpoints>,
    /// Savepoint directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoints: Option<Savepoints>,
    /// How changes roll out: `rolling` (default: one FlinkDeployment, upgraded in place) or
    /// `blueGreen` (a FlinkBlueGreenDeployment, operator 1.14+: a change starts a second
    /// deployment next to the running one, which takes over once ready).
    #[serde(default, skip_serializing_if = "Rollout::is_rolling")]
    pub rollout: Rollout,
    /// Run on the FlinkSession of this name in the job's namespace: kiln renders a
    /// FlinkSessionJob instead of a FlinkDeployment. Only jar jobs whose jar the operator can
    /// download (`https`); the session owns image, Flink version, resources and everything
    /// cluster-wide, so the job sets none of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Start the job from a savepoint or checkpoint, or redeploy it from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Restore>,
    /// Snapshots kept in git (FlinkStateSnapshot objects): adding one takes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<Snapshot>,
    /// Kubernetes high availability for the JobManager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<HighAvailability>,
    /// Environment of the Flink main container: a map `NAME: value`, or a list of
    /// `{name, value}` / `{name, valueFrom}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
    /// Flink configuration passed to the FlinkDeployment; wins over the keys kiln generates.
    /// Values are rendered as strings. `kubernetes.namespace`, `kubernetes.cluster-id` and
    /// `high-availability.cluster-id` are owned by the operator and refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, Scalar>,
    /// Pod template passed through as the FlinkDeployment's `spec.podTemplate` base. kiln adds
    /// env and volume mounts to the container named `flink-main-container`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<Map<String, Value>>,
    /// Change this number to restart the job without any other change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
}

#[cfg(test)]
impl FlinkJobSpec {
    /// A spec from a YAML test snippet.
    ///
    /// # Panics
    ///
    /// On a snippet that is not a valid spec: it is test data.
    pub fn from_test_yaml(yaml: &str) -> FlinkJobSpec {
        let value: Value = crate::yaml::parse_documents(yaml)
            .expect("test YAML parses")
            .remove(0);
        serde_json::from_value(value).expect("test spec is valid")
    }
}

/// The job's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    Python,
    Jar,
    Sql,
}

/// A PyFlink job.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PythonJob {
    /// The script: an `http(s)://` or `s3://` URL (downloaded at start by the image's
    /// entrypoint), or a path inside the image (run directly with `-py`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// A Python module to run with `-pym`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The image's downloader entrypoint, used when `script` is a URL.
    /// Default: `/opt/flink/usrlib/entrypoint.py`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    /// Extra jars (connectors) for the job: passed as `JAR_FILES` to the entrypoint for URL
    /// scripts, else as `pipeline.jars`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
    /// Arguments passed to the script, after kiln's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Options for Flink's PythonDriver, placed before `-py`/`-pym`
    /// (e.g. `[-pyclientexec, /usr/local/bin/python3]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub driver_args: Vec<String>,
    /// The flink-python jar. Default: `local:///opt/flink/opt/flink-python-<flinkVersion>.jar`
    /// (needs a full `MAJOR.MINOR.PATCH` flinkVersion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_jar: Option<String>,
}

/// A jar job.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JarJob {
    /// Where the jar is: `local:///path/in/image.jar` or a URL the operator can fetch.
    pub uri: String,
    /// Main class; default: the jar manifest's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Program arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// A SQL job.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SqlJob {
    /// A `.sql` file, relative to this spec file; it must stay inside the kiln root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The SQL script inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statements: Option<String>,
    /// How the script runs: `python` (a generated PyFlink wrapper, default) or `jar` (a SQL
    /// runner jar in the image).
    #[serde(default)]
    pub runner: SqlRunner,
    /// The SQL runner jar for `runner: jar`. Default: `local:///opt/flink/usrlib/sql-runner.jar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_jar: Option<String>,
    /// Main class of the runner jar; default: the jar manifest's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
}

/// How a SQL script runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SqlRunner {
    #[default]
    Python,
    Jar,
}

/// CPU, memory and task slots.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// A resource profile: `micro`, `small`, `medium` (default), `large`, `xlarge`, or one
    /// defined in kiln.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// JobManager overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_manager: Option<JobManagerResources>,
    /// TaskManager overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<TaskManagerResources>,
}

/// JobManager resources.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobManagerResources {
    /// CPU cores (a number, e.g. 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory in Flink's format (`2048m`, `2g`) or as a Kubernetes quantity (`2Gi`);
    /// at least 1024m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// JobManager replicas; more than 1 needs `highAvailability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub replicas: Option<u32>,
}

/// TaskManager resources.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskManagerResources {
    /// CPU cores (a number, e.g. 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory in Flink's format (`4096m`, `4g`) or as a Kubernetes quantity (`4Gi`);
    /// at least 1024m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Task slots per TaskManager (`taskmanager.numberOfTaskSlots`). Default: the profile's, else 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub slots: Option<u32>,
}

/// How the number of TaskManagers changes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// `disabled` (fixed), `reactive`, `hpa`, `hpa_reactive`, `scheduled`, `scheduled_hpa` or
    /// `operator` (the Flink operator's own autoscaler).
    #[serde(default)]
    pub mode: AutoscalingMode,
    /// What drives the hpa and scheduled modes: `kubernetes` (an HPA and scaler CronJobs) or
    /// `keda` (one KEDA ScaledObject with cpu and cron triggers). Default:
    /// `defaults.autoscaling.engine` in kiln.yaml, else `kubernetes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<AutoscalingEngine>,
    /// Fewest TaskManagers. Default: the profile's range (scheduled modes: the schedules').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_replicas: Option<u32>,
    /// Most TaskManagers. Default: the profile's range (scheduled modes: the schedules').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_replicas: Option<u32>,
    /// Target CPU utilization in percent for the HPA (default 80); in `operator` mode the
    /// autoscaler's target utilization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization: Option<u32>,
    /// Scheduled modes: a preset of schedules (`workday_peak`, `24x7_peak`, or one from kiln.yaml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Scheduled modes: explicit schedules instead of a preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Vec<ScheduleEntry>>,
    /// IANA time zone of the schedules (CronJob `spec.timeZone`). Default: `defaults.timeZone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// Autoscaling modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoscalingMode {
    #[default]
    Disabled,
    Reactive,
    Hpa,
    HpaReactive,
    Scheduled,
    ScheduledHpa,
    Operator,
}

impl AutoscalingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoscalingMode::Disabled => "disabled",
            AutoscalingMode::Reactive => "reactive",
            AutoscalingMode::Hpa => "hpa",
            AutoscalingMode::HpaReactive => "hpa_reactive",
            AutoscalingMode::Scheduled => "scheduled",
            AutoscalingMode::ScheduledHpa => "scheduled_hpa",
            AutoscalingMode::Operator => "operator",
        }
    }

    /// Runs the FlinkDeployment in standalone mode with the reactive scheduler.
    pub fn is_reactive(self) -> bool {
        matches!(
            self,
            AutoscalingMode::Reactive
                | AutoscalingMode::HpaReactive
                | AutoscalingMode::ScheduledHpa
        )
    }

    pub fn has_hpa(self) -> bool {
        matches!(
            self,
            AutoscalingMode::Hpa | AutoscalingMode::HpaReactive | AutoscalingMode::ScheduledHpa
        )
    }

    pub fn is_scheduled(self) -> bool {
        matches!(
            self,
            AutoscalingMode::Scheduled | AutoscalingMode::ScheduledHpa
        )
    }

    /// The schedules move an HPA's bounds (scheduled_hpa) rather than the TaskManager count
    /// itself (scheduled).
    pub fn schedules_move_hpa(self) -> bool {
        self == AutoscalingMode::ScheduledHpa
    }

    /// The mode has an autoscaling engine (an HPA, scaler CronJobs or a ScaledObject).
    pub fn has_engine(self) -> bool {
        self.has_hpa() || self.is_scheduled()
    }

    /// `taskManager.replicas` is written to git (nothing changes it at runtime).
    pub fn owns_replicas(self) -> bool {
        matches!(self, AutoscalingMode::Disabled | AutoscalingMode::Reactive)
    }
}

/// One scheduled change of the TaskManager range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleEntry {
    /// Name of the entry (a DNS label); the CronJob is `<job>-scale-<name>`.
    pub name: String,
    /// Standard 5-field cron expression (`0 9 * * 1-5`) or a descriptor (`@daily`).
    pub cron: String,
    /// Fewest TaskManagers from this time on (the replica count in `scheduled` mode).
    #[schemars(range(min = 1))]
    pub min_replicas: u32,
    /// Most TaskManagers from this time on.
    #[schemars(range(min = 1))]
    pub max_replicas: u32,
}

/// Desired job state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    #[default]
    Running,
    Suspended,
}

/// Upgrade mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeMode {
    #[default]
    Stateless,
    Savepoint,
    LastState,
}

impl UpgradeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            UpgradeMode::Stateless => "stateless",
            UpgradeMode::Savepoint => "savepoint",
            UpgradeMode::LastState => "last-state",
        }
    }
}

/// Checkpointing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Checkpoints {
    /// Durable checkpoint directory (`s3://bucket/checkpoints`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Checkpoint interval (`1m`, `30s`, `1h30m`, `PT5M`); written for Flink in the largest
    /// exact unit it reads (`1min`, `30s`, `90min`, `5min`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
}

/// Savepoints: where they go, how often the operator takes one, and how long it keeps them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Savepoints {
    /// Durable savepoint directory (`s3://bucket/savepoints`). Needed by `periodic`, savepoint
    /// `snapshots` and `upgradeMode: savepoint`, unless flinkConfiguration sets the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Take a savepoint this often (`6h`, `30m`, `1d`): the operator's
    /// `kubernetes.operator.periodic.savepoint.interval`. (For a Quartz cron schedule, set that
    /// key in flinkConfiguration.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodic: Option<String>,
    /// Delete savepoints older than this (`7d`); the operator keeps at least one, and cleans
    /// up lazily while the job runs (`kubernetes.operator.savepoint.history.max.age`,
    /// operator default 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// Keep at most this many savepoints (`kubernetes.operator.savepoint.history.max.count`,
    /// operator default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_count: Option<u32>,
    /// Binary format of the savepoints the operator takes: `canonical` (Flink's default,
    /// portable across state backends) or `native` (faster, tied to the state backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<SavepointFormat>,
}

/// The binary format of a savepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SavepointFormat {
    Canonical,
    Native,
}

impl SavepointFormat {
    /// The operator's enum value.
    pub fn as_operator_str(self) -> &'static str {
        match self {
            SavepointFormat::Canonical => "CANONICAL",
            SavepointFormat::Native => "NATIVE",
        }
    }
}

/// Start the job from a savepoint or checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Restore {
    /// The savepoint or retained checkpoint to start from (`job.initialSavepointPath`). On its
    /// own it is used only when the job is first deployed.
    pub path: String,
    /// Start even if some state of the savepoint maps to no operator of the job (that state is
    /// dropped): `job.allowNonRestoredState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
    /// Change this number (e.g. increment it) to redeploy a running job from `path`
    /// (`job.savepointRedeployNonce`): the operator cancels the job and starts it from `path`,
    /// whatever the upgradeMode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeploy_nonce: Option<i64>,
}

/// How a job's changes roll out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Rollout {
    #[default]
    Rolling,
    BlueGreen,
}

impl Rollout {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
    pub fn is_rolling(&self) -> bool {
        *self == Rollout::Rolling
    }
}

/// A snapshot kept in git as a FlinkStateSnapshot: adding one takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Snapshot {
    /// Name (a DNS label); the object is `<job>-<name>`.
    pub name: String,
    /// `savepoint` (default) or `checkpoint` (needs Flink 1.17 or later).
    #[serde(rename = "type", default)]
    pub snapshot_type: SnapshotType,
    /// Savepoints only: delete the savepoint's data when the object is deleted. Default
    /// false, so that Argo CD pruning a snapshot removed from git keeps the data (the
    /// operator's own default is true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispose_on_delete: Option<bool>,
}

/// The kind of a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotType {
    #[default]
    Savepoint,
    Checkpoint,
}

/// Kubernetes high availability.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HighAvailability {
    /// Durable directory for HA metadata (`s3://bucket/ha`).
    pub storage_dir: String,
}

/// Environment variables: a map or a Kubernetes-style list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Env {
    /// `NAME: value` pairs.
    Map(BTreeMap<String, Scalar>),
    /// `{name, value}` or `{name, valueFrom}` items, in order.
    List(Vec<EnvVar>),
}

/// One environment variable.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Literal value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    /// A Kubernetes EnvVarSource (`secretKeyRef`, `configMapKeyRef`, `fieldRef`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<Map<String, Value>>,
}
