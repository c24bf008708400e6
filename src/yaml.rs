//! Reading and writing YAML with serde-saphyr.
//!
//! Pass-through manifests are read a second time as kubectl reads them (`kube`).
//!
//! Reading follows the YAML 1.2 core schema strictly enough that a value never silently
//! changes type: only `true`/`false` are booleans (`no`, `on`, `y` stay strings), and
//! numbers with leading zeros or underscores (`0755`, `1_000`) stay strings. Duplicate keys
//! are errors and the parse budget bounds nesting, node count and alias expansion.
//!
//! Writing quotes every string a YAML 1.1 reader (kubectl, Argo CD, every Go tool) would take
//! for something else; `tests/quoting.rs` checks that with the real kubectl.

mod fast;
pub mod kube;

use serde_json::Value;
use serde_saphyr::{Budget, DuplicateKeyPolicy, Error, Options, budget::BudgetBreach};

/// Deepest nesting a document may have.
pub const MAX_DEPTH: usize = 64;
/// Most nodes (scalars, sequences, mappings) one file may hold, aliases expanded.
pub const MAX_NODES: usize = 250_000;
/// Most documents one file may hold.
pub const MAX_DOCUMENTS: usize = 1_000;
/// Most events that alias expansion may replay in one file ("billion laughs").
pub const MAX_ALIAS_REPLAY: usize = 20_000;
/// Longest string (scalar or key) a document may hold, in bytes.
pub const MAX_STRING: usize = 1024 * 1024;

/// A YAML syntax or limit error, with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_documents = MAX_DOCUMENTS;
    // What anchors may retain for later aliases: bounded like their expansion, so an alias
    // bomb is rejected before it costs memory.
    budget.max_recorded_anchor_events = MAX_ALIAS_REPLAY;
    budget.max_recorded_anchor_bytes = 4 * 1024 * 1024;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.underscored_numbers_as_strings = true;
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    options
}

/// Parse every non-empty document of a YAML stream: the common ones straight from the
/// parser's events (`fast`), every other one by serde-saphyr, with the same result.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    match fast::documents(text) {
        Some(documents) => Ok(documents),
        None => parse_documents_reference(text),
    }
}

/// [`parse_documents`] by serde-saphyr alone: the reference the fast reader is checked against.
pub fn parse_documents_reference(text: &str) -> Result<Vec<Value>, YamlError> {
    serde_saphyr::from_multiple_with_options::<Strict>(text, options())
        .map(|documents| documents.into_iter().map(|d| d.0).collect())
        .map_err(|e| to_yaml_error(&e))
}

/// A JSON value read from YAML without losing a key: a key that is not a string (`1`,
/// `true`) becomes its text as before, but two keys with the same text (`1` and `"1"`) are
/// an error instead of one silently replacing the other, and a null key (`~`) is an error.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let mut out = serde_json::Map::new();
        while let Some(Strict(key)) = map.next_key()? {
            let key = match key {
                Value::String(s) => s,
                Value::Null => {
                    return Err(A::Error::custom(
                        "a key cannot be null (~); write it in quotes",
                    ));
                }
                Value::Array(_) | Value::Object(_) => {
                    return Err(A::Error::custom(
                        "a key must be a string, not a list or mapping",
                    ));
                }
                other => other.to_string(),
            };
            let Strict(value) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "duplicate key \"{key}\" (a number or boolean key is the same key as its text)"
                )));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

fn to_yaml_error(error: &Error) -> YamlError {
    let error = error.without_snippet();
    let (line, column) = error
        .location()
        .map_or((1, 1), |l| (to_usize(l.line()), to_usize(l.column())));
    // The error itself, under the wrappers that add a snippet or an alias's location.
    let mut original = error;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = original {
        original = error;
    }
    let message = match original {
        Error::DuplicateMappingKey { key: Some(key), .. } => format!("duplicate key \"{key}\""),
        Error::DuplicateMappingKey { key: None, .. } => "duplicate key".to_string(),
        Error::Budget { breach, .. } => limit_message(breach),
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. } => format!(
            "aliases expand to too much data (limit: {MAX_ALIAS_REPLAY} replayed nodes per file)"
        ),
        other => plain_message(other),
    };
    YamlError {
        message,
        line: line.max(1),
        column: column.max(1),
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn limit_message(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Depth { .. } => format!("nesting is deeper than {MAX_DEPTH} levels"),
        BudgetBreach::Nodes { .. } => {
            format!("file has more than {MAX_NODES} nodes (aliases expanded)")
        }
        BudgetBreach::Documents { .. } => format!("file has more than {MAX_DOCUMENTS} documents"),
        BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
            "file uses too many anchors or aliases".to_string()
        }
        BudgetBreach::RecordedAnchorEvents { .. } | BudgetBreach::RecordedAnchorBytes { .. } => {
            format!(
                "aliases expand to too much data (limit: {MAX_ALIAS_REPLAY} replayed nodes per file)"
            )
        }
        other => format!("file exceeds a YAML safety limit ({other:?})"),
    }
}

/// The library's message without its own " at line L, column C" suffix.
fn plain_message(error: &Error) -> String {
    let text = error.without_snippet().to_string();
    let text = match text.find(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.trim().to_string()
}

/// Serialize one value as a YAML document body (no leading `---`).
///
/// The output is byte for byte what `serde_saphyr::to_string` gives (the reference, checked
/// by a differential property test and fuzz target), written in one pass: the layout of
/// mappings and sequences is kiln's own, the common scalars (names, labels, images, paths,
/// digit strings) are decided by a single scan, and every other scalar is rendered by
/// serde-saphyr itself, alone, and put in place. serde-saphyr's per-value state machine and
/// quoting checks were the largest single cost of a render.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// [`to_string`], appended to `out` (a buffer reused from object to object grows only once).
pub fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0, false),
        scalar => out.push_str(&reference(scalar)),
    }
}

/// serde-saphyr's own rendering. Serializing a serde_json value cannot fail: keys are
/// strings and numbers finite.
fn reference<T: serde::Serialize>(value: &T) -> String {
    serde_saphyr::to_string(value).unwrap_or_default()
}

/// Where a value goes: after `key:` or after a sequence's `-`.
#[derive(Clone, Copy)]
enum Slot {
    MapValue,
    Item,
}

const SPACES: &str = "                                                                ";

fn indent(out: &mut String, mut column: usize) {
    while column > SPACES.len() {
        out.push_str(SPACES);
        column -= SPACES.len();
    }
    out.push_str(&SPACES[..column]);
}

/// A mapping whose keys start at `column`; `inline_first` when its first key follows a `- `.
fn write_map(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    column: usize,
    inline_first: bool,
) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, column);
        }
        write_key(out, key);
        out.push(':');
        write_value(out, value, column, Slot::MapValue);
    }
}

/// A sequence whose dashes are at `column`; `inline_first` when its first dash follows a `- `.
fn write_seq(out: &mut String, items: &[Value], column: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, column);
        }
        out.push('-');
        write_value(out, item, column, Slot::Item);
    }
}

/// The value after `key:` or `-` (at `column`), through its last line break. Block
/// sequences under a key are not indented (their dashes are at the key's column).
fn write_value(out: &mut String, value: &Value, column: usize, slot: Slot) {
    match value {
        Value::Object(map) if map.is_empty() => out.push_str(" {}\n"),
        Value::Array(items) if items.is_empty() => out.push_str(" []\n"),
        Value::Object(map) => match slot {
            Slot::MapValue => {
                out.push('\n');
                write_map(out, map, column + 2, false);
            }
            Slot::Item => {
                out.push(' ');
                write_map(out, map, column + 2, true);
            }
        },
        Value::Array(items) => match slot {
            Slot::MapValue => {
                out.push('\n');
                write_seq(out, items, column, false);
            }
            Slot::Item => {
                out.push(' ');
                write_seq(out, items, column + 2, true);
            }
        },
        Value::String(s) => {
            out.push(' ');
            write_string(out, s, column + 2);
        }
        Value::Null => out.push_str(" null\n"),
        Value::Bool(true) => out.push_str(" true\n"),
        Value::Bool(false) => out.push_str(" false\n"),
        Value::Number(n) => {
            out.push(' ');
            if let Some(n) = n.as_u64() {
                push_display(out, n);
            } else if let Some(n) = n.as_i64() {
                push_display(out, n);
            } else {
                // Floats: serde-saphyr's own formatting (and its line break).
                out.push_str(&reference(n));
                return;
            }
            out.push('\n');
        }
    }
}

fn push_display(out: &mut String, n: impl std::fmt::Display) {
    use std::fmt::Write as _;
    // Writing into a String cannot fail.
    let _ = write!(out, "{n}");
}

/// A string value through its line break; a block scalar's body lines start at `body`.
fn write_string(out: &mut String, s: &str, body: usize) {
    match fast_scalar(s, false) {
        Some(Fast::Plain) => {
            out.push_str(s);
            out.push('\n');
        }
        Some(Fast::Quoted) => {
            out.push('"');
            out.push_str(s);
            out.push_str("\"\n");
        }
        None if s.contains('\n') && is_block_safe(s) => write_literal(out, s, body),
        None => put_delegated(out, &reference(&s), body),
    }
}

/// Whether serde-saphyr writes a multi-line string as a literal block scalar: every
/// character is a line break, a tab or printable (its `is_block_scalar_content_safe`).
fn is_block_safe(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\n' | '\t' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    }) && !s.contains(['\u{2028}', '\u{2029}', '\u{FEFF}'])
}

/// A multi-line string as serde-saphyr writes it, as a literal block scalar whose body lines
/// start at `body`: `|`, `2` when the first non-empty line starts with a space, and the
/// chomping its trailing line breaks need (`-` none, nothing for one, `+` more).
fn write_literal(out: &mut String, s: &str, body: usize) {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push('|');
    let first = content.split('\n').find(|line| !line.is_empty());
    if first.is_some_and(|line| line.starts_with(' ')) {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        (0..trailing).for_each(|_| out.push('\n'));
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, body);
            out.push_str(line);
        }
        out.push('\n');
    }
    (1..trailing).for_each(|_| out.push('\n'));
}

/// serde-saphyr's rendering of a string alone, put in place: the same scalar, except that a
/// block scalar's body is indented for the top level (two columns) and goes to `body`.
fn put_delegated(out: &mut String, text: &str, body: usize) {
    if !text.starts_with(['|', '>']) {
        out.push_str(text);
        return;
    }
    let (header, body_lines) = text.split_at(text.find('\n').map_or(text.len(), |i| i + 1));
    out.push_str(header);
    for line in body_lines.split_inclusive('\n') {
        match line.strip_prefix("  ") {
            Some(content) => {
                indent(out, body);
                out.push_str(content);
            }
            None => out.push_str(line),
        }
    }
}

/// A mapping key as serde-saphyr writes it (plain, or double-quoted when a reader could take
/// it for something else or it holds flow indicators).
fn write_key(out: &mut String, key: &str) {
    match fast_scalar(key, true) {
        Some(Fast::Plain) => out.push_str(key),
        Some(Fast::Quoted) => {
            out.push('"');
            out.push_str(key);
            out.push('"');
        }
        None => {
            let mut alone = serde_json::Map::new();
            alone.insert(key.to_string(), Value::Null);
            let text = reference(&Value::Object(alone));
            out.push_str(text.strip_suffix(": null\n").unwrap_or(&text));
        }
    }
}

enum Fast {
    Plain,
    Quoted,
}

/// Longest single-line string serde-saphyr writes as it is (longer ones may be folded).
const FOLD_AFTER: usize = 80;

/// The common scalars decided by one scan, exactly as serde-saphyr would:
/// - a string of ASCII digits is a number to a YAML reader: double-quoted (no escapes);
///   digits and a unit (`500m`) are plain;
/// - as a value, digits, a dot, then digits and dots (`0.9`, `10.0.0.1`) are a YAML 1.1
///   float: double-quoted;
/// - a string that starts with an ASCII letter or `/` (or, as a value, a flag such as `-m` or
///   `--port`), has only printable ASCII, no `": "`, no `" #"`, no trailing space or colon
///   is plain: starting so it cannot be a number, timestamp, indicator or document marker;
///   unless it is one of the YAML 1.1 words (`yes`, `off`, `null`, `nan`...), which as a
///   value is double-quoted. A key must also hold no `:` or flow indicator.
///
/// Anything else (`None`) is left to serde-saphyr.
fn fast_scalar(s: &str, key: bool) -> Option<Fast> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if !key && bytes.len() > FOLD_AFTER {
        return None;
    }
    if first.is_ascii_digit() {
        return digits_and_unit(bytes).or_else(|| if key { None } else { dotted_digits(bytes) });
    }
    if !(first.is_ascii_alphabetic() || first == b'/' || (!key && is_flag(s))) {
        return None;
    }
    // One pass ORs the classes of all bytes; only a string holding a space, `#`, `:` or a
    // flow indicator needs the pairwise checks.
    let classes = bytes[1..]
        .iter()
        .fold(0, |seen, &b| seen | BYTE_CLASS[usize::from(b)]);
    let last = bytes[bytes.len() - 1];
    if classes & UNPRINTABLE != 0
        || (key && classes & (COLON | FLOW) != 0)
        || last == b' '
        || last == b':'
    {
        return None;
    }
    if classes & (SPACE | HASH | COLON) != 0 && bytes.windows(2).any(|w| w == b" #" || w == b": ") {
        return None;
    }
    if is_yaml_word(s) {
        // A value is read as YAML 1.1 (`no` is a boolean there): quoted. serde-saphyr
        // judges keys by YAML 1.2, so those are left to it.
        return (!key).then_some(Fast::Quoted);
    }
    Some(Fast::Plain)
}

/// A command-line flag (`-m`, `--port`, `--type=merge`): a dash, or two, then a letter. As a
/// value it is plain (a dash is an indicator only before a space), unless it spells `-inf`.
fn is_flag(s: &str) -> bool {
    let bytes = s.as_bytes();
    let letter_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphabetic);
    bytes[0] == b'-'
        && (letter_at(1) || (bytes.get(1) == Some(&b'-') && letter_at(2)))
        && !s.eq_ignore_ascii_case("-inf")
}

/// Digits, a dot, then digits and dots (`0.9`, `10.0.0.1`): a float to a YAML 1.1 reader
/// (its float production allows more dots), so a value is double-quoted (no escapes).
fn dotted_digits(bytes: &[u8]) -> Option<Fast> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = &bytes[digits..];
    (rest.first() == Some(&b'.') && rest.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
        .then_some(Fast::Quoted)
}

/// Byte classes for [`fast_scalar`]: bits that one pass ORs together.
const UNPRINTABLE: u8 = 1;
const SPACE: u8 = 2;
const HASH: u8 = 4;
const COLON: u8 = 8;
/// `,[]{}`: flow indicators, which a plain key may not hold.
const FLOW: u8 = 16;

static BYTE_CLASS: [u8; 256] = {
    let mut classes = [UNPRINTABLE; 256];
    let mut b = b' ';
    while b <= b'~' {
        classes[b as usize] = match b {
            b' ' => SPACE,
            b'#' => HASH,
            b':' => COLON,
            b',' | b'[' | b']' | b'{' | b'}' => FLOW,
            _ => 0,
        };
        b += 1;
    }
    classes
};

/// Digits alone (a number to a YAML reader: quoted), or digits and a unit of letters
/// (`500m`, `2Gi`, `10s`: plain). A unit with `e` (an exponent) or a `0b`/`0o`/`0x` prefix
/// could read as a number and is left to serde-saphyr.
fn digits_and_unit(bytes: &[u8]) -> Option<Fast> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = &bytes[digits..];
    if unit.is_empty() {
        return Some(Fast::Quoted);
    }
    let radix_prefix = digits == 1
        && bytes[0] == b'0'
        && matches!(unit[0], b'b' | b'B' | b'o' | b'O' | b'x' | b'X');
    let plain = !radix_prefix
        && unit
            .iter()
            .all(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E'));
    plain.then_some(Fast::Plain)
}

/// The words a YAML 1.1 or 1.2 reader takes for a boolean, null or special float.
fn is_yaml_word(s: &str) -> bool {
    s.len() <= 5
        && matches!(
            s.as_bytes()[0].to_ascii_lowercase(),
            b'n' | b't' | b'f' | b'i' | b'y' | b'o'
        )
        && [
            "null", "true", "false", "nan", "inf", "y", "yes", "n", "no", "on", "off",
        ]
        .iter()
        .any(|word| s.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use serde_json::json;

    use super::*;

    #[test]
    fn yaml_1_1_words_stay_strings() {
        let docs =
            parse_documents("a: no\nb: on\nc: y\nd: 0755\ne: 1_000\nf: true\ng: 2024-01-01\n")
                .unwrap();
        assert_eq!(
            docs,
            [
                json!({"a": "no", "b": "on", "c": "y", "d": "0755", "e": "1_000", "f": true, "g": "2024-01-01"})
            ]
        );
    }

    #[test]
    fn empty_documents_are_skipped() {
        assert_eq!(
            parse_documents("---\n---\nx: 1\n").unwrap(),
            [json!({"x": 1})]
        );
        assert!(parse_documents("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn duplicate_key_is_an_error_with_position() {
        let e = parse_documents("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert_eq!(e.message, "duplicate key \"c\"");
        assert_eq!((e.line, e.column), (4, 3));
    }

    #[test]
    fn syntax_error_has_position_without_library_suffix() {
        let e = parse_documents("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        assert!(!e.message.contains("at line"), "{}", e.message);
    }

    #[test]
    fn billion_laughs_is_refused() {
        // Ten levels of ten aliases each: 10^10 nodes if expanded.
        let mut text = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10 {
            let aliases = vec![format!("*a{}", i - 1); 10].join(",");
            let _ = writeln!(text, "a{i}: &a{i} [{aliases}]");
        }
        let e = parse_documents(&text).unwrap_err();
        assert!(
            e.message.contains("alias") || e.message.contains("nodes"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = parse_documents(&text).unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("deep"),
            "{}",
            e.message
        );
    }

    /// The fast reader reads every YAML file of the project (fixtures, examples, fuzz seeds
    /// and crash reproducers) as serde-saphyr does, and takes most of them itself.
    #[test]
    fn fast_reader_agrees_on_every_project_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut files, mut fast) = (0, 0);
        for folder in ["fixtures", "examples", "fuzz/seeds", "fuzz/regressions"] {
            for entry in walkdir::WalkDir::new(root.join(folder)).sort_by_file_name() {
                let entry = entry.unwrap();
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                assert!(
                    differential::fast_reader_agrees(&text),
                    "{}",
                    entry.path().display()
                );
                files += 1;
                fast += usize::from(fast::documents(&text).is_some());
            }
        }
        assert!(files > 300, "{files} files");
        // The same files with Windows line breaks and a byte-order mark.
        let job =
            std::fs::read_to_string(root.join("examples/lemo/jobs/job-example-py.yaml")).unwrap();
        for text in [job.replace('\n', "\r\n"), format!("\u{FEFF}{job}")] {
            assert!(differential::fast_reader_agrees(&text));
            assert!(fast::documents(&text).is_some());
        }
        assert!(
            fast * 10 > files * 7,
            "{fast} of {files} read by the fast reader"
        );
    }

    #[test]
    fn fast_reader_hands_over_what_needs_yaml_rules() {
        for text in [
            "a: 0755\n",
            "a: 1e3\n",
            "a: .inf\n",
            "a: True\n",
            "a: 1_000\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 5\n",
            "<<: {a: 1}\n",
            "null: a\n",
            "[a]: b\n",
            "1: a\n+1: b\n",
            "1: a\n0x1: b\n",
            "true: a\n",
            "a: 1\na: 2\n",
            "%YAML 1.2\n---\na: 1\n",
            "~\n",
            "# nothing\n",
            "a: [1\n",
        ] {
            assert!(fast::documents(text).is_none(), "{text:?}");
        }
        assert_eq!(
            fast::documents(
                "a: 500m\nb: 2Gi\nc: 1.19.3\nd: -12\ne: 0.9\nf: ~\ng:\nh: 'no'\ni: yes\n\"1\": j\nyes: k\n"
            ),
            Some(vec![json!({
                "a": "500m", "b": "2Gi", "c": "1.19.3", "d": -12, "e": 0.9, "f": null, "g": null,
                "h": "no", "i": "yes", "1": "j", "yes": "k"
            })])
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let out = to_string(&json!({"a": "no", "b": "0755", "c": "plain", "d": 5}));
        assert_eq!(out, "a: \"no\"\nb: \"0755\"\nc: plain\nd: 5\n");
    }
}

/// kiln's writer against serde-saphyr's, on values built to reach every branch of both.
#[cfg(test)]
mod differential {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    /// Strings near every quoting and block-scalar rule.
    const TRICKY: &[&str] = &[
        "",
        " ",
        "a",
        "A",
        "-",
        ".",
        "#",
        "~",
        "?",
        ":",
        "<<",
        "=",
        "y",
        "Y",
        "n",
        "No",
        "on",
        "OFF",
        "yes",
        "null",
        "Null",
        "NULL",
        "true",
        "False",
        "nan",
        ".nan",
        "inf",
        "-inf",
        ".Inf",
        "0",
        "00",
        "0755",
        "1_000",
        "1e3",
        "1.5",
        "0x1F",
        "0o17",
        "0b101",
        "+1",
        "-1",
        "1:30",
        "190:20:30",
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        "2001-12-14 21:59:43.10 -5",
        "a: b",
        "a:b",
        "a:",
        "a :",
        "a #b",
        "a#b",
        "#a",
        "a\tb",
        "a ",
        " a",
        "---",
        "--- a",
        "...",
        "- a",
        "-a",
        "? a",
        "[a]",
        "{a}",
        "a,b",
        "a[0]",
        "*a",
        "&a",
        "!a",
        "|a",
        ">a",
        "'a'",
        "\"a\"",
        "%a",
        "@a",
        "`a",
        "a'b",
        "a\"b",
        "a\\b",
        "é",
        "日本",
        "a\u{85}b",
        "a\u{2028}b",
        "\u{feff}a",
        "a\u{7f}",
        "a\rb",
        "a\0b",
        "s3://bucket/path",
        "--port",
        "--type=merge",
        "--patch={\"a\":[1,2]}",
        "-m",
        "-py",
        "-Inf",
        "-INF",
        "-infinity",
        "-nan",
        "-e5",
        "-E",
        "--e5",
        "--",
        "---x",
        "--1",
        "-.5",
        "-x: y",
        "-x #y",
        "-x:",
        "0.9",
        "9.",
        "1..2",
        "10.0.0.1",
        "1.2.3a",
        "1.5e3",
        "1_0.5",
        "yEs",
        "oN",
        "registry.example.com/flink:1.19.3",
        "app.kubernetes.io/part-of",
        "1m",
        "100%",
        "500m",
        "2Gi",
        "10s",
        "1e",
        "1E3",
        "0x",
        "0b1",
        "0o",
        "0xff",
        "12h30",
        "1_0s",
        "/",
        "/opt/flink",
        "/a: b",
        "/#",
        "line\n",
        "line",
        "two\nlines",
        "two\nlines\n",
        "trailing\n\n",
        "\n",
        "\n\n",
        "  indented\nbody",
        "\n  indented after blank",
        "tab\tin\nblock",
        "cr\r\nlf",
        "SELECT 1;\nINSERT INTO t SELECT * FROM s;\n",
        "a long line of words that goes on and on past the eighty column fold limit of the writer",
        "a long line of words that goes on and on past the eighty column fold limit: with colon",
        "a-long-word-without-any-spaces-that-goes-past-the-eighty-column-fold-limit-of-yaml",
        "a long line of words that goes on and on past the eighty column fold limit of it  ",
        "  a long line that starts with spaces and goes past the eighty column fold limit",
        "paragraph one is long enough to be folded by the writer at eighty columns for sure\n\nand two",
    ];

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(TRICKY).prop_map(str::to_string),
            2 => "[a-zA-Z0-9 ./:#_-]{0,12}",
            2 => "[ -~\\t\\n]{0,100}",
            1 => any::<String>().prop_map(|s| s.chars().take(120).collect()),
            1 => (proptest::sample::select(TRICKY), proptest::sample::select(TRICKY))
                .prop_map(|(a, b)| format!("{a}{b}")),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            string().prop_map(Value::String),
            string().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec((string(), inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    #[test]
    fn tricky_strings_seed_is_written_as_serde_saphyr_writes_it() {
        let text = include_str!("../fuzz/seeds/emit/tricky-strings.yaml");
        let documents = super::parse_documents(text).unwrap();
        assert_eq!(documents.len(), 1);
        let out = super::to_string(&documents[0]);
        assert_eq!(out, serde_saphyr::to_string(&documents[0]).unwrap());
        // The writer's own paths and the delegated ones both appear.
        for line in [
            "  - |\n    in a sequence",
            "  indented: |2\n",
            "  literal: |",
            "  folded: >-",
            "- \"yes\"",
            "\"123\": digits",
        ] {
            assert!(out.contains(line), "{line:?} not in\n{out}");
        }
    }

    /// Long scripts, as the SQL wrapper's, at several indents, are written as serde-saphyr
    /// writes them.
    #[test]
    fn scripts_are_written_as_serde_saphyr_writes_them() {
        let script = "import sys\n\ndef main():\n    print('x: y')\n\t# tab\n".repeat(40);
        let value = serde_json::json!({
            "a": script, "b": {"c": [script, format!("  {script}\n\n")]},
            "d": [{"e": script.trim_end()}], "f": "\n\n", "g": "x\r\ny\n", "h": "\u{FEFF}a\nb"
        });
        assert_eq!(
            super::to_string(&value),
            serde_saphyr::to_string(&value).unwrap()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn writes_what_serde_saphyr_writes(value in value()) {
            let reference = serde_saphyr::to_string(&value).unwrap();
            prop_assert_eq!(super::to_string(&value), reference);
        }

        #[test]
        fn fast_reader_reads_what_serde_saphyr_reads_back(value in value()) {
            let text = super::to_string(&value);
            prop_assert!(fast_reader_agrees(&text), "{}", text);
        }

        #[test]
        fn fast_reader_reads_what_serde_saphyr_reads(text in yaml_text()) {
            prop_assert!(fast_reader_agrees(&text), "{}", text);
        }

        /// Mappings of a few keys, where keys meet: duplicates, also by value (`1`, `+1`).
        #[test]
        fn fast_reader_reads_mappings_as_serde_saphyr_does(
            entries in proptest::collection::vec((key(), written_scalar()), 1..6)
        ) {
            let mut text = String::new();
            for (key, value) in &entries {
                for part in [key.as_str(), ": ", value, "\n"] {
                    text.push_str(part);
                }
            }
            prop_assert!(fast_reader_agrees(&text), "{}", text);
        }
    }

    /// Whether the fast reader, when it reads `text` at all, reads what serde-saphyr reads.
    pub(super) fn fast_reader_agrees(text: &str) -> bool {
        match super::fast::documents(text) {
            None => true,
            Some(fast) => super::parse_documents_reference(text).is_ok_and(|r| r == fast),
        }
    }

    /// A scalar as it may be written in YAML: plain, quoted, a flow collection, with YAML's
    /// properties (tags, anchors, aliases), or nothing.
    fn written_scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(TRICKY)
                .prop_filter("one line", |s| !s.contains('\n'))
                .prop_map(str::to_string),
            2 => "[a-zA-Z0-9 .:_+~-]{0,10}",
            1 => "[0-9]{1,20}(\\.[0-9]{0,18})?",
            1 => "-?[0-9]{1,3}(\\.[0-9]{1,3})?([eE][-+]?[0-9]{1,3})?",
            1 => proptest::sample::select(TRICKY).prop_map(|s| format!("{s:?}")),
            1 => proptest::sample::select(TRICKY).prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
            1 => proptest::sample::select(&[
                "!!str 5", "!!int 5", "!custom x", "&a x", "*a", "&a [1, 2]", "[1, 2]", "{a: 1}",
                "{a: 1, a: 2}", "[]", "{}", "|\n  block", ">\n  folded", "? x", "- x", "\"a\\tb\"",
                "[a, [b, {c: d}]]", "{? [a]: b}", "null", "~", "", "#", "x #comment",
            ]).prop_map(str::to_string),
        ]
    }

    /// A mapping key as it may be written: a word, any scalar, or one of the spellings that
    /// YAML reads as something else (the same integer, a bool, null, the merge key).
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-c]{1,2}",
            1 => written_scalar(),
            2 => proptest::sample::select(&[
                "<<", "? x", "1", "+1", "01", "0x1", "0o1", "1_0", "1.0", "true", "True", "null",
                "~", "\"k\"", "'k'", "a b", "\"1\"", "\"a\"", "'a'",
            ])
            .prop_map(str::to_string),
        ]
    }

    /// YAML text made of lines of keys, list items and scalars at a few indents, with
    /// document markers and directives now and then, and Unix or Windows line breaks: mostly
    /// valid, often not.
    fn yaml_text() -> impl Strategy<Value = String> {
        let line = (
            0..3usize,
            any::<bool>(),
            proptest::option::of(key()),
            written_scalar(),
        )
            .prop_map(|(indent, item, key, scalar)| {
                let mut line = "  ".repeat(indent);
                if item {
                    line.push_str("- ");
                }
                if let Some(key) = key {
                    line.push_str(&key);
                    line.push(':');
                    if !scalar.is_empty() {
                        line.push(' ');
                    }
                }
                line.push_str(&scalar);
                line
            });
        let head =
            proptest::sample::select(&["", "---\n", "%YAML 1.2\n---\n", "--- ", "---\n---\n"]);
        let line_break = proptest::sample::select(&["\n", "\r\n"]);
        (
            head,
            proptest::collection::vec(line, 1..8),
            proptest::option::of("---\n[a-z]: 1"),
            line_break,
        )
            .prop_map(|(head, lines, tail, line_break)| {
                let mut text = format!("{head}{}\n", lines.join("\n"));
                if let Some(tail) = tail {
                    text.push_str(&tail);
                    text.push('\n');
                }
                text.replace('\n', line_break)
            })
    }
}
