//! Walking the batch folder: one directory at a time (constant memory beyond the largest
//! directory), signatures paired with their detached content, symbolic links followed
//! once (a link back to a directory already walked is skipped with a warning), special
//! files and broken links reported, the report and output locations left out.
//!
//! A symbolic link (to a file or a directory) is followed only when its resolved target is
//! inside the resolved root: a link out of the folder (to `/etc/passwd`, to `..`) is never
//! read nor walked; it gets a [`FileKind::Skipped`] line naming the link and its target,
//! and a warning.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use super::result::{FileError, FileKind, FileResult};

/// File extensions (case-insensitive) treated as signatures.
pub const SIGNATURE_EXTENSIONS: [&str; 3] = ["p7s", "p7m", "pkcs7"];

/// One unit of work found by the walk.
#[derive(Debug, Clone)]
pub struct Job {
    /// The file (root joined with `rel_path`).
    pub path: PathBuf,
    /// Path relative to the root.
    pub rel_path: PathBuf,
    /// Signature or unsigned file.
    pub kind: FileKind,
    /// Detached content paired with a signature.
    pub content: Option<PathBuf>,
    /// The identity of the file the walk found at `path` (see `check_opened`).
    pub walked: Option<FileId>,
    /// The identity of the detached content the walk found.
    pub content_walked: Option<FileId>,
}

impl Job {
    /// An empty result for this job.
    pub fn result(&self) -> FileResult {
        let mut r = FileResult::new(self.path.clone(), self.rel_path.clone(), self.kind);
        r.content.clone_from(&self.content);
        r
    }
}

/// What the walk hands on.
#[derive(Debug)]
pub enum Found {
    /// A file to process.
    Job(Job),
    /// A line that needs no processing (unwalkable directory, broken link, FIFO …).
    Done(Box<FileResult>),
    /// Something worth telling the operator that has no line (a symlink loop skipped).
    Warning(String),
}

/// Identity of a file or directory (device and inode on Unix).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId(u64, u64);

impl FileId {
    /// The identity of what `m` describes.
    #[cfg(unix)]
    pub fn of(m: &Metadata, _path: &Path) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self(m.dev(), m.ino())
    }

    /// The identity of what `m` describes (hash of the canonical path off Unix).
    #[cfg(not(unix))]
    pub fn of(_m: &Metadata, path: &Path) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .hash(&mut h);
        Self(0, h.finish())
    }

    /// The identity of an existing path (following links).
    pub fn of_path(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Self::of(&m, path))
    }
}

/// Whether `name` has a signature extension.
pub fn is_signature_name(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| {
            SIGNATURE_EXTENSIONS
                .iter()
                .any(|s| e.eq_ignore_ascii_case(s))
        })
}

fn kind_of(name: &OsStr) -> FileKind {
    if is_signature_name(name) {
        FileKind::Signed
    } else {
        FileKind::Unsigned
    }
}

enum Entry {
    File(OsString, Option<FileId>),
    Dir(OsString, FileId),
}

/// Walks `root` depth-first (names sorted), calling `emit` for everything found; stops
/// early when `emit` returns `false`. `exclude` lists files and directories to leave out.
pub fn walk(root: &Path, exclude: &HashSet<FileId>, mut emit: impl FnMut(Found) -> bool) {
    let mut visited = HashSet::new();
    if let Some(id) = FileId::of_path(root) {
        visited.insert(id);
    }
    // Unresolvable, the root as given: then every link is outside (never followed).
    let tree = Tree {
        root,
        resolved: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        exclude,
    };
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = root.join(&rel_dir);
        let Some(entries) = read_dir(&tree, &rel_dir, &dir, &mut emit) else {
            return;
        };
        let mut files = Vec::new();
        let mut ids: HashMap<OsString, Option<FileId>> = HashMap::new();
        let mut dirs = Vec::new();
        for e in entries {
            match e {
                Entry::File(n, id) => {
                    ids.insert(n.clone(), id);
                    files.push(n);
                }
                Entry::Dir(n, id) => dirs.push((n, id)),
            }
        }
        files.sort();
        let present: HashSet<&OsStr> = files.iter().map(OsString::as_os_str).collect();
        let mut content_of: HashMap<&OsStr, &OsStr> = HashMap::new();
        for f in &files {
            if is_signature_name(f)
                && let Some(stem) = Path::new(f).file_stem()
                && !stem.is_empty()
                && present.contains(stem)
            {
                content_of.insert(f.as_os_str(), stem);
            }
        }
        let contents: HashSet<&OsStr> = content_of.values().copied().collect();
        for f in &files {
            let kind = kind_of(f);
            if kind == FileKind::Unsigned && contents.contains(f.as_os_str()) {
                continue;
            }
            let rel_path = rel_dir.join(f);
            let content = content_of.get(f.as_os_str());
            let job = Job {
                path: root.join(&rel_path),
                rel_path,
                kind,
                content: content.map(|c| dir.join(c)),
                walked: ids.get(f).cloned().flatten(),
                content_walked: content.and_then(|c| ids.get(*c).cloned().flatten()),
            };
            if !emit(Found::Job(job)) {
                return;
            }
        }
        dirs.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, id) in dirs.into_iter().rev() {
            let rel = rel_dir.join(&name);
            if !visited.insert(id) {
                let w = format!(
                    "{}: symbolic link to a directory already walked; skipped (no loop)",
                    root.join(&rel).display()
                );
                if !emit(Found::Warning(w)) {
                    return;
                }
                continue;
            }
            stack.push(rel);
        }
    }
}

/// The walked folder.
struct Tree<'a> {
    /// As given.
    root: &'a Path,
    /// Resolved (canonical): links must stay under it.
    resolved: PathBuf,
    /// Files and directories left out.
    exclude: &'a HashSet<FileId>,
}

impl Tree<'_> {
    /// The resolved target of the link `path` when it is outside the tree (`None` when it
    /// is inside, or cannot be resolved: broken links and loops are examined as before).
    fn outside(&self, path: &Path) -> Option<PathBuf> {
        let target = std::fs::canonicalize(path).ok()?;
        (!target.starts_with(&self.resolved)).then_some(target)
    }
}

/// The entries of one directory; problems become lines. `None` when `emit` said stop.
fn read_dir(
    tree: &Tree<'_>,
    rel_dir: &Path,
    dir: &Path,
    emit: &mut impl FnMut(Found) -> bool,
) -> Option<Vec<Entry>> {
    let (root, exclude) = (tree.root, tree.exclude);
    let line = |rel: PathBuf, kind, error| {
        Found::Done(Box::new(
            FileResult::new(root.join(&rel), rel, kind).with_error(error),
        ))
    };
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            let err = FileError::Io {
                op: "read the directory",
                source,
            };
            return emit(line(rel_dir.to_path_buf(), FileKind::Directory, err)).then(Vec::new);
        }
    };
    let dir_dev = device_of(dir);
    let mut out = Vec::new();
    for e in rd {
        let e = match e {
            Ok(e) => e,
            Err(source) => {
                let err = FileError::Io {
                    op: "list the directory",
                    source,
                };
                if !emit(line(rel_dir.to_path_buf(), FileKind::Directory, err)) {
                    return None;
                }
                break;
            }
        };
        let name = e.file_name();
        // A regular file (the directory listing says so): its identity without a stat of
        // its own; it is on its directory's device.
        if let Ok(t) = e.file_type()
            && t.is_file()
            && let Some(id) = listed_file_id(dir_dev, &e)
        {
            if !exclude.contains(&id) {
                out.push(Entry::File(name, Some(id)));
            }
            continue;
        }
        let path = e.path();
        let rel = rel_dir.join(&name);
        let meta = match e.file_type() {
            Ok(t) if t.is_symlink() => {
                if let Some(target) = tree.outside(&path) {
                    let err = FileError::OutsideRoot {
                        target,
                        root: tree.resolved.clone(),
                    };
                    let warning = format!("{}: {err}", path.display());
                    if !emit(line(rel, FileKind::Skipped, err)) || !emit(Found::Warning(warning)) {
                        return None;
                    }
                    continue;
                }
                std::fs::metadata(&path)
            }
            _ => e.metadata(),
        };
        let m = match meta {
            Ok(m) => m,
            Err(source) => {
                let err = FileError::Io {
                    op: "examine (broken or looping symbolic link?)",
                    source,
                };
                if !emit(line(rel, kind_of(&name), err)) {
                    return None;
                }
                continue;
            }
        };
        let id = FileId::of(&m, &path);
        if exclude.contains(&id) {
            continue;
        }
        if m.is_dir() {
            out.push(Entry::Dir(name, id));
        } else if m.is_file() {
            out.push(Entry::File(name, Some(id)));
        } else if !emit(line(
            rel,
            kind_of(&name),
            FileError::NotRegular(special(&m)),
        )) {
            return None;
        }
    }
    Some(out)
}

/// The device a directory is on (Unix; `None` elsewhere or when it cannot be read).
fn device_of(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).ok().map(|m| m.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// The [`FileId`] of a regular file listed in a directory on device `dev`, from the
/// listing's inode number (Unix; `None` elsewhere, then the file is examined).
fn listed_file_id(dev: Option<u64>, e: &std::fs::DirEntry) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirEntryExt;
        dev.map(|d| FileId(d, e.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = (dev, e);
        None
    }
}

#[cfg(unix)]
fn special(m: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special(_: &Metadata) -> &'static str {
    "special file"
}

/// Checks that the file just opened at `path` (its metadata `opened`) is the one the walk
/// found there (`walked`), so that a file swapped for a symbolic link between the walk and
/// the open is not followed. When the identities differ (the file was replaced, or the
/// filesystem reports listing and file identities differently), the file is accepted only
/// if `path` is still a regular file, not a link, that is the opened file, and resolves
/// inside `root` (resolved).
pub(crate) fn check_opened(
    opened: &Metadata,
    path: &Path,
    walked: Option<&FileId>,
    root: &Path,
) -> Result<(), FileError> {
    let got = FileId::of(opened, path);
    if walked == Some(&got) {
        return Ok(());
    }
    let now = std::fs::symlink_metadata(path).map_err(|_| FileError::Replaced("it is gone"))?;
    if now.file_type().is_symlink() {
        return Err(FileError::Replaced("it is now a symbolic link"));
    }
    if !now.is_file() || FileId::of(&now, path) != got {
        return Err(FileError::Replaced("it is no longer the file opened"));
    }
    match std::fs::canonicalize(path) {
        Ok(p) if p.starts_with(root) => Ok(()),
        _ => Err(FileError::Replaced("it is no longer inside the folder")),
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// The first job the walk of `root` hands on.
    fn first_job(root: &Path) -> Job {
        let mut job = None;
        walk(root, &HashSet::new(), |f| {
            if let Found::Job(j) = f {
                job = Some(j);
                return false;
            }
            true
        });
        job.unwrap()
    }

    #[test]
    fn a_file_replaced_by_a_link_out_of_the_folder_after_the_walk_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.p7s");
        std::fs::write(&secret, b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let file = root.join("a.p7s");
        std::fs::write(&file, b"mine").unwrap();
        let job = first_job(&root);
        assert_eq!(job.path, file);
        assert!(job.walked.is_some());
        // Unchanged: accepted.
        let m = std::fs::File::open(&job.path).unwrap().metadata().unwrap();
        check_opened(&m, &job.path, job.walked.as_ref(), &root).unwrap();
        // Swapped for a link out of the folder between the walk and the open: refused.
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(&secret, &file).unwrap();
        let m = std::fs::File::open(&job.path).unwrap().metadata().unwrap();
        let e = check_opened(&m, &job.path, job.walked.as_ref(), &root).unwrap_err();
        assert!(matches!(e, FileError::Replaced(_)), "{e}");
        // Even with no identity from the walk.
        let e = check_opened(&m, &job.path, None, &root).unwrap_err();
        assert!(matches!(e, FileError::Replaced(_)), "{e}");
        // Replaced by another regular file in the folder: still inside, accepted.
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, b"other").unwrap();
        let m = std::fs::File::open(&job.path).unwrap().metadata().unwrap();
        check_opened(&m, &job.path, job.walked.as_ref(), &root).unwrap();
    }

    #[test]
    fn a_folder_replaced_by_a_link_out_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("a.p7s"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.p7s"), b"mine").unwrap();
        let job = first_job(&root);
        std::fs::remove_dir_all(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("sub")).unwrap();
        let m = std::fs::File::open(&job.path).unwrap().metadata().unwrap();
        let e = check_opened(&m, &job.path, job.walked.as_ref(), &root).unwrap_err();
        assert!(matches!(e, FileError::Replaced(_)), "{e}");
    }
}
