//! FlinkJob: a Flink streaming job, rendered as a FlinkDeployment (+ SQL ConfigMap, scaling
//! HPA and CronJobs). Everything kiln knows of the kind lives in this folder.

pub mod autoscaling;
pub mod catalog;
pub mod configuration;
pub mod expand;
pub mod keda;
pub mod rbac;
pub mod renders;
pub mod rules;
pub mod spec;
pub mod sql;
pub mod sql_wrapper;
pub mod validate;
pub mod version;
pub mod week;

pub use spec::*;

/// The kind's place in the pipeline (see [`super::Registration`]).
pub const REGISTRATION: super::Registration = super::Registration {
    name: "FlinkJob",
    schema_file: "flinkjob.schema.json",
    committed_schema: include_str!("../../../schemas/flinkjob.schema.json"),
    generate_schema: crate::schema::root_schema::<FlinkJob>,
    schema_errors: Schema::iter_errors,
    accept: Some(|document, parsed, diagnostics| {
        if let Some(spec) = crate::parse::typed(document, diagnostics) {
            parsed.flink_jobs.push(spec);
        }
    }),
    renders: renders::RENDERS,
    elsewhere: &[],
};

// Compiled from the committed schema when kiln is built (see `crate::schema`).
#[jsonschema::validator(path = "schemas/flinkjob.schema.json", methods = { is_valid = false, validate = false })]
struct Schema;
