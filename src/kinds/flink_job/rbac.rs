//! The scaler's ServiceAccount, Role and RoleBinding: one set per namespace, allowed to
//! `get` and `patch` exactly the FlinkDeployments and HPAs its CronJobs scale.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::validate::FlinkPlan;
use crate::expand::{Object, Stamp, to_value};

pub const SCALER_NAME: &str = "kiln-scaler";

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
        let meta = stamp.object_meta(SCALER_NAME, namespace);
        let rule = |group: &str, resource: &str, names: &BTreeSet<&str>| PolicyRule {
            api_groups: Some(vec![group.to_string()]),
            resources: Some(vec![resource.to_string()]),
            resource_names: Some(names.iter().map(|n| (*n).to_string()).collect()),
            verbs: vec!["get".to_string(), "patch".to_string()],
            ..PolicyRule::default()
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
            to_value(&ServiceAccount {
                metadata: meta.clone(),
                ..ServiceAccount::default()
            }),
            to_value(&Role {
                metadata: meta.clone(),
                rules: Some(rules),
            }),
            to_value(&RoleBinding {
                metadata: meta,
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".to_string(),
                    kind: "Role".to_string(),
                    name: SCALER_NAME.to_string(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".to_string(),
                    name: SCALER_NAME.to_string(),
                    namespace: Some(namespace.to_string()),
                    ..Subject::default()
                }]),
            }),
        ];
        objects.extend(
            values
                .into_iter()
                .map(|v| Object::new(v, &source, first.file, first.doc)),
        );
    }
    objects
}
