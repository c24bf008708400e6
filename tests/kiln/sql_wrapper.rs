//! The generated PyFlink wrapper (python SQL runner) compiles, and splits statements
//! correctly around quotes and comments. The wrapper is taken from a real render and run by
//! the machine's python3 (its pyflink import happens only in main(), so no Flink is needed).

use std::process::Command;

use serde_json::Value;

use crate::common::{documents, kiln, project_dir, run};

fn wrapper() -> String {
    let result = run(kiln()
        .arg("render")
        .arg(project_dir().join("fixtures/type-sql-python/input")));
    assert_eq!(result.code, 0, "{}", result.stderr);
    documents(&result.stdout)
        .into_iter()
        .find(|d| d["kind"] == "ConfigMap")
        .and_then(|d| d["data"]["run_sql.py"].as_str().map(str::to_string))
        .expect("the SQL ConfigMap holds run_sql.py")
}

fn python(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 is required for this test");
    assert!(
        output.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn wrapper_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run_sql.py");
    std::fs::write(&path, wrapper()).unwrap();
    let output = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(&path)
        .output()
        .expect("python3 is required for this test");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Run `sql` through the wrapper's own functions: its statements (text, shape), and its plan
/// (settings, steps) or the error the plan raises.
fn wrapper_reading(sql: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run_sql.py");
    std::fs::write(&path, wrapper()).unwrap();
    let script = r"
import json, runpy, sys
ns = runpy.run_path(sys.argv[1], run_name='kiln_test')
out = {}
try:
    statements = ns['split_statements'](sys.argv[2])
    out['statements'] = statements
    settings, steps = ns['plan'](statements)
    out['settings'], out['steps'] = settings, steps
except ValueError as e:
    out['error'] = str(e)
print(json.dumps(out))
";
    serde_json::from_str(&python(script, &[path.to_str().unwrap(), sql])).unwrap()
}

const MIXED: &str = "\u{feff}-- header; comment\r\n\
    SET 'pipeline.name' = 'a;b';\r\n\
    SET 'table.exec.sink.not-null-enforcer' = 'it''s';\n\
    CREATE TABLE t (s STRING, n AS UPPER(s)) WITH ('connector' = 'kafka', 'topic' = 'x;y');\n\
    /* block; comment */ INSERT INTO sink SELECT 'it''s; fine', \"q;\", `c;` FROM t /*+ OPTIONS('a'='b') */; -- trailing\n\
    ;;\n\
    BEGIN STATEMENT SET;\n\
    INSERT INTO a SELECT * FROM t;\n\
    END;\n\
    execute statement set begin\n\
    INSERT INTO b SELECT * FROM t;\n\
    EXECUTE INSERT INTO c SELECT * FROM t;\n\
    END;\n\
    CREATE TABLE d WITH ('connector' = 'blackhole') AS SELECT * FROM t;\n\
    USE CATALOG default_catalog -- no final semicolon";

#[test]
fn the_wrapper_plans_statements_in_script_order() {
    let result = wrapper_reading(MIXED.trim_start_matches('\u{feff}'));
    assert_eq!(
        result["settings"],
        serde_json::json!([
            ["pipeline.name", "a;b"],
            ["table.exec.sink.not-null-enforcer", "it's"]
        ])
    );
    assert_eq!(
        result["steps"],
        serde_json::json!([
            [
                "run",
                "CREATE TABLE t (s STRING, n AS UPPER(s)) WITH ('connector' = 'kafka', 'topic' = 'x;y')"
            ],
            [
                "job",
                "INSERT INTO sink SELECT 'it''s; fine', \"q;\", `c;` FROM t /*+ OPTIONS('a'='b') */"
            ],
            ["job", "INSERT INTO a SELECT * FROM t"],
            ["job", "INSERT INTO b SELECT * FROM t"],
            ["job", "INSERT INTO c SELECT * FROM t"],
            [
                "job",
                "CREATE TABLE d WITH ('connector' = 'blackhole') AS SELECT * FROM t"
            ],
            ["run", "USE CATALOG default_catalog"],
        ]),
        "{result:#}"
    );
}

/// kiln check reads a script as the wrapper does: the same statements, told apart the same way.
#[test]
fn kiln_and_the_wrapper_split_alike() {
    let scripts = [
        MIXED,
        "SELECT 'a''b;c' FROM (SELECT 1 AS x) -- ;\nWHERE x = ';'",
        "CREATE TABLE x (a INT, b AS a + 1) WITH ('c' = 'd'); (SELECT 1); VALUES (1)",
        "INSERT INTO t SELECT `weird``name;` FROM s /* c; */ /*+ h(';') */",
        "CREATE OR REPLACE TABLE r AS SELECT 1; REPLACE TABLE r2 AS SELECT 2; CREATE VIEW v AS SELECT 1",
        "  ;  ; -- only noise\n/* and */",
        "SET 'k' = 'v' -- set it\n; RESET 'k'; SET",
        "INSERT INTO t SELECT 'ü;ö' FROM s;\r\nINSERT INTO u SELECT 1\r\n",
    ];
    for script in scripts {
        // The byte-order mark is the file reading's (utf-8-sig; kiln drops it on loading).
        let script = script.trim_start_matches('\u{feff}');
        let reading = wrapper_reading(script);
        let python: Vec<&str> = reading["statements"]
            .as_array()
            .unwrap_or_else(|| panic!("{script}: {reading}"))
            .iter()
            .map(|s| s[1].as_str().unwrap())
            .collect();
        let rust: Vec<String> = kiln::kinds::flink_job::sql::split(script)
            .unwrap()
            .into_iter()
            .map(|s| s.shape)
            .collect();
        assert_eq!(python, rust, "{script}");
    }
}

#[test]
fn unterminated_quotes_and_comments_are_errors_in_both() {
    for (script, message) in [
        ("INSERT INTO t SELECT 'oops;", "unterminated ' quote"),
        ("INSERT INTO t SELECT \"oops;", "unterminated \" quote"),
        ("INSERT INTO t SELECT 1 /* oops;", "unterminated /* comment"),
    ] {
        let reading = wrapper_reading(script);
        assert!(
            reading["error"].as_str().unwrap().starts_with(message),
            "{reading}"
        );
        assert_eq!(
            kiln::kinds::flink_job::sql::split(script)
                .unwrap_err()
                .message,
            message
        );
    }
}

#[test]
fn the_wrapper_refuses_broken_statement_sets_and_settings() {
    for (script, message) in [
        (
            "INSERT INTO t SELECT 1; END",
            "END without BEGIN STATEMENT SET",
        ),
        (
            "BEGIN STATEMENT SET; INSERT INTO t SELECT 1",
            "BEGIN STATEMENT SET without END",
        ),
        (
            "BEGIN STATEMENT SET; CREATE TABLE x; END",
            "only INSERT statements belong in a statement set",
        ),
        ("RESET 'a'", "settings must be written SET 'key' = 'value'"),
    ] {
        let reading = wrapper_reading(script);
        assert!(
            reading["error"].as_str().unwrap().starts_with(message),
            "{script}: {reading}"
        );
        assert!(
            kiln::kinds::flink_job::sql::check(script, kiln::kinds::flink_job::SqlRunner::Python)
                .iter()
                .any(|p| p.message.starts_with(&message[..20])),
            "{script}"
        );
    }
}
