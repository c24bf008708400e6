//! BusinessService: its plan, and the cross-document rule (the pool, in the Service's
//! namespace); the other rules are in [`super::rules`].

use std::collections::BTreeMap;

use super::rules;
use super::spec::{BusinessService, BusinessServiceSpec, Exposure};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::kinds::model_pool::ModelPool;
use crate::kinds::model_pool::validate::PoolPlan;
use crate::parse::Located;
use crate::validate::{
    Context, Place, Settings, labels, namespace_or_error, resolve_namespace, unless_failed,
};

/// Everything needed to render one BusinessService.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub file: usize,
    pub doc: usize,
    pub source: String,
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: BusinessServiceSpec,
    pub model_tag: String,
    pub port: u32,
    pub load_balancer_class: Option<String>,
    /// Generated annotations (load balancer), before the spec's own.
    pub generated_annotations: BTreeMap<String, String>,
}

/// Validate every BusinessService against the pools and resolve its plan.
pub fn business_services(
    ctx: &Context<'_>,
    settings: &Settings,
    services: &[Located<BusinessService>],
    pools: &[Located<ModelPool>],
    plans: &[PoolPlan],
    diagnostics: &mut Diagnostics,
) -> Vec<ServicePlan> {
    let mut result = Vec::new();
    for located in services {
        let mut out = Diagnostics::new();
        let plan = business_service(ctx, settings, located, pools, plans, &mut out);
        result.extend(unless_failed(plan, out, diagnostics));
    }
    result
}

fn business_service(
    ctx: &Context<'_>,
    settings: &Settings,
    located: &Located<BusinessService>,
    pools: &[Located<ModelPool>],
    plans: &[PoolPlan],
    out: &mut Diagnostics,
) -> Option<ServicePlan> {
    let place = Place::of(located);
    let service = &located.value;
    let spec = &service.spec;
    let err = |path: &str, message: String| located.diagnostic(Diagnostic::error(message), path);
    let name = service.metadata.name.clone();
    out.extend(rules::name(place, &name));
    let namespace = namespace_or_error(ctx, &service.metadata, located, out);
    let labels = labels(settings, &service.metadata, located, out);
    let path_of = |file: usize| {
        ctx.sources
            .get(file)
            .map_or(String::new(), |s| s.path.clone())
    };

    // The pool: by name, in the service's namespace (as the pool's own namespace resolves).
    let pool_namespace =
        |p: &Located<ModelPool>| resolve_namespace(ctx, &p.value.metadata).unwrap_or_default();
    let Some(pool) = pools
        .iter()
        .find(|p| p.value.metadata.name == spec.pool && pool_namespace(p) == namespace)
    else {
        let here: Vec<String> = pools
            .iter()
            .filter(|p| pool_namespace(p) == namespace)
            .map(|p| format!("{} ({})", p.value.metadata.name, path_of(p.file)))
            .collect();
        let mut d = err(
            "spec.pool",
            format!(
                "ModelPool \"{}\" not found in namespace \"{namespace}\"",
                spec.pool
            ),
        );
        let elsewhere = pools.iter().find(|p| p.value.metadata.name == spec.pool);
        d = d.with_hint(if let Some(other) = elsewhere {
            format!(
                "{} is in namespace \"{}\" ({}); a Service routes only to pods of its own namespace",
                spec.pool,
                pool_namespace(other),
                path_of(other.file)
            )
        } else if here.is_empty() {
            "no ModelPool is defined in this namespace".to_string()
        } else {
            format!("pools in this namespace: {}", here.join(", "))
        });
        out.push(d);
        return None;
    };
    // A pool with errors of its own has no plan; its errors are reported already.
    let plan = plans
        .iter()
        .find(|p| p.file == pool.file && p.doc == pool.doc)?;
    out.extend(rules::business(place, spec, plan));
    out.extend(rules::source_ranges(place, spec));
    let (class, generated) = load_balancer(ctx, spec.exposure);
    let source = path_of(located.file);
    Some(ServicePlan {
        file: located.file,
        doc: located.doc,
        source,
        name,
        namespace,
        labels,
        annotations: service.metadata.annotations.clone(),
        spec: spec.clone(),
        model_tag: plan.model_tag.clone(),
        port: spec.port.unwrap_or(8000),
        load_balancer_class: class,
        generated_annotations: generated,
    })
}

/// Load balancer class and annotations for an exposure: kiln.yaml's, else the AWS Load
/// Balancer Controller's NLB.
fn load_balancer(
    ctx: &Context<'_>,
    exposure: Exposure,
) -> (Option<String>, BTreeMap<String, String>) {
    if exposure == Exposure::Cluster {
        return (None, BTreeMap::new());
    }
    if let Some(lb) = &ctx.config.defaults.load_balancer {
        let annotations = if exposure == Exposure::Internal {
            &lb.internal_annotations
        } else {
            &lb.external_annotations
        };
        return (lb.class.clone(), annotations.clone());
    }
    let scheme = if exposure == Exposure::Internal {
        "internal"
    } else {
        "internet-facing"
    };
    let annotations = BTreeMap::from([
        (
            "service.beta.kubernetes.io/aws-load-balancer-type".to_string(),
            "external".to_string(),
        ),
        (
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type".to_string(),
            "ip".to_string(),
        ),
        (
            "service.beta.kubernetes.io/aws-load-balancer-scheme".to_string(),
            scheme.to_string(),
        ),
    ]);
    (Some("service.k8s.aws/nlb".to_string()), annotations)
}
