//! Which rendered fields each FlinkSession field drives, for `kiln explain` (see
//! `flink_job::renders` for the path syntax).

pub const RENDERS: &[(&str, &[&str])] = &[
    (
        "metadata.name",
        &[
            "FlinkDeployment metadata.name",
            "FlinkSessionJob spec.deploymentName",
        ],
    ),
    (
        "metadata.namespace",
        &["FlinkDeployment metadata.namespace"],
    ),
    ("metadata.labels", &["FlinkDeployment metadata.labels"]),
    (
        "metadata.annotations",
        &["FlinkDeployment metadata.annotations"],
    ),
    ("spec.flinkVersion", &["FlinkDeployment spec.flinkVersion"]),
    ("spec.image", &["FlinkDeployment spec.image"]),
    (
        "spec.serviceAccount",
        &["FlinkDeployment spec.serviceAccount"],
    ),
    (
        "spec.taskManagers",
        &[
            "FlinkDeployment spec.mode",
            "FlinkDeployment spec.taskManager.replicas",
        ],
    ),
    (
        "spec.resources",
        &[
            "FlinkDeployment spec.jobManager.resource",
            "FlinkDeployment spec.taskManager.resource",
            "FlinkDeployment spec.flinkConfiguration[taskmanager.numberOfTaskSlots]",
        ],
    ),
    (
        "spec.checkpoints",
        &[
            "FlinkDeployment spec.flinkConfiguration[state.checkpoints.dir]",
            "FlinkDeployment spec.flinkConfiguration[execution.checkpointing.interval]",
        ],
    ),
    (
        "spec.savepoints",
        &[
            "FlinkDeployment spec.flinkConfiguration[state.savepoints.dir]",
            "FlinkDeployment spec.flinkConfiguration[kubernetes.operator.periodic.savepoint.interval]",
        ],
    ),
    (
        "spec.highAvailability",
        &[
            "FlinkDeployment spec.flinkConfiguration[high-availability.type]",
            "FlinkDeployment spec.flinkConfiguration[high-availability.storageDir]",
        ],
    ),
    (
        "spec.env",
        &["FlinkDeployment spec.podTemplate.spec.containers[].env"],
    ),
    (
        "spec.flinkConfiguration",
        &["FlinkDeployment spec.flinkConfiguration"],
    ),
    ("spec.podTemplate", &["FlinkDeployment spec.podTemplate"]),
    ("spec.restartNonce", &["FlinkDeployment spec.restartNonce"]),
];
