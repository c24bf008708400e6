//! The pipeline, top to bottom: load → parse → validate → expand → order. See ARCHITECTURE.md.
//!
//! [`render`] is pure: it takes the files already in memory and an accessor for referenced
//! files, so tests drive it without a disk. [`load`] is the disk edge.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::emit;
use crate::expand::{MANAGED_BY, Object, SOURCE_ANNOTATION};
use crate::field_path::FieldPath;
use crate::kinds::business_service::validate::ServicePlan;
use crate::kinds::flink_job::validate::FlinkPlan;
use crate::kinds::model_pool::validate::PoolPlan;
use crate::load::{self, Files, UsageError, WalkOptions};
use crate::parse::{self, Located, Parsed};
use crate::patch::{self, Patchable, Stage};
use crate::source::{self, SourceFile};
use crate::validate::kube::KubeVersion;
use crate::validate::{self, Context, Settings};

/// Choices that come from the command line or Argo CD, not from the repository.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Last namespace fallback (Argo CD's `ARGOCD_APP_NAMESPACE`).
    pub fallback_namespace: Option<String>,
    /// Target cluster version (`--kube-version`, Argo CD's `KUBE_VERSION`).
    pub kube_version: Option<KubeVersion>,
    /// Output folder relative to the root, never read as input.
    pub output_folder: Option<String>,
    /// The environment to render (`-e`); else kiln.yaml's `defaultEnvironment`.
    pub environment: Option<String>,
    /// What the caller needs of the objects.
    pub keep: Keep,
    /// Most threads to use (default: the machine's CPUs, at most four).
    pub threads: Option<usize>,
}

/// The result of a render: objects in canonical order, and every diagnostic, sorted and
/// located. Objects are only meaningful when there are no errors.
#[derive(Debug, Default)]
pub struct Outcome {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceFile>,
    pub flink_plans: Vec<FlinkPlan>,
    /// The FlinkSessions' clusters (plans with `Role::Session`).
    pub session_plans: Vec<FlinkPlan>,
    pub pool_plans: Vec<PoolPlan>,
    pub service_plans: Vec<ServicePlan>,
    pub spec_count: usize,
    /// kiln.yaml as the render read it.
    pub config: Config,
    /// Time spent per stage, in order (for the benchmark's profile).
    pub timings: Vec<(&'static str, Duration)>,
}

/// Laps of the render's stages.
struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A kiln root as read: its files (`sources[0]` is kiln.yaml), the loader's diagnostics, and
/// kiln.yaml parsed, once: the loader needs its `exclude` and `output`, the render the rest.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub sources: Vec<SourceFile>,
    pub diagnostics: Diagnostics,
    pub config: ConfigRead,
}

/// kiln.yaml parsed, with its own problems.
#[derive(Debug, Clone, Default)]
pub struct ConfigRead {
    pub config: Config,
    /// Its document, for locating diagnostics (None when the file is empty or unreadable).
    pub doc: Option<Located<()>>,
    pub diagnostics: Diagnostics,
}

impl ConfigRead {
    pub fn parse(file: &SourceFile) -> ConfigRead {
        let mut diagnostics = Diagnostics::new();
        let (config, doc) = parse::parse_config(file, 0, &mut diagnostics);
        ConfigRead {
            config,
            doc,
            diagnostics,
        }
    }
}

impl Loaded {
    /// Files read elsewhere (tests, fuzzing, a revision in memory): kiln.yaml is parsed here.
    pub fn from_sources(sources: Vec<SourceFile>, diagnostics: Diagnostics) -> Loaded {
        let config = sources.first().map(ConfigRead::parse).unwrap_or_default();
        Loaded {
            sources,
            diagnostics,
            config,
        }
    }
}

/// Read a kiln root from disk: kiln.yaml first (for `exclude` and `output`), then the tree.
pub fn load(root: &Path, options: &Options) -> Result<Loaded, UsageError> {
    Ok(load_with(
        load::read_config(root),
        |walk| load::read_tree(root, walk),
        options,
    ))
}

/// Read a kiln root: its kiln.yaml (`config_file`), then its tree with `read_tree`, told what
/// kiln.yaml says to skip. The disk and a git revision are read by the same steps.
pub fn load_with(
    config_file: Result<SourceFile, Diagnostic>,
    read_tree: impl FnOnce(&WalkOptions) -> (Vec<SourceFile>, Diagnostics),
    options: &Options,
) -> Loaded {
    let mut diagnostics = Diagnostics::new();
    let config_file = match config_file {
        Ok(file) => file,
        Err(d) => {
            diagnostics.push(d);
            return Loaded {
                diagnostics,
                ..Loaded::default()
            };
        }
    };
    let config = ConfigRead::parse(&config_file);
    let mut walk = WalkOptions {
        exclude: config.config.exclude.clone(),
        ..WalkOptions::default()
    };
    walk.skip.extend(config.config.output.clone());
    walk.skip.extend(options.output_folder.clone());
    let (mut files, problems) = read_tree(&walk);
    diagnostics.extend(problems);
    files.insert(0, config_file);
    Loaded {
        sources: files,
        diagnostics,
        config,
    }
}

/// Render in memory. `sources[0]` is kiln.yaml; `load_diagnostics` are the loader's.
pub fn render(loaded: Loaded, files: &dyn Files, options: &Options) -> Outcome {
    let Loaded {
        sources,
        mut diagnostics,
        config,
    } = loaded;
    if sources.is_empty() {
        return finish(Outcome::default(), diagnostics);
    }
    let mut clock = Stopwatch::start();

    // Parse everything first.
    let mut parsed = Parsed::default();
    // An unreadable kiln.yaml leaves only defaults; judging specs by them would bury the real
    // error under cascades ("no namespace", "no image"), so specs are then only parsed.
    let config_readable = !config.diagnostics.has_errors();
    diagnostics.extend(config.diagnostics);
    parsed.config = config.config;
    parsed.config_doc = config.doc;
    // Files parse independently: on several threads for a large repository, merged in file
    // order.
    let chunks = parallel(options.threads, &sources[1..], |offset, files| {
        let mut part = Parsed::default();
        let mut problems = Diagnostics::new();
        parse::parse_documents(files, 1 + offset, &mut part, &mut problems);
        (part, problems)
    });
    for (part, problems) in chunks {
        parsed.spec_values.extend(part.spec_values);
        parsed.manifests.extend(part.manifests);
        parsed.spec_documents += part.spec_documents;
        diagnostics.extend(problems);
    }
    let environment = if config_readable {
        select_environment(&parsed, options.environment.as_deref(), &mut diagnostics)
    } else {
        None
    };
    let environment = environment.as_ref().map(|(name, env)| (name.as_str(), env));
    clock.lap("parse YAML");

    // Patch specs (environment), then check them against their schemas.
    let (patches, problems) = environment
        .map(|(name, env)| patch::compile(name, env))
        .unwrap_or_default();
    patch::located(problems, 0, &mut diagnostics);
    let default_namespace = environment
        .and_then(|(_, env)| env.namespace.clone())
        .or_else(|| parsed.config.defaults.namespace.clone());
    let mut spec_items: Vec<Patchable<'_>> = parsed
        .spec_values
        .iter_mut()
        .map(|s| Patchable {
            describe: describe(&s.value.1, sources.get(s.file)),
            value: &mut s.value.1,
        })
        .collect();
    let (problems, patched_specs) = patch::apply(
        &patches,
        Stage::Specs,
        &mut spec_items,
        default_namespace.as_deref(),
    );
    patch::located(problems, 0, &mut diagnostics);
    // Schema checks and typed parsing, spec by spec: on several threads for many specs.
    check_specs(
        &mut parsed,
        &patched_specs,
        environment.map(|(name, _)| name),
        options.threads,
        &mut diagnostics,
    );
    clock.lap("patch + schema check");

    // Validate and resolve.
    let ctx = Context {
        config: &parsed.config,
        config_doc: parsed.config_doc.as_ref(),
        sources: &sources,
        files,
        fallback_namespace: options.fallback_namespace.as_deref(),
        environment,
    };
    let settings = validate::settings(&ctx, &mut diagnostics);
    let Plans {
        jobs: plans,
        sessions: session_plans,
        pools: pool_plans,
        services: service_plans,
    } = if config_readable {
        let jobs = std::mem::take(&mut parsed.flink_jobs);
        plan(
            &ctx,
            &settings,
            &parsed,
            jobs,
            options.threads,
            &mut diagnostics,
        )
    } else {
        Plans::default()
    };
    check_kube_version(&plans, options.kube_version, &mut diagnostics);
    clock.lap("validate");

    // Expand, patch (environment) and, when the caller needs no trees, freeze every object as
    // it is made: on several threads for a large repository.
    let units: Vec<Unit<'_>> = plans
        .iter()
        .map(Unit::Job)
        .chain(session_plans.iter().map(Unit::Session))
        .chain(pool_plans.iter().map(Unit::Pool))
        .chain(service_plans.iter().map(Unit::Service))
        .chain(parsed.manifests.iter().map(Unit::Manifest))
        .collect();
    let work = Work {
        settings: &settings,
        sources: &sources,
        patches: &patches,
        keep: options.keep,
    };
    let mut rbac = Unit::Rbac(&plans);
    let (mut objects, problems, mut tally) = work.produce(std::slice::from_mut(&mut rbac));
    diagnostics.extend(problems);
    for (more, problems, other) in parallel(options.threads, &units, |_, chunk| work.produce(chunk))
    {
        objects.extend(more);
        diagnostics.extend(problems);
        tally.merge(other);
    }
    patch::located(tally.finish(), 0, &mut diagnostics);
    clock.lap("expand + patch + serialize");

    // Order and check identities.
    let (objects, problems) = emit::order(objects, &sources);
    diagnostics.extend(problems);
    check_served_apis(&objects, options.kube_version, &mut diagnostics);
    let spec_count = parsed.spec_documents;
    clock.lap("order");
    let mut outcome = finish(
        Outcome {
            objects,
            diagnostics: Vec::new(),
            sources,
            flink_plans: plans,
            session_plans,
            pool_plans,
            service_plans,
            spec_count,
            config: parsed.config,
            timings: Vec::new(),
        },
        diagnostics,
    );
    clock.lap("locate diagnostics");
    outcome.timings = clock.laps;
    outcome
}

/// Every spec's plan (none for a spec with errors): the sessions first, since their jobs are
/// judged with them, the jobs (on several threads for many), then the pools and their
/// Services.
#[derive(Default)]
struct Plans {
    jobs: Vec<FlinkPlan>,
    sessions: Vec<FlinkPlan>,
    pools: Vec<PoolPlan>,
    services: Vec<ServicePlan>,
}

fn plan(
    ctx: &Context<'_>,
    settings: &Settings,
    parsed: &Parsed,
    jobs: Vec<Located<crate::kinds::FlinkJob>>,
    threads: Option<usize>,
    diagnostics: &mut Diagnostics,
) -> Plans {
    let sessions = crate::kinds::flink_session::validate::plan_sessions(
        ctx,
        settings,
        &parsed.flink_sessions,
        diagnostics,
    );
    let known = crate::kinds::flink_session::validate::Sessions {
        specs: &parsed.flink_sessions,
        plans: &sessions,
        rejected: &parsed.rejected,
    };
    let planned = parallel_owned(threads, jobs, |_, chunk| {
        crate::kinds::flink_job::validate::plan_flink_jobs(ctx, settings, chunk, &known)
    });
    let jobs = crate::kinds::flink_job::validate::unique_flink_jobs(
        ctx,
        "FlinkJob",
        planned.into_iter().flatten().collect(),
        diagnostics,
    );
    crate::kinds::flink_session::validate::capacity(&sessions, &jobs, diagnostics);
    let pools = crate::kinds::model_pool::validate::model_pools(
        ctx,
        settings,
        &parsed.model_pools,
        diagnostics,
    );
    let services = crate::kinds::business_service::validate::business_services(
        ctx,
        settings,
        &parsed.business_services,
        &parsed.model_pools,
        &pools,
        diagnostics,
    );
    Plans {
        jobs,
        sessions,
        pools,
        services,
    }
}

/// Schema-check the (patched) spec documents and type them, on several threads for many
/// specs; `patched` holds the indices of the specs `environment` patched.
fn check_specs(
    parsed: &mut Parsed,
    patched_specs: &[usize],
    environment: Option<&str>,
    threads: Option<usize>,
    diagnostics: &mut Diagnostics,
) {
    let specs = std::mem::take(&mut parsed.spec_values);
    let checked = parallel_owned(threads, specs, |offset, chunk| {
        let mut part = Parsed {
            spec_values: chunk,
            ..Parsed::default()
        };
        let mut problems = Diagnostics::new();
        // Indices into this chunk of the specs the environment patched.
        let in_chunk: Vec<usize> = patched_specs
            .iter()
            .filter_map(|i| i.checked_sub(offset))
            .collect();
        parse::check_specs(&mut part, &in_chunk, environment, &mut problems);
        (part, problems)
    });
    for (part, problems) in checked {
        parsed.flink_jobs.extend(part.flink_jobs);
        parsed.flink_sessions.extend(part.flink_sessions);
        parsed.rejected.extend(part.rejected);
        parsed.model_pools.extend(part.model_pools);
        parsed.business_services.extend(part.business_services);
        diagnostics.extend(problems);
    }
}

/// What a caller needs of the rendered objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Keep {
    /// The values (JSON output, `kiln diff`).
    #[default]
    Values,
    /// The YAML text only: objects are serialized as they are made and their trees dropped.
    Yaml,
    /// Identities only (`kiln check`, `kiln status`).
    Identities,
}

/// One piece of expansion work.
enum Unit<'a> {
    Job(&'a FlinkPlan),
    Session(&'a FlinkPlan),
    Pool(&'a PoolPlan),
    Service(&'a ServicePlan),
    Manifest(&'a Located<Value>),
    /// The scaler RBAC, over all jobs (one set per namespace).
    Rbac(&'a [FlinkPlan]),
}

/// What every expansion worker shares.
struct Work<'a> {
    settings: &'a Settings,
    sources: &'a [SourceFile],
    patches: &'a [patch::Compiled],
    keep: Keep,
}

impl Work<'_> {
    /// Expand `units`, patch every object and freeze it as `keep` says.
    fn produce(&self, units: &[Unit<'_>]) -> (Vec<Object>, Vec<Diagnostic>, patch::Tally<'_>) {
        let mut objects = Vec::new();
        let mut problems = Vec::new();
        let mut tally = patch::Tally::new(self.patches, Stage::Manifests);
        for unit in units {
            let first = objects.len();
            match unit {
                Unit::Job(plan) => {
                    match crate::kinds::flink_job::expand::expand(plan) {
                        Ok(more) => objects.extend(more),
                        Err(e) => {
                            problems.push(
                                Diagnostic::error(format!("cannot render the SQL wrapper: {e}"))
                                    .at(plan.file, plan.doc, FieldPath::parse("spec.sql")),
                            );
                        }
                    }
                    objects.extend(crate::kinds::flink_job::autoscaling::expand(
                        plan,
                        &self.settings.scaler_image,
                    ));
                }
                Unit::Session(session) => {
                    objects.push(crate::kinds::flink_session::expand::expand(session));
                }
                Unit::Pool(pool) => objects.extend(crate::kinds::model_pool::expand::expand(pool)),
                Unit::Service(service) => {
                    objects.push(crate::kinds::business_service::expand::service(service));
                }
                Unit::Manifest(manifest) => {
                    match pass_through(manifest, self.settings, self.sources) {
                        Ok(object) => objects.push(object),
                        Err(d) => problems.push(d),
                    }
                }
                Unit::Rbac(plans) => {
                    objects.extend(crate::kinds::flink_job::rbac::expand(
                        plans,
                        &self.settings.labels,
                    ));
                }
            }
            // Finish this unit's objects at once, so only one unit's trees are alive.
            for object in &mut objects[first..] {
                if !tally.is_empty()
                    && let Some(value) = object.value_mut()
                {
                    tally.apply(value, None, |v| describe(v, None));
                }
                match self.keep {
                    Keep::Values => {}
                    Keep::Yaml => object.freeze(true),
                    Keep::Identities => object.freeze(false),
                }
            }
        }
        (objects, problems, tally)
    }
}

/// Run `f(offset, chunk)` over contiguous chunks of `items` on rayon's threads (the
/// machine's CPUs, at most four; `threads` sets another count), inline when there is little
/// work; the results come back in chunk order (rayon's indexed `collect`), so output never
/// depends on timing.
///
/// There are several chunks per thread, which rayon's threads take as they get free: the
/// work per item is uneven (a ModelPool makes more objects than a FlinkJob, and they come in
/// runs), and one chunk per thread left a thread idle for a fifth of the expansion stage.
fn parallel<T: Sync, R: Send>(
    threads: Option<usize>,
    items: &[T],
    f: impl Fn(usize, &[T]) -> R + Sync + Send,
) -> Vec<R> {
    const CHUNKS_PER_THREAD: usize = 8;
    let workers = chunk_count(threads, items.len());
    if workers == 1 {
        return vec![f(0, items)];
    }
    let size = items.len().div_ceil(workers * CHUNKS_PER_THREAD).max(1);
    in_pool(threads, || {
        items
            .par_chunks(size)
            .enumerate()
            .map(|(i, chunk)| f(i * size, chunk))
            .collect()
    })
}

/// [`parallel`] for work that takes its items by value: `items` is split into owned chunks,
/// one per thread.
fn parallel_owned<T: Send, R: Send>(
    threads: Option<usize>,
    mut items: Vec<T>,
    f: impl Fn(usize, Vec<T>) -> R + Sync + Send,
) -> Vec<R> {
    let count = chunk_count(threads, items.len());
    if count == 1 {
        return vec![f(0, items)];
    }
    let size = items.len().div_ceil(count);
    let mut chunks = Vec::new();
    while items.len() > size {
        let rest = items.split_off(size);
        chunks.push(std::mem::replace(&mut items, rest));
    }
    chunks.push(items);
    in_pool(threads, || {
        chunks
            .into_par_iter()
            .enumerate()
            .map(|(i, chunk)| f(i * size, chunk))
            .collect()
    })
}

/// Run `op` on kiln's rayon pool (the machine's CPUs, at most four, built once), or on a
/// pool of its own for an explicit thread count (tests prove the count never changes the
/// output).
fn in_pool<R: Send>(threads: Option<usize>, op: impl FnOnce() -> R + Send) -> R {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let build = |count: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .thread_name(|i| format!("kiln-{i}"))
            .build()
            .ok()
    };
    let own;
    let pool = match threads {
        Some(count) => {
            own = build(count);
            own.as_ref()
        }
        None => POOL.get_or_init(|| build(default_threads())).as_ref(),
    };
    // A pool that could not be built (no threads to spare): the work runs here.
    match pool {
        Some(pool) => pool.install(op),
        None => op(),
    }
}

/// The machine's CPUs, at most four (more did not pay: the stages are short).
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(4)
}

/// How many chunks (threads) for `items` items: one below 128 items (a thread costs more
/// than it saves), else up to `threads` (default: [`default_threads`]), at least 64 items
/// each.
fn chunk_count(threads: Option<usize>, items: usize) -> usize {
    const MIN_CHUNK: usize = 64;
    if items < 2 * MIN_CHUNK {
        return 1;
    }
    threads
        .unwrap_or_else(default_threads)
        .min(items / MIN_CHUNK)
        .max(1)
}

/// The environment to render: `-e`, else `defaultEnvironment`; an unknown name is an error.
fn select_environment(
    parsed: &Parsed,
    requested: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Option<(String, crate::config::Environment)> {
    let config = &parsed.config;
    let name = requested.or(config.default_environment.as_deref())?;
    if let Some(environment) = config.environments.get(name) {
        return Some((name.to_string(), environment.clone()));
    }
    let known: Vec<&str> = config.environments.keys().map(String::as_str).collect();
    let known = if known.is_empty() {
        "kiln.yaml defines no environments".to_string()
    } else {
        format!("kiln.yaml defines {}", known.join(", "))
    };
    let mut d = Diagnostic::error(format!(
        "unknown environment \"{}\"; {known}",
        crate::diagnostic::shortened(name, 80)
    ));
    d = d.suggesting(name, config.environments.keys().map(String::as_str));
    d = match (&parsed.config_doc, requested) {
        (Some(doc), None) => d.at(doc.file, doc.doc, FieldPath::parse("defaultEnvironment")),
        _ => d.in_file(crate::load::CONFIG_FILE),
    };
    diagnostics.push(d);
    None
}

/// `FlinkJob clickstream (jobs/clickstream.yaml)` or `FlinkDeployment prod/clickstream`.
fn describe(value: &Value, source: Option<&SourceFile>) -> String {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (
        source,
        value
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str),
    ) {
        (Some(file), _) => format!("{kind} {name} ({})", file.path),
        (None, Some(ns)) => format!("{kind} {ns}/{name}"),
        (None, None) => format!("{kind} {name}"),
    }
}

fn finish(mut outcome: Outcome, mut diagnostics: Diagnostics) -> Outcome {
    source::resolve(&mut diagnostics, &outcome.sources);
    outcome.diagnostics = diagnostics.into_sorted();
    outcome
}

/// CronJob `spec.timeZone` is GA in Kubernetes 1.27; an older cluster would drop it and run
/// the schedules in UTC, so that is an error, not a silent change.
fn check_kube_version(
    plans: &[FlinkPlan],
    version: Option<KubeVersion>,
    diagnostics: &mut Diagnostics,
) {
    let Some(version) = version else { return };
    if (version.major, version.minor) >= (1, 27) {
        return;
    }
    for plan in plans
        .iter()
        .filter(|p| p.time_zone.is_some() && !p.schedules.is_empty())
    {
        diagnostics.push(
            Diagnostic::error(format!(
                "CronJob timeZone needs Kubernetes 1.27 or later; the target cluster is {}.{}",
                version.major, version.minor
            ))
            .with_hint("upgrade the cluster, or remove the time zone and write the schedules in the controller's zone (UTC)")
            .at(plan.file, plan.doc, FieldPath::parse("spec.autoscaling.timeZone")),
        );
    }
}

/// The first Kubernetes release serving each group/version kiln renders (or a manifest
/// uses) that older clusters do not; an object the target cluster cannot serve is an error.
const SERVED_FROM: [(&str, &str, (u32, u32)); 5] = [
    ("autoscaling/v2", "", (1, 23)),
    ("batch/v1", "CronJob", (1, 21)),
    ("policy/v1", "PodDisruptionBudget", (1, 21)),
    ("discovery.k8s.io/v1", "", (1, 21)),
    ("networking.k8s.io/v1", "Ingress", (1, 19)),
];

/// The first object of a kind the cluster cannot serve, how many there are, and the release
/// that serves them.
type FirstAndCount<'a> = (&'a crate::expand::Object, usize, (u32, u32));

fn check_served_apis(
    objects: &[crate::expand::Object],
    version: Option<KubeVersion>,
    diagnostics: &mut Diagnostics,
) {
    let Some(version) = version else { return };
    // One error per kind, at its first object: an old cluster is one problem, not hundreds.
    let mut first: BTreeMap<(&str, &str), FirstAndCount<'_>> = BTreeMap::new();
    for object in objects {
        let Some((api, _, served)) = SERVED_FROM.iter().find(|(api, kind, _)| {
            *api == object.api_version() && (kind.is_empty() || *kind == object.kind())
        }) else {
            continue;
        };
        if (version.major, version.minor) < *served {
            first
                .entry((api, object.kind()))
                .or_insert((object, 0, *served))
                .1 += 1;
        }
    }
    for ((api, kind), (object, count, (major, minor))) in first {
        let others = match count {
            1 => String::new(),
            n => format!(" ({} more like it)", n - 1),
        };
        diagnostics.push(
            Diagnostic::error(format!(
                "{kind} {api} needs Kubernetes {major}.{minor} or later; the target cluster is {}.{}{others}",
                version.major, version.minor
            ))
            .at(object.file, object.doc, FieldPath::root()),
        );
    }
}

/// A plain manifest: passed through with kiln's managed-by label, kiln.yaml's default labels
/// (the manifest's own labels win) and the source annotation.
fn pass_through(
    manifest: &Located<Value>,
    settings: &Settings,
    sources: &[SourceFile],
) -> Result<Object, Diagnostic> {
    let source = sources
        .get(manifest.file)
        .map(|s| s.path.clone())
        .unwrap_or_default();
    let mut value = manifest.value.clone();
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Err(Diagnostic::error("metadata must be a mapping").at(
            manifest.file,
            manifest.doc,
            FieldPath::parse("metadata"),
        ));
    };
    for (field, extra) in [
        ("labels", {
            let mut labels: BTreeMap<String, String> = settings.labels.clone();
            labels.insert(MANAGED_BY.to_string(), "kiln".to_string());
            labels
        }),
        (
            "annotations",
            BTreeMap::from([(SOURCE_ANNOTATION.to_string(), source.clone())]),
        ),
    ] {
        let entry = metadata
            .entry(field)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if entry.is_null() {
            *entry = Value::Object(serde_json::Map::new());
        }
        let Some(map) = entry.as_object_mut() else {
            return Err(
                Diagnostic::error(format!("metadata.{field} must be a mapping")).at(
                    manifest.file,
                    manifest.doc,
                    FieldPath::root().key("metadata").key(field),
                ),
            );
        };
        for (k, v) in extra {
            let own = map.contains_key(&k);
            if !own || k == MANAGED_BY || k == SOURCE_ANNOTATION {
                map.insert(k, Value::String(v));
            }
        }
    }
    Ok(Object::new(value, &source, manifest.file, manifest.doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions() {
        assert_eq!(
            KubeVersion::parse("1.29.3"),
            Ok(KubeVersion {
                major: 1,
                minor: 29
            })
        );
        assert_eq!(
            KubeVersion::parse("v1.26"),
            Ok(KubeVersion {
                major: 1,
                minor: 26
            })
        );
        assert_eq!(
            KubeVersion::parse("1.30.0-eks-1234"),
            Ok(KubeVersion {
                major: 1,
                minor: 30
            })
        );
        assert!(KubeVersion::parse("latest").is_err());
        assert!(KubeVersion::parse("1").is_err());
    }
}
