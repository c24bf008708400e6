//! "Did you mean" hints.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // A typo is short; a long word (a pasted value) is compared with nothing.
    if word.len() > 253 {
        return None;
    }
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(word: &str, expected: Option<&str>) {
        let candidates = [
            "parallelism",
            "profile",
            "hpa",
            "hpa_reactive",
            "minReplicas",
            "maxReplicas",
        ];
        assert_eq!(closest(word, candidates), expected);
    }

    #[test]
    fn suggestions() {
        case("paralelism", Some("parallelism"));
        case("hpa2", Some("hpa"));
        case("minreplicas", Some("minReplicas"));
        case("maxReplica", Some("maxReplicas"));
        case("zzzzzz", None);
        case("x", None);
    }

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
