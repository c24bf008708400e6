//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Show pools (replicas, business distribution, GPUs, removable pods) and Flink jobs
    /// (mode, replica range, schedules, weekly TaskManager-hours).
    Status(StatusArgs),
    /// Print the JSON Schema of a kind (FlinkJob, ModelPool, BusinessService, Config);
    /// without KIND, list the kinds.
    Schema(SchemaArgs),
    /// The Argo CD config-management plugin's entry points (see plugin.yaml).
    #[command(subcommand)]
    Argocd(ArgocdCommand),
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
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,
    /// Write one file per object into DIR (replaced atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Succeed even when nothing is rendered (Argo CD would prune the whole app).
    #[arg(long)]
    pub allow_empty: bool,
    /// Kubernetes version of the target cluster (e.g. 1.29.3); limits what is emitted.
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The kiln root: the folder holding kiln.yaml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Environment from kiln.yaml (default: its defaultEnvironment).
    #[arg(
        long = "env",
        short = 'e',
        value_name = "ENV",
        conflicts_with = "all_envs"
    )]
    pub env: Option<String>,
    /// Check every environment of kiln.yaml, one after the other.
    #[arg(long)]
    pub all_envs: bool,
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
pub struct StatusArgs {
    /// The kiln root: the folder holding kiln.yaml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Environment from kiln.yaml (default: its defaultEnvironment).
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// FlinkJob, ModelPool, BusinessService or Config (kiln.yaml).
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
