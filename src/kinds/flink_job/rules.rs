//! FlinkJob rules: small pure functions, each over one concern of the spec, returning what
//! it resolved and the problems it found, placed in the spec's document. [`super::validate`]
//! runs them in the order a reader meets the fields.

use std::collections::{BTreeMap, BTreeSet};

use super::autoscaling::ScalerCronJob;
use super::catalog::{self, Profile};
use super::configuration::{self, DERIVED_FLINK_KEYS, FORBIDDEN_FLINK_KEYS, HA_KEYS, StateKeys};
use super::spec::{
    Autoscaling, AutoscalingMode, Env, FlinkJobSpec, JarJob, JobType, PythonJob, Rollout,
    ScheduleEntry, SnapshotType, SqlJob, SqlRunner, UpgradeMode,
};
use super::sql_wrapper;
use super::version::FlinkVersion;
use super::week::{self, Week};
use crate::cron;
use crate::diagnostic::Diagnostic;
use crate::field_path::FieldPath;
use crate::kinds::AutoscalingEngine;
use crate::names;
use crate::validate::{
    Place, check_schedule_entries, check_time_zone, image_warning, kube, memory_problem,
};

/// The longest CronJob name Kubernetes accepts (its Jobs get an 11-character suffix).
pub const MAX_CRONJOB_NAME: usize = 52;

/// Problems, in the order found.
pub type Problems = Vec<Diagnostic>;

#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    pub cpu: f64,
    pub memory: String,
}

/// The job's resolved resources.
#[derive(Debug, Clone, PartialEq)]
pub struct Resources {
    pub profile_name: String,
    pub profile: Profile,
    pub job_manager: Sizing,
    pub job_manager_replicas: u32,
    pub task_manager: Sizing,
    pub slots: u32,
}

pub fn name(place: Place, name: &str) -> Problems {
    if names::is_flink_name(name) {
        return Vec::new();
    }
    vec![place.error(
        "metadata.name",
        format!(
            "\"{name}\" is not a valid name for the Flink operator: at most 45 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit ({} characters given)",
            name.chars().count()
        ),
    )]
}

/// The job's Flink version: its own, else kiln.yaml's. `default_given` says kiln.yaml set
/// one (an invalid one is reported there, not again here).
pub fn version(
    place: Place,
    spec: &FlinkJobSpec,
    default: Option<FlinkVersion>,
    default_given: bool,
) -> (Option<FlinkVersion>, Problems) {
    match &spec.flink_version {
        Some(text) => match FlinkVersion::parse(text) {
            Ok(v) => (Some(v), Vec::new()),
            Err(e) => (None, vec![place.error("spec.flinkVersion", e)]),
        },
        None if default.is_none() && !default_given => (
            None,
            vec![place.error(
                "spec",
                "no flinkVersion: set spec.flinkVersion or defaults.flink.flinkVersion in kiln.yaml",
            )],
        ),
        None => (default, Vec::new()),
    }
}

/// The job's image: its own (warned about when not pinned), else kiln.yaml's.
pub fn image(place: Place, own: Option<&str>, default: Option<&str>) -> (Option<String>, Problems) {
    match (own, default) {
        (Some(image), _) => (
            Some(image.to_string()),
            image_warning(image)
                .map(|w| place.warning("spec.image", w))
                .into_iter()
                .collect(),
        ),
        (None, Some(image)) => (Some(image.to_string()), Vec::new()),
        (None, None) => (
            None,
            vec![place.error(
                "spec",
                "no image: set spec.image or defaults.flink.image in kiln.yaml",
            )],
        ),
    }
}

/// The program section matches `type`: the one it names is present, no other is.
pub fn program_sections(place: Place, spec: &FlinkJobSpec) -> Problems {
    let sections = [
        ("python", spec.python.is_some(), JobType::Python),
        ("jar", spec.jar.is_some(), JobType::Jar),
        ("sql", spec.sql.is_some(), JobType::Sql),
    ];
    let type_name = sections
        .iter()
        .find(|s| s.2 == spec.job_type)
        .map_or("", |s| s.0);
    let mut problems = Vec::new();
    for (section, present, job_type) in sections {
        if job_type == spec.job_type && !present {
            problems.push(place.error(
                "spec",
                format!("type is {type_name} but spec.{section} is missing"),
            ));
        } else if job_type != spec.job_type && present {
            problems.push(place.error(
                &format!("spec.{section}"),
                format!("spec.{section} is set but type is {type_name}; remove it or change type"),
            ));
        }
    }
    problems
}

pub fn python(place: Place, python: &PythonJob, version: Option<FlinkVersion>) -> Problems {
    let mut problems = Vec::new();
    match (&python.script, &python.module) {
        (Some(_), Some(_)) => {
            problems.push(place.error("spec.python", "set one of script or module, not both"));
        }
        (None, None) => problems.push(place.error("spec.python", "set one of script or module")),
        (Some(s), None) if s.trim().is_empty() => {
            problems.push(place.error("spec.python.script", "script is empty"));
        }
        _ => {}
    }
    if python.driver_jar.is_none() && version.is_some_and(|v| v.patch.is_none()) {
        problems.push(
            place
                .error(
                    "spec.flinkVersion",
                    "python jobs need a full MAJOR.MINOR.PATCH flinkVersion to name flink-python-<version>.jar",
                )
                .with_hint("write the full version (\"1.19.3\") or set spec.python.driverJar"),
        );
    }
    problems
}

pub fn jar(place: Place, jar: &JarJob) -> Problems {
    if jar.uri.trim().is_empty() {
        return vec![place.error("spec.jar.uri", "uri is empty")];
    }
    Vec::new()
}

/// Which of `sql.file` and `sql.statements` holds the script: exactly one must.
pub fn sql_source(place: Place, sql: &SqlJob) -> Problems {
    match (&sql.file, &sql.statements) {
        (Some(_), Some(_)) => {
            vec![place.error("spec.sql", "set one of file or statements, not both")]
        }
        (None, None) => vec![place.error("spec.sql", "set one of file or statements")],
        _ => Vec::new(),
    }
}

/// The SQL job's runner and script size (the script's own statements are checked by
/// [`super::sql::check`]).
pub fn sql(
    place: Place,
    sql: &SqlJob,
    script: Option<&str>,
    version: Option<FlinkVersion>,
) -> Problems {
    let mut problems = Vec::new();
    if let Some(script) = script {
        let wrapper = if sql.runner == SqlRunner::Python {
            sql_wrapper::WRAPPER_BYTES
        } else {
            0
        };
        let bytes = script.len() + wrapper;
        if bytes > kube::MAX_CONFIG_MAP_BYTES {
            problems.push(
                place
                    .error(
                        if sql.file.is_some() {
                            "spec.sql.file"
                        } else {
                            "spec.sql.statements"
                        },
                        format!(
                            "the SQL ConfigMap would hold {bytes} bytes (the script{}); the API server stores at most {} bytes in a ConfigMap",
                            if wrapper > 0 { " and run_sql.py" } else { "" },
                            kube::MAX_CONFIG_MAP_BYTES
                        ),
                    )
                    .with_hint(
                        "split the script, or bake it into the image and run it with a jar job",
                    ),
            );
        }
    }
    if sql.runner == SqlRunner::Python && version.is_some_and(|v| v.patch.is_none()) {
        problems.push(
            place
                .error(
                    "spec.flinkVersion",
                    "the python SQL runner needs a full MAJOR.MINOR.PATCH flinkVersion to name flink-python-<version>.jar",
                )
                .with_hint("write the full version (\"1.19.3\") or use sql.runner: jar"),
        );
    }
    if sql.runner == SqlRunner::Python && (sql.runner_jar.is_some() || sql.entry_class.is_some()) {
        problems.push(place.error("spec.sql", "runnerJar and entryClass are for runner: jar"));
    }
    problems
}

/// The profile and the JobManager and TaskManager sizes over it. An unknown profile is an
/// error and the default profile stands in, so the other rules still run.
pub fn resources(
    place: Place,
    spec: &FlinkJobSpec,
    profiles: &BTreeMap<String, Profile>,
) -> (Option<Resources>, Problems) {
    let mut problems = Vec::new();
    let profile_name = spec
        .resources
        .profile
        .clone()
        .unwrap_or_else(|| catalog::DEFAULT_PROFILE.to_string());
    let profile = if let Some(p) = profiles.get(&profile_name) {
        p.clone()
    } else {
        problems.push(
            place
                .error(
                    "spec.resources.profile",
                    format!(
                        "unknown profile \"{profile_name}\"; expected one of {}",
                        profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
                .suggesting(&profile_name, profiles.keys().map(String::as_str)),
        );
        match catalog::builtin_profile(catalog::DEFAULT_PROFILE) {
            Some(p) => p,
            None => return (None, problems),
        }
    };
    let jm = spec.resources.job_manager.clone().unwrap_or_default();
    let tm = spec.resources.task_manager.clone().unwrap_or_default();
    let job_manager = Sizing {
        cpu: jm.cpu.unwrap_or(profile.cpu),
        memory: jm.memory.clone().unwrap_or_else(|| profile.memory.clone()),
    };
    let task_manager = Sizing {
        cpu: tm.cpu.unwrap_or(profile.cpu),
        memory: tm.memory.clone().unwrap_or_else(|| profile.memory.clone()),
    };
    for (path, sizing, overridden) in [
        ("spec.resources.jobManager", &job_manager, &jm.memory),
        ("spec.resources.taskManager", &task_manager, &tm.memory),
    ] {
        if sizing.cpu <= 0.0 {
            problems.push(place.error(&format!("{path}.cpu"), "cpu must be greater than 0"));
        }
        if let Some(problem) = memory_problem(&sizing.memory) {
            let at = if overridden.is_some() {
                format!("{path}.memory")
            } else {
                "spec.resources.profile".into()
            };
            problems.push(place.error(&at, problem));
        }
    }
    let resources = Resources {
        slots: tm.slots.unwrap_or(profile.slots),
        job_manager_replicas: jm.replicas.unwrap_or(1),
        profile_name,
        profile,
        job_manager,
        task_manager,
    };
    (Some(resources), problems)
}

/// What a job's cluster gives it when the job's own spec does not: a session's checkpoint
/// and savepoint directories and high availability (the operator judges a session job by the
/// session's configuration with the job's over it). Nothing for a job on its own cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inherited {
    pub checkpoint_dir: bool,
    pub savepoint_dir: bool,
    pub high_availability: bool,
}

impl Inherited {
    /// What a cluster's final Flink configuration provides.
    pub fn from_configuration(
        configuration: &BTreeMap<String, String>,
        version: FlinkVersion,
    ) -> Inherited {
        let keys = StateKeys::of(Some(version));
        Inherited {
            checkpoint_dir: configuration.contains_key(keys.checkpoint_dir),
            savepoint_dir: configuration.contains_key(keys.savepoint_dir),
            high_availability: HA_KEYS.iter().any(|k| {
                configuration
                    .get(*k)
                    .is_some_and(|v| !v.eq_ignore_ascii_case("none"))
            }),
        }
    }
}

/// A savepoint directory is set: `savepoints.dir`, the Flink key of `version`, or the
/// session's.
fn has_savepoint_dir(
    spec: &FlinkJobSpec,
    version: Option<FlinkVersion>,
    inherited: Inherited,
) -> bool {
    inherited.savepoint_dir
        || spec.savepoints.as_ref().is_some_and(|s| s.dir.is_some())
        || spec
            .flink_configuration
            .contains_key(StateKeys::of(version).savepoint_dir)
}

/// The checkpoint interval, savepoint policy, restore and snapshots, with what Flink or the
/// operator would refuse or silently ignore: a duration Flink cannot read, periodic savepoints without a savepoint directory (refused by its validator), a
/// duration it cannot read, an empty restore path (refused for a redeploy), a checkpoint
/// snapshot that would dispose of data (savepoints only) or on Flink before 1.17 (it cannot
/// trigger one), a savepoint snapshot with nowhere to go, and snapshot names.
pub fn lifecycle(
    place: Place,
    spec: &FlinkJobSpec,
    version: Option<FlinkVersion>,
    inherited: Inherited,
) -> Problems {
    let mut problems = Vec::new();
    if let Some(Err(e)) = spec
        .checkpoints
        .as_ref()
        .and_then(|c| c.interval.as_deref())
        .map(configuration::flink_duration)
    {
        problems.push(place.error("spec.checkpoints.interval", e));
    }
    let savepoint_dir = has_savepoint_dir(spec, version, inherited);
    if let Some(savepoints) = &spec.savepoints {
        for (field, value) in [
            ("periodic", &savepoints.periodic),
            ("maxAge", &savepoints.max_age),
        ] {
            if let Some(Err(e)) = value.as_deref().map(configuration::flink_duration) {
                problems.push(place.error(&format!("spec.savepoints.{field}"), e));
            }
        }
        if savepoints.periodic.is_some() && !savepoint_dir {
            problems.push(
                place
                    .error(
                        "spec.savepoints.periodic",
                        "periodic savepoints need a savepoint directory (the operator refuses them without one)",
                    )
                    .with_hint("set spec.savepoints.dir"),
            );
        }
    }
    if let Some(restore) = &spec.restore
        && restore.path.trim().is_empty()
    {
        problems.push(place.error("spec.restore.path", "restore.path is empty"));
    }
    let mut seen = BTreeSet::new();
    for (i, snapshot) in spec.snapshots.iter().enumerate() {
        let at = |field: &str| {
            let path = FieldPath::parse("spec.snapshots").index(i);
            if field.is_empty() {
                path
            } else {
                path.key(field)
            }
        };
        // A DNS label of at most 63 after a job name of at most 45: `<job>-<name>` always
        // fits an object name (253).
        if !names::is_dns_label(&snapshot.name, 63) {
            problems.push(place.at(
                at("name"),
                Diagnostic::error(format!(
                    "snapshot name \"{}\" is not a DNS label (lower-case letters, digits and '-', at most 63)",
                    snapshot.name
                )),
            ));
        }
        if !seen.insert(snapshot.name.as_str()) {
            problems.push(place.at(
                at("name"),
                Diagnostic::error(format!("snapshot \"{}\" is listed twice", snapshot.name)),
            ));
        }
        match snapshot.snapshot_type {
            SnapshotType::Checkpoint => {
                if snapshot.dispose_on_delete == Some(true) {
                    problems.push(place.at(
                        at("disposeOnDelete"),
                        Diagnostic::error(
                            "disposeOnDelete is for savepoints; the operator never deletes checkpoint data",
                        ),
                    ));
                }
                if let Some(v) = version.filter(|v| !v.at_least(1, 17)) {
                    problems.push(place.at(
                        at("type"),
                        Diagnostic::error(format!(
                            "the operator can trigger a checkpoint from Flink 1.17 on; this job uses {v}"
                        )),
                    ));
                }
            }
            SnapshotType::Savepoint => {
                if !savepoint_dir {
                    problems.push(
                        place
                            .at(
                                at(""),
                                Diagnostic::error(format!(
                                    "savepoint \"{}\" needs a savepoint directory",
                                    snapshot.name
                                )),
                            )
                            .with_hint("set spec.savepoints.dir"),
                    );
                }
            }
        }
    }
    problems
}

/// The longest name of a blue/green job: the operator names its deployments
/// `<name>-blue` and `<name>-green`, which must pass its 45-character rule.
pub const MAX_BLUE_GREEN_NAME: usize = 45 - "-green".len();

/// What a FlinkBlueGreenDeployment cannot do (operator release-1.15): it has no scale
/// subresource, so no HPA, ScaledObject or scaler CronJob can drive it; it takes a savepoint
/// of the active deployment before every transition except for stateless jobs (so those
/// need a savepoint directory); its deployments are `<name>-blue`/`<name>-green`, which
/// bounds the name and leaves no FlinkDeployment named `<name>` for a snapshot to refer to.
pub fn rollout(
    place: Place,
    spec: &FlinkJobSpec,
    version: Option<FlinkVersion>,
    name: &str,
) -> Problems {
    if spec.rollout != Rollout::BlueGreen {
        return Vec::new();
    }
    let mut problems = Vec::new();
    if name.len() > MAX_BLUE_GREEN_NAME {
        problems.push(place.error(
            "metadata.name",
            format!(
                "a blue/green job's name has at most {MAX_BLUE_GREEN_NAME} characters (its deployments are {name}-blue and {name}-green, at most 45); this one has {}",
                name.len()
            ),
        ));
    }
    if spec.autoscaling.mode.has_engine() {
        problems.push(
            place
                .error(
                    "spec.autoscaling.mode",
                    format!(
                        "mode {} cannot drive a FlinkBlueGreenDeployment: it has no scale subresource for an HPA, KEDA or scaler CronJobs",
                        spec.autoscaling.mode.as_str()
                    ),
                )
                .with_hint("use disabled, reactive or operator, or rollout: rolling"),
        );
    }
    if spec.upgrade_mode != UpgradeMode::Stateless
        && !has_savepoint_dir(spec, version, Inherited::default())
    {
        problems.push(
            place
                .error(
                    "spec.rollout",
                    format!(
                        "blue/green takes a savepoint of the active deployment before each transition (upgradeMode {}), so it needs a savepoint directory",
                        spec.upgrade_mode.as_str()
                    ),
                )
                .with_hint("set spec.savepoints.dir"),
        );
    }
    if !spec.snapshots.is_empty() {
        problems.push(place.error(
            "spec.snapshots",
            format!(
                "snapshots refer to one FlinkDeployment; a blue/green job's deployments are {name}-blue and {name}-green in turn"
            ),
        ));
    }
    problems
}

/// What the upgrade mode and JobManager replicas need: checkpoint and savepoint directories,
/// high availability (set through typed fields or the Flink keys of `version`).
pub fn state(
    place: Place,
    spec: &FlinkJobSpec,
    version: Option<FlinkVersion>,
    job_manager_replicas: u32,
    inherited: Inherited,
) -> Problems {
    let keys = StateKeys::of(version);
    let user_key = |key: &str| {
        spec.flink_configuration
            .get(key)
            .map(crate::kinds::Scalar::render)
    };
    let has_checkpoint_dir = inherited.checkpoint_dir
        || spec
            .checkpoints
            .as_ref()
            .and_then(|c| c.dir.as_ref())
            .is_some()
        || user_key(keys.checkpoint_dir).is_some();
    let has_savepoint_dir = has_savepoint_dir(spec, version, inherited);
    let has_ha = inherited.high_availability
        || spec.high_availability.is_some()
        || HA_KEYS
            .iter()
            .any(|k| user_key(k).is_some_and(|v| !v.eq_ignore_ascii_case("none")));
    let mut problems = Vec::new();
    let mode = spec.upgrade_mode;
    if mode != UpgradeMode::Stateless && !has_checkpoint_dir {
        problems.push(
            place
                .error(
                    "spec.upgradeMode",
                    format!("upgradeMode {} needs a checkpoint directory", mode.as_str()),
                )
                .with_hint("set spec.checkpoints.dir"),
        );
    }
    if mode == UpgradeMode::Savepoint && !has_savepoint_dir {
        problems.push(
            place
                .error(
                    "spec.upgradeMode",
                    "upgradeMode savepoint needs a savepoint directory",
                )
                .with_hint("set spec.savepoints.dir"),
        );
    }
    if mode == UpgradeMode::LastState && !has_ha {
        problems.push(
            place
                .error(
                    "spec.upgradeMode",
                    "upgradeMode last-state needs high availability (the operator refuses it otherwise)",
                )
                .with_hint("set spec.highAvailability.storageDir"),
        );
    }
    if job_manager_replicas > 1 && !has_ha {
        problems.push(
            place
                .error(
                    "spec.resources.jobManager.replicas",
                    format!("{job_manager_replicas} JobManager replicas need high availability"),
                )
                .with_hint("set spec.highAvailability.storageDir"),
        );
    }
    problems
}

/// `flinkConfiguration` may not set what kiln derives or the operator owns.
pub fn configuration_keys(place: Place, spec: &FlinkJobSpec) -> Problems {
    let mut problems = Vec::new();
    for key in spec.flink_configuration.keys() {
        let at = FieldPath::parse("spec.flinkConfiguration").key(key);
        if let Some((_, field)) = DERIVED_FLINK_KEYS.iter().find(|(k, _)| k == key) {
            problems.push(place.at_key(
                at.clone(),
                Diagnostic::error(format!("\"{key}\" is derived by kiln; set {field} instead")),
            ));
        }
        if FORBIDDEN_FLINK_KEYS.contains(&key.as_str()) {
            problems.push(place.at_key(
                at,
                Diagnostic::error(format!(
                    "\"{key}\" is set by the Flink operator and may not be configured"
                )),
            ));
        }
    }
    problems
}

/// The pod fields the API server checks: the pod template's, and the environment variables.
pub fn pod_fields(place: Place, spec: &FlinkJobSpec) -> Problems {
    let mut problems = Vec::new();
    if let Some(template) = &spec.pod_template {
        for (at, severity, problem) in kube::pod_template_problems(template) {
            problems.push(place.at(
                FieldPath::parse("spec.podTemplate").join(&at),
                Diagnostic::error(problem).with_severity(severity),
            ));
        }
    }
    match &spec.env {
        Some(Env::Map(vars)) => {
            for name in vars.keys() {
                if let Some((severity, problem)) = kube::env_name_problem(name) {
                    problems.push(place.at_key(
                        FieldPath::parse("spec.env").key(name),
                        Diagnostic::error(problem).with_severity(severity),
                    ));
                }
            }
        }
        Some(Env::List(vars)) => {
            let mut names = BTreeSet::new();
            for (i, var) in vars.iter().enumerate() {
                let path = FieldPath::parse("spec.env").index(i);
                for (at, severity, problem) in
                    kube::env_var_problems(&var.name, var.value_from.as_ref())
                {
                    problems.push(place.at(
                        path.clone().join(&at),
                        Diagnostic::error(problem).with_severity(severity),
                    ));
                }
                if var.value.is_some() && var.value_from.is_some() {
                    problems.push(place.at(
                        path.clone(),
                        Diagnostic::error("set value or valueFrom, not both"),
                    ));
                }
                if !names.insert(var.name.as_str()) {
                    problems.push(place.at(
                        path.key("name"),
                        Diagnostic::error(format!("duplicate variable \"{}\"", var.name)),
                    ));
                }
            }
        }
        None => {}
    }
    problems
}

/// What the autoscaling mode needs of the Flink version, and what it costs.
pub fn autoscaling_mode(
    place: Place,
    mode: AutoscalingMode,
    version: Option<FlinkVersion>,
) -> Problems {
    let mut problems = Vec::new();
    if mode == AutoscalingMode::Operator
        && let Some(v) = version.filter(|v| !v.at_least(1, 17))
    {
        problems.push(place.error(
            "spec.autoscaling.mode",
            format!("the operator autoscaler needs Flink 1.17 or later; this job uses {v}"),
        ));
    }
    if mode == AutoscalingMode::Hpa {
        problems.push(
            place
                .warning(
                    "spec.autoscaling.mode",
                    "hpa runs Flink in native mode, where every scale event restarts the job from its last checkpoint or savepoint",
                )
                .with_hint("use hpa_reactive to rescale in place (standalone mode with the reactive scheduler)"),
        );
    }
    problems
}

/// The autoscaling engine: the spec's, else kiln.yaml's default, else `kubernetes`. Only the
/// hpa and scheduled modes have one; naming one in another mode is an error.
pub fn engine(
    place: Place,
    a: &Autoscaling,
    default: Option<AutoscalingEngine>,
) -> (AutoscalingEngine, Problems) {
    let engine = a
        .engine
        .or(default)
        .unwrap_or(AutoscalingEngine::Kubernetes);
    if a.engine.is_some() && !a.mode.has_engine() {
        let problem = place.error(
            "spec.autoscaling.engine",
            format!(
                "engine is only used by the modes hpa, hpa_reactive, scheduled and scheduled_hpa, not {}",
                a.mode.as_str()
            ),
        );
        return (engine, vec![problem]);
    }
    (engine, Vec::new())
}

/// The week of a scheduled job's entries (see [`week`]), and what its engine can make of it:
/// KEDA's cron triggers repeat weekly, so a schedule tied to dates is an error there and a
/// warning for CronJobs (which then act only at the schedule's edges); `scheduled` on KEDA
/// needs a floor that changes; a window's maxReplicas cannot cap an HPA whose maximum git
/// owns (a warning in `scheduled_hpa` when they differ); an entry that never takes over is
/// a warning.
pub fn week(
    place: Place,
    a: &Autoscaling,
    schedules: &[ScheduleEntry],
    engine: AutoscalingEngine,
) -> (Option<Week>, Problems) {
    let mode = a.mode;
    if !mode.is_scheduled() || schedules.is_empty() {
        return (None, Vec::new());
    }
    let Ok(parsed) = schedules
        .iter()
        .map(|e| cron::parse(&e.cron))
        .collect::<Result<Vec<_>, _>>()
    else {
        return (None, Vec::new());
    };
    let entry_path = |i: usize, field: &str| {
        if a.preset.is_some() {
            FieldPath::parse("spec.autoscaling.preset")
        } else {
            let path = FieldPath::parse("spec.autoscaling.schedules").index(i);
            if field.is_empty() {
                path
            } else {
                path.key(field)
            }
        }
    };
    let mut problems = Vec::new();
    let week = match Week::of(&parsed) {
        Ok(week) => week,
        Err(i) => {
            let entry = &schedules[i];
            let problem = match engine {
                AutoscalingEngine::Keda => Diagnostic::error(format!(
                    "schedule \"{}\" (`{}`) depends on the date, and KEDA's cron triggers repeat every week",
                    entry.name, entry.cron
                ))
                .with_hint("use engine kubernetes, or a weekly cron (day of month and month `*`)"),
                AutoscalingEngine::Kubernetes => Diagnostic::warning(format!(
                    "schedule \"{}\" (`{}`) depends on the date: its CronJobs act only at the schedule's edges, so after a sync the window in force applies from the next edge",
                    entry.name, entry.cron
                ))
                .with_hint(format!(
                    "weekly schedules (day of month and month `*`) are re-applied every {} minutes",
                    week::HOLD_EVERY
                )),
            };
            problems.push(place.at(entry_path(i, "cron"), problem));
            return (None, problems);
        }
    };
    let in_force: BTreeSet<usize> = week.windows.iter().map(|w| w.entry).collect();
    for (i, entry) in schedules.iter().enumerate() {
        // One that cannot fire at all has its own warning.
        if !in_force.contains(&i) && parsed[i].can_fire() {
            problems.push(place.at(
                entry_path(i, ""),
                Diagnostic::warning(format!(
                    "schedule \"{}\" never takes over: a later entry fires at each of its minutes",
                    entry.name
                )),
            ));
        }
    }
    let floors = week.runs(|e| schedules[e].min_replicas);
    if engine == AutoscalingEngine::Keda && mode == AutoscalingMode::Scheduled && floors.len() < 2 {
        let floor = floors.first().map_or(0, |r| r.value);
        problems.push(
            place
                .error(
                    "spec.autoscaling",
                    format!(
                        "the schedules keep {floor} TaskManagers all week: a KEDA ScaledObject needs a trigger that changes something"
                    ),
                )
                .with_hint(format!(
                    "use mode disabled with minReplicas {floor}, or schedules with different minReplicas"
                )),
        );
    }
    let maxima: BTreeSet<u32> = in_force
        .iter()
        .map(|&i| schedules[i].max_replicas)
        .collect();
    if mode == AutoscalingMode::ScheduledHpa && maxima.len() > 1 {
        let listed: Vec<String> = in_force
            .iter()
            .map(|&i| format!("{} {}", schedules[i].name, schedules[i].max_replicas))
            .collect();
        let most = maxima.last().copied().unwrap_or(0);
        let problem = Diagnostic::warning(format!(
            "the schedules' maxReplicas differ ({}): a window cannot lower the ceiling of an autoscaler whose maximum is in git, so every window may scale up to {most}",
            listed.join(", ")
        ))
        .with_hint("give every entry the same maxReplicas; `kiln status` shows the TaskManager-hours each window allows");
        problems.push(if a.preset.is_some() {
            place.at(FieldPath::parse("spec.autoscaling.preset"), problem)
        } else {
            place.at(FieldPath::parse("spec.autoscaling.schedules"), problem)
        });
    }
    (Some(week), problems)
}

/// The schedule entries of a scheduled mode (from a preset or written out); the scheduling
/// fields are refused in the other modes.
pub fn schedules(
    place: Place,
    a: &Autoscaling,
    presets: &BTreeMap<String, Vec<ScheduleEntry>>,
) -> (Vec<ScheduleEntry>, Problems) {
    let mode = a.mode;
    let mut problems = Vec::new();
    if !mode.is_scheduled() {
        for (field, set) in [
            ("preset", a.preset.is_some()),
            ("schedules", a.schedules.is_some()),
            ("timeZone", a.time_zone.is_some()),
        ] {
            if set {
                problems.push(place.error(
                    &format!("spec.autoscaling.{field}"),
                    format!(
                        "{field} is only used by the scheduled modes (scheduled, scheduled_hpa), not {}",
                        mode.as_str()
                    ),
                ));
            }
        }
        return (Vec::new(), problems);
    }
    let schedules = match (&a.preset, &a.schedules) {
        (Some(_), Some(_)) => {
            problems.push(place.error(
                "spec.autoscaling",
                "set one of preset or schedules, not both",
            ));
            Vec::new()
        }
        (None, None) => {
            problems.push(
                place
                    .error(
                        "spec.autoscaling",
                        format!("mode {} needs a preset or schedules", mode.as_str()),
                    )
                    .with_hint(format!(
                        "built-in presets: {}",
                        catalog::BUILTIN_PRESETS.join(", ")
                    )),
            );
            Vec::new()
        }
        (Some(preset), None) => {
            if let Some(entries) = presets.get(preset) {
                entries.clone()
            } else {
                problems.push(
                    place
                        .error(
                            "spec.autoscaling.preset",
                            format!(
                                "unknown preset \"{preset}\"; expected one of {}",
                                presets.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                        )
                        .suggesting(preset, presets.keys().map(String::as_str)),
                );
                Vec::new()
            }
        }
        (None, Some(entries)) => {
            if entries.is_empty() {
                problems.push(place.error(
                    "spec.autoscaling.schedules",
                    "at least one schedule is needed",
                ));
            }
            check_schedule_entries(entries, &mut |field: FieldPath, d: Diagnostic| {
                problems.push(place.at(
                    FieldPath::parse("spec.autoscaling.schedules").join(&field),
                    d,
                ));
            });
            entries.clone()
        }
    };
    (schedules, problems)
}

/// Each scaler CronJob's name fits Kubernetes' limit.
pub fn cronjob_names(
    place: Place,
    a: &Autoscaling,
    scalers: &[ScalerCronJob],
    week: Option<&Week>,
) -> Problems {
    let path = if a.preset.is_some() {
        "spec.autoscaling.preset"
    } else {
        "spec.autoscaling.schedules"
    };
    scalers
        .iter()
        .map(|s| &s.name)
        .filter(|cronjob| cronjob.len() > MAX_CRONJOB_NAME)
        .map(|cronjob| {
            place
                .error(
                    path,
                    format!(
                        "CronJob name \"{cronjob}\" is {} characters; Kubernetes allows at most {MAX_CRONJOB_NAME}",
                        cronjob.len()
                    ),
                )
                .with_hint(if week.is_some() {
                    "shorten the job name"
                } else {
                    "shorten the job name or the schedule name"
                })
        })
        .collect()
}

/// The schedules' time zone (scheduled modes): the job's own, else kiln.yaml's.
pub fn time_zone(
    place: Place,
    a: &Autoscaling,
    default: Option<&str>,
    engine: AutoscalingEngine,
) -> (Option<String>, Problems) {
    if !a.mode.is_scheduled() {
        return (None, Vec::new());
    }
    let zone = a.time_zone.as_deref().or(default).map(str::to_string);
    let problems = match (&a.time_zone, &zone) {
        (Some(own), _) => check_time_zone(own)
            .err()
            .map(|e| place.error("spec.autoscaling.timeZone", e))
            .into_iter()
            .collect(),
        (None, Some(_)) => Vec::new(),
        (None, None) => vec![
            place
                .warning(
                    "spec.autoscaling",
                    match engine {
                        AutoscalingEngine::Kubernetes => "schedules have no time zone: CronJobs fire in the controller's zone (usually UTC), so 09:00 may mean 17:00 local time",
                        AutoscalingEngine::Keda => "schedules have no time zone: KEDA reads them in UTC, so 09:00 may mean 17:00 local time",
                    },
                )
                .with_hint("set spec.autoscaling.timeZone or defaults.timeZone in kiln.yaml"),
        ],
    };
    (zone, problems)
}

/// The replica range: explicit values, else the schedules' span (scheduled modes), else the
/// profile's; every schedule must fit an explicit range.
pub fn replica_range(
    place: Place,
    a: &Autoscaling,
    schedules: &[ScheduleEntry],
    profile: &Profile,
) -> ((u32, u32), Problems) {
    let span_min = schedules.iter().map(|e| e.min_replicas).min();
    let span_max = schedules.iter().map(|e| e.max_replicas).max();
    let min_replicas = a.min_replicas.or(span_min).unwrap_or(profile.min_replicas);
    let max_replicas = a.max_replicas.or(span_max).unwrap_or(profile.max_replicas);
    let mut problems = Vec::new();
    if min_replicas > max_replicas {
        problems.push(place.error(
            "spec.autoscaling",
            format!("minReplicas {min_replicas} is greater than maxReplicas {max_replicas}"),
        ));
    }
    if a.min_replicas.is_some() || a.max_replicas.is_some() {
        for (i, entry) in schedules.iter().enumerate() {
            if entry.min_replicas < min_replicas || entry.max_replicas > max_replicas {
                let d = Diagnostic::error(format!(
                    "schedule \"{}\" asks for {}-{} replicas, outside the autoscaling range {min_replicas}-{max_replicas}",
                    entry.name, entry.min_replicas, entry.max_replicas
                ));
                problems.push(if a.preset.is_some() {
                    place.at(FieldPath::parse("spec.autoscaling.preset"), d)
                } else {
                    place.at(FieldPath::parse("spec.autoscaling.schedules").index(i), d)
                });
            }
        }
    }
    ((min_replicas, max_replicas), problems)
}

/// The job's parallelism: its own, else every slot of the minimum TaskManagers. A mode that
/// fixes the TaskManager count ignores an explicit one that disagrees. The task slots of the
/// largest TaskManager count must fit the int32 fields they are written to.
pub fn parallelism(
    place: Place,
    spec: &FlinkJobSpec,
    (min_replicas, max_replicas): (u32, u32),
    slots: u32,
) -> (u32, Problems) {
    let most = u64::from(min_replicas.max(max_replicas)) * u64::from(slots);
    if most > u64::from(i32::MAX.unsigned_abs()) {
        return (
            0,
            vec![place.error(
                "spec.resources.taskManager.slots",
                format!(
                    "{} TaskManagers x {slots} slots = {most} task slots; Kubernetes and the operator take at most {}",
                    min_replicas.max(max_replicas),
                    i32::MAX
                ),
            )],
        );
    }
    let full = min_replicas * slots;
    match spec.parallelism {
        Some(p) if spec.autoscaling.mode.owns_replicas() && p != full => (
            p,
            vec![place.warning(
                "spec.parallelism",
                format!(
                    "parallelism {p} is ignored while taskManager.replicas is fixed: the job runs with {min_replicas} TaskManagers x {slots} slots = {full}"
                ),
            )],
        ),
        Some(p) => (p, Vec::new()),
        None => (full, Vec::new()),
    }
}

/// Flink's upper bound of a job's max parallelism (`KeyGroupRangeAssignment
/// .UPPER_BOUND_MAX_PARALLELISM`, 1 << 15).
pub const MAX_PARALLELISM: u32 = 1 << 15;

/// A job's parallelism against its max parallelism: `pipeline.max-parallelism` (which Flink
/// takes from 1 to 32768), else Flink's bound. With the default scheduler Flink refuses to
/// start a job whose parallelism is higher ("Vertex's parallelism is higher than the max
/// parallelism", `ExecutionJobVertex`); the adaptive scheduler (reactive mode, operator
/// autoscaling on 1.18+, `jobmanager.scheduler: adaptive`) caps it instead. `reach` is the
/// most the job can be given: its parallelism, or what its autoscaler can scale it to.
/// `setting` looks a Flink key up in the job's final configuration (a session job's over its
/// session's).
pub fn max_parallelism(
    place: Place,
    spec: &FlinkJobSpec,
    reach: u32,
    setting: impl Fn(&str) -> Option<String>,
) -> Problems {
    const KEY: &str = "pipeline.max-parallelism";
    let key_path = || FieldPath::parse("spec.flinkConfiguration").key(KEY);
    let max = match setting(KEY) {
        None => MAX_PARALLELISM,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_PARALLELISM).contains(&n) => n,
            _ => {
                let error = Diagnostic::error(format!(
                    "Flink takes a max parallelism from 1 to {MAX_PARALLELISM}; this is \"{text}\""
                ));
                return if spec.flink_configuration.contains_key(KEY) {
                    vec![place.at(key_path(), error)]
                } else {
                    // The session's: reported there.
                    Vec::new()
                };
            }
        },
    };
    let adaptive = setting("scheduler-mode").is_some_and(|m| m.eq_ignore_ascii_case("reactive"))
        || setting("jobmanager.scheduler").is_some_and(|m| m.eq_ignore_ascii_case("adaptive"));
    if adaptive || reach <= max {
        return Vec::new();
    }
    let at = if spec.parallelism.is_some_and(|p| p > max) {
        "spec.parallelism"
    } else if spec.autoscaling.mode.has_engine() {
        "spec.autoscaling.maxReplicas"
    } else if spec.autoscaling.min_replicas.is_some() {
        "spec.autoscaling.minReplicas"
    } else {
        "spec.resources"
    };
    vec![
        place
            .error(
                at,
                format!(
                    "the job can run with parallelism {reach}, higher than its max parallelism {max}: Flink refuses to start it (\"Vertex's parallelism is higher than the max parallelism\")"
                ),
            )
            .with_hint(if max < MAX_PARALLELISM {
                format!("raise {KEY} or lower the parallelism")
            } else {
                format!("Flink's bound is {MAX_PARALLELISM}: lower the parallelism")
            }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place = Place { file: 0, doc: 0 };

    #[test]
    fn max_parallelisms() {
        let conf = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        let job = spec(BASE);
        let fields = |problems: Problems| -> Vec<String> {
            problems
                .iter()
                .map(|d| d.field.clone().unwrap_or_default())
                .collect()
        };
        assert!(max_parallelism(PLACE, &job, 32_768, conf(&[])).is_empty());
        assert_eq!(
            fields(max_parallelism(PLACE, &job, 32_769, conf(&[]))),
            ["spec.resources"]
        );
        let capped = spec(&format!(
            "{BASE}parallelism: 16\nflinkConfiguration: {{pipeline.max-parallelism: 8}}\n"
        ));
        let eight: &[(&str, &str)] = &[("pipeline.max-parallelism", "8")];
        assert_eq!(
            fields(max_parallelism(PLACE, &capped, 16, conf(eight))),
            ["spec.parallelism"]
        );
        assert!(max_parallelism(PLACE, &capped, 8, conf(eight)).is_empty());
        // The adaptive scheduler caps the parallelism instead.
        let adaptive: &[(&str, &str)] = &[
            ("pipeline.max-parallelism", "8"),
            ("scheduler-mode", "reactive"),
        ];
        assert!(max_parallelism(PLACE, &capped, 16, conf(adaptive)).is_empty());
        let scaled = spec(&format!(
            "{BASE}autoscaling: {{mode: hpa, maxReplicas: 10}}\nflinkConfiguration: {{pipeline.max-parallelism: 8}}\n"
        ));
        assert_eq!(
            fields(max_parallelism(PLACE, &scaled, 10, conf(eight))),
            ["spec.autoscaling.maxReplicas"]
        );
        for bad in ["0", "40000", "many"] {
            let job = spec(&format!(
                "{BASE}flinkConfiguration: {{pipeline.max-parallelism: \"{bad}\"}}\n"
            ));
            let value: &'static str = Box::leak(bad.to_string().into_boxed_str());
            let set: &'static [(&'static str, &'static str)] =
                Box::leak(vec![("pipeline.max-parallelism", value)].into_boxed_slice());
            assert_eq!(
                fields(max_parallelism(PLACE, &job, 1, conf(set))),
                ["spec.flinkConfiguration[\"pipeline.max-parallelism\"]"],
                "{bad}"
            );
        }
    }

    fn spec(yaml: &str) -> FlinkJobSpec {
        FlinkJobSpec::from_test_yaml(yaml)
    }

    /// `field: message` of each problem, for compact expectations.
    fn said(problems: &[Diagnostic]) -> Vec<String> {
        problems
            .iter()
            .map(|d| format!("{}: {}", d.field.as_deref().unwrap_or(""), d.message))
            .collect()
    }

    const BASE: &str = "type: jar\njar: {uri: local:///x.jar}\n";

    #[test]
    fn names() {
        for (name, ok) in [
            ("orders", true),
            ("a", true),
            ("Orders", false),
            ("-orders", false),
            (&"a".repeat(45), true),
            (&"a".repeat(46), false),
        ] {
            assert_eq!(super::name(PLACE, name).is_empty(), ok, "{name}");
        }
    }

    #[test]
    fn versions() {
        type Case<'a> = (&'a str, Option<FlinkVersion>, bool, Option<&'a str>, usize);
        let v119 = FlinkVersion::parse("1.19").ok();
        let cases: [Case<'_>; 5] = [
            ("flinkVersion: '1.18.1'\n", None, false, Some("1.18.1"), 0),
            ("flinkVersion: '0.1'\n", v119, true, None, 1),
            ("", v119, true, Some("1.19"), 0),
            ("", None, false, None, 1),
            // kiln.yaml's version was invalid: reported there, not again.
            ("", None, true, None, 0),
        ];
        for (yaml, default, given, expected, problems) in cases {
            let (version, found) = version(PLACE, &spec(&format!("{BASE}{yaml}")), default, given);
            assert_eq!(
                version.map(|v| v.to_string()).as_deref(),
                expected,
                "{yaml}"
            );
            assert_eq!(found.len(), problems, "{yaml}: {:?}", said(&found));
        }
    }

    #[test]
    fn images() {
        let cases = [
            (Some("flink:1.19.3"), None, Some("flink:1.19.3"), vec![]),
            (
                Some("flink:latest"),
                Some("flink:1.19.3"),
                Some("flink:latest"),
                vec![
                    "spec.image: image \"flink:latest\" uses the latest tag: rollouts are not reproducible",
                ],
            ),
            // kiln.yaml's image is judged in kiln.yaml.
            (None, Some("flink"), Some("flink"), vec![]),
            (
                None,
                None,
                None,
                vec!["spec: no image: set spec.image or defaults.flink.image in kiln.yaml"],
            ),
        ];
        for (own, default, expected, problems) in cases {
            let (resolved, found) = image(PLACE, own, default);
            assert_eq!(resolved.as_deref(), expected);
            assert_eq!(said(&found), problems);
        }
    }

    #[test]
    fn program_sections_match_the_type() {
        let cases = [
            (BASE, vec![]),
            (
                "type: jar\n",
                vec!["spec: type is jar but spec.jar is missing"],
            ),
            (
                "type: jar\njar: {uri: x}\nsql: {statements: x}\n",
                vec!["spec.sql: spec.sql is set but type is jar; remove it or change type"],
            ),
        ];
        for (yaml, expected) in cases {
            assert_eq!(
                said(&program_sections(PLACE, &spec(yaml))),
                expected,
                "{yaml}"
            );
        }
    }

    #[test]
    fn python_programs() {
        let full = FlinkVersion::parse("1.19.3").ok();
        let short = FlinkVersion::parse("1.19").ok();
        let cases = [
            ("script: job.py\n", full, 0),
            ("script: job.py\nmodule: job\n", full, 1),
            ("{}\n", full, 1),
            ("script: ' '\n", full, 1),
            ("script: job.py\n", short, 1),
            ("script: job.py\ndriverJar: local:///d.jar\n", short, 0),
        ];
        for (yaml, version, problems) in cases {
            let value = crate::yaml::parse_documents(yaml).unwrap().remove(0);
            let job: PythonJob = serde_json::from_value(value).unwrap();
            assert_eq!(python(PLACE, &job, version).len(), problems, "{yaml}");
        }
    }

    #[test]
    fn sql_runners() {
        type Case<'a> = (&'a str, Option<&'a str>, Option<FlinkVersion>, Vec<&'a str>);
        let full = FlinkVersion::parse("1.19.3").ok();
        let short = FlinkVersion::parse("1.19").ok();
        let big = "x".repeat(kube::MAX_CONFIG_MAP_BYTES);
        let cases: [Case<'_>; 5] = [
            ("statements: x\n", Some("x"), full, vec![]),
            (
                "statements: x\n",
                Some("x"),
                short,
                vec!["spec.flinkVersion"],
            ),
            ("statements: x\nrunner: jar\n", Some("x"), short, vec![]),
            (
                "statements: x\nentryClass: Main\n",
                Some("x"),
                full,
                vec!["spec.sql"],
            ),
            (
                "statements: x\n",
                Some(&big),
                full,
                vec!["spec.sql.statements"],
            ),
        ];
        for (yaml, script, version, fields) in cases {
            let value = crate::yaml::parse_documents(yaml).unwrap().remove(0);
            let job: SqlJob = serde_json::from_value(value).unwrap();
            let found = sql(PLACE, &job, script, version);
            let at: Vec<&str> = found.iter().filter_map(|d| d.field.as_deref()).collect();
            assert_eq!(at, fields, "{yaml}");
        }
    }

    #[test]
    fn resources_over_a_profile() {
        let profiles: BTreeMap<String, Profile> = catalog::BUILTIN_PROFILES
            .iter()
            .filter_map(|n| Some((n.to_string(), catalog::builtin_profile(n)?)))
            .collect();
        let (r, found) = resources(PLACE, &spec(BASE), &profiles);
        let r = r.expect("default profile");
        assert!(found.is_empty());
        assert_eq!(r.profile_name, catalog::DEFAULT_PROFILE);
        assert_eq!(r.job_manager_replicas, 1);
        let yaml = format!(
            "{BASE}resources: {{profile: large, taskManager: {{cpu: 0, memory: 512m, slots: 4}}}}\n"
        );
        let (r, found) = resources(PLACE, &spec(&yaml), &profiles);
        assert_eq!(r.expect("large").slots, 4);
        assert_eq!(
            found
                .iter()
                .filter_map(|d| d.field.as_deref())
                .collect::<Vec<_>>(),
            [
                "spec.resources.taskManager.cpu",
                "spec.resources.taskManager.memory"
            ]
        );
        let (r, found) = resources(
            PLACE,
            &spec(&format!("{BASE}resources: {{profile: larg}}\n")),
            &profiles,
        );
        assert!(r.is_some(), "the default profile stands in");
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("large")),
            "{:?}",
            found[0].hint
        );
    }

    #[test]
    fn state_needs() {
        let v1 = FlinkVersion::parse("1.19.3").ok();
        let v2 = FlinkVersion::parse("2.0.0").ok();
        let cases = [
            ("upgradeMode: stateless\n", v1, 1, vec![]),
            (
                "upgradeMode: savepoint\n",
                v1,
                1,
                vec!["checkpoint directory", "savepoint directory"],
            ),
            (
                "upgradeMode: savepoint\ncheckpoints: {dir: s3://c}\nsavepoints: {dir: s3://s}\n",
                v1,
                1,
                vec![],
            ),
            // The keys are the version's: Flink 2 renamed them.
            (
                "upgradeMode: savepoint\nflinkConfiguration: {state.checkpoints.dir: s3://c, state.savepoints.dir: s3://s}\n",
                v2,
                1,
                vec!["checkpoint directory", "savepoint directory"],
            ),
            (
                "upgradeMode: savepoint\nflinkConfiguration: {execution.checkpointing.dir: s3://c, execution.checkpointing.savepoint-dir: s3://s}\n",
                v2,
                1,
                vec![],
            ),
            (
                "upgradeMode: last-state\ncheckpoints: {dir: s3://c}\n",
                v1,
                1,
                vec!["high availability"],
            ),
            (
                "upgradeMode: last-state\ncheckpoints: {dir: s3://c}\nflinkConfiguration: {high-availability.type: NONE}\n",
                v1,
                1,
                vec!["high availability"],
            ),
            (
                "upgradeMode: last-state\ncheckpoints: {dir: s3://c}\nhighAvailability: {storageDir: s3://h}\n",
                v1,
                2,
                vec![],
            ),
            (
                "upgradeMode: stateless\n",
                v1,
                2,
                vec!["JobManager replicas need high availability"],
            ),
        ];
        for (yaml, version, replicas, expected) in cases {
            let found = state(
                PLACE,
                &spec(&format!("{BASE}{yaml}")),
                version,
                replicas,
                Inherited::default(),
            );
            assert_eq!(found.len(), expected.len(), "{yaml}: {:?}", said(&found));
            for (d, words) in found.iter().zip(expected) {
                assert!(d.message.contains(words), "{yaml}: {}", d.message);
            }
        }
    }

    #[test]
    fn configuration_keys_kiln_or_the_operator_owns() {
        let yaml = format!(
            "{BASE}flinkConfiguration: {{taskmanager.numberOfTaskSlots: 2, kubernetes.cluster-id: x, parallelism.default: 4}}\n"
        );
        assert_eq!(
            said(&configuration_keys(PLACE, &spec(&yaml))),
            [
                "spec.flinkConfiguration[\"kubernetes.cluster-id\"]: \"kubernetes.cluster-id\" is set by the Flink operator and may not be configured",
                "spec.flinkConfiguration[\"taskmanager.numberOfTaskSlots\"]: \"taskmanager.numberOfTaskSlots\" is derived by kiln; set spec.resources.taskManager.slots instead",
            ]
        );
    }

    #[test]
    fn environment_variables() {
        let cases = [
            ("env: {A: 1}\n", 0),
            ("env: {'1A': x}\n", 1),
            ("env: [{name: A, value: x}, {name: A, value: y}]\n", 1),
            (
                "env: [{name: A, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n",
                1,
            ),
        ];
        for (yaml, problems) in cases {
            let found = pod_fields(PLACE, &spec(&format!("{BASE}{yaml}")));
            assert_eq!(found.len(), problems, "{yaml}: {:?}", said(&found));
        }
    }

    #[test]
    fn modes_and_versions() {
        let v116 = FlinkVersion::parse("1.16.3").ok();
        let v117 = FlinkVersion::parse("1.17.2").ok();
        assert_eq!(
            autoscaling_mode(PLACE, AutoscalingMode::Operator, v116).len(),
            1
        );
        assert!(autoscaling_mode(PLACE, AutoscalingMode::Operator, v117).is_empty());
        let hpa = autoscaling_mode(PLACE, AutoscalingMode::Hpa, v117);
        assert!(hpa.len() == 1 && !hpa[0].is_error());
    }

    fn autoscaling(yaml: &str) -> Autoscaling {
        spec(&format!("{BASE}autoscaling: {yaml}\n")).autoscaling
    }

    fn presets() -> BTreeMap<String, Vec<ScheduleEntry>> {
        catalog::BUILTIN_PRESETS
            .iter()
            .filter_map(|n| Some((n.to_string(), catalog::builtin_preset(n)?)))
            .collect()
    }

    #[test]
    fn schedule_sources() {
        let cases = [
            ("{mode: scheduled, preset: workday_peak}", false, 0),
            ("{mode: scheduled}", true, 1),
            ("{mode: scheduled, preset: workday_peek}", true, 1),
            (
                "{mode: scheduled, preset: workday_peak, schedules: [{name: a, cron: '0 9 * * *', minReplicas: 1, maxReplicas: 2}]}",
                true,
                1,
            ),
            ("{mode: scheduled, schedules: []}", true, 1),
            (
                "{mode: scheduled, schedules: [{name: A, cron: '0 9 * * *', minReplicas: 3, maxReplicas: 2}]}",
                false,
                2,
            ),
            ("{mode: hpa, preset: workday_peak, timeZone: UTC}", true, 2),
        ];
        for (yaml, empty, problems) in cases {
            let (entries, found) = schedules(PLACE, &autoscaling(yaml), &presets());
            assert_eq!(entries.is_empty(), empty, "{yaml}");
            assert_eq!(found.len(), problems, "{yaml}: {:?}", said(&found));
        }
    }

    #[test]
    fn lifecycles() {
        let v = |s: &str| FlinkVersion::parse(s).ok();
        for (yaml, version, problems) in [
            (
                "savepoints: {dir: s3://s, periodic: 6h, maxAge: 7d}\n",
                "1.19",
                0,
            ),
            (
                "flinkConfiguration: {state.savepoints.dir: s3://s}\nsavepoints: {periodic: 6h}\n",
                "1.19",
                0,
            ),
            // Flink 2 names the key differently: the 1.x key does not count.
            (
                "flinkConfiguration: {state.savepoints.dir: s3://s}\nsavepoints: {periodic: 6h}\n",
                "2.0",
                1,
            ),
            ("savepoints: {periodic: 6h}\n", "1.19", 1),
            (
                "savepoints: {dir: s3://s, periodic: 6 hours please}\n",
                "1.19",
                1,
            ),
            ("restore: {path: s3://s/1, redeployNonce: 3}\n", "1.19", 0),
            ("restore: {path: \"\"}\n", "1.19", 1),
            ("snapshots: [{name: cp, type: checkpoint}]\n", "1.17", 0),
            ("snapshots: [{name: cp, type: checkpoint}]\n", "1.16", 1),
            (
                "snapshots: [{name: cp, type: checkpoint, disposeOnDelete: true}]\n",
                "1.19",
                1,
            ),
            ("snapshots: [{name: sp}]\n", "1.19", 1),
            (
                "savepoints: {dir: s3://s}\nsnapshots: [{name: sp, disposeOnDelete: true}, {name: sp}]\n",
                "1.19",
                1,
            ),
        ] {
            let found = lifecycle(
                PLACE,
                &spec(&format!("{BASE}{yaml}")),
                v(version),
                Inherited::default(),
            );
            assert_eq!(
                found.len(),
                problems,
                "{yaml} on {version}: {:?}",
                said(&found)
            );
        }
    }

    #[test]
    fn blue_green_rollouts() {
        let v = FlinkVersion::parse("1.19").ok();
        let stateful = "upgradeMode: savepoint\ncheckpoints: {dir: s3://c}\n";
        for (yaml, name, problems) in [
            ("rollout: blueGreen\n", "payments", 0),
            (
                "rollout: blueGreen\nautoscaling: {mode: reactive}\n",
                "payments",
                0,
            ),
            (
                "rollout: blueGreen\nautoscaling: {mode: operator}\n",
                "payments",
                0,
            ),
            (
                "rollout: blueGreen\nautoscaling: {mode: hpa}\n",
                "payments",
                1,
            ),
            ("rollout: blueGreen\n", &"p".repeat(39), 0),
            ("rollout: blueGreen\n", &"p".repeat(40), 1),
            (&format!("rollout: blueGreen\n{stateful}"), "payments", 1),
            (
                &format!("rollout: blueGreen\n{stateful}savepoints: {{dir: s3://s}}\n"),
                "payments",
                0,
            ),
            (
                "rollout: blueGreen\nsnapshots: [{name: cp, type: checkpoint}]\n",
                "payments",
                1,
            ),
            // Rolling jobs are not this rule's business.
            ("autoscaling: {mode: hpa}\n", &"p".repeat(45), 0),
        ] {
            let found = rollout(PLACE, &spec(&format!("{BASE}{yaml}")), v, name);
            assert_eq!(found.len(), problems, "{yaml} ({name}): {:?}", said(&found));
        }
    }

    #[test]
    fn engines() {
        use AutoscalingEngine::{Keda, Kubernetes};
        for (yaml, default, engine, problems) in [
            ("{mode: hpa}", None, Kubernetes, 0),
            ("{mode: hpa}", Some(Keda), Keda, 0),
            (
                "{mode: scheduled, engine: kubernetes}",
                Some(Keda),
                Kubernetes,
                0,
            ),
            ("{mode: hpa_reactive, engine: keda}", None, Keda, 0),
            // Modes without an engine ignore the default but refuse one named.
            ("{mode: disabled}", Some(Keda), Keda, 0),
            ("{mode: operator, engine: keda}", None, Keda, 1),
        ] {
            let (found, p) = super::engine(PLACE, &autoscaling(yaml), default);
            assert_eq!(
                (found, p.len()),
                (engine, problems),
                "{yaml}: {:?}",
                said(&p)
            );
        }
    }

    #[test]
    fn what_each_engine_makes_of_a_week() {
        use AutoscalingEngine::{Keda, Kubernetes};
        let custom = |entries: &str| format!("{{mode: scheduled_hpa, schedules: [{entries}]}}");
        let dated = custom(
            "{name: sale, cron: \"0 20 * 11 *\", minReplicas: 4, maxReplicas: 4}, {name: calm, cron: \"0 2 * * *\", minReplicas: 1, maxReplicas: 4}",
        );
        let same_max = custom(
            "{name: a, cron: \"0 8 * * *\", minReplicas: 2, maxReplicas: 4}, {name: b, cron: \"0 20 * * *\", minReplicas: 1, maxReplicas: 4}",
        );
        let shadowed = custom(
            "{name: a, cron: \"0 8 * * *\", minReplicas: 2, maxReplicas: 4}, {name: b, cron: \"0 8 * * *\", minReplicas: 1, maxReplicas: 4}, {name: c, cron: \"0 20 * * *\", minReplicas: 1, maxReplicas: 4}",
        );
        let constant = "{mode: scheduled, schedules: [{name: a, cron: \"0 8 * * *\", minReplicas: 2, maxReplicas: 4}, {name: b, cron: \"0 20 * * *\", minReplicas: 2, maxReplicas: 2}]}";
        let cases: [(&str, AutoscalingEngine, bool, &[&str]); 8] = [
            (
                "{mode: scheduled_hpa, preset: 24x7_peak}",
                Kubernetes,
                true,
                &[
                    "spec.autoscaling.preset: the schedules' maxReplicas differ (day 8, night 3): a window cannot lower the ceiling of an autoscaler whose maximum is in git, so every window may scale up to 8",
                ],
            ),
            ("{mode: scheduled, preset: 24x7_peak}", Keda, true, &[]),
            (&same_max, Keda, true, &[]),
            (
                &dated,
                Kubernetes,
                false,
                &[
                    "spec.autoscaling.schedules[0].cron: schedule \"sale\" (`0 20 * 11 *`) depends on the date: its CronJobs act only at the schedule's edges, so after a sync the window in force applies from the next edge",
                ],
            ),
            (
                &dated,
                Keda,
                false,
                &[
                    "spec.autoscaling.schedules[0].cron: schedule \"sale\" (`0 20 * 11 *`) depends on the date, and KEDA's cron triggers repeat every week",
                ],
            ),
            (
                &shadowed,
                Kubernetes,
                true,
                &[
                    "spec.autoscaling.schedules[0]: schedule \"a\" never takes over: a later entry fires at each of its minutes",
                ],
            ),
            (
                constant,
                Keda,
                true,
                &[
                    "spec.autoscaling: the schedules keep 2 TaskManagers all week: a KEDA ScaledObject needs a trigger that changes something",
                ],
            ),
            (constant, Kubernetes, true, &[]),
        ];
        for (yaml, engine, has_week, expected) in cases {
            let a = autoscaling(yaml);
            let (entries, p) = schedules(PLACE, &a, &presets());
            assert!(p.is_empty(), "{yaml}: {:?}", said(&p));
            let (found, p) = week(PLACE, &a, &entries, engine);
            assert_eq!(found.is_some(), has_week, "{yaml}");
            assert_eq!(
                said(&p),
                expected
                    .iter()
                    .map(|e| (*e).to_string())
                    .collect::<Vec<_>>(),
                "{yaml} on {engine:?}"
            );
        }
    }

    #[test]
    fn long_cronjob_names() {
        let a = autoscaling("{mode: scheduled, preset: workday_peak}");
        let (entries, _) = schedules(PLACE, &a, &presets());
        let (week, _) = week(PLACE, &a, &entries, AutoscalingEngine::Kubernetes);
        let scalers = |job: &str| {
            crate::kinds::flink_job::autoscaling::scaler_cron_jobs(job, &entries, week.as_ref())
        };
        assert!(cronjob_names(PLACE, &a, &scalers("orders"), week.as_ref()).is_empty());
        // workday_peak holds floor 3 and floor 1, which needs two crons: -floor-3, -floor-1
        // and -floor-1-2. A 43-character job name fits the first two.
        let found = cronjob_names(PLACE, &a, &scalers(&"o".repeat(43)), week.as_ref());
        assert_eq!(
            said(&found),
            [
                "spec.autoscaling.preset: CronJob name \"ooooooooooooooooooooooooooooooooooooooooooo-floor-1-2\" is 53 characters; Kubernetes allows at most 52"
            ]
        );
        let found = cronjob_names(PLACE, &a, &scalers(&"o".repeat(45)), week.as_ref());
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].hint.as_deref(), Some("shorten the job name"));
        assert_eq!(found[0].field.as_deref(), Some("spec.autoscaling.preset"));
    }

    #[test]
    fn time_zones() {
        let cases = [
            (
                "{mode: scheduled, preset: workday_peak, timeZone: Asia/Shanghai}",
                Some("UTC"),
                Some("Asia/Shanghai"),
                0,
                true,
            ),
            (
                "{mode: scheduled, preset: workday_peak}",
                Some("UTC"),
                Some("UTC"),
                0,
                true,
            ),
            (
                "{mode: scheduled, preset: workday_peak, timeZone: Mars/Base}",
                None,
                Some("Mars/Base"),
                1,
                true,
            ),
            (
                "{mode: scheduled, preset: workday_peak}",
                None,
                None,
                1,
                false,
            ),
            ("{mode: hpa}", Some("UTC"), None, 0, true),
        ];
        for (yaml, default, expected, problems, error) in cases {
            let (zone, found) = time_zone(
                PLACE,
                &autoscaling(yaml),
                default,
                AutoscalingEngine::Kubernetes,
            );
            assert_eq!(zone.as_deref(), expected, "{yaml}");
            assert_eq!(found.len(), problems, "{yaml}");
            assert!(found.iter().all(|d| d.is_error() == error), "{yaml}");
        }
    }

    #[test]
    fn replica_ranges() {
        let profile = catalog::builtin_profile(catalog::DEFAULT_PROFILE).unwrap();
        let entry = |min, max| ScheduleEntry {
            name: "peak".into(),
            cron: "0 9 * * *".into(),
            min_replicas: min,
            max_replicas: max,
        };
        let cases = [
            (
                "{mode: hpa}",
                vec![],
                (profile.min_replicas, profile.max_replicas),
                0,
            ),
            (
                "{mode: hpa, minReplicas: 3, maxReplicas: 2}",
                vec![],
                (3, 2),
                1,
            ),
            (
                "{mode: scheduled}",
                vec![entry(2, 4), entry(1, 3)],
                (1, 4),
                0,
            ),
            (
                "{mode: scheduled, maxReplicas: 3}",
                vec![entry(2, 4)],
                (2, 3),
                1,
            ),
        ];
        for (yaml, entries, range, problems) in cases {
            let (found_range, found) = replica_range(PLACE, &autoscaling(yaml), &entries, &profile);
            assert_eq!(found_range, range, "{yaml}");
            assert_eq!(found.len(), problems, "{yaml}: {:?}", said(&found));
        }
    }

    #[test]
    fn parallelisms() {
        let cases = [
            ("autoscaling: {mode: hpa_reactive}\n", (8, 0)),
            (
                "parallelism: 3\nautoscaling: {mode: hpa_reactive}\n",
                (3, 0),
            ),
            ("parallelism: 3\nautoscaling: {mode: reactive}\n", (3, 1)),
        ];
        for (yaml, (expected, warnings)) in cases {
            let (p, found) = parallelism(PLACE, &spec(&format!("{BASE}{yaml}")), (4, 6), 2);
            assert_eq!((p, found.len()), (expected, warnings), "{yaml}");
        }
        // More task slots than an int32 holds: an error, not an overflow.
        let (_, found) = parallelism(PLACE, &spec(BASE), (100_000, 100_000), 100_000);
        assert_eq!(found.len(), 1);
        assert!(found[0].is_error() && found[0].message.contains("10000000000 task slots"));
    }
}
