//! Which rendered fields each BusinessService field drives, for `kiln explain` (see
//! `flink_job/renders.rs` for the path notation).

pub const RENDERS: &[(&str, &[&str])] = &[
    ("metadata.name", &["Service metadata.name"]),
    ("metadata.namespace", &["Service metadata.namespace"]),
    ("spec.pool", &["Service spec.selector.model"]),
    ("spec.business", &["Service spec.selector.business"]),
    (
        "spec.exposure",
        &[
            "Service spec.type",
            "Service spec.loadBalancerClass",
            "Service metadata.annotations[service.beta.kubernetes.io/aws-load-balancer-scheme]",
        ],
    ),
    ("spec.port", &["Service spec.ports[].port"]),
    (
        "spec.sourceRanges",
        &["Service spec.loadBalancerSourceRanges"],
    ),
    ("spec.annotations", &["Service metadata.annotations"]),
];
