//! `kiln status`: what the repository asks of the cluster, per pool and per job.
//!
//! Weekly TaskManager-hours are computed, not estimated: the schedules' cron entries are
//! evaluated minute by minute, on the wall clock of the job's time zone (UTC when none), over
//! a fixed reference week — Monday 2025-01-06 00:00 to Monday 2025-01-13 00:00 — after a
//! warm-up week that sets the state the week starts in. A fixed week keeps the output
//! deterministic; schedules tied to particular months or days of the month are evaluated in it.
//! The floor is the schedule's; the ceiling in `scheduled_hpa` is the autoscaler's
//! `maxReplicas` all week, on either engine: git owns that maximum (an HPA requires it, and
//! KEDA has one per ScaledObject), so a window's own maxReplicas cannot lower it.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::cron;
use crate::kinds::flink_job::validate::{FlinkPlan, Role};
use crate::kinds::flink_job::{JobState, JobType};
use crate::kinds::model_pool::validate::PoolPlan;

/// Widest table line.
pub const WIDTH: usize = 80;

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub pools: Vec<PoolStatus>,
    /// Jobs on clusters of their own (a job on a session is listed with its session).
    pub jobs: Vec<JobStatus>,
    pub sessions: Vec<SessionStatus>,
}

/// A FlinkSession and the jobs that run on it.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub namespace: String,
    pub name: String,
    pub flink_version: String,
    pub profile: String,
    /// The fixed TaskManager count; absent when TaskManagers start on demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_managers: Option<u32>,
    pub slots_per_task_manager: u32,
    /// `taskManagers × slotsPerTaskManager`; absent on demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<u64>,
    /// The slots the running jobs hold (their parallelism).
    pub slots_in_use: u64,
    /// The savepoint policy the session gives its jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoints: Option<crate::kinds::flink_job::Savepoints>,
    /// Its jobs by name.
    pub jobs: Vec<SessionJobStatus>,
    pub source: String,
}

/// A job on a session.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionJobStatus {
    pub name: String,
    pub parallelism: u32,
    /// `running` or `suspended` (a suspended job holds no slots).
    pub state: String,
    pub upgrade_mode: String,
    /// The job's own savepoint policy (the session's applies where it sets none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoints: Option<crate::kinds::flink_job::Savepoints>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<crate::kinds::flink_job::Snapshot>,
    pub source: String,
}

impl SessionStatus {
    /// `6 of 8`, or `6 (on demand)`.
    pub fn slots_line(&self) -> String {
        match self.slots {
            Some(slots) => format!("{} of {slots}", self.slots_in_use),
            None => format!("{} (on demand)", self.slots_in_use),
        }
    }
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PoolStatus {
    pub namespace: String,
    pub name: String,
    pub engine: String,
    pub model: String,
    pub model_tag: String,
    pub replicas: u32,
    pub gpus_per_pod: u32,
    pub gpus: u32,
    /// Businesses in name order, then `unassigned`.
    pub distribution: Vec<SliceStatus>,
    /// Pods that can be removed without touching an assigned one (the unassigned slice).
    pub removable: u32,
    pub source: String,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SliceStatus {
    pub business: String,
    /// The assigned count (the floor of an autoscaled slice).
    pub replicas: u32,
    /// The most pods autoscaling may give the slice; absent when it does not autoscale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<u32>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub namespace: String,
    pub name: String,
    #[serde(rename = "type")]
    pub job_type: String,
    pub profile: String,
    pub mode: String,
    /// What drives the mode (`kubernetes` or `keda`); absent in modes without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub parallelism: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub schedules: Vec<ScheduleStatus>,
    /// Scheduled modes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_manager_hours_per_week: Option<Hours>,
    /// The job's savepoint policy, as the spec gives it (absent without `savepoints`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoints: Option<crate::kinds::flink_job::Savepoints>,
    /// The snapshots kept in git (FlinkStateSnapshot objects).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<crate::kinds::flink_job::Snapshot>,
    pub source: String,
}

impl JobStatus {
    /// See [`lifecycle_line`].
    pub fn lifecycle_line(&self) -> Option<String> {
        lifecycle_line(self.savepoints.as_ref(), &self.snapshots)
    }
}

impl SessionJobStatus {
    /// See [`lifecycle_line`].
    pub fn lifecycle_line(&self) -> Option<String> {
        lifecycle_line(self.savepoints.as_ref(), &self.snapshots)
    }
}

/// `savepoints every 6h, at most 5, kept 7d; snapshots before-v2, nightly-cp (checkpoint)`,
/// or None when a job sets none of it.
pub fn lifecycle_line(
    savepoints: Option<&crate::kinds::flink_job::Savepoints>,
    snapshots: &[crate::kinds::flink_job::Snapshot],
) -> Option<String> {
    {
        let mut parts = Vec::new();
        if let Some(s) = savepoints {
            let mut policy = Vec::new();
            if let Some(every) = &s.periodic {
                policy.push(format!("every {every}"));
            }
            if let Some(count) = s.max_count {
                policy.push(format!("at most {count}"));
            }
            if let Some(age) = &s.max_age {
                policy.push(format!("kept {age}"));
            }
            if !policy.is_empty() {
                parts.push(format!("savepoints {}", policy.join(", ")));
            }
        }
        if !snapshots.is_empty() {
            let names: Vec<String> = snapshots
                .iter()
                .map(|s| match s.snapshot_type {
                    crate::kinds::flink_job::SnapshotType::Savepoint => s.name.clone(),
                    crate::kinds::flink_job::SnapshotType::Checkpoint => {
                        format!("{} (checkpoint)", s.name)
                    }
                })
                .collect();
            parts.push(format!("snapshots {}", names.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    pub name: String,
    pub cron: String,
    pub min_replicas: u32,
    pub max_replicas: u32,
}

#[derive(Debug, Serialize, PartialEq, Clone, Copy)]
pub struct Hours {
    /// TaskManager-hours at the schedules' minimum replicas.
    pub min: f64,
    /// TaskManager-hours at the schedules' maximum replicas (equal to `min` in `scheduled`
    /// mode, where the CronJobs set the replica count itself).
    pub max: f64,
}

pub fn report(jobs: &[FlinkPlan], sessions: &[FlinkPlan], pools: &[PoolPlan]) -> Report {
    let mut pools: Vec<PoolStatus> = pools
        .iter()
        .map(|p| {
            let replicas = p.slices.iter().map(|s| s.replicas).sum();
            PoolStatus {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
                engine: p.spec.engine.as_str().to_string(),
                model: p.spec.model.clone(),
                model_tag: p.model_tag.clone(),
                replicas,
                gpus_per_pod: p.spec.gpu.count,
                gpus: replicas * p.spec.gpu.count,
                distribution: p
                    .slices
                    .iter()
                    .map(|s| SliceStatus {
                        business: s.business.clone(),
                        replicas: s.replicas,
                        max_replicas: s.max_replicas,
                    })
                    .collect(),
                removable: p.unassigned(),
                source: p.source.clone(),
            }
        })
        .collect();
    pools.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut sessions: Vec<SessionStatus> =
        sessions.iter().map(|s| session_status(s, jobs)).collect();
    sessions.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut jobs: Vec<JobStatus> = jobs
        .iter()
        .filter(|j| !matches!(j.role, Role::SessionJob { .. }))
        .map(|j| JobStatus {
            namespace: j.namespace.clone(),
            name: j.name.clone(),
            job_type: match j.spec.job_type {
                JobType::Python => "python",
                JobType::Jar => "jar",
                JobType::Sql => "sql",
            }
            .to_string(),
            profile: j.profile.clone(),
            mode: j.mode.as_str().to_string(),
            engine: j.mode.has_engine().then(|| j.engine.as_str().to_string()),
            min_replicas: j.min_replicas,
            max_replicas: j.max_replicas,
            parallelism: j.parallelism,
            time_zone: j.time_zone.clone(),
            schedules: j
                .schedules
                .iter()
                .map(|e| ScheduleStatus {
                    name: e.name.clone(),
                    cron: e.cron.clone(),
                    min_replicas: e.min_replicas,
                    max_replicas: e.max_replicas,
                })
                .collect(),
            task_manager_hours_per_week: weekly_hours(j),
            savepoints: j.spec.savepoints.clone(),
            snapshots: j.spec.snapshots.clone(),
            source: j.source.clone(),
        })
        .collect();
    jobs.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Report {
        pools,
        jobs,
        sessions,
    }
}

fn session_status(session: &FlinkPlan, jobs: &[FlinkPlan]) -> SessionStatus {
    let task_managers = match session.role {
        Role::Session { task_managers } => task_managers,
        _ => None,
    };
    let mut on: Vec<SessionJobStatus> = jobs
        .iter()
        .filter(|j| {
            j.namespace == session.namespace
                && matches!(&j.role, Role::SessionJob { session: name, .. } if *name == session.name)
        })
        .map(|j| SessionJobStatus {
            name: j.name.clone(),
            parallelism: j.parallelism,
            state: match j.spec.state {
                JobState::Running => "running",
                JobState::Suspended => "suspended",
            }
            .to_string(),
            upgrade_mode: j.spec.upgrade_mode.as_str().to_string(),
            savepoints: j.spec.savepoints.clone(),
            snapshots: j.spec.snapshots.clone(),
            source: j.source.clone(),
        })
        .collect();
    on.sort_by(|a, b| a.name.cmp(&b.name));
    SessionStatus {
        namespace: session.namespace.clone(),
        name: session.name.clone(),
        flink_version: session.version.to_string(),
        profile: session.profile.clone(),
        task_managers,
        slots_per_task_manager: session.slots,
        slots: task_managers.map(|n| u64::from(n) * u64::from(session.slots)),
        slots_in_use: on
            .iter()
            .filter(|j| j.state == "running")
            .map(|j| u64::from(j.parallelism))
            .sum(),
        savepoints: session.spec.savepoints.clone(),
        jobs: on,
        source: session.source.clone(),
    }
}

/// Weekly TaskManager-hours of a scheduled job (see the module documentation).
pub fn weekly_hours(plan: &FlinkPlan) -> Option<Hours> {
    if !plan.mode.is_scheduled() || plan.schedules.is_empty() {
        return None;
    }
    let (mut low_minutes, mut high_minutes) = (0u64, 0u64);
    walk_week(plan, |_, low| {
        low_minutes += u64::from(low);
        high_minutes += u64::from(plan.max_replicas);
    })?;
    let min = low_minutes as f64 / 60.0;
    let max = if plan.mode.schedules_move_hpa() {
        high_minutes as f64 / 60.0
    } else {
        min
    };
    Some(Hours { min, max })
}

/// A job's TaskManager floor and ceiling in each of the 168 hours of the reference week
/// (Monday 00:00 in its time zone): the lowest floor and the highest ceiling in the hour.
/// Without schedules, the replica range all week.
pub fn weekly_profile(plan: &FlinkPlan) -> Vec<(u32, u32)> {
    let constant = (plan.min_replicas, plan.max_replicas);
    if !plan.mode.is_scheduled() || plan.schedules.is_empty() {
        return vec![constant; 168];
    }
    let mut hours = vec![(u32::MAX, 0u32); 168];
    let walked = walk_week(plan, |minute, low| {
        let (floor, ceiling) = &mut hours[minute / 60];
        *floor = (*floor).min(low);
        *ceiling = (*ceiling).max(if plan.mode.schedules_move_hpa() {
            plan.max_replicas
        } else {
            low
        });
    });
    if walked.is_none() {
        return vec![constant; 168];
    }
    hours
}

/// Evaluate the job's cron entries minute by minute in its time zone over the reference
/// week (after a week of warm-up, so the range in force at Monday 00:00 is known), calling
/// `each(minute of the week, floor)`.
fn walk_week(plan: &FlinkPlan, mut each: impl FnMut(usize, u32)) -> Option<()> {
    let zone = plan
        .time_zone
        .as_deref()
        .and_then(|z| TimeZone::get(z).ok())
        .unwrap_or(TimeZone::UTC);
    let entries: Vec<(cron::Schedule, u32)> = plan
        .schedules
        .iter()
        .filter_map(|e| cron::parse(&e.cron).ok().map(|s| (s, e.min_replicas)))
        .collect();
    let week_start = jiff::civil::date(2025, 1, 6)
        .at(0, 0, 0, 0)
        .to_zoned(zone.clone())
        .ok()?
        .timestamp();
    let week_end = jiff::civil::date(2025, 1, 13)
        .at(0, 0, 0, 0)
        .to_zoned(zone.clone())
        .ok()?
        .timestamp();
    let warm_up = week_start.as_second() - 7 * 24 * 3600;
    let mut low = plan.min_replicas;
    let mut second = warm_up;
    while second < week_end.as_second() {
        let local = Timestamp::from_second(second).ok()?.to_zoned(zone.clone());
        for (schedule, floor) in &entries {
            let fires = schedule.matches(
                u32::try_from(local.month()).unwrap_or(0),
                u32::try_from(local.day()).unwrap_or(0),
                u32::from(local.weekday().to_sunday_zero_offset().unsigned_abs()),
                u32::try_from(local.hour()).unwrap_or(0),
                u32::try_from(local.minute()).unwrap_or(0),
            );
            if fires {
                low = *floor;
            }
        }
        if second >= week_start.as_second() {
            let minute = usize::try_from((second - week_start.as_second()) / 60).unwrap_or(0);
            // A week with a daylight-saving change has 167 or 169 hours; the last hour
            // takes the extra minutes.
            each(minute.min(168 * 60 - 1), low);
        }
        second += 60;
    }
    Some(())
}

/// Cut a line to the table width.
fn fit(line: &str) -> String {
    if line.chars().count() <= WIDTH {
        line.trim_end().to_string()
    } else {
        let mut cut: String = line.chars().take(WIDTH - 1).collect();
        cut.push('…');
        cut
    }
}

/// Left-aligned columns, separated by two spaces.
fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
                }
            }
            line
        })
        .collect()
}

/// The report as a table that fits an 80-column terminal: pools, jobs, then sessions.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    for section in [pools_table, jobs_table, sessions_table] {
        let mut text = String::new();
        section(report, &mut text);
        if !text.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&text);
        }
    }
    if out.is_empty() {
        out.push_str("no model pools or Flink jobs\n");
    }
    out
}

/// Each pool and its distribution.
fn pools_table(report: &Report, out: &mut String) {
    if report.pools.is_empty() {
        return;
    }
    out.push_str("MODEL POOLS\n");
    let mut rows = vec![
        [
            "NAMESPACE",
            "POOL",
            "ENGINE",
            "PODS",
            "GPUS",
            "REMOVABLE",
            "MODEL",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in &report.pools {
        rows.push(vec![
            p.namespace.clone(),
            p.name.clone(),
            p.engine.clone(),
            p.replicas.to_string(),
            p.gpus.to_string(),
            p.removable.to_string(),
            p.model.clone(),
        ]);
    }
    let lines = columns(&rows);
    out.push_str(&fit(&lines[0]));
    out.push('\n');
    for (p, line) in report.pools.iter().zip(&lines[1..]) {
        out.push_str(&fit(line));
        out.push('\n');
        let distribution: Vec<String> = p
            .distribution
            .iter()
            .map(|s| match s.max_replicas {
                Some(max) => format!("{}({}-{max})", s.business, s.replicas),
                None => format!("{}({})", s.business, s.replicas),
            })
            .collect();
        out.push_str(&fit(&format!("  {}", distribution.join(" "))));
        out.push('\n');
    }
}

/// Each job on its own cluster, its lifecycle and schedules.
fn jobs_table(report: &Report, out: &mut String) {
    if report.jobs.is_empty() {
        return;
    }
    out.push_str("FLINK JOBS\n");
    let mut rows = vec![
        [
            "NAMESPACE",
            "JOB",
            "TYPE",
            "PROFILE",
            "MODE",
            "TASKMANAGERS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for j in &report.jobs {
        rows.push(vec![
            j.namespace.clone(),
            j.name.clone(),
            j.job_type.clone(),
            j.profile.clone(),
            match j.engine.as_deref() {
                Some("keda") => format!("{} (keda)", j.mode),
                _ => j.mode.clone(),
            },
            if j.min_replicas == j.max_replicas {
                j.min_replicas.to_string()
            } else {
                format!("{}-{}", j.min_replicas, j.max_replicas)
            },
        ]);
    }
    let lines = columns(&rows);
    out.push_str(&fit(&lines[0]));
    out.push('\n');
    for (j, line) in report.jobs.iter().zip(&lines[1..]) {
        out.push_str(&fit(line));
        out.push('\n');
        if let Some(lifecycle) = j.lifecycle_line() {
            out.push_str(&fit(&format!("  {lifecycle}")));
            out.push('\n');
        }
        if !j.schedules.is_empty() {
            let zone = j.time_zone.as_deref().unwrap_or("UTC, no time zone set");
            let rows: Vec<Vec<String>> = j
                .schedules
                .iter()
                .map(|s| {
                    vec![
                        format!("  {}", s.name),
                        s.cron.clone(),
                        format!("{}-{}", s.min_replicas, s.max_replicas),
                    ]
                })
                .collect();
            for schedule in columns(&rows) {
                out.push_str(&fit(&schedule));
                out.push('\n');
            }
            if let Some(hours) = j.task_manager_hours_per_week {
                out.push_str(&fit(&format!(
                    "  TaskManager-hours/week: min {:.1}, max {:.1} ({zone})",
                    hours.min, hours.max
                )));
                out.push('\n');
            }
        }
    }
}

/// Each session and the jobs on it.
fn sessions_table(report: &Report, out: &mut String) {
    if report.sessions.is_empty() {
        return;
    }
    out.push_str("FLINK SESSIONS\n");
    let mut rows = vec![
        [
            "NAMESPACE",
            "SESSION",
            "PROFILE",
            "TASKMANAGERS",
            "SLOTS IN USE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in &report.sessions {
        rows.push(vec![
            s.namespace.clone(),
            s.name.clone(),
            s.profile.clone(),
            s.task_managers
                .map_or_else(|| "on demand".to_string(), |n| n.to_string()),
            s.slots_line(),
        ]);
    }
    let lines = columns(&rows);
    out.push_str(&fit(&lines[0]));
    out.push('\n');
    for (s, line) in report.sessions.iter().zip(&lines[1..]) {
        out.push_str(&fit(line));
        out.push('\n');
        if let Some(policy) = lifecycle_line(s.savepoints.as_ref(), &[]) {
            out.push_str(&fit(&format!("  {policy} (for its jobs)")));
            out.push('\n');
        }
        let rows: Vec<Vec<String>> = s
            .jobs
            .iter()
            .map(|j| {
                vec![
                    format!("  {}", j.name),
                    format!("parallelism {}", j.parallelism),
                    j.state.clone(),
                ]
            })
            .collect();
        for (j, line) in s.jobs.iter().zip(columns(&rows)) {
            out.push_str(&fit(&line));
            out.push('\n');
            if let Some(lifecycle) = j.lifecycle_line() {
                out.push_str(&fit(&format!("    {lifecycle}")));
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
// Hours here are whole numbers by construction, so exact comparison is right.
#[allow(clippy::float_cmp)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::kinds::flink_job::AutoscalingMode;
    use crate::kinds::flink_job::catalog;

    fn plan(mode: AutoscalingMode, preset: &str, zone: Option<&str>) -> FlinkPlan {
        let spec: crate::kinds::flink_job::FlinkJobSpec = serde_json::from_value(
            serde_json::json!({"type": "jar", "jar": {"uri": "local:///a.jar"}}),
        )
        .unwrap();
        let schedules = catalog::builtin_preset(preset).unwrap();
        FlinkPlan {
            role: crate::kinds::flink_job::validate::Role::Application,
            file: 0,
            doc: 0,
            source: "a.yaml".into(),
            name: "a".into(),
            namespace: "ns".into(),
            labels: BTreeMap::default(),
            annotations: BTreeMap::default(),
            image: "flink:1.19.3".into(),
            version: crate::kinds::flink_job::version::FlinkVersion::parse("1.19.3").unwrap(),
            service_account: "flink".into(),
            spec,
            profile: "medium".into(),
            job_manager: crate::kinds::flink_job::validate::Sizing {
                cpu: 1.0,
                memory: "1024m".into(),
            },
            job_manager_replicas: 1,
            task_manager: crate::kinds::flink_job::validate::Sizing {
                cpu: 1.0,
                memory: "1024m".into(),
            },
            slots: 1,
            mode,
            engine: crate::kinds::AutoscalingEngine::Kubernetes,
            min_replicas: 1,
            max_replicas: 10,
            target_cpu_utilization: 80,
            schedules,
            week: None,
            scalers: Vec::new(),
            time_zone: zone.map(str::to_string),
            parallelism: 1,
            sql_script: None,
            program: crate::kinds::flink_job::configuration::Program::default(),
            configuration: BTreeMap::new(),
        }
    }

    #[test]
    fn workday_peak_hours_by_hand() {
        // Week from Monday 00:00, starting in the weekend state (1-2) set on Saturday:
        // Mon 0-9h 1-2; each weekday 9-18h 3-10 (5 x 9h); Mon-Thu 18h-9h 1-3 (4 x 15h);
        // Fri 18-24h 1-3 (6h); Sat+Sun 1-2 (48h). 168 hours in all.
        // min = 9 + 5*27 + 4*15 + 6 + 48 = 258; max = the autoscaler's 10 all week = 1680
        // (a window's own maximum cannot lower it).
        let hours = weekly_hours(&plan(
            AutoscalingMode::ScheduledHpa,
            "workday_peak",
            Some("Asia/Shanghai"),
        ))
        .unwrap();
        assert_eq!((hours.min, hours.max), (258.0, 1680.0));
        let utc = weekly_hours(&plan(AutoscalingMode::ScheduledHpa, "workday_peak", None)).unwrap();
        assert_eq!(
            utc, hours,
            "a whole week is the same in any zone without DST changes"
        );
    }

    #[test]
    fn scheduled_mode_runs_at_the_minimum() {
        // 24x7_peak: day 09:00 2-8, night 23:00 1-3 -> 14h x 2 + 10h x 1 per day.
        let hours =
            weekly_hours(&plan(AutoscalingMode::Scheduled, "24x7_peak", Some("UTC"))).unwrap();
        assert_eq!((hours.min, hours.max), (7.0 * 38.0, 7.0 * 38.0));
        let hpa = weekly_hours(&plan(
            AutoscalingMode::ScheduledHpa,
            "24x7_peak",
            Some("UTC"),
        ))
        .unwrap();
        assert_eq!(hpa.max, 168.0 * 10.0);
        assert!(weekly_hours(&plan(AutoscalingMode::HpaReactive, "24x7_peak", None)).is_none());
    }

    #[test]
    fn the_weekly_profile_follows_the_schedules_hour_by_hour() {
        // workday_peak (scheduled_hpa): floor 1 until Monday 09:00, then 3 until 18:00, then
        // 1; Saturday 00:00 still 1. The ceiling is the autoscaler's 10 throughout.
        let week = weekly_profile(&plan(
            AutoscalingMode::ScheduledHpa,
            "workday_peak",
            Some("Asia/Shanghai"),
        ));
        assert_eq!(week.len(), 168);
        assert_eq!(week[0], (1, 10), "Monday 00:00");
        assert_eq!(week[9], (3, 10), "Monday 09:00");
        assert_eq!(week[17], (3, 10), "Monday 17:00");
        assert_eq!(week[18], (1, 10), "Monday 18:00");
        assert_eq!(week[4 * 24 + 23], (1, 10), "Friday 23:00");
        assert_eq!(week[5 * 24], (1, 10), "Saturday 00:00");
        // The hours add up to the weekly TaskManager-hours.
        let floor: u32 = week.iter().map(|w| w.0).sum();
        let ceiling: u32 = week.iter().map(|w| w.1).sum();
        assert_eq!((floor, ceiling), (258, 1680));
        // In scheduled mode the CronJobs set the count: the ceiling is the floor.
        let scheduled = weekly_profile(&plan(AutoscalingMode::Scheduled, "24x7_peak", None));
        assert!(scheduled.iter().all(|(floor, ceiling)| floor == ceiling));
        // Without schedules, the range all week.
        let flat = weekly_profile(&plan(AutoscalingMode::HpaReactive, "24x7_peak", None));
        assert!(flat.iter().all(|w| *w == (1, 10)));
    }

    #[test]
    fn table_lines_fit() {
        assert_eq!(fit(&"x".repeat(100)).chars().count(), WIDTH);
        assert_eq!(fit("short  "), "short");
    }
}
