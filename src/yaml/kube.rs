//! Reading plain manifests as kubectl reads them.
//!
//! kubectl (and Argo CD, and every tool built on `sigs.k8s.io/yaml`) decodes YAML with its
//! fork of go-yaml v2, which resolves plain scalars by YAML 1.1 rules: `yes`/`on`/`y` are
//! true, `0644` is the octal 420, `0x1F`, `0b101`, `0o17` and `1_000` are integers, `1e3`
//! is a number. kiln's own files keep the strict YAML 1.2 reading (a value never changes
//! type silently), but a pass-through manifest is the user's object for kubectl, so it must
//! mean what kubectl would make of it; `tests/kiln/quoting.rs` proves that against the real
//! kubectl. The rules are go-yaml v2's `resolve.go`: booleans and nulls from its table,
//! then, with `_` removed, Go's `ParseInt(text, 0, 64)` (a `0x`, `0o`, `0b` prefix or a
//! leading `0` for octal), `ParseUint`, then its float pattern. A date stays a string (as it
//! does through kubectl's JSON conversion), and `.inf`/`.nan` are errors, as in kubectl.
//!
//! This reader runs only on files that serde-saphyr has already read within every parse
//! limit, so the same nesting, node count and alias expansion bound it.

use std::collections::{HashMap, HashSet};

use granit_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use super::YamlError;

enum Open {
    Seq(Vec<Value>, usize),
    /// A mapping, the key read when a value is awaited, the mapping's anchor, and the keys
    /// written in it (not merged into it).
    Map(Map<String, Value>, Option<Key>, usize, HashSet<String>),
}

enum Key {
    Text(String),
    Merge,
}

/// Every non-empty document of `text`, scalars resolved as kubectl resolves them.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| YamlError {
            message: e.info().clone(),
            line: e.marker().line(),
            column: e.marker().col() + 1,
        })?;
        let at = |message: String| YamlError {
            message,
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        let (value, anchor) = match event {
            Event::DocumentStart(..) => {
                anchors.clear();
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Open::Map(_, key @ None, _, explicit)) = open.last_mut() {
                    *key = Some(
                        if style == ScalarStyle::Plain && text == "<<" && tag.is_none() {
                            Key::Merge
                        } else {
                            let resolved =
                                key_text(&resolve(&text, style, tag.as_deref()).map_err(at)?);
                            if !explicit.insert(resolved.clone()) {
                                return Err(at(format!(
                                    "key {text:?} is read by kubectl as {resolved:?}, a key this mapping already has (quote the keys)"
                                )));
                            }
                            Key::Text(resolved)
                        },
                    );
                    if anchor != 0 {
                        anchors.insert(anchor, Value::String(text.into_owned()));
                    }
                    continue;
                }
                (resolve(&text, style, tag.as_deref()).map_err(at)?, anchor)
            }
            Event::Alias(id) => (
                anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at("an alias to an unknown anchor".into()))?,
                0,
            ),
            Event::SequenceStart(_, anchor, _) => {
                open.push(Open::Seq(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                open.push(Open::Map(Map::new(), None, anchor, HashSet::new()));
                continue;
            }
            Event::SequenceEnd => match open.pop() {
                Some(Open::Seq(items, anchor)) => (Value::Array(items), anchor),
                _ => return Err(at("unbalanced sequence".into())),
            },
            Event::MappingEnd => match open.pop() {
                Some(Open::Map(map, None, anchor, _)) => (Value::Object(map), anchor),
                _ => return Err(at("unbalanced mapping".into())),
            },
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, value.clone());
        }
        match open.last_mut() {
            None if value.is_null() => {}
            None => documents.push(value),
            Some(Open::Seq(items, _)) => items.push(value),
            Some(Open::Map(map, key, ..)) => match key.take() {
                Some(Key::Text(key)) => {
                    map.insert(key, value);
                }
                Some(Key::Merge) => merge(map, value).map_err(at)?,
                None => return Err(at("a mapping value without a key".into())),
            },
        }
    }
    Ok(documents)
}

/// `<<: *base` or `<<: [*a, *b]` as go-yaml v2 (so kubectl) merges: where it stands, over
/// the keys before it (later keys override it); in a list the first mapping wins.
fn merge(map: &mut Map<String, Value>, value: Value) -> Result<(), String> {
    let sources = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for source in sources.into_iter().rev() {
        let Value::Object(source) = source else {
            return Err("a merge key (<<) takes a mapping or a list of mappings".into());
        };
        map.extend(source);
    }
    Ok(())
}

/// A mapping key as `sigs.k8s.io/yaml` turns it into a JSON key.
fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A scalar's value: quoted and block scalars and `!!str` are strings; a plain scalar (or
/// one tagged with another core type) is resolved by go-yaml v2's rules.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let core = tag.and_then(|t| t.suffix_in_namespace("tag:yaml.org,2002:"));
    if core.as_deref() == Some("str") || (style != ScalarStyle::Plain && tag.is_none()) {
        return Ok(Value::String(text.to_string()));
    }
    if tag.is_some() && core.is_none() {
        // A local tag (`!thing`): kubectl keeps the text.
        return Ok(Value::String(text.to_string()));
    }
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Ok(Value::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Ok(Value::Bool(false));
        }
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        _ => {}
    }
    let lower = text.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan") {
        return Err(format!(
            "{text} is infinite or not a number, which kubectl cannot turn into JSON; quote it for a string"
        ));
    }
    let plain = text.replace('_', "");
    if let Some(n) = go_parse_int(&plain) {
        return Ok(Value::Number(n));
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Ok(Value::Number(float_number(f).ok_or_else(|| {
            format!("{text} is too large for a number kubectl can write")
        })?));
    }
    Ok(Value::String(text.to_string()))
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: an optional sign, then
/// `0x`/`0X` hex, `0o`/`0O` or a leading `0` octal, `0b`/`0B` binary, or decimal.
fn go_parse_int(text: &str) -> Option<Number> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        let value = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Number::from(value))
    } else {
        Some(Number::from(magnitude))
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => {
            !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        Some((whole, fraction)) => {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// A float as Go's JSON writes it: an integral value within ±2^53 as an integer (`1e3` is
/// `1000`), any other finite value as a float.
fn float_number(f: f64) -> Option<Number> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Number::from(f as i64));
    }
    Number::from_f64(f)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_scalars_mean_what_kubectl_makes_of_them() {
        let docs = documents(
            "a: [0644, 0x1F, 1_000, 0b101, 0o17, 08, 1e3, .5, +12, yes, ~, 2001-12-14, \"0644\", 1:20, 12e03, -0, on, n, True, !!str 0644, 'yes', -0x10, 1.50]\n",
        )
        .unwrap();
        assert_eq!(
            docs[0]["a"],
            json!([
                420,
                31,
                1000,
                5,
                15,
                8,
                1000,
                0.5,
                12,
                true,
                null,
                "2001-12-14",
                "0644",
                "1:20",
                12000,
                0,
                true,
                false,
                true,
                "0644",
                "yes",
                -16,
                1.5
            ])
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let docs = documents(
            "base: &b {x: 1, z: yes}\nuse: {x: 0, <<: *b, z: 2}\nboth: {<<: [{a: 1}, {a: 2, b: 3}]}\nlist: [*b]\n---\n---\nsecond: 0755\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["use"], json!({"x": 1, "z": 2}));
        assert_eq!(docs[0]["both"], json!({"a": 1, "b": 3}));
        assert_eq!(docs[0]["list"], json!([{"x": 1, "z": true}]));
        assert_eq!(docs[1]["second"], json!(493));
    }

    #[test]
    fn infinities_are_errors_with_a_position() {
        let error = documents("a:\n  b: .inf\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 6));
        assert!(error.message.contains("kubectl cannot turn into JSON"));
    }

    #[test]
    fn keys_become_json_keys() {
        assert_eq!(
            documents("yes: 1\n010: 2\n").unwrap()[0],
            json!({"true": 1, "8": 2})
        );
        let error = documents("data:\n  y: a\n  on: c\n").unwrap_err();
        assert_eq!((error.line, error.column), (3, 3));
        assert!(
            error
                .message
                .starts_with("key \"on\" is read by kubectl as \"true\""),
            "{}",
            error.message
        );
    }
}
