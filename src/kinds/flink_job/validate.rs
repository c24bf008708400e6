//! FlinkJob rules and its plan.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{self, FlinkVersion};
use super::spec::{AutoscalingMode, Env, FlinkJob, JobType, ScheduleEntry, SqlRunner, UpgradeMode};
use super::sql;
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::names::{self, label_problem};
use crate::parse::Located;
use crate::path::FieldPath;
use crate::validate::{
    Context, Settings, check_schedule_entries, check_time_zone, image_warning, kube,
    memory_problem, resolve_namespace,
};

/// `flinkConfiguration` keys the operator owns; setting them breaks the deployment.
pub const FORBIDDEN_FLINK_KEYS: [&str; 3] = [
    "kubernetes.namespace",
    "kubernetes.cluster-id",
    "high-availability.cluster-id",
];

/// `flinkConfiguration` keys kiln derives from typed fields: overriding them would make the
/// rendered job disagree with the parallelism, replicas and autoscaling kiln computed.
pub const DERIVED_FLINK_KEYS: [(&str, &str); 3] = [
    (
        "taskmanager.numberOfTaskSlots",
        "spec.resources.taskManager.slots",
    ),
    (
        "scheduler-mode",
        "spec.autoscaling.mode (reactive, hpa_reactive, scheduled_hpa)",
    ),
    ("job.autoscaler.enabled", "spec.autoscaling.mode: operator"),
];

/// The longest CronJob name Kubernetes accepts (its Jobs get an 11-character suffix).
pub const MAX_CRONJOB_NAME: usize = 52;

/// Everything needed to render one FlinkJob.
#[derive(Debug, Clone)]
pub struct FlinkPlan {
    pub file: usize,
    pub doc: usize,
    /// Root-relative path of the spec file.
    pub source: String,
    pub name: String,
    pub namespace: String,
    /// kiln.yaml default labels, then the spec's labels (the spec wins).
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub image: String,
    pub version: FlinkVersion,
    pub service_account: String,
    pub spec: crate::kinds::flink_job::FlinkJobSpec,
    pub profile: String,
    pub job_manager: Sizing,
    pub job_manager_replicas: u32,
    pub task_manager: Sizing,
    pub slots: u32,
    pub mode: AutoscalingMode,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_cpu_utilization: u32,
    pub schedules: Vec<ScheduleEntry>,
    pub time_zone: Option<String>,
    pub parallelism: u32,
    /// The SQL script (type sql), read from `sql.file` or `sql.statements`.
    pub sql_script: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    pub cpu: f64,
    pub memory: String,
}

/// Validate every FlinkJob and resolve its plan (none for a job with errors), with its
/// problems. A plan takes its job's spec over (no copy). Each job is independent of the
/// others, so a large repository's jobs are planned on several threads, chunk by chunk;
/// [`unique_flink_jobs`] then checks names.
pub fn plan_flink_jobs(
    ctx: &Context<'_>,
    settings: &Settings,
    jobs: Vec<Located<FlinkJob>>,
) -> Vec<(Option<FlinkPlan>, Diagnostics)> {
    jobs.into_iter()
        .map(|job| {
            let mut problems = Diagnostics::new();
            let plan = flink_job(ctx, settings, job, &mut problems);
            (plan, problems)
        })
        .collect()
}

/// The plans (from [`plan_flink_jobs`], in file order) whose job has no error and is the
/// first of its name in its namespace; a later one is an error.
pub fn unique_flink_jobs(
    ctx: &Context<'_>,
    planned: Vec<(Option<FlinkPlan>, Diagnostics)>,
    diagnostics: &mut Diagnostics,
) -> Vec<FlinkPlan> {
    let mut plans = Vec::new();
    // Name and namespace → the file that defined them first.
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (plan, mut problems) in planned {
        if let Some(plan) = &plan {
            let key = (plan.namespace.clone(), plan.name.clone());
            if let Some(first) = seen.get(&key) {
                let first_path = ctx.sources.get(*first).map_or("", |s| s.path.as_str());
                problems.push(
                    Diagnostic::error(format!(
                        "FlinkJob \"{}\" in namespace \"{}\" is also defined in {first_path}",
                        plan.name, plan.namespace
                    ))
                    .at(
                        plan.file,
                        plan.doc,
                        FieldPath::parse("metadata.name"),
                    ),
                );
            } else {
                seen.insert(key, plan.file);
            }
        }
        let failed = problems.has_errors();
        diagnostics.extend(problems);
        if let (Some(plan), false) = (plan, failed) {
            plans.push(plan);
        }
    }
    plans
}

fn flink_job(
    ctx: &Context<'_>,
    settings: &Settings,
    located: Located<FlinkJob>,
    out: &mut Diagnostics,
) -> Option<FlinkPlan> {
    let job = &located.value;
    let spec = &job.spec;
    let err = |path: &str, message: String| located.diagnostic(Diagnostic::error(message), path);
    let warn = |path: &str, message: String| located.diagnostic(Diagnostic::warning(message), path);
    let source = ctx
        .sources
        .get(located.file)
        .map(|s| s.path.clone())
        .unwrap_or_default();
    let name = job.metadata.name.clone();

    if !names::is_flink_name(&name) {
        out.push(err(
            "metadata.name",
            format!(
                "\"{name}\" is not a valid FlinkJob name: at most 45 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit ({} characters given)",
                name.chars().count()
            ),
        ));
    }

    let namespace = resolve_namespace(ctx, &job.metadata);
    let namespace = if let Some(ns) = namespace {
        if !names::is_dns_label(&ns, 63) {
            out.push(err(
                "metadata.namespace",
                format!("\"{ns}\" is not a valid namespace (a DNS label)"),
            ));
        }
        ns
    } else {
        out.push(err(
            "metadata",
            "no namespace: set metadata.namespace, the environment's namespace or defaults.namespace in kiln.yaml".to_string(),
        ));
        String::new()
    };

    let mut labels = settings.labels.clone();
    for (key, value) in &job.metadata.labels {
        if let Some(problem) = label_problem(key, value) {
            out.push(Diagnostic::error(problem).at_key(
                located.file,
                located.doc,
                FieldPath::root().key("metadata").key("labels").key(key),
            ));
        }
        labels.insert(key.clone(), value.clone());
    }

    // Version and image.
    let version = if let Some(text) = &spec.flink_version {
        match FlinkVersion::parse(text) {
            Ok(v) => Some(v),
            Err(e) => {
                out.push(err("spec.flinkVersion", e));
                None
            }
        }
    } else {
        if settings.flink_version.is_none() && ctx.config.defaults.flink.flink_version.is_none() {
            out.push(err(
                "spec",
                "no flinkVersion: set spec.flinkVersion or defaults.flink.flinkVersion in kiln.yaml".into(),
            ));
        }
        settings.flink_version
    };
    let image = spec
        .image
        .clone()
        .or_else(|| ctx.config.defaults.flink.image.clone());
    match (&image, &spec.image) {
        (None, _) => out.push(err(
            "spec",
            "no image: set spec.image or defaults.flink.image in kiln.yaml".into(),
        )),
        (Some(image), Some(_)) => {
            if let Some(w) = image_warning(image) {
                out.push(warn("spec.image", w));
            }
        }
        _ => {}
    }
    let service_account = spec
        .service_account
        .clone()
        .or_else(|| ctx.config.defaults.flink.service_account.clone())
        .unwrap_or_else(|| "flink".to_string());

    // The job's program.
    let sections = [
        ("python", spec.python.is_some(), JobType::Python),
        ("jar", spec.jar.is_some(), JobType::Jar),
        ("sql", spec.sql.is_some(), JobType::Sql),
    ];
    let type_name = sections
        .iter()
        .find(|s| s.2 == spec.job_type)
        .map_or("", |s| s.0);
    for (section, present, job_type) in sections {
        if job_type == spec.job_type && !present {
            out.push(err(
                "spec",
                format!("type is {type_name} but spec.{section} is missing"),
            ));
        } else if job_type != spec.job_type && present {
            out.push(err(
                &format!("spec.{section}"),
                format!("spec.{section} is set but type is {type_name}; remove it or change type"),
            ));
        }
    }
    let mut sql_script = None;
    match spec.job_type {
        JobType::Python => {
            if let Some(py) = &spec.python {
                match (&py.script, &py.module) {
                    (Some(_), Some(_)) => out.push(err(
                        "spec.python",
                        "set one of script or module, not both".into(),
                    )),
                    (None, None) => {
                        out.push(err("spec.python", "set one of script or module".into()));
                    }
                    (Some(s), None) if s.trim().is_empty() => {
                        out.push(err("spec.python.script", "script is empty".into()));
                    }
                    _ => {}
                }
                if py.driver_jar.is_none() && version.is_some_and(|v| v.patch.is_none()) {
                    out.push(err(
                        "spec.flinkVersion",
                        "python jobs need a full MAJOR.MINOR.PATCH flinkVersion to name flink-python-<version>.jar".into(),
                    ).with_hint("write the full version (\"1.19.3\") or set spec.python.driverJar"));
                }
            }
        }
        JobType::Jar => {
            if let Some(jar) = &spec.jar
                && jar.uri.trim().is_empty()
            {
                out.push(err("spec.jar.uri", "uri is empty".into()));
            }
        }
        JobType::Sql => {
            if let Some(sql) = &spec.sql {
                sql_script = match (&sql.file, &sql.statements) {
                    (Some(_), Some(_)) => {
                        out.push(err(
                            "spec.sql",
                            "set one of file or statements, not both".into(),
                        ));
                        None
                    }
                    (None, None) => {
                        out.push(err("spec.sql", "set one of file or statements".into()));
                        None
                    }
                    (Some(file), None) => match ctx.files.read_referenced(&source, file) {
                        Ok((path, text)) => {
                            let script = sql::without_bom(&text).0.to_string();
                            out.extend(sql_problems(&script, sql.runner, |problem| {
                                let (line, column) = sql::position(&script, problem.offset);
                                sql_diagnostic(problem)
                                    .in_file(path.clone())
                                    .with_position(line, column)
                            }));
                            Some(script)
                        }
                        Err(e) => {
                            out.push(err("spec.sql.file", e.to_string()));
                            None
                        }
                    },
                    (None, Some(statements)) => {
                        let script = sql::without_bom(statements).0;
                        out.extend(sql_problems(script, sql.runner, |problem| {
                            let (line, column) = sql::position(script, problem.offset);
                            let diagnostic =
                                located.diagnostic(sql_diagnostic(problem), "spec.sql.statements");
                            if script.trim().is_empty() {
                                diagnostic
                            } else {
                                diagnostic.inside_value(line, column)
                            }
                        }));
                        Some(script.to_string())
                    }
                };
                if let Some(script) = &sql_script {
                    let wrapper = if sql.runner == SqlRunner::Python {
                        crate::kinds::flink_job::sql_wrapper::WRAPPER_BYTES
                    } else {
                        0
                    };
                    let bytes = script.len() + wrapper;
                    if bytes > kube::MAX_CONFIG_MAP_BYTES {
                        out.push(err(
                            if sql.file.is_some() { "spec.sql.file" } else { "spec.sql.statements" },
                            format!(
                                "the SQL ConfigMap would hold {bytes} bytes (the script{}); the API server stores at most {} bytes in a ConfigMap",
                                if wrapper > 0 { " and run_sql.py" } else { "" },
                                kube::MAX_CONFIG_MAP_BYTES
                            ),
                        ).with_hint("split the script, or bake it into the image and run it with a jar job"));
                    }
                }
                if sql.runner == SqlRunner::Python && version.is_some_and(|v| v.patch.is_none()) {
                    out.push(err(
                        "spec.flinkVersion",
                        "the python SQL runner needs a full MAJOR.MINOR.PATCH flinkVersion to name flink-python-<version>.jar".into(),
                    ).with_hint("write the full version (\"1.19.3\") or use sql.runner: jar"));
                }
                if sql.runner == SqlRunner::Python
                    && (sql.runner_jar.is_some() || sql.entry_class.is_some())
                {
                    out.push(err(
                        "spec.sql",
                        "runnerJar and entryClass are for runner: jar".into(),
                    ));
                }
            }
        }
    }

    // Resources.
    let profile_name = spec
        .resources
        .profile
        .clone()
        .unwrap_or_else(|| catalog::DEFAULT_PROFILE.to_string());
    let profile = if let Some(p) = settings.profiles.get(&profile_name) {
        p.clone()
    } else {
        let mut d = err(
            "spec.resources.profile",
            format!(
                "unknown profile \"{profile_name}\"; expected one of {}",
                settings
                    .profiles
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        d = d.suggesting(&profile_name, settings.profiles.keys().map(String::as_str));
        out.push(d);
        catalog::builtin_profile(catalog::DEFAULT_PROFILE)?
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
            out.push(err(
                &format!("{path}.cpu"),
                "cpu must be greater than 0".into(),
            ));
        }
        if let Some(problem) = memory_problem(&sizing.memory) {
            let at = if overridden.is_some() {
                format!("{path}.memory")
            } else {
                "spec.resources.profile".into()
            };
            out.push(err(&at, problem));
        }
    }
    let slots = tm.slots.unwrap_or(profile.slots);
    let job_manager_replicas = jm.replicas.unwrap_or(1);

    // State and upgrades.
    let user_key = |key: &str| {
        spec.flink_configuration
            .get(key)
            .map(crate::kinds::Scalar::render)
    };
    let v2 = version.is_some_and(|v| v.major >= 2);
    let (cp_key, sp_key) = if v2 {
        (
            "execution.checkpointing.dir",
            "execution.checkpointing.savepoint-dir",
        )
    } else {
        ("state.checkpoints.dir", "state.savepoints.dir")
    };
    let has_checkpoint_dir = spec
        .checkpoints
        .as_ref()
        .and_then(|c| c.dir.as_ref())
        .is_some()
        || user_key(cp_key).is_some();
    let has_savepoint_dir = spec.savepoints.is_some() || user_key(sp_key).is_some();
    let has_ha = spec.high_availability.is_some()
        || ["high-availability.type", "high-availability"]
            .iter()
            .any(|k| user_key(k).is_some_and(|v| !v.eq_ignore_ascii_case("none")));
    match spec.upgrade_mode {
        UpgradeMode::Stateless => {}
        mode @ (UpgradeMode::Savepoint | UpgradeMode::LastState) => {
            if !has_checkpoint_dir {
                out.push(
                    err(
                        "spec.upgradeMode",
                        format!("upgradeMode {} needs a checkpoint directory", mode.as_str()),
                    )
                    .with_hint("set spec.checkpoints.dir"),
                );
            }
            if mode == UpgradeMode::Savepoint && !has_savepoint_dir {
                out.push(
                    err(
                        "spec.upgradeMode",
                        "upgradeMode savepoint needs a savepoint directory".into(),
                    )
                    .with_hint("set spec.savepoints.dir"),
                );
            }
            if mode == UpgradeMode::LastState && !has_ha {
                out.push(err("spec.upgradeMode", "upgradeMode last-state needs high availability (the operator refuses it otherwise)".into())
                    .with_hint("set spec.highAvailability.storageDir"));
            }
        }
    }
    if job_manager_replicas > 1 && !has_ha {
        out.push(
            err(
                "spec.resources.jobManager.replicas",
                format!("{job_manager_replicas} JobManager replicas need high availability"),
            )
            .with_hint("set spec.highAvailability.storageDir"),
        );
    }
    for key in spec.flink_configuration.keys() {
        if let Some((_, field)) = DERIVED_FLINK_KEYS.iter().find(|(k, _)| k == key) {
            out.push(
                Diagnostic::error(format!("\"{key}\" is derived by kiln; set {field} instead"))
                    .at_key(
                        located.file,
                        located.doc,
                        FieldPath::root()
                            .key("spec")
                            .key("flinkConfiguration")
                            .key(key),
                    ),
            );
        }
        if FORBIDDEN_FLINK_KEYS.contains(&key.as_str()) {
            out.push(
                Diagnostic::error(format!(
                    "\"{key}\" is set by the Flink operator and may not be configured"
                ))
                .at_key(
                    located.file,
                    located.doc,
                    FieldPath::root()
                        .key("spec")
                        .key("flinkConfiguration")
                        .key(key),
                ),
            );
        }
    }
    if let Some(template) = &spec.pod_template {
        for (at, severity, problem) in kube::pod_template_problems(template) {
            out.push(Diagnostic::error(problem).with_severity(severity).at(
                located.file,
                located.doc,
                FieldPath::parse("spec.podTemplate").join(&at),
            ));
        }
    }
    if let Some(Env::Map(vars)) = &spec.env {
        for name in vars.keys() {
            if let Some((severity, problem)) = kube::env_name_problem(name) {
                out.push(Diagnostic::error(problem).with_severity(severity).at_key(
                    located.file,
                    located.doc,
                    FieldPath::parse("spec.env").key(name),
                ));
            }
        }
    }
    if let Some(Env::List(vars)) = &spec.env {
        let mut names = BTreeSet::new();
        for (i, var) in vars.iter().enumerate() {
            let path = FieldPath::parse("spec.env").index(i);
            for (at, severity, problem) in
                kube::env_var_problems(&var.name, var.value_from.as_ref())
            {
                out.push(Diagnostic::error(problem).with_severity(severity).at(
                    located.file,
                    located.doc,
                    path.clone().join(&at),
                ));
            }
            if var.value.is_some() && var.value_from.is_some() {
                out.push(Diagnostic::error("set value or valueFrom, not both").at(
                    located.file,
                    located.doc,
                    path.clone(),
                ));
            }
            if !names.insert(var.name.as_str()) {
                out.push(
                    Diagnostic::error(format!("duplicate variable \"{}\"", var.name)).at(
                        located.file,
                        located.doc,
                        path.key("name"),
                    ),
                );
            }
        }
    }

    // Autoscaling.
    let a = &spec.autoscaling;
    let mode = a.mode;
    if mode == AutoscalingMode::Operator && version.is_some_and(|v| !v.at_least(1, 17)) {
        out.push(err(
            "spec.autoscaling.mode",
            format!(
                "the operator autoscaler needs Flink 1.17 or later; this job uses {}",
                version.map(|v| v.to_string()).unwrap_or_default()
            ),
        ));
    }
    if mode == AutoscalingMode::Hpa {
        out.push(warn("spec.autoscaling.mode", "hpa runs Flink in native mode, where every scale event restarts the job from its last checkpoint or savepoint".into())
            .with_hint("use hpa_reactive to rescale in place (standalone mode with the reactive scheduler)"));
    }
    let mut schedules = Vec::new();
    if mode.is_scheduled() {
        match (&a.preset, &a.schedules) {
            (Some(_), Some(_)) => out.push(err(
                "spec.autoscaling",
                "set one of preset or schedules, not both".into(),
            )),
            (None, None) => out.push(
                err(
                    "spec.autoscaling",
                    format!("mode {} needs a preset or schedules", mode.as_str()),
                )
                .with_hint(format!(
                    "built-in presets: {}",
                    catalog::BUILTIN_PRESETS.join(", ")
                )),
            ),
            (Some(preset), None) => {
                if let Some(entries) = settings.presets.get(preset) {
                    schedules.clone_from(entries);
                } else {
                    let mut d = err(
                        "spec.autoscaling.preset",
                        format!(
                            "unknown preset \"{preset}\"; expected one of {}",
                            settings
                                .presets
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    d = d.suggesting(preset, settings.presets.keys().map(String::as_str));
                    out.push(d);
                }
            }
            (None, Some(entries)) => {
                if entries.is_empty() {
                    out.push(err(
                        "spec.autoscaling.schedules",
                        "at least one schedule is needed".into(),
                    ));
                }
                check_schedule_entries(entries, &mut |field: FieldPath, d: Diagnostic| {
                    out.push(d.at(
                        located.file,
                        located.doc,
                        FieldPath::parse("spec.autoscaling.schedules").join(&field),
                    ));
                });
                schedules.clone_from(entries);
            }
        }
    } else {
        for field in ["preset", "schedules", "timeZone"] {
            let set = match field {
                "preset" => a.preset.is_some(),
                "schedules" => a.schedules.is_some(),
                _ => a.time_zone.is_some(),
            };
            if set {
                out.push(err(&format!("spec.autoscaling.{field}"), format!(
                    "{field} is only used by the scheduled modes (scheduled, scheduled_hpa), not {}", mode.as_str()
                )));
            }
        }
    }
    for entry in &schedules {
        let cronjob = format!("{name}-scale-{}", entry.name);
        if cronjob.len() > MAX_CRONJOB_NAME {
            let path = if a.preset.is_some() {
                "spec.autoscaling.preset"
            } else {
                "spec.autoscaling.schedules"
            };
            out.push(err(path, format!(
                "CronJob name \"{cronjob}\" is {} characters; Kubernetes allows at most {MAX_CRONJOB_NAME}",
                cronjob.len()
            )).with_hint("shorten the job name or the schedule name"));
        }
    }
    let time_zone = if mode.is_scheduled() {
        let tz = a.time_zone.clone().or_else(|| settings.time_zone.clone());
        match &tz {
            Some(zone) => {
                if a.time_zone.is_some()
                    && let Err(e) = check_time_zone(zone) {
                        out.push(err("spec.autoscaling.timeZone", e));
                    }
            }
            None => out.push(warn("spec.autoscaling", "schedules have no time zone: CronJobs fire in the controller's zone (usually UTC), so 09:00 may mean 17:00 local time".into())
                .with_hint("set spec.autoscaling.timeZone or defaults.timeZone in kiln.yaml")),
        }
        tz
    } else {
        None
    };

    // Replica range: explicit values, else the schedules' span (scheduled modes), else the profile's.
    let (default_min, default_max) = if schedules.is_empty() {
        (profile.min_replicas, profile.max_replicas)
    } else {
        (
            schedules
                .iter()
                .map(|e| e.min_replicas)
                .min()
                .unwrap_or(profile.min_replicas),
            schedules
                .iter()
                .map(|e| e.max_replicas)
                .max()
                .unwrap_or(profile.max_replicas),
        )
    };
    let min_replicas = a.min_replicas.unwrap_or(default_min);
    let max_replicas = a.max_replicas.unwrap_or(default_max);
    if min_replicas > max_replicas {
        out.push(err(
            "spec.autoscaling",
            format!("minReplicas {min_replicas} is greater than maxReplicas {max_replicas}"),
        ));
    }
    if a.min_replicas.is_some() || a.max_replicas.is_some() {
        for (i, entry) in schedules.iter().enumerate() {
            if entry.min_replicas < min_replicas || entry.max_replicas > max_replicas {
                let path = if a.preset.is_some() {
                    "spec.autoscaling.preset".to_string()
                } else {
                    format!("spec.autoscaling.schedules[{i}]")
                };
                let d = Diagnostic::error(format!(
                    "schedule \"{}\" asks for {}-{} replicas, outside the autoscaling range {min_replicas}-{max_replicas}",
                    entry.name, entry.min_replicas, entry.max_replicas
                ));
                out.push(if a.preset.is_some() {
                    located.diagnostic(d, &path)
                } else {
                    d.at(
                        located.file,
                        located.doc,
                        FieldPath::parse("spec.autoscaling.schedules").index(i),
                    )
                });
            }
        }
    }
    let parallelism = spec.parallelism.unwrap_or(min_replicas * slots);
    if mode.owns_replicas()
        && let Some(p) = spec.parallelism
        && p != min_replicas * slots
    {
        out.push(warn("spec.parallelism", format!(
                    "parallelism {p} is ignored while taskManager.replicas is fixed: the job runs with {min_replicas} TaskManagers x {slots} slots = {}",
                    min_replicas * slots
                )));
    }
    let target_cpu_utilization = a.target_cpu_utilization.unwrap_or(80);

    Some(FlinkPlan {
        file: located.file,
        doc: located.doc,
        source,
        name,
        namespace,
        labels,
        annotations: located.value.metadata.annotations,
        image: image.unwrap_or_default(),
        version: version?,
        service_account,
        spec: located.value.spec,
        profile: profile_name,
        job_manager,
        job_manager_replicas,
        task_manager,
        slots,
        mode,
        min_replicas,
        max_replicas,
        target_cpu_utilization,
        schedules,
        time_zone,
        parallelism,
        sql_script,
    })
}

/// The problems `kiln check` finds in a SQL script, as diagnostics placed by `place`.
fn sql_problems(
    script: &str,
    runner: SqlRunner,
    place: impl Fn(sql::Problem) -> Diagnostic,
) -> Vec<Diagnostic> {
    sql::check(script, runner).into_iter().map(place).collect()
}

fn sql_diagnostic(problem: sql::Problem) -> Diagnostic {
    let diagnostic = match problem.severity {
        Severity::Error => Diagnostic::error(problem.message),
        Severity::Warning => Diagnostic::warning(problem.message),
    };
    match problem.hint {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic,
    }
}
