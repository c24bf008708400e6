//! Scheduled scaling, checked against the rules of what runs it rather than kiln's own idea
//! of them. Each case renders a real spec and replays a real week (Monday 2025-01-06 in the
//! job's time zone, after a week of warm-up) minute by minute:
//!
//! - engine keda: KEDA's cron rule as `pkg/scalers/cron_scaler.go` (kedacore/keda) applies
//!   it — at each poll a trigger is active when the next time its `end` fires is not after
//!   the next time its `start` fires (robfig/cron's `Next`, strictly after now); the floor is
//!   the highest active `desiredReplicas`, else `minReplicaCount`. It must equal the
//!   schedule's floor (the entry that fired last) at every minute, and `kiln status` must
//!   report the TaskManager-hours that floor and `maxReplicaCount` allow.
//! - engine kubernetes: the CronJob controller fires each scaler CronJob on its schedule in
//!   its time zone; every patch must write the floor in force at that minute, some CronJob
//!   must fire at every change of window, and never more than 15 minutes apart (so after a
//!   sync the window in force applies within 15 minutes).
//! - both: no runtime writer (scaler CronJob, HPA, ScaledObject) writes a field that git
//!   renders, in these cases and in every fixture.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::common::{case_dirs, documents, kiln, read, run};

/// A schedule: (name, cron, minReplicas, maxReplicas).
type Entry<'a> = (&'a str, &'a str, u32, u32);

const WORKDAY_PEAK: &[Entry] = &[
    ("morning", "0 9 * * 1-5", 3, 10),
    ("evening", "0 18 * * 1-5", 1, 3),
    ("weekend", "0 0 * * 6", 1, 2),
];

/// Custom schedules: windows past midnight and the weekend, entries on different days and
/// minutes, two entries in one minute (the later wins), descriptors, an hourly rhythm.
const CUSTOM: &[&[Entry]] = &[
    &[("night", "0 22 * * *", 5, 6), ("day", "0 6 * * *", 1, 6)],
    &[
        ("promo-start", "0 18 * * 5", 4, 12),
        ("promo-end", "0 23 * * 0", 2, 12),
    ],
    &[
        ("early", "30 8 * * 1,3", 6, 8),
        ("noon", "15 12 * * 2", 3, 8),
        ("late", "45 19 * * 1-5", 1, 8),
        ("sat", "0 10 * * 6", 2, 8),
    ],
    &[
        ("daily", "0 9 * * *", 3, 5),
        ("monday", "0 9 * * 1", 5, 5),
        ("off", "0 17 * * *", 1, 5),
    ],
    &[("midnight", "@daily", 4, 4), ("morning", "7 6 * * *", 2, 4)],
    &[("top", "0 * * * *", 2, 3), ("half", "30 * * * *", 1, 3)],
];

const ZONES: [&str; 4] = [
    "Asia/Shanghai",
    "America/New_York",
    "Australia/Sydney",
    "Etc/UTC",
];

fn builtin(name: &str) -> &'static [Entry<'static>] {
    match name {
        "workday_peak" => WORKDAY_PEAK,
        _ => &[("day", "0 9 * * *", 2, 8), ("night", "0 23 * * *", 1, 3)],
    }
}

/// Every case: (label, preset or none, entries, zone).
fn cases() -> Vec<(
    String,
    Option<&'static str>,
    &'static [Entry<'static>],
    &'static str,
)> {
    let mut cases = Vec::new();
    for (i, preset) in ["workday_peak", "24x7_peak"].into_iter().enumerate() {
        cases.push((preset.to_string(), Some(preset), builtin(preset), ZONES[i]));
    }
    for (i, entries) in CUSTOM.iter().enumerate() {
        cases.push((
            format!("custom #{i}"),
            None,
            *entries,
            ZONES[i % ZONES.len()],
        ));
    }
    cases
}

/// Render one job (and `kiln status --format json` of it) in a fresh repository.
fn render(
    mode: &str,
    engine: &str,
    preset: Option<&str>,
    entries: &[Entry],
    zone: &str,
) -> (Vec<Value>, Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kiln.yaml"),
        "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  namespace: streaming\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n",
    )
    .unwrap();
    let schedules = if let Some(p) = preset {
        format!("preset: {p}")
    } else {
        let list: Vec<String> = entries
            .iter()
            .map(|(n, c, lo, hi)| {
                format!("{{name: {n}, cron: \"{c}\", minReplicas: {lo}, maxReplicas: {hi}}}")
            })
            .collect();
        format!("schedules: [{}]", list.join(", "))
    };
    let schedules = if mode.starts_with("scheduled") {
        format!(", timeZone: {zone}, {schedules}")
    } else {
        String::new()
    };
    std::fs::write(
        dir.path().join("job.yaml"),
        format!(
            "apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: job}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///opt/flink/usrlib/app.jar\"}}\n  autoscaling: {{mode: {mode}, engine: {engine}{schedules}}}\n"
        ),
    )
    .unwrap();
    let rendered = run(kiln().arg("render").arg(dir.path()));
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let status = run(kiln().args(["status", "--format", "json"]).arg(dir.path()));
    assert_eq!(status.code, 0, "{}", status.stderr);
    (
        documents(&rendered.stdout),
        serde_json::from_str(&status.stdout).unwrap(),
    )
}

/// The local wall clock of each minute from the warm-up week's start to two weeks after the
/// reference week (for the look-ahead of `Next`): (month, day, weekday, hour, minute).
struct Clock {
    minutes: Vec<(u32, u32, u32, u32, u32)>,
    /// Index of Monday 2025-01-06 00:00 local.
    week_start: usize,
    week_len: usize,
}

impl Clock {
    fn new(zone: &str) -> Clock {
        let tz = TimeZone::get(zone).unwrap();
        let at = |d: i8| {
            jiff::civil::date(2025, 1, d)
                .at(0, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_second()
        };
        let (warm_up, start, end) = (at(6) - 7 * 86_400, at(6), at(13));
        let minutes = (warm_up..end + 14 * 86_400)
            .step_by(60)
            .map(|s| {
                let z = Timestamp::from_second(s).unwrap().to_zoned(tz.clone());
                let n = |v: i8| u32::try_from(v).unwrap();
                (
                    n(z.month()),
                    n(z.day()),
                    u32::from(z.weekday().to_sunday_zero_offset().unsigned_abs()),
                    n(z.hour()),
                    n(z.minute()),
                )
            })
            .collect();
        Clock {
            minutes,
            week_start: usize::try_from((start - warm_up) / 60).unwrap(),
            week_len: usize::try_from((end - start) / 60).unwrap(),
        }
    }

    fn fires(&self, cron: &str) -> Vec<bool> {
        let schedule = kiln::cron::parse(cron).unwrap_or_else(|e| panic!("{cron}: {e}"));
        self.minutes
            .iter()
            .map(|&(mo, d, wd, h, mi)| schedule.matches(mo, d, wd, h, mi))
            .collect()
    }

    /// The reference week's minutes, as indexes.
    fn week(&self) -> std::ops::Range<usize> {
        self.week_start..self.week_start + self.week_len
    }

    /// The schedule's floor at each minute: the entry that fired last (the later one in a
    /// shared minute).
    fn floors(&self, entries: &[Entry]) -> Vec<u32> {
        let fires: Vec<Vec<bool>> = entries.iter().map(|e| self.fires(e.1)).collect();
        let mut floor = 0;
        (0..self.minutes.len())
            .map(|m| {
                for (i, e) in entries.iter().enumerate() {
                    if fires[i][m] {
                        floor = e.2;
                    }
                }
                floor
            })
            .collect()
    }
}

/// For each minute, the first later minute at which `fires` is true (`usize::MAX` if none).
fn next_after(fires: &[bool]) -> Vec<usize> {
    let mut next = vec![usize::MAX; fires.len()];
    for m in (0..fires.len().saturating_sub(1)).rev() {
        next[m] = if fires[m + 1] { m + 1 } else { next[m + 1] };
    }
    next
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn number(value: &Value) -> u32 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

#[test]
fn keda_applies_the_schedules_floor_at_every_minute() {
    for mode in ["scheduled", "scheduled_hpa"] {
        for (label, preset, entries, zone) in cases() {
            let case = format!("{mode}, {label}, {zone}");
            let (objects, status) = render(mode, "keda", preset, entries, zone);
            assert!(of_kind(&objects, "CronJob").is_empty(), "{case}");
            assert!(
                of_kind(&objects, "HorizontalPodAutoscaler").is_empty(),
                "{case}"
            );
            assert!(of_kind(&objects, "Role").is_empty(), "{case}");
            let scaled = of_kind(&objects, "ScaledObject");
            assert_eq!(scaled.len(), 1, "{case}");
            let spec = &scaled[0]["spec"];
            let (min, max) = (
                number(&spec["minReplicaCount"]),
                number(&spec["maxReplicaCount"]),
            );
            let clock = Clock::new(zone);
            let mut triggers = Vec::new();
            for t in spec["triggers"].as_array().unwrap() {
                if t["type"] == "cpu" {
                    assert_eq!(mode, "scheduled_hpa", "{case}");
                    continue;
                }
                let meta = &t["metadata"];
                assert_eq!(meta["timezone"], zone, "{case}");
                let (start, end) = (
                    meta["start"].as_str().unwrap(),
                    meta["end"].as_str().unwrap(),
                );
                // What KEDA's parser refuses: descriptors, day-of-week 7, start == end.
                for cron in [start, end] {
                    assert!(!cron.starts_with('@'), "{case}: {cron}");
                    assert!(
                        !cron.split(' ').nth(4).unwrap().contains('7'),
                        "{case}: {cron}"
                    );
                }
                assert_ne!(start, end, "{case}");
                triggers.push((
                    next_after(&clock.fires(start)),
                    next_after(&clock.fires(end)),
                    number(&meta["desiredReplicas"]),
                ));
            }
            let floors = clock.floors(entries);
            let mut floor_minutes = 0u64;
            for m in clock.week() {
                let keda = triggers
                    .iter()
                    .filter(|(start, end, _)| end[m] <= start[m])
                    .map(|t| t.2)
                    .fold(min, u32::max);
                assert_eq!(
                    keda,
                    floors[m],
                    "{case}: minute {} of the week ({:?}); triggers {}",
                    m - clock.week_start,
                    clock.minutes[m],
                    spec["triggers"]
                );
                floor_minutes += u64::from(keda);
            }
            let hours = &status["jobs"][0]["taskManagerHoursPerWeek"];
            #[allow(clippy::cast_precision_loss)]
            let floor_hours = floor_minutes as f64 / 60.0;
            assert!(
                (hours["min"].as_f64().unwrap() - floor_hours).abs() < 1e-9,
                "{case}: {hours}"
            );
            let ceiling = if mode == "scheduled" {
                floor_hours
            } else {
                f64::from(max) * 168.0
            };
            assert!(
                (hours["max"].as_f64().unwrap() - ceiling).abs() < 1e-9,
                "{case}: {hours}"
            );
        }
    }
}

#[test]
fn scaler_cron_jobs_hold_the_window_in_force() {
    for mode in ["scheduled", "scheduled_hpa"] {
        for (label, preset, entries, zone) in cases() {
            let case = format!("{mode}, {label}, {zone}");
            let (objects, _) = render(mode, "kubernetes", preset, entries, zone);
            assert!(of_kind(&objects, "ScaledObject").is_empty(), "{case}");
            let clock = Clock::new(zone);
            let floors = clock.floors(entries);
            // (fires at each minute, the count it writes)
            let jobs: Vec<(Vec<bool>, u32)> = of_kind(&objects, "CronJob")
                .into_iter()
                .map(|c| {
                    assert_eq!(c["spec"]["timeZone"], zone, "{case}");
                    let args = &c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
                        [0]["args"];
                    let patch = args
                        .as_array()
                        .unwrap()
                        .iter()
                        .find_map(|a| a.as_str().unwrap().strip_prefix("--patch="))
                        .unwrap();
                    let patch: Value = serde_json::from_str(patch).unwrap();
                    let count = if mode == "scheduled" {
                        &patch["spec"]["taskManager"]["replicas"]
                    } else {
                        &patch["spec"]["minReplicas"]
                    };
                    (
                        clock.fires(c["spec"]["schedule"].as_str().unwrap()),
                        number(count),
                    )
                })
                .collect();
            let mut last = None;
            for m in clock.week() {
                let writes: Vec<u32> = jobs.iter().filter(|j| j.0[m]).map(|j| j.1).collect();
                for &w in &writes {
                    assert_eq!(
                        w,
                        floors[m],
                        "{case}: minute {} ({:?})",
                        m - clock.week_start,
                        clock.minutes[m]
                    );
                }
                if floors[m] != floors[m - 1] {
                    assert!(
                        !writes.is_empty(),
                        "{case}: no CronJob at the change at {:?}",
                        clock.minutes[m]
                    );
                }
                if !writes.is_empty() {
                    last = Some(m);
                }
                let since = last.map_or(usize::MAX, |l| m - l);
                assert!(
                    since < 15 || m - clock.week_start < 15,
                    "{case}: nothing re-applied the window for {since} minutes at {:?}",
                    clock.minutes[m]
                );
            }
        }
    }
}

/// Every field a runtime writer changes, as (kind, name, JSON pointer): each scaler
/// CronJob's merge patch, and the scale subresource (`spec.taskManager.replicas`) of the
/// FlinkDeployment an HPA or ScaledObject drives.
fn runtime_writes(objects: &[Value]) -> Vec<(String, String, String)> {
    fn leaves(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    leaves(v, &format!("{prefix}/{k}"), out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut writes = Vec::new();
    for o in objects {
        match o["kind"].as_str() {
            Some("CronJob") => {
                let args: Vec<&str> =
                    o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                assert_eq!(args[0], "patch", "{args:?}");
                let kind = match args[1] {
                    "horizontalpodautoscaler.autoscaling" => "HorizontalPodAutoscaler",
                    "flinkdeployment.flink.apache.org" => "FlinkDeployment",
                    other => panic!("a scaler patches {other}"),
                };
                let patch: Value = serde_json::from_str(
                    args.iter()
                        .find_map(|a| a.strip_prefix("--patch="))
                        .unwrap(),
                )
                .unwrap();
                let mut paths = Vec::new();
                leaves(&patch, "", &mut paths);
                for p in paths {
                    writes.push((kind.to_string(), args[2].to_string(), p));
                }
            }
            Some("HorizontalPodAutoscaler" | "ScaledObject")
                if o["spec"]["scaleTargetRef"]["kind"] == "FlinkDeployment" =>
            {
                writes.push((
                    "FlinkDeployment".to_string(),
                    o["spec"]["scaleTargetRef"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    "/spec/taskManager/replicas".to_string(),
                ));
            }
            _ => {}
        }
    }
    writes
}

/// No field is both rendered and written at runtime; returns how many writes were checked.
fn assert_no_drift(objects: &[Value], case: &str) -> usize {
    let writes = runtime_writes(objects);
    for (kind, name, pointer) in &writes {
        let target = objects
            .iter()
            .find(|o| o["kind"] == kind.as_str() && o["metadata"]["name"] == name.as_str())
            .unwrap_or_else(|| {
                panic!("{case}: {kind} {name} is written at runtime but not rendered")
            });
        assert!(
            target.pointer(pointer).is_none(),
            "{case}: {kind} {name} renders {pointer}, which is also written at runtime"
        );
    }
    writes.len()
}

#[test]
fn no_runtime_writer_touches_a_rendered_field() {
    let mut checked = 0;
    for engine in ["kubernetes", "keda"] {
        for mode in ["hpa", "hpa_reactive", "scheduled", "scheduled_hpa"] {
            for (label, preset, entries, zone) in cases() {
                let (objects, _) = render(mode, engine, preset, entries, zone);
                let case = format!("{engine}, {mode}, {label}");
                let writes = assert_no_drift(&objects, &case);
                assert!(writes > 0, "{case}: nothing scales");
                checked += writes;
                if !mode.starts_with("scheduled") {
                    break;
                }
            }
        }
    }
    for (name, dir) in case_dirs("fixtures") {
        if let Some(expected) = read(&dir.join("expected.yaml")) {
            checked += assert_no_drift(&documents(&expected), &name);
        }
    }
    assert!(checked > 100, "only {checked} runtime writes seen");
}

#[test]
fn a_schedule_tied_to_dates() {
    let november: &[Entry] = &[("sale", "0 20 * 11 *", 4, 12), ("calm", "0 2 * * *", 1, 3)];
    let dir = tempfile::tempdir().unwrap();
    let write = |engine: &str| {
        std::fs::write(dir.path().join("kiln.yaml"), "apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults:\n  namespace: streaming\n  timeZone: Europe/Berlin\n  flink: {image: \"flink:1.19.3\", flinkVersion: \"1.19.3\"}\n").unwrap();
        let list: Vec<String> = november
            .iter()
            .map(|(n, c, lo, hi)| {
                format!("{{name: {n}, cron: \"{c}\", minReplicas: {lo}, maxReplicas: {hi}}}")
            })
            .collect();
        std::fs::write(
            dir.path().join("job.yaml"),
            format!("apiVersion: kiln.dev/v1alpha1\nkind: FlinkJob\nmetadata: {{name: job}}\nspec:\n  type: jar\n  jar: {{uri: \"local:///a.jar\"}}\n  autoscaling:\n    mode: scheduled\n    engine: {engine}\n    schedules: [{}]\n", list.join(", ")),
        )
        .unwrap();
    };
    write("keda");
    let keda = run(kiln().arg("render").arg(dir.path()));
    assert_eq!(keda.code, 1, "{}", keda.stderr);
    assert!(keda.stdout.is_empty());
    assert!(
        keda.stderr.contains("job.yaml:10:36: error: spec.autoscaling.schedules[0].cron: schedule \"sale\" (`0 20 * 11 *`) depends on the date, and KEDA's cron triggers repeat every week"),
        "{}",
        keda.stderr
    );
    write("kubernetes");
    let cron_jobs = run(kiln().arg("render").arg(dir.path()));
    assert_eq!(cron_jobs.code, 0, "{}", cron_jobs.stderr);
    assert!(
        cron_jobs
            .stderr
            .contains("warning: spec.autoscaling.schedules[0].cron: schedule \"sale\""),
        "{}",
        cron_jobs.stderr
    );
    // Without a week the CronJobs keep the entries' own crons.
    let schedules: Vec<String> = of_kind(&documents(&cron_jobs.stdout), "CronJob")
        .iter()
        .map(|c| c["spec"]["schedule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(schedules, ["0 2 * * *", "0 20 * 11 *"]);
}
