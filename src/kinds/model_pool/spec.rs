//! `ModelPool`: GPU pods serving one model (vLLM or SGLang), split between businesses.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::kinds::{ApiVersion, AutoscalingEngine, Metadata, Scalar};

/// A pool of model-server pods, rendered as one Deployment per business slice.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "ModelPool")]
pub struct ModelPool {
    /// Always `kiln.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `ModelPool`.
    pub kind: ModelPoolKind,
    /// Name, namespace, labels.
    pub metadata: Metadata,
    /// What the pool serves and how its pods are split between businesses.
    pub spec: ModelPoolSpec,
}

/// The kind of a ModelPool document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ModelPoolKind {
    ModelPool,
}

/// What the pool serves and how its pods are split between businesses.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModelPoolSpec {
    /// The model server: `vllm` or `sglang`.
    pub engine: Engine,
    /// What the engine serves: a Hugging Face hub id (`Qwen/Qwen3-0.6B`) or a path.
    pub model: String,
    /// The `model` label of every pod and Service selector. Default: metadata.name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_tag: Option<String>,
    /// The model name clients send (`--served-model-name`). Default: `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_model_name: Option<String>,
    /// Container image. Default: `defaults.engines.<engine>.image` in kiln.yaml, else
    /// `vllm/vllm-openai:v0.11.0` / `lmsysorg/sglang:v0.5.4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pods in the pool, over all slices.
    pub replicas: u32,
    /// Pods per business: a count (`2`) or a share of the replicas (`"50%"`, rounded by
    /// largest remainder). The rest stay `unassigned`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assignments: BTreeMap<String, Assignment>,
    /// GPUs per pod.
    #[serde(default)]
    pub gpu: Gpu,
    /// CPU and memory per pod (requests and limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<PodResources>,
    /// Engine options: typed common ones and `extra` arguments.
    #[serde(default)]
    pub engine_args: EngineArgs,
    /// Secret holding the Hugging Face token, passed as `HF_TOKEN` (never as a literal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hf_token_secret: Option<SecretKeyRef>,
    /// Model cache volume, mounted at `/root/.cache/huggingface`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Cache>,
    /// Size of `/dev/shm` (a memory emptyDir). Default: `2Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<String>,
    /// How long weights may take to load before the pod counts as failed (`30m`, `900s`).
    /// Default: `30m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_timeout: Option<String>,
    /// Graceful drain on shutdown.
    #[serde(default)]
    pub drain: Drain,
    /// Container port of the server. Default: 8000 (vLLM), 30000 (SGLang).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// Node selector of every pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Extra tolerations (the GPU toleration is always added).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Map<String, Value>>,
    /// Let assigned slices grow above their assigned count on inference load (the assigned
    /// count stays each slice's floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<PoolAutoscaling>,
    /// LoRA adapters served beside the base model (vLLM `--lora-modules`, SGLang
    /// `--lora-paths`); clients ask for an adapter by its name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loras: Vec<Lora>,
    /// Where the pods run: topology spread and priority.
    #[serde(default)]
    pub placement: Placement,
}

/// Autoscaling of a pool's assigned slices on inference load.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PoolAutoscaling {
    /// `keda` (a KEDA ScaledObject per slice, Prometheus trigger) or `kubernetes` (an HPA per
    /// slice on a Pods metric, served by a custom-metrics adapter). Default:
    /// `defaults.autoscaling.engine` in kiln.yaml, else `kubernetes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<AutoscalingEngine>,
    /// The load signal: `queue` (requests waiting), `running` (requests in the batch) or
    /// `kvCache` (share of the KV cache in use, 0-1). Default `queue`.
    #[serde(default)]
    pub metric: PoolMetric,
    /// Average per pod to hold the metric at. Default: 5 (queue), 16 (running), 0.8 (kvCache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Most pods per business. A business without an entry does not autoscale; the
    /// `unassigned` slice never does.
    pub max: BTreeMap<String, u32>,
    /// Prometheus URL KEDA queries (`engine: keda`). Default: `defaults.prometheus` in kiln.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
}

/// An autoscaling metric of a model pool: requests waiting for a batch slot (`queue`), requests
/// in the running batch (`running`), share of the KV cache in use (`kvCache`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
// Variants carry no doc comments: schemars then writes a plain `enum` (docs/modelpool.md
// names each metric's Prometheus series).
pub enum PoolMetric {
    #[default]
    Queue,
    Running,
    KvCache,
}

impl PoolMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMetric::Queue => "queue",
            PoolMetric::Running => "running",
            PoolMetric::KvCache => "kvCache",
        }
    }

    /// The default average per pod.
    pub fn default_target(self) -> f64 {
        match self {
            PoolMetric::Queue => 5.0,
            PoolMetric::Running => 16.0,
            PoolMetric::KvCache => 0.8,
        }
    }
}

/// A LoRA adapter.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Lora {
    /// The name clients request (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// Where the adapter is: a path in the pod (the cache volume, an image path) or a
    /// Hugging Face hub id.
    pub path: String,
}

/// Where a pool's pods run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Placement {
    /// Soft topology spread of each slice's pods: `zone` (default), `node` or `none`.
    #[serde(default)]
    pub spread: Spread,
    /// PriorityClass of the pods (a GPU pod preempted for a batch job loses its warm weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// Topology spread of a slice: across zones (`topology.kubernetes.io/zone`), across nodes
/// (`kubernetes.io/hostname`), or none.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    #[default]
    Zone,
    Node,
    None,
}

/// Model servers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Vllm,
    Sglang,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Vllm => "vllm",
            Engine::Sglang => "sglang",
        }
    }

    /// The engine's name as its project writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Engine::Vllm => "vLLM",
            Engine::Sglang => "SGLang",
        }
    }

    pub fn default_port(self) -> u32 {
        match self {
            Engine::Vllm => 8000,
            Engine::Sglang => 30000,
        }
    }

    pub fn default_image(self) -> &'static str {
        match self {
            Engine::Vllm => "vllm/vllm-openai:v0.11.0",
            Engine::Sglang => "lmsysorg/sglang:v0.5.4",
        }
    }
}

/// Pods of a business: a count or a share.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Assignment {
    /// A number of pods.
    Count(u32),
    /// A share of the pool's replicas, such as `"50%"`.
    Share(String),
}

/// GPUs per pod.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Gpu {
    /// GPUs per pod, in requests and limits. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// Extended resource name. Default: `nvidia.com/gpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Tensor-parallel size. Default: `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub tensor_parallel_size: Option<u32>,
}

fn one() -> u32 {
    1
}

impl Default for Gpu {
    fn default() -> Self {
        Gpu {
            count: 1,
            resource_name: None,
            tensor_parallel_size: None,
        }
    }
}

/// CPU and memory per pod.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodResources {
    /// CPU (a Kubernetes quantity: `4`, `3500m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Scalar>,
    /// Memory (a Kubernetes quantity: `32Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// Engine options.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngineArgs {
    /// Context length (vLLM `--max-model-len`, SGLang `--context-length`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_model_len: Option<u32>,
    /// Share of GPU memory to use, 0-1 (vLLM `--gpu-memory-utilization`, SGLang
    /// `--mem-fraction-static`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_utilization: Option<f64>,
    /// Data type (`--dtype`), e.g. `bfloat16`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    /// Further arguments, appended as given (`--enable-prefix-caching`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

/// A key of a Secret.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Secret name.
    pub name: String,
    /// Key in the Secret.
    pub key: String,
}

/// The model cache volume: one of a PersistentVolumeClaim or an emptyDir.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cache {
    /// Name of an existing PersistentVolumeClaim (shared by all pods: ReadWriteMany or
    /// ReadOnlyMany).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<String>,
    /// A pod-local cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDirCache>,
}

/// A pod-local cache.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDirCache {
    /// Size limit (`50Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

/// Graceful drain on shutdown.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Drain {
    /// Seconds the pod keeps serving after it is removed from endpoints (preStop sleep).
    /// Default 10.
    #[serde(default = "ten")]
    pub pre_stop_seconds: u32,
    /// Seconds an in-flight request may take to finish once the pod is stopping. Default
    /// 120. vLLM 0.18.0 and later wait for them itself (`--shutdown-timeout`) and exit as soon
    /// as they are done; older vLLM and SGLang abort them on SIGTERM, so kiln lengthens the
    /// preStop sleep by this much instead. 0: no wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout_seconds: Option<u32>,
}

fn ten() -> u32 {
    10
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            pre_stop_seconds: ten(),
            shutdown_timeout_seconds: None,
        }
    }
}
