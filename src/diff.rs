//! `kiln diff`: two renders compared object by object, with impact notes that no text diff
//! shows. Pure: takes the two object lists, returns a report; formatting is separate.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::emit;
use crate::expand::Object;
use crate::kinds::AutoscalingEngine;
use crate::kinds::flink_job::ScheduleEntry;
use crate::kinds::flink_job::validate::FlinkPlan;
use crate::kinds::flink_job::{autoscaling, week};
use crate::yaml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }

    fn sign(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        }
    }
}

/// One object that differs between base and head.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub change: ChangeKind,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The spec or manifest file it comes from (head's, or base's when removed).
    pub source: String,
    /// Unified diff of the YAML documents.
    pub diff: String,
}

impl Change {
    pub fn title(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// What a change will do in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// `restart`, `rescale`, `refused`, `state`, `capacity`, `exposure`, `replace`, `schedule`,
    /// `autoscaling`, `rollout`.
    pub impact: &'static str,
    /// The object, as `Kind namespace/name`.
    pub object: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub summary: Summary,
    pub notes: Vec<Note>,
    pub changes: Vec<Change>,
}

impl Report {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

fn title(value: &Value) -> String {
    let kind = value["kind"].as_str().unwrap_or_default();
    let name = value["metadata"]["name"].as_str().unwrap_or_default();
    match value["metadata"]["namespace"].as_str() {
        Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
        _ => format!("{kind} {name}"),
    }
}

/// Compare two renders. `context` is the number of unchanged lines around each change.
pub fn compare(
    base: &[Object],
    head: &[Object],
    context: usize,
    environment: Option<String>,
) -> Report {
    let base_map: BTreeMap<emit::OrderKey<'_>, &Object> =
        base.iter().map(|o| (emit::sort_key(o), o)).collect();
    let head_map: BTreeMap<emit::OrderKey<'_>, &Object> =
        head.iter().map(|o| (emit::sort_key(o), o)).collect();
    let keys: BTreeSet<&emit::OrderKey<'_>> = base_map.keys().chain(head_map.keys()).collect();
    let mut summary = Summary::default();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for k in keys {
        let (b, h) = (base_map.get(k).copied(), head_map.get(k).copied());
        let (change, object) = match (b, h) {
            (Some(b), Some(h)) if tree(b) == tree(h) => {
                summary.unchanged += 1;
                continue;
            }
            (Some(_), Some(h)) => (ChangeKind::Changed, h),
            (None, Some(h)) => (ChangeKind::Added, h),
            (Some(b), None) => (ChangeKind::Removed, b),
            (None, None) => continue,
        };
        match change {
            ChangeKind::Added => summary.added += 1,
            ChangeKind::Removed => summary.removed += 1,
            ChangeKind::Changed => summary.changed += 1,
        }
        let before = b.map(|o| yaml::to_string(tree(o))).unwrap_or_default();
        let after = h.map(|o| yaml::to_string(tree(o))).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(context)
            .header("base", "head")
            .to_string();
        notes.extend(object_notes(b.map(tree), h.map(tree)));
        changes.push(Change {
            change,
            api_version: object.api_version().to_string(),
            kind: object.kind().to_string(),
            namespace: object.namespace().to_string(),
            name: object.name().to_string(),
            source: object.source.clone(),
            diff,
        });
    }
    notes.extend(pool_notes(base, head));
    Report {
        environment,
        summary,
        notes,
        changes,
    }
}

/// Flattened leaf paths of a JSON value: `spec.flinkConfiguration["a.b"]` → value.
fn leaves(value: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let segment = if k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    }
                } else {
                    format!("{prefix}[{}]", Value::String(k.clone()))
                };
                leaves(v, &segment, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    leaves(before, "spec", &mut a);
    leaves(after, "spec", &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "none".to_string(),
        other => other.to_string(),
    }
}

/// Paths whose change the operator applies without restarting the job: the fields its spec
/// classes mark `@SpecDiff(DiffType.IGNORE)` (JobSpec, AbstractFlinkSpec's flinkConfiguration
/// prefixes), and `job.state`, which suspends or resumes (noted on its own).
fn restart_free(path: &str) -> bool {
    const JOB_FIELDS: [&str; 8] = [
        "spec.job.state",
        "spec.job.savepointRedeployNonce",
        "spec.job.upgradeMode",
        "spec.job.savepointTriggerNonce",
        "spec.job.checkpointTriggerNonce",
        "spec.job.initialSavepointPath",
        "spec.job.allowNonRestoredState",
        "spec.job.initialStateReference",
    ];
    const CONFIG_PREFIXES: [&str; 3] = [
        "kubernetes.operator",
        "job.autoscaler",
        "parallelism.default",
    ];
    JOB_FIELDS
        .iter()
        .any(|f| path == *f || path.starts_with(&format!("{f}.")))
        || path
            .strip_prefix("spec.flinkConfiguration[\"")
            .is_some_and(|key| CONFIG_PREFIXES.iter().any(|p| key.starts_with(p)))
}

/// The spec paths that changed and that the operator does not ignore.
fn upgraded_paths(b: &Value, h: &Value) -> Vec<String> {
    changed_paths(&b["spec"], &h["spec"])
        .into_iter()
        .filter(|p| !restart_free(p))
        .collect()
}

/// The first five paths, and how many more.
fn listed(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(5).map(String::as_str).collect();
    if paths.len() > 5 {
        format!("{} and {} more", shown.join(", "), paths.len() - 5)
    } else {
        shown.join(", ")
    }
}

fn rescale_path(path: &str) -> bool {
    path == "spec.taskManager.replicas" || path == "spec.job.parallelism"
}

fn is_reactive(value: &Value) -> bool {
    value["spec"]["mode"] == "standalone"
        && value["spec"]["flinkConfiguration"]["scheduler-mode"]
            .as_str()
            .is_some_and(|m| m.eq_ignore_ascii_case("reactive"))
}

fn note(impact: &'static str, value: &Value, message: String) -> Note {
    Note {
        impact,
        object: title(value),
        message,
    }
}

fn object_notes(base: Option<&Value>, head: Option<&Value>) -> Vec<Note> {
    let mut notes = Vec::new();
    let Some(any) = head.or(base) else {
        return notes;
    };
    match any["kind"].as_str().unwrap_or_default() {
        "FlinkDeployment" if any["spec"]["job"].is_null() => session_notes(base, head, &mut notes),
        "FlinkDeployment" => flink_notes(base, head, &mut notes),
        "FlinkSessionJob" => session_job_notes(base, head, &mut notes),
        "FlinkStateSnapshot" => notes.extend(snapshot_notes(base, head)),
        "FlinkBlueGreenDeployment" => blue_green_notes(base, head, &mut notes),
        "Service" => {
            if let (Some(b), Some(h)) = (base, head) {
                let (from, to) = (exposure(b), exposure(h));
                if to.0 > from.0 {
                    notes.push(note(
                        "exposure",
                        h,
                        format!("exposure widened: {} → {}", from.1, to.1),
                    ));
                }
            }
        }
        "Deployment" => {
            if let (Some(b), Some(h)) = (base, head)
                && b["spec"]["selector"] != h["spec"]["selector"]
            {
                notes.push(note("replace", h, "the selector changes, and Deployment selectors are immutable: the apply fails unless Argo CD replaces the Deployment (sync option Replace=true) or it is deleted first".to_string()));
            }
        }
        "CronJob" => {
            // A scaler CronJob's schedule is derived from the job's schedule, whose changes
            // are noted from the plans (see `scaling_notes`).
            let scaler = |v: &Value| {
                v["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
                    .as_array()
                    .is_some_and(|args| {
                        args.iter().any(|a| {
                            a.as_str().and_then(|a| a.strip_prefix("--field-manager="))
                                == Some(autoscaling::FIELD_MANAGER)
                        })
                    })
            };
            if let (Some(b), Some(h)) = (base, head)
                && !scaler(h)
            {
                let when = |v: &Value| {
                    format!(
                        "`{}` ({})",
                        text(&v["spec"]["schedule"]),
                        v["spec"]["timeZone"]
                            .as_str()
                            .unwrap_or("controller's time zone")
                    )
                };
                if b["spec"]["schedule"] != h["spec"]["schedule"]
                    || b["spec"]["timeZone"] != h["spec"]["timeZone"]
                {
                    notes.push(note(
                        "schedule",
                        h,
                        format!("schedule changes: {} → {}", when(b), when(h)),
                    ));
                }
            }
        }
        _ => {}
    }
    notes
}

/// (rank, name) of a Service's exposure.
fn exposure(service: &Value) -> (u8, &'static str) {
    match service["spec"]["type"].as_str().unwrap_or("ClusterIP") {
        "LoadBalancer" => {
            let scheme = service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"].as_str();
            if scheme == Some("internal") {
                (1, "internal")
            } else {
                (2, "external")
            }
        }
        "NodePort" => (1, "node port"),
        _ => (0, "cluster"),
    }
}

fn flink_notes(base: Option<&Value>, head: Option<&Value>, notes: &mut Vec<Note>) {
    match (base, head) {
        (Some(b), None) => notes.push(note(
            "state",
            b,
            format!(
                "the FlinkDeployment is removed: its job stops and its state is lost unless a savepoint is taken first (upgradeMode {})",
                text(&b["spec"]["job"]["upgradeMode"])
            ),
        )),
        (Some(b), Some(h)) => {
            if b["spec"]["mode"] != h["spec"]["mode"] {
                notes.push(note("refused", h, format!(
                    "mode changes from {} to {}: the operator refuses to change the mode of a deployment; take a savepoint, delete the FlinkDeployment and let it be recreated",
                    text(&b["spec"]["mode"]), text(&h["spec"]["mode"])
                )));
                return;
            }
            job_notes(b, h, notes);
            let paths = changed_paths(&b["spec"], &h["spec"]);
            let restarting: Vec<String> = paths.iter().filter(|p| !restart_free(p) && !rescale_path(p)).cloned().collect();
            let rescaling = paths.iter().any(|p| rescale_path(p));
            let upgrade = text(&h["spec"]["job"]["upgradeMode"]);
            if !restarting.is_empty() {
                notes.push(note("restart", h, format!(
                    "restarts the job (an upgrade with upgradeMode {upgrade}): {} changed",
                    listed(&restarting)
                )));
            } else if rescaling {
                if is_reactive(h) {
                    notes.push(note("rescale", h, "rescales in place (standalone mode with the reactive scheduler): no restart".to_string()));
                } else {
                    notes.push(note("restart", h, format!(
                        "changing parallelism or replicas in native mode is a full upgrade: the job restarts (upgradeMode {upgrade})"
                    )));
                }
            }
        }
        _ => {}
    }
}

/// A job's state, restore and upgrade mode, in a FlinkDeployment or a FlinkSessionJob.
fn job_notes(b: &Value, h: &Value, notes: &mut Vec<Note>) {
    let (before, after) = (&b["spec"]["job"], &h["spec"]["job"]);
    if before["state"] != after["state"] {
        let message = if after["state"] == "suspended" {
            format!(
                "the job is suspended (upgradeMode {})",
                text(&after["upgradeMode"])
            )
        } else {
            "the job resumes".to_string()
        };
        notes.push(note("state", h, message));
    }
    notes.extend(restore_notes(b, h));
    if before["upgradeMode"] != after["upgradeMode"] {
        notes.push(note(
            "state",
            h,
            format!(
                "upgradeMode changes from {} to {}",
                text(&before["upgradeMode"]),
                text(&after["upgradeMode"])
            ),
        ));
    }
}

/// A session's FlinkDeployment (no `job`): the operator deletes and redeploys the whole
/// cluster on any change of its spec it does not ignore (`SessionReconciler`), so every job
/// on it stops; a change of mode it refuses.
fn session_notes(base: Option<&Value>, head: Option<&Value>, notes: &mut Vec<Note>) {
    let ha = |v: &Value| {
        ["high-availability.type", "high-availability"]
            .iter()
            .any(|k| {
                v["spec"]["flinkConfiguration"][*k]
                    .as_str()
                    .is_some_and(|m| !m.eq_ignore_ascii_case("none"))
            })
    };
    match (base, head) {
        (Some(b), None) => notes.push(note(
            "state",
            b,
            "the session cluster is removed: the operator waits until no FlinkSessionJob runs on it (kubernetes.operator.session.deletion.block-on-session-jobs, default true), so remove or move its jobs in the same change".to_string(),
        )),
        (Some(b), Some(h)) => {
            if b["spec"]["mode"] != h["spec"]["mode"] {
                notes.push(note("refused", h, format!(
                    "mode changes from {} to {} (taskManagers set or left out): the operator refuses to change the mode of a deployment; delete the session's FlinkDeployment and let it be recreated (its jobs stop)",
                    text(&b["spec"]["mode"]), text(&h["spec"]["mode"])
                )));
                return;
            }
            let changed = upgraded_paths(b, h);
            if !changed.is_empty() {
                notes.push(note("restart", h, format!(
                    "the operator deletes the session cluster and deploys it again: every job on it stops{} ({} changed)",
                    if ha(h) {
                        " and recovers from the session's high-availability data"
                    } else {
                        "; without high availability on the session their running state is lost"
                    },
                    listed(&changed)
                )));
            }
        }
        _ => {}
    }
}

/// A FlinkSessionJob: removed, it is cancelled without a savepoint (the operator's
/// `kubernetes.operator.job.savepoint-on-deletion` is off by default); its `deploymentName`
/// cannot change (`DefaultValidator.validateSpecChange`); any other change it does not
/// ignore is an upgrade of the job.
fn session_job_notes(base: Option<&Value>, head: Option<&Value>, notes: &mut Vec<Note>) {
    match (base, head) {
        (Some(b), None) => notes.push(note(
            "state",
            b,
            format!(
                "the session job is removed: the operator cancels it on session {} without a savepoint (unless kubernetes.operator.job.savepoint-on-deletion is true); its state is lost unless a snapshot is taken first",
                text(&b["spec"]["deploymentName"])
            ),
        )),
        (Some(b), Some(h)) => {
            let (from, to) = (&b["spec"]["deploymentName"], &h["spec"]["deploymentName"]);
            if from != to {
                notes.push(note("replace", h, format!(
                    "the job moves from session {} to {}: the operator refuses a changed deploymentName, so the FlinkSessionJob must be deleted and created again (Argo CD sync options Replace=true,Force=true, or delete it first); deleting cancels the job without a savepoint, and the new one starts {}",
                    text(from), text(to),
                    match h["spec"]["job"]["initialSavepointPath"].as_str() {
                        Some(path) => format!("from {path}"),
                        None => "with empty state (take a snapshot first and set restore.path to keep it)".to_string(),
                    }
                )));
                return;
            }
            job_notes(b, h, notes);
            let restarting = upgraded_paths(b, h);
            if !restarting.is_empty() {
                notes.push(note("restart", h, format!(
                    "restarts the job on session {} (an upgrade with upgradeMode {}): {} changed",
                    text(to),
                    text(&h["spec"]["job"]["upgradeMode"]),
                    listed(&restarting)
                )));
            }
        }
        _ => {}
    }
}

/// What a change of a job's autoscaling engine or schedule does, from the two sides' plans:
/// notes only for jobs whose rendered objects changed (`report`'s changes).
pub fn scaling_notes(report: &Report, base: &[FlinkPlan], head: &[FlinkPlan]) -> Vec<Note> {
    let changed: BTreeSet<(&str, &str)> = report
        .changes
        .iter()
        .map(|c| (c.namespace.as_str(), c.source.as_str()))
        .collect();
    let before: BTreeMap<(&str, &str), &FlinkPlan> = base
        .iter()
        .map(|p| ((p.namespace.as_str(), p.name.as_str()), p))
        .collect();
    let mut notes = Vec::new();
    for h in head {
        let Some(b) = before.get(&(h.namespace.as_str(), h.name.as_str())) else {
            continue;
        };
        if !changed.contains(&(h.namespace.as_str(), h.source.as_str())) {
            continue;
        }
        let object = format!("FlinkJob {}/{}", h.namespace, h.name);
        if b.mode.has_engine() && h.mode.has_engine() && b.engine != h.engine {
            notes.push(Note {
                impact: "autoscaling",
                object: object.clone(),
                message: engine_change(b, h),
            });
        }
        if b.mode.is_scheduled() && h.mode.is_scheduled() {
            let windows = window_changes(b, h);
            if !windows.is_empty() {
                let when = match h.engine {
                    AutoscalingEngine::Kubernetes => format!(
                        "applied within {} minutes by the scaler CronJobs",
                        week::HOLD_EVERY
                    ),
                    AutoscalingEngine::Keda => "applied at KEDA's next poll".to_string(),
                };
                notes.push(Note {
                    impact: "schedule",
                    object,
                    message: format!("schedule changes ({when}): {}", windows.join("; ")),
                });
            }
        }
    }
    notes
}

fn engine_change(b: &FlinkPlan, h: &FlinkPlan) -> String {
    match h.engine {
        AutoscalingEngine::Keda if b.mode.has_hpa() => format!(
            "autoscaling moves from kubernetes to keda: the HPA{} pruned and a ScaledObject takes over, so for a moment the job is not autoscaled; KEDA's admission webhook refuses a ScaledObject while another HPA scales the same FlinkDeployment, so sync with pruning (Argo CD prunes before it creates) or delete HPA {} first",
            if b.scalers.is_empty() { " is" } else { " and its scaler CronJobs are" },
            h.name
        ),
        AutoscalingEngine::Keda => "autoscaling moves from kubernetes to keda: the scaler CronJobs are pruned and a ScaledObject takes over, so for a moment nothing holds the schedule".to_string(),
        AutoscalingEngine::Kubernetes => format!(
            "autoscaling moves from keda to kubernetes: the ScaledObject is pruned (KEDA deletes its HPA keda-hpa-{}) and {} over, so for a moment the job is not autoscaled",
            h.name,
            match (h.mode.has_hpa(), h.scalers.is_empty()) {
                (true, true) => "an HPA takes",
                (true, false) => "an HPA with scaler CronJobs takes",
                (false, _) => "scaler CronJobs take",
            }
        ),
    }
}

/// Each schedule entry added, removed or changed (matched by name), and a new time zone.
fn window_changes(b: &FlinkPlan, h: &FlinkPlan) -> Vec<String> {
    let show = |e: &ScheduleEntry| format!("`{}` {}-{}", e.cron, e.min_replicas, e.max_replicas);
    let mut changes = Vec::new();
    if b.time_zone != h.time_zone {
        let zone = |z: &Option<String>| z.clone().unwrap_or_else(|| "no time zone".to_string());
        changes.push(format!(
            "time zone {} → {}",
            zone(&b.time_zone),
            zone(&h.time_zone)
        ));
    }
    for entry in &h.schedules {
        match b.schedules.iter().find(|e| e.name == entry.name) {
            None => changes.push(format!("{} added: {}", entry.name, show(entry))),
            Some(old) if old != entry => {
                changes.push(format!("{} {} → {}", entry.name, show(old), show(entry)));
            }
            Some(_) => {}
        }
    }
    for old in &b.schedules {
        if !h.schedules.iter().any(|e| e.name == old.name) {
            changes.push(format!("{} removed (was {})", old.name, show(old)));
        }
    }
    changes
}

/// A restore: a new `savepointRedeployNonce` redeploys the job from `initialSavepointPath`
/// (the operator cancels it and starts it from there); a new path or
/// `allowNonRestoredState` without a new nonce does nothing to a running job.
fn restore_notes(b: &Value, h: &Value) -> Vec<Note> {
    let (before, after) = (&b["spec"]["job"], &h["spec"]["job"]);
    let mut notes = Vec::new();
    let drops = after["allowNonRestoredState"] == true;
    if redeploys(b, h) {
        notes.push(note(
            "state",
            h,
            format!(
                "the job is cancelled and redeployed from {}{}",
                text(&after["initialSavepointPath"]),
                if drops {
                    "; allowNonRestoredState: state that maps to no operator of the job is dropped"
                } else {
                    ""
                }
            ),
        ));
    } else if before["initialSavepointPath"] != after["initialSavepointPath"]
        || before["allowNonRestoredState"] != after["allowNonRestoredState"]
    {
        notes.push(note(
            "state",
            h,
            "restore.path or allowNonRestoredState changes without a new restore.redeployNonce: a running job is not redeployed (they apply when the job is first deployed, or with a new nonce)".to_string(),
        ));
    }
    notes
}

/// A new `savepointRedeployNonce`: the operator redeploys the job from its savepoint path.
fn redeploys(b: &Value, h: &Value) -> bool {
    let (before, after) = (
        &b["spec"]["job"]["savepointRedeployNonce"],
        &h["spec"]["job"]["savepointRedeployNonce"],
    );
    before != after && !after.is_null()
}

/// A FlinkBlueGreenDeployment, classified as the operator's blue/green diff does
/// (`FlinkBlueGreenDeploymentSpecDiff`): suspend and resume, a redeploy from a savepoint,
/// and every change the FlinkDeployment diff would not ignore starts a transition; changes
/// it ignores patch the active deployment in place.
fn blue_green_notes(base: Option<&Value>, head: Option<&Value>, notes: &mut Vec<Note>) {
    let unwrap = |v: &Value| {
        let mut view = v.clone();
        view["spec"] = v["spec"]["template"]["spec"].clone();
        view
    };
    match (base, head) {
        (Some(b), None) => notes.push(note(
            "state",
            b,
            format!(
                "the FlinkBlueGreenDeployment is removed: its job stops and its state is lost unless a savepoint is taken first (upgradeMode {})",
                text(&b["spec"]["template"]["spec"]["job"]["upgradeMode"])
            ),
        )),
        (Some(b), Some(h)) => {
            let (b, h) = (unwrap(b), unwrap(h));
            let (state_before, state_after) = (&b["spec"]["job"]["state"], &h["spec"]["job"]["state"]);
            if state_before != state_after {
                notes.push(note(
                    "state",
                    &h,
                    if state_after == "suspended" {
                        "the active deployment is suspended in place".to_string()
                    } else {
                        "the job resumes".to_string()
                    },
                ));
                return;
            }
            notes.extend(restore_notes(&b, &h));
            if redeploys(&b, &h) {
                return;
            }
            let transition = upgraded_paths(&b, &h);
            if !transition.is_empty() {
                let name = text(&h["metadata"]["name"]);
                let stateless = h["spec"]["job"]["upgradeMode"] == "stateless";
                notes.push(note(
                    "rollout",
                    &h,
                    format!(
                        "a blue/green transition starts: the inactive one of {name}-blue and {name}-green is deployed {} next to the active one, takes over once ready, and the old one is deleted ({} changed)",
                        if stateless { "with empty state (stateless)" } else { "from a savepoint of the active one" },
                        listed(&transition)
                    ),
                ));
            }
        }
        _ => {}
    }
}

/// A snapshot object added takes the snapshot; one removed is deleted with or without its
/// data.
fn snapshot_notes(base: Option<&Value>, head: Option<&Value>) -> Option<Note> {
    match (base, head) {
        (None, Some(h)) => {
            let what = if h["spec"]["checkpoint"].is_object() {
                "checkpoint"
            } else {
                "savepoint"
            };
            Some(note(
                "state",
                h,
                format!(
                    "a {what} of {} is taken",
                    text(&h["spec"]["jobReference"]["name"])
                ),
            ))
        }
        (Some(b), None) => Some(note(
            "state",
            b,
            if b["spec"]["savepoint"]["disposeOnDelete"] == true {
                "the snapshot object is removed and its savepoint data deleted (disposeOnDelete)"
                    .to_string()
            } else {
                "the snapshot object is removed; its data stays where it is".to_string()
            },
        )),
        _ => None,
    }
}

/// An object's tree. Both sides of a diff are rendered with [`crate::render::Keep::Values`],
/// so every object has one; a frozen object would compare as `null`.
fn tree(object: &Object) -> &Value {
    static NONE: Value = Value::Null;
    object.value().unwrap_or(&NONE)
}

/// Business capacity per pool: `production 2 → 1, unassigned 1 → 2`; an autoscaled slice
/// shows its range (`production 2-6 → 2-8`), read from its ScaledObject or HPA.
fn pool_notes(base: &[Object], head: &[Object]) -> Vec<Note> {
    fn capacity(objects: &[Object]) -> BTreeMap<(String, String), BTreeMap<String, String>> {
        let is_pool = |o: &Object| tree(o)["metadata"]["labels"]["deployment-type"] == "model-pool";
        let mut ranges: BTreeMap<(&str, &str), String> = BTreeMap::new();
        for o in objects.iter().filter(|o| is_pool(o)) {
            let spec = &tree(o)["spec"];
            let range = match o.kind() {
                "ScaledObject" => (&spec["minReplicaCount"], &spec["maxReplicaCount"]),
                "HorizontalPodAutoscaler" => (&spec["minReplicas"], &spec["maxReplicas"]),
                _ => continue,
            };
            let show = |v: &Value| v.as_u64().map_or("?".to_string(), |n| n.to_string());
            ranges.insert(
                (o.namespace(), o.name()),
                format!("{}-{}", show(range.0), show(range.1)),
            );
        }
        let mut pools: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
        for o in objects
            .iter()
            .filter(|o| o.kind() == "Deployment" && is_pool(o))
        {
            let labels = &tree(o)["metadata"]["labels"];
            let pool = labels["app.kubernetes.io/part-of"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let business = labels["business"].as_str().unwrap_or_default().to_string();
            let replicas = match tree(o)["spec"]["replicas"].as_u64() {
                Some(n) => n.to_string(),
                None => ranges
                    .get(&(o.namespace(), o.name()))
                    .cloned()
                    .unwrap_or_else(|| "1".to_string()),
            };
            pools
                .entry((o.namespace().to_string(), pool))
                .or_default()
                .insert(business, replicas);
        }
        pools
    }
    let (before, after) = (capacity(base), capacity(head));
    let pools: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
    let mut notes = Vec::new();
    for pool in pools {
        let empty = BTreeMap::new();
        let (b, h) = (
            before.get(pool).unwrap_or(&empty),
            after.get(pool).unwrap_or(&empty),
        );
        let businesses: BTreeSet<&String> = b.keys().chain(h.keys()).collect();
        let mut parts: Vec<String> = Vec::new();
        let mut unassigned = None;
        for business in businesses {
            let show = |n: Option<&String>| n.map_or("none".to_string(), Clone::clone);
            let (x, y) = (b.get(business), h.get(business));
            if x == y {
                continue;
            }
            let part = format!("{business} {} → {}", show(x), show(y));
            if business == "unassigned" {
                unassigned = Some(part);
            } else {
                parts.push(part);
            }
        }
        parts.extend(unassigned);
        if !parts.is_empty() {
            notes.push(Note {
                impact: "capacity",
                object: format!("ModelPool {}/{}", pool.0, pool.1),
                message: format!("business capacity: {}", parts.join(", ")),
            });
        }
    }
    notes
}

/// Colours for terminal output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Plain text (coloured on a terminal).
pub fn text_output(report: &Report, heading: &str, style: Style) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "{}", style.paint("1", heading));
    let _ = writeln!(
        out,
        "{} added, {} removed, {} changed, {} unchanged",
        s.added, s.removed, s.changed, s.unchanged
    );
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "Impact:"));
        for n in &report.notes {
            let _ = writeln!(out, "  ! {}: {}", style.paint("33", &n.object), n.message);
        }
    }
    for (source, changes) in by_source(&report.changes) {
        let _ = writeln!(out, "\n{}", style.paint("1", source));
        for c in changes {
            let _ = writeln!(out, "  {} {}", c.change.sign(), c.title());
        }
    }
    for c in &report.changes {
        let _ = writeln!(
            out,
            "\n{}",
            style.paint(
                "1",
                &format!("{} {} ({})", c.change.sign(), c.title(), c.source)
            )
        );
        for line in c.diff.lines() {
            let painted = if line.starts_with("+++") || line.starts_with("---") {
                style.paint("1", line)
            } else if line.starts_with('+') {
                style.paint("32", line)
            } else if line.starts_with('-') {
                style.paint("31", line)
            } else if line.starts_with("@@") {
                style.paint("36", line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "{painted}");
        }
    }
    out
}

fn by_source(changes: &[Change]) -> BTreeMap<&str, Vec<&Change>> {
    let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        groups.entry(c.source.as_str()).or_default().push(c);
    }
    groups
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Text from the repository made inert in one line of markdown or HTML: `&`, `<` and `>`
/// escaped, and line breaks and other control characters written as escapes, so a name or
/// message cannot close a block or start a heading of its own.
fn escape_html(text: &str) -> String {
    crate::diagnostic::escaped(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown for a pull-request comment, at most `max_length` characters: the summary and
/// notes first, then one `<details>` block per object grouped by source, cut at object
/// boundaries with a note of what was left out. Fences and blocks are always closed.
pub fn markdown_output(report: &Report, heading: &str, max_length: usize) -> String {
    let s = &report.summary;
    let mut head = format!(
        "### {}\n\n| added | removed | changed | unchanged |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
        escape_html(heading),
        s.added,
        s.removed,
        s.changed,
        s.unchanged
    );
    if !report.notes.is_empty() {
        head.push_str("\n**Impact**\n\n");
        for n in &report.notes {
            let _ = writeln!(
                head,
                "- **{}**: {}",
                escape_html(&n.object),
                escape_html(&n.message)
            );
        }
    }
    let mut blocks: Vec<(String, String)> = Vec::new();
    for (source, changes) in by_source(&report.changes) {
        let mut first = true;
        for c in changes {
            let mut block = String::new();
            if first {
                let _ = write!(
                    block,
                    "\n#### `{}`\n",
                    crate::diagnostic::escaped(source).replace('`', "'")
                );
                first = false;
            }
            let f = fence(&c.diff);
            let _ = write!(
                block,
                "\n<details><summary>{} {}</summary>\n\n{f}diff\n{}{}{f}\n\n</details>\n",
                c.change.sign(),
                escape_html(&c.title()),
                c.diff,
                if c.diff.ends_with('\n') { "" } else { "\n" }
            );
            blocks.push((c.title(), block));
        }
    }
    let mut out = head;
    if out.chars().count() > max_length {
        out = out
            .chars()
            .take(max_length.saturating_sub(1))
            .collect::<String>();
        out.push('\n');
        return out;
    }
    let mut used = out.chars().count();
    let mut left_out: Vec<String> = Vec::new();
    for (i, (name, block)) in blocks.iter().enumerate() {
        let remaining = blocks.len() - i - 1;
        // Room for this block and, if anything is cut after it, the closing note.
        let reserve = if remaining > 0 { 200 } else { 0 };
        let size = block.chars().count();
        if left_out.is_empty() && used + size + reserve <= max_length {
            out.push_str(block);
            used += size;
        } else {
            left_out.push(name.clone());
        }
    }
    if !left_out.is_empty() {
        let mut cut = format!(
            "\n> {} object diff{} not shown to stay within {max_length} characters",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" }
        );
        let listed: Vec<String> = left_out.iter().take(5).map(|n| escape_html(n)).collect();
        let _ = writeln!(
            cut,
            ": {}{}.",
            listed.join(", "),
            if left_out.len() > 5 { ", …" } else { "" }
        );
        if used + cut.chars().count() > max_length {
            cut = format!("\n> {} object diffs not shown.\n", left_out.len());
        }
        if used + cut.chars().count() <= max_length {
            out.push_str(&cut);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flink(mode: &str, replicas: u64, image: &str) -> Object {
        let mut conf = json!({"taskmanager.numberOfTaskSlots": "1"});
        if mode == "standalone" {
            conf["scheduler-mode"] = json!("reactive");
        }
        Object::new(
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                   "metadata": {"name": "job", "namespace": "ns"},
                   "spec": {"mode": mode, "image": image, "flinkConfiguration": conf,
                            "taskManager": {"replicas": replicas}, "job": {"upgradeMode": "savepoint", "state": "running"}}}),
            "jobs/job.yaml",
            0,
            0,
        )
    }

    fn impacts(base: &[Object], head: &[Object]) -> Vec<String> {
        compare(base, head, 3, None)
            .notes
            .into_iter()
            .map(|n| format!("{}: {}", n.impact, n.message))
            .collect()
    }

    #[test]
    fn restart_versus_rescale() {
        assert_eq!(
            impacts(&[flink("native", 2, "a:1")], &[flink("native", 2, "a:2")]),
            [
                "restart: restarts the job (an upgrade with upgradeMode savepoint): spec.image changed"
            ]
        );
        assert!(
            impacts(
                &[flink("standalone", 2, "a:1")],
                &[flink("standalone", 4, "a:1")]
            )[0]
            .starts_with("rescale: rescales in place")
        );
        assert!(
            impacts(&[flink("native", 2, "a:1")], &[flink("native", 4, "a:1")])[0]
                .starts_with("restart: changing parallelism or replicas in native mode")
        );
        assert!(
            impacts(
                &[flink("native", 2, "a:1")],
                &[flink("standalone", 2, "a:1")]
            )[0]
            .starts_with("refused: mode changes from native to standalone")
        );
        assert!(
            impacts(&[flink("native", 2, "a:1")], &[])[0]
                .starts_with("state: the FlinkDeployment is removed")
        );
        assert!(impacts(&[flink("native", 2, "a:1")], &[flink("native", 2, "a:1")]).is_empty());
    }

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
