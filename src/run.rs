//! `run()`: parses the command line, runs one command, prints every diagnostic once (to
//! stderr) and chooses the exit code. stdout carries only the product.
//!
//! Exit codes: 0 success · 1 invalid input · 2 usage or environment error (and internal
//! errors: a panic is caught and reported as "internal error, please report").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::panic;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::argocd;
use crate::cli::{
    ArgocdCommand, CheckArgs, Cli, Command, OutputFormat, RenderArgs, ReportFormat, SchemaArgs,
    StatusArgs, StatusFormat,
};
use crate::diagnostic::Diagnostic;
use crate::emit::{self, Format};
use crate::load::{self, DiskFiles};
use crate::render::{self, KubeVersion, Options, Outcome};
use crate::schema;
use crate::spec::Kind;
use crate::status;

pub const EXIT_OK: i32 = 0;
pub const EXIT_INVALID: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// The only environment variable `render` and `check` read: Argo CD's destination namespace,
/// the last namespace fallback.
pub const ENV_APP_NAMESPACE: &str = "ARGOCD_APP_NAMESPACE";

/// Entry point of the binary: never panics, returns the exit code.
pub fn main() -> i32 {
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("kiln: internal error, please report: {message}{location}");
    }));
    panic::catch_unwind(|| {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(e) => {
                let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
                let _ = e.print();
                return code;
            }
        };
        run(cli)
    })
    .unwrap_or(EXIT_USAGE)
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Render(args) => render_command(&args),
        Command::Check(args) => check_command(&args),
        Command::Status(args) => status_command(&args),
        Command::Schema(args) => schema_command(&args),
        Command::Argocd(ArgocdCommand::Generate) => argocd_generate(),
        Command::Argocd(ArgocdCommand::Params) => argocd_params(),
    }
}

fn usage_error(message: impl std::fmt::Display) -> i32 {
    eprintln!("kiln: {message}");
    EXIT_USAGE
}

/// Write the product to stdout; a closed pipe (`kiln render | head`) is not an error.
fn write_stdout(text: &str) -> i32 {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => usage_error(format!("cannot write to stdout: {e}")),
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut stderr = io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(stderr, "{d}");
    }
}

fn kube_version(text: Option<&str>) -> Result<Option<KubeVersion>, String> {
    text.map(KubeVersion::parse).transpose()
}

/// Load and render a root; `Err` is a usage error already printed (its exit code).
fn render_root(
    path: &Path,
    environment: Option<&str>,
    kube_version: Option<KubeVersion>,
    output: Option<&Path>,
) -> Result<Outcome, i32> {
    let root = load::find_root(path).map_err(usage_error)?;
    let output_folder = output.and_then(|o| output_inside(&root, o));
    let options = Options {
        fallback_namespace: std::env::var(ENV_APP_NAMESPACE)
            .ok()
            .filter(|s| !s.is_empty()),
        kube_version,
        output_folder,
        environment: environment.map(str::to_string),
    };
    let (sources, diagnostics) = render::load(&root, &options).map_err(usage_error)?;
    Ok(render::render(
        sources,
        diagnostics,
        &DiskFiles::new(root),
        &options,
    ))
}

/// The output folder relative to the root, when it lies inside it (so it is not read).
fn output_inside(root: &Path, output: &Path) -> Option<String> {
    let absolute = if output.is_absolute() {
        output.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(output)
    };
    let parent = absolute
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())?;
    let full: PathBuf = parent.join(absolute.file_name()?);
    full.strip_prefix(root)
        .ok()
        .map(|rel| load::relative(Path::new(""), rel))
}

fn render_command(args: &RenderArgs) -> i32 {
    let kube = match kube_version(args.kube_version.as_deref()) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let outcome = match render_root(
        &args.path,
        args.env.as_deref(),
        kube,
        args.output.as_deref(),
    ) {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    print_diagnostics(&outcome.diagnostics);
    if outcome.has_errors() {
        let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("kiln: {errors} error{}; nothing rendered", plural(errors));
        return EXIT_INVALID;
    }
    if outcome.objects.is_empty() && !args.allow_empty {
        eprintln!(
            "kiln: error: nothing to render: an empty render makes Argo CD prune the whole app (pass --allow-empty if that is intended)"
        );
        return EXIT_INVALID;
    }
    let format = match args.format {
        OutputFormat::Yaml => Format::Yaml,
        OutputFormat::Json => Format::Json,
    };
    match &args.output {
        None => write_stdout(&emit::render_text(&outcome.objects, format)),
        Some(dir) => {
            let files = match emit::folder_files(&outcome.objects, format) {
                Ok(files) => files,
                Err(diagnostics) => {
                    let mut diagnostics = diagnostics;
                    crate::source::resolve(&mut diagnostics, &outcome.sources);
                    print_diagnostics(&diagnostics.into_sorted());
                    return EXIT_INVALID;
                }
            };
            let root = match load::find_root(&args.path) {
                Ok(root) => root,
                Err(e) => return usage_error(e),
            };
            match emit::write_folder(dir, &files, &root) {
                Ok(()) => {
                    eprintln!(
                        "kiln: wrote {} object{} to {}",
                        files.len(),
                        plural(files.len()),
                        dir.display()
                    );
                    EXIT_OK
                }
                Err(e) => usage_error(e),
            }
        }
    }
}

/// What `kiln check` found for one environment.
#[derive(Debug, serde::Serialize)]
struct Report {
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
    ok: bool,
    errors: usize,
    warnings: usize,
    specs: usize,
    objects: usize,
    diagnostics: Vec<Diagnostic>,
}

fn report(mut outcome: Outcome, environment: Option<String>, strict: bool) -> Report {
    if !outcome.has_errors() && outcome.objects.is_empty() {
        outcome.diagnostics.push(Diagnostic::warning(
            "nothing to render: an empty render makes Argo CD prune the whole app",
        ));
    }
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = outcome.diagnostics.len() - errors;
    Report {
        environment,
        ok: errors == 0 && !(strict && warnings > 0),
        errors,
        warnings,
        specs: outcome.spec_count,
        objects: if errors > 0 { 0 } else { outcome.objects.len() },
        diagnostics: outcome.diagnostics,
    }
}

/// Environment names of the root's kiln.yaml (empty when it has none or cannot be read).
fn environment_names(path: &Path) -> Result<Vec<String>, i32> {
    let root = load::find_root(path).map_err(usage_error)?;
    let Ok(file) = load::read_config(&root) else {
        return Ok(Vec::new());
    };
    let mut scratch = crate::diagnostic::Diagnostics::new();
    let (config, _) = crate::parse::parse_config(&file, 0, &mut scratch);
    Ok(config.environments.into_keys().collect())
}

fn check_command(args: &CheckArgs) -> i32 {
    let kube = match kube_version(args.kube_version.as_deref()) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let environments: Vec<Option<String>> = if args.all_envs {
        match environment_names(&args.path) {
            Ok(names) if names.is_empty() => vec![None],
            Ok(names) => names.into_iter().map(Some).collect(),
            Err(code) => return code,
        }
    } else {
        vec![args.env.clone()]
    };
    let mut reports = Vec::new();
    for environment in environments {
        match render_root(&args.path, environment.as_deref(), kube, None) {
            Ok(outcome) => reports.push(report(outcome, environment, args.strict)),
            Err(code) => return code,
        }
    }
    let ok = reports.iter().all(|r| r.ok);
    match args.format {
        ReportFormat::Json => {
            let value = if args.all_envs {
                serde_json::json!({"ok": ok, "environments": reports})
            } else {
                serde_json::to_value(&reports[0]).unwrap_or_default()
            };
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
            let code = write_stdout(&text);
            if code != EXIT_OK {
                return code;
            }
        }
        ReportFormat::Text => {
            for r in &reports {
                if let (true, Some(env)) = (args.all_envs, &r.environment) {
                    eprintln!("kiln: environment {env}:");
                }
                print_diagnostics(&r.diagnostics);
                eprintln!(
                    "kiln: {} spec{}, {} object{}: {} error{}, {} warning{}{}",
                    r.specs,
                    plural(r.specs),
                    r.objects,
                    plural(r.objects),
                    r.errors,
                    plural(r.errors),
                    r.warnings,
                    plural(r.warnings),
                    if args.strict && r.warnings > 0 && r.errors == 0 {
                        " (--strict: warnings fail)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    if ok { EXIT_OK } else { EXIT_INVALID }
}

fn status_command(args: &StatusArgs) -> i32 {
    let outcome = match render_root(&args.path, args.env.as_deref(), None, None) {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    print_diagnostics(&outcome.diagnostics);
    if outcome.has_errors() {
        let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("kiln: {errors} error{}; no status", plural(errors));
        return EXIT_INVALID;
    }
    let report = status::report(&outcome.flink_plans, &outcome.pool_plans);
    match args.format {
        StatusFormat::Table => write_stdout(&status::table(&report)),
        StatusFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            write_stdout(&text)
        }
    }
}

fn schema_command(args: &SchemaArgs) -> i32 {
    let Some(name) = &args.kind else {
        let mut text = String::new();
        for kind in Kind::ALL {
            let _ = writeln!(text, "{}\tschemas/{}", kind.name(), schema::file_name(kind));
        }
        return write_stdout(&text);
    };
    let wanted = name.to_ascii_lowercase();
    let kind = Kind::ALL.into_iter().find(|k| {
        k.name().to_ascii_lowercase() == wanted || (*k == Kind::Config && wanted == "kiln.yaml")
    });
    match kind {
        Some(kind) => write_stdout(schema::committed(kind)),
        None => usage_error(format!(
            "unknown kind \"{name}\"; expected one of {}",
            Kind::ALL.map(Kind::name).join(", ")
        )),
    }
}

/// The plugin's variables from the process environment (nothing else is read).
fn plugin_variables() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| argocd::is_plugin_variable(k))
        .collect()
}

/// `kiln argocd generate`: argocd-cmp-server runs it with exec (no shell) in the app's folder
/// of a fresh copy of the repository. stdout gets only manifests; stderr, shown in the Argo
/// CD UI on failure, stays short.
fn argocd_generate() -> i32 {
    let vars = plugin_variables();
    let parameters = match argocd::parameters(&vars) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    for unknown in &parameters.unknown {
        eprintln!("kiln: warning: ignoring unknown parameter \"{unknown}\"");
    }
    let kube_version = match argocd::kube_version(&vars) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let root = match load::find_root(Path::new(".")) {
        Ok(root) => root,
        Err(e) => return usage_error(e),
    };
    let options = Options {
        fallback_namespace: vars
            .get("ARGOCD_APP_NAMESPACE")
            .filter(|v| !v.is_empty())
            .cloned(),
        kube_version,
        output_folder: None,
        environment: argocd::environment(&parameters, &vars),
    };
    let (sources, diagnostics) = match render::load(&root, &options) {
        Ok(loaded) => loaded,
        Err(e) => return usage_error(e),
    };
    let mut outcome = render::render(sources, diagnostics, &DiskFiles::new(root), &options);
    let renders_flink = outcome
        .objects
        .iter()
        .any(|o| o.kind() == "FlinkDeployment");
    if !outcome.has_errors() {
        outcome
            .diagnostics
            .extend(argocd::missing_operator(&vars, renders_flink));
    }
    print_diagnostics(&outcome.diagnostics);
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = outcome.diagnostics.len() - errors;
    if errors > 0 {
        eprintln!("kiln: {errors} error{}; nothing rendered", plural(errors));
        return EXIT_INVALID;
    }
    if parameters.strict == Some(true) && warnings > 0 {
        eprintln!(
            "kiln: strict: {warnings} warning{} fail the render",
            plural(warnings)
        );
        return EXIT_INVALID;
    }
    if outcome.objects.is_empty() {
        eprintln!(
            "kiln: error: nothing to render: an empty render would make Argo CD prune the whole app"
        );
        return EXIT_INVALID;
    }
    write_stdout(&emit::yaml_stream(&outcome.objects))
}

/// `kiln argocd params`: the parameter announcements, from kiln.yaml in the current folder.
fn argocd_params() -> i32 {
    let root = match load::find_root(Path::new(".")) {
        Ok(root) => root,
        Err(e) => return usage_error(e),
    };
    let file = match load::read_config(&root) {
        Ok(file) => file,
        Err(d) => {
            print_diagnostics(&[d]);
            return EXIT_INVALID;
        }
    };
    let mut diagnostics = crate::diagnostic::Diagnostics::new();
    let (config, _) = crate::parse::parse_config(&file, 0, &mut diagnostics);
    if diagnostics.has_errors() {
        crate::source::resolve(&mut diagnostics, &[file]);
        print_diagnostics(&diagnostics.into_sorted());
        return EXIT_INVALID;
    }
    let mut text = serde_json::to_string(&argocd::announcements(&config)).unwrap_or_default();
    text.push('\n');
    write_stdout(&text)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
