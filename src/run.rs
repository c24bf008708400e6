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
use std::time::Instant;

use clap::{CommandFactory, Parser, ValueEnum};

use crate::argocd;
use crate::cli::{
    ArgocdCommand, CheckArgs, Cli, ColorChoice, Command, DiffArgs, DiffFormat, OutputFormat,
    RenderArgs, ReportFormat, SchemaArgs, StatusArgs, StatusFormat,
};
use crate::diagnostic::Diagnostic;
use crate::diff;
use crate::emit::{self, Format};
use crate::git;
use crate::kinds::Kind;
use crate::load::{self, DiskFiles};
use crate::render::{self, Keep, Options, Outcome};
use crate::schema;
use crate::status;
use crate::validate::kube::KubeVersion;

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
        // Debug builds only: lets the tests prove what a panic looks like to a user.
        #[cfg(debug_assertions)]
        debug_panic();
        // A shell asking for completions (the scripts of `kiln completions` set this).
        match clap_complete::CompleteEnv::with_factory(Cli::command)
            .var(COMPLETE_VAR)
            .try_complete(std::env::args_os(), std::env::current_dir().ok().as_deref())
        {
            Ok(true) => return EXIT_OK,
            Ok(false) => {}
            Err(e) => {
                let _ = e.print();
                return EXIT_USAGE;
            }
        }
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

/// Debug builds only: `KILN_DEBUG_PANIC` makes kiln panic, so the tests can prove what a
/// panic looks like to a user.
#[cfg(debug_assertions)]
#[allow(clippy::manual_assert)]
fn debug_panic() {
    if std::env::var_os("KILN_DEBUG_PANIC").is_some() {
        panic!("KILN_DEBUG_PANIC is set");
    }
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Render(args) => render_command(&args),
        Command::Check(args) => check_command(&args),
        Command::Diff(args) => diff_command(&args),
        Command::Status(args) => status_command(&args),
        Command::Schema(args) => schema_command(&args),
        Command::Argocd(ArgocdCommand::Generate) => argocd_generate(),
        Command::Argocd(ArgocdCommand::Params) => argocd_params(),
        Command::Explain(args) => match crate::explain::explain(&args.path, args.recursive) {
            Ok(text) => write_stdout(&text),
            Err(message) => usage_error(message),
        },
        Command::Completions(args) => completions_command(args.shell),
        Command::Man => man_command(),
        Command::Init(args) => init_command(&args.path),
    }
}

/// `kiln init`: plan the files, refuse any that exists, write them all or none.
fn init_command(path: &Path) -> i32 {
    let absolute = match std::path::absolute(path) {
        Ok(p) => p,
        Err(e) => return usage_error(format!("{}: {e}", path.display())),
    };
    // The git repository the root will be in: the nearest existing folder up from PATH.
    let existing = absolute
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(&absolute);
    let (top, inside) = match std::fs::canonicalize(existing).map(|e| git::locate(&e)) {
        Ok(Ok((top, inside_existing))) => {
            let below = absolute.strip_prefix(existing).unwrap_or(Path::new(""));
            let inside = [inside_existing, load::relative(Path::new(""), below)]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            (top, inside)
        }
        _ => (absolute.clone(), String::new()),
    };
    let root = if inside.is_empty() {
        top.clone()
    } else {
        top.join(&inside)
    };
    let shown = if inside.is_empty() { "." } else { &inside };
    let files = crate::init::plan(&root, &top, shown);
    match crate::init::write(&files) {
        Ok(()) => {
            let mut listed = String::new();
            for file in &files {
                let _ = writeln!(listed, "{}", file.path.display());
            }
            eprintln!(
                "kiln: created a kiln root in {}; next: kiln check {} --all-envs --strict, then pre-commit install",
                root.display(),
                root.display()
            );
            write_stdout(&listed)
        }
        Err(crate::init::InitError::Exists(paths)) => {
            for path in &paths {
                eprintln!(
                    "kiln: error: {} exists; kiln init never overwrites a file",
                    path.display()
                );
            }
            eprintln!("kiln: nothing was written");
            EXIT_USAGE
        }
        Err(crate::init::InitError::Io(message)) => {
            usage_error(format!("{message}; nothing was written"))
        }
    }
}

/// The variable through which a shell asks kiln for completions.
const COMPLETE_VAR: &str = "KILN_COMPLETE";

/// The registration script of a shell, as `KILN_COMPLETE=<shell> kiln` prints it: it calls
/// kiln back for every completion, so completions follow the kiln on the PATH.
fn completions_command(shell: crate::cli::Shell) -> i32 {
    let name = shell
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let shells = clap_complete::env::Shells::builtins();
    let Some(completer) = shells.completer(&name) else {
        return usage_error(format!("no completions for {name}"));
    };
    let mut script = Vec::new();
    if let Err(e) = completer.write_registration(COMPLETE_VAR, "kiln", "kiln", "kiln", &mut script)
    {
        return usage_error(e);
    }
    write_stdout(&String::from_utf8_lossy(&script))
}

fn man_command() -> i32 {
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut page) {
        return usage_error(e);
    }
    write_stdout(&String::from_utf8_lossy(&page))
}

/// Kinds and fields for `kiln explain` completion.
pub fn complete_explain(current: &std::ffi::OsStr) -> Vec<clap_complete::CompletionCandidate> {
    crate::explain::candidates(current.to_str().unwrap_or_default())
        .into_iter()
        .map(clap_complete::CompletionCandidate::new)
        .collect()
}

/// The environments of the kiln.yaml in the current folder (or above), for `-e` completion.
pub fn complete_environment(current: &std::ffi::OsStr) -> Vec<clap_complete::CompletionCandidate> {
    let prefix = current.to_str().unwrap_or_default();
    let Ok(root) = load::find_root(Path::new(".")) else {
        return Vec::new();
    };
    let Ok(file) = load::read_config(&root) else {
        return Vec::new();
    };
    let (config, _) =
        crate::parse::parse_config(&file, 0, &mut crate::diagnostic::Diagnostics::new());
    config
        .environments
        .keys()
        .filter(|name| name.starts_with(prefix))
        .map(clap_complete::CompletionCandidate::new)
        .collect()
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

/// When stdout is a pipe, make its buffer large enough for `bytes` (up to the system's limit
/// for unprivileged processes, usually 1 MiB): with the default 64 KiB, a large render waits
/// on its reader (Argo CD, CI) after every 64 KiB instead of writing and exiting. Best effort:
/// anything else, or a refusal, leaves stdout as it is. Linux only (F_SETPIPE_SZ); elsewhere
/// stdout stays as it is.
#[cfg(target_os = "linux")]
fn widen_pipe(stdout: &impl std::os::fd::AsFd, bytes: usize) {
    const MOST: usize = 1 << 20;
    if bytes > 1 << 16 {
        let _ = rustix::pipe::fcntl_setpipe_size(stdout, bytes.min(MOST));
    }
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe(_stdout: &impl std::os::fd::AsFd, _bytes: usize) {}

/// Write the objects to stdout as they are, without building the whole text first.
fn write_objects(objects: &[crate::expand::Object], format: Format) -> i32 {
    if format == Format::Json {
        return write_stdout(&emit::json_list(objects));
    }
    let stdout = io::stdout().lock();
    widen_pipe(
        &stdout,
        objects
            .iter()
            .map(crate::expand::Object::kept_yaml_len)
            .sum(),
    );
    let mut stdout = io::BufWriter::with_capacity(1 << 16, stdout);
    let result = objects
        .iter()
        .try_for_each(|object| {
            stdout.write_all(b"---\n")?;
            stdout.write_all(object.yaml().unwrap_or_default().as_bytes())
        })
        .and_then(|()| stdout.flush());
    match result {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => usage_error(format!("cannot write to stdout: {e}")),
    }
}

/// Print diagnostics in one write: stderr is unbuffered, and a hundred warnings written piece
/// by piece cost a thousand system calls.
fn print_diagnostics(diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let mut text = String::new();
    for d in diagnostics {
        let _ = writeln!(text, "{d}");
    }
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

fn kube_version(text: Option<&str>) -> Result<Option<KubeVersion>, String> {
    text.map(KubeVersion::parse).transpose()
}

/// A root as read (from disk, or from a git revision), to render once or per environment.
struct Root {
    /// Where specs' referenced files (`sql.file`) are read.
    files: Box<dyn load::Files>,
    loaded: render::Loaded,
    options: Options,
    read: std::time::Duration,
}

impl Root {
    /// Find and read the root at `path`; `Err` is a usage error already printed (its exit
    /// code).
    fn load(
        path: &Path,
        kube_version: Option<KubeVersion>,
        output: Option<&Path>,
        keep: Keep,
    ) -> Result<Root, i32> {
        let root = load::find_root(path).map_err(usage_error)?;
        let options = Options {
            fallback_namespace: std::env::var(ENV_APP_NAMESPACE)
                .ok()
                .filter(|s| !s.is_empty()),
            kube_version,
            output_folder: output.and_then(|o| output_inside(&root, o)),
            keep,
            ..Options::default()
        };
        let reading = Instant::now();
        let loaded = render::load(&root, &options).map_err(usage_error)?;
        Ok(Root {
            files: Box::new(DiskFiles::new(root)),
            loaded,
            options,
            read: reading.elapsed(),
        })
    }

    /// kiln.yaml's environment names.
    fn environment_names(&self) -> Vec<String> {
        self.loaded
            .config
            .config
            .environments
            .keys()
            .cloned()
            .collect()
    }

    /// Render for `environment` (None: kiln.yaml's default), from a copy of the files.
    fn render(&self, environment: Option<&str>) -> Outcome {
        self.render_loaded(self.loaded.clone(), environment)
    }

    fn render_loaded(&self, loaded: render::Loaded, environment: Option<&str>) -> Outcome {
        let options = Options {
            environment: environment.map(str::to_string),
            ..self.options.clone()
        };
        let mut outcome = render::render(loaded, self.files.as_ref(), &options);
        outcome.timings.insert(0, ("read files", self.read));
        outcome
    }

    /// Render for each environment, in order; the last render takes the files over.
    fn render_each(self, environments: Vec<Option<String>>) -> Vec<(Option<String>, Outcome)> {
        let mut outcomes = Vec::with_capacity(environments.len());
        let mut environments = environments.into_iter().peekable();
        while let Some(environment) = environments.next() {
            if environments.peek().is_none() {
                let outcome = self.render_once(environment.as_deref());
                outcomes.push((environment, outcome));
                break;
            }
            let outcome = self.render(environment.as_deref());
            outcomes.push((environment, outcome));
        }
        outcomes
    }

    /// Render once, taking the files over (no copy).
    fn render_once(mut self, environment: Option<&str>) -> Outcome {
        let loaded = std::mem::take(&mut self.loaded);
        self.render_loaded(loaded, environment)
    }
}

/// Load and render a root once; `Err` is a usage error already printed (its exit code).
fn render_root(
    path: &Path,
    environment: Option<&str>,
    kube_version: Option<KubeVersion>,
    output: Option<&Path>,
    keep: Keep,
) -> Result<Outcome, i32> {
    Ok(Root::load(path, kube_version, output, keep)?.render_once(environment))
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
    let started = Instant::now();
    let code = render_and_write(args);
    if args.timings {
        eprintln!(
            "kiln: total {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    code
}

fn render_and_write(args: &RenderArgs) -> i32 {
    let kube = match kube_version(args.kube_version.as_deref()) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let keep = match args.format {
        OutputFormat::Yaml => Keep::Yaml,
        OutputFormat::Json => Keep::Values,
    };
    let outcome = match render_root(
        &args.path,
        args.env.as_deref(),
        kube,
        args.output.as_deref(),
        keep,
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
    let mut timings = outcome.timings.clone();
    let writing = Instant::now();
    let code = if args.write || args.output.is_some() {
        write_output_folder(args, &outcome, format)
    } else {
        write_objects(&outcome.objects, format)
    };
    timings.push(("write", writing.elapsed()));
    if args.timings {
        print_timings(&timings);
    }
    code
}

/// `--output DIR` or `--write`: one file per object, the folder replaced atomically.
fn write_output_folder(args: &RenderArgs, outcome: &Outcome, format: Format) -> i32 {
    let root = match load::find_root(&args.path) {
        Ok(root) => root,
        Err(e) => return usage_error(e),
    };
    let dir = match args.output.clone() {
        Some(dir) => dir,
        None => match configured_output(&root, &outcome.config) {
            Some(Ok(dir)) => dir,
            Some(Err(message)) => return usage_error(message),
            None => {
                return usage_error(
                    "--write needs an output folder: set `output` in kiln.yaml or pass --output DIR",
                );
            }
        },
    };
    let files = match emit::folder_files(&outcome.objects, format) {
        Ok(files) => files,
        Err(diagnostics) => {
            let mut diagnostics = diagnostics;
            crate::source::resolve(&mut diagnostics, &outcome.sources);
            print_diagnostics(&diagnostics.into_sorted());
            return EXIT_INVALID;
        }
    };
    if args.write && emit::folder_matches(&dir, &files) {
        return EXIT_OK;
    }
    if let Err(e) = emit::write_folder(&dir, &files, &root) {
        return usage_error(e);
    }
    if args.write {
        eprintln!(
            "kiln: {} was out of date and has been rewritten ({} object{}); review and stage it",
            dir.display(),
            files.len(),
            plural(files.len())
        );
        return EXIT_INVALID;
    }
    eprintln!(
        "kiln: wrote {} object{} to {}",
        files.len(),
        plural(files.len()),
        dir.display()
    );
    EXIT_OK
}

fn print_timings(timings: &[(&'static str, std::time::Duration)]) {
    let stages: Vec<String> = timings
        .iter()
        .map(|(stage, d)| format!("{stage} {:.1} ms", d.as_secs_f64() * 1000.0))
        .collect();
    eprintln!("kiln: timings: {}", stages.join(", "));
}

/// The output folder kiln.yaml names, as a path; an error when one of its folders (or the
/// output folder itself) is a symbolic link, which could lead the write out of the root.
fn configured_output(
    root: &Path,
    config: &crate::config::Config,
) -> Option<Result<PathBuf, String>> {
    let output = config.output.as_deref()?;
    let mut path = root.to_path_buf();
    for part in output.split('/') {
        path.push(part);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(Err(format!(
                "kiln.yaml output \"{output}\": {} is a symbolic link; kiln writes its output folder only inside the root, through real folders",
                path.display()
            )));
        }
    }
    Some(Ok(path))
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

/// The environments `-e`/`--all-envs` select among `names` (kiln.yaml's): every one (or the
/// default when there is none), or the one named (`None`: the default).
fn selected_environments(
    selection: &crate::cli::Environments,
    names: Vec<String>,
) -> Vec<Option<String>> {
    if !selection.all_envs {
        return vec![selection.env.clone()];
    }
    if names.is_empty() {
        vec![None]
    } else {
        names.into_iter().map(Some).collect()
    }
}

fn check_command(args: &CheckArgs) -> i32 {
    let kube = match kube_version(args.kube_version.as_deref()) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let root = match Root::load(&args.path, kube, None, Keep::Identities) {
        Ok(root) => root,
        Err(code) => return code,
    };
    let environments = selected_environments(&args.environments, root.environment_names());
    let reports: Vec<Report> = root
        .render_each(environments)
        .into_iter()
        .map(|(environment, outcome)| report(outcome, environment, args.strict))
        .collect();
    let ok = reports.iter().all(|r| r.ok);
    match args.format {
        ReportFormat::Json => {
            let value = if args.environments.all_envs {
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
                if let (true, Some(env)) = (args.environments.all_envs, &r.environment) {
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

/// Why one side of a diff did not render: its errors.
struct SideError(Vec<Diagnostic>);

/// Free `value` on a thread of its own. The caller goes on at once; if the process ends
/// first, the system takes the memory back with the process.
fn drop_later<T: Send + 'static>(value: T) {
    // Without a thread to spare, spawn drops the closure (and `value`) right here.
    let _ = std::thread::Builder::new()
        .name("kiln-free".into())
        .spawn(move || drop(value));
}

/// One side of a diff: a revision read from git, or the working tree (`root`).
enum Side<'a> {
    Revision(&'a str),
    WorkingTree(&'a Path),
}

/// Read one side of a diff: None when the app does not exist on this side (yet, or any
/// more), so nothing renders there. A revision is read from git into memory.
fn load_side(side: &Side<'_>, top: &Path, inside: &str) -> Result<Option<Root>, String> {
    // The two sides render at once, one per core: threads inside each render only spun
    // against the other side (rayon's idle workers wait busily), 20% more CPU for a slower
    // diff.
    let options = Options {
        threads: Some(1),
        ..Options::default()
    };
    let (files, loaded): (Box<dyn load::Files>, render::Loaded) = match side {
        Side::Revision(revision) => {
            let commit = git::resolve(top, revision).map_err(|e| e.to_string())?;
            let tree = git::read_revision(top, &commit, inside).map_err(|e| e.to_string())?;
            if !tree.has_config() {
                return Ok(None);
            }
            let loaded =
                render::load_with(tree.read_config(), |walk| tree.read_tree(walk), &options);
            (Box::new(tree), loaded)
        }
        Side::WorkingTree(root) => {
            if !root.join(load::CONFIG_FILE).is_file() {
                return Ok(None);
            }
            let loaded = render::load(root, &options).map_err(|e| e.to_string())?;
            (Box::new(DiskFiles::new(root.to_path_buf())), loaded)
        }
    };
    Ok(Some(Root {
        files,
        loaded,
        options,
        read: std::time::Duration::ZERO,
    }))
}

/// Render one side of a diff for `environment` (nothing where the app does not exist).
fn render_side(side: Option<&Root>, environment: Option<&str>) -> Result<Outcome, SideError> {
    let Some(side) = side else {
        return Ok(Outcome::default());
    };
    let outcome = side.render(environment);
    if outcome.has_errors() {
        return Err(SideError(outcome.diagnostics));
    }
    Ok(outcome)
}

/// Render both sides at once (they are independent); an error is printed with its side's
/// name, the base's first. `base` is None for an environment the base does not have.
fn render_sides(
    base: Option<(Option<&Root>, &str)>,
    head: (Option<&Root>, &str),
    environment: Option<&str>,
) -> Result<(Outcome, Outcome), i32> {
    let (base_result, head_result) = std::thread::scope(|scope| {
        let base = scope.spawn(|| base.map(|(side, _)| render_side(side, environment)));
        let head = render_side(head.0, environment);
        (
            base.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            head,
        )
    });
    let report = |side: &str, SideError(diagnostics): SideError| {
        eprintln!("kiln: the {side} does not render:");
        print_diagnostics(&diagnostics);
        EXIT_USAGE
    };
    let base = match (base_result, base) {
        (Some(Err(e)), Some((_, side))) => return Err(report(side, e)),
        (Some(Ok(outcome)), _) => outcome,
        _ => Outcome::default(),
    };
    match head_result {
        Ok(head_outcome) => Ok((base, head_outcome)),
        Err(e) => Err(report(head.1, e)),
    }
}

fn diff_command(args: &DiffArgs) -> i32 {
    let root = match load::find_root(&args.path) {
        Ok(root) => root,
        Err(e) => return usage_error(e),
    };
    let (top, inside) = match git::locate(&root) {
        Ok(located) => located,
        Err(e) => return usage_error(e),
    };
    let base_name = format!("base ({})", args.base);
    let head_name = args.head.as_ref().map_or_else(
        || "head (working tree)".to_string(),
        |h| format!("head ({h})"),
    );
    let head = args
        .head
        .as_deref()
        .map_or(Side::WorkingTree(&root), Side::Revision);
    let (base_side, head_side) = match (
        load_side(&Side::Revision(&args.base), &top, &inside),
        load_side(&head, &top, &inside),
    ) {
        (Err(e), _) => return usage_error(format!("the {base_name}: {e}")),
        (_, Err(e)) => return usage_error(format!("the {head_name}: {e}")),
        (Ok(base), Ok(head)) => (base, head),
    };
    let environments = selected_environments(
        &args.environments,
        head_side
            .as_ref()
            .map(Root::environment_names)
            .unwrap_or_default(),
    );
    // With --all-envs, an environment the base does not have yet compares against nothing.
    let base_environments = base_side
        .as_ref()
        .filter(|_| args.environments.all_envs)
        .map(Root::environment_names);
    let mut reports = Vec::new();
    for environment in environments {
        let new_on_head = matches!((&base_environments, &environment),
            (Some(names), Some(env)) if !names.contains(env));
        let base = (!new_on_head).then_some((base_side.as_ref(), base_name.as_str()));
        let (base, head) = match render_sides(
            base,
            (head_side.as_ref(), &head_name),
            environment.as_deref(),
        ) {
            Ok(sides) => sides,
            Err(code) => return code,
        };
        let mut report = diff::compare(&base.objects, &head.objects, args.context, environment);
        let notes = diff::scaling_notes(&report, &base.flink_plans, &head.flink_plans);
        report.notes.extend(notes);
        reports.push(report);
        // Freeing two renders' trees was a quarter of a diff's time: it happens beside the
        // rest of the work (the next environment, the report) instead of before it.
        drop_later((base, head));
    }
    let changed = reports.iter().any(diff::Report::has_changes);
    let heading = |r: &diff::Report| {
        let env = r
            .environment
            .as_ref()
            .map(|e| format!(" [{e}]"))
            .unwrap_or_default();
        format!(
            "kiln diff{env}: {} → {}",
            args.base,
            args.head.as_deref().unwrap_or("working tree")
        )
    };
    let text = match args.format {
        DiffFormat::Text => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    use std::io::IsTerminal;
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && io::stdout().is_terminal()
                }
            };
            reports
                .iter()
                .map(|r| diff::text_output(r, &heading(r), diff::Style { color }))
                .collect::<Vec<_>>()
                .join("\n")
        }
        DiffFormat::Markdown => {
            let share = args.max_length / reports.len().max(1);
            reports
                .iter()
                .map(|r| diff::markdown_output(r, &heading(r), share))
                .collect::<String>()
        }
        DiffFormat::Html => crate::html::diff_page(&reports, &heading),
        DiffFormat::Json => {
            let value = serde_json::json!({
                "base": args.base,
                "head": args.head,
                "changed": changed,
                "environments": reports,
            });
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    let code = write_stdout(&text);
    if code != EXIT_OK {
        return code;
    }
    if changed { EXIT_INVALID } else { EXIT_OK }
}

fn status_command(args: &StatusArgs) -> i32 {
    let outcome = match render_root(
        &args.path,
        args.env.as_deref(),
        None,
        None,
        Keep::Identities,
    ) {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    print_diagnostics(&outcome.diagnostics);
    if outcome.has_errors() {
        let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("kiln: {errors} error{}; no status", plural(errors));
        return EXIT_INVALID;
    }
    let report = status::report(
        &outcome.flink_plans,
        &outcome.session_plans,
        &outcome.pool_plans,
    );
    match args.format {
        StatusFormat::Table => write_stdout(&status::table(&report)),
        StatusFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            write_stdout(&text)
        }
        StatusFormat::Html => {
            // The report's jobs are sorted; each gets its plan's week.
            let weeks: Vec<Vec<(u32, u32)>> = report
                .jobs
                .iter()
                .map(|job| {
                    outcome
                        .flink_plans
                        .iter()
                        .find(|p| p.namespace == job.namespace && p.name == job.name)
                        .map(status::weekly_profile)
                        .unwrap_or_default()
                })
                .collect();
            write_stdout(&crate::html::status_page(&report, &weeks))
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
        keep: Keep::Yaml,
        threads: None,
    };
    let loaded = match render::load(&root, &options) {
        Ok(loaded) => loaded,
        Err(e) => return usage_error(e),
    };
    let mut outcome = render::render(loaded, &DiskFiles::new(root), &options);
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
    write_objects(&outcome.objects, Format::Yaml)
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::widen_pipe;

    #[test]
    fn a_large_render_widens_its_stdout_pipe() {
        let (reader, writer) = rustix::pipe::pipe().unwrap();
        let before = rustix::pipe::fcntl_getpipe_size(&writer).unwrap();
        // Small output: the pipe stays as it is.
        widen_pipe(&writer, 1000);
        assert_eq!(rustix::pipe::fcntl_getpipe_size(&writer).unwrap(), before);
        widen_pipe(&writer, 300_000);
        let most: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .map_or(0, |s| s.trim().parse().unwrap_or(0));
        let after = rustix::pipe::fcntl_getpipe_size(&writer).unwrap();
        if most >= 300_000 {
            assert!(after >= 300_000, "{before} -> {after}");
        }
        drop(reader);
        // Not a pipe: nothing happens, nothing fails.
        let file = tempfile::tempfile().unwrap();
        widen_pipe(&file, 300_000);
    }
}
