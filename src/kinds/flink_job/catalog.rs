//! Built-in data: resource profiles and scheduling presets.

use crate::kinds::flink_job::ScheduleEntry;

/// A resolved resource profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub cpu: f64,
    pub memory: String,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub slots: u32,
}

/// Built-in profiles. CPU and replica ranges are the original system's; memory is raised to
/// Flink's 1024m floor for `micro` (256Mi asked) and `small` (512Mi asked).
pub fn builtin_profile(name: &str) -> Option<Profile> {
    let (cpu, memory, min_replicas, max_replicas) = match name {
        "micro" => (0.2, "1024m", 1, 2),
        "small" => (0.5, "1024m", 1, 3),
        "medium" => (1.0, "1024m", 2, 5),
        "large" => (2.0, "2048m", 2, 10),
        "xlarge" => (4.0, "4096m", 3, 20),
        _ => return None,
    };
    Some(Profile {
        cpu,
        memory: memory.to_string(),
        min_replicas,
        max_replicas,
        slots: 1,
    })
}

pub const BUILTIN_PROFILES: [&str; 5] = ["micro", "small", "medium", "large", "xlarge"];
pub const DEFAULT_PROFILE: &str = "medium";

/// Built-in scheduling presets.
pub fn builtin_preset(name: &str) -> Option<Vec<ScheduleEntry>> {
    let entry = |name: &str, cron: &str, min_replicas, max_replicas| ScheduleEntry {
        name: name.to_string(),
        cron: cron.to_string(),
        min_replicas,
        max_replicas,
    };
    match name {
        "workday_peak" => Some(vec![
            entry("morning", "0 9 * * 1-5", 3, 10),
            entry("evening", "0 18 * * 1-5", 1, 3),
            entry("weekend", "0 0 * * 6", 1, 2),
        ]),
        "24x7_peak" => Some(vec![
            entry("day", "0 9 * * *", 2, 8),
            entry("night", "0 23 * * *", 1, 3),
        ]),
        _ => None,
    }
}

pub const BUILTIN_PRESETS: [&str; 2] = ["workday_peak", "24x7_peak"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_respect_the_memory_floor() {
        for name in BUILTIN_PROFILES {
            let p = builtin_profile(name).unwrap();
            let bytes = crate::quantity::parse_memory(&p.memory).unwrap();
            assert!(bytes >= crate::quantity::MEMORY_FLOOR_BYTES, "{name}");
            assert!(p.min_replicas <= p.max_replicas, "{name}");
        }
    }

    #[test]
    fn builtin_presets_are_valid_cron() {
        for name in BUILTIN_PRESETS {
            for entry in builtin_preset(name).unwrap() {
                crate::cron::parse(&entry.cron).unwrap();
                assert!(entry.min_replicas <= entry.max_replicas);
            }
        }
    }
}
