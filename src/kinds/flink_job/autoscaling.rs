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
use super::{expand as flink, rbac};
use crate::expand::{Object, Stamp, to_value};
use crate::kinds::flink_job::ScheduleEntry;

/// The field manager of every scaler patch, so server-side apply conflicts name it.
pub const FIELD_MANAGER: &str = "kiln-scaler";
/// The non-root user the scaler runs as (distroless `nonroot`).
pub const SCALER_UID: i64 = 65_532;

pub fn expand(plan: &FlinkPlan, scaler_image: &str) -> Vec<Object> {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    let mut objects = Vec::new();
    if plan.mode.has_hpa() {
        objects.push(Object::new(
            hpa(plan, &stamp),
            &plan.source,
            plan.file,
            plan.doc,
        ));
    }
    if plan.mode.is_scheduled() {
        for entry in &plan.schedules {
            objects.push(Object::new(
                cron_job(plan, &stamp, entry, scaler_image),
                &plan.source,
                plan.file,
                plan.doc,
            ));
        }
    }
    objects
}

pub fn cron_job_name(job: &str, entry: &str) -> String {
    format!("{job}-scale-{entry}")
}

fn hpa(plan: &FlinkPlan, stamp: &Stamp<'_>) -> serde_json::Value {
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
    to_value(&HorizontalPodAutoscaler {
        metadata: stamp.object_meta(&plan.name, &plan.namespace),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(flink::API_VERSION.to_string()),
                kind: flink::KIND.to_string(),
                name: plan.name.clone(),
            },
            min_replicas: Some(to_i32(plan.min_replicas)),
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
            behavior: Some(HorizontalPodAutoscalerBehavior {
                scale_up: Some(rules(60, 100)),
                scale_down: Some(rules(300, 50)),
            }),
        }),
        ..HorizontalPodAutoscaler::default()
    })
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The kubectl arguments of one scheduled change: a merge patch, no shell.
pub fn patch_args(plan: &FlinkPlan, entry: &ScheduleEntry) -> Vec<String> {
    let (resource, patch) = if plan.mode.schedules_move_hpa() {
        (
            "horizontalpodautoscaler.autoscaling",
            json!({"spec": {"minReplicas": entry.min_replicas, "maxReplicas": entry.max_replicas}}),
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
    entry: &ScheduleEntry,
    image: &str,
) -> serde_json::Value {
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
        metadata: stamp.object_meta(&cron_job_name(&plan.name, &entry.name), &plan.namespace),
        spec: Some(CronJobSpec {
            schedule: entry.cron.clone(),
            time_zone: plan.time_zone.clone(),
            concurrency_policy: Some("Forbid".to_string()),
            starting_deadline_seconds: Some(600),
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
