//! Reading a revision of a kiln root from git, for `kiln diff`.
//!
//! git runs as a subprocess with an argument list (no shell). The revision's files under the
//! root are listed with `git ls-tree` and read with one `git cat-file --batch` into a fresh
//! temporary folder; the working tree and the index are never touched.
//!
//! A revision is untrusted input (a pull request's commit): its tree may be crafted with
//! `git mktree` to hold a symlink and a folder of the same name, or a blob of any size. So the
//! checkout never follows a link it wrote (every folder is created one component at a time and
//! must be a real folder, every file is created new), and a blob larger than the loader would
//! read is written as a sparse file of its size, never as data: the loader then refuses it as
//! it refuses the same file in a working tree.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}: not inside a git repository")]
    NotARepository(String),
    #[error("unknown revision \"{0}\"")]
    UnknownRevision(String),
    #[error("git failed: {0}")]
    Failed(String),
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir);
    // No pager, no prompts, no user or system configuration that could run anything.
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PAGER", "cat");
    command
}

fn output(command: &mut Command) -> Result<String, GitError> {
    let out = command
        .output()
        .map_err(|e| GitError::Failed(e.to_string()))?;
    if !out.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The repository's top folder and the kiln root's path inside it (`""` at the top).
pub fn locate(root: &Path) -> Result<(PathBuf, String), GitError> {
    let top = output(git(root).args(["rev-parse", "--show-toplevel"]))
        .map_err(|_| GitError::NotARepository(root.display().to_string()))?;
    let top = std::fs::canonicalize(top.trim()).map_err(|e| GitError::Failed(e.to_string()))?;
    let inside = root.strip_prefix(&top).map_err(|_| {
        GitError::Failed(format!(
            "{} is not below the repository's top folder {}",
            root.display(),
            top.display()
        ))
    })?;
    Ok((top, crate::load::relative(Path::new(""), inside)))
}

/// The commit a revision names.
pub fn resolve(top: &Path, revision: &str) -> Result<String, GitError> {
    if revision.starts_with('-') {
        return Err(GitError::UnknownRevision(revision.to_string()));
    }
    output(
        git(top)
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{revision}^{{commit}}")),
    )
    .map(|s| s.trim().to_string())
    .map_err(|_| GitError::UnknownRevision(revision.to_string()))
}

/// Write the files of `inside` at `commit` into `into` (which must exist and be empty).
/// Regular files and symlinks are written; submodules are skipped.
pub fn checkout(top: &Path, commit: &str, inside: &str, into: &Path) -> Result<(), GitError> {
    let mut ls = git(top);
    ls.args(["ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--"]);
    ls.arg(if inside.is_empty() {
        ".".to_string()
    } else {
        inside.to_string()
    });
    let listing = output(&mut ls)?;
    let (large, entries) = plan(&listing, inside);
    write_placeholders(into, &large)?;
    let mut batch = git(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| GitError::Failed(e.to_string()))?;
    let mut stdin = batch
        .stdin
        .take()
        .ok_or_else(|| GitError::Failed("no stdin".into()))?;
    let objects: Vec<String> = entries.iter().map(|e| e.object.clone()).collect();
    let writer = std::thread::spawn(move || {
        for object in objects {
            if writeln!(stdin, "{object}").is_err() {
                break;
            }
        }
    });
    let mut reader = BufReader::new(
        batch
            .stdout
            .take()
            .ok_or_else(|| GitError::Failed("no stdout".into()))?,
    );
    write_entries(into, &entries, &mut reader)?;
    let _ = writer.join();
    let _ = batch.wait();
    Ok(())
}

/// One blob of a revision's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub mode: String,
    pub object: String,
    /// Path below the kiln root (`inside`), `/`-separated, without `..` or empty parts.
    pub relative: String,
    pub size: u64,
}

/// The blobs of `git ls-tree -r -l -z` output below `inside`, split into those over the
/// loader's file limit (never fetched: they become placeholders of their size) and the rest.
pub fn plan(listing: &str, inside: &str) -> (Vec<Entry>, Vec<Entry>) {
    let mut entries = Vec::new();
    for record in listing.split('\0').filter(|r| !r.is_empty()) {
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        // `<mode> <kind> <object> <size, right-aligned>`
        let mut parts = meta.split(' ').filter(|p| !p.is_empty());
        let (mode, kind, object, size) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0),
        );
        if kind != "blob" {
            continue;
        }
        let relative = if inside.is_empty() {
            path.to_string()
        } else {
            match path.strip_prefix(inside).and_then(|p| p.strip_prefix('/')) {
                Some(p) => p.to_string(),
                None => continue,
            }
        };
        if relative
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
        {
            continue;
        }
        entries.push(Entry {
            mode: mode.to_string(),
            object: object.to_string(),
            relative,
            size,
        });
    }
    // Blobs the loader would refuse unread are not fetched at all.
    entries
        .into_iter()
        .partition(|e| e.size > crate::load::MAX_FILE_SIZE && e.mode != "120000")
}

/// Empty sparse files of the sizes of blobs over the limit, which the loader refuses as it
/// refuses such a file in a working tree.
fn write_placeholders(into: &Path, large: &[Entry]) -> Result<(), GitError> {
    for entry in large {
        let target = private_path(into, &entry.relative)?;
        let file = create_new(&target, &entry.relative)?;
        file.set_len(entry.size)
            .map_err(|e| GitError::Failed(format!("{}: {e}", entry.relative)))?;
    }
    Ok(())
}

/// Write each entry from `git cat-file --batch` output, in order: files created new and
/// streamed (never held whole), symlinks as links; every folder on the way a real folder
/// inside `into`.
pub fn write_entries(
    into: &Path,
    entries: &[Entry],
    reader: &mut impl BufRead,
) -> Result<(), GitError> {
    for entry in entries {
        let relative = &entry.relative;
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| GitError::Failed(e.to_string()))?;
        let size: u64 = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| GitError::Failed(format!("unexpected cat-file output: {header}")))?;
        let failed = |e: std::io::Error| GitError::Failed(e.to_string());
        let target = private_path(into, relative)?;
        let mut blob = reader.take(size);
        if entry.mode == "120000" {
            let mut link = String::new();
            blob.read_to_string(&mut link).map_err(failed)?;
            symlink(&link, &target).map_err(failed)?;
        } else {
            let mut file = create_new(&target, relative)?;
            let copied = std::io::copy(&mut blob, &mut file).map_err(failed)?;
            if copied != size {
                return Err(GitError::Failed(format!(
                    "cat-file ended early in {relative}"
                )));
            }
        }
        // The newline after each object.
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline).map_err(failed)?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(link: &str, target: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(link, target)
}

#[cfg(not(unix))]
fn symlink(_link: &str, target: &Path) -> std::io::Result<()> {
    // No symlinks: an empty file stands for the link (the loader refuses it as YAML).
    std::fs::File::create(target).map(drop)
}

/// `into/relative`, with every folder on the way created inside `into` as a real folder: a
/// component that already exists as a link or a file (a crafted tree can hold `evil` as a
/// symlink and `evil/x.yaml`) is an error, never followed.
fn private_path(into: &Path, relative: &str) -> Result<PathBuf, GitError> {
    let mut path = into.to_path_buf();
    let components: Vec<&str> = relative.split('/').collect();
    let (file, folders) = components
        .split_last()
        .ok_or_else(|| GitError::Failed("an empty path in the revision's tree".into()))?;
    for folder in folders {
        path.push(folder);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => {}
            Ok(_) => {
                return Err(GitError::Failed(format!(
                    "the revision's tree holds {relative} below {}, which is not a folder (a crafted tree?)",
                    folders.join("/")
                )));
            }
            Err(_) => std::fs::create_dir(&path)
                .map_err(|e| GitError::Failed(format!("{relative}: {e}")))?,
        }
    }
    path.push(file);
    Ok(path)
}

/// A new file: never an existing one, never through a link.
fn create_new(path: &Path, relative: &str) -> Result<std::fs::File, GitError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            GitError::Failed(format!(
                "{relative}: {e} (does the revision's tree name it twice?)"
            ))
        })
}
