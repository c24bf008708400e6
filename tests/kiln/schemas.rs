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

/// A rendered-field path's steps: a field, a key with dots (`[state.checkpoints.dir]`) or
/// any element of a list (`[]`).
enum Step {
    Key(String),
    Any,
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').expect("a closing bracket");
            out.push(if end == 0 {
                Step::Any
            } else {
                Step::Key(inner[..end].to_string())
            });
            rest = &inner[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Step::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    out
}

fn reaches(value: &serde_json::Value, steps: &[Step]) -> bool {
    match steps.split_first() {
        None => !value.is_null(),
        Some((Step::Key(key), rest)) => value.get(key).is_some_and(|v| reaches(v, rest)),
        Some((Step::Any, rest)) => value
            .as_array()
            .is_some_and(|items| items.iter().any(|v| reaches(v, rest))),
    }
}

/// What `kiln explain` says a field renders exists: every `x-kiln-renders` target is a
/// field of some object of that kind in the fixtures' expected output, and every field of
/// a spec's top level says what it renders.
#[test]
fn explained_render_targets_exist() {
    let objects: Vec<serde_json::Value> = crate::common::case_dirs("fixtures")
        .into_iter()
        .filter_map(|(_, dir)| crate::common::read(&dir.join("expected.yaml")))
        .flat_map(|yaml| crate::common::documents(&yaml))
        .collect();
    let mut checked = 0;
    for kind in Kind::specs() {
        let registration = kind.registration();
        for (field, targets) in registration.renders {
            for target in *targets {
                let (target_kind, path) = target.split_once(' ').expect("`Kind path`");
                let steps = steps(path);
                assert!(
                    objects
                        .iter()
                        .any(|o| o["kind"] == target_kind && reaches(o, &steps)),
                    "{} {field}: no rendered {target_kind} has {path}",
                    kind.name()
                );
                checked += 1;
            }
        }
        let generated = schema::generate(kind);
        let spec = &generated["properties"]["spec"]["$ref"];
        let name = spec.as_str().unwrap().trim_start_matches("#/$defs/");
        for field in generated["$defs"][name]["properties"]
            .as_object()
            .unwrap()
            .keys()
        {
            assert!(
                registration
                    .renders
                    .iter()
                    .any(|(f, _)| *f == format!("spec.{field}")
                        || f.starts_with(&format!("spec.{field}."))),
                "{} spec.{field} says nothing of what it renders",
                kind.name()
            );
        }
    }
    assert!(checked > 80, "{checked}");
}
