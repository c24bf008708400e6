//! Environment patches ("kustomize-free"): RFC 7386 merge patches and RFC 6902 JSON patches.
//!
//! A patch whose target kind is a kiln kind patches spec documents before validation and
//! expansion; any other kind patches rendered objects (and pass-through manifests) after
//! expansion. Patches apply in the order kiln.yaml lists them. A patch that matches nothing,
//! or a JSON patch operation that fails, is an error located at the patch in kiln.yaml.

use std::collections::BTreeMap;

use globset::{Glob, GlobMatcher};
use serde_json::Value;

use crate::config::{Environment, Patch};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field_path::FieldPath;
use crate::kinds::Kind;
use crate::selector::Selector;

/// When a patch applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// To spec documents, before validation.
    Specs,
    /// To rendered objects, after expansion.
    Manifests,
}

/// One patch, ready to match and apply.
#[derive(Debug)]
pub struct Compiled {
    /// Field path of the patch in kiln.yaml (`environments.prod.patches[1]`).
    pub path: FieldPath,
    pub patch: Patch,
    name: Option<GlobMatcher>,
    namespace: Option<GlobMatcher>,
    selector: Option<Selector>,
    operations: Option<json_patch::Patch>,
}

impl Compiled {
    /// The nodes the patch holds (merge patch and JSON patch values).
    fn nodes(&self) -> usize {
        self.patch.merge_patch.as_ref().map_or(0, nodes)
            + self
                .operations
                .as_ref()
                .map_or(0, |ops| ops.0.iter().map(operation_nodes).sum())
    }

    pub fn stage(&self) -> Stage {
        if Kind::from_name(&self.patch.target.kind).is_some_and(|k| k != Kind::Config) {
            Stage::Specs
        } else {
            Stage::Manifests
        }
    }

    /// `kind FlinkDeployment, name clickstream-*, labelSelector team=growth`.
    pub fn describe_target(&self) -> String {
        let t = &self.patch.target;
        let mut parts = vec![format!("kind {}", t.kind)];
        if let Some(name) = &t.name {
            parts.push(format!("name {name}"));
        }
        if let Some(namespace) = &t.namespace {
            parts.push(format!("namespace {namespace}"));
        }
        if let Some(selector) = &t.label_selector {
            parts.push(format!("labelSelector {selector}"));
        }
        parts.join(", ")
    }

    fn matches(&self, object: &Value, default_namespace: Option<&str>) -> bool {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != self.patch.target.kind {
            return false;
        }
        let metadata = object.get("metadata");
        let field = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
        let namespace = field("namespace").or(default_namespace).unwrap_or_default();
        self.name
            .as_ref()
            .is_none_or(|g| g.is_match(field("name").unwrap_or_default()))
            && self
                .namespace
                .as_ref()
                .is_none_or(|g| g.is_match(namespace))
            && self.selector.as_ref().is_none_or(|s| {
                // Labels are copied only when a selector asks for them.
                let labels: BTreeMap<String, String> = metadata
                    .and_then(|m| m.get("labels"))
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                s.matches(&labels)
            })
    }

    /// The patched object; an error names the JSON patch operation that failed, if one did.
    /// All or nothing, on a copy: json-patch's own rollback (`patch`) panics when undoing a
    /// failed `move` (found by the patch fuzzer, fuzz/regressions/patch/).
    fn apply(&self, object: &Value, limit: usize) -> Result<Value, (Option<usize>, String)> {
        let mut patched = object.clone();
        if let Some(merge) = &self.patch.merge_patch {
            // A merge patch adds at most its own nodes, which the budget counts.
            json_patch::merge(&mut patched, merge);
        }
        if let Some(operations) = &self.operations {
            let mut size = nodes(&patched);
            for (i, operation) in operations.0.iter().enumerate() {
                // Only a copy can add more than the patch holds: count what it copies first.
                if let json_patch::PatchOperation::Copy(copy) = operation {
                    size += patched.pointer(copy.from.as_str()).map_or(0, nodes);
                } else {
                    size += operation_nodes(operation);
                }
                if size > limit {
                    return Err((
                        Some(i),
                        format!(
                            "operation {i} ({}) would make the object hold more than {limit} nodes: an environment's patches may grow an object to at most {GROWTH_FACTOR} times the nodes of the object and the patches together, and never beyond {MAX_PATCHED_NODES}",
                            operation_path(operation)
                        ),
                    ));
                }
                json_patch::patch_unsafe(&mut patched, std::slice::from_ref(operation)).map_err(
                    |e| {
                        (
                            Some(i),
                            format!("operation {i} ({}) failed: {}", e.path, e.kind),
                        )
                    },
                )?;
            }
        }
        Ok(patched)
    }
}

/// An object's apiVersion and kind, which no patch may change.
fn identity(object: &Value) -> (Value, Value) {
    let field = |key| object.get(key).cloned().unwrap_or(Value::Null);
    (field("apiVersion"), field("kind"))
}

/// A patched object is checked again as any object leaving kiln is (`crate::object`), and
/// keeps its apiVersion and kind.
fn still_valid(object: &Value, before: &Value) -> Result<(), String> {
    if identity(object) != identity(before) {
        return Err(
            "the patch changes the object's apiVersion or kind; a patch may change an object, not turn it into another".into(),
        );
    }
    if depth(object) > crate::yaml::MAX_DEPTH {
        return Err(format!(
            "the patched object nests deeper than {} levels, the limit of every input",
            crate::yaml::MAX_DEPTH
        ));
    }
    match crate::object::problems(object).into_iter().next() {
        None => Ok(()),
        Some((path, message)) if path.is_empty() => {
            Err(format!("the patched object is invalid: {message}"))
        }
        Some((path, message)) => Err(format!(
            "the patched object is invalid at {path}: {message}"
        )),
    }
}

/// How much an environment's patches may grow an object, all together: `GROWTH_FACTOR` times
/// the nodes of the object before the first patch and of the patches, and never more than
/// `MAX_PATCHED_NODES` (the node limit of one input file). Twenty `copy` operations that each
/// double an object stop at the limit, and so do many patches that each stay under it.
pub const GROWTH_FACTOR: usize = 4;
pub const MAX_PATCHED_NODES: usize = crate::yaml::MAX_NODES;

fn growth_limit(input_nodes: usize) -> usize {
    input_nodes
        .saturating_mul(GROWTH_FACTOR)
        .min(MAX_PATCHED_NODES)
}

/// Nodes of a value: every scalar, array and object counts one (keys go with their values).
pub fn nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(nodes).sum(),
        Value::Object(map) => map.values().map(nodes).sum(),
        _ => 0,
    }
}

/// Nesting levels of a value (a scalar is one); stops counting past the input limit.
fn depth(value: &Value) -> usize {
    fn walk(value: &Value, level: usize) -> usize {
        if level > crate::yaml::MAX_DEPTH {
            return level;
        }
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => return level,
        };
        children.map(|c| walk(c, level + 1)).max().unwrap_or(level)
    }
    walk(value, 1)
}

fn operation_nodes(operation: &json_patch::PatchOperation) -> usize {
    use json_patch::PatchOperation as Op;
    match operation {
        Op::Add(op) => nodes(&op.value),
        Op::Replace(op) => nodes(&op.value),
        Op::Test(op) => nodes(&op.value),
        Op::Remove(_) | Op::Move(_) | Op::Copy(_) => 1,
    }
}

fn operation_path(operation: &json_patch::PatchOperation) -> String {
    use json_patch::PatchOperation as Op;
    match operation {
        Op::Add(op) => format!("add {}", op.path),
        Op::Remove(op) => format!("remove {}", op.path),
        Op::Replace(op) => format!("replace {}", op.path),
        Op::Move(op) => format!("move {} to {}", op.from, op.path),
        Op::Copy(op) => format!("copy {} to {}", op.from, op.path),
        Op::Test(op) => format!("test {}", op.path),
    }
}

/// Compile an environment's patches. Problems (both or neither of mergePatch/jsonPatch, bad
/// globs or selectors) are errors at the patch; such patches are left out.
pub fn compile(
    name: &str,
    environment: &Environment,
) -> (Vec<Compiled>, Vec<(FieldPath, Diagnostic)>) {
    let mut compiled = Vec::new();
    let mut problems = Vec::new();
    for (i, patch) in environment.patches.iter().enumerate() {
        let path = FieldPath::root()
            .key("environments")
            .key(name)
            .key("patches")
            .index(i);
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            let at = if field.is_empty() {
                path.clone()
            } else {
                path.clone().join(&FieldPath::parse(field))
            };
            errors.push((at, Diagnostic::error(message)));
        };
        match (&patch.merge_patch, &patch.json_patch) {
            (Some(_), Some(_)) => fail("", "set one of mergePatch or jsonPatch, not both".into()),
            (None, None) => fail("", "a patch needs mergePatch or jsonPatch".into()),
            _ => {}
        }
        let glob = |pattern: &Option<String>, field: &str, fail: &mut dyn FnMut(&str, String)| {
            pattern.as_ref().and_then(|p| match Glob::new(p) {
                Ok(g) => Some(g.compile_matcher()),
                Err(e) => {
                    fail(field, format!("invalid glob \"{p}\": {e}"));
                    None
                }
            })
        };
        let name_glob = glob(&patch.target.name, "target.name", &mut fail);
        let namespace_glob = glob(&patch.target.namespace, "target.namespace", &mut fail);
        let selector =
            patch
                .target
                .label_selector
                .as_ref()
                .and_then(|s| match Selector::parse(s) {
                    Ok(selector) => Some(selector),
                    Err(e) => {
                        fail("target.labelSelector", e);
                        None
                    }
                });
        let operations = patch.json_patch.as_ref().and_then(|ops| {
            let value = serde_json::to_value(ops).unwrap_or(Value::Null);
            match serde_json::from_value::<json_patch::Patch>(value) {
                Ok(p) => Some(p),
                Err(e) => {
                    fail("jsonPatch", format!("invalid JSON patch: {e}"));
                    None
                }
            }
        });
        if patch.target.kind == Kind::Config.name() {
            fail("target.kind", "kiln.yaml itself cannot be patched".into());
        }
        if errors.is_empty() {
            compiled.push(Compiled {
                path,
                patch: patch.clone(),
                name: name_glob,
                namespace: namespace_glob,
                selector,
                operations,
            });
        }
        problems.extend(errors);
    }
    (compiled, problems)
}

/// Something a patch may apply to, and where it came from (for messages).
pub struct Patchable<'a> {
    pub value: &'a mut Value,
    /// `FlinkJob clickstream (jobs/clickstream.yaml)`.
    pub describe: String,
}

/// Apply every patch of `stage` to the matching items, in order. Returns, per patch that
/// failed or matched nothing, its path in kiln.yaml and the error; and the indices of the items
/// that were patched.
pub fn apply(
    patches: &[Compiled],
    stage: Stage,
    items: &mut [Patchable<'_>],
    default_namespace: Option<&str>,
) -> (Vec<(FieldPath, Diagnostic)>, Vec<usize>) {
    let mut tally = Tally::new(patches, stage);
    let mut touched = Vec::new();
    for (i, item) in items.iter_mut().enumerate() {
        if tally.apply(item.value, default_namespace, |_| item.describe.clone()) {
            touched.push(i);
        }
    }
    (tally.finish(), touched)
}

/// The patches of one stage applied object by object (so objects can be patched as they are
/// produced, on several threads), counting matches to report a patch that matched nothing.
pub struct Tally<'a> {
    patches: Vec<&'a Compiled>,
    /// The nodes of all the stage's patches together, for the growth budget.
    patch_nodes: usize,
    matched: Vec<usize>,
    /// With the index of the patch, to report in the order of kiln.yaml.
    problems: Vec<(usize, FieldPath, Diagnostic)>,
}

impl<'a> Tally<'a> {
    pub fn new(patches: &'a [Compiled], stage: Stage) -> Self {
        let patches: Vec<&Compiled> = patches.iter().filter(|p| p.stage() == stage).collect();
        Tally {
            matched: vec![0; patches.len()],
            patch_nodes: patches.iter().map(|p| p.nodes()).sum(),
            patches,
            problems: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patches.is_empty()
    }

    /// Apply every matching patch to `value`, in order; `describe` names it in errors.
    /// Returns whether any patch was applied.
    pub fn apply(
        &mut self,
        value: &mut Value,
        default_namespace: Option<&str>,
        describe: impl Fn(&Value) -> String,
    ) -> bool {
        let mut any = false;
        // One budget for all the patches of an object, from its size before the first.
        let mut limit = None;
        for (index, (patch, matched)) in
            self.patches.iter().zip(self.matched.iter_mut()).enumerate()
        {
            if !patch.matches(value, default_namespace) {
                continue;
            }
            *matched += 1;
            let limit = *limit.get_or_insert_with(|| growth_limit(nodes(value) + self.patch_nodes));
            let patched = patch.apply(value, limit).and_then(|patched| {
                still_valid(&patched, value).map_err(|problem| (None, problem))?;
                Ok(patched)
            });
            match patched {
                Ok(patched) => {
                    *value = patched;
                    any = true;
                }
                Err((operation, e)) => {
                    let at = match operation {
                        Some(i) => patch.path.key("jsonPatch").index(i),
                        None => patch.path.clone(),
                    };
                    self.problems.push((
                        index,
                        at,
                        Diagnostic::error(format!("patch on {} failed: {e}", describe(value)))
                            .with_hint(format!("target: {}", patch.describe_target())),
                    ));
                }
            }
        }
        any
    }

    /// Add another tally of the same patches (from another thread).
    pub fn merge(&mut self, other: Tally<'a>) {
        for (mine, theirs) in self.matched.iter_mut().zip(other.matched) {
            *mine += theirs;
        }
        self.problems.extend(other.problems);
    }

    /// The problems, patch by patch in the order of kiln.yaml: failed applications, and the
    /// patches that matched nothing.
    pub fn finish(mut self) -> Vec<(FieldPath, Diagnostic)> {
        for (index, (patch, matched)) in self.patches.iter().zip(&self.matched).enumerate() {
            if *matched == 0 {
                self.problems.push((
                    index,
                    patch.path.clone(),
                    Diagnostic::error(format!(
                        "patch matches nothing: {}",
                        patch.describe_target()
                    )),
                ));
            }
        }
        self.problems.sort_by_key(|(index, _, _)| *index);
        self.problems
            .into_iter()
            .map(|(_, path, d)| (path, d))
            .collect()
    }
}

/// Diagnostics of a patch, located in kiln.yaml.
pub fn located(
    problems: Vec<(FieldPath, Diagnostic)>,
    config_file: usize,
    diagnostics: &mut Diagnostics,
) {
    for (path, d) in problems {
        diagnostics.push(d.at(config_file, 0, path));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn environment(patches: &Value) -> Environment {
        serde_json::from_value(json!({"patches": patches})).unwrap()
    }

    fn objects() -> Vec<Value> {
        vec![
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": {"name": "click-a", "namespace": "prod", "labels": {"team": "growth"}}, "spec": {"x": 1}}),
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": {"name": "other", "namespace": "prod", "labels": {"team": "ads"}}, "spec": {"x": 1}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "click-a-scale", "namespace": "prod"}, "spec": {}}),
        ]
    }

    fn run(patches: &Value) -> (Vec<Value>, Vec<String>) {
        let (compiled, problems) = compile("prod", &environment(patches));
        assert!(problems.is_empty(), "{problems:?}");
        let mut values = objects();
        let mut items: Vec<Patchable<'_>> = values
            .iter_mut()
            .map(|v| Patchable {
                describe: "object".into(),
                value: v,
            })
            .collect();
        let (problems, _) = apply(&compiled, Stage::Manifests, &mut items, None);
        let messages = problems
            .into_iter()
            .map(|(p, d)| format!("{p}: {}", d.message))
            .collect();
        (values, messages)
    }

    #[test]
    fn merge_patch_by_selector() {
        let (values, problems) = run(
            &json!([{"target": {"kind": "FlinkDeployment", "labelSelector": "team=growth"}, "mergePatch": {"spec": {"x": 2, "y": true}}}]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(values[0]["spec"], json!({"x": 2, "y": true}));
        assert_eq!(values[1]["spec"], json!({"x": 1}));
    }

    #[test]
    fn json_patch_by_name_glob() {
        let (values, problems) = run(
            &json!([{"target": {"kind": "FlinkDeployment", "name": "click-*"}, "jsonPatch": [{"op": "add", "path": "/spec/z", "value": "720"}]}]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(values[0]["spec"]["z"], "720");
        assert!(values[1]["spec"].get("z").is_none());
    }

    #[test]
    fn failures_and_misses_name_the_patch() {
        let (values, problems) = run(&json!([
            {"target": {"kind": "Service"}, "mergePatch": {"a": 1}},
            {"target": {"kind": "FlinkDeployment", "name": "other"}, "jsonPatch": [{"op": "add", "path": "/spec/q", "value": 1}, {"op": "replace", "path": "/spec/missing/deep", "value": 1}]},
        ]));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            problems[0],
            "environments.prod.patches[0]: patch matches nothing: kind Service"
        );
        assert!(problems[1].starts_with("environments.prod.patches[1].jsonPatch[1]: patch on object failed: operation 1 (/spec/missing/deep)"), "{}", problems[1]);
        assert!(
            values[1]["spec"].get("q").is_none(),
            "a failed JSON patch is rolled back whole"
        );
    }

    #[test]
    fn malformed_patches_are_refused() {
        let (compiled, problems) = compile(
            "prod",
            &environment(&json!([
                {"target": {"kind": "FlinkJob"}, "mergePatch": {}, "jsonPatch": []},
                {"target": {"kind": "FlinkJob"}},
                {"target": {"kind": "FlinkJob", "labelSelector": "a in b"}, "mergePatch": {}},
            ])),
        );
        assert!(compiled.is_empty());
        let messages: Vec<String> = problems
            .iter()
            .map(|(p, d)| format!("{p}: {}", d.message))
            .collect();
        assert_eq!(
            messages[0],
            "environments.prod.patches[0]: set one of mergePatch or jsonPatch, not both"
        );
        assert_eq!(
            messages[1],
            "environments.prod.patches[1]: a patch needs mergePatch or jsonPatch"
        );
        assert!(
            messages[2].starts_with("environments.prod.patches[2].target.labelSelector: "),
            "{}",
            messages[2]
        );
    }

    #[test]
    fn stages() {
        let (compiled, _) = compile(
            "prod",
            &environment(&json!([
                {"target": {"kind": "FlinkJob"}, "mergePatch": {}},
                {"target": {"kind": "FlinkDeployment"}, "mergePatch": {}},
            ])),
        );
        assert_eq!(compiled[0].stage(), Stage::Specs);
        assert_eq!(compiled[1].stage(), Stage::Manifests);
    }
}
