//! FlinkJob → FlinkDeployment (+ the SQL ConfigMap).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::sql_wrapper as sql;
use super::validate::FlinkPlan;
use crate::expand::{Object, Stamp};
use crate::kinds::flink_job::{Env, JobType, PythonJob, SqlRunner};

pub const API_VERSION: &str = "flink.apache.org/v1beta1";
pub const KIND: &str = "FlinkDeployment";
pub const MAIN_CONTAINER: &str = "flink-main-container";
pub const PYTHON_DRIVER: &str = "org.apache.flink.client.python.PythonDriver";
pub const DEFAULT_ENTRYPOINT: &str = "/opt/flink/usrlib/entrypoint.py";
pub const DEFAULT_SQL_RUNNER_JAR: &str = "local:///opt/flink/usrlib/sql-runner.jar";

/// What the JobManager runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub jar_uri: String,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    /// Extra environment of the main container (`SCRIPT_URL`, `JAR_FILES`).
    pub env: Vec<(String, String)>,
    /// Extra Flink configuration (`pipeline.jars`).
    pub configuration: BTreeMap<String, String>,
}

pub fn expand(plan: &FlinkPlan) -> Result<Vec<Object>, String> {
    let stamp = Stamp {
        part_of: &plan.name,
        source: &plan.source,
        labels: &plan.labels,
        annotations: &plan.annotations,
    };
    let mut objects = Vec::new();
    let program = program(plan);
    if let (JobType::Sql, Some(script)) = (plan.spec.job_type, &plan.sql_script) {
        let runner = plan.spec.sql.as_ref().map(|s| s.runner).unwrap_or_default();
        let wrapper = match runner {
            SqlRunner::Python => Some(sql::wrapper(&plan.name, &plan.source)?),
            SqlRunner::Jar => None,
        };
        objects.push(Object::new(
            sql::config_map(&plan.name, &plan.namespace, &stamp, script, wrapper),
            &plan.source,
            plan.file,
            plan.doc,
        ));
    }
    objects.push(Object::new(
        flink_deployment(plan, &stamp, &program),
        &plan.source,
        plan.file,
        plan.doc,
    ));
    Ok(objects)
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

/// The Flink configuration kiln generates, before the spec's own keys (which win).
pub fn generated_configuration(plan: &FlinkPlan, program: &Program) -> BTreeMap<String, String> {
    let spec = &plan.spec;
    let v2 = plan.version.major >= 2;
    let mut conf = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        conf.insert(k.to_string(), v);
    };
    set("taskmanager.numberOfTaskSlots", plan.slots.to_string());
    if let Some(checkpoints) = &spec.checkpoints {
        if let Some(dir) = &checkpoints.dir {
            set(
                if v2 {
                    "execution.checkpointing.dir"
                } else {
                    "state.checkpoints.dir"
                },
                dir.clone(),
            );
        }
        if let Some(interval) = &checkpoints.interval {
            set("execution.checkpointing.interval", interval.clone());
        }
    }
    if let Some(savepoints) = &spec.savepoints {
        set(
            if v2 {
                "execution.checkpointing.savepoint-dir"
            } else {
                "state.savepoints.dir"
            },
            savepoints.dir.clone(),
        );
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
    if plan.mode == crate::kinds::flink_job::AutoscalingMode::Operator {
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

fn flink_deployment(plan: &FlinkPlan, stamp: &Stamp<'_>, program: &Program) -> Value {
    let spec = &plan.spec;
    let mut configuration = generated_configuration(plan, program);
    for (k, v) in &spec.flink_configuration {
        configuration.insert(k.clone(), v.render());
    }

    let resource = |s: &super::validate::Sizing| json!({"cpu": s.cpu, "memory": s.memory});
    let mut job_manager = json!({"resource": resource(&plan.job_manager)});
    if plan.job_manager_replicas > 1 {
        job_manager["replicas"] = json!(plan.job_manager_replicas);
    }
    let mut task_manager = json!({"resource": resource(&plan.task_manager)});
    if plan.mode.owns_replicas() {
        task_manager["replicas"] = json!(plan.min_replicas);
    }

    let mut job = Map::new();
    job.insert("jarURI".into(), json!(program.jar_uri));
    if let Some(entry_class) = &program.entry_class {
        job.insert("entryClass".into(), json!(entry_class));
    }
    if !program.args.is_empty() {
        job.insert("args".into(), json!(program.args));
    }
    job.insert("parallelism".into(), json!(plan.parallelism));
    job.insert("upgradeMode".into(), json!(spec.upgrade_mode.as_str()));
    job.insert(
        "state".into(),
        json!(match spec.state {
            crate::kinds::flink_job::JobState::Running => "running",
            crate::kinds::flink_job::JobState::Suspended => "suspended",
        }),
    );

    let mut out = Map::new();
    out.insert("image".into(), json!(plan.image));
    out.insert("flinkVersion".into(), json!(plan.version.crd_value()));
    out.insert("serviceAccount".into(), json!(plan.service_account));
    out.insert(
        "mode".into(),
        json!(if plan.mode.is_reactive() {
            "standalone"
        } else {
            "native"
        }),
    );
    out.insert("flinkConfiguration".into(), json!(configuration));
    out.insert("jobManager".into(), job_manager);
    out.insert("taskManager".into(), task_manager);
    out.insert("job".into(), Value::Object(job));
    if let Some(template) = pod_template(plan, program) {
        out.insert("podTemplate".into(), template);
    }
    if let Some(nonce) = spec.restart_nonce {
        out.insert("restartNonce".into(), json!(nonce));
    }

    json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": plan.name,
            "namespace": plan.namespace,
            "labels": stamp.labels(),
            "annotations": stamp.annotations(),
        },
        "spec": out,
    })
}

/// The user's pod template with kiln's env and SQL volume added to the main container.
fn pod_template(plan: &FlinkPlan, program: &Program) -> Option<Value> {
    let spec = &plan.spec;
    let mut env: Vec<Value> = program
        .env
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    match &spec.env {
        Some(Env::Map(map)) => env.extend(
            map.iter()
                .map(|(k, v)| json!({"name": k, "value": v.render()})),
        ),
        Some(Env::List(list)) => env.extend(list.iter().map(|var| {
            let mut item = Map::new();
            item.insert("name".into(), json!(var.name));
            if let Some(value) = &var.value {
                item.insert("value".into(), json!(value.render()));
            }
            if let Some(from) = &var.value_from {
                item.insert("valueFrom".into(), Value::Object(from.clone()));
            }
            Value::Object(item)
        })),
        None => {}
    }
    let sql_volume = spec.job_type == JobType::Sql;
    if env.is_empty() && !sql_volume && spec.pod_template.is_none() {
        return None;
    }
    let mut template = Value::Object(spec.pod_template.clone().unwrap_or_default());
    if env.is_empty() && !sql_volume {
        return Some(template);
    }
    let pod_spec = entry_object(&mut template, "spec");
    if sql_volume {
        let volumes = entry_array(pod_spec, "volumes");
        volumes.retain(|v| v.get("name").and_then(Value::as_str) != Some(sql::VOLUME_NAME));
        volumes.push(json!({
            "name": sql::VOLUME_NAME,
            "configMap": {"name": sql::config_map_name(&plan.name)},
        }));
    }
    let containers = entry_array(pod_spec, "containers");
    let index = if let Some(i) = containers
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some(MAIN_CONTAINER))
    {
        i
    } else {
        containers.insert(0, json!({"name": MAIN_CONTAINER}));
        0
    };
    let container = &mut containers[index];
    if !env.is_empty() {
        let names: Vec<String> = env
            .iter()
            .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        let existing = entry_array(container, "env");
        existing.retain(|e| {
            e.get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| !names.iter().any(|m| m == n))
        });
        existing.extend(env);
    }
    if sql_volume {
        let mounts = entry_array(container, "volumeMounts");
        mounts.retain(|m| m.get("name").and_then(Value::as_str) != Some(sql::VOLUME_NAME));
        mounts.push(
            json!({"name": sql::VOLUME_NAME, "mountPath": sql::MOUNT_PATH, "readOnly": true}),
        );
    }
    Some(template)
}

/// `value[key]` as an object, created (or replaced, if not an object) when needed.
fn entry_object<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    let map = value.as_object_mut().expect("just made an object");
    let entry = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry
}

/// `value[key]` as an array, created when needed.
fn entry_array<'a>(value: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    let map = value.as_object_mut().expect("just made an object");
    let entry = map.entry(key.to_string()).or_insert_with(|| json!([]));
    if !entry.is_array() {
        *entry = json!([]);
    }
    entry.as_array_mut().expect("just made an array")
}
