//! Diagnostics: every problem kiln reports, with its location as typed fields.
//!
//! A diagnostic is created where the problem is found, usually with an unresolved
//! [`Anchor`] (file, document, field path). [`crate::source::resolve`] turns anchors into
//! line and column once, at the end of a run, so the happy path never pays for positions.

use std::fmt;

use serde::Serialize;

use crate::field_path::FieldPath;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Where in the inputs a diagnostic points, before positions are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// Index into the run's source files.
    pub file: usize,
    /// Index of the (non-empty) YAML document in that file.
    pub doc: usize,
    pub path: FieldPath,
    /// Point at the mapping key of the last path segment instead of its value
    /// (used for unknown fields).
    pub at_key: bool,
    /// A 1-based line and column inside the string value (an inline SQL script): resolved to
    /// the file's line and column when the value is a literal block scalar (`|`), else said
    /// in the message.
    pub inner: Option<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path of the file relative to the kiln root, `/`-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Field path inside the document, e.g. `spec.autoscaling.mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip)]
    pub anchor: Option<Anchor>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: None,
            line: None,
            column: None,
            field: None,
            message: message.into(),
            hint: None,
            anchor: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Add the hint `did you mean "x"?` when one of `candidates` is close to `word`.
    #[must_use]
    pub fn suggesting<'a>(self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match crate::suggest::closest(word, candidates) {
            Some(near) => self.with_hint(format!("did you mean \"{near}\"?")),
            None => self,
        }
    }

    /// Point at a field of a document; line and column are resolved later.
    #[must_use]
    pub fn at(mut self, file: usize, doc: usize, path: FieldPath) -> Self {
        if !path.is_empty() {
            self.field = Some(path.to_string());
        }
        self.anchor = Some(Anchor {
            file,
            doc,
            path,
            at_key: false,
            inner: None,
        });
        self
    }

    /// Point at a line and column inside the string value the anchor names.
    #[must_use]
    pub fn inside_value(mut self, line: usize, column: usize) -> Self {
        if let Some(anchor) = &mut self.anchor {
            anchor.inner = Some((line, column));
        }
        self
    }

    /// Point at the key of a field (unknown fields, duplicated names).
    #[must_use]
    pub fn at_key(mut self, file: usize, doc: usize, path: FieldPath) -> Self {
        self = self.at(file, doc, path);
        if let Some(anchor) = &mut self.anchor {
            anchor.at_key = true;
        }
        self
    }

    /// A file-level location that needs no resolution.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    #[must_use]
    pub fn with_position(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (Option<&str>, usize, usize, Severity, &str) {
        (
            self.file.as_deref(),
            self.line.unwrap_or(0),
            self.column.unwrap_or(0),
            self.severity,
            &self.message,
        )
    }
}

/// One line of a diagnostic for a terminal or a log: text quoted from the repository (file
/// names, field names, messages) cannot start a line of its own or move the cursor.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", escaped(file))?;
            if let Some(line) = self.line {
                write!(f, "{line}:{}:", self.column.unwrap_or(1))?;
            }
            f.write_str(" ")?;
        }
        write!(f, "{}: ", self.severity)?;
        if let Some(field) = &self.field {
            write!(f, "{}: ", escaped(field))?;
        }
        f.write_str(&escaped(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", escaped(hint))?;
        }
        Ok(())
    }
}

/// `text` cut to `max` characters with a note of its full size, for quoting a value a
/// repository or an environment variable controls (a 100 KB name is not echoed whole).
pub fn shortened(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes)", &text[..cut], text.len()))
        }
    }
}

/// `text` with control characters (newlines, carriage returns, ANSI escapes) and the Unicode
/// direction overrides written as Rust escapes (`\n`, `\u{1b}`), so it stays on its line and
/// shows what it holds.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// All diagnostics of a run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.items.iter_mut()
    }

    /// Sorted by file, line, column; exact duplicates removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.items.dedup_by(|a, b| a == b);
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_line_column_field_and_hint() {
        let d = Diagnostic::error("unknown value \"hpa2\"")
            .in_file("jobs/a.yaml")
            .with_position(14, 11)
            .with_field("spec.autoscaling.mode")
            .with_hint("did you mean \"hpa\"?");
        assert_eq!(
            d.to_string(),
            "jobs/a.yaml:14:11: error: spec.autoscaling.mode: unknown value \"hpa2\"\n  hint: did you mean \"hpa\"?"
        );
    }

    #[test]
    fn display_without_position() {
        let d = Diagnostic::warning("no objects").in_file("kiln.yaml");
        assert_eq!(d.to_string(), "kiln.yaml: warning: no objects");
        assert_eq!(Diagnostic::error("x").to_string(), "error: x");
    }

    #[test]
    fn sorted_by_file_then_line() {
        let mut all = Diagnostics::new();
        all.push(Diagnostic::error("b").in_file("b.yaml").with_position(1, 1));
        all.push(
            Diagnostic::error("a2")
                .in_file("a.yaml")
                .with_position(9, 1),
        );
        all.push(
            Diagnostic::error("a1")
                .in_file("a.yaml")
                .with_position(2, 5),
        );
        all.push(
            Diagnostic::error("a1")
                .in_file("a.yaml")
                .with_position(2, 5),
        );
        let messages: Vec<_> = all.into_sorted().into_iter().map(|d| d.message).collect();
        assert_eq!(messages, ["a1", "a2", "b"]);
    }
}
