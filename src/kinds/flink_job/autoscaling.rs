//! The HPA and the scaler CronJobs of the autoscaling modes.

use serde_json::{Value, json};

use super::validate::FlinkPlan;
use super::week::{self, Week};
use super::{expand as flink, keda, rbac};
use crate::expand::{Object, Stamp, resource, strings, strings_list};
use crate::kinds::AutoscalingEngine;
use crate::kinds::flink_job::ScheduleEntry;

/// The field manager of every scaler patch, so server-side apply conflicts name it.
pub const FIELD_MANAGER: &str = "kiln-scaler";
/// The non-root user the scaler runs as (distroless `nonroot`).
pub const SCALER_UID: i64 = 65_532;

/// One scaler CronJob: on `schedule` it sets the floor of `entry` (the TaskManager count in
/// `scheduled`, the HPA's `minReplicas` in `scheduled_hpa`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalerCronJob {
    pub name: String,
    /// Index of a schedule entry whose floor it applies.
    pub entry: usize,
    pub schedule: String,
}

/// The scaler CronJobs of a scheduled job on the kubernetes engine. With a weekly schedule,
/// one CronJob per floor, `<job>-floor-<n>` (then `-2`, `-3`… when one cron expression cannot
/// say it): it fires when a stretch of the week at that floor starts and every
/// [`week::HOLD_EVERY`] minutes while it lasts, so that after a sync (or a recreated HPA)
/// the window in force applies within that time. A schedule tied to dates has no week: one
/// CronJob per entry, `<job>-scale-<entry>`, on the entry's own cron.
pub fn scaler_cron_jobs(
    job: &str,
    entries: &[ScheduleEntry],
    week: Option<&Week>,
) -> Vec<ScalerCronJob> {
    let Some(week) = week else {
        return entries
            .iter()
            .enumerate()
            .map(|(entry, e)| ScalerCronJob {
                name: format!("{job}-scale-{}", e.name),
                entry,
                schedule: e.cron.clone(),
            })
            .collect();
    };
    let mut out = Vec::new();
    for (floor, (entry, minutes)) in week.holds(|e| entries[e].min_replicas) {
        for (i, schedule) in week::crons(&minutes).into_iter().enumerate() {
            let name = match i {
                0 => format!("{job}-floor-{floor}"),
                _ => format!("{job}-floor-{floor}-{}", i + 1),
            };
            out.push(ScalerCronJob {
                name,
                entry,
                schedule,
            });
        }
    }
    out
}

pub fn expand(plan: &FlinkPlan, scaler_image: &str) -> Vec<Object> {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    let object = |value| Object::new(value, &plan.source, plan.file, plan.doc);
    if !plan.mode.has_engine() {
        return Vec::new();
    }
    if plan.engine == AutoscalingEngine::Keda {
        return vec![object(keda::scaled_object(plan, &stamp))];
    }
    let mut objects = Vec::new();
    if plan.mode.has_hpa() {
        objects.push(object(hpa(plan, &stamp)));
    }
    for scaler in &plan.scalers {
        objects.push(object(cron_job(plan, &stamp, scaler, scaler_image)));
    }
    objects
}

/// The scaling behaviour the original system tuned: up by at most 100% a minute after a
/// minute's stabilization, down by at most 50% a minute after five.
pub fn behavior() -> Value {
    let rules = |window: u32, percent: u32| {
        json!({
            "stabilizationWindowSeconds": window,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": percent, "periodSeconds": 60}],
        })
    };
    json!({"scaleUp": rules(60, 100), "scaleDown": rules(300, 50)})
}

/// The HPA. In `scheduled_hpa` its `minReplicas` is left out of git: the scaler CronJobs
/// own it (the API server starts it at 1 until the first one runs).
fn hpa(plan: &FlinkPlan, stamp: &Stamp<'_>) -> Value {
    let mut spec = json!({
        "scaleTargetRef": {
            "apiVersion": flink::API_VERSION,
            "kind": flink::KIND,
            "name": plan.name,
        },
        "maxReplicas": plan.max_replicas,
        "metrics": [{
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": plan.target_cpu_utilization},
            },
        }],
    });
    spec["behavior"] = behavior();
    if !plan.mode.schedules_move_hpa() {
        spec["minReplicas"] = json!(plan.min_replicas);
    }
    resource(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        stamp.metadata(&plan.name, &plan.namespace),
        [("spec", spec)],
    )
}

/// The kubectl arguments of one scheduled change: a merge patch, no shell. It writes only
/// what git leaves out: the HPA's `minReplicas` (`scheduled_hpa`) or the FlinkDeployment's
/// `taskManager.replicas` (`scheduled`).
pub fn patch_args(plan: &FlinkPlan, entry: &ScheduleEntry) -> Vec<String> {
    let (resource, patch) = if plan.mode.schedules_move_hpa() {
        (
            "horizontalpodautoscaler.autoscaling",
            json!({"spec": {"minReplicas": entry.min_replicas}}),
        )
    } else {
        (
            "flinkdeployment.flink.apache.org",
            json!({"spec": {"taskManager": {"replicas": entry.min_replicas}}}),
        )
    };
    vec![
        "patch".into(),
        resource.into(),
        plan.name.clone(),
        format!("--namespace={}", plan.namespace),
        "--type=merge".into(),
        format!("--patch={patch}"),
        format!("--field-manager={FIELD_MANAGER}"),
    ]
}

fn cron_job(plan: &FlinkPlan, stamp: &Stamp<'_>, scaler: &ScalerCronJob, image: &str) -> Value {
    let entry = &plan.schedules[scaler.entry];
    let labels = stamp.labels();
    let mut container = json!({
        "name": "kubectl",
        "image": image,
        "command": ["kubectl"],
        "env": [{"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "resources": {
            "requests": {"cpu": "10m", "memory": "64Mi"},
            "limits": {"memory": "128Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
        },
    });
    container["args"] = strings_list(patch_args(plan, entry));
    let mut pod = json!({
        "serviceAccountName": rbac::SCALER_NAME,
        "restartPolicy": "OnFailure",
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": SCALER_UID,
            "runAsGroup": SCALER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    });
    pod["containers"] = Value::Array(vec![container]);
    let labels = strings(labels);
    let mut spec = json!({
        "schedule": scaler.schedule,
        "concurrencyPolicy": "Forbid",
        // A late start is still worth making within 5 minutes when the next hold is at
        // most 15 away; an edge-only CronJob (a schedule tied to dates) gets 10.
        "startingDeadlineSeconds": if plan.week.is_some() { 300 } else { 600 },
        "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "spec": {"backoffLimit": 3, "activeDeadlineSeconds": 300, "template": {}},
        },
    });
    let template = &mut spec["jobTemplate"]["spec"]["template"];
    template["metadata"] = json!({"labels": labels});
    template["spec"] = pod;
    spec["jobTemplate"]["metadata"] = json!({"labels": labels});
    if let Some(zone) = &plan.time_zone {
        spec["timeZone"] = json!(zone);
    }
    resource(
        "batch/v1",
        "CronJob",
        stamp.metadata(&scaler.name, &plan.namespace),
        [("spec", spec)],
    )
}
