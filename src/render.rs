//! The pipeline, top to bottom: load → parse → validate → expand → order. See ARCHITECTURE.md.
//!
//! [`render`] is pure: it takes the files already in memory and an accessor for referenced
//! files, so tests drive it without a disk. [`load`] is the disk edge.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::emit;
use crate::expand::{self, MANAGED_BY, Object, SOURCE_ANNOTATION};
use crate::load::{self, Files, UsageError, WalkOptions};
use crate::parse::{self, Located, Parsed};
use crate::path::FieldPath;
use crate::source::{self, SourceFile};
use crate::validate::{self, Context, FlinkPlan, Settings};

/// Choices that come from the command line or Argo CD, not from the repository.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Last namespace fallback (Argo CD's `ARGOCD_APP_NAMESPACE`).
    pub fallback_namespace: Option<String>,
    /// Target cluster version (`--kube-version`, Argo CD's `KUBE_VERSION`).
    pub kube_version: Option<KubeVersion>,
    /// Output folder relative to the root, never read as input.
    pub output_folder: Option<String>,
}

/// A Kubernetes minor version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// `1.29.3`, `v1.29`, `1.29.0-eks-1234`.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let bad = || format!("\"{text}\" is not a Kubernetes version (expected e.g. 1.29.3)");
        let trimmed = text.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor_text: String = parts
            .next()
            .ok_or_else(bad)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let minor = minor_text.parse().map_err(|_| bad())?;
        Ok(KubeVersion { major, minor })
    }
}

/// The result of a render: objects in canonical order, and every diagnostic, sorted and
/// located. Objects are only meaningful when there are no errors.
#[derive(Debug, Default)]
pub struct Outcome {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceFile>,
    pub flink_plans: Vec<FlinkPlan>,
    pub spec_count: usize,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Read a kiln root from disk: kiln.yaml first (for `exclude` and `output`), then the tree.
/// `sources[0]` is kiln.yaml.
pub fn load(root: &Path, options: &Options) -> Result<(Vec<SourceFile>, Diagnostics), UsageError> {
    let mut diagnostics = Diagnostics::new();
    let config_file = match load::read_config(root) {
        Ok(file) => file,
        Err(d) => {
            diagnostics.push(d);
            return Ok((Vec::new(), diagnostics));
        }
    };
    let mut scratch = Diagnostics::new();
    let (config, _) = parse::parse_config(&config_file, 0, &mut scratch);
    let mut walk = WalkOptions {
        exclude: config.exclude.clone(),
        ..WalkOptions::default()
    };
    walk.skip.extend(config.output.clone());
    walk.skip.extend(options.output_folder.clone());
    let (mut files, problems) = load::read_tree(root, &walk);
    diagnostics.extend(problems);
    files.insert(0, config_file);
    Ok((files, diagnostics))
}

/// Render in memory. `sources[0]` is kiln.yaml; `load_diagnostics` are the loader's.
pub fn render(
    sources: Vec<SourceFile>,
    load_diagnostics: Diagnostics,
    files: &dyn Files,
    options: &Options,
) -> Outcome {
    let mut diagnostics = load_diagnostics;
    if sources.is_empty() {
        return finish(Outcome::default(), diagnostics);
    }

    // Parse everything first.
    let mut parsed = Parsed::default();
    let errors_before = diagnostics.error_count();
    let (config, config_doc) = parse::parse_config(&sources[0], 0, &mut diagnostics);
    // An unreadable kiln.yaml leaves only defaults; judging specs by them would bury the real
    // error under cascades ("no namespace", "no image"), so specs are then only parsed.
    let config_readable = diagnostics.error_count() == errors_before;
    parsed.config = config;
    parsed.config_doc = config_doc;
    parse::parse_documents(&sources[1..], 1, &mut parsed, &mut diagnostics);

    // Validate and resolve.
    let ctx = Context {
        config: &parsed.config,
        config_doc: parsed.config_doc.as_ref(),
        sources: &sources,
        files,
        fallback_namespace: options.fallback_namespace.as_deref(),
    };
    let settings = validate::settings(&ctx, &mut diagnostics);
    let plans = if config_readable {
        validate::flink_jobs(&ctx, &settings, &parsed.flink_jobs, &mut diagnostics)
    } else {
        Vec::new()
    };
    check_kube_version(&plans, options.kube_version, &mut diagnostics);

    // Expand.
    let mut objects = Vec::new();
    for plan in &plans {
        match expand::flink::expand(plan) {
            Ok(mut more) => objects.append(&mut more),
            Err(e) => diagnostics.push(
                Diagnostic::error(format!("cannot render the SQL wrapper: {e}")).at(
                    plan.file,
                    plan.doc,
                    FieldPath::parse("spec.sql"),
                ),
            ),
        }
        objects.extend(expand::autoscaling::expand(plan, &settings.scaler_image));
    }
    objects.extend(expand::rbac::expand(&plans, &settings.labels));
    for manifest in &parsed.manifests {
        match pass_through(manifest, &settings, &sources) {
            Ok(object) => objects.push(object),
            Err(d) => diagnostics.push(d),
        }
    }

    // Order and check identities.
    let (objects, problems) = emit::order(objects, &sources);
    diagnostics.extend(problems);
    let spec_count = parsed.spec_documents;
    finish(
        Outcome {
            objects,
            diagnostics: Vec::new(),
            sources,
            flink_plans: plans,
            spec_count,
        },
        diagnostics,
    )
}

fn finish(mut outcome: Outcome, mut diagnostics: Diagnostics) -> Outcome {
    source::resolve(&mut diagnostics, &outcome.sources);
    outcome.diagnostics = diagnostics.into_sorted();
    outcome
}

/// CronJob `spec.timeZone` is GA in Kubernetes 1.27; an older cluster would drop it and run
/// the schedules in UTC, so that is an error, not a silent change.
fn check_kube_version(
    plans: &[FlinkPlan],
    version: Option<KubeVersion>,
    diagnostics: &mut Diagnostics,
) {
    let Some(version) = version else { return };
    if (version.major, version.minor) >= (1, 27) {
        return;
    }
    for plan in plans
        .iter()
        .filter(|p| p.time_zone.is_some() && !p.schedules.is_empty())
    {
        diagnostics.push(
            Diagnostic::error(format!(
                "CronJob timeZone needs Kubernetes 1.27 or later; the target cluster is {}.{}",
                version.major, version.minor
            ))
            .with_hint("upgrade the cluster, or remove the time zone and write the schedules in the controller's zone (UTC)")
            .at(plan.file, plan.doc, FieldPath::parse("spec.autoscaling.timeZone")),
        );
    }
}

/// A plain manifest: passed through with kiln's managed-by label, kiln.yaml's default labels
/// (the manifest's own labels win) and the source annotation.
fn pass_through(
    manifest: &Located<Value>,
    settings: &Settings,
    sources: &[SourceFile],
) -> Result<Object, Diagnostic> {
    let source = sources
        .get(manifest.file)
        .map(|s| s.path.clone())
        .unwrap_or_default();
    let mut value = manifest.value.clone();
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Err(Diagnostic::error("metadata must be a mapping").at(
            manifest.file,
            manifest.doc,
            FieldPath::parse("metadata"),
        ));
    };
    for (field, extra) in [
        ("labels", {
            let mut labels: BTreeMap<String, String> = settings.labels.clone();
            labels.insert(MANAGED_BY.to_string(), "kiln".to_string());
            labels
        }),
        (
            "annotations",
            BTreeMap::from([(SOURCE_ANNOTATION.to_string(), source.clone())]),
        ),
    ] {
        let entry = metadata
            .entry(field)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if entry.is_null() {
            *entry = Value::Object(serde_json::Map::new());
        }
        let Some(map) = entry.as_object_mut() else {
            return Err(
                Diagnostic::error(format!("metadata.{field} must be a mapping")).at(
                    manifest.file,
                    manifest.doc,
                    FieldPath::root().key("metadata").key(field),
                ),
            );
        };
        for (k, v) in extra {
            let own = map.contains_key(&k);
            if !own || k == MANAGED_BY || k == SOURCE_ANNOTATION {
                map.insert(k, Value::String(v));
            }
        }
    }
    Ok(Object::new(value, &source, manifest.file, manifest.doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions() {
        assert_eq!(
            KubeVersion::parse("1.29.3"),
            Ok(KubeVersion {
                major: 1,
                minor: 29
            })
        );
        assert_eq!(
            KubeVersion::parse("v1.26"),
            Ok(KubeVersion {
                major: 1,
                minor: 26
            })
        );
        assert_eq!(
            KubeVersion::parse("1.30.0-eks-1234"),
            Ok(KubeVersion {
                major: 1,
                minor: 30
            })
        );
        assert!(KubeVersion::parse("latest").is_err());
        assert!(KubeVersion::parse("1").is_err());
    }
}
