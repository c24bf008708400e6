//! The week a schedule describes, minute by minute, and the cron expressions that reproduce
//! it: KEDA's cron triggers (`keda.rs`) and the scaler CronJobs that hold each window
//! (`autoscaling.rs`).
//!
//! A schedule is a list of entries, each a cron expression and a replica range. The range in
//! force at a minute is that of the entry that fired last (of two firing in the same minute,
//! the later in the list). Minute 0 of the week is Monday 00:00 in the job's time zone. Only
//! a schedule whose entries repeat every week has a week (see
//! [`cron::Schedule::weekdays`]); one tied to dates (`0 20 * 11 *`) does not.

use std::collections::BTreeMap;

use crate::cron;

/// Minutes in a week.
pub const MINUTES: u32 = 7 * 24 * 60;
const DAY: u32 = 24 * 60;
/// A scaler CronJob re-applies the window in force at least this often (minutes).
pub const HOLD_EVERY: u32 = 15;

/// A stretch of the week during which one entry is in force: from its firing at `start`
/// for `len` minutes (wrapping past Sunday midnight when `start + len > MINUTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub len: u32,
    pub entry: usize,
}

/// The windows of a weekly schedule, in order from the first after Monday 00:00; together
/// they cover the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub windows: Vec<Window>,
}

/// Windows next to each other whose entries give the same value, as one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: u32,
    pub len: u32,
    pub value: u32,
    /// The entry of the run's first window.
    pub entry: usize,
}

/// The weekday (cron's numbering, 0 = Sunday), hour and minute of a minute of the week.
pub fn clock(minute: u32) -> (u32, u32, u32) {
    let minute = minute % MINUTES;
    let day = minute / DAY;
    ((day + 1) % 7, (minute % DAY) / 60, minute % 60)
}

impl Week {
    /// The week of `schedules` (parsed entries, in the spec's order), or the index of the
    /// first entry tied to dates. An entry that can never fire (`0 9 31 2 *`) takes no part.
    pub fn of(schedules: &[cron::Schedule]) -> Result<Week, usize> {
        let days = schedules
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.weekdays()
                    .or_else(|| (!s.can_fire()).then_some(0))
                    .ok_or(i)
            })
            .collect::<Result<Vec<u8>, usize>>()?;
        let firings: Vec<(u32, usize)> = (0..MINUTES)
            .filter_map(|m| {
                let (weekday, hour, minute) = clock(m);
                (0..schedules.len())
                    .rev()
                    .find(|&i| schedules[i].fires_weekly(days[i], weekday, hour, minute))
                    .map(|entry| (m, entry))
            })
            .collect();
        let Some(&(_, last)) = firings.last() else {
            return Ok(Week {
                windows: Vec::new(),
            });
        };
        // The entry in force at Monday 00:00 is the week's last to fire; a window starts
        // where another entry takes over.
        let mut current = last;
        let mut starts = Vec::new();
        for &(minute, entry) in &firings {
            if entry != current {
                starts.push((minute, entry));
                current = entry;
            }
        }
        if starts.is_empty() {
            let start = firings[0].0;
            return Ok(Week {
                windows: vec![Window {
                    start,
                    len: MINUTES,
                    entry: last,
                }],
            });
        }
        let windows = starts
            .iter()
            .enumerate()
            .map(|(i, &(start, entry))| {
                let next = starts[(i + 1) % starts.len()].0;
                Window {
                    start,
                    len: (next + MINUTES - start - 1) % MINUTES + 1,
                    entry,
                }
            })
            .collect();
        Ok(Week { windows })
    }

    /// Windows next to each other with the same `value(entry)` merged (also across Sunday
    /// midnight), in order of their start.
    pub fn runs(&self, value: impl Fn(usize) -> u32) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for w in &self.windows {
            let v = value(w.entry);
            match runs.last_mut() {
                Some(run) if run.value == v => run.len += w.len,
                _ => runs.push(Run {
                    start: w.start,
                    len: w.len,
                    value: v,
                    entry: w.entry,
                }),
            }
        }
        if runs.len() > 1 && runs[0].value == runs[runs.len() - 1].value {
            let last = runs.remove(runs.len() - 1);
            runs[0] = Run {
                start: last.start,
                len: last.len + runs[0].len,
                value: last.value,
                entry: last.entry,
            };
        }
        runs.sort_by_key(|r| r.start);
        runs
    }

    /// For each floor (`value` of the entry in force), the minutes at which a CronJob
    /// holding it fires — each run's start, then every [`HOLD_EVERY`] minutes while the run
    /// lasts — and the entry of its first run.
    pub fn holds(&self, value: impl Fn(usize) -> u32) -> BTreeMap<u32, (usize, Vec<u32>)> {
        let mut holds: BTreeMap<u32, (usize, Vec<u32>)> = BTreeMap::new();
        for run in self.runs(value) {
            let (_, minutes) = holds.entry(run.value).or_insert((run.entry, Vec::new()));
            minutes.extend(
                (0..run.len)
                    .step_by(HOLD_EVERY as usize)
                    .map(|k| (run.start + k) % MINUTES),
            );
        }
        for (_, minutes) in holds.values_mut() {
            minutes.sort_unstable();
        }
        holds
    }
}

/// Cron expressions (5 fields, day-of-month and month `*`) that together fire at exactly
/// `minutes` (minutes of the week) every week: one per group of days with the same hours
/// and minutes, and per group of hours with the same minutes. In order of first firing.
pub fn crons(minutes: &[u32]) -> Vec<String> {
    // Day (Monday = 0) → hour → minute bits.
    let mut days: [BTreeMap<u32, u64>; 7] = Default::default();
    for &m in minutes {
        let m = m % MINUTES;
        *days[(m / DAY) as usize].entry((m % DAY) / 60).or_default() |= 1 << (m % 60);
    }
    // Each day as its (minute bits, hour bits) pairs; days with the same pairs share crons.
    let mut groups: BTreeMap<Vec<(u64, u32)>, Vec<u32>> = BTreeMap::new();
    for (day, hours) in days.iter().enumerate() {
        if hours.is_empty() {
            continue;
        }
        let mut by_minutes: BTreeMap<u64, u32> = BTreeMap::new();
        for (&hour, &bits) in hours {
            *by_minutes.entry(bits).or_default() |= 1 << hour;
        }
        let mut pairs: Vec<(u64, u32)> = by_minutes.into_iter().collect();
        pairs.sort_by_key(|&(m, h)| (h.trailing_zeros(), m.trailing_zeros()));
        groups
            .entry(pairs)
            .or_default()
            .push(u32::try_from(day).unwrap_or(0));
    }
    let mut out: Vec<(u32, String)> = Vec::new();
    for (pairs, group) in groups {
        let weekdays = group.iter().fold(0u64, |bits, d| bits | 1 << ((d + 1) % 7));
        for (minute_bits, hour_bits) in pairs {
            let first =
                group[0] * DAY + hour_bits.trailing_zeros() * 60 + minute_bits.trailing_zeros();
            out.push((
                first,
                format!(
                    "{} {} * * {}",
                    field(minute_bits, 0, 59),
                    field(u64::from(hour_bits), 0, 23),
                    field(weekdays, 0, 6)
                ),
            ));
        }
    }
    out.sort();
    out.into_iter().map(|(_, cron)| cron).collect()
}

/// One cron field for a set of values within `min..=max`: `*`, `*/15`, `7-59/15`, `9-17`,
/// `0-8,18-23`, `1,3,5`.
pub fn field(bits: u64, min: u32, max: u32) -> String {
    let values: Vec<u32> = (min..=max).filter(|v| bits & (1 << v) != 0).collect();
    if values.len() == (max - min + 1) as usize {
        return "*".to_string();
    }
    if let [first, second, ..] = values[..] {
        let step = second - first;
        let last = values[values.len() - 1];
        let progression = values.windows(2).all(|w| w[1] - w[0] == step);
        if step > 1 && progression && last + step > max && values.len() > 3 {
            return if first == min {
                format!("*/{step}")
            } else {
                format!("{first}-{max}/{step}")
            };
        }
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            values[i].to_string()
        } else {
            format!("{}-{}", values[i], values[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// A cron expression firing at one minute of the day on the given weekdays (cron's
/// numbering).
pub fn at(minute_of_day: u32, weekdays: u64) -> String {
    format!(
        "{} {} * * {}",
        minute_of_day % 60,
        minute_of_day / 60,
        field(weekdays, 0, 6)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(crons: &[&str]) -> Week {
        let parsed: Vec<cron::Schedule> = crons.iter().map(|c| cron::parse(c).unwrap()).collect();
        Week::of(&parsed).unwrap()
    }

    const MON: u32 = 0;
    const FRI: u32 = 4 * DAY;
    const SAT: u32 = 5 * DAY;

    #[test]
    fn workday_peak_windows() {
        let w = week(&["0 9 * * 1-5", "0 18 * * 1-5", "0 0 * * 6"]);
        let first = &w.windows[0];
        assert_eq!(
            (first.start, first.len, first.entry),
            (MON + 9 * 60, 9 * 60, 0)
        );
        assert_eq!(w.windows.len(), 11, "{:?}", w.windows);
        let friday_evening = w.windows.iter().find(|x| x.start == FRI + 18 * 60).unwrap();
        assert_eq!((friday_evening.len, friday_evening.entry), (6 * 60, 1));
        let weekend = w.windows.iter().find(|x| x.start == SAT).unwrap();
        assert_eq!((weekend.len, weekend.entry), (2 * DAY + 9 * 60, 2));
        assert_eq!(w.windows.iter().map(|x| x.len).sum::<u32>(), MINUTES);
    }

    #[test]
    fn runs_merge_equal_values_across_the_week_end() {
        let w = week(&["0 9 * * 1-5", "0 18 * * 1-5", "0 0 * * 6"]);
        // Evening and weekend both keep 1: the runs are the five mornings and the rest.
        let runs = w.runs(|e| [3, 1, 1][e]);
        assert_eq!(runs.len(), 10);
        let long = runs.iter().find(|r| r.start == FRI + 18 * 60).unwrap();
        assert_eq!(long.len, 6 * 60 + 2 * DAY + 9 * 60);
        assert_eq!(runs.iter().map(|r| r.len).sum::<u32>(), MINUTES);
        // Sunday-evening windows that wrap into Monday merge with Monday's.
        let w = week(&["0 20 * * *", "0 6 * * *"]);
        let runs = w.runs(|e| [1, 1][e]);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].len, MINUTES);
    }

    #[test]
    fn one_entry_is_one_window() {
        let w = week(&["0 9 * * *"]);
        assert_eq!(
            w.windows,
            vec![Window {
                start: 9 * 60,
                len: MINUTES,
                entry: 0
            }]
        );
    }

    #[test]
    fn the_later_entry_wins_a_shared_minute() {
        let w = week(&["0 9 * * *", "0 9 * * 1", "0 18 * * *"]);
        let monday = w.windows.iter().find(|x| x.start == 9 * 60).unwrap();
        assert_eq!(monday.entry, 1);
        let holds = w.holds(|e| [3, 5, 1][e]);
        assert_eq!(holds[&3].1.first(), Some(&(DAY + 9 * 60)));
        assert_eq!(
            holds[&5].1,
            (0..36).map(|k| 9 * 60 + 15 * k).collect::<Vec<_>>()
        );
    }

    #[test]
    fn fields() {
        for (bits, min, max, text) in [
            (0b1111u64 << 9, 0, 23, "9-12"),
            ((1 << 0) | (1 << 15) | (1 << 30) | (1 << 45), 0, 59, "*/15"),
            (
                (1 << 7) | (1 << 22) | (1 << 37) | (1 << 52),
                0,
                59,
                "7-59/15",
            ),
            ((1 << 7) | (1 << 22), 0, 59, "7,22"),
            (0x1FF | (0x3F << 18), 0, 23, "0-8,18-23"),
            (0x7F, 0, 6, "*"),
            ((1 << 0) | (1 << 6), 0, 6, "0,6"),
            ((1 << 1) | (1 << 3) | (1 << 5), 0, 6, "1,3,5"),
            (1 << 5, 0, 6, "5"),
        ] {
            assert_eq!(field(bits, min, max), text);
        }
    }

    #[test]
    fn crons_fire_at_exactly_the_minutes() {
        let w = week(&["0 9 * * 1-5", "0 18 * * 1-5", "0 0 * * 6"]);
        // Floors by entry: workday_peak's 3, 1, 1 (evening and weekend hold the same floor),
        // then 3, 1, 2.
        let holds = w.holds(|e| [3, 1, 1][e]);
        assert_eq!(crons(&holds[&3].1), ["*/15 9-17 * * 1-5"]);
        assert_eq!(
            crons(&holds[&1].1),
            ["*/15 0-8,18-23 * * 1-5", "*/15 * * * 0,6"]
        );
        let holds = w.holds(|e| [3, 1, 2][e]);
        assert_eq!(
            crons(&holds[&1].1),
            ["*/15 18-23 * * 1", "*/15 0-8,18-23 * * 2-5"]
        );
        assert_eq!(crons(&holds[&2].1), ["*/15 0-8 * * 1", "*/15 * * * 0,6"]);
        // Odd minutes and windows that do not end on the quarter hour.
        let w = week(&["7 9 * * 1-5", "50 17 * * 1-5"]);
        let minutes = w.holds(|e| [2, 1][e])[&2].1.clone();
        let expressions = crons(&minutes);
        let parsed: Vec<cron::Schedule> = expressions
            .iter()
            .map(|c| cron::parse(c).unwrap())
            .collect();
        let fired: Vec<u32> = (0..MINUTES)
            .filter(|&m| {
                let (d, h, mi) = clock(m);
                parsed
                    .iter()
                    .any(|s| s.fires_weekly(s.weekdays().unwrap(), d, h, mi))
            })
            .collect();
        assert_eq!(fired, minutes, "{expressions:?}");
    }
}
