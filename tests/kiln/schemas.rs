//! The committed schemas under `schemas/` are exactly what the Rust types generate.
//! `KILN_BLESS=1 cargo test` rewrites them after a deliberate change.

use kiln::kinds::Kind;
use kiln::schema;

#[test]
fn committed_schemas_are_current() {
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let mut stale = Vec::new();
    for kind in Kind::ALL {
        let generated = schema::generate_text(kind);
        let path = format!(
            "{}/schemas/{}",
            env!("CARGO_MANIFEST_DIR"),
            schema::file_name(kind)
        );
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            if bless {
                std::fs::write(&path, &generated).unwrap();
            } else {
                stale.push(path);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas (run `KILN_BLESS=1 cargo test` twice: once to write, once to rebuild): {stale:?}"
    );
}

#[test]
fn committed_schemas_are_draft_2020_12() {
    for kind in Kind::ALL {
        let value: serde_json::Value = serde_json::from_str(schema::committed(kind)).unwrap();
        assert_eq!(
            value["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}
