//! The KEDA engine: one ScaledObject per job on the FlinkDeployment's scale subresource,
//! with a cpu trigger in the hpa modes and cron triggers that reproduce the schedule's floor.
//!
//! KEDA's cron scaler (`pkg/scalers/cron_scaler.go`) decides at each poll whether a trigger
//! is active by comparing the next time its `start` fires with the next time its `end`
//! fires: active when the end comes first (or both at once). It never looks back. So
//! "this entry's cron as start, the next entry's as end" is wrong whenever the entries fire
//! on different days: on a Saturday, `0 18 * * 1-5` to `0 9 * * 1-5` is active (Monday 09:00
//! comes before Monday 18:00) although the weekend entry is in force. kiln builds the
//! triggers from the schedule's week instead: each run of windows with the same floor above
//! `minReplicaCount` is a pair of one-minute-of-the-day crons, and runs with the same start
//! time, length and floor share one trigger (their days listed). Between the starts of such
//! a trigger its end always comes first, and nowhere else, so it is active exactly during
//! its runs; the runs do not overlap, so the floor KEDA applies — the highest active
//! trigger's `desiredReplicas`, else `minReplicaCount` — is the schedule's at every minute.
//! A window's maxReplicas has nowhere to go: `maxReplicaCount` is the range's maximum.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::autoscaling::behavior;
use super::expand as flink;
use super::validate::FlinkPlan;
use super::week::{self, MINUTES, Week};
use crate::expand::{Stamp, resource};
use crate::kinds::flink_job::ScheduleEntry;
use crate::kinds::model_pool::expand::KEDA_API_VERSION;

/// The time zone of cron triggers of a job that sets none (KEDA requires one).
pub const DEFAULT_TIME_ZONE: &str = "Etc/UTC";

/// A cron trigger: `desired` replicas from `start` until `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronTrigger {
    pub name: String,
    pub start: String,
    pub end: String,
    pub desired: u32,
}

/// The cron triggers that hold the schedule's floor above `base` (`minReplicaCount`), in
/// order of their first start in the week (Monday 00:00 first). Named after the entry whose
/// window starts each, with `-2`, `-3`… when one entry needs several.
pub fn cron_triggers(week: &Week, entries: &[ScheduleEntry], base: u32) -> Vec<CronTrigger> {
    const DAY: u32 = 24 * 60;
    /// Runs that start at the same minute of the day, last as long and hold the same floor.
    struct Group {
        first_start: u32,
        entry: usize,
        start_days: u64,
        end_days: u64,
    }
    // (start minute of the day, length, floor) → its runs.
    let mut groups: BTreeMap<(u32, u32, u32), Group> = BTreeMap::new();
    for run in week.runs(|e| entries[e].min_replicas) {
        if run.value <= base || run.len >= MINUTES {
            continue;
        }
        let group = groups
            .entry((run.start % DAY, run.len, run.value))
            .or_insert(Group {
                first_start: run.start,
                entry: run.entry,
                start_days: 0,
                end_days: 0,
            });
        group.start_days |= 1 << week::clock(run.start).0;
        group.end_days |= 1 << week::clock(run.start + run.len).0;
    }
    let mut ordered: Vec<_> = groups.into_iter().collect();
    ordered.sort_by_key(|(_, g)| g.first_start);
    let mut used: BTreeSet<String> = BTreeSet::from(["cpu".to_string()]);
    ordered
        .into_iter()
        .map(|((start_of_day, len, floor), group)| {
            let base_name = &entries[group.entry].name;
            let mut name = base_name.clone();
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base_name}-{n}");
            }
            CronTrigger {
                name,
                start: week::at(start_of_day, group.start_days),
                end: week::at((start_of_day + len) % DAY, group.end_days),
                desired: floor,
            }
        })
        .collect()
}

/// The lowest floor of the week: `minReplicaCount` of a scheduled job, so that the triggers
/// hold only what lies above it (a schedule never goes below it, whatever
/// `autoscaling.minReplicas` says).
pub fn lowest_floor(week: &Week, entries: &[ScheduleEntry]) -> u32 {
    week.windows
        .iter()
        .map(|w| entries[w.entry].min_replicas)
        .min()
        .unwrap_or(1)
}

/// The job's ScaledObject.
pub fn scaled_object(plan: &FlinkPlan, stamp: &Stamp<'_>) -> Value {
    let mut triggers = Vec::new();
    if plan.mode.has_hpa() {
        triggers.push(json!({
            "type": "cpu",
            "name": "cpu",
            "metricType": "Utilization",
            "metadata": {"value": plan.target_cpu_utilization.to_string()},
        }));
    }
    let week = plan.week.as_ref().filter(|_| plan.mode.is_scheduled());
    let min_replicas = week.map_or(plan.min_replicas, |w| lowest_floor(w, &plan.schedules));
    if let Some(week) = week {
        let zone = plan.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE);
        for t in cron_triggers(week, &plan.schedules, min_replicas) {
            triggers.push(json!({
                "type": "cron",
                "name": t.name,
                "metadata": {
                    "timezone": zone,
                    "start": t.start,
                    "end": t.end,
                    "desiredReplicas": t.desired.to_string(),
                },
            }));
        }
    }
    let mut spec = json!({
        "scaleTargetRef": {
            "apiVersion": flink::API_VERSION,
            "kind": flink::KIND,
            "name": plan.name,
        },
        "minReplicaCount": min_replicas,
        "maxReplicaCount": plan.max_replicas,
        "advanced": {"horizontalPodAutoscalerConfig": {}},
    });
    spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] = behavior();
    spec["triggers"] = Value::Array(triggers);
    resource(
        KEDA_API_VERSION,
        "ScaledObject",
        stamp.metadata(&plan.name, &plan.namespace),
        [("spec", spec)],
    )
}
