//! BusinessService: a business's entry point into a ModelPool, rendered as a Service that
//! selects the business's slice.

pub mod expand;
pub mod renders;
pub mod rules;
pub mod spec;
pub mod validate;

pub use spec::*;

/// The kind's place in the pipeline (see [`super::Registration`]).
pub const REGISTRATION: super::Registration = super::Registration {
    name: "BusinessService",
    schema_file: "businessservice.schema.json",
    committed_schema: include_str!("../../../schemas/businessservice.schema.json"),
    generate_schema: crate::schema::root_schema::<BusinessService>,
    schema_errors: Schema::iter_errors,
    accept: Some(|document, parsed, diagnostics| {
        if let Some(spec) = crate::parse::typed(document, diagnostics) {
            parsed.business_services.push(spec);
        }
    }),
    renders: renders::RENDERS,
    elsewhere: &[],
};

// Compiled from the committed schema when kiln is built (see `crate::schema`).
#[jsonschema::validator(path = "schemas/businessservice.schema.json", methods = { is_valid = false, validate = false })]
struct Schema;
