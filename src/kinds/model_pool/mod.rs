//! ModelPool: a pool of GPU inference servers (vLLM, SGLang) shared by businesses, rendered
//! as one Deployment per business slice (+ Service, autoscalers, monitors).

pub mod allocation;
pub mod engine;
pub mod expand;
pub mod spec;
pub mod validate;

pub use spec::*;
