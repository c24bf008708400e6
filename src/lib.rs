//! kiln: renders high-level specs (FlinkJob, ...) into complete, valid Kubernetes manifests.
//!
//! The library is a pipeline, one module per stage (see ARCHITECTURE.md):
//! [`load`] → [`parse`] → [`validate`] → [`expand`] → [`emit`], driven by [`render`].
//! The command line lives in [`cli`] and [`run`].

pub mod config;
pub mod diagnostic;
pub mod load;
pub mod path;
pub mod schema;
pub mod source;
pub mod spec;
pub mod suggest;
pub mod yaml;
