//! Quantities: memory sizes as the Flink operator reads `resource.memory`, and Kubernetes
//! quantities as the API server parses them.

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

/// A Kubernetes quantity, parsed by the API server's grammar (`resource.ParseQuantity`):
/// an optional sign, digits with at most one `.`, then a binary suffix (`Ki` … `Ei`), a
/// decimal suffix (`n`, `u`, `m`, `k`, `M`, `G`, `T`, `P`, `E`) or an exponent (`e3`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub value: f64,
    /// The suffix is binary (`Gi`): fine for bytes, nonsense for CPU.
    pub binary: bool,
}

pub fn parse_quantity(text: &str) -> Result<Quantity, String> {
    let bad = || format!("\"{text}\" is not a Kubernetes quantity");
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_len);
    if number.matches('.').count() > 1 || !number.contains(|c: char| c.is_ascii_digit()) {
        return Err(bad());
    }
    let (multiplier, binary) = match suffix {
        "" => (1.0, false),
        "Ki" => (1024f64, true),
        "Mi" => (1024f64.powi(2), true),
        "Gi" => (1024f64.powi(3), true),
        "Ti" => (1024f64.powi(4), true),
        "Pi" => (1024f64.powi(5), true),
        "Ei" => (1024f64.powi(6), true),
        "n" => (1e-9, false),
        "u" => (1e-6, false),
        "m" => (1e-3, false),
        "k" => (1e3, false),
        "M" => (1e6, false),
        "G" => (1e9, false),
        "T" => (1e12, false),
        "P" => (1e15, false),
        "E" => (1e18, false),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E']).ok_or_else(bad)?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            (
                10f64.powi(exponent.parse::<i32>().map_err(|_| bad())?),
                false,
            )
        }
    };
    let magnitude: f64 = number.parse().map_err(|_| bad())?;
    let sign = if text.starts_with('-') { -1.0 } else { 1.0 };
    Ok(Quantity {
        value: sign * magnitude * multiplier,
        binary,
    })
}

/// A positive quantity of a resource; CPU takes no binary suffix (`1.5Gi` cores).
pub fn resource_problem(text: &str, cpu: bool) -> Option<String> {
    let example = if cpu { "4, 3500m, 0.5" } else { "32Gi, 512Mi" };
    match parse_quantity(text) {
        Err(e) => Some(format!("{e} (e.g. {example})")),
        Ok(q) if q.value.is_nan() || q.value <= 0.0 => Some(format!(
            "\"{text}\" must be a positive quantity (e.g. {example})"
        )),
        Ok(q) if cpu && q.binary => Some(format!(
            "\"{text}\" counts CPU with a binary suffix; write cores or millicores (e.g. {example})"
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in ["4", "3500m", "32Gi", "1.5", "0.5", "1e3", "100M", "+1"] {
            assert!(parse_quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Gi", "4 cores", "1.2.3", "32GB", "1e", "x"] {
            assert!(parse_quantity(bad).is_err(), "{bad}");
        }
    }

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
    fn quantities_follow_the_api_server_grammar() {
        for (text, value) in [
            ("4", 4.0),
            ("3500m", 3.5),
            ("+.5", 0.5),
            ("2Gi", 2_147_483_648.0),
            ("1e3", 1000.0),
            ("5.", 5.0),
            ("-1", -1.0),
            ("1E-3", 0.001),
        ] {
            assert_eq!(parse_quantity(text).map(|q| q.value), Ok(value), "{text}");
        }
        for text in [
            "", "Gi", "1.2.3", "1 Gi", " 1", "1gi", "1e", "1e1.5", "--1", "1Gi5",
        ] {
            assert!(parse_quantity(text).is_err(), "{text}");
        }
        assert_eq!(
            resource_problem("-1", true).unwrap(),
            "\"-1\" must be a positive quantity (e.g. 4, 3500m, 0.5)"
        );
        assert!(
            resource_problem("1.5Gi", true)
                .unwrap()
                .contains("binary suffix")
        );
        assert!(resource_problem("1.5Gi", false).is_none());
        assert!(resource_problem("-1Gi", false).is_some());
        assert!(resource_problem("0", false).is_some());
    }
}
