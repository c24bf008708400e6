//! kiln: renders high-level specs (FlinkJob, ...) into complete, valid Kubernetes manifests.
//!
//! The library is a pipeline, one module per stage (see ARCHITECTURE.md):
//! [`load`] → [`parse`] → [`validate`] → [`expand`] → [`emit`], driven by [`render`].
//! The command line lives in [`cli`] and [`run`].

pub mod argocd;
pub mod cli;
pub mod config;
pub mod cron;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod expand;
pub mod explain;
pub mod field_path;
pub mod fuzzing;
pub mod git;
pub mod html;
pub mod init;
pub mod kinds;
pub mod load;
pub mod names;
pub mod object;
pub mod parse;
pub mod patch;
pub mod quantity;
pub mod render;
pub mod run;
pub mod schema;
pub mod selector;
pub mod source;
pub mod status;
pub mod suggest;
pub mod validate;
pub mod yaml;
