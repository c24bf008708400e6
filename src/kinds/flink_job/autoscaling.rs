//! The HPA and the scaler CronJobs of the autoscaling modes.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::json;

use super::validate::FlinkPlan;
use super::week::{self, Week};
use super::{expand as flink, keda, rbac};
use crate::expand::{Object, Stamp, to_value};
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
pub fn behavior() -> HorizontalPodAutoscalerBehavior {
    let rules = |window: i32, percent: i32| HPAScalingRules {
        stabilization_window_seconds: Some(window),
        select_policy: Some("Max".to_string()),
        policies: Some(vec![HPAScalingPolicy {
            type_: "Percent".to_string(),
            value: percent,
            period_seconds: 60,
        }]),
        ..HPAScalingRules::default()
    };
    HorizontalPodAutoscalerBehavior {
        scale_up: Some(rules(60, 100)),
        scale_down: Some(rules(300, 50)),
    }
}

/// The HPA. In `scheduled_hpa` its `minReplicas` is left out of git: the scaler CronJobs
/// own it (the API server starts it at 1 until the first one runs).
fn hpa(plan: &FlinkPlan, stamp: &Stamp<'_>) -> serde_json::Value {
    to_value(&HorizontalPodAutoscaler {
        metadata: stamp.object_meta(&plan.name, &plan.namespace),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(flink::API_VERSION.to_string()),
                kind: flink::KIND.to_string(),
                name: plan.name.clone(),
            },
            min_replicas: (!plan.mode.schedules_move_hpa()).then(|| to_i32(plan.min_replicas)),
            max_replicas: to_i32(plan.max_replicas),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_string(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_string(),
                    target: MetricTarget {
                        type_: "Utilization".to_string(),
                        average_utilization: Some(to_i32(plan.target_cpu_utilization)),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: Some(behavior()),
        }),
        ..HorizontalPodAutoscaler::default()
    })
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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

fn cron_job(
    plan: &FlinkPlan,
    stamp: &Stamp<'_>,
    scaler: &ScalerCronJob,
    image: &str,
) -> serde_json::Value {
    let entry = &plan.schedules[scaler.entry];
    let labels = stamp.labels();
    let container = Container {
        name: "kubectl".to_string(),
        image: Some(image.to_string()),
        command: Some(vec!["kubectl".to_string()]),
        args: Some(patch_args(plan, entry)),
        env: Some(vec![EnvVar {
            name: "HOME".to_string(),
            value: Some("/tmp".to_string()),
            ..EnvVar::default()
        }]),
        volume_mounts: Some(vec![VolumeMount {
            name: "tmp".to_string(),
            mount_path: "/tmp".to_string(),
            ..VolumeMount::default()
        }]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("10m".to_string())),
                ("memory".to_string(), Quantity("64Mi".to_string())),
            ])),
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                Quantity("128Mi".to_string()),
            )])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_string()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    };
    let pod = PodSpec {
        service_account_name: Some(rbac::SCALER_NAME.to_string()),
        restart_policy: Some("OnFailure".to_string()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(SCALER_UID),
            run_as_group: Some(SCALER_UID),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        containers: vec![container],
        volumes: Some(vec![Volume {
            name: "tmp".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        }]),
        ..PodSpec::default()
    };
    to_value(&CronJob {
        metadata: stamp.object_meta(&scaler.name, &plan.namespace),
        spec: Some(CronJobSpec {
            schedule: scaler.schedule.clone(),
            time_zone: plan.time_zone.clone(),
            concurrency_policy: Some("Forbid".to_string()),
            // A late start is still worth making within 5 minutes when the next hold is at
            // most 15 away; an edge-only CronJob (a schedule tied to dates) gets 10.
            starting_deadline_seconds: Some(if plan.week.is_some() { 300 } else { 600 }),
            successful_jobs_history_limit: Some(1),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(JobSpec {
                    backoff_limit: Some(3),
                    active_deadline_seconds: Some(300),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(labels),
                            ..ObjectMeta::default()
                        }),
                        spec: Some(pod),
                    },
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    })
}
