//! FlinkSession → a session-mode FlinkDeployment: a FlinkJob's cluster without `job`.

use crate::expand::{Object, Stamp};
use crate::kinds::flink_job::configuration::Program;
use crate::kinds::flink_job::expand::flink_deployment;
use crate::kinds::flink_job::validate::FlinkPlan;

pub fn expand(plan: &FlinkPlan) -> Object {
    let stamp = Stamp::new(&plan.name, &plan.source, &plan.labels, &plan.annotations);
    Object::new(
        flink_deployment(plan, &stamp, &Program::default()),
        &plan.source,
        plan.file,
        plan.doc,
    )
}
