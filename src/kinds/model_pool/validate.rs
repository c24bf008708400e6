//! ModelPool and BusinessService rules, and their plans.

use std::collections::BTreeMap;

use super::rules;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field_path::FieldPath;
use crate::kinds::model_pool::allocation::UNASSIGNED;
use crate::kinds::model_pool::engine::Release;
use crate::kinds::model_pool::{Engine, ModelPoolSpec, PoolMetric};
use crate::kinds::{AutoscalingEngine, ModelPool};
use crate::parse::Located;
use crate::validate::{Context, Place, Settings, labels, namespace_or_error, unless_failed};

/// The longest name of a Deployment (a DNS label, as its pods' names derive from it).
pub const MAX_DEPLOYMENT_NAME: usize = 63;

/// One business's slice of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub business: String,
    /// The assigned count: the slice's replicas, or its floor when it autoscales.
    pub replicas: u32,
    /// The most pods autoscaling may give the slice; None when it does not autoscale.
    pub max_replicas: Option<u32>,
}

impl Slice {
    /// The most pods the slice can have.
    pub fn ceiling(&self) -> u32 {
        self.max_replicas.unwrap_or(self.replicas)
    }
}

/// How a pool's slices autoscale.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAutoscalingPlan {
    pub engine: AutoscalingEngine,
    pub metric: PoolMetric,
    /// The engine's Prometheus metric for `metric`.
    pub metric_name: &'static str,
    /// Average per pod, as a canonical Kubernetes quantity (`5`, `800m`).
    pub target: String,
    /// Prometheus URL (KEDA only).
    pub prometheus: Option<String>,
}

/// Everything needed to render one ModelPool.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    pub file: usize,
    pub doc: usize,
    pub source: String,
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: ModelPoolSpec,
    pub model_tag: String,
    pub served_model_name: String,
    pub image: String,
    /// Businesses in name order, then `unassigned` (always present, even at 0).
    pub slices: Vec<Slice>,
    pub gpu_resource: String,
    pub tensor_parallel_size: u32,
    /// The engine release behind the image: what the command line and probes look like.
    pub release: Release,
    /// vLLM's `--shutdown-timeout` in seconds; 0 leaves the flag out.
    pub shutdown_timeout: u32,
    /// The preStop sleep: the spec's, plus the in-flight wait where the engine cannot drain.
    pub pre_stop_seconds: u32,
    /// terminationGracePeriodSeconds.
    pub grace_seconds: u32,
    pub port: u32,
    pub shm_size: String,
    pub startup_seconds: u32,
    /// LoRA adapters, `(name, path)`.
    pub loras: Vec<(String, String)>,
    pub autoscaling: Option<PoolAutoscalingPlan>,
}

impl PoolPlan {
    pub fn deployment_name(&self, business: &str) -> String {
        deployment_name(self.spec.engine, &self.model_tag, business)
    }

    pub fn unassigned(&self) -> u32 {
        self.slices
            .iter()
            .find(|s| s.business == UNASSIGNED)
            .map_or(0, |s| s.replicas)
    }
}

pub fn deployment_name(engine: Engine, model_tag: &str, business: &str) -> String {
    format!("{}-{model_tag}-pool-{business}", engine.as_str())
}

/// Validate every ModelPool and resolve its plan; pools with errors produce no plan.
pub fn model_pools(
    ctx: &Context<'_>,
    settings: &Settings,
    pools: &[Located<ModelPool>],
    diagnostics: &mut Diagnostics,
) -> Vec<PoolPlan> {
    let mut plans: Vec<PoolPlan> = Vec::new();
    let mut tags: BTreeMap<(String, String), (&Located<ModelPool>, String)> = BTreeMap::new();
    let mut names: BTreeMap<(String, String), &Located<ModelPool>> = BTreeMap::new();
    for located in pools {
        let mut out = Diagnostics::new();
        let plan = model_pool(ctx, settings, located, &mut out);
        {
            let path_of = |l: &Located<ModelPool>| {
                ctx.sources
                    .get(l.file)
                    .map_or(String::new(), |s| s.path.clone())
            };
            if let Some(first) = names.get(&(plan.namespace.clone(), plan.name.clone())) {
                out.push(located.diagnostic(
                    Diagnostic::error(format!(
                        "ModelPool \"{}\" in namespace \"{}\" is also defined in {}",
                        plan.name,
                        plan.namespace,
                        path_of(first)
                    )),
                    "metadata.name",
                ));
            } else {
                names.insert((plan.namespace.clone(), plan.name.clone()), located);
            }
            let key = (plan.namespace.clone(), plan.model_tag.clone());
            if let Some((first, first_name)) = tags.get(&key) {
                let at = if located.value.spec.model_tag.is_some() {
                    "spec.modelTag"
                } else {
                    "metadata.name"
                };
                out.push(located.diagnostic(
                    Diagnostic::error(format!(
                        "pools \"{first_name}\" ({}) and \"{}\" share the modelTag \"{}\" in namespace \"{}\": their selectors would overlap",
                        path_of(first),
                        plan.name,
                        plan.model_tag,
                        plan.namespace
                    )),
                    at,
                ).with_hint("give each pool in a namespace its own spec.modelTag"));
            } else {
                tags.insert(key, (located, plan.name.clone()));
            }
        }
        plans.extend(unless_failed(Some(plan), out, diagnostics));
    }
    plans
}

/// Default seconds an in-flight request may take to finish once a pod is stopping: a long
/// completion (4,000 tokens at 40 tokens/s) under load.
pub const DEFAULT_IN_FLIGHT_SECONDS: u32 = 120;
/// Seconds added to the drain time for the kubelet's grace period.
pub const GRACE_MARGIN: u32 = 15;
/// The least grace period kiln renders (the kubelet's default).
const MIN_GRACE: u32 = 30;

/// The drain of a pool's pods: `(preStop sleep, --shutdown-timeout, grace period)`.
///
/// The preStop sleep keeps the pod serving while endpoints drop it; then the engine gets
/// SIGTERM. Engines that drain themselves (vLLM 0.18.0+, SGLang) finish in-flight requests
/// and exit; for older vLLM, which aborts them, the preStop sleep also covers the in-flight
/// wait. The grace period covers both, plus a margin.
fn drain(spec: &ModelPoolSpec, release: &Release) -> (u32, u32, u32) {
    let pre_stop = spec.drain.pre_stop_seconds;
    let in_flight = spec
        .drain
        .shutdown_timeout_seconds
        .unwrap_or(DEFAULT_IN_FLIGHT_SECONDS);
    let grace = (pre_stop + in_flight + GRACE_MARGIN).max(MIN_GRACE);
    if release.shutdown_timeout_flag().is_some() {
        (pre_stop, in_flight, grace)
    } else if release.drains_itself() {
        (pre_stop, 0, grace)
    } else {
        (pre_stop + in_flight, 0, grace)
    }
}

/// A Kubernetes quantity of a positive number with at most three decimals: `5`, `800m`.
fn quantity_of(value: f64) -> Option<String> {
    let milli = (value * 1000.0).round();
    if value.is_nan()
        || value <= 0.0
        || (milli - value * 1000.0).abs() > 1e-6
        || milli > f64::from(i32::MAX)
    {
        return None;
    }
    let milli = u64::try_from(milli as i64).ok()?;
    Some(if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    })
}

/// The autoscaling of a pool: validated, with each slice's ceiling set.
fn pool_autoscaling(
    ctx: &Context<'_>,
    spec: &ModelPoolSpec,
    release: &Release,
    slices: &mut [Slice],
    located: &Located<ModelPool>,
    out: &mut Diagnostics,
) -> Option<PoolAutoscalingPlan> {
    let autoscaling = spec.autoscaling.as_ref()?;
    let err = |path: FieldPath, message: String| {
        Diagnostic::error(message).at(located.file, located.doc, path)
    };
    let base = FieldPath::parse("spec.autoscaling");
    let engine = autoscaling
        .engine
        .or(ctx.config.defaults.autoscaling.engine)
        .unwrap_or(AutoscalingEngine::Kubernetes);
    let metric = autoscaling.metric;
    let target_value = autoscaling.target.unwrap_or(metric.default_target());
    let target = quantity_of(target_value);
    if target.is_none() {
        out.push(err(
            base.clone().key("target"),
            format!("target {target_value} must be a positive number with at most three decimals"),
        ));
    }
    if metric == PoolMetric::KvCache && target_value > 1.0 {
        out.push(err(
            base.clone().key("target"),
            format!("target {target_value}: kvCache is a share of the KV cache, 0-1"),
        ));
    }
    if autoscaling.max.is_empty() {
        out.push(
            located.diagnostic(
                Diagnostic::warning("autoscaling.max names no business: nothing autoscales")
                    .with_hint("add the businesses that may grow, e.g. max: {production: 6}"),
                "spec.autoscaling.max",
            ),
        );
    }
    for (business, max) in &autoscaling.max {
        let at = base.clone().key("max").key(business);
        let Some(slice) = slices
            .iter_mut()
            .find(|s| s.business == *business && s.business != UNASSIGNED)
        else {
            let what = if business == UNASSIGNED {
                "the unassigned slice never autoscales (its pods are the pool's headroom)"
                    .to_string()
            } else {
                format!("\"{business}\" is not in spec.assignments")
            };
            out.push(Diagnostic::error(what).at_key(located.file, located.doc, at));
            continue;
        };
        if slice.replicas == 0 {
            out.push(
                Diagnostic::error(format!(
                    "business \"{business}\" has 0 assigned pods: a slice scaled on its own pods' load needs at least one"
                ))
                .at_key(located.file, located.doc, at),
            );
        } else if *max < slice.replicas {
            out.push(
                Diagnostic::error(format!(
                    "max {max} is below the {} pods assigned to \"{business}\" (the assigned count is the floor)",
                    slice.replicas
                ))
                .at_key(located.file, located.doc, at),
            );
        } else if i32::try_from(*max).is_err() {
            out.push(
                Diagnostic::error(format!("max {max} is beyond Kubernetes' replica limit")).at_key(
                    located.file,
                    located.doc,
                    at,
                ),
            );
        } else {
            slice.max_replicas = Some(*max);
        }
    }
    let prometheus = match engine {
        AutoscalingEngine::Keda => {
            let url = autoscaling
                .prometheus
                .clone()
                .or_else(|| ctx.config.defaults.prometheus.clone());
            match &url {
                None => out.push(located.diagnostic(
                    Diagnostic::error("engine keda needs a Prometheus URL to query").with_hint(
                        "set spec.autoscaling.prometheus or defaults.prometheus in kiln.yaml",
                    ),
                    "spec.autoscaling",
                )),
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    out.push(located.diagnostic(
                        Diagnostic::error(format!("\"{u}\" is not an http(s) URL")),
                        if autoscaling.prometheus.is_some() {
                            "spec.autoscaling.prometheus"
                        } else {
                            "spec.autoscaling"
                        },
                    ));
                }
                Some(_) => {}
            }
            url
        }
        AutoscalingEngine::Kubernetes => {
            if autoscaling.prometheus.is_some() {
                out.push(located.diagnostic(
                    Diagnostic::warning(
                        "prometheus is ignored with engine kubernetes: the HPA reads the metric through the custom metrics API",
                    ),
                    "spec.autoscaling.prometheus",
                ));
            }
            None
        }
    };
    Some(PoolAutoscalingPlan {
        engine,
        metric,
        metric_name: release.metric_name(metric),
        target: target.unwrap_or_default(),
        prometheus,
    })
}

/// LoRA adapters: names clients can send, once each, on an engine release that serves them.
fn loras(
    spec: &ModelPoolSpec,
    release: &Release,
    served_model_name: &str,
    located: &Located<ModelPool>,
    out: &mut Diagnostics,
) -> Vec<(String, String)> {
    if !spec.loras.is_empty() && !release.serves_lora() {
        let version = release.version.map(|v| v.to_string()).unwrap_or_default();
        out.push(
            located.diagnostic(
                Diagnostic::error(format!(
                    "SGLang {version} cannot serve LoRA adapters: before {since} it refuses them unless CUDA graphs and the radix cache are off",
                    since = crate::kinds::model_pool::engine::SGLANG_LORA_SINCE
                ))
                .with_hint(format!("use SGLang {} or later", crate::kinds::model_pool::engine::SGLANG_LORA_SINCE)),
                "spec.loras",
            ),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, lora) in spec.loras.iter().enumerate() {
        let at = FieldPath::parse("spec.loras").index(i);
        let name_ok = !lora.name.is_empty()
            && lora.name.len() <= 128
            && lora
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !name_ok {
            out.push(
                Diagnostic::error(format!(
                    "LoRA name \"{}\" must be 1-128 letters, digits, '.', '_' or '-'",
                    lora.name
                ))
                .at(located.file, located.doc, at.clone().key("name")),
            );
        } else if lora.name == served_model_name {
            out.push(
                Diagnostic::error(format!(
                    "LoRA name \"{}\" is the served model name: clients could not ask for the base model",
                    lora.name
                ))
                .at(located.file, located.doc, at.clone().key("name")),
            );
        } else if !seen.insert(lora.name.as_str()) {
            out.push(
                Diagnostic::error(format!("LoRA name \"{}\" is used twice", lora.name)).at(
                    located.file,
                    located.doc,
                    at.clone().key("name"),
                ),
            );
        }
        if lora.path.trim().is_empty() || lora.path.chars().any(char::is_whitespace) {
            out.push(
                Diagnostic::error(format!(
                    "LoRA path \"{}\" must be a non-empty path or hub id without spaces",
                    lora.path
                ))
                .at(located.file, located.doc, at.key("path")),
            );
        }
    }
    spec.loras
        .iter()
        .map(|l| (l.name.clone(), l.path.clone()))
        .collect()
}

fn model_pool(
    ctx: &Context<'_>,
    settings: &Settings,
    located: &Located<ModelPool>,
    out: &mut Diagnostics,
) -> PoolPlan {
    let place = Place::of(located);
    let pool = &located.value;
    let spec = &pool.spec;
    let name = pool.metadata.name.clone();
    out.extend(rules::name(place, &name));
    let namespace = namespace_or_error(ctx, &pool.metadata, located, out);
    let labels = labels(settings, &pool.metadata, located, out);
    let (model_tag, problems) = rules::model(place, spec, &name);
    out.extend(problems);
    let (mut slices, problems) = rules::slices(place, spec, &name, &model_tag);
    out.extend(problems);
    let (image, release, problems) =
        rules::engine_release(place, spec, &ctx.config.defaults.engines);
    out.extend(problems);
    let (pre_stop_seconds, shutdown_timeout, grace_seconds) = drain(spec, &release);
    let (tensor_parallel_size, shm_size, problems) = rules::pod_resources(place, spec);
    out.extend(problems);
    let (startup_seconds, problems) = rules::startup(place, spec);
    out.extend(problems);
    out.extend(rules::scheduling(place, spec));
    let served_model_name = spec
        .served_model_name
        .clone()
        .unwrap_or_else(|| spec.model.clone());
    let loras = loras(spec, &release, &served_model_name, located, out);
    let autoscaling = pool_autoscaling(ctx, spec, &release, &mut slices, located, out);
    let source = ctx
        .sources
        .get(located.file)
        .map(|s| s.path.clone())
        .unwrap_or_default();
    PoolPlan {
        file: located.file,
        doc: located.doc,
        source,
        name,
        namespace,
        labels,
        annotations: pool.metadata.annotations.clone(),
        served_model_name,
        model_tag,
        image,
        slices,
        gpu_resource: spec
            .gpu
            .resource_name
            .clone()
            .unwrap_or_else(|| "nvidia.com/gpu".to_string()),
        tensor_parallel_size,
        release,
        shutdown_timeout,
        pre_stop_seconds,
        grace_seconds,
        port: spec.port.unwrap_or_else(|| spec.engine.default_port()),
        shm_size,
        startup_seconds,
        loras,
        autoscaling,
        spec: spec.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_quantities() {
        assert_eq!(quantity_of(5.0).as_deref(), Some("5"));
        assert_eq!(quantity_of(0.8).as_deref(), Some("800m"));
        assert_eq!(quantity_of(2.5).as_deref(), Some("2500m"));
        assert_eq!(quantity_of(0.0), None);
        assert_eq!(quantity_of(-1.0), None);
        assert_eq!(quantity_of(0.0001), None);
        assert_eq!(quantity_of(f64::NAN), None);
        assert_eq!(quantity_of(1e12), None);
    }

    #[test]
    fn deployment_names() {
        assert_eq!(
            deployment_name(Engine::Vllm, "qwen-06b", "production"),
            "vllm-qwen-06b-pool-production"
        );
    }
}
