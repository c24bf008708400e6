//! ModelPool → one Deployment per business slice, a PodDisruptionBudget per business slice
//! that can have 2 or more pods, with autoscaling a KEDA ScaledObject or an HPA per autoscaled
//! slice and a PodMonitor per pool; BusinessService → Service.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::expand::{Object, Stamp, resource, strings_list};
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
    let metadata = stamp.metadata_labelled(
        &pod_monitor_name(plan),
        &plan.namespace,
        pool_labels(plan, stamp),
    );
    let spec = json!({
        "selector": {"matchLabels": {
            MODEL_LABEL: plan.model_tag,
            POOL_TYPE_LABEL: plan.spec.engine.as_str(),
        }},
        "podTargetLabels": [MODEL_LABEL, BUSINESS_LABEL],
        "podMetricsEndpoints": [{"port": "http", "path": "/metrics"}],
    });
    resource(
        POD_MONITOR_API_VERSION,
        "PodMonitor",
        metadata,
        [("spec", spec)],
    )
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
    let metadata = stamp.metadata_labelled(
        &name,
        &plan.namespace,
        slice_labels(plan, stamp, &slice.business),
    );
    if autoscaling.engine == AutoscalingEngine::Keda {
        let spec = json!({
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
        });
        return resource(KEDA_API_VERSION, "ScaledObject", metadata, [("spec", spec)]);
    }
    let spec = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicas": slice.replicas,
        "maxReplicas": max,
        "metrics": [{
            "type": "Pods",
            "pods": {
                "metric": {"name": autoscaling.metric_name},
                "target": {"type": "AverageValue", "averageValue": autoscaling.target},
            },
        }],
    });
    resource(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        metadata,
        [("spec", spec)],
    )
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

fn health_probe(period: i32, timeout: i32, failures: i32) -> Value {
    json!({
        "httpGet": {"path": "/health", "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    })
}

fn deployment(plan: &PoolPlan, stamp: &Stamp<'_>, slice: &Slice) -> Value {
    let spec = &plan.spec;
    let name = plan.deployment_name(&slice.business);
    let labels = slice_labels(plan, stamp, &slice.business);
    let (mounts, volumes) = volumes(plan);
    let mut pod = json!({
        // The engines never call the Kubernetes API.
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "terminationGracePeriodSeconds": plan.grace_seconds,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    });
    pod["containers"] = Value::Array(vec![engine_container(plan, mounts)]);
    pod["volumes"] = Value::Array(volumes);
    if let Some(class) = &spec.placement.priority_class_name {
        pod["priorityClassName"] = json!(class);
    }
    let topology_key = match spec.placement.spread {
        Spread::Zone => Some("topology.kubernetes.io/zone"),
        Spread::Node => Some("kubernetes.io/hostname"),
        Spread::None => None,
    };
    if let Some(key) = topology_key {
        // Soft: a zone or node short of GPUs must not keep a slice from scheduling.
        pod["topologySpreadConstraints"] = json!([{
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(plan, &slice.business)},
            // Count only the pods of the current rollout.
            "matchLabelKeys": ["pod-template-hash"],
        }]);
    }
    // The GPU toleration, then the user's as written (untyped: no field is dropped).
    let mut tolerations = Vec::new();
    if spec.gpu.count > 0 {
        tolerations.push(json!({
            "key": plan.gpu_resource,
            "operator": "Exists",
            "effect": "NoSchedule",
        }));
    }
    tolerations.extend(spec.tolerations.iter().cloned().map(Value::Object));
    if !tolerations.is_empty() {
        pod["tolerations"] = Value::Array(tolerations);
    }
    if !spec.node_selector.is_empty() {
        pod["nodeSelector"] = json!(spec.node_selector);
    }
    let mut deployment_spec = json!({
        "selector": {"matchLabels": selector(plan, &slice.business)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        },
    });
    let mut template = Map::new();
    template.insert("metadata".into(), json!({"labels": labels}));
    template.insert("spec".into(), pod);
    deployment_spec["template"] = Value::Object(template);
    // An autoscaled slice's replicas belong to its autoscaler, not to git.
    if slice.max_replicas.is_none() {
        deployment_spec["replicas"] = json!(slice.replicas);
    }
    let metadata = stamp.metadata_labelled(&name, &plan.namespace, labels);
    resource(
        "apps/v1",
        "Deployment",
        metadata,
        [("spec", deployment_spec)],
    )
}

/// The engine's container: its command line, GPU and resource requests, the token, the
/// volumes' mounts, probes, drain and security context.
fn engine_container(plan: &PoolPlan, mounts: Vec<Value>) -> Value {
    let spec = &plan.spec;
    let (command, args) = engine_command(plan);
    let mut requests = Map::new();
    if let Some(resources) = &spec.resources {
        if let Some(cpu) = &resources.cpu {
            requests.insert("cpu".to_string(), json!(cpu.render()));
        }
        if let Some(memory) = &resources.memory {
            requests.insert("memory".to_string(), json!(memory));
        }
    }
    if spec.gpu.count > 0 {
        requests.insert(plan.gpu_resource.clone(), json!(spec.gpu.count.to_string()));
    }
    let probes = plan.release.probes();
    let startup_period = u32::try_from(probes.startup_period).unwrap_or(10);
    let startup_failures =
        i32::try_from(plan.startup_seconds.div_ceil(startup_period).max(1)).unwrap_or(i32::MAX);
    let mut container = json!({
        "name": spec.engine.as_str(),
        "image": plan.image,
        "ports": [{"name": "http", "containerPort": plan.port, "protocol": "TCP"}],
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
        },
    });
    container["command"] = strings_list(command);
    container["args"] = strings_list(args);
    container["volumeMounts"] = Value::Array(mounts);
    container["startupProbe"] = health_probe(
        probes.startup_period,
        probes.startup_timeout,
        startup_failures,
    );
    container["readinessProbe"] =
        health_probe(probes.readiness.0, probes.readiness.1, probes.readiness.2);
    container["livenessProbe"] =
        health_probe(probes.liveness.0, probes.liveness.1, probes.liveness.2);
    let mut resources = Map::new();
    if !requests.is_empty() {
        resources.insert("limits".into(), Value::Object(requests.clone()));
        resources.insert("requests".into(), Value::Object(requests));
    }
    container["resources"] = Value::Object(resources);
    if let Some(secret) = &spec.hf_token_secret {
        container["env"] = json!([{
            "name": "HF_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": secret.name, "key": secret.key}},
        }]);
    }
    if plan.pre_stop_seconds > 0 {
        container["lifecycle"] = json!({
            "preStop": {"exec": {"command": ["sleep", plan.pre_stop_seconds.to_string()]}},
        });
    }
    container
}

/// The pod's volumes and the engine's mounts of them: shared memory, then the model cache.
fn volumes(plan: &PoolPlan) -> (Vec<Value>, Vec<Value>) {
    let spec = &plan.spec;
    let mut mounts = vec![json!({"name": "dshm", "mountPath": "/dev/shm"})];
    let mut volumes = vec![json!({
        "name": "dshm",
        "emptyDir": {"medium": "Memory", "sizeLimit": plan.shm_size},
    })];
    if let Some(cache) = &spec.cache {
        mounts.push(json!({"name": "model-cache", "mountPath": CACHE_PATH}));
        let mut volume = json!({"name": "model-cache"});
        if let Some(claim) = &cache.persistent_volume_claim {
            volume["persistentVolumeClaim"] = json!({"claimName": claim});
        }
        if let Some(dir) = &cache.empty_dir {
            volume["emptyDir"] = match &dir.size_limit {
                Some(limit) => json!({"sizeLimit": limit}),
                None => json!({}),
            };
        }
        volumes.push(volume);
    }
    (mounts, volumes)
}

fn disruption_budget(plan: &PoolPlan, stamp: &Stamp<'_>, slice: &Slice) -> Value {
    let name = plan.deployment_name(&slice.business);
    let metadata = stamp.metadata_labelled(
        &name,
        &plan.namespace,
        slice_labels(plan, stamp, &slice.business),
    );
    let spec = json!({
        "maxUnavailable": 1,
        // A pod that is not Ready (crash-looping, still loading weights) may always be
        // evicted, so the budget never holds a node drain forever.
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
        "selector": {"matchLabels": selector(plan, &slice.business)},
    });
    resource(
        "policy/v1",
        "PodDisruptionBudget",
        metadata,
        [("spec", spec)],
    )
}
