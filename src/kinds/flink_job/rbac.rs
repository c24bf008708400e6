//! The scaler's ServiceAccount, Role and RoleBinding: one set per namespace, allowed to
//! `get` and `patch` exactly the FlinkDeployments and HPAs its CronJobs scale.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::validate::FlinkPlan;
use crate::expand::{Object, Stamp, resource};

pub const SCALER_NAME: &str = "kiln-scaler";
const RBAC: &str = "rbac.authorization.k8s.io/v1";

#[derive(Default)]
struct Targets<'a> {
    deployments: BTreeSet<&'a str>,
    hpas: BTreeSet<&'a str>,
    sources: BTreeSet<&'a str>,
    first: Option<&'a FlinkPlan>,
}

pub fn expand(plans: &[FlinkPlan], default_labels: &BTreeMap<String, String>) -> Vec<Object> {
    let mut by_namespace: BTreeMap<&str, Targets<'_>> = BTreeMap::new();
    for plan in plans.iter().filter(|p| !p.scalers.is_empty()) {
        let targets = by_namespace.entry(plan.namespace.as_str()).or_default();
        if plan.mode.schedules_move_hpa() {
            targets.hpas.insert(&plan.name);
        } else {
            targets.deployments.insert(&plan.name);
        }
        targets.sources.insert(&plan.source);
        targets.first.get_or_insert(plan);
    }
    let mut objects = Vec::new();
    for (namespace, targets) in by_namespace {
        let Some(first) = targets.first else { continue };
        let source = targets
            .sources
            .iter()
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let no_annotations = BTreeMap::new();
        let stamp = Stamp {
            part_of: SCALER_NAME,
            source: &source,
            labels: default_labels,
            annotations: &no_annotations,
        };
        let meta = stamp.metadata(SCALER_NAME, namespace);
        let rule = |group: &str, resource: &str, names: &BTreeSet<&str>| {
            json!({
                "apiGroups": [group],
                "resources": [resource],
                "resourceNames": names,
                "verbs": ["get", "patch"],
            })
        };
        let mut rules = Vec::new();
        if !targets.deployments.is_empty() {
            rules.push(rule(
                "flink.apache.org",
                "flinkdeployments",
                &targets.deployments,
            ));
        }
        if !targets.hpas.is_empty() {
            rules.push(rule(
                "autoscaling",
                "horizontalpodautoscalers",
                &targets.hpas,
            ));
        }
        let values = [
            resource("v1", "ServiceAccount", meta.clone(), []),
            resource(RBAC, "Role", meta.clone(), [("rules", Value::Array(rules))]),
            resource(
                RBAC,
                "RoleBinding",
                meta,
                [
                    (
                        "roleRef",
                        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SCALER_NAME}),
                    ),
                    (
                        "subjects",
                        json!([{"kind": "ServiceAccount", "name": SCALER_NAME, "namespace": namespace}]),
                    ),
                ],
            ),
        ];
        objects.extend(
            values
                .into_iter()
                .map(|v| Object::new(v, &source, first.file, first.doc)),
        );
    }
    objects
}
