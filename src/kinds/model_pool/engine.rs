//! What kiln knows about the model-server engines (vLLM, SGLang) per release: the command
//! line, the probes, the drain, LoRA adapters and the Prometheus metrics. The one owner of
//! that knowledge: validation asks it, expansion trusts the answers.
//!
//! Every cut-off below is checked against the real releases by `scripts/engines.py`, which
//! reads each release's argument definitions from PyPI (docs/modelpool.md, "Supported engine
//! versions").

use std::fmt;

use crate::kinds::model_pool::{Engine, PoolMetric};

/// A release number as image tags and PyPI write it: `0.11.0`, `0.10.1.1`, `0.4.10.post2`.
/// Ordered as releases are: a `.postN` comes after its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EngineVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub fourth: u32,
    pub post: u32,
}

impl EngineVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        EngineVersion {
            major,
            minor,
            patch,
            fourth: 0,
            post: 0,
        }
    }

    const fn post(self, post: u32) -> Self {
        EngineVersion { post, ..self }
    }

    /// The release an image's tag names (`vllm/vllm-openai:v0.11.0`,
    /// `lmsysorg/sglang:v0.4.10.post2-cu126`, `registry:5000/vllm:0.18-cu128`), or None for a
    /// tag that is not a release (`latest`, `nightly`, a digest only, a custom tag).
    pub fn from_image(image: &str) -> Option<Self> {
        let reference = image.split('@').next().unwrap_or(image);
        let last = reference.rsplit('/').next().unwrap_or(reference);
        let (_, tag) = last.split_once(':')?;
        let tag = tag.strip_prefix('v').unwrap_or(tag);
        let mut numbers = [0u32; 4];
        let mut count = 0;
        let mut rest = tag;
        while count < 4 {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            numbers[count] = rest[..end].parse().ok()?;
            count += 1;
            rest = &rest[end..];
            match rest.strip_prefix('.') {
                Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
                _ => break,
            }
        }
        if count < 2 {
            return None;
        }
        let post = rest.strip_prefix(".post").map_or(0, |p| {
            let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            p[..end].parse().unwrap_or(0)
        });
        Some(EngineVersion {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            fourth: numbers[3],
            post,
        })
    }
}

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.fourth > 0 {
            write!(f, ".{}", self.fourth)?;
        }
        if self.post > 0 {
            write!(f, ".post{}", self.post)?;
        }
        Ok(())
    }
}

/// The oldest release kiln renders for: vLLM 0.6.0 (the first whose `vllm serve` takes the
/// model as a positional argument and whose flags kiln uses all exist), SGLang 0.4.0.
pub const fn oldest_supported(engine: Engine) -> EngineVersion {
    match engine {
        Engine::Vllm => EngineVersion::new(0, 6, 0),
        Engine::Sglang => EngineVersion::new(0, 4, 0),
    }
}

/// vLLM's `--shutdown-timeout` (wait for in-flight requests after SIGTERM) exists since 0.18.0.
pub const VLLM_SHUTDOWN_TIMEOUT_SINCE: EngineVersion = EngineVersion::new(0, 18, 0);
/// vLLM renamed `vllm:gpu_cache_usage_perc` to `vllm:kv_cache_usage_perc` in 0.9 and hid the
/// old name in 0.10 (removed in 0.12); kiln uses the new name from 0.10.0.
pub const VLLM_KV_CACHE_METRIC_SINCE: EngineVersion = EngineVersion::new(0, 10, 0);
/// SGLang before 0.5.1 refuses LoRA adapters unless CUDA graphs and the radix cache are off.
pub const SGLANG_LORA_SINCE: EngineVersion = EngineVersion::new(0, 5, 1);
/// From SGLang 0.4.10.post2, `/health` generates one token: it sleeps a second, then waits up
/// to `SGLANG_HEALTH_CHECK_TIMEOUT` (20 s) for the scheduler.
pub const SGLANG_GENERATING_HEALTH_SINCE: EngineVersion = EngineVersion::new(0, 4, 10).post(2);

/// What a pool's engine release does: decided once from the engine and the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub engine: Engine,
    /// The image's release, or None for a tag that names none (then the newest behaviour).
    pub version: Option<EngineVersion>,
}

/// Probe timings: `(period, timeout, failures)` in seconds for readiness and liveness, and
/// the startup probe's period and timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probes {
    pub readiness: (i32, i32, i32),
    pub liveness: (i32, i32, i32),
    pub startup_period: i32,
    pub startup_timeout: i32,
}

impl Release {
    pub fn new(engine: Engine, image: &str) -> Self {
        Release {
            engine,
            version: EngineVersion::from_image(image),
        }
    }

    /// True when the image's release is at least `since` (a tag that names no release counts
    /// as the newest).
    fn since(&self, since: EngineVersion) -> bool {
        self.version.is_none_or(|v| v >= since)
    }

    /// The release is older than kiln supports.
    pub fn unsupported(&self) -> bool {
        !self.since(oldest_supported(self.engine))
    }

    /// The container's command. vLLM's image runs `python3 -m vllm.entrypoints.openai.api_server`
    /// up to v0.11.0, which ignores (0.10-0.11) or rejects (0.6-0.9) a positional model, and
    /// `vllm serve` from v0.11.1: kiln always sets `vllm serve` itself.
    pub fn command(&self) -> Vec<String> {
        let words: &[&str] = match self.engine {
            Engine::Vllm => &["vllm", "serve"],
            Engine::Sglang => &["python3", "-m", "sglang.launch_server"],
        };
        words.iter().map(ToString::to_string).collect()
    }

    /// The arguments that name the model and where to listen: `vllm serve` takes the model
    /// as its positional argument (and listens on every address); SGLang wants `--model-path`
    /// and `--host 0.0.0.0` (it listens on 127.0.0.1 by default).
    pub fn model_args(&self, model: &str) -> Vec<String> {
        match self.engine {
            Engine::Vllm => vec![model.to_string()],
            Engine::Sglang => ["--model-path", model, "--host", "0.0.0.0"]
                .map(ToString::to_string)
                .to_vec(),
        }
    }

    /// The flag of the context length (`engineArgs.maxModelLen`).
    pub fn context_length_flag(&self) -> &'static str {
        match self.engine {
            Engine::Vllm => "--max-model-len",
            Engine::Sglang => "--context-length",
        }
    }

    /// The flag of the share of GPU memory to use (`engineArgs.gpuMemoryUtilization`).
    pub fn memory_fraction_flag(&self) -> &'static str {
        match self.engine {
            Engine::Vllm => "--gpu-memory-utilization",
            Engine::Sglang => "--mem-fraction-static",
        }
    }

    /// The flag of the tensor-parallel size (full names only: SGLang's `--tp` works only as an
    /// argparse prefix of `--tp-size`).
    pub fn tensor_parallel_flag(&self) -> &'static str {
        match self.engine {
            Engine::Vllm => "--tensor-parallel-size",
            Engine::Sglang => "--tp-size",
        }
    }

    /// The engine waits for in-flight requests itself after SIGTERM: vLLM 0.18.0 and later
    /// with `--shutdown-timeout`, every supported SGLang (its SIGTERM handler refuses new
    /// requests and exits when none is left). Otherwise the drain is a longer preStop sleep.
    pub fn drains_itself(&self) -> bool {
        match self.engine {
            Engine::Vllm => self.since(VLLM_SHUTDOWN_TIMEOUT_SINCE),
            Engine::Sglang => true,
        }
    }

    /// vLLM's `--shutdown-timeout` is how it drains; SGLang drains without a flag.
    pub fn shutdown_timeout_flag(&self) -> Option<&'static str> {
        (self.engine == Engine::Vllm && self.drains_itself()).then_some("--shutdown-timeout")
    }

    /// LoRA adapters can be served (SGLang needs 0.5.1: earlier releases refuse them unless
    /// CUDA graphs and the radix cache are off).
    pub fn serves_lora(&self) -> bool {
        match self.engine {
            Engine::Vllm => true,
            Engine::Sglang => self.since(SGLANG_LORA_SINCE),
        }
    }

    /// The flags that serve these `(name, path)` adapters.
    pub fn lora_args(&self, loras: &[(String, String)]) -> Vec<String> {
        if loras.is_empty() {
            return Vec::new();
        }
        let modules = loras.iter().map(|(name, path)| format!("{name}={path}"));
        match self.engine {
            // max_loras defaults to 1: one adapter per batch, the others wait.
            Engine::Vllm => ["--enable-lora".to_string(), "--lora-modules".to_string()]
                .into_iter()
                .chain(modules)
                .chain(["--max-loras".to_string(), loras.len().to_string()])
                .collect(),
            Engine::Sglang => std::iter::once("--lora-paths".to_string())
                .chain(modules)
                .collect(),
        }
    }

    /// Flags that make the engine export Prometheus metrics on `/metrics` (SGLang exports
    /// none without `--enable-metrics`; vLLM always does).
    pub fn metrics_args(&self) -> &'static [&'static str] {
        match self.engine {
            Engine::Vllm => &[],
            Engine::Sglang => &["--enable-metrics"],
        }
    }

    /// The Prometheus metric of an autoscaling metric.
    pub fn metric_name(&self, metric: PoolMetric) -> &'static str {
        match (self.engine, metric) {
            (Engine::Vllm, PoolMetric::Queue) => "vllm:num_requests_waiting",
            (Engine::Vllm, PoolMetric::Running) => "vllm:num_requests_running",
            (Engine::Vllm, PoolMetric::KvCache) if self.since(VLLM_KV_CACHE_METRIC_SINCE) => {
                "vllm:kv_cache_usage_perc"
            }
            (Engine::Vllm, PoolMetric::KvCache) => "vllm:gpu_cache_usage_perc",
            (Engine::Sglang, PoolMetric::Queue) => "sglang:num_queue_reqs",
            (Engine::Sglang, PoolMetric::Running) => "sglang:num_running_reqs",
            (Engine::Sglang, PoolMetric::KvCache) => "sglang:token_usage",
        }
    }

    /// Probe timings. `/health` is cheap on vLLM and on SGLang before 0.4.10.post2; later
    /// SGLang generates a token in it and may take 21 s, so its probes wait 25 s.
    pub fn probes(&self) -> Probes {
        if self.engine == Engine::Sglang && self.since(SGLANG_GENERATING_HEALTH_SINCE) {
            Probes {
                readiness: (10, 25, 3),
                liveness: (30, 25, 3),
                startup_period: 10,
                startup_timeout: 25,
            }
        } else {
            Probes {
                readiness: (5, 2, 3),
                liveness: (10, 5, 3),
                startup_period: 10,
                startup_timeout: 5,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn version(image: &str, expected: Option<&str>) {
        assert_eq!(
            EngineVersion::from_image(image).map(|v| v.to_string()),
            expected.map(ToString::to_string),
            "{image}"
        );
    }

    #[test]
    fn versions_from_image_tags() {
        version("vllm/vllm-openai:v0.11.0", Some("0.11.0"));
        version("vllm/vllm-openai:v0.18.0", Some("0.18.0"));
        version(
            "registry.example.com:5000/ml/vllm:0.10.1.1",
            Some("0.10.1.1"),
        );
        version("vllm/vllm-openai:v0.18-cu128", Some("0.18.0"));
        version("vllm/vllm-openai:v0.9.2@sha256:abc", Some("0.9.2"));
        version("lmsysorg/sglang:v0.4.10.post2-cu126", Some("0.4.10.post2"));
        version("lmsysorg/sglang:v0.5.4", Some("0.5.4"));
        version("vllm/vllm-openai:latest", None);
        version("vllm/vllm-openai:nightly", None);
        version("vllm/vllm-openai", None);
        version("vllm/vllm-openai@sha256:abc", None);
        version("registry.example.com:5000/vllm", None);
        version("vllm/vllm-openai:v1", None);
        version("vllm/vllm-openai:prod.2", None);
        version("vllm/vllm-openai:99999999999.1", None);
    }

    #[test]
    fn release_order() {
        let v = |image: &str| EngineVersion::from_image(image).unwrap();
        assert!(v("x:0.4.10.post2") > v("x:0.4.10.post1"));
        assert!(v("x:0.4.10.post1") > v("x:0.4.10"));
        assert!(v("x:0.10.1.1") > v("x:0.10.1"));
        assert!(v("x:0.10.0") > v("x:0.9.2"));
        assert_eq!(v("x:0.4.10.post2"), SGLANG_GENERATING_HEALTH_SINCE);
    }

    #[test]
    fn cut_offs() {
        let vllm = |tag: &str| Release::new(Engine::Vllm, &format!("vllm/vllm-openai:{tag}"));
        let sglang = |tag: &str| Release::new(Engine::Sglang, &format!("lmsysorg/sglang:{tag}"));
        assert!(vllm("v0.5.5").unsupported());
        assert!(!vllm("v0.6.0").unsupported());
        assert!(!vllm("latest").unsupported());
        assert!(!vllm("v0.17.1").drains_itself());
        assert!(vllm("v0.18.0").drains_itself());
        assert!(vllm("nightly").drains_itself());
        assert!(Release::new(Engine::Sglang, "lmsysorg/sglang:v0.5.4").drains_itself());
        assert_eq!(sglang("v0.5.4").shutdown_timeout_flag(), None);
        assert_eq!(
            vllm("v0.18.0").shutdown_timeout_flag(),
            Some("--shutdown-timeout")
        );
        assert_eq!(
            vllm("v0.9.2").metric_name(PoolMetric::KvCache),
            "vllm:gpu_cache_usage_perc"
        );
        assert_eq!(
            vllm("v0.10.0").metric_name(PoolMetric::KvCache),
            "vllm:kv_cache_usage_perc"
        );
        assert!(!sglang("v0.4.10.post2").serves_lora());
        assert!(sglang("v0.5.1").serves_lora());
        assert!(sglang("v0.3.6").unsupported());
        assert_eq!(sglang("v0.4.10.post1").probes().readiness.1, 2);
        assert_eq!(sglang("v0.4.10.post2").probes().readiness.1, 25);
        assert_eq!(vllm("v0.33.0").probes().readiness.1, 2);
    }

    #[test]
    fn lora_flags() {
        let loras = vec![
            ("sql".to_string(), "/m/sql".to_string()),
            ("chat".to_string(), "/m/chat".to_string()),
        ];
        assert_eq!(
            Release::new(Engine::Vllm, "vllm/vllm-openai:v0.11.0").lora_args(&loras),
            [
                "--enable-lora",
                "--lora-modules",
                "sql=/m/sql",
                "chat=/m/chat",
                "--max-loras",
                "2"
            ]
        );
        assert_eq!(
            Release::new(Engine::Sglang, "lmsysorg/sglang:v0.5.4").lora_args(&loras),
            ["--lora-paths", "sql=/m/sql", "chat=/m/chat"]
        );
        assert!(
            Release::new(Engine::Vllm, "x:v0.11.0")
                .lora_args(&[])
                .is_empty()
        );
    }
}
