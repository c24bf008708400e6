//! Kubernetes label selectors, as `kubectl -l` takes them: `a=b`, `a==b`, `a!=b`,
//! `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, joined by commas (all must match).

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("empty requirement in selector \"{text}\""));
            }
            requirements.push(requirement(part).ok_or_else(|| {
                format!("\"{part}\" is not a label selector requirement (a=b, a!=b, a in (x,y), a notin (x,y), a, !a)")
            })?);
        }
        Ok(Selector(requirements))
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }
}

/// Split at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn is_value(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn set(values: &str) -> Option<Vec<String>> {
    let inner = values.trim().strip_prefix('(')?.strip_suffix(')')?;
    let items: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    items.iter().all(|v| is_value(v)).then_some(items)
}

fn requirement(part: &str) -> Option<Requirement> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return is_key(key).then(|| Requirement::DoesNotExist(key.to_string()));
    }
    if let Some((k, v)) = part.split_once("!=") {
        let (k, v) = (k.trim(), v.trim());
        return (is_key(k) && is_value(v)).then(|| Requirement::NotEquals(k.into(), v.into()));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        let (k, v) = (k.trim(), v.trim());
        return (is_key(k) && is_value(v)).then(|| Requirement::Equals(k.into(), v.into()));
    }
    let mut words = part.splitn(2, char::is_whitespace);
    let key = words.next()?.trim();
    let rest = words.next().map(str::trim).unwrap_or_default();
    if rest.is_empty() {
        return is_key(key).then(|| Requirement::Exists(key.to_string()));
    }
    if let Some(values) = rest.strip_prefix("notin") {
        return Some(Requirement::NotIn(key.to_string(), set(values)?)).filter(|_| is_key(key));
    }
    if let Some(values) = rest.strip_prefix("in") {
        return Some(Requirement::In(key.to_string(), set(values)?)).filter(|_| is_key(key));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(selector: &str, labels: &[(&str, &str)], expected: bool) {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let parsed = Selector::parse(selector).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            parsed.matches(&labels),
            expected,
            "{selector} on {labels:?}"
        );
    }

    #[test]
    fn matching() {
        let growth = [("team", "growth"), ("tier", "stream")];
        case("team=growth", &growth, true);
        case("team==growth", &growth, true);
        case("team=ads", &growth, false);
        case("team!=ads", &growth, true);
        case("team!=growth", &growth, false);
        case("team=growth,tier=stream", &growth, true);
        case("team=growth,tier=batch", &growth, false);
        case("team in (ads, growth)", &growth, true);
        case("team notin (ads,growth)", &growth, false);
        case("owner notin (x)", &growth, true);
        case("team", &growth, true);
        case("!team", &growth, false);
        case("!owner", &growth, true);
        case(
            "app.kubernetes.io/part-of=a",
            &[("app.kubernetes.io/part-of", "a")],
            true,
        );
    }

    #[test]
    fn invalid() {
        for bad in [
            "",
            "a=b,",
            "team in growth",
            "=x",
            "a=b c",
            "team notin ()x",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}
