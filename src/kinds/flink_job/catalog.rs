//! Built-in data: resource profiles, scheduling presets, supported Flink versions.

use std::fmt;

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

/// `flinkVersion` values the Flink Kubernetes Operator 1.15.0 CRD accepts.
pub const SUPPORTED_FLINK_VERSIONS: [(u32, u32); 11] = [
    (1, 13),
    (1, 14),
    (1, 15),
    (1, 16),
    (1, 17),
    (1, 18),
    (1, 19),
    (1, 20),
    (2, 0),
    (2, 1),
    (2, 2),
];

/// A Flink version as written in a spec: `MAJOR.MINOR[.PATCH]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
}

impl FlinkVersion {
    pub fn parse(text: &str) -> Result<FlinkVersion, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a Flink version; expected MAJOR.MINOR[.PATCH] such as \"1.19.3\""
            )
        };
        let parts: Vec<&str> = text.trim_start_matches('v').split('.').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad());
        }
        let number = |s: &str| s.parse::<u32>().map_err(|_| bad());
        let version = FlinkVersion {
            major: number(parts[0])?,
            minor: number(parts[1])?,
            patch: parts.get(2).map(|p| number(p)).transpose()?,
        };
        if !SUPPORTED_FLINK_VERSIONS.contains(&(version.major, version.minor)) {
            let supported: Vec<String> = SUPPORTED_FLINK_VERSIONS
                .iter()
                .map(|(a, b)| format!("{a}.{b}"))
                .collect();
            return Err(format!(
                "Flink {}.{} is not supported by the Flink operator 1.15 CRD; supported: {}",
                version.major,
                version.minor,
                supported.join(", ")
            ));
        }
        Ok(version)
    }

    /// The CRD's enum value: `v1_19`.
    pub fn crd_value(self) -> String {
        format!("v{}_{}", self.major, self.minor)
    }

    pub fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = FlinkVersion::parse("1.19.3").unwrap();
        assert_eq!(v.crd_value(), "v1_19");
        assert_eq!(v.to_string(), "1.19.3");
        assert_eq!(FlinkVersion::parse("2.0").unwrap().crd_value(), "v2_0");
        assert!(
            FlinkVersion::parse("1.12")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            FlinkVersion::parse("1.19.x")
                .unwrap_err()
                .contains("not a Flink version")
        );
        assert!(FlinkVersion::parse("1").is_err());
        assert!(v.at_least(1, 17) && !v.at_least(2, 0));
    }

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
