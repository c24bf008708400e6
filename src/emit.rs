//! Emission: canonical order, YAML or JSON text, and the atomic output folder.
//!
//! Documents are ordered by kind (Namespace, ServiceAccount, Role, RoleBinding, ConfigMap,
//! Service, Deployment, PodDisruptionBudget, FlinkDeployment, HorizontalPodAutoscaler,
//! CronJob, then any other kind alphabetically), then API group, namespace and name. Keys
//! are sorted (serde_json's map is ordered). The same objects always give the same bytes.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expand::Object;
use crate::field_path::FieldPath;

const KIND_ORDER: [&str; 11] = [
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "FlinkDeployment",
    "HorizontalPodAutoscaler",
    "CronJob",
];

/// Marker file kiln keeps in an output folder, so it never replaces a folder it did not write.
pub const OUTPUT_MARKER: &str = ".kiln-output";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

/// The canonical order and identity of an object: kind rank, kind, group, namespace, name
/// (borrowed from the object).
pub type OrderKey<'a> = (usize, &'a str, &'a str, &'a str, &'a str);

/// An object's [`OrderKey`].
pub fn sort_key(object: &Object) -> OrderKey<'_> {
    let kind = object.kind();
    let rank = KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len());
    (
        rank,
        kind,
        object.group(),
        object.namespace(),
        object.name(),
    )
}

/// The canonical order, then the source file: objects that share an identity keep a stable
/// order (and the index breaks the last tie, so an unstable sort is deterministic).
type SortKey<'a> = (OrderKey<'a>, &'a str);

fn full_key(object: &Object) -> SortKey<'_> {
    (sort_key(object), object.source.as_str())
}

/// Sort into the canonical order and report objects that share group, kind, namespace and
/// name (Argo CD would apply only one of them).
pub fn order(
    objects: Vec<Object>,
    sources: &[crate::source::SourceFile],
) -> (Vec<Object>, Diagnostics) {
    // Keys computed once per object (borrowed, not copied), the order as a permutation.
    let permutation = {
        let mut keyed: Vec<(SortKey<'_>, usize)> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| (full_key(o), i))
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect::<Vec<_>>()
    };
    let mut slots: Vec<Option<Object>> = objects.into_iter().map(Some).collect();
    let objects: Vec<Object> = permutation
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect();
    let mut diagnostics = Diagnostics::new();
    for pair in objects.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if sort_key(a) == sort_key(b) {
            let first = sources
                .get(a.file)
                .map_or(a.source.as_str(), |s| s.path.as_str());
            diagnostics.push(
                Diagnostic::error(format!(
                    "{} {}/{} is also rendered from {first}",
                    b.kind(),
                    display_namespace(b.namespace()),
                    b.name()
                ))
                .at(b.file, b.doc, FieldPath::parse("metadata.name")),
            );
        }
    }
    (objects, diagnostics)
}

fn display_namespace(namespace: &str) -> &str {
    if namespace.is_empty() {
        "(no namespace)"
    } else {
        namespace
    }
}

/// A YAML stream, `---` before every document.
pub fn yaml_stream(objects: &[Object]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&object.yaml().unwrap_or_default());
    }
    out
}

/// A `v1/List` holding every object, as `kubectl get -o json` prints several objects.
pub fn json_list(objects: &[Object]) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects.iter().filter_map(Object::value).collect::<Vec<&Value>>(),
    });
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

pub fn render_text(objects: &[Object], format: Format) -> String {
    match format {
        Format::Yaml => yaml_stream(objects),
        Format::Json => json_list(objects),
    }
}

/// File name of an object in an output folder: `<namespace>_<kind>_<name>.yaml`
/// (`<kind>_<name>.yaml` without a namespace).
pub fn file_name(object: &Object, format: Format) -> String {
    let extension = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
    };
    let kind = object.kind().to_lowercase();
    let name = sanitize(object.name());
    match object.namespace() {
        "" => format!("{kind}_{name}.{extension}"),
        ns => format!("{}_{kind}_{name}.{extension}", sanitize(ns)),
    }
}

fn sanitize(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The files of an output folder; names that collide are errors.
pub fn folder_files(
    objects: &[Object],
    format: Format,
) -> Result<BTreeMap<String, String>, Diagnostics> {
    let mut files: BTreeMap<String, (String, &Object)> = BTreeMap::new();
    let mut diagnostics = Diagnostics::new();
    for object in objects {
        let name = file_name(object, format);
        let text = match format {
            Format::Yaml => object.yaml().unwrap_or_default().into_owned(),
            Format::Json => {
                let mut t = object
                    .value()
                    .and_then(|v| serde_json::to_string_pretty(v).ok())
                    .unwrap_or_default();
                t.push('\n');
                t
            }
        };
        if let Some((_, other)) = files.get(&name) {
            diagnostics.push(
                Diagnostic::error(format!(
                    "output file name {name} is shared with {} {} from {}",
                    other.kind(),
                    other.name(),
                    other.source
                ))
                .at(object.file, object.doc, FieldPath::parse("metadata.name")),
            );
        } else {
            files.insert(name, (text, object));
        }
    }
    if diagnostics.is_empty() {
        Ok(files.into_iter().map(|(k, (text, _))| (k, text)).collect())
    } else {
        Err(diagnostics)
    }
}

/// Does `dir` hold exactly `files` (and kiln's marker)?
pub fn folder_matches(dir: &Path, files: &BTreeMap<String, String>) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut seen = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == OUTPUT_MARKER {
            continue;
        }
        match (files.get(&name), fs::read_to_string(entry.path())) {
            (Some(expected), Ok(actual)) if *expected == actual => seen += 1,
            _ => return false,
        }
    }
    seen == files.len() && dir.join(OUTPUT_MARKER).is_file()
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{0}: refusing to replace a folder kiln did not write (no {OUTPUT_MARKER} file); remove it or choose another --output"
    )]
    NotKilnOutput(String),
    #[error("{0}: refusing to write the output over the kiln root or a folder that contains it")]
    ContainsRoot(String),
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// Remove staging folders (`<prefix><pid>`) left by runs that were killed: those whose
/// process no longer exists. A run still going keeps its own.
fn remove_abandoned_staging(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_alive(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a process exists (`kill(pid, 0)`, on Linux and macOS alike): a process of another
/// user (EPERM) exists too, and a number that is no pid counts as alive, so nothing is removed
/// on doubt.
fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// Replace `dir` with exactly `files`, atomically: the new content is written to a sibling
/// folder and swapped in with one `renameat2(RENAME_EXCHANGE)`, so a reader (or a crash)
/// sees the old folder or the new one, never a mix. Where the exchange is not supported,
/// two renames are used.
pub fn write_folder(
    dir: &Path,
    files: &BTreeMap<String, String>,
    root: &Path,
) -> Result<(), OutputError> {
    let shown = dir.display().to_string();
    let io_err = |path: &Path, source: io::Error| OutputError::Io {
        path: path.display().to_string(),
        source,
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
    let parent = fs::canonicalize(&parent).map_err(|e| io_err(&parent, e))?;
    let base = dir
        .file_name()
        .ok_or_else(|| OutputError::ContainsRoot(shown.clone()))?;
    let target = parent.join(base);
    if root.starts_with(&target) {
        return Err(OutputError::ContainsRoot(shown));
    }
    let exists = fs::symlink_metadata(&target).is_ok();
    if exists {
        let is_empty_dir = fs::read_dir(&target).is_ok_and(|mut d| d.next().is_none());
        if !is_empty_dir && !target.join(OUTPUT_MARKER).is_file() {
            return Err(OutputError::NotKilnOutput(shown));
        }
    }
    let prefix = format!(".{}.kiln-new-", base.to_string_lossy());
    remove_abandoned_staging(&parent, &prefix);
    let staging = parent.join(format!("{prefix}{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).map_err(|e| io_err(&staging, e))?;
    let write_all = || -> Result<(), OutputError> {
        for (name, text) in files {
            let path = staging.join(name);
            fs::write(&path, text).map_err(|e| io_err(&path, e))?;
        }
        let marker = staging.join(OUTPUT_MARKER);
        fs::write(
            &marker,
            "Written by kiln render --output; kiln replaces this folder as a whole.\n",
        )
        .map_err(|e| io_err(&marker, e))?;
        if let Ok(handle) = fs::File::open(&staging) {
            let _ = handle.sync_all();
        }
        Ok(())
    };
    if let Err(e) = write_all() {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let result = if exists {
        exchange(&staging, &target)
    } else {
        match fs::rename(&staging, &target) {
            // Another kiln created the folder since we looked: replace its output instead.
            Err(_) if target.join(OUTPUT_MARKER).is_file() => exchange(&staging, &target),
            other => other,
        }
    };
    match result {
        Ok(()) => {
            // After an exchange the old content sits in the staging path.
            let _ = fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            Err(io_err(&target, e))
        }
    }
}

fn exchange(new: &Path, old: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, new, CWD, old, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            let backup = old.with_extension("kiln-old");
            let _ = fs::remove_dir_all(&backup);
            fs::rename(old, &backup)?;
            fs::rename(new, old)?;
            fs::rename(&backup, new)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, ns: &str, name: &str) -> Object {
        Object::new(
            json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns}}),
            "a.yaml",
            0,
            0,
        )
    }

    #[test]
    fn canonical_order() {
        let objects = vec![
            object("CronJob", "a", "x"),
            object("Zebra", "a", "x"),
            object("FlinkDeployment", "b", "a"),
            object("FlinkDeployment", "a", "b"),
            object("Alpha", "a", "x"),
            object("ServiceAccount", "a", "x"),
        ];
        let (sorted, diagnostics) = order(objects, &[]);
        assert!(diagnostics.is_empty());
        let names: Vec<String> = sorted
            .iter()
            .map(|o| format!("{}/{}/{}", o.kind(), o.namespace(), o.name()))
            .collect();
        assert_eq!(
            names,
            [
                "ServiceAccount/a/x",
                "FlinkDeployment/a/b",
                "FlinkDeployment/b/a",
                "CronJob/a/x",
                "Alpha/a/x",
                "Zebra/a/x",
            ]
        );
    }

    #[test]
    fn duplicates_are_errors() {
        let (_, diagnostics) = order(
            vec![object("ConfigMap", "a", "x"), object("ConfigMap", "a", "x")],
            &[],
        );
        assert_eq!(diagnostics.error_count(), 1);
    }

    #[test]
    fn file_names() {
        assert_eq!(
            file_name(&object("FlinkDeployment", "ns", "job"), Format::Yaml),
            "ns_flinkdeployment_job.yaml"
        );
        assert_eq!(
            file_name(&object("Namespace", "", "ns"), Format::Json),
            "namespace_ns.json"
        );
    }

    #[test]
    fn stream_has_separators() {
        let text = yaml_stream(&[object("ConfigMap", "a", "x")]);
        assert!(
            text.starts_with("---\napiVersion: v1\nkind: ConfigMap\n"),
            "{text}"
        );
    }
}
