//! Source files held in memory, and the mapping of field paths to line and column.
//!
//! Positions are found lazily with saphyr, and only for files that have diagnostics: the
//! hot path (serde-saphyr into `serde_json::Value`) carries no spans.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::diagnostic::{Anchor, Diagnostics};
use crate::field_path::Segment;

/// One file read from the kiln root.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    pub text: String,
}

/// Fill in `file`, `line` and `column` of every anchored diagnostic. Diagnostics are taken
/// file by file, so only one file's position tree is alive at a time (a repository with
/// a warning in each of a thousand files would otherwise hold a thousand trees).
pub fn resolve(diagnostics: &mut Diagnostics, files: &[SourceFile]) {
    let mut pending: Vec<&mut crate::diagnostic::Diagnostic> = diagnostics
        .iter_mut()
        .filter(|d| d.anchor.is_some())
        .collect();
    pending.sort_by_key(|d| d.anchor.as_ref().map(|a| a.file));
    let mut parsed: Option<(usize, Option<Vec<MarkedYaml<'_>>>)> = None;
    for diagnostic in pending {
        let Some(anchor) = diagnostic.anchor.clone() else {
            continue;
        };
        let Some(file) = files.get(anchor.file) else {
            continue;
        };
        diagnostic.file = Some(file.path.clone());
        if parsed
            .as_ref()
            .is_none_or(|(index, _)| *index != anchor.file)
        {
            parsed = Some((anchor.file, load_documents(&file.text)));
        }
        let docs = parsed.as_ref().and_then(|(_, docs)| docs.as_ref());
        let (mut line, mut column) = docs
            .and_then(|docs| position(docs, &anchor))
            .unwrap_or((1, 1));
        if let Some((inner_line, inner_column)) = anchor.inner {
            if is_literal_block_start(&file.text, line) {
                // A literal block's lines are the value's lines, after a fixed indentation.
                line += inner_line - 1;
                column += inner_column - 1;
            } else {
                diagnostic.message = format!(
                    "{} (line {inner_line}, column {inner_column} of the value)",
                    diagnostic.message
                );
            }
        }
        diagnostic.line = Some(line);
        diagnostic.column = Some(column);
    }
}

/// Whether the value whose first content line is `line` (1-based) is a literal block scalar:
/// the line before it ends with `|`, `|-`, `|+` or an indentation indicator, maybe followed
/// by a comment.
fn is_literal_block_start(text: &str, line: usize) -> bool {
    let Some(previous) = line.checked_sub(2).and_then(|i| text.lines().nth(i)) else {
        return false;
    };
    let code = previous.split(" #").next().unwrap_or("").trim_end();
    let indicator = code.rsplit(char::is_whitespace).next().unwrap_or("");
    indicator.starts_with('|')
        && indicator[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
}

/// The non-empty documents of a file, matching serde-saphyr's numbering (it skips null
/// documents).
fn load_documents(text: &str) -> Option<Vec<MarkedYaml<'_>>> {
    let docs = MarkedYaml::load_from_str(text).ok()?;
    Some(
        docs.into_iter()
            .filter(|d| !matches!(d.data, YamlData::Value(Scalar::Null)))
            .collect(),
    )
}

/// 1-based line and column of the node an anchor names: a scalar's value, a collection's
/// key (so `spec: missing field` points at `spec:`). When the path leads to a field that
/// does not exist, the deepest existing parent is used.
fn position(docs: &[MarkedYaml<'_>], anchor: &Anchor) -> Option<(usize, usize)> {
    let mut node = docs.get(anchor.doc)?;
    let mut key_node: Option<&MarkedYaml<'_>> = None;
    for segment in anchor.path.segments() {
        let next = match (&node.data, segment) {
            (YamlData::Mapping(map), Segment::Key(key)) => map
                .iter()
                .find(|(k, _)| scalar_text(k).as_deref() == Some(key.as_str())),
            (YamlData::Sequence(seq), Segment::Index(i)) => seq.get(*i).map(|v| (v, v)),
            (YamlData::Tagged(_, inner), _) => {
                node = inner;
                continue;
            }
            _ => None,
        };
        match next {
            Some((k, v)) => {
                key_node = Some(k);
                node = v;
            }
            None => break,
        }
    }
    let is_collection = matches!(node.data, YamlData::Mapping(_) | YamlData::Sequence(_));
    let target = match key_node {
        Some(k) if anchor.at_key || is_collection => k,
        _ => node,
    };
    let start = target.span.start;
    Some((start.line(), start.col() + 1))
}

fn scalar_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(scalar) => Some(match scalar {
            Scalar::Null => "null".to_string(),
            Scalar::Boolean(b) => b.to_string(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::FloatingPoint(f) => f.to_string(),
            Scalar::String(s) => s.to_string(),
        }),
        YamlData::Representation(text, _, _) => Some(text.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::field_path::FieldPath;

    #[track_caller]
    fn case(text: &str, doc: usize, pointer: &str, at_key: bool, expected: (usize, usize)) {
        let files = [SourceFile {
            path: "a.yaml".into(),
            text: text.into(),
        }];
        let mut all = Diagnostics::new();
        let path = FieldPath::from_pointer(pointer);
        let d = Diagnostic::error("x");
        all.push(if at_key {
            d.at_key(0, doc, path)
        } else {
            d.at(0, doc, path)
        });
        resolve(&mut all, &files);
        let d = all.into_sorted().remove(0);
        assert_eq!((d.line.unwrap(), d.column.unwrap()), expected);
        assert_eq!(d.file.as_deref(), Some("a.yaml"));
    }

    #[test]
    fn literal_block_starts() {
        let text = "a: |\n  x\nb: |-  # note\n  y\nc: >\n  z\nd: \"|\"\n- |2\n  w\n";
        let starts: Vec<usize> = (1..=9)
            .filter(|&l| is_literal_block_start(text, l))
            .collect();
        assert_eq!(starts, [2, 4, 9]);
    }

    #[test]
    fn positions() {
        let text = "a: 1\nspec:\n  mode: hpa2\n  list:\n    - x\n    - {cron: bad}\n";
        case(text, 0, "/spec/mode", false, (3, 9));
        case(text, 0, "/spec/mode", true, (3, 3));
        case(text, 0, "/spec/list/1/cron", false, (6, 14));
        case(text, 0, "/spec/missing", false, (2, 1));
        case(text, 0, "", false, (1, 1));
    }

    #[test]
    fn documents_are_counted_like_serde_saphyr() {
        let text = "---\n---\nkind: A\n---\n~\n---\nkind: B\nx: 1\n";
        case(text, 1, "/x", false, (8, 4));
    }
}
