//! ModelPool → one Deployment per business slice (+ a PodDisruptionBudget per business slice
//! of 2 or more pods); BusinessService → Service.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, Lifecycle, LifecycleHandler, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Service, ServicePort, ServiceSpec, Toleration, Volume,
    VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{Object, Stamp, to_value};
use crate::allocation::UNASSIGNED;
use crate::spec::business_service::Exposure;
use crate::spec::model_pool::Engine;
use crate::validate::pools::{PoolPlan, ServicePlan, Slice};

pub const MODEL_LABEL: &str = "model";
pub const BUSINESS_LABEL: &str = "business";
pub const POOL_TYPE_LABEL: &str = "pool-type";
pub const CACHE_PATH: &str = "/root/.cache/huggingface";
/// Seconds added to the drain time for the kubelet's grace period.
pub const GRACE_MARGIN: u32 = 15;

pub fn expand(plan: &PoolPlan) -> Vec<Object> {
    let stamp = Stamp {
        part_of: &plan.name,
        source: &plan.source,
        labels: &plan.labels,
        annotations: &plan.annotations,
    };
    let mut objects = Vec::new();
    for slice in &plan.slices {
        objects.push(Object::new(
            deployment(plan, &stamp, slice),
            &plan.source,
            plan.file,
            plan.doc,
        ));
        if slice.business != UNASSIGNED && slice.replicas >= 2 {
            objects.push(Object::new(
                disruption_budget(plan, &stamp, slice),
                &plan.source,
                plan.file,
                plan.doc,
            ));
        }
    }
    objects
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

/// The engine's command line: vLLM's image already runs `vllm serve`, so its arguments start
/// with the model; SGLang is started as a Python module.
pub fn engine_command(plan: &PoolPlan) -> (Option<Vec<String>>, Vec<String>) {
    let spec = &plan.spec;
    let a = &spec.engine_args;
    let mut args: Vec<String> = Vec::new();
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    let command = match spec.engine {
        Engine::Vllm => {
            push("--port", plan.port.to_string());
            push("--served-model-name", plan.served_model_name.clone());
            push(
                "--tensor-parallel-size",
                plan.tensor_parallel_size.to_string(),
            );
            if let Some(n) = a.max_model_len {
                push("--max-model-len", n.to_string());
            }
            if let Some(u) = a.gpu_memory_utilization {
                push("--gpu-memory-utilization", u.to_string());
            }
            if let Some(dtype) = &a.dtype {
                push("--dtype", dtype.clone());
            }
            if plan.shutdown_timeout > 0 {
                push("--shutdown-timeout", plan.shutdown_timeout.to_string());
            }
            args.insert(0, spec.model.clone());
            None
        }
        Engine::Sglang => {
            push("--model-path", spec.model.clone());
            push("--host", "0.0.0.0".to_string());
            push("--port", plan.port.to_string());
            push("--served-model-name", plan.served_model_name.clone());
            push("--tp", plan.tensor_parallel_size.to_string());
            if let Some(n) = a.max_model_len {
                push("--context-length", n.to_string());
            }
            if let Some(u) = a.gpu_memory_utilization {
                push("--mem-fraction-static", u.to_string());
            }
            if let Some(dtype) = &a.dtype {
                push("--dtype", dtype.clone());
            }
            Some(vec![
                "python3".to_string(),
                "-m".to_string(),
                "sglang.launch_server".to_string(),
            ])
        }
    };
    args.extend(a.extra.iter().cloned());
    (command, args)
}

/// Seconds the kubelet waits after SIGTERM: the preStop sleep, vLLM's shutdown timeout, and
/// a margin.
pub fn grace_period(plan: &PoolPlan) -> u32 {
    (plan.spec.drain.pre_stop_seconds + plan.shutdown_timeout + GRACE_MARGIN).max(30)
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
    let startup_failures =
        i32::try_from(plan.startup_seconds.div_ceil(10).max(1)).unwrap_or(i32::MAX);
    let container = Container {
        name: spec.engine.as_str().to_string(),
        image: Some(plan.image.clone()),
        command,
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
        startup_probe: Some(health_probe(10, 5, startup_failures)),
        readiness_probe: Some(health_probe(5, 2, 3)),
        liveness_probe: Some(health_probe(10, 5, 3)),
        lifecycle: (spec.drain.pre_stop_seconds > 0).then(|| Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(ExecAction {
                    command: Some(vec![
                        "sleep".to_string(),
                        spec.drain.pre_stop_seconds.to_string(),
                    ]),
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
    };
    let mut tolerations = Vec::new();
    if spec.gpu.count > 0 {
        tolerations.push(Toleration {
            key: Some(plan.gpu_resource.clone()),
            operator: Some("Exists".to_string()),
            effect: Some("NoSchedule".to_string()),
            ..Toleration::default()
        });
    }
    let pod = PodSpec {
        containers: vec![container],
        enable_service_links: Some(false),
        termination_grace_period_seconds: Some(i64::from(grace_period(plan))),
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
            replicas: Some(i32::try_from(slice.replicas).unwrap_or(i32::MAX)),
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

fn disruption_budget(plan: &PoolPlan, stamp: &Stamp<'_>, slice: &Slice) -> Value {
    let name = plan.deployment_name(&slice.business);
    to_value(&PodDisruptionBudget {
        metadata: ObjectMeta {
            labels: Some(slice_labels(plan, stamp, &slice.business)),
            ..stamp.object_meta(&name, &plan.namespace)
        },
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector(plan, &slice.business)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

/// A BusinessService's Service: selector `{model, business}`, target port `http`.
pub fn service(plan: &ServicePlan) -> Object {
    let stamp = Stamp {
        part_of: &plan.name,
        source: &plan.source,
        labels: &plan.labels,
        annotations: &plan.annotations,
    };
    let mut labels = stamp.labels();
    labels.insert(BUSINESS_LABEL.to_string(), plan.spec.business.clone());
    labels.insert(MODEL_LABEL.to_string(), plan.model_tag.clone());
    labels.insert("service-type".to_string(), "business-service".to_string());
    let mut annotations = stamp.annotations();
    annotations.extend(plan.generated_annotations.clone());
    annotations.extend(plan.spec.annotations.clone());
    let load_balanced = plan.spec.exposure != Exposure::Cluster;
    let value = to_value(&Service {
        metadata: ObjectMeta {
            name: Some(plan.name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(
                if load_balanced {
                    "LoadBalancer"
                } else {
                    "ClusterIP"
                }
                .to_string(),
            ),
            load_balancer_class: plan.load_balancer_class.clone().filter(|_| load_balanced),
            load_balancer_source_ranges: Some(plan.spec.source_ranges.clone())
                .filter(|r| load_balanced && !r.is_empty()),
            selector: Some(BTreeMap::from([
                (MODEL_LABEL.to_string(), plan.model_tag.clone()),
                (BUSINESS_LABEL.to_string(), plan.spec.business.clone()),
            ])),
            ports: Some(vec![ServicePort {
                name: Some("http".to_string()),
                port: i32::try_from(plan.port).unwrap_or(8000),
                target_port: Some(IntOrString::String("http".to_string())),
                protocol: Some("TCP".to_string()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    });
    Object::new(value, &plan.source, plan.file, plan.doc)
}
