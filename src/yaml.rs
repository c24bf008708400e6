//! Reading and writing YAML with serde-saphyr.
//!
//! Reading follows the YAML 1.2 core schema strictly enough that a value never silently
//! changes type: only `true`/`false` are booleans (`no`, `on`, `y` stay strings), and
//! numbers with leading zeros or underscores (`0755`, `1_000`) stay strings. Duplicate keys
//! are errors and the parse budget bounds nesting, node count and alias expansion.
//!
//! Writing quotes every string a YAML 1.1 reader (kubectl, Argo CD, every Go tool) would take
//! for something else; `tests/quoting.rs` checks that with the real kubectl.

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

/// Parse every non-empty document of a YAML stream.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    serde_saphyr::from_multiple_with_options(text, options()).map_err(|e| to_yaml_error(&e))
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
pub fn to_string(value: &Value) -> String {
    // Serializing a serde_json::Value cannot fail: keys are strings and numbers finite.
    serde_saphyr::to_string(value).unwrap_or_default()
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

    #[test]
    fn ambiguous_strings_are_quoted() {
        let out = to_string(&json!({"a": "no", "b": "0755", "c": "plain", "d": 5}));
        assert_eq!(out, "a: \"no\"\nb: \"0755\"\nc: plain\nd: 5\n");
    }
}
