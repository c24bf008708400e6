//! FlinkJob: a Flink streaming job, rendered as a FlinkDeployment (+ SQL ConfigMap, scaling
//! HPA and CronJobs). Everything kiln knows of the kind lives in this folder.

pub mod autoscaling;
pub mod catalog;
pub mod expand;
pub mod rbac;
pub mod spec;
pub mod sql;
pub mod sql_wrapper;
pub mod validate;

pub use spec::*;
