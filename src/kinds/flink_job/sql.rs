//! SQL scripts: statements as the python runner (`run_sql.py`) reads them, and the checks
//! `kiln check` makes before a script is shipped.
//!
//! The splitting rules are the wrapper's, kept in step by the tests in
//! `tests/kiln/sql_wrapper.rs` (the same scripts through both) and proved against real
//! PyFlink by `scripts/flink_sql.py`. The jar runner's rules are those of the operator's
//! `flink-sql-runner-example` (`SqlRunner.java`); kiln warns where they read a script
//! differently (docs/flinkjob.md, "SQL semantics").

use std::collections::BTreeMap;

use crate::diagnostic::Severity;
use crate::kinds::flink_job::SqlRunner;

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of the statement's first word.
    pub start: usize,
    /// Byte offset of the `;` that ends it, if any.
    pub end: Option<usize>,
    /// Upper-case words outside comments, string literals emptied (`''`), parenthesised
    /// parts as `()`, single-spaced: what tells statements apart.
    pub shape: String,
    /// Byte offsets of the hints (`/*+`) in it.
    pub hints: Vec<usize>,
    /// Byte offsets of string literals holding `--` or `/*`.
    pub comment_marks_in_strings: Vec<usize>,
    /// Byte offsets of string literals with a line ending in `;` inside.
    pub line_ends_in_strings: Vec<usize>,
}

/// A problem with a script, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn error(offset: usize, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            offset,
            message: message.into(),
            hint: None,
        }
    }

    fn warning(offset: usize, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(offset, message)
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The script without a leading UTF-8 byte-order mark, and how many bytes were dropped.
pub fn without_bom(script: &str) -> (&str, usize) {
    match script.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (script, 0),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn position(script: &str, offset: usize) -> (usize, usize) {
    let before = &script[..offset.min(script.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

/// Split a script into statements: they end at `;` outside quotes (`'…'`, `"…"`, `` `…` ``,
/// a doubled quote escaping itself) and comments (`--` to the end of the line, `/* … */`).
/// Statements of only comments and spaces are dropped.
pub fn split(script: &str) -> Result<Vec<Statement>, Problem> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut current = Builder::default();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                let end = closing_quote(bytes, i).ok_or_else(|| {
                    Problem::error(i, format!("unterminated {} quote", c as char))
                })?;
                let literal = &script[i..=end];
                if literal.contains("--") || literal.contains("/*") {
                    current.comment_marks_in_strings.push(i);
                }
                if literal.contains(";\n") || literal.contains(";\r\n") {
                    current.line_ends_in_strings.push(i);
                }
                current.word(
                    i,
                    if current.depth == 0 {
                        literal_shape(c)
                    } else {
                        ""
                    },
                );
                i = end + 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = script[i + 2..]
                    .find("*/")
                    .ok_or_else(|| Problem::error(i, "unterminated /* comment"))?;
                if bytes.get(i + 2) == Some(&b'+') {
                    current.hints.push(i);
                }
                current.shape.push(' ');
                i += 2 + end + 2;
            }
            b';' => {
                current.finish(Some(i), &mut statements);
                current = Builder::default();
                i += 1;
            }
            _ => {
                let ch = script[i..].chars().next().unwrap_or(' ');
                match ch {
                    '(' => {
                        current.depth += 1;
                        if current.depth == 1 {
                            current.word(i, "(");
                        }
                    }
                    ')' => {
                        current.depth = current.depth.saturating_sub(1);
                        if current.depth == 0 {
                            current.word(i, ")");
                        }
                    }
                    _ if current.depth == 0 => {
                        let mut buffer = [0; 4];
                        current.word(i, ch.encode_utf8(&mut buffer));
                    }
                    _ => {}
                }
                i += ch.len_utf8();
            }
        }
    }
    current.finish(None, &mut statements);
    Ok(statements)
}

fn literal_shape(quote: u8) -> &'static str {
    match quote {
        b'\'' => "''",
        b'"' => "\"\"",
        _ => "``",
    }
}

/// The index of the quote closing the one at `open`; a doubled quote escapes itself.
fn closing_quote(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = bytes[open];
    let mut i = open + 1;
    loop {
        let end = i + bytes[i..].iter().position(|&b| b == quote)?;
        if bytes.get(end + 1) == Some(&quote) {
            i = end + 2;
        } else {
            return Some(end);
        }
    }
}

#[derive(Default)]
struct Builder {
    start: Option<usize>,
    shape: String,
    depth: usize,
    hints: Vec<usize>,
    comment_marks_in_strings: Vec<usize>,
    line_ends_in_strings: Vec<usize>,
}

impl Builder {
    fn word(&mut self, at: usize, text: &str) {
        if self.start.is_none() && !text.trim().is_empty() {
            self.start = Some(at);
        }
        self.shape.push_str(text);
    }

    fn finish(self, end: Option<usize>, statements: &mut Vec<Statement>) {
        let shape = self
            .shape
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase();
        if let (Some(start), false) = (self.start, shape.is_empty()) {
            statements.push(Statement {
                start,
                end,
                shape,
                hints: self.hints,
                comment_marks_in_strings: self.comment_marks_in_strings,
                line_ends_in_strings: self.line_ends_in_strings,
            });
        }
    }
}

/// What a statement is to the python runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `SET 'key' = 'value'` (or a malformed `SET`/`RESET`).
    Setting,
    /// `BEGIN STATEMENT SET` / `EXECUTE STATEMENT SET BEGIN`, with or without a first INSERT.
    BeginSet {
        with_insert: bool,
    },
    End,
    /// `[EXECUTE] INSERT …`, `CREATE [OR REPLACE] TABLE … AS …`, `REPLACE TABLE … AS …`.
    Job,
    /// A query whose rows the SQL client prints (`SELECT`, `WITH`, `VALUES`).
    Query,
    /// Everything else (`CREATE`, `USE`, `DROP`, `SHOW`, …), run in order.
    Other,
}

const BEGIN_FORMS: [&str; 2] = ["BEGIN STATEMENT SET", "EXECUTE STATEMENT SET BEGIN"];

pub fn kind(shape: &str) -> StatementKind {
    if shape == "END" {
        return StatementKind::End;
    }
    for form in BEGIN_FORMS {
        if let Some(rest) = shape.strip_prefix(form)
            && (rest.is_empty() || rest.starts_with(' '))
        {
            return StatementKind::BeginSet {
                with_insert: !rest.is_empty(),
            };
        }
    }
    let mut words = shape.split(' ');
    match words.next().unwrap_or("") {
        "SET" | "RESET" => StatementKind::Setting,
        "INSERT" => StatementKind::Job,
        "EXECUTE" if words.next() == Some("INSERT") => StatementKind::Job,
        "SELECT" | "WITH" | "VALUES" => StatementKind::Query,
        "CREATE" | "REPLACE" if is_table_as(shape) => StatementKind::Job,
        _ => StatementKind::Other,
    }
}

/// `CREATE [OR REPLACE] TABLE … AS …` or `REPLACE TABLE … AS …` (parenthesised parts are
/// `()` in the shape, so a computed column's `AS` does not count).
fn is_table_as(shape: &str) -> bool {
    let rest = shape
        .strip_prefix("CREATE OR REPLACE TABLE ")
        .or_else(|| shape.strip_prefix("CREATE TABLE "))
        .or_else(|| shape.strip_prefix("REPLACE TABLE "));
    rest.is_some_and(|r| r.split(' ').any(|w| w == "AS"))
}

/// A `SET 'key' = 'value'` statement's key and value (doubled quotes undone), if it has
/// that form.
pub fn setting(text: &str) -> Option<(String, String)> {
    let rest = strip_word(text.trim(), "SET")?;
    let (key, rest) = quoted(rest.trim_start())?;
    let rest = rest.trim_start().strip_prefix('=')?;
    let (value, rest) = quoted(rest.trim_start())?;
    only_comments(rest).then_some((key, value))
}

/// Whether `text` holds nothing but spaces and comments.
fn only_comments(text: &str) -> bool {
    split(text).is_ok_and(|statements| statements.is_empty())
}

fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace)).then_some(rest)
}

fn quoted(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'\'') {
        return None;
    }
    let end = closing_quote(bytes, 0)?;
    Some((text[1..end].replace("''", "'"), &text[end + 1..]))
}

/// Every problem kiln finds in a script for `runner`, in script order (the script without
/// its byte-order mark; offsets are into it).
pub fn check(script: &str, runner: SqlRunner) -> Vec<Problem> {
    let statements = match split(script) {
        Ok(statements) => statements,
        Err(problem) => return vec![problem],
    };
    let Some(first) = statements.first() else {
        return vec![Problem::error(0, "the SQL script has no statements")];
    };
    let mut problems = Vec::new();
    let mut open_set: Option<usize> = None;
    let mut jobs = 0;
    let mut settings: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for statement in &statements {
        let text = statement_text(script, statement);
        match kind(&statement.shape) {
            StatementKind::End => match open_set.take() {
                Some(_) => {}
                None => problems.push(Problem::error(
                    statement.start,
                    "END without BEGIN STATEMENT SET",
                )),
            },
            StatementKind::BeginSet { with_insert } => {
                if open_set.replace(statement.start).is_some() {
                    problems.push(Problem::error(
                        statement.start,
                        "a statement set cannot start inside another",
                    ));
                }
                jobs += usize::from(with_insert);
            }
            StatementKind::Setting => match setting(text) {
                Some((key, value)) if open_set.is_none() => {
                    if let Some((earlier, _)) = settings.get(&key)
                        && *earlier != value
                    {
                        problems.push(Problem::warning(
                            statement.start,
                            format!("'{key}' is set again, to '{value}' (earlier '{earlier}'): settings hold for the whole script, so only '{value}' applies"),
                        ));
                    }
                    settings.insert(key, (value, statement.start));
                }
                _ => problems.push(
                    Problem::error(
                        statement.start,
                        "settings must be written SET 'key' = 'value', outside statement sets",
                    )
                    .hint("RESET and a bare SET have no meaning in a deployed job: every SET holds for the whole script"),
                ),
            },
            StatementKind::Job => jobs += 1,
            StatementKind::Query => problems.push(
                Problem::error(
                    statement.start,
                    "a query on its own prints its rows in the SQL client; a deployed job has nowhere to print them",
                )
                .hint("INSERT INTO a table (the print connector writes rows to the TaskManager log)"),
            ),
            StatementKind::Other if open_set.is_some() => problems.push(Problem::error(
                statement.start,
                "only INSERT statements belong in a statement set",
            )),
            StatementKind::Other => {}
        }
    }
    if let Some(start) = open_set {
        problems.push(Problem::error(start, "BEGIN STATEMENT SET without END"));
    }
    if jobs == 0 {
        problems.push(
            Problem::error(
                first.start,
                "the SQL script has no INSERT or CREATE TABLE … AS statement, so it submits no job",
            )
            .hint("Flink's application mode fails a program that submits no job (\"The application contains no execute() calls\")"),
        );
    }
    if runner == SqlRunner::Jar {
        problems.extend(jar_runner_differences(script, &statements, &settings));
    }
    problems.sort_by_key(|p| p.offset);
    problems
}

/// The statement's text from its first word to its `;` (or the end of the script).
fn statement_text<'a>(script: &'a str, statement: &Statement) -> &'a str {
    &script[statement.start..statement.end.unwrap_or(script.len())]
}

/// Where the operator's `SqlRunner.java` reads the script differently from the SQL client
/// (warnings: the runner jar is the user's and may do better).
fn jar_runner_differences(
    script: &str,
    statements: &[Statement],
    settings: &BTreeMap<String, (String, usize)>,
) -> Vec<Problem> {
    const WHO: &str = "the jar runner (the operator's flink-sql-runner-example)";
    let mut problems = Vec::new();
    let mut loose_jobs = Vec::new();
    let mut in_set = false;
    for statement in statements {
        for &at in &statement.hints {
            problems.push(Problem::warning(
                at,
                format!("{WHO} removes every /* */ comment, this hint too, so the query runs without it"),
            ).hint("use runner: python, which keeps hints"));
        }
        for &at in &statement.comment_marks_in_strings {
            problems.push(Problem::warning(
                at,
                format!("{WHO} removes comments with a pattern that also cuts into string literals holding -- or /*"),
            ));
        }
        for &at in &statement.line_ends_in_strings {
            problems.push(Problem::warning(
                at,
                format!("{WHO} ends a statement at every line ending in ';', also inside this string literal"),
            ));
        }
        if let Some(end) = statement.end {
            let line_rest = script[end + 1..].split('\n').next().unwrap_or("");
            if !line_rest.trim().is_empty() && !line_rest.trim_start().starts_with("--") {
                problems.push(Problem::warning(
                    end,
                    format!("{WHO} ends a statement only at a line ending in ';'; put the next statement on its own line"),
                ));
            }
        }
        let line_start = script[..statement.start].rfind('\n').map_or(0, |i| i + 1);
        match kind(&statement.shape) {
            StatementKind::BeginSet { .. } => {
                in_set = true;
                let exact = script[statement.start..].starts_with("EXECUTE STATEMENT SET")
                    && script[line_start..statement.start].trim().is_empty();
                if !exact {
                    problems.push(Problem::warning(
                        statement.start,
                        format!("{WHO} knows a statement set only as EXECUTE STATEMENT SET, in capitals at the start of a line, closed by a line END;"),
                    ));
                }
            }
            StatementKind::End => {
                in_set = false;
                let line = script[line_start..].split('\n').next().unwrap_or("");
                if line.trim() != "END;" {
                    problems.push(Problem::warning(
                        statement.start,
                        format!("{WHO} closes a statement set only at a line that is exactly END;"),
                    ));
                }
            }
            StatementKind::Job if !in_set => loose_jobs.push(statement.start),
            StatementKind::Setting => {
                let text = statement_text(script, statement);
                if !text.contains("' = '") {
                    problems.push(Problem::warning(
                        statement.start,
                        format!("{WHO} recognises SET only as SET 'key' = 'value' with a space on each side of =; this one goes to executeSql, which refuses SET"),
                    ));
                }
            }
            _ => {}
        }
    }
    if loose_jobs.len() > 1 {
        for &at in &loose_jobs[1..] {
            problems.push(Problem::warning(
                at,
                format!("{WHO} submits each INSERT outside a statement set as a job of its own; the operator tracks one job per deployment"),
            ).hint("wrap the INSERTs in EXECUTE STATEMENT SET BEGIN … END;"));
        }
    }
    if let Some((_, at)) = settings.get("execution.runtime-mode") {
        problems.push(Problem::warning(
            *at,
            format!("{WHO} applies SET after the table environment exists, and Flink refuses a runtime mode changed then"),
        ).hint("set execution.runtime-mode in spec.flinkConfiguration, or use runner: python"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(script: &str) -> Vec<String> {
        split(script)
            .unwrap()
            .into_iter()
            .map(|s| s.shape)
            .collect()
    }

    fn errors(script: &str) -> Vec<String> {
        check(script, SqlRunner::Python)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn splits_outside_quotes_and_comments() {
        let script = "SET 'a;b' = 'x''y';\n-- c;\nINSERT INTO `t;` /*+ OPTIONS('k'='v') */ SELECT \"a;\" FROM s /* ; */\n";
        assert_eq!(
            shapes(script),
            ["SET '' = ''", "INSERT INTO `` SELECT \"\" FROM S"]
        );
        let statements = split(script).unwrap();
        assert_eq!(statements[1].hints, [script.find("/*+").unwrap()]);
        assert_eq!(statements[1].end, None);
        assert_eq!(
            setting(statement_text(script, &statements[0])),
            Some(("a;b".into(), "x'y".into()))
        );
    }

    #[test]
    fn parentheses_leave_the_shape() {
        assert_eq!(
            shapes("CREATE TABLE t (a INT, b AS a + 1) WITH ('x' = 'y')"),
            ["CREATE TABLE T () WITH ()"]
        );
        assert_eq!(kind("CREATE TABLE T () WITH ()"), StatementKind::Other);
        assert_eq!(
            kind("CREATE TABLE C WITH AS SELECT A FROM S"),
            StatementKind::Job
        );
        assert_eq!(
            kind("CREATE VIEW V AS SELECT A FROM S"),
            StatementKind::Other
        );
        assert_eq!(kind("EXECUTE INSERT INTO T SELECT 1"), StatementKind::Job);
        assert_eq!(
            kind("EXECUTE STATEMENT SET BEGIN INSERT INTO T SELECT 1"),
            StatementKind::BeginSet { with_insert: true }
        );
        assert_eq!(kind("BEGIN STATEMENT SETX"), StatementKind::Other);
    }

    #[test]
    fn unterminated_quotes_and_comments_point_at_their_start() {
        let script = "CREATE TABLE t;\nSELECT 'abc";
        let problem = split(script).unwrap_err();
        assert_eq!(position(script, problem.offset), (2, 8));
        assert_eq!(problem.message, "unterminated ' quote");
        let problem = split("INSERT INTO t /* x").unwrap_err();
        assert_eq!(
            (problem.offset, problem.message.as_str()),
            (14, "unterminated /* comment")
        );
    }

    #[test]
    fn the_python_runner_refuses_what_cannot_run() {
        assert_eq!(
            errors("-- only a comment\n/* and another */"),
            ["the SQL script has no statements"]
        );
        assert_eq!(
            errors("CREATE TABLE t (a INT) WITH ('connector' = 'datagen');"),
            ["the SQL script has no INSERT or CREATE TABLE … AS statement, so it submits no job"]
        );
        assert_eq!(
            errors("INSERT INTO t SELECT 1; END;"),
            ["END without BEGIN STATEMENT SET"]
        );
        assert_eq!(
            errors("BEGIN STATEMENT SET; INSERT INTO t SELECT 1;"),
            ["BEGIN STATEMENT SET without END"]
        );
        assert_eq!(
            errors("BEGIN STATEMENT SET; CREATE TABLE x; INSERT INTO t SELECT 1; END"),
            ["only INSERT statements belong in a statement set"]
        );
        assert_eq!(errors("RESET 'a'; INSERT INTO t SELECT 1").len(), 1);
        assert_eq!(errors("SELECT 1; INSERT INTO t SELECT 1").len(), 1);
        assert!(errors("BEGIN STATEMENT SET;INSERT INTO t SELECT 1;END;").is_empty());
        assert!(errors("EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END").is_empty());
        assert!(errors("CREATE TABLE c WITH ('connector' = 'blackhole') AS SELECT 1").is_empty());
    }

    #[test]
    fn the_jar_runner_differences_are_warnings() {
        let script = "SET 'execution.runtime-mode'='batch';\nINSERT INTO a SELECT * FROM s /*+ OPTIONS('k'='v') */; INSERT INTO b SELECT '--';\nBEGIN STATEMENT SET;\nINSERT INTO c SELECT 1;\n  END;\n";
        let problems = check(script, SqlRunner::Jar);
        assert!(
            problems.iter().all(|p| p.severity == Severity::Warning),
            "{problems:?}"
        );
        let lines: Vec<(usize, usize)> = problems
            .iter()
            .map(|p| position(script, p.offset))
            .collect();
        assert_eq!(
            lines,
            [(1, 1), (1, 1), (2, 31), (2, 54), (2, 56), (2, 77), (3, 1)],
            "{problems:#?}"
        );
        let literal = "INSERT INTO a SELECT 'x;\ny' FROM s;\n";
        assert_eq!(
            check(literal, SqlRunner::Jar)
                .iter()
                .map(|p| p.offset)
                .collect::<Vec<_>>(),
            [literal.find('\'').unwrap()]
        );
        assert!(check("EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;\n", SqlRunner::Jar).is_empty());
    }

    #[test]
    fn positions_count_characters() {
        assert_eq!(position("ab\ncä'", 6), (2, 3));
        assert_eq!(without_bom("\u{feff}SET"), ("SET", 3));
    }
}
