//! Reading a revision of a kiln root from git into memory, for `kiln diff`.
//!
//! git runs as a subprocess with an argument list (no shell). The revision's tree under the
//! root is listed with `git ls-tree`, and the blobs kiln reads (symlinks' targets, YAML files,
//! files specs reference) are read with `git cat-file`; nothing is written to disk, and the
//! working tree and the index are never touched.
//!
//! A revision is untrusted input (a pull request's commit): its tree may be crafted with
//! `git mktree` to hold a symlink and a folder of the same name, a symlink out of the root, or
//! a blob of any size. The tree is checked whole before anything is read (a path that is both
//! a file and a folder, or named twice, is an error), symlinks are followed inside the tree
//! only ([`Revision::resolve`]), and a blob over the loader's limit is never fetched: the
//! loader's rules ([`Revision::load`]) are the working tree's, with the same messages.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::{self, CONFIG_FILE, Files, ReferenceError, WalkOptions};
use crate::source::SourceFile;

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

/// One blob of a revision's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub mode: String,
    pub object: String,
    /// Path below the kiln root (`inside`), `/`-separated, without `..` or empty parts.
    pub relative: String,
    pub size: u64,
}

impl Entry {
    fn is_symlink(&self) -> bool {
        self.mode == "120000"
    }
}

/// The blobs of `git ls-tree -r -l -z` output below `inside`.
pub fn plan(listing: &str, inside: &str) -> Vec<Entry> {
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
    entries
}

/// Where a path of a revision leads once its symlinks are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// A regular file (the entry holds its blob).
    File(&'a Entry),
    /// A folder (the root is `""`).
    Folder,
    /// Nothing: a missing path, a file used as a folder, or a cycle of links.
    Missing,
    /// Out of the root: an absolute link, or `..` above the root.
    Outside,
}

/// The longest symlink text read (Linux's PATH_MAX); a longer link resolves to nothing.
const MAX_LINK: u64 = 4096;

/// Every folder above a `/`-separated path, outermost first (`a`, `a/b` for `a/b/c`).
fn folders_of(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// How many symlinks one path may pass through (Linux's limit).
const MAX_LINKS: usize = 40;

/// A revision of a kiln root, read from git: its files and folders, and its symlinks' text.
#[derive(Debug, Default)]
pub struct Revision {
    /// The repository's top folder, for reading blobs; None in tests and fuzzing.
    top: Option<PathBuf>,
    files: BTreeMap<String, Entry>,
    folders: BTreeSet<String>,
    links: BTreeMap<String, String>,
    /// One `git cat-file --batch` for the files specs reference, started at the first: a
    /// process per file cost 2–3 ms each (130 SQL files doubled a 1,000-spec diff).
    referenced: std::sync::Mutex<Option<BlobReader>>,
}

/// A running `git cat-file --batch`, asked for one object at a time.
#[derive(Debug)]
struct BlobReader {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
}

impl BlobReader {
    fn start(top: &Path) -> Result<BlobReader, GitError> {
        let mut child = git(top)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| GitError::Failed(e.to_string()))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .map(BufReader::new)
            .ok_or_else(|| GitError::Failed("no stdout".into()))?;
        Ok(BlobReader {
            child,
            stdin,
            stdout,
        })
    }

    fn read(&mut self, object: &str) -> Result<Vec<u8>, GitError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| GitError::Failed("no stdin".into()))?;
        writeln!(stdin, "{object}")
            .and_then(|()| stdin.flush())
            .map_err(|e| GitError::Failed(e.to_string()))?;
        Ok(read_batch(&mut self.stdout, 1)?.pop().unwrap_or_default())
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        // Closing its input ends cat-file.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Read the tree of `inside` at `commit` (its symlinks' text included; other blobs are read
/// when the loader asks for them).
pub fn read_revision(top: &Path, commit: &str, inside: &str) -> Result<Revision, GitError> {
    let mut ls = git(top);
    ls.args(["ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--"]);
    ls.arg(if inside.is_empty() {
        ".".to_string()
    } else {
        inside.to_string()
    });
    let entries = plan(&output(&mut ls)?, inside);
    let link_objects: Vec<&str> = entries
        .iter()
        .filter(|e| e.is_symlink() && e.size <= MAX_LINK)
        .map(|e| e.object.as_str())
        .collect();
    let texts = cat_file(top, &link_objects)?;
    let links = entries
        .iter()
        .filter(|e| e.is_symlink() && e.size <= MAX_LINK)
        .zip(texts)
        .map(|(e, text)| {
            (
                e.relative.clone(),
                String::from_utf8_lossy(&text).into_owned(),
            )
        })
        .collect();
    let mut revision = Revision::from_entries(entries, links)?;
    revision.top = Some(top.to_path_buf());
    Ok(revision)
}

impl Revision {
    /// A revision of these entries and link texts. A path named twice, or a path below one
    /// that is a file (`evil` a symlink and `evil/x.yaml` a file: a crafted tree), is an error.
    pub fn from_entries(
        entries: Vec<Entry>,
        links: BTreeMap<String, String>,
    ) -> Result<Revision, GitError> {
        let mut revision = Revision {
            links,
            ..Revision::default()
        };
        revision.folders.insert(String::new());
        for entry in entries {
            revision
                .folders
                .extend(folders_of(&entry.relative).map(str::to_string));
            if revision.files.contains_key(&entry.relative) {
                return Err(GitError::Failed(format!(
                    "the revision's tree names {} twice (a crafted tree?)",
                    entry.relative
                )));
            }
            revision.files.insert(entry.relative.clone(), entry);
        }
        if let Some(path) = revision
            .files
            .keys()
            .find(|p| revision.folders.contains(*p))
        {
            let below = revision
                .files
                .keys()
                .find(|f| f.starts_with(&format!("{path}/")))
                .map_or_else(|| path.clone(), Clone::clone);
            return Err(GitError::Failed(format!(
                "the revision's tree holds {below} below {path}, which is not a folder (a crafted tree?)"
            )));
        }
        Ok(revision)
    }

    /// Where `path` (below the root, `/`-separated) leads, following symlinks inside the tree
    /// as the file system would: a link's text is relative to its folder, `..` above the root
    /// or an absolute link leaves it.
    pub fn resolve(&self, path: &str) -> Node<'_> {
        let mut pending: Vec<String> = path.rsplit('/').map(str::to_string).collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    if done.pop().is_none() {
                        return Node::Outside;
                    }
                    continue;
                }
                _ => done.push(part),
            }
            let here = done.join("/");
            if let Some(entry) = self.files.get(&here) {
                if entry.is_symlink() {
                    links += 1;
                    let Some(text) = self.links.get(&here).filter(|_| links <= MAX_LINKS) else {
                        return Node::Missing;
                    };
                    if text.starts_with('/') {
                        return Node::Outside;
                    }
                    done.pop();
                    pending.extend(text.rsplit('/').map(str::to_string));
                } else if !pending.iter().all(|p| p.is_empty() || p == ".") {
                    return Node::Missing;
                }
            } else if !self.folders.contains(&here) {
                return Node::Missing;
            }
        }
        let here = done.join("/");
        match self.files.get(&here) {
            Some(entry) => Node::File(entry),
            None if self.folders.contains(&here) => Node::Folder,
            None => Node::Missing,
        }
    }

    /// Whether the app exists in this revision (its kiln.yaml is a file).
    pub fn has_config(&self) -> bool {
        matches!(self.resolve(CONFIG_FILE), Node::File(_))
    }

    /// The revision's kiln.yaml, as [`load::read_config`] reads a working tree's.
    pub fn read_config(&self) -> Result<SourceFile, Diagnostic> {
        match self.resolve(CONFIG_FILE) {
            Node::File(entry) => self.read(entry, CONFIG_FILE, load::MAX_FILE_SIZE),
            Node::Outside => Err(Diagnostic::error(
                "symlink points outside the kiln root; refusing to follow it",
            )
            .in_file(CONFIG_FILE)),
            Node::Folder | Node::Missing => {
                Err(Diagnostic::error("cannot read: no such file").in_file(CONFIG_FILE))
            }
        }
    }

    /// The YAML files of the revision as [`load::read_tree`] reads a working tree: the same
    /// skips (hidden, excluded, output folder, other apps), symlink rules, limits and
    /// messages, in the same order.
    pub fn read_tree(&self, options: &WalkOptions) -> (Vec<SourceFile>, Diagnostics) {
        let (wanted, mut diagnostics) = self.walk(options);
        let mut files = Vec::new();
        let mut intake = load::Intake::new(options);
        let small: Vec<(&str, &Entry)> = wanted
            .iter()
            .filter(|(rel, entry)| {
                let fits = entry.size <= intake.max_file();
                if !fits {
                    diagnostics.push(load::too_large(rel, entry.size, intake.max_file()));
                }
                fits
            })
            .map(|(rel, entry)| (rel.as_str(), *entry))
            .collect();
        let objects: Vec<&str> = small.iter().map(|(_, e)| e.object.as_str()).collect();
        let blobs = match self.blobs(&objects) {
            Ok(blobs) => blobs,
            Err(e) => {
                diagnostics.push(Diagnostic::error(format!("cannot read the revision: {e}")));
                return (files, diagnostics);
            }
        };
        for ((rel, _), bytes) in small.into_iter().zip(blobs) {
            if !intake.take(load::decode(bytes, rel), &mut files, &mut diagnostics) {
                break;
            }
        }
        (files, diagnostics)
    }

    /// The files [`Revision::read_tree`] reads, as `(path, the entry holding the text)`.
    fn walk(&self, options: &WalkOptions) -> (Vec<(String, &Entry)>, Diagnostics) {
        let mut diagnostics = Diagnostics::new();
        let skips = match load::Skips::new(options) {
            Ok(skips) => skips,
            Err(d) => {
                diagnostics.push(d);
                return (Vec::new(), diagnostics);
            }
        };
        let mut paths: Vec<&String> = self.files.keys().collect();
        // The working tree's order: each folder's entries by name, depth first.
        paths.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        let mut skipped_folders: BTreeMap<String, bool> = BTreeMap::new();
        let mut wanted = Vec::new();
        for rel in paths {
            // A folder the working tree's walk would not enter: hidden, excluded, the output
            // folder, or another app's (it has a kiln.yaml).
            let skipped = folders_of(rel).any(|folder| {
                *skipped_folders
                    .entry(folder.to_string())
                    .or_insert_with(|| {
                        skips.skips(folder)
                            || skips.is_output(folder)
                            || matches!(
                                self.resolve(&format!("{folder}/{CONFIG_FILE}")),
                                Node::File(_)
                            )
                    })
            });
            if skipped || skips.skips(rel) {
                continue;
            }
            let entry = &self.files[rel];
            let target = if entry.is_symlink() {
                match self.resolve(rel) {
                    Node::File(target) => target,
                    Node::Folder => continue,
                    Node::Outside => {
                        if load::is_yaml(rel) {
                            diagnostics.push(
                                Diagnostic::error(
                                    "symlink points outside the kiln root; refusing to follow it",
                                )
                                .in_file(rel.clone()),
                            );
                        }
                        continue;
                    }
                    Node::Missing => {
                        if load::is_yaml(rel) {
                            diagnostics
                                .push(Diagnostic::error("broken symlink").in_file(rel.clone()));
                        }
                        continue;
                    }
                }
            } else {
                entry
            };
            if !load::is_yaml(rel) || rel == CONFIG_FILE {
                continue;
            }
            wanted.push((rel.clone(), target));
        }
        (wanted, diagnostics)
    }

    /// One blob's text, bounded and decoded as the loader reads a file.
    fn read(&self, entry: &Entry, rel: &str, max_size: u64) -> Result<SourceFile, Diagnostic> {
        if entry.size > max_size {
            return Err(load::too_large(rel, entry.size, max_size));
        }
        let bytes = self
            .blob(&entry.object)
            .map_err(|e| Diagnostic::error(format!("cannot read: {e}")).in_file(rel))?;
        load::decode(bytes, rel)
    }

    /// One blob, through the revision's one `git cat-file --batch` (empty without a
    /// repository).
    fn blob(&self, object: &str) -> Result<Vec<u8>, GitError> {
        let Some(top) = &self.top else {
            return Ok(Vec::new());
        };
        let mut reader = self
            .referenced
            .lock()
            .map_err(|_| GitError::Failed("a blob reader failed".into()))?;
        if reader.is_none() {
            *reader = Some(BlobReader::start(top)?);
        }
        match reader.as_mut().map(|r| r.read(object)) {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(e)) => {
                // Its stream is out of step now: the next read starts another.
                *reader = None;
                Err(e)
            }
            None => Err(GitError::Failed("no blob reader".into())),
        }
    }

    /// The blobs' bytes, in order (none without a repository).
    fn blobs(&self, objects: &[&str]) -> Result<Vec<Vec<u8>>, GitError> {
        match &self.top {
            Some(top) => cat_file(top, objects),
            None => Ok(objects.iter().map(|_| Vec::new()).collect()),
        }
    }
}

impl Files for Revision {
    fn read_referenced(
        &self,
        from: &str,
        reference: &str,
    ) -> Result<(String, String), ReferenceError> {
        let rel = load::join_reference(from, reference)?;
        let entry = match self.resolve(&rel) {
            Node::File(entry) => entry,
            Node::Outside => return Err(ReferenceError::SymlinkEscapes(reference.to_string())),
            Node::Missing => return Err(ReferenceError::Missing(reference.to_string())),
            Node::Folder => return Err(ReferenceError::NotAFile(reference.to_string())),
        };
        let file = self.read(entry, &rel, load::MAX_FILE_SIZE).map_err(|d| {
            ReferenceError::Unreadable {
                path: reference.to_string(),
                message: match (d.line, d.column) {
                    (Some(line), Some(column)) => {
                        format!("{} at line {line}, column {column}", d.message)
                    }
                    _ => d.message,
                },
            }
        })?;
        Ok((rel, file.text))
    }
}

/// The objects' contents, in order, from one `git cat-file --batch`.
fn cat_file(top: &Path, objects: &[&str]) -> Result<Vec<Vec<u8>>, GitError> {
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut batch = BlobReader::start(top)?;
    let mut stdin = batch
        .stdin
        .take()
        .ok_or_else(|| GitError::Failed("no stdin".into()))?;
    // Asked all at once from another thread, so neither side waits on a full pipe.
    let names: Vec<String> = objects.iter().map(|o| (*o).to_string()).collect();
    let writer = std::thread::spawn(move || {
        let mut stdin = std::io::BufWriter::new(&mut stdin);
        for object in names {
            if writeln!(stdin, "{object}").is_err() {
                break;
            }
        }
    });
    let blobs = read_batch(&mut batch.stdout, objects.len());
    let _ = writer.join();
    blobs
}

/// `count` objects of `git cat-file --batch` output: a header `<object> <type> <size>`, the
/// bytes, a newline.
pub fn read_batch(reader: &mut impl BufRead, count: usize) -> Result<Vec<Vec<u8>>, GitError> {
    let failed = |e: std::io::Error| GitError::Failed(e.to_string());
    let mut blobs = Vec::with_capacity(count);
    for _ in 0..count {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(failed)?;
        let size: u64 = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .filter(|size| *size <= load::MAX_FILE_SIZE)
            .ok_or_else(|| {
                GitError::Failed(format!("unexpected cat-file output: {}", header.trim()))
            })?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader.take(size).read_to_end(&mut bytes).map_err(failed)?;
        if bytes.len() as u64 != size {
            return Err(GitError::Failed("cat-file ended early".into()));
        }
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline).map_err(failed)?;
        blobs.push(bytes);
    }
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(relative: &str, mode: &str) -> Entry {
        Entry {
            mode: mode.to_string(),
            object: format!("o-{relative}"),
            relative: relative.to_string(),
            size: 10,
        }
    }

    fn revision(files: &[&str], links: &[(&str, &str)]) -> Revision {
        let mut entries: Vec<Entry> = files.iter().map(|f| entry(f, "100644")).collect();
        entries.extend(links.iter().map(|(l, _)| entry(l, "120000")));
        let links = links
            .iter()
            .map(|(l, t)| ((*l).to_string(), (*t).to_string()))
            .collect();
        Revision::from_entries(entries, links).expect("a valid tree")
    }

    fn leads(r: &Revision, path: &str) -> String {
        match r.resolve(path) {
            Node::File(e) => format!("file {}", e.relative),
            Node::Folder => "folder".into(),
            Node::Missing => "missing".into(),
            Node::Outside => "outside".into(),
        }
    }

    #[test]
    fn symlinks_resolve_inside_the_tree() {
        let r = revision(
            &["kiln.yaml", "shared/q.sql", "jobs/a.yaml"],
            &[
                ("jobs/sql", "../shared"),
                ("jobs/q.sql", "sql/q.sql"),
                ("up", "../x.yaml"),
                ("abs", "/etc/passwd"),
                ("loop", "loop"),
                ("dangling", "nothing.yaml"),
                ("through", "jobs/a.yaml/x"),
            ],
        );
        for (path, expected) in [
            ("jobs/a.yaml", "file jobs/a.yaml"),
            ("jobs/sql/q.sql", "file shared/q.sql"),
            ("jobs/q.sql", "file shared/q.sql"),
            ("jobs/sql", "folder"),
            ("", "folder"),
            ("up", "outside"),
            ("abs", "outside"),
            ("loop", "missing"),
            ("dangling", "missing"),
            ("through", "missing"),
            ("../kiln.yaml", "outside"),
            ("jobs/../kiln.yaml", "file kiln.yaml"),
        ] {
            assert_eq!(leads(&r, path), expected, "{path}");
        }
    }

    #[test]
    fn crafted_trees_are_refused() {
        let both = Revision::from_entries(
            vec![entry("evil", "120000"), entry("evil/pwned.yaml", "100644")],
            BTreeMap::new(),
        );
        let message = both.expect_err("a file and a folder").to_string();
        assert!(
            message.contains("evil/pwned.yaml") && message.contains("not a folder"),
            "{message}"
        );
        let twice = Revision::from_entries(
            vec![entry("a.yaml", "100644"), entry("a.yaml", "100644")],
            BTreeMap::new(),
        );
        assert!(twice.is_err());
    }

    #[test]
    fn the_walk_follows_the_loaders_rules() {
        let r = revision(
            &[
                "kiln.yaml",
                "a.yaml",
                "a/b.yaml",
                ".hidden/x.yaml",
                "docs/x.yaml",
                "rendered/x.yaml",
                "other/kiln.yaml",
                "other/x.yaml",
                "notes.txt",
            ],
            &[
                ("linked.yaml", "a.yaml"),
                ("out.yaml", "../x.yaml"),
                ("gone.yaml", "none.yaml"),
                ("dir", "a"),
            ],
        );
        let options = WalkOptions {
            exclude: vec!["docs/**".into()],
            skip: vec!["rendered".into()],
            ..WalkOptions::default()
        };
        let (wanted, diagnostics) = r.walk(&options);
        let read: Vec<(&str, &str)> = wanted
            .iter()
            .map(|(rel, e)| (rel.as_str(), e.relative.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                ("a/b.yaml", "a/b.yaml"),
                ("a.yaml", "a.yaml"),
                ("linked.yaml", "a.yaml")
            ]
        );
        let said: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.file.as_deref().unwrap_or(""), d.message))
            .collect();
        assert_eq!(
            said,
            [
                "gone.yaml: broken symlink",
                "out.yaml: symlink points outside the kiln root; refusing to follow it",
            ]
        );
    }

    #[test]
    fn batches_are_read_exactly() {
        let stream = b"o1 blob 3\nabc\no2 blob 0\n\n";
        let blobs = read_batch(&mut &stream[..], 2).unwrap();
        assert_eq!(blobs, [b"abc".to_vec(), Vec::new()]);
        assert!(read_batch(&mut &b"o1 missing\n"[..], 1).is_err());
        assert!(read_batch(&mut &b"o1 blob 9\nabc\n"[..], 1).is_err());
    }
}
