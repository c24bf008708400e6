//! ModelPool rules: small pure functions, each over one concern of the spec, returning what
//! it resolved and the problems it found. [`super::validate`] runs them in order.

use super::allocation::{self, UNASSIGNED};
use super::engine::{self, Release};
use super::spec::{Assignment, Engine, ModelPoolSpec};
use super::validate::{MAX_DEPLOYMENT_NAME, Slice, deployment_name};
use crate::config::EngineDefaults;
use crate::diagnostic::Diagnostic;
use crate::field_path::FieldPath;
use crate::names::{self, label_problem};
use crate::quantity;
use crate::validate::{Place, image_warning, kube, parse_duration};

/// Problems, in the order found.
pub type Problems = Vec<Diagnostic>;

pub fn name(place: Place, name: &str) -> Problems {
    if names::is_dns_label(name, 63) {
        return Vec::new();
    }
    vec![place.error(
        "metadata.name",
        format!(
            "\"{name}\" is not a valid ModelPool name (a DNS label: lower-case letters, digits and '-')"
        ),
    )]
}

/// The model tag (the pool's name unless set) and the model.
pub fn model(place: Place, spec: &ModelPoolSpec, name: &str) -> (String, Problems) {
    let mut problems = Vec::new();
    let model_tag = spec.model_tag.clone().unwrap_or_else(|| name.to_string());
    if label_problem("model", &model_tag).is_some() || !names::is_dns_label(&model_tag, 63) {
        problems.push(place.error(
            if spec.model_tag.is_some() {
                "spec.modelTag"
            } else {
                "metadata.name"
            },
            format!(
                "modelTag \"{model_tag}\" must be a DNS label (it is a label value and part of Deployment names)"
            ),
        ));
    }
    if spec.model.trim().is_empty() {
        problems.push(place.error("spec.model", "model is empty"));
    }
    (model_tag, problems)
}

/// The businesses' slices of the pool, then the unassigned one (always present, even at 0).
pub fn slices(
    place: Place,
    spec: &ModelPoolSpec,
    name: &str,
    model_tag: &str,
) -> (Vec<Slice>, Problems) {
    let mut problems = Vec::new();
    for (business, assignment) in &spec.assignments {
        let at = FieldPath::parse("spec.assignments").key(business);
        if business == UNASSIGNED {
            problems.push(place.at_key(
                at.clone(),
                Diagnostic::error("\"unassigned\" is reserved for the pods no business holds"),
            ));
        } else if !names::is_dns_label(business, 63) {
            problems.push(place.at_key(
                at.clone(),
                Diagnostic::error(format!(
                    "business \"{business}\" is not a DNS label (lower-case letters, digits and '-')"
                )),
            ));
        }
        if let Assignment::Share(text) = assignment
            && let Err(e) = allocation::parse_share(text)
        {
            problems.push(place.at(at, Diagnostic::error(e)));
        }
    }
    let allocated = allocation::allocate(spec.replicas, &spec.assignments).unwrap_or_default();
    let assigned: u32 = allocated.values().sum();
    if assigned > spec.replicas {
        let detail: Vec<String> = allocated.iter().map(|(b, n)| format!("{b}: {n}")).collect();
        let need = assigned - spec.replicas;
        problems.push(
            place
                .error(
                    "spec.replicas",
                    format!(
                        "cannot scale pool {name} to {} replicas: {assigned} pods are assigned ({}), need {need} more unassigned pod{}",
                        spec.replicas,
                        detail.join(", "),
                        if need == 1 { "" } else { "s" }
                    ),
                )
                .with_hint(format!(
                    "the pool would have 0 unassigned pods; set replicas to at least {assigned} or lower the assignments"
                )),
        );
    }
    let mut slices: Vec<Slice> = allocated
        .iter()
        .map(|(business, replicas)| Slice {
            business: business.clone(),
            replicas: *replicas,
            max_replicas: None,
        })
        .collect();
    slices.push(Slice {
        business: UNASSIGNED.to_string(),
        replicas: spec.replicas.saturating_sub(assigned),
        max_replicas: None,
    });
    for slice in &slices {
        let deployment = deployment_name(spec.engine, model_tag, &slice.business);
        if deployment.len() > MAX_DEPLOYMENT_NAME {
            problems.push(
                place
                    .error(
                        "metadata.name",
                        format!(
                            "Deployment name \"{deployment}\" is {} characters; Kubernetes allows at most {MAX_DEPLOYMENT_NAME}",
                            deployment.len()
                        ),
                    )
                    .with_hint("shorten the modelTag or the business name"),
            );
        }
    }
    (slices, problems)
}

/// The engine image (the spec's, else kiln.yaml's for the engine, else kiln's default) and
/// the release behind it, which must be one kiln supports.
pub fn engine_release(
    place: Place,
    spec: &ModelPoolSpec,
    defaults: &EngineDefaults,
) -> (String, Release, Problems) {
    let mut problems = Vec::new();
    let image = spec
        .image
        .clone()
        .or_else(|| match spec.engine {
            Engine::Vllm => defaults.vllm.as_ref().and_then(|e| e.image.clone()),
            Engine::Sglang => defaults.sglang.as_ref().and_then(|e| e.image.clone()),
        })
        .unwrap_or_else(|| spec.engine.default_image().to_string());
    let at = if spec.image.is_some() {
        "spec.image"
    } else {
        "spec.engine"
    };
    if let Some(w) = image_warning(&image) {
        problems.push(place.warning(at, w));
    }
    let release = Release::new(spec.engine, &image);
    if release.unsupported() {
        let name = spec.engine.display_name();
        let oldest = engine::oldest_supported(spec.engine);
        let version = release.version.map(|v| v.to_string()).unwrap_or_default();
        problems.push(
            place
                .error(
                    at,
                    format!(
                        "{name} {version} (image {image}) is older than the oldest release kiln supports ({oldest})"
                    ),
                )
                .with_hint("docs/modelpool.md lists the supported engine releases"),
        );
    }
    (image, release, problems)
}

/// GPUs, tensor parallelism, CPU and memory, shared memory and the model cache: returns the
/// tensor-parallel size and the /dev/shm size.
pub fn pod_resources(place: Place, spec: &ModelPoolSpec) -> (u32, String, Problems) {
    let mut problems = Vec::new();
    let tensor_parallel_size = spec
        .gpu
        .tensor_parallel_size
        .unwrap_or(spec.gpu.count.max(1));
    if spec.gpu.count > 0 && tensor_parallel_size > spec.gpu.count {
        problems.push(place.error(
            "spec.gpu.tensorParallelSize",
            format!(
                "tensor-parallel size {tensor_parallel_size} needs as many GPUs per pod; the pod has {}",
                spec.gpu.count
            ),
        ));
    }
    if let Some(u) = spec.engine_args.gpu_memory_utilization
        && !(u > 0.0 && u <= 1.0)
    {
        problems.push(place.error(
            "spec.engineArgs.gpuMemoryUtilization",
            format!("{u} is outside (0, 1]"),
        ));
    }
    if let Some(resources) = &spec.resources {
        if let Some(problem) = resources
            .cpu
            .as_ref()
            .and_then(|cpu| quantity::resource_problem(&cpu.render(), true))
        {
            problems.push(place.error("spec.resources.cpu", problem));
        }
        if let Some(problem) = resources
            .memory
            .as_ref()
            .and_then(|memory| quantity::resource_problem(memory, false))
        {
            problems.push(place.error("spec.resources.memory", problem));
        }
    }
    // Tensor-parallel workers exchange through /dev/shm (NCCL's shared-memory transport,
    // vLLM's message queues): 2Gi per worker (docs/modelpool.md).
    let shm_size = spec
        .shm_size
        .clone()
        .unwrap_or_else(|| format!("{}Gi", 2 * u64::from(tensor_parallel_size.max(1))));
    if let Some(problem) = quantity::resource_problem(&shm_size, false) {
        problems.push(place.error("spec.shmSize", problem));
    }
    if let Some(cache) = &spec.cache {
        match (&cache.persistent_volume_claim, &cache.empty_dir) {
            (Some(_), Some(_)) | (None, None) => problems
                .push(place.error("spec.cache", "set one of persistentVolumeClaim or emptyDir")),
            (Some(claim), None) if !names::is_dns_subdomain(claim) => {
                problems.push(place.error(
                    "spec.cache.persistentVolumeClaim",
                    format!("\"{claim}\" is not a valid claim name"),
                ));
            }
            (None, Some(dir)) => {
                if let Some(problem) = dir
                    .size_limit
                    .as_ref()
                    .and_then(|limit| quantity::resource_problem(limit, false))
                {
                    problems.push(place.error("spec.cache.emptyDir.sizeLimit", problem));
                }
            }
            _ => {}
        }
    }
    (tensor_parallel_size, shm_size, problems)
}

/// The startup timeout in seconds (30 minutes unless set); 0 with a problem when invalid.
pub fn startup(place: Place, spec: &ModelPoolSpec) -> (u32, Problems) {
    let text = spec.startup_timeout.as_deref().unwrap_or("30m");
    match parse_duration(text) {
        Ok(0) => (
            0,
            vec![place.error("spec.startupTimeout", "startupTimeout must be positive")],
        ),
        Ok(s) => (s, Vec::new()),
        Err(e) => (0, vec![place.error("spec.startupTimeout", e)]),
    }
}

/// Where and how the pods are scheduled: the token Secret, tolerations, node selector and
/// priority class, as the API server checks them.
pub fn scheduling(place: Place, spec: &ModelPoolSpec) -> Problems {
    let mut problems = Vec::new();
    if let Some(secret) = &spec.hf_token_secret {
        for (field, problem) in kube::key_ref_problems(&secret.name, &secret.key) {
            problems.push(place.error(&format!("spec.hfTokenSecret.{field}"), problem));
        }
    }
    for (i, toleration) in spec.tolerations.iter().enumerate() {
        for (at, problem) in kube::toleration_problems(toleration) {
            problems.push(place.at(
                FieldPath::parse("spec.tolerations").index(i).join(&at),
                Diagnostic::error(problem),
            ));
        }
    }
    for (key, value) in &spec.node_selector {
        if let Some(problem) = label_problem(key, value) {
            problems.push(place.at_key(
                FieldPath::parse("spec.nodeSelector").key(key),
                Diagnostic::error(problem),
            ));
        }
    }
    if let Some(class) = &spec.placement.priority_class_name
        && !names::is_dns_subdomain(class)
    {
        problems.push(place.error(
            "spec.placement.priorityClassName",
            format!("\"{class}\" is not a valid PriorityClass name (a DNS subdomain)"),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place = Place { file: 0, doc: 0 };

    fn spec(yaml: &str) -> ModelPoolSpec {
        let value =
            crate::yaml::parse_documents(&format!("engine: vllm\nmodel: Qwen/Qwen3-0.6B\n{yaml}"))
                .expect("test YAML parses")
                .remove(0);
        serde_json::from_value(value).expect("test spec is valid")
    }

    fn fields(problems: &[Diagnostic]) -> Vec<&str> {
        problems.iter().filter_map(|d| d.field.as_deref()).collect()
    }

    #[test]
    fn names_and_tags() {
        assert!(name(PLACE, "qwen").is_empty());
        assert_eq!(fields(&name(PLACE, "Qwen")), ["metadata.name"]);
        let cases = [
            ("replicas: 1\n", "qwen", "qwen", vec![]),
            ("replicas: 1\nmodelTag: q3\n", "qwen", "q3", vec![]),
            (
                "replicas: 1\nmodelTag: Q_3\n",
                "qwen",
                "Q_3",
                vec!["spec.modelTag"],
            ),
            ("replicas: 1\n", "a.b", "a.b", vec!["metadata.name"]),
        ];
        for (yaml, pool, tag, expected) in cases {
            let (found_tag, problems) = model(PLACE, &spec(yaml), pool);
            assert_eq!(
                (found_tag.as_str(), fields(&problems)),
                (tag, expected),
                "{yaml}"
            );
        }
    }

    #[test]
    fn slices_and_their_problems() {
        let (found, problems) = slices(
            PLACE,
            &spec("replicas: 4\nassignments: {production: 2, batch: 1}\n"),
            "qwen",
            "qwen",
        );
        assert!(problems.is_empty());
        let counts: Vec<(&str, u32)> = found
            .iter()
            .map(|s| (s.business.as_str(), s.replicas))
            .collect();
        assert_eq!(counts, [("batch", 1), ("production", 2), (UNASSIGNED, 1)]);
        let cases = [
            (
                "replicas: 2\nassignments: {production: 3}\n",
                vec!["spec.replicas"],
            ),
            (
                "replicas: 2\nassignments: {unassigned: 1}\n",
                vec!["spec.assignments.unassigned"],
            ),
            (
                "replicas: 2\nassignments: {Prod: 1}\n",
                vec!["spec.assignments.Prod"],
            ),
        ];
        for (yaml, expected) in cases {
            let (_, problems) = slices(PLACE, &spec(yaml), "qwen", "qwen");
            assert_eq!(fields(&problems), expected, "{yaml}");
        }
        let (_, problems) = slices(PLACE, &spec("replicas: 1\n"), "qwen", &"q".repeat(60));
        assert_eq!(
            fields(&problems),
            ["metadata.name"],
            "Deployment name too long"
        );
    }

    #[test]
    fn engine_releases() {
        let defaults = EngineDefaults::default();
        let (image, release, problems) = engine_release(PLACE, &spec("replicas: 1\n"), &defaults);
        assert_eq!(image, Engine::Vllm.default_image());
        assert!(!release.unsupported() && problems.is_empty());
        let (_, _, problems) = engine_release(
            PLACE,
            &spec("replicas: 1\nimage: vllm/vllm-openai:v0.1.0\n"),
            &defaults,
        );
        assert_eq!(fields(&problems), ["spec.image"]);
        assert!(problems[0].is_error());
        let (_, _, problems) = engine_release(
            PLACE,
            &spec("replicas: 1\nimage: vllm/vllm-openai\n"),
            &defaults,
        );
        assert!(
            problems.len() == 1 && !problems[0].is_error(),
            "unpinned: a warning"
        );
    }

    #[test]
    fn pod_resource_rules() {
        let cases = [
            ("replicas: 1\ngpu: {count: 2}\n", (2, "4Gi"), vec![]),
            (
                "replicas: 1\ngpu: {count: 1, tensorParallelSize: 2}\n",
                (2, "4Gi"),
                vec!["spec.gpu.tensorParallelSize"],
            ),
            (
                "replicas: 1\nshmSize: lots\n",
                (1, "lots"),
                vec!["spec.shmSize"],
            ),
            (
                "replicas: 1\nengineArgs: {gpuMemoryUtilization: 1.5}\n",
                (1, "2Gi"),
                vec!["spec.engineArgs.gpuMemoryUtilization"],
            ),
            ("replicas: 1\ncache: {}\n", (1, "2Gi"), vec!["spec.cache"]),
            (
                "replicas: 1\ncache: {persistentVolumeClaim: Bad_Name}\n",
                (1, "2Gi"),
                vec!["spec.cache.persistentVolumeClaim"],
            ),
        ];
        for (yaml, (tp, shm), expected) in cases {
            let (found_tp, found_shm, problems) = pod_resources(PLACE, &spec(yaml));
            assert_eq!(
                (found_tp, found_shm.as_str(), fields(&problems)),
                (tp, shm, expected),
                "{yaml}"
            );
        }
    }

    #[test]
    fn startup_timeouts() {
        for (yaml, seconds, problems) in [
            ("replicas: 1\n", 1800, 0),
            ("replicas: 1\nstartupTimeout: 45m\n", 2700, 0),
            ("replicas: 1\nstartupTimeout: 0s\n", 0, 1),
            ("replicas: 1\nstartupTimeout: soon\n", 0, 1),
        ] {
            let (found, p) = startup(PLACE, &spec(yaml));
            assert_eq!((found, p.len()), (seconds, problems), "{yaml}");
        }
    }

    #[test]
    fn scheduling_fields() {
        let cases = [
            ("replicas: 1\nnodeSelector: {gpu: a100}\n", vec![]),
            (
                "replicas: 1\nnodeSelector: {'-gpu': a100}\n",
                vec!["spec.nodeSelector.-gpu"],
            ),
            (
                "replicas: 1\nplacement: {priorityClassName: Bad_Class}\n",
                vec!["spec.placement.priorityClassName"],
            ),
        ];
        for (yaml, expected) in cases {
            assert_eq!(fields(&scheduling(PLACE, &spec(yaml))), expected, "{yaml}");
        }
    }
}
