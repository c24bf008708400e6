//! FlinkJob → FlinkDeployment (+ the SQL ConfigMap).

use serde_json::{Map, Value, json};

use super::configuration::Program;
use super::sql_wrapper as sql;
use super::validate::{FlinkPlan, Role};
use crate::expand::{Object, Stamp, resource};
use crate::kinds::flink_job::{Env, JobType, Rollout, Snapshot, SnapshotType, SqlRunner};

pub const API_VERSION: &str = "flink.apache.org/v1beta1";
pub const KIND: &str = "FlinkDeployment";
pub const SNAPSHOT_KIND: &str = "FlinkStateSnapshot";
pub const BLUE_GREEN_KIND: &str = "FlinkBlueGreenDeployment";
pub const SESSION_JOB_KIND: &str = "FlinkSessionJob";
pub const MAIN_CONTAINER: &str = "flink-main-container";

pub fn expand(plan: &FlinkPlan) -> Result<Vec<Object>, String> {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    let mut objects = Vec::new();
    let program = &plan.program;
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
    let mut deployment = match &plan.role {
        Role::SessionJob { session, .. } => session_job(plan, &stamp, program, session),
        _ => flink_deployment(plan, &stamp, program),
    };
    if plan.spec.rollout == Rollout::BlueGreen {
        // The operator makes `<name>-blue`/`<name>-green` FlinkDeployments from the template.
        let spec = deployment["spec"].take();
        deployment["kind"] = json!(BLUE_GREEN_KIND);
        let mut template = Map::new();
        template.insert("spec".into(), spec);
        let mut blue_green = Map::new();
        blue_green.insert("template".into(), Value::Object(template));
        deployment["spec"] = Value::Object(blue_green);
    }
    objects.push(Object::new(deployment, &plan.source, plan.file, plan.doc));
    objects.extend(
        plan.spec
            .snapshots
            .iter()
            .map(|s| Object::new(snapshot(plan, &stamp, s), &plan.source, plan.file, plan.doc)),
    );
    Ok(objects)
}

/// A FlinkStateSnapshot of the job, `<job>-<name>`. A savepoint keeps its data when the
/// object is deleted unless the spec asks otherwise (the operator's default is to dispose
/// of it, which Argo CD pruning a snapshot removed from git would trigger); it goes to the
/// job's savepoint directory in the job's savepoint format.
fn snapshot(plan: &FlinkPlan, stamp: &Stamp<'_>, snapshot: &Snapshot) -> Value {
    let mut spec = Map::new();
    let kind = match plan.role {
        Role::SessionJob { .. } => SESSION_JOB_KIND,
        _ => KIND,
    };
    spec.insert(
        "jobReference".into(),
        json!({"kind": kind, "name": plan.name}),
    );
    match snapshot.snapshot_type {
        SnapshotType::Savepoint => {
            let mut savepoint = Map::new();
            savepoint.insert(
                "disposeOnDelete".into(),
                json!(snapshot.dispose_on_delete.unwrap_or(false)),
            );
            if let Some(format) = plan.spec.savepoints.as_ref().and_then(|s| s.format_type) {
                savepoint.insert("formatType".into(), json!(format.as_operator_str()));
            }
            spec.insert("savepoint".into(), Value::Object(savepoint));
        }
        SnapshotType::Checkpoint => {
            spec.insert("checkpoint".into(), json!({}));
        }
    }
    let name = format!("{}-{}", plan.name, snapshot.name);
    resource(
        API_VERSION,
        SNAPSHOT_KIND,
        stamp.metadata(&name, &plan.namespace),
        [("spec", Value::Object(spec))],
    )
}

/// A FlinkSessionJob: the job's program and job settings, submitted to the session's
/// cluster (`deploymentName`), with its own Flink configuration (what the job sets over the
/// session's).
fn session_job(plan: &FlinkPlan, stamp: &Stamp<'_>, program: &Program, session: &str) -> Value {
    let mut out = Map::new();
    out.insert("deploymentName".into(), json!(session));
    if !plan.configuration.is_empty() {
        out.insert("flinkConfiguration".into(), json!(plan.configuration));
    }
    out.insert("job".into(), Value::Object(job(plan, program)));
    if let Some(nonce) = plan.spec.restart_nonce {
        out.insert("restartNonce".into(), json!(nonce));
    }
    resource(
        API_VERSION,
        SESSION_JOB_KIND,
        stamp.metadata(&plan.name, &plan.namespace),
        [("spec", Value::Object(out))],
    )
}

/// The `job` of a FlinkDeployment or FlinkSessionJob: program, parallelism, restore, state.
fn job(plan: &FlinkPlan, program: &Program) -> Map<String, Value> {
    let spec = &plan.spec;
    let mut job = Map::new();
    job.insert("jarURI".into(), json!(program.jar_uri));
    if let Some(entry_class) = &program.entry_class {
        job.insert("entryClass".into(), json!(entry_class));
    }
    if !program.args.is_empty() {
        job.insert("args".into(), json!(program.args));
    }
    job.insert("parallelism".into(), json!(plan.parallelism));
    if let Some(restore) = &spec.restore {
        job.insert("initialSavepointPath".into(), json!(restore.path));
        if let Some(allow) = restore.allow_non_restored_state {
            job.insert("allowNonRestoredState".into(), json!(allow));
        }
        if let Some(nonce) = restore.redeploy_nonce {
            job.insert("savepointRedeployNonce".into(), json!(nonce));
        }
    }
    job.insert("upgradeMode".into(), json!(spec.upgrade_mode.as_str()));
    job.insert(
        "state".into(),
        json!(match spec.state {
            crate::kinds::flink_job::JobState::Running => "running",
            crate::kinds::flink_job::JobState::Suspended => "suspended",
        }),
    );
    job
}

/// The FlinkDeployment of a job's own cluster, or of a session (no `job`; standalone with a
/// fixed TaskManager count, native with TaskManagers on demand).
pub fn flink_deployment(plan: &FlinkPlan, stamp: &Stamp<'_>, program: &Program) -> Value {
    let spec = &plan.spec;
    let configuration = &plan.configuration;
    let session = match plan.role {
        Role::Session { task_managers } => Some(task_managers),
        _ => None,
    };

    let sized = |s: &super::validate::Sizing| json!({"cpu": s.cpu, "memory": s.memory});
    let mut job_manager = json!({"resource": sized(&plan.job_manager)});
    if plan.job_manager_replicas > 1 {
        job_manager["replicas"] = json!(plan.job_manager_replicas);
    }
    let mut task_manager = json!({"resource": sized(&plan.task_manager)});
    let (standalone, replicas) = match session {
        Some(task_managers) => (task_managers.is_some(), task_managers),
        None => (
            plan.mode.is_reactive(),
            plan.mode.owns_replicas().then_some(plan.min_replicas),
        ),
    };
    if let Some(replicas) = replicas {
        task_manager["replicas"] = json!(replicas);
    }

    let mut out = Map::new();
    out.insert("image".into(), json!(plan.image));
    out.insert("flinkVersion".into(), json!(plan.version.crd_value()));
    out.insert("serviceAccount".into(), json!(plan.service_account));
    out.insert(
        "mode".into(),
        json!(if standalone { "standalone" } else { "native" }),
    );
    out.insert("flinkConfiguration".into(), json!(configuration));
    out.insert("jobManager".into(), job_manager);
    out.insert("taskManager".into(), task_manager);
    if session.is_none() {
        out.insert("job".into(), Value::Object(job(plan, program)));
    }
    if let Some(template) = pod_template(plan, program) {
        out.insert("podTemplate".into(), template);
    }
    if let Some(nonce) = spec.restart_nonce {
        out.insert("restartNonce".into(), json!(nonce));
    }

    resource(
        API_VERSION,
        KIND,
        stamp.metadata(&plan.name, &plan.namespace),
        [("spec", Value::Object(out))],
    )
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
