//! Model pools: slices never overlap, business Services select exactly their slices, slice
//! replicas always add up, and `kiln status` (goldens in tests/data/status/).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kiln::diagnostic::Diagnostics;
use kiln::load::{Files, ReferenceError};
use kiln::render::{self, Options};
use kiln::source::SourceFile;
use proptest::prelude::*;
use serde_json::Value;

use crate::common::{bless, case_dirs, diff, documents, kiln, project_dir, read, run};

fn labels(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn matches(selector: &BTreeMap<String, String>, pod: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| pod.get(k) == Some(v))
}

/// Rendered outputs of every fixture and example that has model pools.
fn outputs_with_pools() -> Vec<(String, Vec<Value>)> {
    let mut outputs = Vec::new();
    for (name, dir) in case_dirs("fixtures") {
        if let Some(text) = read(&dir.join("expected.yaml")) {
            outputs.push((format!("fixtures/{name}"), documents(&text)));
        }
    }
    for (name, dir) in case_dirs("examples") {
        let result = run(kiln().arg("render").arg(&dir));
        assert_eq!(result.code, 0, "{}", result.stderr);
        outputs.push((format!("examples/{name}"), documents(&result.stdout)));
    }
    outputs.retain(|(_, docs)| docs.iter().any(|d| d["kind"] == "Deployment"));
    outputs
}

#[test]
fn slices_never_overlap_and_services_select_exactly_their_business() {
    let outputs = outputs_with_pools();
    assert!(
        outputs.len() >= 5,
        "only {} outputs with Deployments",
        outputs.len()
    );
    let mut services_checked = 0;
    for (name, docs) in outputs {
        let deployments: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Deployment").collect();
        for a in &deployments {
            for b in &deployments {
                if a["metadata"]["name"] == b["metadata"]["name"]
                    || a["metadata"]["namespace"] != b["metadata"]["namespace"]
                {
                    continue;
                }
                let selector = labels(&b["spec"]["selector"]["matchLabels"]);
                let pod = labels(&a["spec"]["template"]["metadata"]["labels"]);
                assert!(
                    !matches(&selector, &pod),
                    "{name}: {} selects the pods of {}",
                    b["metadata"]["name"],
                    a["metadata"]["name"]
                );
            }
        }
        for service in docs.iter().filter(|d| {
            d["kind"] == "Service" && d["metadata"]["labels"]["service-type"] == "business-service"
        }) {
            let selector = labels(&service["spec"]["selector"]);
            let business = service["metadata"]["labels"]["business"].as_str().unwrap();
            let model = service["metadata"]["labels"]["model"].as_str().unwrap();
            let selected: Vec<&&Value> = deployments
                .iter()
                .filter(|d| d["metadata"]["namespace"] == service["metadata"]["namespace"])
                .filter(|d| {
                    matches(
                        &selector,
                        &labels(&d["spec"]["template"]["metadata"]["labels"]),
                    )
                })
                .collect();
            let expected: Vec<&&Value> = deployments
                .iter()
                .filter(|d| d["metadata"]["namespace"] == service["metadata"]["namespace"])
                .filter(|d| {
                    d["metadata"]["labels"]["business"] == business
                        && d["metadata"]["labels"]["model"] == model
                })
                .collect();
            assert!(!expected.is_empty(), "{name}: no slice for {business}");
            assert_eq!(
                selected, expected,
                "{name}: Service {}",
                service["metadata"]["name"]
            );
            services_checked += 1;
        }
    }
    assert!(
        services_checked >= 5,
        "only {services_checked} business Services checked"
    );
}

/// Referenced files are not needed by pools.
struct NoFiles;

impl Files for NoFiles {
    fn read_referenced(
        &self,
        _: &str,
        reference: &str,
    ) -> Result<(String, String), ReferenceError> {
        Err(ReferenceError::Missing(reference.to_string()))
    }
}

fn render_pool(replicas: u32, assignments: &[(String, String)]) -> render::Outcome {
    let mut spec = format!(
        "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata: {{name: pool, namespace: ns}}\nspec:\n  engine: vllm\n  model: m\n  replicas: {replicas}\n"
    );
    if !assignments.is_empty() {
        spec.push_str("  assignments:\n");
        for (business, value) in assignments {
            let _ = writeln!(spec, "    {business}: {value}");
        }
    }
    render_one("pool.yaml", spec)
}

/// Render a root of an empty kiln.yaml and one spec file, in memory.
fn render_one(path: &str, spec: String) -> render::Outcome {
    let sources = vec![
        SourceFile {
            path: "kiln.yaml".into(),
            text: "apiVersion: kiln.dev/v1alpha1\nkind: Config\n".into(),
        },
        SourceFile {
            path: path.into(),
            text: spec,
        },
    ];
    render::render(
        render::Loaded::from_sources(sources, Diagnostics::new()),
        &NoFiles,
        &Options::default(),
    )
}

/// The drain covers an in-flight request on every release: vLLM 0.18.0+ waits for it with
/// `--shutdown-timeout`, SGLang drains on SIGTERM by itself, older vLLM (which aborts on
/// SIGTERM) gets the wait added to its preStop sleep. The grace period covers it all.
#[test]
fn drain_follows_the_engine_release() {
    // (engine, image, drain, expected flag value, preStop sleep, grace period)
    let cases = [
        (
            "vllm",
            "vllm/vllm-openai:v0.11.0",
            "",
            None,
            Some("130"),
            145,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.11.0",
            "drain: {shutdownTimeoutSeconds: 45}",
            None,
            Some("55"),
            70,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.11.0",
            "drain: {shutdownTimeoutSeconds: 0}",
            None,
            Some("10"),
            30,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.17.1",
            "drain: {shutdownTimeoutSeconds: 45, preStopSeconds: 0}",
            None,
            Some("45"),
            60,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.18.0",
            "",
            Some("120"),
            Some("10"),
            145,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.18.0",
            "drain: {shutdownTimeoutSeconds: 45}",
            Some("45"),
            Some("10"),
            70,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v0.18.0",
            "drain: {shutdownTimeoutSeconds: 0, preStopSeconds: 0}",
            None,
            None,
            30,
        ),
        (
            "vllm",
            "vllm/vllm-openai:v1.2.0",
            "",
            Some("120"),
            Some("10"),
            145,
        ),
        (
            "vllm",
            "vllm/vllm-openai@sha256:0123",
            "",
            Some("120"),
            Some("10"),
            145,
        ),
        (
            "vllm",
            "registry.example.com/ml/vllm:prod",
            "",
            Some("120"),
            Some("10"),
            145,
        ),
        (
            "sglang",
            "lmsysorg/sglang:v0.4.0",
            "",
            None,
            Some("10"),
            145,
        ),
        (
            "sglang",
            "lmsysorg/sglang:v0.5.4",
            "drain: {shutdownTimeoutSeconds: 45}",
            None,
            Some("10"),
            70,
        ),
    ];
    for (engine, image, drain, flag, pre_stop, grace) in cases {
        let spec = format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata: {{name: pool, namespace: ns}}\nspec:\n  engine: {engine}\n  model: m\n  image: \"{image}\"\n  replicas: 1\n  {drain}\n"
        );
        let outcome = render_one("pool.yaml", spec);
        let case = format!("{image} {drain}");
        assert!(
            outcome.diagnostics.is_empty(),
            "{case}: {:?}",
            outcome.diagnostics
        );
        let pod = &outcome
            .objects
            .iter()
            .filter_map(|o| o.value())
            .find(|v| v["kind"] == "Deployment")
            .expect("a Deployment")["spec"]["template"]["spec"];
        let args: Vec<&str> = pod["containers"][0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let value = args
            .iter()
            .position(|a| *a == "--shutdown-timeout")
            .map(|i| args[i + 1]);
        assert_eq!(value, flag, "{case}: {args:?}");
        let sleep = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1].as_str();
        assert_eq!(sleep, pre_stop, "{case}");
        assert_eq!(pod["terminationGracePeriodSeconds"], grace, "{case}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// For any replicas and assignments (counts or shares), the rendered slices add up to the
    /// pool's replicas and each business gets its asked count (or its share's quota rounded
    /// down or up); assignments beyond the replicas are refused with the scale-down message.
    #[test]
    fn rendered_slices_add_up(
        replicas in 0u32..40,
        asks in proptest::collection::vec((0u32..12, 0u32..=60, proptest::bool::ANY), 0..4),
    ) {
        let assignments: Vec<(String, String)> = asks
            .iter()
            .enumerate()
            .map(|(i, (count, percent, is_share))| {
                (format!("b{i}"), if *is_share { format!("\"{percent}%\"") } else { count.to_string() })
            })
            .collect();
        let outcome = render_pool(replicas, &assignments);
        let errors: Vec<String> = outcome.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        let quota = |percent: u32| f64::from(replicas) * f64::from(percent) / 100.0;
        // What the assignments take: counts, plus the shares' summed quota rounded down.
        let counts: f64 = asks.iter().filter(|a| !a.2).map(|a| f64::from(a.0)).sum();
        let shares: f64 = asks.iter().filter(|a| a.2).map(|a| quota(a.1)).sum();
        let asked = counts + (shares + 1e-9).floor();
        if !errors.is_empty() {
            prop_assert!(errors.iter().all(|e| e.starts_with("cannot scale pool pool to")), "{errors:?}");
            prop_assert!(asked > f64::from(replicas), "refused although {asked} <= {replicas}");
            return Ok(());
        }
        prop_assert!(asked <= f64::from(replicas), "accepted although {asked} > {replicas}");
        let deployments: Vec<&Value> = outcome.objects.iter().filter_map(|o| o.value()).filter(|v| v["kind"] == "Deployment").collect();
        let total: u64 = deployments.iter().map(|d| d["spec"]["replicas"].as_u64().unwrap()).sum();
        prop_assert_eq!(total, u64::from(replicas));
        let slice = |business: &str| {
            deployments
                .iter()
                .find(|d| d["metadata"]["labels"]["business"] == business)
                .map(|d| d["spec"]["replicas"].as_u64().unwrap())
        };
        prop_assert!(slice("unassigned").is_some(), "the unassigned slice is always rendered");
        for (i, (count, percent, is_share)) in asks.iter().enumerate() {
            let got = slice(&format!("b{i}")).unwrap();
            if *is_share {
                let got = got as f64;
                prop_assert!(got >= quota(*percent).floor() && got <= quota(*percent).ceil(), "b{i}: {got} for {percent}% of {replicas}");
            } else {
                prop_assert_eq!(got, u64::from(*count));
            }
        }
    }
}

fn status_golden(example: &str, format: &str, file: &str) {
    let result = run(kiln()
        .arg("status")
        .arg(project_dir().join("examples").join(example))
        .arg(format!("--format={format}")));
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.is_empty(), "{}", result.stderr);
    let path = project_dir().join("tests/data/status").join(file);
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &result.stdout).unwrap();
    }
    let expected = read(&path).unwrap_or_default();
    assert!(
        result.stdout == expected,
        "{file} (KILN_BLESS=1 rewrites it):\n{}",
        diff(&expected, &result.stdout)
    );
    if format == "table" {
        for line in result.stdout.lines() {
            assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
        }
    }
}

#[test]
fn status_goldens() {
    status_golden("hyperpod", "table", "hyperpod.txt");
    status_golden("hyperpod", "json", "hyperpod.json");
    status_golden("lemo", "table", "lemo.txt");
    status_golden("lemo", "json", "lemo.json");
    // One self-contained page (scripts/html_check.py loads it in chromium).
    status_golden("hyperpod", "html", "hyperpod.html");
    status_golden("lemo", "html", "lemo.html");
    // Jobs with savepoint policies, and a session with its jobs.
    status_golden("lifecycle", "table", "lifecycle.txt");
    status_golden("lifecycle", "json", "lifecycle.json");
    status_golden("lifecycle", "html", "lifecycle.html");
}

#[test]
fn status_of_an_invalid_repo_is_an_error() {
    let result = run(kiln()
        .arg("status")
        .arg(project_dir().join("fixtures/err-pool-overassigned/input")));
    assert_eq!(result.code, 1);
    assert!(result.stdout.is_empty());
    assert!(
        result
            .stderr
            .contains("cannot scale pool qwen-06b to 2 replicas")
    );
}
