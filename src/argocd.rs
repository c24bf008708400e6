//! The Argo CD config-management plugin (CMP v2): what `kiln argocd generate` and
//! `kiln argocd params` read from the environment argocd-cmp-server gives them.
//!
//! Everything here is pure over a map of environment variables, so tests can drive every
//! shape Argo CD sends. The edge (`run.rs`) collects the variables and prints.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::validate::kube::KubeVersion;

/// The variables the plugin reads; nothing else of the environment is looked at.
pub fn is_plugin_variable(name: &str) -> bool {
    name.starts_with("ARGOCD_APP_")
        || name.starts_with("ARGOCD_ENV_")
        || name.starts_with("PARAM_")
        || name == "KUBE_VERSION"
        || name == "KUBE_API_VERSIONS"
}

pub const PARAMETERS: &str = "ARGOCD_APP_PARAMETERS";
pub const ENV_ENVIRONMENT: &str = "ARGOCD_ENV_KILN_ENV";
pub const FLINK_API: &str = "flink.apache.org/v1beta1/FlinkDeployment";

/// Parameters set in the Application (announced defaults are never sent).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parameters {
    pub environment: Option<String>,
    pub strict: Option<bool>,
    /// Names of parameters kiln does not know (reported as warnings).
    pub unknown: Vec<String>,
}

/// Parameters from `ARGOCD_APP_PARAMETERS` (absent, empty, `null`, `[]`, or a list of
/// `{name, string | array | map}`); only when that variable is absent, from `PARAM_<NAME>`.
pub fn parameters(vars: &BTreeMap<String, String>) -> Result<Parameters, String> {
    let mut parameters = Parameters::default();
    let Some(text) = vars.get(PARAMETERS) else {
        parameters.environment = vars
            .get("PARAM_ENVIRONMENT")
            .filter(|v| !v.is_empty())
            .cloned();
        parameters.strict = vars
            .get("PARAM_STRICT")
            .map(|v| boolean("strict", v))
            .transpose()?;
        return Ok(parameters);
    };
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Ok(parameters);
    }
    let list: Value =
        serde_json::from_str(text).map_err(|e| format!("{PARAMETERS} is not JSON: {e}"))?;
    let Value::Array(items) = list else {
        return Err(format!("{PARAMETERS} must be a JSON list of parameters"));
    };
    for item in items {
        let Some(name) = item.get("name").and_then(Value::as_str) else {
            return Err(format!(
                "{PARAMETERS} must list objects with a name ({{\"name\": \"environment\", \"string\": \"prod\"}}), not {}",
                crate::diagnostic::shortened(&item.to_string(), 80)
            ));
        };
        let string = || {
            item.get("string")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("parameter {name} must be a string"))
        };
        match name {
            "environment" => parameters.environment = Some(string()?).filter(|v| !v.is_empty()),
            "strict" => parameters.strict = Some(boolean("strict", &string()?)?),
            other => parameters.unknown.push(other.to_string()),
        }
    }
    Ok(parameters)
}

fn boolean(name: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => Err(format!(
            "parameter {name} must be true or false, not \"{value}\""
        )),
    }
}

/// The environment to render: the `environment` parameter, else `ARGOCD_ENV_KILN_ENV`, else
/// `None` (kiln.yaml's defaultEnvironment).
pub fn environment(parameters: &Parameters, vars: &BTreeMap<String, String>) -> Option<String> {
    parameters
        .environment
        .clone()
        .or_else(|| vars.get(ENV_ENVIRONMENT).filter(|v| !v.is_empty()).cloned())
}

pub fn kube_version(vars: &BTreeMap<String, String>) -> Result<Option<KubeVersion>, String> {
    vars.get("KUBE_VERSION")
        .filter(|v| !v.is_empty())
        .map(|v| KubeVersion::parse(v).map_err(|e| format!("KUBE_VERSION: {e}")))
        .transpose()
}

/// A warning when the cluster does not serve FlinkDeployments but the app renders some.
pub fn missing_operator(
    vars: &BTreeMap<String, String>,
    renders_flink: bool,
) -> Option<Diagnostic> {
    let apis = vars.get("KUBE_API_VERSIONS").filter(|v| !v.is_empty())?;
    let served = apis.split(',').any(|a| a.trim() == FLINK_API);
    (renders_flink && !served).then(|| {
        Diagnostic::warning(format!(
            "the destination cluster does not serve {FLINK_API}: install the Flink Kubernetes Operator before syncing"
        ))
    })
}

/// Parameter announcements for the Argo CD UI (a list of ParameterAnnouncement).
pub fn announcements(config: &Config) -> Value {
    let names: Vec<&str> = config.environments.keys().map(String::as_str).collect();
    let mut environment = json!({
        "name": "environment",
        "title": "Environment",
        "tooltip": if names.is_empty() {
            "kiln.yaml defines no environments".to_string()
        } else {
            format!(
                "Environment of kiln.yaml to render: {}. Default: {}.",
                names.join(", "),
                config.default_environment.as_deref().unwrap_or("none (no environment settings apply)")
            )
        },
        "required": false,
        "itemType": "string",
        "collectionType": "string",
    });
    if let Some(default) = &config.default_environment {
        environment["string"] = json!(default);
    }
    json!([
        environment,
        {
            "name": "strict",
            "title": "Strict",
            "tooltip": "true: fail the render when kiln reports warnings. Default: false.",
            "required": false,
            "itemType": "string",
            "collectionType": "string",
            "string": "false",
        }
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[track_caller]
    fn env_case(pairs: &[(&str, &str)], expected: Option<&str>) {
        let vars = vars(pairs);
        let parameters = parameters(&vars).unwrap();
        assert_eq!(
            environment(&parameters, &vars).as_deref(),
            expected,
            "{pairs:?}"
        );
    }

    #[test]
    fn environment_precedence() {
        env_case(&[], None);
        env_case(&[(PARAMETERS, "null")], None);
        env_case(&[(PARAMETERS, "[]")], None);
        env_case(&[(PARAMETERS, "")], None);
        env_case(&[(ENV_ENVIRONMENT, "prod")], Some("prod"));
        env_case(
            &[
                (PARAMETERS, r#"[{"name":"environment","string":"dev"}]"#),
                (ENV_ENVIRONMENT, "prod"),
            ],
            Some("dev"),
        );
        env_case(&[("PARAM_ENVIRONMENT", "prod")], Some("prod"));
        env_case(&[(PARAMETERS, "[]"), ("PARAM_ENVIRONMENT", "prod")], None);
        env_case(
            &[
                (PARAMETERS, r#"[{"name":"environment","string":""}]"#),
                (ENV_ENVIRONMENT, "prod"),
            ],
            Some("prod"),
        );
    }

    #[test]
    fn parameter_shapes() {
        let p = parameters(&vars(&[(PARAMETERS, r#"[{"name":"strict","string":"True"},{"name":"values","array":["a"]},{"name":"m","map":{"a":"b"}}]"#)])).unwrap();
        assert_eq!(p.strict, Some(true));
        assert_eq!(p.unknown, ["values", "m"]);
        assert_eq!(
            parameters(&vars(&[("PARAM_STRICT", "false")]))
                .unwrap()
                .strict,
            Some(false)
        );
        assert!(parameters(&vars(&[(PARAMETERS, "{")])).is_err());
        assert!(parameters(&vars(&[(PARAMETERS, r#"{"name":"x"}"#)])).is_err());
        assert!(
            parameters(&vars(&[(
                PARAMETERS,
                r#"[{"name":"strict","string":"maybe"}]"#
            )]))
            .is_err()
        );
        assert!(
            parameters(&vars(&[(
                PARAMETERS,
                r#"[{"name":"environment","array":["a"]}]"#
            )]))
            .is_err()
        );
    }

    #[test]
    fn operator_check() {
        let with = vars(&[(
            "KUBE_API_VERSIONS",
            "v1,apps/v1,flink.apache.org/v1beta1,flink.apache.org/v1beta1/FlinkDeployment",
        )]);
        let without = vars(&[("KUBE_API_VERSIONS", "v1,apps/v1,apps/v1/Deployment")]);
        assert!(missing_operator(&with, true).is_none());
        assert!(missing_operator(&without, true).is_some());
        assert!(missing_operator(&without, false).is_none());
        assert!(missing_operator(&vars(&[]), true).is_none());
    }

    #[test]
    fn kube_versions() {
        assert_eq!(
            kube_version(&vars(&[("KUBE_VERSION", "1.29.3")])).unwrap(),
            Some(KubeVersion {
                major: 1,
                minor: 29
            })
        );
        assert_eq!(kube_version(&vars(&[])).unwrap(), None);
        assert!(kube_version(&vars(&[("KUBE_VERSION", "x")])).is_err());
    }
}
