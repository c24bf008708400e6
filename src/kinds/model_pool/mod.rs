//! ModelPool: a pool of GPU inference servers (vLLM, SGLang) shared by businesses, rendered
//! as one Deployment per business slice (+ Service, autoscalers, monitors).

pub mod allocation;
pub mod engine;
pub mod expand;
pub mod renders;
pub mod rules;
pub mod spec;
pub mod validate;

pub use spec::*;

/// The kind's place in the pipeline (see [`super::Registration`]).
pub const REGISTRATION: super::Registration = super::Registration {
    name: "ModelPool",
    schema_file: "modelpool.schema.json",
    committed_schema: include_str!("../../../schemas/modelpool.schema.json"),
    generate_schema: crate::schema::root_schema::<ModelPool>,
    schema_errors: Schema::iter_errors,
    accept: Some(|document, parsed, diagnostics| {
        if let Some(spec) = crate::parse::typed(document, diagnostics) {
            parsed.model_pools.push(spec);
        }
    }),
    renders: renders::RENDERS,
    elsewhere: &[],
};

// Compiled from the committed schema when kiln is built (see `crate::schema`).
#[jsonschema::validator(path = "schemas/modelpool.schema.json", methods = { is_valid = false, validate = false })]
struct Schema;
