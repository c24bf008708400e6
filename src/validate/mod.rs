//! Validation: semantic and cross-document rules, and resolution of every default.
//!
//! The output is a plan per spec with nothing left to decide: expansion only builds objects.
//! Every rule reports a located diagnostic; validation never stops at the first one.

pub mod kube;

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{self, Config};
use crate::cron;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field_path::FieldPath;
use crate::kinds::Metadata;
use crate::kinds::flink_job::ScheduleEntry;
use crate::kinds::flink_job::catalog::{self, Profile};
use crate::kinds::flink_job::version::FlinkVersion;
use crate::load::Files;
use crate::names::{self, label_problem};
use crate::parse::Located;
use crate::quantity::{self, MEMORY_FLOOR_BYTES};
use crate::source::SourceFile;

/// What validation needs besides the specs.
pub struct Context<'a> {
    pub config: &'a Config,
    pub config_doc: Option<&'a Located<()>>,
    pub sources: &'a [SourceFile],
    pub files: &'a dyn Files,
    /// The last namespace fallback (Argo CD's destination namespace).
    pub fallback_namespace: Option<&'a str>,
    /// The chosen environment, if any: its name and settings.
    pub environment: Option<(&'a str, &'a crate::config::Environment)>,
}

/// `plan` unless its `problems` hold an error; the problems join `diagnostics` either way.
pub fn unless_failed<P>(
    plan: Option<P>,
    problems: Diagnostics,
    diagnostics: &mut Diagnostics,
) -> Option<P> {
    let failed = problems.has_errors();
    diagnostics.extend(problems);
    plan.filter(|_| !failed)
}

/// Where a spec's problems point: its file and document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub file: usize,
    pub doc: usize,
}

impl Place {
    pub fn of<T>(located: &Located<T>) -> Place {
        Place {
            file: located.file,
            doc: located.doc,
        }
    }

    /// An error at a dotted field path (`spec.image`).
    pub fn error(self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.at(FieldPath::parse(path), Diagnostic::error(message))
    }

    /// A warning at a dotted field path.
    pub fn warning(self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.at(FieldPath::parse(path), Diagnostic::warning(message))
    }

    /// `diagnostic` at a field's value.
    pub fn at(self, path: FieldPath, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at(self.file, self.doc, path)
    }

    /// `diagnostic` at a field's key (names that are themselves wrong).
    pub fn at_key(self, path: FieldPath, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at_key(self.file, self.doc, path)
    }
}

/// kiln.yaml, checked and merged with the built-ins.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profiles: BTreeMap<String, Profile>,
    pub presets: BTreeMap<String, Vec<ScheduleEntry>>,
    pub flink_version: Option<FlinkVersion>,
    pub time_zone: Option<String>,
    pub scaler_image: String,
    pub labels: BTreeMap<String, String>,
}

/// Check kiln.yaml's own values and merge its profiles and presets over the built-ins.
pub fn settings(ctx: &Context<'_>, diagnostics: &mut Diagnostics) -> Settings {
    let config = ctx.config;
    let at = |path: FieldPath, d: Diagnostic| match ctx.config_doc {
        Some(doc) => d.at(doc.file, doc.doc, path),
        None => d.in_file(crate::load::CONFIG_FILE),
    };
    let profiles = profiles(config, &at, diagnostics);
    let presets = presets(config, &at, diagnostics);
    let defaults = &config.defaults;
    let flink_version =
        defaults
            .flink
            .flink_version
            .as_deref()
            .and_then(|v| match FlinkVersion::parse(v) {
                Ok(version) => Some(version),
                Err(e) => {
                    diagnostics.push(at(
                        FieldPath::parse("defaults.flink.flinkVersion"),
                        Diagnostic::error(e),
                    ));
                    None
                }
            });
    if let Some(tz) = &defaults.time_zone
        && let Err(e) = check_time_zone(tz)
    {
        diagnostics.push(at(
            FieldPath::parse("defaults.timeZone"),
            Diagnostic::error(e),
        ));
    }
    if let Some(ns) = &defaults.namespace
        && !names::is_dns_label(ns, 63)
    {
        diagnostics.push(at(
            FieldPath::parse("defaults.namespace"),
            Diagnostic::error(format!("\"{ns}\" is not a valid namespace (a DNS label)")),
        ));
    }
    for (field, image) in [("defaults.flink.image", defaults.flink.image.as_deref())] {
        if let Some(image) = image
            && let Some(w) = image_warning(image)
        {
            diagnostics.push(at(FieldPath::parse(field), Diagnostic::warning(w)));
        }
    }
    let scaler_image = defaults
        .scaler
        .image
        .clone()
        .unwrap_or_else(|| config::DEFAULT_SCALER_IMAGE.to_string());
    if image_warning(&scaler_image).is_some() {
        diagnostics.push(at(
            FieldPath::parse("defaults.scaler.image"),
            Diagnostic::error(format!(
                "scaler image \"{scaler_image}\" is not pinned; give it a version tag or digest (never latest)"
            )),
        ));
    }
    for (key, value) in &defaults.labels {
        if let Some(problem) = label_problem(key, value) {
            diagnostics.push(at(
                FieldPath::root().key("defaults").key("labels").key(key),
                Diagnostic::error(problem),
            ));
        }
    }
    let mut labels = defaults.labels.clone();
    environments(config, &at, diagnostics);
    if let Some((_, environment)) = ctx.environment {
        labels.extend(environment.labels.clone());
    }
    Settings {
        profiles,
        presets,
        flink_version,
        time_zone: defaults.time_zone.clone(),
        scaler_image,
        labels,
    }
}

/// Where a kiln.yaml problem points.
type ConfigAt<'a> = dyn Fn(FieldPath, Diagnostic) -> Diagnostic + 'a;

/// The built-in profiles with kiln.yaml's over them (a partial one completes a built-in).
fn profiles(
    config: &Config,
    at: &ConfigAt<'_>,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Profile> {
    let mut profiles = BTreeMap::new();
    for name in catalog::BUILTIN_PROFILES {
        if let Some(p) = catalog::builtin_profile(name) {
            profiles.insert(name.to_string(), p);
        }
    }
    for (name, p) in &config.profiles {
        let path = FieldPath::root().key("profiles").key(name);
        let base = catalog::builtin_profile(name);
        let merged = match (&base, p.cpu, &p.memory, p.min_replicas, p.max_replicas) {
            (Some(b), ..) => Profile {
                cpu: p.cpu.unwrap_or(b.cpu),
                memory: p.memory.clone().unwrap_or_else(|| b.memory.clone()),
                min_replicas: p.min_replicas.unwrap_or(b.min_replicas),
                max_replicas: p.max_replicas.unwrap_or(b.max_replicas),
                slots: p.slots.unwrap_or(b.slots),
            },
            (None, Some(cpu), Some(memory), Some(min_replicas), Some(max_replicas)) => Profile {
                cpu,
                memory: memory.clone(),
                min_replicas,
                max_replicas,
                slots: p.slots.unwrap_or(1),
            },
            _ => {
                diagnostics.push(at(
                    path,
                    Diagnostic::error(format!(
                        "profile \"{name}\" is not a built-in profile, so it must set cpu, memory, minReplicas and maxReplicas"
                    )),
                ));
                continue;
            }
        };
        if merged.cpu <= 0.0 {
            diagnostics.push(at(
                path.key("cpu"),
                Diagnostic::error("cpu must be greater than 0"),
            ));
        }
        if let Some(problem) = memory_problem(&merged.memory) {
            diagnostics.push(at(path.key("memory"), Diagnostic::error(problem)));
        }
        if merged.min_replicas > merged.max_replicas {
            diagnostics.push(at(
                path,
                Diagnostic::error(format!(
                    "minReplicas {} is greater than maxReplicas {}",
                    merged.min_replicas, merged.max_replicas
                )),
            ));
        }
        profiles.insert(name.clone(), merged);
    }
    profiles
}

/// The built-in presets and kiln.yaml's.
fn presets(
    config: &Config,
    at: &ConfigAt<'_>,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Vec<ScheduleEntry>> {
    let mut presets = BTreeMap::new();
    for name in catalog::BUILTIN_PRESETS {
        if let Some(p) = catalog::builtin_preset(name) {
            presets.insert(name.to_string(), p);
        }
    }
    for (name, entries) in &config.presets {
        let path = FieldPath::root().key("presets").key(name);
        let mut problems = Diagnostics::new();
        check_schedule_entries(entries, &mut |field: FieldPath, d: Diagnostic| {
            problems.push(at(path.clone().join(&field), d));
        });
        if entries.is_empty() {
            problems.push(at(
                path.clone(),
                Diagnostic::error("a preset needs at least one schedule"),
            ));
        }
        diagnostics.extend(problems);
        presets.insert(name.clone(), entries.clone());
    }
    presets
}

/// Each environment's name, namespace and labels.
fn environments(config: &Config, at: &ConfigAt<'_>, diagnostics: &mut Diagnostics) {
    for (name, environment) in &config.environments {
        let path = FieldPath::root().key("environments").key(name);
        if !names::is_dns_label(name, 63) {
            diagnostics.push(at(
                path.clone(),
                Diagnostic::error(format!("environment name \"{name}\" is not a DNS label")),
            ));
        }
        if let Some(ns) = &environment.namespace
            && !names::is_dns_label(ns, 63)
        {
            diagnostics.push(at(
                path.key("namespace"),
                Diagnostic::error(format!("\"{ns}\" is not a valid namespace (a DNS label)")),
            ));
        }
        for (key, value) in &environment.labels {
            if let Some(problem) = label_problem(key, value) {
                diagnostics.push(at(path.key("labels").key(key), Diagnostic::error(problem)));
            }
        }
    }
}

/// The namespace of a spec: its own, the environment's, kiln.yaml's default, then Argo CD's
/// destination namespace.
pub fn resolve_namespace(ctx: &Context<'_>, metadata: &crate::kinds::Metadata) -> Option<String> {
    metadata
        .namespace
        .clone()
        .or_else(|| ctx.environment.and_then(|(_, e)| e.namespace.clone()))
        .or_else(|| ctx.config.defaults.namespace.clone())
        .or_else(|| ctx.fallback_namespace.map(str::to_string))
}

/// Check a list of schedule entries; `report(field, diagnostic)` locates each problem.
pub fn check_schedule_entries(
    entries: &[ScheduleEntry],
    report: &mut dyn FnMut(FieldPath, Diagnostic),
) {
    let mut names = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = FieldPath::root().index(i);
        if !names::is_dns_label(&entry.name, 63) {
            report(
                at.key("name"),
                Diagnostic::error(format!(
                    "schedule name \"{}\" is not a DNS label (lower-case letters, digits and '-')",
                    entry.name
                )),
            );
        }
        if !names.insert(entry.name.as_str()) {
            report(
                at.key("name"),
                Diagnostic::error(format!("duplicate schedule name \"{}\"", entry.name)),
            );
        }
        match cron::parse(&entry.cron) {
            Err(e) => report(
                at.key("cron"),
                Diagnostic::error(format!("invalid cron expression \"{}\": {e}", entry.cron)),
            ),
            Ok(schedule) if !schedule.can_fire() => report(
                at.key("cron"),
                Diagnostic::warning(format!(
                    "cron expression \"{}\" never fires: no month has that day",
                    entry.cron
                )),
            ),
            Ok(_) => {}
        }
        if entry.min_replicas > entry.max_replicas {
            report(
                at.clone(),
                Diagnostic::error(format!(
                    "minReplicas {} is greater than maxReplicas {}",
                    entry.min_replicas, entry.max_replicas
                )),
            );
        }
    }
}

/// An IANA time zone name, as CronJob `spec.timeZone` takes it.
pub fn check_time_zone(zone: &str) -> Result<(), String> {
    if zone.eq_ignore_ascii_case("local") || jiff::tz::TimeZone::get(zone).is_err() {
        return Err(format!(
            "\"{zone}\" is not an IANA time zone (such as Asia/Shanghai or UTC)"
        ));
    }
    Ok(())
}

pub fn memory_problem(memory: &str) -> Option<String> {
    match quantity::parse_memory(memory) {
        Err(e) => Some(e),
        Ok(bytes) if bytes < MEMORY_FLOOR_BYTES => Some(format!(
            "memory {memory} is below Flink's floor of 1024m (metaspace, JVM overhead and framework memory alone need more than 768m)"
        )),
        Ok(_) => None,
    }
}

/// A warning for an image that is not pinned to a version.
pub fn image_warning(image: &str) -> Option<String> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) => Some(format!(
            "image \"{image}\" uses the latest tag: rollouts are not reproducible"
        )),
        Some(_) => None,
        None => Some(format!(
            "image \"{image}\" has no tag (it means latest): rollouts are not reproducible"
        )),
    }
}

/// Labels of a spec's objects: the settings' (defaults + environment), then the spec's own;
/// invalid ones are reported.
pub fn labels<T>(
    settings: &Settings,
    metadata: &Metadata,
    located: &Located<T>,
    out: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut labels = settings.labels.clone();
    for (key, value) in &metadata.labels {
        if let Some(problem) = label_problem(key, value) {
            out.push(Diagnostic::error(problem).at_key(
                located.file,
                located.doc,
                FieldPath::root().key("metadata").key("labels").key(key),
            ));
        }
        labels.insert(key.clone(), value.clone());
    }
    labels
}

pub fn namespace_or_error<T>(
    ctx: &Context<'_>,
    metadata: &Metadata,
    located: &Located<T>,
    out: &mut Diagnostics,
) -> String {
    if let Some(ns) = resolve_namespace(ctx, metadata) {
        if !names::is_dns_label(&ns, 63) {
            out.push(located.diagnostic(
                Diagnostic::error(format!("\"{ns}\" is not a valid namespace (a DNS label)")),
                "metadata.namespace",
            ));
        }
        ns
    } else {
        out.push(located.diagnostic(
            Diagnostic::error(
                "no namespace: set metadata.namespace, the environment's namespace or defaults.namespace in kiln.yaml",
            ),
            "metadata",
        ));
        String::new()
    }
}

/// `30m`, `900s`, `1h30m` → seconds.
pub fn parse_duration(text: &str) -> Result<u32, String> {
    let bad = || format!("\"{text}\" is not a duration (e.g. 30m, 900s, 1h30m)");
    // jiff's friendly format (`30m`, `1h30m`, `90 minutes`) and ISO 8601 (`PT30M`).
    let duration: jiff::SignedDuration = text.trim().parse().map_err(|_| bad())?;
    if duration.is_negative() || duration.subsec_nanos() != 0 {
        return Err(bad());
    }
    u32::try_from(duration.as_secs()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("900s"), Ok(900));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_duration("90 minutes"), Ok(5400));
        assert_eq!(parse_duration("PT15M"), Ok(900));
        assert!(parse_duration("-5m").is_err());
        assert!(parse_duration("1.5s").is_err());
        assert!(
            parse_duration("5000000000000000000h").is_err(),
            "no overflow panic"
        );
    }

    #[test]
    fn images() {
        assert!(image_warning("flink:1.19.3").is_none());
        assert!(image_warning("registry:5000/flink:1.19").is_none());
        assert!(image_warning("flink@sha256:abc").is_none());
        assert!(image_warning("flink:latest").is_some());
        assert!(image_warning("registry:5000/flink").is_some());
    }

    #[test]
    fn labels() {
        assert!(label_problem("team", "growth").is_none());
        assert!(label_problem("app.kubernetes.io/name", "x").is_none());
        assert!(label_problem("team", "").is_none());
        assert!(label_problem("team", "no").is_none());
        assert!(label_problem("team", "~").is_some());
        assert!(label_problem("team", &"a".repeat(64)).is_some());
        assert!(label_problem("-bad", "x").is_some());
        assert!(label_problem("Bad_Prefix/x", "x").is_some());
    }

    #[test]
    fn time_zones() {
        assert!(check_time_zone("Asia/Shanghai").is_ok());
        assert!(check_time_zone("UTC").is_ok());
        assert!(check_time_zone("Mars/Olympus").is_err());
        assert!(check_time_zone("Local").is_err());
    }
}
