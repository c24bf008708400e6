//! The naming rules of Kubernetes and the Flink operator: DNS labels and subdomains, label
//! keys and values, FlinkDeployment names.

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

/// A DNS-1123 subdomain: dot-separated DNS labels, at most 253 characters.
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(|part| is_dns_label(part, 63))
}

/// Kubernetes label syntax: an optional DNS-subdomain prefix and a name of at most 63
/// characters; values of at most 63 characters, alphanumeric at both ends.
pub fn label_problem(key: &str, value: &str) -> Option<String> {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
    };
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(is_dns_subdomain);
    if !prefix_ok || !name_ok(name) {
        return Some(format!("\"{key}\" is not a valid label key"));
    }
    if !value.is_empty() && !name_ok(value) {
        return Some(format!(
            "label value \"{value}\" is invalid: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
