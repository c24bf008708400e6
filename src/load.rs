//! Loading a kiln root from disk: the only stage that walks folders and reads files.
//!
//! - The root is the folder holding `kiln.yaml`.
//! - Every `*.yaml` / `*.yml` below it is read in sorted order, skipping hidden files and
//!   folders, the output folder, `exclude:` globs, and folders with their own `kiln.yaml`
//!   (another app).
//! - Symlinks that leave the root are errors; a symlinked folder inside the root is not
//!   descended (its real path is walked anyway); a symlinked file inside the root is read.
//! - File size and total input size are bounded.

use std::fs;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::SourceFile;

pub const CONFIG_FILE: &str = "kiln.yaml";
/// Largest file kiln reads (default 4 MiB).
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;
/// Largest total input kiln reads (default 64 MiB).
pub const MAX_TOTAL_SIZE: u64 = 64 * 1024 * 1024;

/// A problem with the command line or the environment (exit 2), not with the inputs.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{0}: no such folder")]
    NoSuchFolder(String),
    #[error(
        "{0}: not a kiln root (no kiln.yaml); pass the folder that holds kiln.yaml, or create one (see README: kiln.yaml)"
    )]
    NotARoot(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What to skip while walking, known once kiln.yaml is read.
#[derive(Debug, Default, Clone)]
pub struct WalkOptions {
    /// Globs relative to the root (`docs/**`).
    pub exclude: Vec<String>,
    /// Folders to skip, relative to the root (the rendered-output folder).
    pub skip: Vec<String>,
    pub max_file_size: Option<u64>,
    pub max_total_size: Option<u64>,
}

/// Canonical root folder for a command-line path.
pub fn find_root(path: &Path) -> Result<PathBuf, UsageError> {
    let shown = path.display().to_string();
    let root = fs::canonicalize(path).map_err(|_| UsageError::NoSuchFolder(shown.clone()))?;
    if !root.is_dir() {
        return Err(UsageError::NoSuchFolder(shown));
    }
    if !root.join(CONFIG_FILE).is_file() {
        return Err(UsageError::NotARoot(shown));
    }
    Ok(root)
}

/// Read kiln.yaml itself (a symlink only when it stays inside the root).
pub fn read_config(root: &Path) -> Result<SourceFile, Diagnostic> {
    let path = root.join(CONFIG_FILE);
    let target = fs::canonicalize(&path)
        .map_err(|e| Diagnostic::error(format!("cannot read: {e}")).in_file(CONFIG_FILE))?;
    if !target.starts_with(root) {
        return Err(Diagnostic::error(
            "symlink points outside the kiln root; refusing to follow it",
        )
        .in_file(CONFIG_FILE));
    }
    read_file(&target, CONFIG_FILE, MAX_FILE_SIZE)
}

/// Read every YAML file below the root except kiln.yaml.
pub fn read_tree(root: &Path, options: &WalkOptions) -> (Vec<SourceFile>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let mut files = Vec::new();
    let skips = match Skips::new(options) {
        Ok(skips) => skips,
        Err(d) => {
            diagnostics.push(d);
            return (files, diagnostics);
        }
    };
    let mut intake = Intake::new(options);
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let rel = relative(root, entry.path());
            if skips.skips(&rel) {
                return false;
            }
            if entry.file_type().is_dir() {
                let is_other_app = entry.path().join(CONFIG_FILE).is_file();
                return !skips.is_output(&rel) && !is_other_app;
            }
            true
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let shown = e.path().map_or_else(String::new, |p| relative(root, p));
                diagnostics.push(Diagnostic::error(format!("cannot read: {e}")).in_file(shown));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let rel = relative(root, entry.path());
        let mut path = entry.path().to_path_buf();
        if entry.path_is_symlink() {
            match fs::canonicalize(entry.path()) {
                Ok(target) if target.starts_with(root) => {
                    if target.is_dir() {
                        continue;
                    }
                    path = target;
                }
                Ok(target) => {
                    // Only what kiln would read matters: folders and YAML files.
                    if target.is_dir() || is_yaml(&rel) {
                        diagnostics.push(
                            Diagnostic::error(
                                "symlink points outside the kiln root; refusing to follow it",
                            )
                            .in_file(rel),
                        );
                    }
                    continue;
                }
                Err(_) => {
                    if is_yaml(&rel) {
                        diagnostics.push(Diagnostic::error("broken symlink").in_file(rel));
                    }
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        if !is_yaml(&rel) || rel == CONFIG_FILE {
            continue;
        }
        if !intake.take(
            read_file(&path, &rel, intake.max_file()),
            &mut files,
            &mut diagnostics,
        ) {
            break;
        }
    }
    (files, diagnostics)
}

/// What the walk skips, the same in a working tree and in a git revision.
pub struct Skips {
    excluded: GlobSet,
    output: Vec<String>,
}

impl Skips {
    pub fn new(options: &WalkOptions) -> Result<Skips, Diagnostic> {
        Ok(Skips {
            excluded: build_globs(&options.exclude)?,
            output: options
                .skip
                .iter()
                .map(|s| s.trim_end_matches('/').to_string())
                .collect(),
        })
    }

    /// A hidden or excluded entry (file or folder, root-relative): neither read nor entered.
    pub fn skips(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        name.starts_with('.') || self.excluded.is_match(rel)
    }

    /// The output folder, never read.
    pub fn is_output(&self, rel: &str) -> bool {
        self.output.iter().any(|s| s == rel)
    }
}

/// The files a walk has taken in, against the per-file and total limits.
pub struct Intake {
    max_file: u64,
    max_total: u64,
    total: u64,
}

impl Intake {
    pub fn new(options: &WalkOptions) -> Intake {
        Intake {
            max_file: options.max_file_size.unwrap_or(MAX_FILE_SIZE),
            max_total: options.max_total_size.unwrap_or(MAX_TOTAL_SIZE),
            total: 0,
        }
    }

    pub fn max_file(&self) -> u64 {
        self.max_file
    }

    /// Take a file read (or its error) in; false once the total passes the limit: the walk
    /// stops there.
    pub fn take(
        &mut self,
        read: Result<SourceFile, Diagnostic>,
        files: &mut Vec<SourceFile>,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        match read {
            Ok(file) => {
                if !self.admit(&file, diagnostics) {
                    return false;
                }
                files.push(file);
            }
            Err(d) => diagnostics.push(d),
        }
        true
    }

    /// Count `file` in; false (with the error) once the total passes the limit.
    fn admit(&mut self, file: &SourceFile, diagnostics: &mut Diagnostics) -> bool {
        self.total += file.text.len() as u64;
        if self.total > self.max_total {
            diagnostics.push(
                Diagnostic::error(format!(
                    "total input exceeds {} (the limit for one kiln root)",
                    human_size(self.max_total)
                ))
                .in_file(file.path.clone()),
            );
            return false;
        }
        true
    }
}

/// The valid `exclude` globs (an invalid one is reported, with its line, by
/// `parse::parse_config`, so the run fails anyway).
fn build_globs(patterns: &[String]) -> Result<GlobSet, Diagnostic> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = Glob::new(pattern.trim_end_matches('/')) {
            builder.add(glob);
        }
    }
    builder
        .build()
        .map_err(|e| Diagnostic::error(format!("invalid exclude globs: {e}")).in_file(CONFIG_FILE))
}

fn read_file(path: &Path, rel: &str, max_size: u64) -> Result<SourceFile, Diagnostic> {
    let text = read_bounded(path, max_size).map_err(|e| read_error(&e, rel))?;
    Ok(SourceFile {
        path: rel.to_string(),
        text,
    })
}

/// Read a regular file of at most `max_size` bytes as UTF-8. The checks are made on the
/// opened file, and the read itself is bounded, so a file that grows meanwhile, a FIFO or a
/// device (through a symlink) can neither hang kiln nor make it read without limit.
fn read_bounded(path: &Path, max_size: u64) -> Result<String, ReadError> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    // Non-blocking, so opening a FIFO does not wait for a writer; it is refused below.
    #[allow(clippy::cast_possible_wrap)]
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking)
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let metadata = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string().into());
    }
    let too_large = |size: u64| too_large_message(size, max_size);
    if metadata.len() > max_size {
        return Err(too_large(metadata.len()).into());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64).into());
    }
    utf8(bytes)
}

/// A file's bytes as text; an error with the position of the first invalid byte.
fn utf8(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid up to here, so this part is text.
        let before = String::from_utf8_lossy(valid);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ReadError {
            message: format!("file is not valid UTF-8 (byte {} is not)", valid.len() + 1),
            position: Some((line, column)),
        }
    })
}

fn too_large_message(size: u64, max_size: u64) -> String {
    format!(
        "file is larger than the limit of {} ({size} bytes)",
        human_size(max_size)
    )
}

/// The error for a file of `size` bytes over the limit.
pub fn too_large(rel: &str, size: u64, max_size: u64) -> Diagnostic {
    Diagnostic::error(too_large_message(size, max_size)).in_file(rel)
}

/// A file's bytes (read from elsewhere, a git blob) as a source file, with the messages of
/// a file read from disk.
pub fn decode(bytes: Vec<u8>, rel: &str) -> Result<SourceFile, Diagnostic> {
    let text = utf8(bytes).map_err(|e| read_error(&e, rel))?;
    Ok(SourceFile {
        path: rel.to_string(),
        text,
    })
}

fn read_error(e: &ReadError, rel: &str) -> Diagnostic {
    let diagnostic = Diagnostic::error(e.message.clone()).in_file(rel);
    match e.position {
        Some((line, column)) => diagnostic.with_position(line, column),
        None => diagnostic,
    }
}

/// Why a file could not be read, and where in it when that is known.
struct ReadError {
    message: String,
    position: Option<(usize, usize)>,
}

impl From<String> for ReadError {
    fn from(message: String) -> Self {
        ReadError {
            message,
            position: None,
        }
    }
}

pub fn is_yaml(rel: &str) -> bool {
    Path::new(rel)
        .extension()
        .is_some_and(|e| e == "yaml" || e == "yml")
}

/// `/`-separated path of `path` relative to `root`.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a file referenced from a spec (e.g. `sql.file`) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("absolute paths are not allowed; use a path relative to the spec file")]
    Absolute,
    #[error("\"{0}\" leaves the kiln root")]
    Escapes(String),
    #[error("\"{0}\" resolves outside the kiln root (through a symlink)")]
    SymlinkEscapes(String),
    #[error("\"{0}\" does not exist")]
    Missing(String),
    #[error("\"{0}\" is not a regular file")]
    NotAFile(String),
    #[error(
        "\"{0}\" is or lies in a hidden file or folder, which kiln never reads (it could carry .git/config or .env into the output)"
    )]
    Hidden(String),
    #[error("\"{path}\" cannot be read: {message}")]
    Unreadable { path: String, message: String },
}

/// Access to files that specs reference. The disk implementation enforces the root
/// boundary; tests use an in-memory map.
/// `Sync`: specs are validated on several threads.
pub trait Files: Sync {
    /// Read `reference`, relative to the folder of the spec file `from` (root-relative).
    /// Returns the root-relative path and the text.
    fn read_referenced(
        &self,
        from: &str,
        reference: &str,
    ) -> Result<(String, String), ReferenceError>;
}

/// Join `reference` to the folder of `from` without touching the disk; refuses absolute
/// paths and `..` that climbs above the root.
pub fn join_reference(from: &str, reference: &str) -> Result<String, ReferenceError> {
    let reference_path = Path::new(reference);
    if reference_path.is_absolute() || reference.starts_with('/') || reference.starts_with('\\') {
        return Err(ReferenceError::Absolute);
    }
    let mut parts: Vec<String> = from.split('/').map(str::to_string).collect();
    parts.pop();
    for component in reference_path.components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(ReferenceError::Escapes(reference.to_string()));
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(ReferenceError::Absolute),
        }
    }
    if parts.is_empty() {
        return Err(ReferenceError::NotAFile(reference.to_string()));
    }
    // Hidden files and folders (`.git/config`, `.env`) are never input: kiln does not read
    // them as specs, and a reference must not carry them into the output.
    if parts.iter().any(|p| p.starts_with('.')) {
        return Err(ReferenceError::Hidden(reference.to_string()));
    }
    Ok(parts.join("/"))
}

/// Referenced files on disk, confined to the root.
pub struct DiskFiles {
    root: PathBuf,
}

impl DiskFiles {
    pub fn new(root: PathBuf) -> Self {
        DiskFiles { root }
    }
}

impl Files for DiskFiles {
    fn read_referenced(
        &self,
        from: &str,
        reference: &str,
    ) -> Result<(String, String), ReferenceError> {
        let rel = join_reference(from, reference)?;
        let path = self.root.join(&rel);
        // A dangling symlink is missing too: canonicalize fails for both.
        let Ok(resolved) = fs::canonicalize(&path) else {
            return Err(ReferenceError::Missing(reference.to_string()));
        };
        if !resolved.starts_with(&self.root) {
            return Err(ReferenceError::SymlinkEscapes(reference.to_string()));
        }
        if !resolved.is_file() {
            return Err(ReferenceError::NotAFile(reference.to_string()));
        }
        let text =
            read_bounded(&resolved, MAX_FILE_SIZE).map_err(|e| ReferenceError::Unreadable {
                path: reference.to_string(),
                message: match e.position {
                    Some((line, column)) => {
                        format!("{} at line {line}, column {column}", e.message)
                    }
                    None => e.message,
                },
            })?;
        Ok((rel, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(from: &str, reference: &str, expected: Result<&str, ReferenceError>) {
        assert_eq!(
            join_reference(from, reference),
            expected.map(str::to_string)
        );
    }

    #[test]
    fn joining_references() {
        case("jobs/a.yaml", "sql/x.sql", Ok("jobs/sql/x.sql"));
        case("jobs/a.yaml", "./x.sql", Ok("jobs/x.sql"));
        case("jobs/a.yaml", "../shared/x.sql", Ok("shared/x.sql"));
        case("a.yaml", "x.sql", Ok("x.sql"));
        case(
            "jobs/a.yaml",
            "../../x.sql",
            Err(ReferenceError::Escapes("../../x.sql".into())),
        );
        case("jobs/a.yaml", "/etc/passwd", Err(ReferenceError::Absolute));
        case(
            "a.yaml",
            ".git/config",
            Err(ReferenceError::Hidden(".git/config".into())),
        );
        case(
            "jobs/a.yaml",
            "../.env",
            Err(ReferenceError::Hidden("../.env".into())),
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(4 * 1024 * 1024), "4 MiB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
