//! Entry points of the fuzz targets (`fuzz/`), kept in the library so that the regression
//! test (`tests/kiln/fuzz_regressions.rs`) replays the committed seeds and crash reproducers
//! through exactly the same code with a plain `cargo test`. Each takes any text and must
//! return without panicking, whatever the text is.

use serde_json::Value;

use crate::config::Environment;
use crate::diagnostic::Diagnostics;
use crate::load::{Files, ReferenceError};
use crate::parse::{self, Parsed};
use crate::patch::{self, Patchable, Stage};
use crate::render::{self, Keep, Options};
use crate::source::{self, SourceFile};
use crate::{emit, status, yaml};

/// The kiln.yaml of a `render` input without one: defaults for every kind and an
/// environment with a spec patch and a manifest patch, so patched paths run too.
pub const DEFAULT_CONFIG: &str = r#"apiVersion: kiln.dev/v1alpha1
kind: Config
defaults:
  namespace: fuzz
  timeZone: Europe/Berlin
  labels: {owner: fuzz}
  flink: {image: "flink:1.19.3", flinkVersion: "1.19.3"}
  engines:
    vllm: {image: "vllm/vllm-openai:v0.11.0"}
    sglang: {image: "lmsysorg/sglang:v0.5.4"}
defaultEnvironment: dev
environments:
  dev:
    labels: {env: dev}
  prod:
    namespace: prod
"#;

/// The line that separates kiln.yaml from the spec file in a `render` input.
pub const SEPARATOR: &str = "\n===\n";

/// The YAML loader and the spec parser, with diagnostics resolved to positions; and the
/// YAML reader against serde-saphyr's.
///
/// # Panics
///
/// When kiln's reader gives another result than serde-saphyr's (a bug the fuzzer is to find).
pub fn parse(text: &str) {
    assert_eq!(
        yaml::parse_documents(text),
        yaml::parse_documents_reference(text),
        "kiln's YAML reader differs"
    );
    let files = [SourceFile {
        path: "jobs/spec.yaml".to_string(),
        text: text.to_string(),
    }];
    let mut diagnostics = Diagnostics::new();
    let _ = parse::parse_config(&files[0], 0, &mut diagnostics);
    let mut parsed = Parsed::default();
    parse::parse_documents(&files, 0, &mut parsed, &mut diagnostics);
    parse::check_specs(&mut parsed, &[], None, &mut diagnostics);
    source::resolve(&mut diagnostics, &files);
    let _ = diagnostics.into_sorted();
}

/// The patch engine: the first document is an environment, the rest are patched at both
/// stages (as spec documents, then as rendered objects).
pub fn patch(text: &str) {
    let Ok(mut documents) = yaml::parse_documents(text) else {
        return;
    };
    if documents.is_empty() {
        return;
    }
    let Ok(environment) = serde_json::from_value::<Environment>(documents.remove(0)) else {
        return;
    };
    let (compiled, _) = patch::compile("fuzz", &environment);
    for stage in [Stage::Specs, Stage::Manifests] {
        let mut items: Vec<Patchable<'_>> = documents
            .iter_mut()
            .map(|value| Patchable {
                value,
                describe: "document".to_string(),
            })
            .collect();
        let _ = patch::apply(&compiled, stage, &mut items, Some("fuzz"));
    }
    for document in &documents {
        let _ = yaml::to_string(document);
    }
}

/// The YAML writer against serde-saphyr's: every document of the text, written by both.
///
/// # Panics
///
/// When kiln's writer gives other bytes than serde-saphyr's (a bug the fuzzer is to find).
pub fn emit(text: &str) {
    let Ok(documents) = yaml::parse_documents(text) else {
        return;
    };
    for document in &documents {
        let reference = serde_saphyr::to_string(document).unwrap_or_default();
        assert_eq!(
            yaml::to_string(document),
            reference,
            "kiln's YAML writer differs"
        );
    }
}

/// A whole render of a one-file repository, in memory: `kiln.yaml`, [`SEPARATOR`], the spec
/// file; or only the spec file under [`DEFAULT_CONFIG`]. Renders the default environment and
/// `prod`, prints both formats and the status report.
///
/// # Panics
///
/// When a render whose objects are frozen as they are made prints differently from one that
/// keeps them whole (a bug the fuzzer is to find).
pub fn render(text: &str) {
    let (config, spec) = text.split_once(SEPARATOR).unwrap_or((DEFAULT_CONFIG, text));
    for environment in [None, Some("prod")] {
        let sources = vec![
            SourceFile {
                path: "kiln.yaml".to_string(),
                text: config.to_string(),
            },
            SourceFile {
                path: "jobs/spec.yaml".to_string(),
                text: spec.to_string(),
            },
        ];
        let options = Options {
            environment: environment.map(str::to_string),
            ..Options::default()
        };
        let frozen = Options {
            keep: Keep::Yaml,
            ..options.clone()
        };
        let outcome = render::render(
            render::Loaded::from_sources(sources.clone(), Diagnostics::new()),
            &OneSqlFile,
            &options,
        );
        if !outcome.has_errors() {
            let text = emit::yaml_stream(&outcome.objects);
            let _ = emit::json_list(&outcome.objects);
            let report = status::report(
                &outcome.flink_plans,
                &outcome.session_plans,
                &outcome.pool_plans,
            );
            let _ = status::table(&report);
            // Objects frozen as they are made give the same text as objects kept whole.
            let again = render::render(
                render::Loaded::from_sources(sources, Diagnostics::new()),
                &OneSqlFile,
                &frozen,
            );
            assert_eq!(
                text,
                emit::yaml_stream(&again.objects),
                "frozen render differs"
            );
        }
        let _: Vec<Value> = outcome
            .objects
            .into_iter()
            .filter_map(crate::expand::Object::into_value)
            .collect();
    }
}

/// The referenced files of a fuzzed repository: `jobs/query.sql` exists.
struct OneSqlFile;

impl Files for OneSqlFile {
    fn read_referenced(
        &self,
        from: &str,
        reference: &str,
    ) -> Result<(String, String), ReferenceError> {
        let path = crate::load::join_reference(from, reference)?;
        if path == "jobs/query.sql" {
            Ok((
                path,
                "CREATE TABLE t (a INT) WITH ('connector' = 'datagen');\nSELECT 'a;b' -- c;\nFROM t;\n"
                    .to_string(),
            ))
        } else {
            Err(ReferenceError::Missing(reference.to_string()))
        }
    }
}

/// `kiln diff`'s reading of a git revision (`git::plan`, `git::Revision`): the text is a
/// `git ls-tree -r -l -z` listing (records separated by NUL, or by newlines in a readable
/// seed) and each symlink's text is its object field, so a seed can hold a symlink
/// `evil -> ../outside` and a file `evil/pwned.yaml`. Whatever the listing, the tree is
/// refused or read without panicking, a followed link never leads out of the tree or to a
/// link, and only YAML files are read.
///
/// # Panics
///
/// When a rule above is broken (a bug the fuzzer is to find).
pub fn checkout(text: &str) {
    use crate::git::{Node, Revision};
    let listing = if text.contains('\0') {
        text.to_string()
    } else {
        text.replace('\n', "\0")
    };
    let entries = crate::git::plan(&listing, "");
    if entries.is_empty() || entries.len() > 64 {
        return;
    }
    let links = entries
        .iter()
        .filter(|e| e.mode == "120000")
        .map(|e| (e.relative.clone(), e.object.clone()))
        .collect();
    let paths: Vec<String> = entries.iter().map(|e| e.relative.clone()).collect();
    let Ok(revision) = Revision::from_entries(entries, links) else {
        return;
    };
    for path in &paths {
        for probe in [
            path.clone(),
            format!("{path}/kiln.yaml"),
            format!("{path}/.."),
        ] {
            if let Node::File(entry) = revision.resolve(&probe) {
                assert_ne!(entry.mode, "120000", "{probe} resolved to a link");
                assert!(paths.contains(&entry.relative), "{probe} left the tree");
            }
        }
        let _ = crate::load::Files::read_referenced(&revision, "a.yaml", path);
    }
    let (files, _) = revision.read_tree(&crate::load::WalkOptions::default());
    for file in files {
        assert!(crate::load::is_yaml(&file.path), "read {}", file.path);
    }
    let _ = revision.read_config();
}
