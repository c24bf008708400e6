//! BusinessService → Service.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Exposure;
use super::validate::ServicePlan;
use crate::expand::{Object, Stamp, to_value};
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
    let value = to_value(&Service {
        metadata: ObjectMeta {
            name: Some(plan.name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(
                if load_balanced {
                    "LoadBalancer"
                } else {
                    "ClusterIP"
                }
                .to_string(),
            ),
            load_balancer_class: plan.load_balancer_class.clone().filter(|_| load_balanced),
            load_balancer_source_ranges: Some(plan.spec.source_ranges.clone())
                .filter(|r| load_balanced && !r.is_empty()),
            selector: Some(BTreeMap::from([
                (MODEL_LABEL.to_string(), plan.model_tag.clone()),
                (BUSINESS_LABEL.to_string(), plan.spec.business.clone()),
            ])),
            ports: Some(vec![ServicePort {
                name: Some("http".to_string()),
                port: i32::try_from(plan.port).unwrap_or(8000),
                target_port: Some(IntOrString::String("http".to_string())),
                protocol: Some("TCP".to_string()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    });
    Object::new(value, &plan.source, plan.file, plan.doc)
}
