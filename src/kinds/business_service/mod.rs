//! BusinessService: a business's entry point into a ModelPool, rendered as a Service that
//! selects the business's slice.

pub mod expand;
pub mod spec;
pub mod validate;

pub use spec::*;
