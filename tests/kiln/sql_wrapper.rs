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

/// Split `sql` with the wrapper's own function; returns (statements, settings, others, inserts).
fn split(sql: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run_sql.py");
    std::fs::write(&path, wrapper()).unwrap();
    let script = r"
import json, runpy, sys
ns = runpy.run_path(sys.argv[1], run_name='kiln_test')
statements = ns['split_statements'](sys.argv[2])
settings, others, inserts = ns['plan'](statements)
print(json.dumps({'statements': statements, 'settings': settings, 'others': others, 'inserts': inserts}))
";
    serde_json::from_str(&python(script, &[path.to_str().unwrap(), sql])).unwrap()
}

#[test]
fn statements_split_around_quotes_and_comments() {
    let sql = "-- header; comment\n\
        SET 'pipeline.name' = 'a;b';\n\
        CREATE TABLE t (s STRING) WITH ('connector' = 'kafka', 'topic' = 'x;y');\n\
        /* block; comment */ INSERT INTO sink SELECT 'it''s; fine', \"q;\", `c;` FROM t; -- trailing\n\
        ;;\n\
        EXECUTE STATEMENT SET BEGIN\n\
        INSERT INTO a SELECT * FROM t;\n\
        INSERT INTO b SELECT * FROM t;\n\
        END;\n\
        SELECT 1 -- no final semicolon";
    let result = split(sql);
    let statements: Vec<&str> = result["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        statements,
        [
            "SET 'pipeline.name' = 'a;b'",
            "CREATE TABLE t (s STRING) WITH ('connector' = 'kafka', 'topic' = 'x;y')",
            "INSERT INTO sink SELECT 'it''s; fine', \"q;\", `c;` FROM t",
            "EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT * FROM t",
            "INSERT INTO b SELECT * FROM t",
            "END",
            "SELECT 1",
        ]
    );
    assert_eq!(
        result["settings"],
        serde_json::json!([["pipeline.name", "a;b"]])
    );
    assert_eq!(
        result["others"],
        serde_json::json!([
            "CREATE TABLE t (s STRING) WITH ('connector' = 'kafka', 'topic' = 'x;y')",
            "SELECT 1",
        ])
    );
    assert_eq!(
        result["inserts"],
        serde_json::json!([
            "INSERT INTO sink SELECT 'it''s; fine', \"q;\", `c;` FROM t",
            "INSERT INTO a SELECT * FROM t",
            "INSERT INTO b SELECT * FROM t",
        ])
    );
}

#[test]
fn unterminated_quote_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run_sql.py");
    std::fs::write(&path, wrapper()).unwrap();
    let output = Command::new("python3")
        .arg("-c")
        .arg("import runpy, sys; runpy.run_path(sys.argv[1], run_name='t')['split_statements'](\"SELECT 'oops;\")")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unterminated ' quote"));
}
