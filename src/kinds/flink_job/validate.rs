//! FlinkJob rules and its plan.

use std::collections::BTreeMap;

use super::autoscaling::{self, ScalerCronJob};
use super::configuration::{self, Program};
use super::rules;
pub use super::rules::Sizing;
use super::spec::{AutoscalingMode, FlinkJob, JobType, ScheduleEntry, SqlJob, SqlRunner};
use super::sql;
use super::version::FlinkVersion;
use super::week::Week;
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::field_path::FieldPath;
use crate::kinds::AutoscalingEngine;
use crate::parse::Located;
use crate::validate::{Context, Place, Settings, labels, namespace_or_error, unless_failed};

pub use crate::kinds::flink_session::validate::Sessions;

/// What a plan renders: a FlinkJob on its own cluster, a FlinkSession's cluster, or a
/// FlinkJob on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A FlinkDeployment (or FlinkBlueGreenDeployment) running the job.
    Application,
    /// A FlinkSession: a session-mode FlinkDeployment without a job; `task_managers` fixed
    /// (standalone mode) or on demand (native mode).
    Session { task_managers: Option<u32> },
    /// A FlinkJob with `session:`: a FlinkSessionJob on that session's cluster.
    SessionJob { session: String },
}

/// Everything needed to render one FlinkJob (or FlinkSession: see [`Role`]).
#[derive(Debug, Clone)]
pub struct FlinkPlan {
    pub role: Role,
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
    /// What drives the hpa and scheduled modes.
    pub engine: AutoscalingEngine,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_cpu_utilization: u32,
    pub schedules: Vec<ScheduleEntry>,
    /// The schedules' week (scheduled modes whose entries repeat weekly).
    pub week: Option<Week>,
    /// The scaler CronJobs (engine kubernetes, scheduled modes).
    pub scalers: Vec<ScalerCronJob>,
    pub time_zone: Option<String>,
    pub parallelism: u32,
    /// The SQL script (type sql), read from `sql.file` or `sql.statements`.
    pub sql_script: Option<String>,
    /// What the JobManager runs.
    pub program: Program,
    /// The final `flinkConfiguration`: kiln's keys for this Flink version, then the spec's.
    pub configuration: BTreeMap<String, String>,
}

/// Validate every FlinkJob and resolve its plan (none for a job with errors), with its
/// problems. A plan takes its job's spec over (no copy). Each job is independent of the
/// others, so a large repository's jobs are planned on several threads, chunk by chunk;
/// [`unique_flink_jobs`] then checks names.
pub fn plan_flink_jobs(
    ctx: &Context<'_>,
    settings: &Settings,
    jobs: Vec<Located<FlinkJob>>,
    sessions: &Sessions<'_>,
) -> Vec<(Option<FlinkPlan>, Diagnostics)> {
    jobs.into_iter()
        .map(|job| {
            let mut problems = Diagnostics::new();
            let plan = flink_job(ctx, settings, job, sessions, &mut problems);
            (plan, problems)
        })
        .collect()
}

/// The plans (from [`plan_flink_jobs`], in file order) whose job has no error and is the
/// first of its name in its namespace; a later one is an error.
pub fn unique_flink_jobs(
    ctx: &Context<'_>,
    kind: &str,
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
                        "{kind} \"{}\" in namespace \"{}\" is also defined in {first_path}",
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
        plans.extend(unless_failed(plan, problems, diagnostics));
    }
    plans
}

fn flink_job(
    ctx: &Context<'_>,
    settings: &Settings,
    located: Located<FlinkJob>,
    sessions: &Sessions<'_>,
    out: &mut Diagnostics,
) -> Option<FlinkPlan> {
    match located.value.spec.session.clone() {
        Some(session) => {
            let common = Common::of(ctx, settings, &located, out);
            let session = sessions.find(ctx, &located, &session, &common.namespace, out)?;
            Some(session_job(ctx, located, session, common, out))
        }
        None => cluster(ctx, settings, located, Role::Application, out),
    }
}

/// The root-relative path of source file `file`.
fn source_of(ctx: &Context<'_>, file: usize) -> String {
    ctx.sources
        .get(file)
        .map(|s| s.path.clone())
        .unwrap_or_default()
}

/// What every plan starts from: the spec's file, name, namespace and labels.
struct Common {
    source: String,
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
}

impl Common {
    fn of(
        ctx: &Context<'_>,
        settings: &Settings,
        located: &Located<FlinkJob>,
        out: &mut Diagnostics,
    ) -> Common {
        let job = &located.value;
        let name = job.metadata.name.clone();
        out.extend(rules::name(Place::of(located), &name));
        Common {
            source: source_of(ctx, located.file),
            namespace: namespace_or_error(ctx, &job.metadata, located, out),
            labels: labels(settings, &job.metadata, located, out),
            name,
        }
    }
}

/// A FlinkJob on a session: the session's cluster (image, version, sizes, the configuration
/// it gives its jobs) with the job's program, state and job-level settings.
fn session_job(
    ctx: &Context<'_>,
    located: Located<FlinkJob>,
    session: &FlinkPlan,
    common: Common,
    out: &mut Diagnostics,
) -> FlinkPlan {
    use crate::kinds::flink_session::rules as session_rules;
    let place = Place::of(&located);
    let spec = &located.value.spec;
    let version = session.version;
    out.extend(session_rules::on_session(
        place,
        spec,
        session_rules::SessionRef {
            name: &session.name,
            source: &session.source,
            version,
        },
    ));
    out.extend(rules::program_sections(place, spec));
    if let (JobType::Jar, Some(jar)) = (spec.job_type, &spec.jar) {
        out.extend(rules::jar(place, jar));
        let allowed = ctx
            .config
            .defaults
            .flink
            .session_jar_schemes
            .clone()
            .unwrap_or_else(|| {
                session_rules::DEFAULT_JAR_SCHEMES
                    .map(String::from)
                    .to_vec()
            });
        out.extend(session_rules::jar_uri(place, &jar.uri, &allowed));
    }
    let inherited = rules::Inherited::from_configuration(&session.configuration, version);
    out.extend(rules::state(place, spec, Some(version), 1, inherited));
    out.extend(rules::lifecycle(place, spec, Some(version), inherited));
    out.extend(rules::configuration_keys(place, spec));
    let parallelism = spec.parallelism.unwrap_or(session.slots);
    let mut plan = FlinkPlan {
        role: Role::SessionJob {
            session: session.name.clone(),
        },
        file: located.file,
        doc: located.doc,
        source: common.source,
        name: common.name,
        namespace: common.namespace,
        labels: common.labels,
        annotations: located.value.metadata.annotations,
        image: session.image.clone(),
        version,
        service_account: session.service_account.clone(),
        spec: located.value.spec,
        profile: session.profile.clone(),
        job_manager: session.job_manager.clone(),
        job_manager_replicas: session.job_manager_replicas,
        task_manager: session.task_manager.clone(),
        slots: session.slots,
        mode: AutoscalingMode::Disabled,
        engine: AutoscalingEngine::Kubernetes,
        min_replicas: 0,
        max_replicas: 0,
        target_cpu_utilization: 0,
        schedules: Vec::new(),
        week: None,
        scalers: Vec::new(),
        time_zone: None,
        parallelism,
        sql_script: None,
        program: Program::default(),
        configuration: BTreeMap::new(),
    };
    plan.program = configuration::program(&plan);
    plan.configuration = configuration::configuration(&plan, &plan.program);
    out.extend(rules::max_parallelism(
        place,
        &plan.spec,
        parallelism,
        |key| {
            plan.configuration
                .get(key)
                .or_else(|| session.configuration.get(key))
                .cloned()
        },
    ));
    plan
}

/// A FlinkJob on its own cluster, or a FlinkSession's cluster (`role`): the cluster's rules,
/// and for a job its program and autoscaling.
pub fn cluster(
    ctx: &Context<'_>,
    settings: &Settings,
    located: Located<FlinkJob>,
    role: Role,
    out: &mut Diagnostics,
) -> Option<FlinkPlan> {
    let is_session = matches!(role, Role::Session { .. });
    let place = Place::of(&located);
    let job = &located.value;
    let spec = &job.spec;
    let Common {
        source,
        name,
        namespace,
        labels,
    } = Common::of(ctx, settings, &located, out);
    let defaults = &ctx.config.defaults.flink;
    let (version, problems) = rules::version(
        place,
        spec,
        settings.flink_version,
        defaults.flink_version.is_some(),
    );
    out.extend(problems);
    let (image, problems) = rules::image(place, spec.image.as_deref(), defaults.image.as_deref());
    out.extend(problems);
    let service_account = spec
        .service_account
        .clone()
        .or_else(|| defaults.service_account.clone())
        .unwrap_or_else(|| "flink".to_string());

    // The job's program (a session has none).
    if !is_session {
        out.extend(rules::program_sections(place, spec));
    }
    let mut sql_script = None;
    match (spec.job_type, &spec.python, &spec.jar, &spec.sql) {
        (JobType::Python, Some(python), ..) => out.extend(rules::python(place, python, version)),
        (JobType::Jar, _, Some(jar), _) => out.extend(rules::jar(place, jar)),
        (JobType::Sql, .., Some(sql)) => {
            out.extend(rules::sql_source(place, sql));
            sql_script = sql_script_of(ctx, &located, &source, sql, out);
            out.extend(rules::sql(place, sql, sql_script.as_deref(), version));
        }
        _ => {}
    }

    let (resources, problems) = rules::resources(place, spec, &settings.profiles);
    out.extend(problems);
    let resources = resources?;
    if let Role::Session {
        task_managers: Some(count),
    } = role
    {
        out.extend(crate::kinds::flink_session::rules::size(
            place,
            count,
            resources.slots,
        ));
    }
    out.extend(rules::state(
        place,
        spec,
        version,
        resources.job_manager_replicas,
        rules::Inherited::default(),
    ));
    out.extend(rules::lifecycle(
        place,
        spec,
        version,
        rules::Inherited::default(),
    ));
    out.extend(rules::rollout(place, spec, version, &name));
    out.extend(rules::configuration_keys(place, spec));
    out.extend(rules::pod_fields(place, spec));

    // Autoscaling.
    let a = &spec.autoscaling;
    out.extend(rules::autoscaling_mode(place, a.mode, version));
    let (engine, problems) = rules::engine(place, a, ctx.config.defaults.autoscaling.engine);
    out.extend(problems);
    let (schedules, problems) = rules::schedules(place, a, &settings.presets);
    out.extend(problems);
    let (week, problems) = rules::week(place, a, &schedules, engine);
    out.extend(problems);
    let scalers = if engine == AutoscalingEngine::Kubernetes && a.mode.is_scheduled() {
        autoscaling::scaler_cron_jobs(&name, &schedules, week.as_ref())
    } else {
        Vec::new()
    };
    out.extend(rules::cronjob_names(place, a, &scalers, week.as_ref()));
    let (time_zone, problems) = rules::time_zone(place, a, settings.time_zone.as_deref(), engine);
    out.extend(problems);
    let ((min_replicas, max_replicas), problems) =
        rules::replica_range(place, a, &schedules, &resources.profile);
    out.extend(problems);
    let (parallelism, problems) =
        rules::parallelism(place, spec, (min_replicas, max_replicas), resources.slots);
    out.extend(problems);

    let mode = a.mode;
    let target_cpu_utilization = a.target_cpu_utilization.unwrap_or(80);
    let (min_replicas, max_replicas, parallelism) = match role {
        Role::Session { task_managers } => {
            let count = task_managers.unwrap_or(0);
            (count, count, 0)
        }
        _ => (min_replicas, max_replicas, parallelism),
    };
    let mut plan = FlinkPlan {
        role,
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
        mode,
        engine,
        target_cpu_utilization,
        spec: located.value.spec,
        profile: resources.profile_name,
        job_manager: resources.job_manager,
        job_manager_replicas: resources.job_manager_replicas,
        task_manager: resources.task_manager,
        slots: resources.slots,
        min_replicas,
        max_replicas,
        schedules,
        week,
        scalers,
        time_zone,
        parallelism,
        sql_script,
        program: Program::default(),
        configuration: BTreeMap::new(),
    };
    plan.program = configuration::program(&plan);
    plan.configuration = configuration::configuration(&plan, &plan.program);
    out.extend(rules::max_parallelism(
        place,
        &plan.spec,
        reach(&plan),
        |key| plan.configuration.get(key).cloned(),
    ));
    Some(plan)
}

/// The most parallelism a job can run with: in native mode the HPA or the scaler CronJobs
/// set the TaskManagers and the parallelism follows them; with replicas fixed in git the
/// operator runs replicas x slots, whatever the spec's parallelism says (rules::parallelism
/// warns). 0 for a session (no job) and for a slot count that overflowed (reported by
/// rules::parallelism as parallelism 0).
fn reach(plan: &FlinkPlan) -> u32 {
    if matches!(plan.role, Role::Session { .. }) || plan.parallelism == 0 {
        0
    } else if plan.mode.has_engine() {
        plan.parallelism
            .max(plan.max_replicas.saturating_mul(plan.slots))
    } else if plan.mode.owns_replicas() {
        plan.min_replicas.saturating_mul(plan.slots)
    } else {
        plan.parallelism
    }
}

/// The SQL job's script, read from `sql.file` or taken from `sql.statements`, with the
/// problems [`sql::check`] finds in it placed in the SQL file or inside the spec's value.
fn sql_script_of(
    ctx: &Context<'_>,
    located: &Located<FlinkJob>,
    source: &str,
    sql: &SqlJob,
    out: &mut Diagnostics,
) -> Option<String> {
    match (&sql.file, &sql.statements) {
        (Some(file), None) => match ctx.files.read_referenced(source, file) {
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
                out.push(located.diagnostic(Diagnostic::error(e.to_string()), "spec.sql.file"));
                None
            }
        },
        (None, Some(statements)) => {
            let script = sql::without_bom(statements).0;
            out.extend(sql_problems(script, sql.runner, |problem| {
                let (line, column) = sql::position(script, problem.offset);
                let diagnostic = located.diagnostic(sql_diagnostic(problem), "spec.sql.statements");
                if script.trim().is_empty() {
                    diagnostic
                } else {
                    diagnostic.inside_value(line, column)
                }
            }));
            Some(script.to_string())
        }
        _ => None,
    }
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
