//! ModelPool → one Deployment per business slice, a PodDisruptionBudget per business slice
//! that can have 2 or more pods, with autoscaling a KEDA ScaledObject or an HPA per autoscaled
//! slice and a PodMonitor per pool; BusinessService → Service.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    MetricIdentifier, MetricSpec, MetricTarget, PodsMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, Lifecycle, LifecycleHandler, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use crate::expand::{Object, Stamp, to_value};
use crate::kinds::AutoscalingEngine;
use crate::kinds::model_pool::Spread;
use crate::kinds::model_pool::allocation::UNASSIGNED;
use crate::kinds::model_pool::validate::{PoolAutoscalingPlan, PoolPlan, Slice};

pub const MODEL_LABEL: &str = "model";
pub const BUSINESS_LABEL: &str = "business";
pub const POOL_TYPE_LABEL: &str = "pool-type";
pub const CACHE_PATH: &str = "/root/.cache/huggingface";
pub const KEDA_API_VERSION: &str = "keda.sh/v1alpha1";
pub const POD_MONITOR_API_VERSION: &str = "monitoring.coreos.com/v1";

pub fn expand(plan: &PoolPlan) -> Vec<Object> {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    let object = |value: Value| Object::new(value, &plan.source, plan.file, plan.doc);
    let mut objects = Vec::new();
    for slice in &plan.slices {
        objects.push(object(deployment(plan, &stamp, slice)));
        // A budget of one pod at a time, for slices that can have two or more.
        if slice.business != UNASSIGNED && slice.ceiling() >= 2 {
            objects.push(object(disruption_budget(plan, &stamp, slice)));
        }
        if let (Some(autoscaling), Some(max)) = (&plan.autoscaling, slice.max_replicas) {
            objects.push(object(autoscaler(plan, &stamp, slice, max, autoscaling)));
        }
    }
    if plan.autoscaling.is_some() {
        objects.push(object(pod_monitor(plan, &stamp)));
    }
    objects
}

/// The PodMonitor of a pool: `/metrics` of every pod, with the pod labels `model` and
/// `business` on each series, so a slice's query selects only its own pods.
fn pod_monitor(plan: &PoolPlan, stamp: &Stamp<'_>) -> Value {
    let mut meta = stamp.object_meta(&pod_monitor_name(plan), &plan.namespace);
    meta.labels = Some(pool_labels(plan, stamp));
    json!({
        "apiVersion": POD_MONITOR_API_VERSION,
        "kind": "PodMonitor",
        "metadata": to_value(&meta),
        "spec": {
            "selector": {"matchLabels": {
                MODEL_LABEL: plan.model_tag,
                POOL_TYPE_LABEL: plan.spec.engine.as_str(),
            }},
            "podTargetLabels": [MODEL_LABEL, BUSINESS_LABEL],
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics"}],
        },
    })
}

pub fn pod_monitor_name(plan: &PoolPlan) -> String {
    format!("{}-{}-pool", plan.spec.engine.as_str(), plan.model_tag)
}

/// The PromQL sum of a slice's metric: divided by the pod count (KEDA's `AverageValue`) it
/// is the average per pod.
pub fn slice_query(plan: &PoolPlan, business: &str, metric_name: &str) -> String {
    format!(
        "sum({metric_name}{{namespace=\"{}\",{MODEL_LABEL}=\"{}\",{BUSINESS_LABEL}=\"{business}\"}})",
        plan.namespace, plan.model_tag
    )
}

/// The autoscaler of a slice's Deployment, from the assigned count up to `max`: a KEDA
/// ScaledObject with a Prometheus trigger on the slice's own pods, or an HPA on the engine's
/// metric as a Pods metric (served by a custom-metrics adapter such as prometheus-adapter
/// under the Prometheus name).
fn autoscaler(
    plan: &PoolPlan,
    stamp: &Stamp<'_>,
    slice: &Slice,
    max: u32,
    autoscaling: &PoolAutoscalingPlan,
) -> Value {
    let name = plan.deployment_name(&slice.business);
    let metadata = ObjectMeta {
        labels: Some(slice_labels(plan, stamp, &slice.business)),
        ..stamp.object_meta(&name, &plan.namespace)
    };
    if autoscaling.engine == AutoscalingEngine::Keda {
        return json!({
            "apiVersion": KEDA_API_VERSION,
            "kind": "ScaledObject",
            "metadata": to_value(&metadata),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicaCount": slice.replicas,
                "maxReplicaCount": max,
                "triggers": [{
                    "type": "prometheus",
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": autoscaling.prometheus.clone().unwrap_or_default(),
                        "query": slice_query(plan, &slice.business, autoscaling.metric_name),
                        "threshold": autoscaling.target,
                    },
                }],
            },
        });
    }
    to_value(&HorizontalPodAutoscaler {
        metadata,
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: "Deployment".to_string(),
                name,
            },
            min_replicas: Some(i32::try_from(slice.replicas).unwrap_or(i32::MAX)),
            max_replicas: i32::try_from(max).unwrap_or(i32::MAX),
            metrics: Some(vec![MetricSpec {
                type_: "Pods".to_string(),
                pods: Some(PodsMetricSource {
                    metric: MetricIdentifier {
                        name: autoscaling.metric_name.to_string(),
                        selector: None,
                    },
                    target: MetricTarget {
                        type_: "AverageValue".to_string(),
                        average_value: Some(Quantity(autoscaling.target.clone())),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    })
}

/// `{model, business, pool-type}`: selects exactly one slice.
pub fn selector(plan: &PoolPlan, business: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MODEL_LABEL.to_string(), plan.model_tag.clone()),
        (BUSINESS_LABEL.to_string(), business.to_string()),
        (
            POOL_TYPE_LABEL.to_string(),
            plan.spec.engine.as_str().to_string(),
        ),
    ])
}

/// Labels of a pool-wide object (the PodMonitor).
fn pool_labels(plan: &PoolPlan, stamp: &Stamp<'_>) -> BTreeMap<String, String> {
    let mut labels = stamp.labels();
    labels.insert(MODEL_LABEL.to_string(), plan.model_tag.clone());
    labels.insert(
        POOL_TYPE_LABEL.to_string(),
        plan.spec.engine.as_str().to_string(),
    );
    labels.insert("deployment-type".to_string(), "model-pool".to_string());
    labels
}

/// Labels of a slice's Deployment and pods: the original system's scheme plus the
/// `app.kubernetes.io` set; kiln's own keys win over user labels.
fn slice_labels(plan: &PoolPlan, stamp: &Stamp<'_>, business: &str) -> BTreeMap<String, String> {
    let mut labels = stamp.labels();
    labels.extend(selector(plan, business));
    labels.insert("deployment-type".to_string(), "model-pool".to_string());
    labels.insert("app.kubernetes.io/name".to_string(), plan.model_tag.clone());
    labels.insert(
        "app.kubernetes.io/component".to_string(),
        "model-pool".to_string(),
    );
    labels.insert(
        "app.kubernetes.io/instance".to_string(),
        plan.deployment_name(business),
    );
    labels
}

/// The engine's command line. kiln sets the command itself (`vllm serve`, `python3 -m
/// sglang.launch_server`): the vLLM image's own entrypoint differs between releases. Full
/// flag names only (engine::Release).
pub fn engine_command(plan: &PoolPlan) -> (Vec<String>, Vec<String>) {
    let spec = &plan.spec;
    let release = &plan.release;
    let a = &spec.engine_args;
    let mut args = release.model_args(&spec.model);
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    push("--port", plan.port.to_string());
    push("--served-model-name", plan.served_model_name.clone());
    push(
        release.tensor_parallel_flag(),
        plan.tensor_parallel_size.to_string(),
    );
    if let Some(n) = a.max_model_len {
        push(release.context_length_flag(), n.to_string());
    }
    if let Some(u) = a.gpu_memory_utilization {
        push(release.memory_fraction_flag(), u.to_string());
    }
    if let Some(dtype) = &a.dtype {
        push("--dtype", dtype.clone());
    }
    if let Some(flag) = release.shutdown_timeout_flag()
        && plan.shutdown_timeout > 0
    {
        push(flag, plan.shutdown_timeout.to_string());
    }
    args.extend(release.lora_args(&plan.loras));
    if plan.autoscaling.is_some() {
        args.extend(release.metrics_args().iter().map(ToString::to_string));
    }
    args.extend(a.extra.iter().cloned());
    (release.command(), args)
}

fn health_probe(period: i32, timeout: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/health".to_string()),
            port: IntOrString::String("http".to_string()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

fn deployment(plan: &PoolPlan, stamp: &Stamp<'_>, slice: &Slice) -> Value {
    let spec = &plan.spec;
    let name = plan.deployment_name(&slice.business);
    let labels = slice_labels(plan, stamp, &slice.business);
    let (mounts, volumes) = volumes(plan);
    let container = engine_container(plan, mounts);
    let mut tolerations = Vec::new();
    if spec.gpu.count > 0 {
        tolerations.push(Toleration {
            key: Some(plan.gpu_resource.clone()),
            operator: Some("Exists".to_string()),
            effect: Some("NoSchedule".to_string()),
            ..Toleration::default()
        });
    }
    let topology_key = match spec.placement.spread {
        Spread::Zone => Some("topology.kubernetes.io/zone"),
        Spread::Node => Some("kubernetes.io/hostname"),
        Spread::None => None,
    };
    let pod = PodSpec {
        containers: vec![container],
        // The engines never call the Kubernetes API.
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        priority_class_name: spec.placement.priority_class_name.clone(),
        termination_grace_period_seconds: Some(i64::from(plan.grace_seconds)),
        // Soft: a zone or node short of GPUs must not keep a slice from scheduling.
        topology_spread_constraints: topology_key.map(|key| {
            vec![TopologySpreadConstraint {
                max_skew: 1,
                topology_key: key.to_string(),
                when_unsatisfiable: "ScheduleAnyway".to_string(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(selector(plan, &slice.business)),
                    ..LabelSelector::default()
                }),
                // Count only the pods of the current rollout.
                match_label_keys: Some(vec!["pod-template-hash".to_string()]),
                ..TopologySpreadConstraint::default()
            }]
        }),
        tolerations: Some(tolerations).filter(|t| !t.is_empty()),
        node_selector: Some(spec.node_selector.clone()).filter(|n| !n.is_empty()),
        security_context: Some(PodSecurityContext {
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    let mut value = to_value(&Deployment {
        metadata: ObjectMeta {
            labels: Some(labels.clone()),
            ..stamp.object_meta(&name, &plan.namespace)
        },
        spec: Some(DeploymentSpec {
            // An autoscaled slice's replicas belong to its autoscaler, not to git.
            replicas: slice
                .max_replicas
                .is_none()
                .then(|| i32::try_from(slice.replicas).unwrap_or(i32::MAX)),
            selector: LabelSelector {
                match_labels: Some(selector(plan, &slice.business)),
                ..LabelSelector::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_string()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::Int(0)),
                    max_surge: Some(IntOrString::Int(1)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    });
    // The user's tolerations pass through as written (typed structs would drop fields).
    if !spec.tolerations.is_empty()
        && let Some(pod_spec) = value
            .pointer_mut("/spec/template/spec")
            .and_then(Value::as_object_mut)
    {
        let list = pod_spec
            .entry("tolerations")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.extend(spec.tolerations.iter().cloned().map(Value::Object));
        }
    }
    value
}

/// The engine's container: its command line, GPU and resource requests, the token, the
/// volumes' mounts, probes, drain and security context.
fn engine_container(plan: &PoolPlan, mounts: Vec<VolumeMount>) -> Container {
    let spec = &plan.spec;
    let (command, args) = engine_command(plan);
    let mut requests = BTreeMap::new();
    if let Some(resources) = &spec.resources {
        if let Some(cpu) = &resources.cpu {
            requests.insert("cpu".to_string(), Quantity(cpu.render()));
        }
        if let Some(memory) = &resources.memory {
            requests.insert("memory".to_string(), Quantity(memory.clone()));
        }
    }
    if spec.gpu.count > 0 {
        requests.insert(
            plan.gpu_resource.clone(),
            Quantity(spec.gpu.count.to_string()),
        );
    }
    let env = spec.hf_token_secret.as_ref().map(|secret| {
        vec![EnvVar {
            name: "HF_TOKEN".to_string(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.name.clone(),
                    key: secret.key.clone(),
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }]
    });
    let probes = plan.release.probes();
    let startup_period = u32::try_from(probes.startup_period).unwrap_or(10);
    let startup_failures =
        i32::try_from(plan.startup_seconds.div_ceil(startup_period).max(1)).unwrap_or(i32::MAX);
    Container {
        name: spec.engine.as_str().to_string(),
        image: Some(plan.image.clone()),
        command: Some(command),
        args: Some(args),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_string()),
            container_port: i32::try_from(plan.port).unwrap_or(8000),
            protocol: Some("TCP".to_string()),
            ..ContainerPort::default()
        }]),
        env,
        resources: Some(ResourceRequirements {
            requests: Some(requests.clone()).filter(|r| !r.is_empty()),
            limits: Some(requests).filter(|r| !r.is_empty()),
            ..ResourceRequirements::default()
        }),
        volume_mounts: Some(mounts),
        startup_probe: Some(health_probe(
            probes.startup_period,
            probes.startup_timeout,
            startup_failures,
        )),
        readiness_probe: Some(health_probe(
            probes.readiness.0,
            probes.readiness.1,
            probes.readiness.2,
        )),
        liveness_probe: Some(health_probe(
            probes.liveness.0,
            probes.liveness.1,
            probes.liveness.2,
        )),
        lifecycle: (plan.pre_stop_seconds > 0).then(|| Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(ExecAction {
                    command: Some(vec!["sleep".to_string(), plan.pre_stop_seconds.to_string()]),
                }),
                ..LifecycleHandler::default()
            }),
            ..Lifecycle::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_string()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// The pod's volumes and the engine's mounts of them: shared memory, then the model cache.
fn volumes(plan: &PoolPlan) -> (Vec<VolumeMount>, Vec<Volume>) {
    let spec = &plan.spec;
    let mut mounts = vec![VolumeMount {
        name: "dshm".to_string(),
        mount_path: "/dev/shm".to_string(),
        ..VolumeMount::default()
    }];
    let mut volumes = vec![Volume {
        name: "dshm".to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".to_string()),
            size_limit: Some(Quantity(plan.shm_size.clone())),
        }),
        ..Volume::default()
    }];
    if let Some(cache) = &spec.cache {
        mounts.push(VolumeMount {
            name: "model-cache".to_string(),
            mount_path: CACHE_PATH.to_string(),
            ..VolumeMount::default()
        });
        volumes.push(Volume {
            name: "model-cache".to_string(),
            persistent_volume_claim: cache.persistent_volume_claim.as_ref().map(|claim| {
                PersistentVolumeClaimVolumeSource {
                    claim_name: claim.clone(),
                    ..PersistentVolumeClaimVolumeSource::default()
                }
            }),
            empty_dir: cache.empty_dir.as_ref().map(|dir| EmptyDirVolumeSource {
                size_limit: dir.size_limit.clone().map(Quantity),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    (mounts, volumes)
}

fn disruption_budget(plan: &PoolPlan, stamp: &Stamp<'_>, slice: &Slice) -> Value {
    let name = plan.deployment_name(&slice.business);
    to_value(&PodDisruptionBudget {
        metadata: ObjectMeta {
            labels: Some(slice_labels(plan, stamp, &slice.business)),
            ..stamp.object_meta(&name, &plan.namespace)
        },
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            // A pod that is not Ready (crash-looping, still loading weights) may always be
            // evicted, so the budget never holds a node drain forever.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_string()),
            selector: Some(LabelSelector {
                match_labels: Some(selector(plan, &slice.business)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}
