//! BusinessService → Service.

use serde_json::json;

use super::Exposure;
use super::validate::ServicePlan;
use crate::expand::{Object, Stamp, resource, strings};
use crate::kinds::model_pool::expand::{BUSINESS_LABEL, MODEL_LABEL};

/// A BusinessService's Service: selector `{model, business}`, target port `http`.
pub fn service(plan: &ServicePlan) -> Object {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    let mut labels = stamp.labels();
    labels.insert(BUSINESS_LABEL.to_string(), plan.spec.business.clone());
    labels.insert(MODEL_LABEL.to_string(), plan.model_tag.clone());
    labels.insert("service-type".to_string(), "business-service".to_string());
    let mut annotations = stamp.annotations();
    annotations.extend(plan.generated_annotations.clone());
    annotations.extend(plan.spec.annotations.clone());
    let load_balanced = plan.spec.exposure != Exposure::Cluster;
    let mut spec = json!({
        "type": if load_balanced { "LoadBalancer" } else { "ClusterIP" },
        "selector": {
            MODEL_LABEL: plan.model_tag,
            BUSINESS_LABEL: plan.spec.business,
        },
        "ports": [{"name": "http", "port": plan.port, "targetPort": "http", "protocol": "TCP"}],
    });
    if load_balanced {
        if let Some(class) = &plan.load_balancer_class {
            spec["loadBalancerClass"] = json!(class);
        }
        if !plan.spec.source_ranges.is_empty() {
            spec["loadBalancerSourceRanges"] = json!(plan.spec.source_ranges);
        }
    }
    let mut metadata = stamp.metadata_labelled(&plan.name, &plan.namespace, labels);
    metadata["annotations"] = strings(annotations);
    let value = resource("v1", "Service", metadata, [("spec", spec)]);
    Object::new(value, &plan.source, plan.file, plan.doc)
}
