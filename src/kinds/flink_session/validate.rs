//! FlinkSession: its plan (a FlinkJob's cluster without a program, see
//! [`crate::kinds::flink_job::validate::Role`]), and the cross-document rules between a
//! session and the jobs that name it.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::kinds::Kind;
use crate::kinds::flink_job::validate::{self as job_validate, FlinkPlan, Role};
use crate::kinds::flink_job::{FlinkJob, FlinkJobKind, JobState};
use crate::kinds::flink_session::FlinkSession;
use crate::parse::Located;
use crate::validate::{Context, Settings, resolve_namespace};

/// The sessions jobs may name: every FlinkSession read, and the plans of those without
/// errors.
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    pub specs: &'a [Located<FlinkSession>],
    pub plans: &'a [FlinkPlan],
    /// Spec documents their schema rejected (`parse::Parsed::rejected`).
    pub rejected: &'a [Located<(Kind, Option<String>)>],
}

impl<'a> Sessions<'a> {
    /// The plan of session `name` in `namespace`, the namespace of `job`; a session that does
    /// not exist there is an error at `spec.session` naming where it is, and one with errors
    /// of its own (reported there, its schema's or its rules') gives None quietly.
    pub fn find(
        &self,
        ctx: &Context<'_>,
        job: &Located<FlinkJob>,
        name: &str,
        namespace: &str,
        out: &mut Diagnostics,
    ) -> Option<&'a FlinkPlan> {
        let path_of = |file: usize| ctx.sources.get(file).map_or("", |s| s.path.as_str());
        let namespace_of = |s: &Located<FlinkSession>| {
            resolve_namespace(ctx, &s.value.metadata).unwrap_or_default()
        };
        let Some(session) = self
            .specs
            .iter()
            .find(|s| s.value.metadata.name == name && namespace_of(s) == namespace)
        else {
            let rejected = self
                .rejected
                .iter()
                .any(|r| r.value.0 == Kind::FlinkSession && r.value.1.as_deref() == Some(name));
            if rejected {
                return None;
            }
            let elsewhere = self.specs.iter().find(|s| s.value.metadata.name == name);
            let here: Vec<String> = self
                .specs
                .iter()
                .filter(|s| namespace_of(s) == namespace)
                .map(|s| format!("{} ({})", s.value.metadata.name, path_of(s.file)))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let hint = if let Some(other) = elsewhere {
                format!(
                    "{name} is in namespace \"{}\" ({}); a session job runs on a session of its own namespace",
                    namespace_of(other),
                    path_of(other.file)
                )
            } else if here.is_empty() {
                "no FlinkSession is defined in this namespace".to_string()
            } else {
                format!("sessions in this namespace: {}", here.join(", "))
            };
            out.push(
                job.diagnostic(
                    Diagnostic::error(format!(
                        "FlinkSession \"{name}\" not found in namespace \"{namespace}\""
                    )),
                    "spec.session",
                )
                .with_hint(hint),
            );
            return None;
        };
        self.plans
            .iter()
            .find(|p| p.file == session.file && p.doc == session.doc)
    }
}

/// Validate every FlinkSession and resolve its plan (none for a session with errors); a
/// second session of a name in a namespace is an error.
pub fn plan_sessions(
    ctx: &Context<'_>,
    settings: &Settings,
    sessions: &[Located<FlinkSession>],
    diagnostics: &mut Diagnostics,
) -> Vec<FlinkPlan> {
    let planned = sessions
        .iter()
        .map(|located| {
            let session = &located.value;
            let as_job = Located {
                file: located.file,
                doc: located.doc,
                value: FlinkJob {
                    api_version: session.api_version,
                    kind: FlinkJobKind::FlinkJob,
                    metadata: session.metadata.clone(),
                    spec: session.spec.as_cluster(),
                },
            };
            let role = Role::Session {
                task_managers: session.spec.task_managers,
            };
            let mut problems = Diagnostics::new();
            let plan = job_validate::cluster(ctx, settings, as_job, role, &mut problems);
            (plan, problems)
        })
        .collect();
    job_validate::unique_flink_jobs(ctx, "FlinkSession", planned, diagnostics)
}

/// A session with a fixed number of TaskManagers has `taskManagers × slots` slots, and its
/// running jobs each hold `parallelism` of them: more than it has is an error at the
/// session's `taskManagers` that names each job and its file (the jobs submitted last
/// would wait for slots and fail). A session on demand gets the TaskManagers its jobs need.
pub fn capacity(sessions: &[FlinkPlan], jobs: &[FlinkPlan], diagnostics: &mut Diagnostics) {
    let mut on: BTreeMap<(&str, &str), Vec<&FlinkPlan>> = BTreeMap::new();
    for job in jobs {
        if let Role::SessionJob { session, .. } = &job.role
            && job.spec.state == JobState::Running
        {
            on.entry((job.namespace.as_str(), session.as_str()))
                .or_default()
                .push(job);
        }
    }
    for session in sessions {
        let Role::Session {
            task_managers: Some(task_managers),
        } = session.role
        else {
            continue;
        };
        let Some(running) = on.get(&(session.namespace.as_str(), session.name.as_str())) else {
            continue;
        };
        // Each fits an int32 (rules::size, the schema's bound on parallelism); their sum
        // need not.
        let slots = u64::from(task_managers) * u64::from(session.slots);
        let needed: u64 = running.iter().map(|j| u64::from(j.parallelism)).sum();
        if needed > slots {
            let each: Vec<String> = running
                .iter()
                .map(|j| format!("{} {} ({})", j.name, j.parallelism, j.source))
                .collect();
            diagnostics.push(
                Diagnostic::error(format!(
                    "session \"{}\" has {slots} slots ({task_managers} TaskManager{} × {} slot{}) and its running jobs need {needed}: {}",
                    session.name,
                    if task_managers == 1 { "" } else { "s" },
                    session.slots,
                    if session.slots == 1 { "" } else { "s" },
                    each.join(", ")
                ))
                .at(
                    session.file,
                    session.doc,
                    crate::field_path::FieldPath::parse("spec.taskManagers"),
                )
                .with_hint("raise taskManagers, lower the jobs' parallelism, or leave out taskManagers for TaskManagers on demand"),
            );
        }
    }
}
