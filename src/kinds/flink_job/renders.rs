//! Which rendered fields each FlinkJob field drives, for `kiln explain` (written into the
//! committed schema as `x-kiln-renders`). Paths: `.` between fields, `[key]` for a key with
//! dots or slashes, `[]` for any element of a list; a test checks each against the fixtures.

pub const RENDERS: &[(&str, &[&str])] = &[
    (
        "metadata.name",
        &[
            "FlinkDeployment metadata.name",
            "FlinkDeployment metadata.labels[app.kubernetes.io/part-of]",
        ],
    ),
    (
        "metadata.namespace",
        &["FlinkDeployment metadata.namespace"],
    ),
    (
        "metadata.labels",
        &[
            "FlinkDeployment metadata.labels",
            "HorizontalPodAutoscaler metadata.labels",
        ],
    ),
    (
        "spec.type",
        &[
            "FlinkDeployment spec.job.jarURI",
            "FlinkDeployment spec.job.entryClass",
            "FlinkDeployment spec.job.args",
        ],
    ),
    (
        "spec.flinkVersion",
        &[
            "FlinkDeployment spec.flinkVersion",
            "FlinkDeployment spec.job.jarURI",
        ],
    ),
    ("spec.image", &["FlinkDeployment spec.image"]),
    (
        "spec.serviceAccount",
        &["FlinkDeployment spec.serviceAccount"],
    ),
    (
        "spec.python",
        &[
            "FlinkDeployment spec.job.args",
            "FlinkDeployment spec.podTemplate.spec.containers[].env",
        ],
    ),
    ("spec.jar.uri", &["FlinkDeployment spec.job.jarURI"]),
    (
        "spec.jar.entryClass",
        &["FlinkDeployment spec.job.entryClass"],
    ),
    ("spec.jar.args", &["FlinkDeployment spec.job.args"]),
    (
        "spec.sql",
        &[
            "ConfigMap data",
            "FlinkDeployment spec.job.args",
            "FlinkDeployment spec.podTemplate.spec.volumes",
            "FlinkDeployment spec.podTemplate.spec.containers[].volumeMounts",
        ],
    ),
    (
        "spec.parallelism",
        &["FlinkDeployment spec.job.parallelism"],
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
        "spec.autoscaling.mode",
        &[
            "FlinkDeployment spec.mode",
            "FlinkDeployment spec.taskManager.replicas",
            "FlinkDeployment spec.flinkConfiguration[scheduler-mode]",
            "FlinkDeployment spec.flinkConfiguration[job.autoscaler.enabled]",
        ],
    ),
    (
        "spec.autoscaling.engine",
        &[
            "HorizontalPodAutoscaler spec",
            "CronJob spec",
            "ScaledObject spec",
        ],
    ),
    (
        "spec.autoscaling.minReplicas",
        &[
            "FlinkDeployment spec.taskManager.replicas",
            "HorizontalPodAutoscaler spec.minReplicas",
            "ScaledObject spec.minReplicaCount",
        ],
    ),
    (
        "spec.autoscaling.maxReplicas",
        &[
            "HorizontalPodAutoscaler spec.maxReplicas",
            "ScaledObject spec.maxReplicaCount",
        ],
    ),
    (
        "spec.autoscaling.targetCpuUtilization",
        &[
            "HorizontalPodAutoscaler spec.metrics[].resource.target.averageUtilization",
            "ScaledObject spec.triggers[].metadata.value",
            "FlinkDeployment spec.flinkConfiguration[job.autoscaler.target.utilization]",
        ],
    ),
    (
        "spec.autoscaling.preset",
        &[
            "CronJob spec.schedule",
            "CronJob spec.jobTemplate.spec.template.spec.containers[].args",
            "ScaledObject spec.triggers[].metadata.start",
            "ScaledObject spec.triggers[].metadata.end",
            "ScaledObject spec.triggers[].metadata.desiredReplicas",
        ],
    ),
    (
        "spec.autoscaling.schedules",
        &[
            "CronJob spec.schedule",
            "CronJob spec.jobTemplate.spec.template.spec.containers[].args",
            "ScaledObject spec.triggers[].metadata.start",
            "ScaledObject spec.triggers[].metadata.end",
            "ScaledObject spec.triggers[].metadata.desiredReplicas",
        ],
    ),
    (
        "spec.autoscaling.timeZone",
        &[
            "CronJob spec.timeZone",
            "ScaledObject spec.triggers[].metadata.timezone",
        ],
    ),
    ("spec.state", &["FlinkDeployment spec.job.state"]),
    (
        "spec.upgradeMode",
        &["FlinkDeployment spec.job.upgradeMode"],
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
            "FlinkDeployment spec.flinkConfiguration[kubernetes.operator.savepoint.history.max.age]",
            "FlinkDeployment spec.flinkConfiguration[kubernetes.operator.savepoint.history.max.count]",
            "FlinkDeployment spec.flinkConfiguration[kubernetes.operator.savepoint.format.type]",
        ],
    ),
    (
        "spec.rollout",
        &["FlinkBlueGreenDeployment spec.template.spec"],
    ),
    (
        "spec.session",
        &[
            "FlinkSessionJob spec.deploymentName",
            "FlinkSessionJob spec.job",
            "FlinkSessionJob spec.flinkConfiguration",
        ],
    ),
    (
        "spec.restore",
        &[
            "FlinkDeployment spec.job.initialSavepointPath",
            "FlinkDeployment spec.job.allowNonRestoredState",
            "FlinkDeployment spec.job.savepointRedeployNonce",
        ],
    ),
    (
        "spec.snapshots",
        &[
            "FlinkStateSnapshot metadata.name",
            "FlinkStateSnapshot spec.jobReference",
            "FlinkStateSnapshot spec.savepoint.disposeOnDelete",
            "FlinkStateSnapshot spec.checkpoint",
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
