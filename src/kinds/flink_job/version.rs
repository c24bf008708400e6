//! Flink versions: those the operator's CRD accepts, and a version as a spec writes it.

use std::fmt;

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
}
