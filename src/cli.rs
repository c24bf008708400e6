//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCompleter;

#[derive(Debug, Parser)]
#[command(
    name = "kiln",
    version,
    about = "Render Flink jobs, model pools and business services into Kubernetes manifests",
    long_about = None,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the specs under PATH into Kubernetes manifests (stdout, or --output DIR).
    Render(RenderArgs),
    /// Validate everything under PATH and report all errors and warnings.
    Check(CheckArgs),
    /// Render a git revision and the working tree (or --head) and show what changes, with
    /// impact notes; exit 0 without changes, 1 with changes, 2 on error.
    Diff(DiffArgs),
    /// Show pools (replicas, business distribution, GPUs, removable pods) and Flink jobs
    /// (mode, replica range, schedules, weekly TaskManager-hours).
    Status(StatusArgs),
    /// Print the JSON Schema of a kind (FlinkJob, FlinkSession, ModelPool, BusinessService, Config);
    /// without KIND, list the kinds.
    Schema(SchemaArgs),
    /// The Argo CD config-management plugin's entry points (see plugin.yaml).
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// Describe a kind or a field like `kubectl explain`: type, default, allowed values,
    /// description and the fields below it (`kiln explain FlinkJob.spec.autoscaling`).
    Explain(ExplainArgs),
    /// Print the completion script of a shell: `source <(kiln completions bash)` (bash, zsh),
    /// `kiln completions fish | source`. Subcommands, flags and values complete, and `-e`
    /// completes the environments of the kiln.yaml in the current folder.
    Completions(CompletionsArgs),
    /// Print kiln's manual page (roff): `kiln man > kiln.1; man ./kiln.1`.
    Man,
    /// Create a working kiln root in PATH (default: here): kiln.yaml, a FlinkJob, a ModelPool
    /// and its BusinessService, an Argo CD Application, and a .pre-commit-config.yaml (at the
    /// git repository's top folder); refuses to overwrite any file.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The folder of the new kiln root; created when missing.
    #[arg(default_value = ".")]
    pub path: std::path::PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// KIND[.field…]: `FlinkJob`, `ModelPool.spec.autoscaling`, `Config.defaults`.
    #[arg(value_name = "KIND[.FIELD…]", add = ArgValueCompleter::new(crate::run::complete_explain))]
    pub path: String,
    /// Every field below, as a tree.
    #[arg(long)]
    pub recursive: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// Render the app in the current folder as argocd-cmp-server runs it: environment from
    /// the `environment` parameter, ARGOCD_ENV_KILN_ENV or defaultEnvironment.
    Generate,
    /// Print the parameter announcements (a JSON list) for the Argo CD UI.
    Params,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The kiln root: the folder holding kiln.yaml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Environment from kiln.yaml (default: its defaultEnvironment).
    #[arg(long = "env", short = 'e', value_name = "ENV", add = ArgValueCompleter::new(crate::run::complete_environment))]
    pub env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,
    /// Write one file per object into DIR (replaced atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write the output folder of kiln.yaml (`output`, or --output DIR) and exit 1 when that
    /// changed it (the pre-commit hook).
    #[arg(long)]
    pub write: bool,
    /// Succeed even when nothing is rendered (Argo CD would prune the whole app).
    #[arg(long)]
    pub allow_empty: bool,
    /// Kubernetes version of the target cluster (e.g. 1.29.3); limits what is emitted.
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,
    /// Print the time each stage took to stderr (read, parse, validate, expand, write).
    #[arg(long)]
    pub timings: bool,
}

/// `-e ENV` or `--all-envs`, for the commands that can go over every environment.
#[derive(Debug, clap::Args)]
pub struct Environments {
    /// Environment from kiln.yaml (default: its defaultEnvironment).
    #[arg(
        long = "env",
        short = 'e',
        value_name = "ENV",
        conflicts_with = "all_envs",
        add = ArgValueCompleter::new(crate::run::complete_environment)
    )]
    pub env: Option<String>,
    /// Every environment of kiln.yaml (for diff: of the head's), one report each.
    #[arg(long)]
    pub all_envs: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The kiln root: the folder holding kiln.yaml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub environments: Environments,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Kubernetes version of the target cluster (e.g. 1.29.3).
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The kiln root: the folder holding kiln.yaml (inside a git repository).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The revision to compare against (e.g. origin/main).
    #[arg(long, value_name = "REF")]
    pub base: String,
    /// The revision to compare (default: the working tree).
    #[arg(long, value_name = "REF")]
    pub head: Option<String>,
    #[command(flatten)]
    pub environments: Environments,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Longest markdown output, cut at object boundaries (GitHub's comment limit).
    #[arg(long, value_name = "N", default_value_t = 65536)]
    pub max_length: usize,
    /// Unchanged lines shown around each change.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Colour the text output: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
    /// One self-contained page: summary, impact notes, per-object diffs.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The kiln root: the folder holding kiln.yaml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Environment from kiln.yaml (default: its defaultEnvironment).
    #[arg(long = "env", short = 'e', value_name = "ENV", add = ArgValueCompleter::new(crate::run::complete_environment))]
    pub env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
    /// One self-contained page: pools as bars, jobs' TaskManagers over the week.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// FlinkJob, FlinkSession, ModelPool, BusinessService or Config (kiln.yaml).
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}
