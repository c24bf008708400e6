//! Which rendered fields each ModelPool field drives, for `kiln explain` (see
//! `flink_job/renders.rs` for the path notation).

pub const RENDERS: &[(&str, &[&str])] = &[
    (
        "metadata.name",
        &["Deployment metadata.labels[app.kubernetes.io/part-of]"],
    ),
    ("metadata.namespace", &["Deployment metadata.namespace"]),
    (
        "spec.engine",
        &[
            "Deployment metadata.name",
            "Deployment spec.selector.matchLabels[pool-type]",
            "Deployment spec.template.spec.containers[].command",
            "Deployment spec.template.spec.containers[].args",
        ],
    ),
    (
        "spec.model",
        &["Deployment spec.template.spec.containers[].args"],
    ),
    (
        "spec.modelTag",
        &[
            "Deployment metadata.name",
            "Deployment spec.selector.matchLabels.model",
        ],
    ),
    (
        "spec.servedModelName",
        &["Deployment spec.template.spec.containers[].args"],
    ),
    (
        "spec.image",
        &["Deployment spec.template.spec.containers[].image"],
    ),
    ("spec.replicas", &["Deployment spec.replicas"]),
    (
        "spec.assignments",
        &[
            "Deployment spec.replicas",
            "Deployment spec.selector.matchLabels.business",
            "PodDisruptionBudget spec.selector.matchLabels.business",
        ],
    ),
    (
        "spec.gpu",
        &[
            "Deployment spec.template.spec.containers[].resources.limits[nvidia.com/gpu]",
            "Deployment spec.template.spec.tolerations",
        ],
    ),
    (
        "spec.resources",
        &[
            "Deployment spec.template.spec.containers[].resources.requests.cpu",
            "Deployment spec.template.spec.containers[].resources.requests.memory",
        ],
    ),
    (
        "spec.engineArgs",
        &["Deployment spec.template.spec.containers[].args"],
    ),
    (
        "spec.port",
        &[
            "Deployment spec.template.spec.containers[].ports[].containerPort",
            "PodMonitor spec.podMetricsEndpoints[].port",
        ],
    ),
    (
        "spec.hfTokenSecret",
        &["Deployment spec.template.spec.containers[].env[].valueFrom.secretKeyRef"],
    ),
    (
        "spec.cache",
        &[
            "Deployment spec.template.spec.volumes",
            "Deployment spec.template.spec.containers[].volumeMounts",
        ],
    ),
    (
        "spec.shmSize",
        &["Deployment spec.template.spec.volumes[].emptyDir.sizeLimit"],
    ),
    (
        "spec.startupTimeout",
        &["Deployment spec.template.spec.containers[].startupProbe.failureThreshold"],
    ),
    (
        "spec.drain",
        &[
            "Deployment spec.template.spec.containers[].lifecycle.preStop",
            "Deployment spec.template.spec.terminationGracePeriodSeconds",
        ],
    ),
    (
        "spec.nodeSelector",
        &["Deployment spec.template.spec.nodeSelector"],
    ),
    (
        "spec.tolerations",
        &["Deployment spec.template.spec.tolerations"],
    ),
    (
        "spec.placement",
        &[
            "Deployment spec.template.spec.topologySpreadConstraints",
            "Deployment spec.template.spec.priorityClassName",
        ],
    ),
    (
        "spec.loras",
        &["Deployment spec.template.spec.containers[].args"],
    ),
    (
        "spec.autoscaling",
        &[
            "ScaledObject spec.minReplicaCount",
            "ScaledObject spec.maxReplicaCount",
            "ScaledObject spec.triggers[].metadata.query",
            "ScaledObject spec.triggers[].metadata.threshold",
            "HorizontalPodAutoscaler spec.maxReplicas",
            "HorizontalPodAutoscaler spec.metrics",
        ],
    ),
];
