//! kiln's integration tests, in one binary (one link on a 2-core machine).
//!
//! `KILN_BLESS=1 cargo test` rewrites every expectation (fixture outputs, committed schemas)
//! after a deliberate change; review the diff like code.

mod argocd;
mod cli;
mod common;
mod completions;
mod crd;
mod diff;
mod fuzz_regressions;
mod hardening;
mod init;
mod pools;
mod quoting;
mod scheduling;
mod schemas;
mod sql_wrapper;
mod threads;
mod untrusted;
mod upstream;
