//! `kiln init [PATH]`: a working kiln root a team can start from — kiln.yaml with two
//! environments, a FlinkJob, a ModelPool with a BusinessService, an Argo CD Application and
//! a `.pre-commit-config.yaml` pinned to this kiln — that renders and passes
//! `kiln check --strict` as created. Each file says in a comment what to change first.
//!
//! It never overwrites: every file is checked before any is written, each is created new,
//! and a failure removes what this run wrote (files, then the folders it made).

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Where the pre-commit hooks come from: the address README's examples use. The file says to
/// change it first (to where an organisation mirrors kiln).
pub const REPOSITORY: &str = "https://git.example.com/platform/kiln";

/// The files below the kiln root, as committed under `src/init/`.
const ROOT_FILES: [(&str, &str); 5] = [
    ("kiln.yaml", include_str!("init/kiln.yaml")),
    (
        "jobs/clickstream.yaml",
        include_str!("init/jobs/clickstream.yaml"),
    ),
    ("pools/qwen.yaml", include_str!("init/pools/qwen.yaml")),
    (
        "services/production.yaml",
        include_str!("init/services/production.yaml"),
    ),
    (
        "argocd/application.yaml",
        include_str!("init/argocd/application.yaml"),
    ),
];

const PRE_COMMIT: &str = include_str!("init/pre-commit-config.yaml");

/// One file to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: PathBuf,
    pub text: String,
}

/// The files of a new kiln root at `root`; the pre-commit configuration goes to `top` (the
/// git repository's top folder, where pre-commit reads it, or the root itself), its hooks
/// pointed at `inside` (the root's path below `top`, `.` for the top).
pub fn plan(root: &Path, top: &Path, inside: &str) -> Vec<NewFile> {
    let name = application_name(root);
    // JSON strings are YAML double-quoted scalars: any path stays one value.
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\".\"".to_string());
    let fill = |text: &str| {
        text.replace("KILN_INIT_NAME", &name)
            .replace("KILN_INIT_ROOT", &quoted(inside))
            .replace("KILN_INIT_REPOSITORY", REPOSITORY)
            .replace(
                "KILN_INIT_VERSION",
                &format!("v{}", env!("CARGO_PKG_VERSION")),
            )
    };
    let mut files: Vec<NewFile> = ROOT_FILES
        .iter()
        .map(|(path, text)| NewFile {
            path: root.join(path),
            text: fill(text),
        })
        .collect();
    files.push(NewFile {
        path: top.join(".pre-commit-config.yaml"),
        text: fill(PRE_COMMIT),
    });
    files
}

/// The Application's name: the root folder's name as a DNS label (`kiln` when nothing is
/// left of it).
fn application_name(root: &Path) -> String {
    let folder = root
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name: String = folder
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    name.truncate(40);
    let name = name.trim_end_matches('-');
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        "kiln".to_string()
    } else {
        name.to_string()
    }
}

/// Why `kiln init` wrote nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum InitError {
    /// These files exist already.
    Exists(Vec<PathBuf>),
    /// Writing failed (everything written by this run was removed).
    Io(String),
}

/// Write `files`: none if any exists; on a failure, remove what was written.
pub fn write(files: &[NewFile]) -> Result<(), InitError> {
    let existing: Vec<PathBuf> = files
        .iter()
        .filter(|f| std::fs::symlink_metadata(&f.path).is_ok())
        .map(|f| f.path.clone())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut made_folders: Vec<PathBuf> = Vec::new();
    let mut made_files: Vec<PathBuf> = Vec::new();
    let result = files.iter().try_for_each(|file| {
        if let Some(parent) = file.path.parent() {
            create_folders(parent, &mut made_folders)?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file.path)
            .map_err(|e| format!("{}: {e}", file.path.display()))?;
        made_files.push(file.path.clone());
        out.write_all(file.text.as_bytes())
            .and_then(|()| out.sync_all())
            .map_err(|e| format!("{}: {e}", file.path.display()))
    });
    result.map_err(|message| {
        for file in made_files.iter().rev() {
            let _ = std::fs::remove_file(file);
        }
        for folder in made_folders.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
        InitError::Io(message)
    })
}

/// Create `folder` and its missing parents, recording each one made.
fn create_folders(folder: &Path, made: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut missing = Vec::new();
    let mut at = folder;
    while std::fs::symlink_metadata(at).is_err() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    for folder in missing.into_iter().rev() {
        std::fs::create_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        made.push(folder);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_names() {
        for (folder, name) in [
            ("/r/streaming", "streaming"),
            ("/r/My Apps_2", "my-apps-2"),
            ("/r/9lives", "kiln"),
            ("/", "kiln"),
            ("/r/--", "kiln"),
        ] {
            assert_eq!(application_name(Path::new(folder)), name, "{folder}");
        }
    }

    #[test]
    fn every_file_says_what_to_change_first_and_is_filled_in() {
        let files = plan(Path::new("/r/apps/x"), Path::new("/r"), "apps/x y");
        assert_eq!(files.len(), 6);
        for file in &files {
            assert!(
                file.text.contains("Change first"),
                "{}",
                file.path.display()
            );
            assert!(!file.text.contains("KILN_INIT_"), "{}", file.path.display());
            crate::yaml::parse_documents(&file.text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", file.path.display()));
        }
        let pre_commit = &files[5];
        assert_eq!(pre_commit.path, Path::new("/r/.pre-commit-config.yaml"));
        assert!(
            pre_commit
                .text
                .contains("args: [\"apps/x y\", --all-envs, --strict]")
        );
        assert!(
            pre_commit
                .text
                .contains(&format!("rev: v{}", env!("CARGO_PKG_VERSION")))
        );
    }
}
