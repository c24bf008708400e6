//! What kiln knows of Flink itself: the configuration keys per Flink version, the keys kiln
//! derives and those the operator owns, and what the JobManager runs for each job type. The
//! validated plan gets its final configuration and program from here; nothing else names a
//! Flink configuration key.

use std::collections::BTreeMap;

use super::spec::{AutoscalingMode, JobType, PythonJob, SqlRunner};
use super::sql_wrapper as sql;
use super::validate::{FlinkPlan, Role};
use super::version::FlinkVersion;

pub const PYTHON_DRIVER: &str = "org.apache.flink.client.python.PythonDriver";
pub const DEFAULT_ENTRYPOINT: &str = "/opt/flink/usrlib/entrypoint.py";
pub const DEFAULT_SQL_RUNNER_JAR: &str = "local:///opt/flink/usrlib/sql-runner.jar";

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

/// Where a Flink version reads its checkpoint and savepoint directories (Flink 2 renamed
/// `state.*.dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateKeys {
    pub checkpoint_dir: &'static str,
    pub savepoint_dir: &'static str,
}

impl StateKeys {
    /// The keys of `version`; Flink 1's when the version is unknown (the job has an error then).
    pub fn of(version: Option<FlinkVersion>) -> StateKeys {
        if version.is_some_and(|v| v.major >= 2) {
            StateKeys {
                checkpoint_dir: "execution.checkpointing.dir",
                savepoint_dir: "execution.checkpointing.savepoint-dir",
            }
        } else {
            StateKeys {
                checkpoint_dir: "state.checkpoints.dir",
                savepoint_dir: "state.savepoints.dir",
            }
        }
    }
}

/// The keys that turn high availability on (the second is Flink's pre-1.17 spelling).
pub const HA_KEYS: [&str; 2] = ["high-availability.type", "high-availability"];

/// What the JobManager runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub jar_uri: String,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    /// Extra environment of the main container (`SCRIPT_URL`, `JAR_FILES`).
    pub env: Vec<(String, String)>,
    /// Extra Flink configuration (`pipeline.jars`).
    pub configuration: BTreeMap<String, String>,
}

/// `local:///opt/flink/opt/flink-python-<version>.jar`, or the spec's override.
fn python_driver(plan: &FlinkPlan, python: Option<&PythonJob>) -> String {
    python
        .and_then(|p| p.driver_jar.clone())
        .unwrap_or_else(|| format!("local:///opt/flink/opt/flink-python-{}.jar", plan.version))
}

fn is_url(script: &str) -> bool {
    script.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    })
}

/// `file://` URL of a jar path, for `pipeline.jars`.
fn jar_url(jar: &str) -> String {
    if jar.contains("://") {
        jar.to_string()
    } else {
        format!("file://{jar}")
    }
}

pub fn program(plan: &FlinkPlan) -> Program {
    let spec = &plan.spec;
    let mut program = Program {
        jar_uri: String::new(),
        entry_class: None,
        args: Vec::new(),
        env: Vec::new(),
        configuration: BTreeMap::new(),
    };
    match spec.job_type {
        JobType::Python => {
            let python = spec.python.clone().unwrap_or_default();
            program.jar_uri = python_driver(plan, Some(&python));
            program.entry_class = Some(PYTHON_DRIVER.to_string());
            program.args.clone_from(&python.driver_args);
            match (&python.script, &python.module) {
                (Some(script), _) if is_url(script) => {
                    let entrypoint = python
                        .entrypoint
                        .clone()
                        .unwrap_or_else(|| DEFAULT_ENTRYPOINT.to_string());
                    program.args.extend([
                        "-py".into(),
                        entrypoint,
                        "--script-url".into(),
                        script.clone(),
                    ]);
                    program.env.push(("SCRIPT_URL".into(), script.clone()));
                    if !python.jars.is_empty() {
                        program
                            .env
                            .push(("JAR_FILES".into(), python.jars.join(",")));
                    }
                }
                (Some(script), _) => program.args.extend(["-py".into(), script.clone()]),
                (None, Some(module)) => program.args.extend(["-pym".into(), module.clone()]),
                (None, None) => {}
            }
            let url_script = python.script.as_deref().is_some_and(is_url);
            if !url_script && !python.jars.is_empty() {
                let jars: Vec<String> = python.jars.iter().map(|j| jar_url(j)).collect();
                program
                    .configuration
                    .insert("pipeline.jars".into(), jars.join(";"));
            }
            program.args.extend(python.args.iter().cloned());
        }
        JobType::Jar => {
            let jar = spec.jar.clone().unwrap_or_default();
            program.jar_uri = jar.uri;
            program.entry_class = jar.entry_class;
            program.args = jar.args;
        }
        JobType::Sql => {
            let sql = spec.sql.clone().unwrap_or_default();
            match sql.runner {
                SqlRunner::Python => {
                    program.jar_uri = python_driver(plan, None);
                    program.entry_class = Some(PYTHON_DRIVER.to_string());
                    program.args = vec![
                        "-py".into(),
                        sql::wrapper_path(),
                        "--sql-file".into(),
                        sql::script_path(),
                    ];
                }
                SqlRunner::Jar => {
                    program.jar_uri = sql
                        .runner_jar
                        .unwrap_or_else(|| DEFAULT_SQL_RUNNER_JAR.to_string());
                    program.entry_class = sql.entry_class;
                    program.args = vec![sql::script_path()];
                }
            }
        }
    }
    program
}

/// The job's final Flink configuration: what kiln generates from the typed fields, then the
/// spec's own keys (which win).
pub fn configuration(plan: &FlinkPlan, program: &Program) -> BTreeMap<String, String> {
    let mut conf = generated(plan, program);
    for (k, v) in &plan.spec.flink_configuration {
        conf.insert(k.clone(), v.render());
    }
    conf
}

/// The Flink configuration kiln generates, before the spec's own keys.
fn generated(plan: &FlinkPlan, program: &Program) -> BTreeMap<String, String> {
    let spec = &plan.spec;
    let state = StateKeys::of(Some(plan.version));
    let mut conf = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        conf.insert(k.to_string(), v);
    };
    // A session job's slots are its session's.
    if !matches!(plan.role, Role::SessionJob { .. }) {
        set("taskmanager.numberOfTaskSlots", plan.slots.to_string());
    }
    // Durations are validated by rules::lifecycle (one it refused never gets this far) and
    // written in units every Flink reads (`1h30m` → `90min`).
    let duration = |text: &Option<String>| text.as_deref().and_then(|t| flink_duration(t).ok());
    if let Some(checkpoints) = &spec.checkpoints {
        if let Some(dir) = &checkpoints.dir {
            set(state.checkpoint_dir, dir.clone());
        }
        if let Some(interval) = duration(&checkpoints.interval) {
            set("execution.checkpointing.interval", interval);
        }
    }
    if let Some(savepoints) = &spec.savepoints {
        if let Some(dir) = &savepoints.dir {
            set(state.savepoint_dir, dir.clone());
        }
        if let Some(every) = duration(&savepoints.periodic) {
            set("kubernetes.operator.periodic.savepoint.interval", every);
        }
        if let Some(age) = duration(&savepoints.max_age) {
            set("kubernetes.operator.savepoint.history.max.age", age);
        }
        if let Some(count) = savepoints.max_count {
            set(
                "kubernetes.operator.savepoint.history.max.count",
                count.to_string(),
            );
        }
        if let Some(format) = savepoints.format_type {
            set(
                "kubernetes.operator.savepoint.format.type",
                format.as_operator_str().into(),
            );
        }
    }
    if let Some(ha) = &spec.high_availability {
        if plan.version.at_least(1, 17) {
            set("high-availability.type", "kubernetes".into());
        } else {
            set(
                "high-availability",
                "org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory".into(),
            );
        }
        set("high-availability.storageDir", ha.storage_dir.clone());
    }
    if plan.mode.is_reactive() {
        set("scheduler-mode", "reactive".into());
        set(
            "jobmanager.adaptive-scheduler.min-parallelism-increase",
            "1".into(),
        );
        set(
            "jobmanager.adaptive-scheduler.resource-stabilization-timeout",
            "10s".into(),
        );
    }
    if plan.mode == AutoscalingMode::Operator {
        set("job.autoscaler.enabled", "true".into());
        set("job.autoscaler.stabilization.interval", "1m".into());
        set("job.autoscaler.metrics.window", "3m".into());
        set(
            "job.autoscaler.vertex.min-parallelism",
            (plan.min_replicas * plan.slots).to_string(),
        );
        set(
            "job.autoscaler.vertex.max-parallelism",
            (plan.max_replicas * plan.slots).to_string(),
        );
        if let Some(target) = spec.autoscaling.target_cpu_utilization {
            set(
                "job.autoscaler.target.utilization",
                format!("{}", f64::from(target) / 100.0),
            );
        }
        if plan.version.at_least(1, 18) {
            // In-place rescaling through the REST API needs the adaptive scheduler.
            set("jobmanager.scheduler", "adaptive".into());
        }
    }
    for (k, v) in &program.configuration {
        set(k, v.clone());
    }
    conf
}

/// A duration kiln writes for the operator (`6h`, `30m`, `1h30m`, `PT6H`), in the largest
/// unit every Flink version's `TimeUtils` reads exactly (`d`, `h`, `min`, `s`).
pub fn flink_duration(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let days = trimmed
        .strip_suffix("days")
        .or_else(|| trimmed.strip_suffix("day"))
        .or_else(|| trimmed.strip_suffix('d'))
        .map(str::trim_end)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let seconds = match days {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .and_then(|n| n.checked_mul(86_400))
            .ok_or_else(|| format!("\"{text}\" is too long a duration"))?,
        None => crate::validate::parse_duration(text)?,
    };
    if seconds == 0 {
        return Err(format!("\"{text}\" is zero; expected a positive duration"));
    }
    Ok(match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}min", s / 60),
        s => format!("{s}s"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_durations() {
        for (text, flink) in [
            ("6h", Ok("6h")),
            ("30m", Ok("30min")),
            ("1h30m", Ok("90min")),
            ("90s", Ok("90s")),
            ("7d", Ok("7d")),
            ("2 days", Ok("2d")),
            ("48h", Ok("2d")),
            ("PT6H", Ok("6h")),
        ] {
            assert_eq!(flink_duration(text).as_deref(), flink, "{text}");
        }
        for bad in ["soon", "0s", "0d", "", "d", "-1h", "99999999d"] {
            assert!(flink_duration(bad).is_err(), "{bad}");
        }
    }
}
