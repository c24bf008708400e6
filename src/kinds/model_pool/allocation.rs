//! Splitting a pool's replicas between businesses.
//!
//! Counts are taken as given. Shares (`"50%"`) are the exact quotas `replicas x share`,
//! rounded by the largest-remainder method: every share gets the floor of its quota, and the
//! pods left over (the floor of the summed quotas minus the floors) go one each to the
//! largest fractional parts, ties by business name. So each share gets its quota rounded
//! down or up, shares never take more than their summed quota, and whatever is not assigned
//! stays `unassigned`.

use std::collections::BTreeMap;

use crate::kinds::model_pool::Assignment;

pub const UNASSIGNED: &str = "unassigned";

/// A share such as `"50%"` or `"12.5%"` as a fraction of 1.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let number = text
        .trim()
        .strip_suffix('%')
        .ok_or_else(|| format!("\"{text}\" is neither a count nor a share such as \"50%\""))?;
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a share such as \"50%\""))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("share \"{text}\" is outside 0%-100%"));
    }
    Ok(value / 100.0)
}

/// Pods per business, in business-name order. Shares must already parse.
// Quotas are products of a u32 and a share in 0..=1: never negative, never above u32::MAX.
#[allow(clippy::cast_sign_loss)]
pub fn allocate(
    replicas: u32,
    assignments: &BTreeMap<String, Assignment>,
) -> Result<BTreeMap<String, u32>, String> {
    let mut result = BTreeMap::new();
    let mut shares: Vec<(&str, f64)> = Vec::new();
    for (business, assignment) in assignments {
        match assignment {
            Assignment::Count(n) => {
                result.insert(business.clone(), *n);
            }
            Assignment::Share(text) => shares.push((business, parse_share(text)?)),
        }
    }
    let quotas: Vec<(&str, f64)> = shares
        .iter()
        .map(|(b, s)| (*b, f64::from(replicas) * s))
        .collect();
    let total: f64 = quotas.iter().map(|(_, q)| q).sum();
    let seats = (total + 1e-9).floor() as u32;
    let mut floors: Vec<(&str, u32, f64)> = quotas
        .iter()
        .map(|(b, q)| {
            let floor = (q + 1e-9).floor();
            (*b, floor as u32, q - floor)
        })
        .collect();
    let given: u32 = floors.iter().map(|(_, f, _)| f).sum();
    let mut order: Vec<usize> = (0..floors.len()).collect();
    order.sort_by(|&a, &b| {
        floors[b]
            .2
            .partial_cmp(&floors[a].2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| floors[a].0.cmp(floors[b].0))
    });
    for &i in order.iter().take(seats.saturating_sub(given) as usize) {
        floors[i].1 += 1;
    }
    for (business, pods, _) in floors {
        result.insert(business.to_string(), pods);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn assignments(pairs: &[(&str, Assignment)]) -> BTreeMap<String, Assignment> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    fn share(s: &str) -> Assignment {
        Assignment::Share(s.to_string())
    }

    #[track_caller]
    fn case(replicas: u32, pairs: &[(&str, Assignment)], expected: &[(&str, u32)]) {
        let got = allocate(replicas, &assignments(pairs)).unwrap();
        let expected: BTreeMap<String, u32> = expected
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn table() {
        case(
            4,
            &[
                ("production", Assignment::Count(2)),
                ("testing", Assignment::Count(1)),
            ],
            &[("production", 2), ("testing", 1)],
        );
        case(
            5,
            &[("a", share("50%")), ("b", share("50%"))],
            &[("a", 3), ("b", 2)],
        );
        case(5, &[("a", share("50%"))], &[("a", 2)]);
        case(
            10,
            &[
                ("a", share("33%")),
                ("b", share("33%")),
                ("c", share("34%")),
            ],
            &[("a", 3), ("b", 3), ("c", 4)],
        );
        case(
            7,
            &[
                ("a", share("40%")),
                ("b", share("35%")),
                ("c", share("25%")),
            ],
            &[("a", 3), ("b", 2), ("c", 2)],
        );
        case(3, &[("a", share("12.5%"))], &[("a", 0)]);
        case(0, &[("a", share("100%"))], &[("a", 0)]);
        case(
            4,
            &[("a", Assignment::Count(1)), ("b", share("50%"))],
            &[("a", 1), ("b", 2)],
        );
    }

    #[test]
    fn shares_parse() {
        assert_eq!(parse_share("50%"), Ok(0.5));
        assert_eq!(parse_share(" 12.5 %"), Ok(0.125));
        assert!(parse_share("50").is_err());
        assert!(parse_share("150%").is_err());
        assert!(parse_share("x%").is_err());
    }

    #[allow(clippy::cast_sign_loss)]
    fn floor_u32(x: f64) -> u32 {
        (x + 1e-9).floor() as u32
    }

    proptest! {
        /// Each count is taken exactly, each share gets its quota rounded down or up, and the
        /// shares together get exactly the floor of their summed quotas (never more). That the
        /// rendered slices sum to the replicas is tested on the Deployments (expand::pool).
        #[test]
        fn slices_sum_to_replicas(
            replicas in 0u32..200,
            counts in proptest::collection::vec(0u32..20, 0..4),
            percents in proptest::collection::vec(0u32..=100, 0..4),
        ) {
            let mut map = BTreeMap::new();
            for (i, c) in counts.iter().enumerate() {
                map.insert(format!("count{i}"), Assignment::Count(*c));
            }
            let mut remaining = 100;
            for (i, p) in percents.iter().enumerate() {
                let p = (*p).min(remaining);
                remaining -= p;
                map.insert(format!("share{i}"), Assignment::Share(format!("{p}%")));
            }
            let allocated = allocate(replicas, &map).unwrap();
            for (i, c) in counts.iter().enumerate() {
                prop_assert_eq!(allocated[&format!("count{i}")], *c);
            }
            let mut share_total = 0.0;
            for (name, a) in &map {
                if let Assignment::Share(text) = a {
                    let quota = f64::from(replicas) * parse_share(text).unwrap();
                    share_total += quota;
                    let got = f64::from(allocated[name]);
                    prop_assert!(got >= quota.floor() - 1e-9 && got <= quota.ceil() + 1e-9, "{name}: {got} for quota {quota}");
                }
            }
            let shares_given: u32 = map.iter().filter(|(_, a)| matches!(a, Assignment::Share(_))).map(|(n, _)| allocated[n]).sum();
            prop_assert_eq!(shares_given, floor_u32(share_total));
        }
    }
}
