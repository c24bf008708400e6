//! Cron expressions as Kubernetes CronJobs read them (robfig/cron's standard parser).
//!
//! Five fields — minute, hour, day of month, month, day of week — each `*`, `?`, a value,
//! a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma list of those; month and
//! day names (`JAN`, `MON`); and the descriptors `@yearly`, `@annually`, `@monthly`,
//! `@weekly`, `@daily`, `@midnight`, `@hourly`. `@every` and `TZ=` prefixes are refused:
//! scaling schedules are wall-clock times and the time zone is `spec.timeZone`.

use std::fmt;

/// A parsed schedule: one bit per allowed value of each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub minutes: u64,
    pub hours: u32,
    pub days_of_month: u32,
    pub months: u16,
    pub days_of_week: u8,
    /// Day-of-month was `*`/`?`: then only day-of-week restricts days (and vice versa);
    /// when both are restricted a day matches if either does (cron's OR rule).
    dom_any: bool,
    dow_any: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError(pub String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    },
];

pub fn parse(expression: &str) -> Result<Schedule, CronError> {
    let expression = expression.trim();
    if expression.starts_with("TZ=") || expression.starts_with("CRON_TZ=") {
        return Err(CronError(
            "a time zone inside the schedule is not allowed; set autoscaling.timeZone".into(),
        ));
    }
    let expanded = match expression {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other if other.starts_with("@every") => {
            return Err(CronError(
                "@every is not supported for scaling schedules; use a 5-field expression".into(),
            ));
        }
        other if other.starts_with('@') => {
            return Err(CronError(format!("unknown descriptor \"{other}\"")));
        }
        other => other,
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(CronError(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        )));
    }
    let mut bits = [0u64; 5];
    let mut any = [false; 5];
    for (i, (text, field)) in fields.iter().zip(FIELDS.iter()).enumerate() {
        let (b, a) = parse_field(text, field)?;
        bits[i] = b;
        any[i] = a;
    }
    Ok(Schedule {
        minutes: bits[0],
        hours: bits[1] as u32,
        days_of_month: bits[2] as u32,
        months: bits[3] as u16,
        days_of_week: bits[4] as u8,
        dom_any: any[2],
        dow_any: any[4],
    })
}

fn parse_field(text: &str, field: &Field) -> Result<(u64, bool), CronError> {
    let mut bits = 0u64;
    let mut any = false;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step
                    .parse()
                    .map_err(|_| CronError(format!("{}: invalid step \"{step}\"", field.name)))?;
                if step == 0 {
                    return Err(CronError(format!("{}: step must be positive", field.name)));
                }
                (range, Some(step))
            }
            None => (part, None),
        };
        let (start, end) = if range == "*" || range == "?" {
            // robfig/cron keeps the "unrestricted" mark for a step of 1 only.
            if step.is_none_or(|s| s == 1) {
                any = true;
            }
            (field.min, field.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, field)?, value(b, field)?)
        } else {
            let v = value(range, field)?;
            (v, if step.is_some() { field.max } else { v })
        };
        if start > end {
            return Err(CronError(format!(
                "{}: range {start}-{end} runs backwards",
                field.name
            )));
        }
        let step = step.unwrap_or(1);
        let mut v = start;
        while v <= end {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, any))
}

fn value(text: &str, field: &Field) -> Result<u32, CronError> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        return Ok(field.min + i as u32);
    }
    let v: u32 = text
        .parse()
        .map_err(|_| CronError(format!("{}: \"{text}\" is not a number", field.name)))?;
    if v < field.min || v > field.max {
        return Err(CronError(format!(
            "{}: {v} is outside {}-{}",
            field.name, field.min, field.max
        )));
    }
    Ok(v)
}

impl Schedule {
    /// Whether the schedule fires on some day of some year: `0 9 31 2 *` (February 31st)
    /// and `0 9 30 2 *` never do. With day-of-week restricted too, cron's OR rule makes any
    /// allowed weekday fire.
    pub fn can_fire(&self) -> bool {
        if !self.dom_any && !self.dow_any && self.days_of_week != 0 {
            return true;
        }
        if self.dom_any {
            return true;
        }
        // The longest each month gets (February 29 in leap years).
        let days: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12usize).any(|month| {
            self.months & (1 << month) != 0
                && (1..=days[month]).any(|day| self.days_of_month & (1 << day) != 0)
        })
    }

    /// The days of the week (bit 0 Sunday … bit 6 Saturday) the schedule fires on, when
    /// that set does not depend on the date: every month allowed, and day-of-month either
    /// unrestricted, covering every day, or OR-ed (cron's rule when both are restricted)
    /// with a day-of-week that covers every day. `None` for a schedule tied to dates
    /// (`0 9 1 * *`, `0 20 * 11 *`), whose week changes with the month.
    pub fn weekdays(&self) -> Option<u8> {
        const ALL_MONTHS: u16 = 0b1_1111_1111_1110;
        const ALL_DAYS: u32 = 0xFFFF_FFFE;
        const ALL_WEEK: u8 = 0x7F;
        if self.months & ALL_MONTHS != ALL_MONTHS {
            return None;
        }
        let every_date = self.days_of_month & ALL_DAYS == ALL_DAYS;
        let every_weekday = self.days_of_week & ALL_WEEK == ALL_WEEK;
        match (self.dom_any, self.dow_any) {
            (true, _) => Some(self.days_of_week & ALL_WEEK),
            (false, true) => every_date.then_some(ALL_WEEK),
            (false, false) => (every_date || every_weekday).then_some(ALL_WEEK),
        }
    }

    /// Does a weekly schedule (see [`Schedule::weekdays`]) fire at this minute of the week?
    pub fn fires_weekly(&self, weekdays: u8, weekday: u32, hour: u32, minute: u32) -> bool {
        weekdays & (1 << weekday) != 0
            && self.hours & (1 << hour) != 0
            && self.minutes & (1 << minute) != 0
    }

    /// Does the schedule fire at this local wall-clock minute?
    /// `weekday` is 0 for Sunday; `day` and `month` are 1-based.
    pub fn matches(&self, month: u32, day: u32, weekday: u32, hour: u32, minute: u32) -> bool {
        let dom = self.days_of_month & (1 << day) != 0;
        let dow = self.days_of_week & (1 << weekday) != 0;
        let day_ok = if self.dom_any || self.dow_any {
            dom && dow
        } else {
            dom || dow
        };
        self.minutes & (1 << minute) != 0
            && self.hours & (1 << hour) != 0
            && self.months & (1 << month) != 0
            && day_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_schedules() {
        for (expression, days) in [
            ("0 9 * * 1-5", Some(0b0011_1110)),
            ("0 9 * * *", Some(0x7F)),
            ("@daily", Some(0x7F)),
            ("@weekly", Some(0b1)),
            ("0 9 1-31 * *", Some(0x7F)),
            ("0 9 1-31 1-12 6", Some(0x7F)),
            ("0 9 1 * 0-6", Some(0x7F)),
            ("0 9 */1 * 1", Some(0b10)),
            ("0 9 1 * *", None),
            ("@monthly", None),
            ("0 20 * 11 *", None),
            ("0 9 1 * 1", None),
            ("0 9 */2 * *", None),
        ] {
            assert_eq!(ok(expression).weekdays(), days, "{expression}");
        }
    }

    #[test]
    fn schedules_that_never_fire() {
        for never in ["0 9 31 2 *", "0 9 30 2 *", "0 9 31 4,6,9,11 *"] {
            assert!(!ok(never).can_fire(), "{never}");
        }
        for fires in [
            "0 9 29 2 *",
            "0 9 31 2 1",
            "0 9 * 2 *",
            "0 9 31 1-2 *",
            "0 9 * * 1-5",
        ] {
            assert!(ok(fires).can_fire(), "{fires}");
        }
    }

    #[track_caller]
    fn ok(expression: &str) -> Schedule {
        parse(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    #[track_caller]
    fn err(expression: &str, expected: &str) {
        assert_eq!(parse(expression).unwrap_err().0, expected, "{expression}");
    }

    #[test]
    fn valid_expressions() {
        let s = ok("0 9 * * 1-5");
        assert_eq!(s.minutes, 1);
        assert_eq!(s.hours, 1 << 9);
        assert_eq!(s.days_of_week, 0b0011_1110);
        assert_eq!(
            ok("*/15 * * * *").minutes,
            (1 << 0) | (1 << 15) | (1 << 30) | (1 << 45)
        );
        assert_eq!(ok("0 0 * * MON-FRI").days_of_week, 0b0011_1110);
        assert_eq!(ok("0 0 1 jan,jul *").months, (1 << 1) | (1 << 7));
        assert_eq!(ok("5/20 * * * *").minutes, (1 << 5) | (1 << 25) | (1 << 45));
        assert_eq!(ok("@daily"), ok("0 0 * * *"));
        assert_eq!(ok("@weekly").days_of_week, 1);
        ok("0 0 ? * 6");
    }

    #[test]
    fn invalid_expressions() {
        err(
            "0 9 * *",
            "expected 5 fields (minute hour day-of-month month day-of-week), found 4",
        );
        err("60 * * * *", "minute: 60 is outside 0-59");
        err("0 24 * * *", "hour: 24 is outside 0-23");
        err("0 0 0 * *", "day of month: 0 is outside 1-31");
        err("0 0 * 13 *", "month: 13 is outside 1-12");
        err("0 0 * * 7", "day of week: 7 is outside 0-6");
        err("0 0 * * 5-1", "day of week: range 5-1 runs backwards");
        err("*/0 * * * *", "minute: step must be positive");
        err("x * * * *", "minute: \"x\" is not a number");
        err(
            "@every 1h",
            "@every is not supported for scaling schedules; use a 5-field expression",
        );
        err("@often", "unknown descriptor \"@often\"");
        err(
            "TZ=UTC 0 9 * * *",
            "a time zone inside the schedule is not allowed; set autoscaling.timeZone",
        );
    }

    #[test]
    fn day_matching_follows_the_or_rule() {
        // Both restricted: the 1st of the month OR a Monday.
        let s = ok("0 0 1 * 1");
        assert!(s.matches(3, 1, 4, 0, 0));
        assert!(s.matches(3, 9, 1, 0, 0));
        assert!(!s.matches(3, 9, 2, 0, 0));
        // Only day-of-week restricted.
        let s = ok("0 9 * * 1-5");
        assert!(s.matches(1, 15, 3, 9, 0));
        assert!(!s.matches(1, 15, 6, 9, 0));
        assert!(!s.matches(1, 15, 3, 9, 1));
    }
}
