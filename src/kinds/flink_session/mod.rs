//! FlinkSession: a Flink session cluster, rendered as a session-mode FlinkDeployment; the
//! FlinkJobs that name it in `session` become FlinkSessionJobs on it. The cluster is planned
//! and rendered as a FlinkJob's cluster without a program (`flink_job::validate::Role`).

pub mod expand;
pub mod renders;
pub mod rules;
pub mod spec;
pub mod validate;

pub use spec::*;

/// The kind's place in the pipeline (see [`super::Registration`]).
pub const REGISTRATION: super::Registration = super::Registration {
    name: "FlinkSession",
    schema_file: "flinksession.schema.json",
    committed_schema: include_str!("../../../schemas/flinksession.schema.json"),
    generate_schema: crate::schema::root_schema::<FlinkSession>,
    schema_errors: Schema::iter_errors,
    accept: Some(|document, parsed, diagnostics| {
        if let Some(spec) = crate::parse::typed(document, diagnostics) {
            parsed.flink_sessions.push(spec);
        }
    }),
    renders: renders::RENDERS,
    elsewhere: ELSEWHERE,
};

const JOB_FIELD: &str =
    "this belongs to each job on the session: a FlinkJob with `session: <this session>` sets it";

/// FlinkJob fields a session does not have, and why (the hint of their unknown-field error).
const ELSEWHERE: &[(&str, &str)] = &[
    (
        "spec.autoscaling",
        "a session cannot autoscale: the operator fills the scale subresource's status only for a deployment with a job, and redeploys the whole session cluster (stopping every job on it) on any change of its spec; set taskManagers for a fixed size, or leave it out for TaskManagers on demand",
    ),
    ("spec.type", JOB_FIELD),
    ("spec.jar", JOB_FIELD),
    ("spec.python", JOB_FIELD),
    ("spec.sql", JOB_FIELD),
    ("spec.parallelism", JOB_FIELD),
    ("spec.state", JOB_FIELD),
    ("spec.upgradeMode", JOB_FIELD),
    ("spec.restore", JOB_FIELD),
    ("spec.snapshots", JOB_FIELD),
    ("spec.session", "a session does not run on another session"),
    (
        "spec.rollout",
        "blue/green deploys a cluster per job; a session's jobs roll out one by one as FlinkSessionJobs",
    ),
];

// Compiled from the committed schema when kiln is built (see `crate::schema`).
#[jsonschema::validator(path = "schemas/flinksession.schema.json", methods = { is_valid = false, validate = false })]
struct Schema;
