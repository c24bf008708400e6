//! Memory sizes as the Flink operator reads `resource.memory`, and names' rules.

/// Flink's memory floor for a JobManager or TaskManager process: metaspace, JVM overhead and
/// framework memory alone take more than 768m, so below 1024m the process does not start.
pub const MEMORY_FLOOR_BYTES: u64 = 1024 * 1024 * 1024;

/// Bytes in a memory size: Flink's format (`2048m`, `2g`, `1024mb`, `512k`, plain bytes; units
/// are binary and case-insensitive) or a Kubernetes binary quantity (`2Gi`, `512Mi`).
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a memory size (e.g. 2048m, 2g, 2Gi)"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "ki" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mi" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gi" | "gibibytes" => 1 << 30,
        "t" | "tb" | "ti" | "tebibytes" => 1 << 40,
        other => {
            return Err(format!(
                "\"{text}\": unknown unit \"{other}\" (use m, g, Mi or Gi)"
            ));
        }
    };
    let bytes = number * multiplier as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("\"{text}\" is out of range"));
    }
    #[allow(clippy::cast_sign_loss)]
    Ok(bytes as u64)
}

/// A DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric.
pub fn is_dns_label(name: &str, max_len: usize) -> bool {
    !name.is_empty()
        && name.len() <= max_len
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// The operator's FlinkDeployment name rule: `[a-z]([-a-z0-9]{0,43}[a-z0-9])?` (45 chars).
pub fn is_flink_name(name: &str) -> bool {
    is_dns_label(name, 45) && name.as_bytes()[0].is_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn mem(text: &str, expected: u64) {
        assert_eq!(parse_memory(text), Ok(expected), "{text}");
    }

    #[test]
    fn memory_sizes() {
        mem("2048m", 2048 << 20);
        mem("2g", 2 << 30);
        mem("2G", 2 << 30);
        mem("1024mb", 1 << 30);
        mem("2Gi", 2 << 30);
        mem("512Mi", 512 << 20);
        mem("1.5g", 3 << 29);
        mem("1073741824", 1 << 30);
        mem("4096 m", 4 << 30);
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("2 parsecs").is_err());
        assert!(parse_memory("").is_err());
    }

    #[test]
    fn names() {
        assert!(is_flink_name("clickstream-enrich"));
        assert!(is_flink_name(&"a".repeat(45)));
        assert!(!is_flink_name(&"a".repeat(46)));
        assert!(!is_flink_name("1abc"));
        assert!(!is_flink_name("abc-"));
        assert!(!is_flink_name("Abc"));
        assert!(!is_flink_name("a_b"));
        assert!(is_dns_label("9to5", 63));
        assert!(!is_dns_label("", 63));
    }
}
