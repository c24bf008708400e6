//! Reading the common YAML document straight from the parser's events.
//!
//! serde-saphyr reads YAML through serde's generic machinery, which was about half of the
//! parse stage. Most spec files use a small part of YAML: block and flow mappings and
//! sequences, quoted and block strings, and plain scalars that are plainly strings, small
//! integers, decimals, `true`, `false` or `null`. [`documents`] builds those straight from the
//! events of the parser serde-saphyr uses (granit-parser, with serde-saphyr's options) and
//! hands everything else back, whole file at once, by returning `None`: a parse error, a
//! tag, an anchor or alias, a merge key (`<<`), a key that is not plainly a string, a
//! duplicate key, a `%YAML` directive, an empty or null document, a plain scalar whose type
//! needs YAML's full rules (`0755`, `1e3`, `.inf`, `True`, `1_000`), and anything near a
//! parse limit. serde-saphyr then reads the file, so every error and every limit stays its
//! own.
//!
//! The reading rules are serde-saphyr's with kiln's options (see `yaml::options`); the
//! `fast_reader_*` tests of `yaml.rs` and the `parse` fuzz target compare the two readers.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// Nesting, node and document counts above which the file goes to serde-saphyr, well below
/// its limits (`yaml::MAX_DEPTH` and friends), so that it alone decides near them.
const DEPTH: usize = super::MAX_DEPTH / 2;
const NODES: usize = super::MAX_NODES / 2;
const DOCUMENTS: usize = super::MAX_DOCUMENTS / 2;

/// A collection being built.
enum Open {
    Seq(Vec<Value>),
    /// A mapping, and the key read when a value is awaited.
    Map(Map<String, Value>, Option<String>),
}

/// Every document of `text`, or `None` when serde-saphyr must read it (module doc).
pub(super) fn documents(text: &str) -> Option<Vec<Value>> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options());
    let mut documents = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut nodes = 0usize;
    let mut starts = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, _) = event.ok()?;
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(_, version) => {
                starts += 1;
                if version.is_some() || starts > DOCUMENTS {
                    return None;
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                if let Some(Open::Map(_, key @ None)) = open.last_mut() {
                    *key = Some(key_text(text, style)?);
                    nodes += 1;
                    continue;
                }
                scalar(text, style)?
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || open.len() >= DEPTH {
                    return None;
                }
                // A collection as a mapping key.
                if let Some(Open::Map(_, None)) = open.last() {
                    return None;
                }
                open.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match open.pop()? {
                Open::Seq(items) => Value::Array(items),
                Open::Map(..) => return None,
            },
            Event::MappingEnd => match open.pop()? {
                Open::Map(map, None) => Value::Object(map),
                _ => return None,
            },
            // Aliases, and events the options do not ask for.
            _ => return None,
        };
        nodes += 1;
        if nodes > NODES {
            return None;
        }
        match open.last_mut() {
            None if value.is_null() => return None,
            None => documents.push(value),
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => {
                if map.insert(key.take()?, value).is_some() {
                    return None;
                }
            }
        }
    }
    if documents.is_empty() {
        return None;
    }
    Some(documents)
}

/// The parser options serde-saphyr uses with kiln's budget.
fn parser_options() -> granit_parser::Options {
    let budget = serde_saphyr::Budget::default();
    let mut options = granit_parser::Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit = options.block_nesting_limit.max(super::MAX_DEPTH + 1);
    options
}

/// A mapping key that is plainly a string, or `None`. serde-saphyr reads a plain key as the
/// text written, but compares integer keys by value (`1` and `+1` are the same key), so
/// every key that is not plainly a string is handed over, and so is the merge key `<<`.
fn key_text(text: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    match scalar(text, style)? {
        Value::String(key) if !(style == ScalarStyle::Plain && key == "<<") => Some(key),
        _ => None,
    }
}

/// A scalar's value, or `None` when its type needs YAML's full rules.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    let bytes = text.as_bytes();
    // Empty and `~` are null (a null document is handed over by the caller).
    let Some(&first) = bytes.first() else {
        return Some(Value::Null);
    };
    if bytes == b"~" {
        return Some(Value::Null);
    }
    if first.is_ascii_alphabetic() {
        return match &*text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ if is_special_word(&text) => None,
            _ => Some(Value::String(text.into_owned())),
        };
    }
    if !matches!(first, b'0'..=b'9' | b'-' | b'+' | b'.') {
        return Some(Value::String(text.into_owned()));
    }
    if let Some(number) = decimal(&text) {
        return Some(Value::Number(number));
    }
    // No YAML number has a letter outside these, or two dots (`500m`, `2Gi`, `1.19.3`).
    let numeric = |b: &u8| {
        b.is_ascii_hexdigit()
            || matches!(
                b.to_ascii_lowercase(),
                b'.' | b'+' | b'-' | b'_' | b':' | b'x' | b'o' | b'i' | b'n' | b't' | b'y'
            )
    };
    let two_dots = bytes
        .iter()
        .position(|&b| b == b'.')
        .is_some_and(|first| bytes[first + 1..].contains(&b'.'));
    if two_dots || !bytes.iter().all(numeric) {
        return Some(Value::String(text.into_owned()));
    }
    None
}

/// `null`, `true` and `false` in another case (`Null`, `TRUE`): YAML's rules decide. The
/// YAML 1.1 words (`yes`, `on`, `n`) and `nan` or `inf` without a dot are strings.
fn is_special_word(text: &str) -> bool {
    ["null", "true", "false"]
        .iter()
        .any(|w| text.eq_ignore_ascii_case(w))
}

/// `-?(0|[1-9][0-9]*)` of at most 18 digits as an integer, `-?(0|[1-9][0-9]*)\.[0-9]+` of at
/// most 15 significant digits as a float, else `None`.
fn decimal(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let plain = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !plain(whole) || (whole.len() > 1 && whole[0] == b'0') {
        return None;
    }
    match fraction {
        None if whole.len() <= 18 => {
            let n: i64 = text.parse().ok()?;
            // `-0` is left to YAML's rules.
            (n != 0 || bytes[0] != b'-').then(|| Number::from(n))
        }
        Some(fraction) if plain(fraction) && whole.len() + fraction.len() <= 15 => {
            Number::from_f64(text.parse().ok()?)
        }
        _ => None,
    }
}
