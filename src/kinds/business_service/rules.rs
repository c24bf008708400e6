//! BusinessService rules: small pure functions, each over one concern of the spec. The
//! cross-document one (the pool, in the Service's namespace) is in [`super::validate`].

use std::net::IpAddr;

use super::spec::{BusinessServiceSpec, Exposure};
use crate::diagnostic::Diagnostic;
use crate::field_path::FieldPath;
use crate::kinds::model_pool::allocation::UNASSIGNED;
use crate::kinds::model_pool::validate::PoolPlan;
use crate::names;
use crate::validate::Place;

/// Problems, in the order found.
pub type Problems = Vec<Diagnostic>;

/// A Service name: a DNS label starting with a letter.
pub fn name(place: Place, name: &str) -> Problems {
    if names::is_dns_label(name, 63) && name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Vec::new();
    }
    vec![place.error(
        "metadata.name",
        format!("\"{name}\" is not a valid Service name: a DNS label starting with a letter"),
    )]
}

/// The business is one the pool assigns pods to (a warning when it has none yet).
pub fn business(place: Place, spec: &BusinessServiceSpec, plan: &PoolPlan) -> Problems {
    match plan
        .slices
        .iter()
        .find(|s| s.business == spec.business && s.business != UNASSIGNED)
    {
        None => {
            let assigned: Vec<&str> = plan
                .slices
                .iter()
                .filter(|s| s.business != UNASSIGNED)
                .map(|s| s.business.as_str())
                .collect();
            vec![
                place
                    .error(
                        "spec.business",
                        format!(
                            "pool {} ({}) does not assign business \"{}\"; it assigns {}",
                            plan.name,
                            plan.source,
                            spec.business,
                            if assigned.is_empty() {
                                "none".to_string()
                            } else {
                                assigned.join(", ")
                            }
                        ),
                    )
                    .with_hint(format!("add it to spec.assignments in {}", plan.source)),
            ]
        }
        Some(slice) if slice.replicas == 0 => vec![place.warning(
            "spec.business",
            format!(
                "business \"{}\" has 0 pods in pool {} ({}): the Service has no endpoints",
                spec.business, plan.name, plan.source
            ),
        )],
        Some(_) => Vec::new(),
    }
}

/// Source ranges are CIDRs, and only for a load balancer.
pub fn source_ranges(place: Place, spec: &BusinessServiceSpec) -> Problems {
    let mut problems: Problems = spec
        .source_ranges
        .iter()
        .enumerate()
        .filter(|(_, range)| !is_cidr(range))
        .map(|(i, range)| {
            place.at(
                FieldPath::parse("spec.sourceRanges").index(i),
                Diagnostic::error(format!("\"{range}\" is not a CIDR (e.g. 10.0.0.0/8)")),
            )
        })
        .collect();
    if spec.exposure == Exposure::Cluster && !spec.source_ranges.is_empty() {
        problems.push(place.error(
            "spec.sourceRanges",
            "sourceRanges apply to load balancers; exposure is cluster",
        ));
    }
    problems
}

fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(ip) = address.parse::<IpAddr>() else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    prefix <= if ip.is_ipv4() { 32 } else { 128 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place = Place { file: 0, doc: 0 };

    fn spec(yaml: &str) -> BusinessServiceSpec {
        let value = crate::yaml::parse_documents(&format!("pool: qwen\nbusiness: chat\n{yaml}"))
            .expect("test YAML parses")
            .remove(0);
        serde_json::from_value(value).expect("test spec is valid")
    }

    #[test]
    fn names() {
        assert!(name(PLACE, "chat").is_empty());
        assert_eq!(name(PLACE, "9chat").len(), 1);
        assert_eq!(name(PLACE, "Chat").len(), 1);
    }

    #[test]
    fn ranges_only_for_load_balancers() {
        let fields = |yaml: &str| -> Vec<String> {
            source_ranges(PLACE, &spec(yaml))
                .iter()
                .map(|d| d.field.clone().unwrap_or_default())
                .collect()
        };
        assert!(fields("exposure: external\nsourceRanges: [10.0.0.0/8]\n").is_empty());
        assert_eq!(
            fields("exposure: external\nsourceRanges: [10.0.0.0/8, example.com]\n"),
            ["spec.sourceRanges[1]"]
        );
        assert_eq!(
            fields("exposure: cluster\nsourceRanges: [10.0.0.0/8]\n"),
            ["spec.sourceRanges"]
        );
    }

    #[test]
    fn cidrs() {
        assert!(is_cidr("10.0.0.0/8"));
        assert!(is_cidr("2001:db8::/32"));
        assert!(!is_cidr("10.0.0.0"));
        assert!(!is_cidr("10.0.0.0/33"));
        assert!(!is_cidr("example.com/8"));
    }
}
