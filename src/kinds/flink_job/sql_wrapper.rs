//! The SQL ConfigMap: the script, and for the python runner the PyFlink wrapper.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, context};
use serde_json::Value;

use crate::expand::{Stamp, resource, strings};

/// Where the SQL ConfigMap is mounted in the Flink main container.
pub const MOUNT_PATH: &str = "/opt/flink/kiln/sql";
pub const SCRIPT_KEY: &str = "statements.sql";
pub const WRAPPER_KEY: &str = "run_sql.py";
pub const VOLUME_NAME: &str = "kiln-sql";

const WRAPPER_TEMPLATE: &str = include_str!("run_sql.py.j2");
/// An upper bound of the rendered wrapper's size (the template, a job name and a source path,
/// each JSON-encoded), for the ConfigMap size check.
pub const WRAPPER_BYTES: usize = WRAPPER_TEMPLATE.len() + 2 * 1024;
/// Enough fuel for the wrapper template many times over; bounds any template bug.
const TEMPLATE_FUEL: u64 = 50_000;

pub fn config_map_name(job: &str) -> String {
    format!("{job}-sql")
}

pub fn script_path() -> String {
    format!("{MOUNT_PATH}/{SCRIPT_KEY}")
}

pub fn wrapper_path() -> String {
    format!("{MOUNT_PATH}/{WRAPPER_KEY}")
}

/// The PyFlink wrapper script. Only JSON-encoded strings are spliced into it.
pub fn wrapper(job: &str, source: &str) -> Result<String, String> {
    let template = environment()?
        .get_template("run_sql.py")
        .map_err(|e| e.to_string())?;
    template
        .render(context! { name => job, source => source, sql_file => script_path() })
        .map_err(|e| e.to_string())
}

/// The template environment, compiled once per process (strict undefined; the fuel bounds
/// each render).
fn environment() -> Result<&'static Environment<'static>, String> {
    static ENVIRONMENT: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            let mut env = Environment::new();
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            env.set_fuel(Some(TEMPLATE_FUEL));
            let syntax = minijinja::syntax::SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()
                .map_err(|e| e.to_string())?;
            env.set_syntax(syntax);
            env.add_template("run_sql.py", WRAPPER_TEMPLATE)
                .map_err(|e| e.to_string())?;
            Ok(env)
        })
        .as_ref()
        .map_err(Clone::clone)
}

pub fn config_map(
    name: &str,
    namespace: &str,
    stamp: &Stamp<'_>,
    script: &str,
    wrapper: Option<String>,
) -> Value {
    let mut data = BTreeMap::new();
    data.insert(SCRIPT_KEY.to_string(), script.to_string());
    if let Some(wrapper) = wrapper {
        data.insert(WRAPPER_KEY.to_string(), wrapper);
    }
    resource(
        "v1",
        "ConfigMap",
        stamp.metadata(&config_map_name(name), namespace),
        [("data", strings(data))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_splices_only_json_strings() {
        let text = wrapper("a", "jobs/x\n\"y.yaml").unwrap();
        assert!(text.contains("SQL_FILE = \"/opt/flink/kiln/sql/statements.sql\""));
        assert!(
            text.contains("(\"jobs/x\\n\\\"y.yaml\")"),
            "{}",
            &text[..200]
        );
        assert!(text.ends_with("main(sys.argv)\n"));
    }
}
