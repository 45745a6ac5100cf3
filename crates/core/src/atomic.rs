//! Atomic output files: each is written to a temporary file in the same directory, synced
//! and renamed over the output, so the output is either the old file or the complete new
//! one.
//!
//! * **Temporary files** are named `.kenpo-tmp-NAME.RANDOM.wip` and are held under an
//!   exclusive advisory lock ([`File::lock`]) from just after their creation until they
//!   are renamed or removed. A process killed meanwhile leaves its temporary file behind,
//!   but the lock dies with the process.
//! * **Stale temporary files** are removed by the next writer in that directory
//!   ([`AtomicWriter`] sweeps each directory once): only names of that exact pattern, only
//!   regular files, and only those it can lock itself, i.e. whose writer is gone. A live
//!   temporary file of a concurrent run is never touched, nor any other file.
//! * **Permissions**: a replaced file keeps its permission bits (and, where the process
//!   may set them, its owner and group); a new file gets the usual mode of new files
//!   (`0666` less the umask), set when it is created.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Prefix of our temporary files.
pub const TEMP_PREFIX: &str = ".kenpo-tmp-";
/// Suffix of our temporary files (those written under a lock).
pub const TEMP_SUFFIX: &str = ".wip";

/// Most bytes of the output's name kept in a temporary file's name.
const NAME_BYTES: usize = 96;

/// Whether `name` is one of our temporary files (`.kenpo-tmp-*.wip`).
pub fn is_temp_name(name: &OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX))
}

/// Writes output files atomically and removes stale temporary files of killed runs, once
/// per directory. One writer serves a whole run (it may be shared between threads).
#[derive(Debug, Default)]
pub struct AtomicWriter {
    swept: Mutex<HashSet<PathBuf>>,
}

impl AtomicWriter {
    /// A writer that has not swept any directory yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `bytes` to `path` atomically (the directory must exist). On failure the
    /// temporary file is removed and `path` is left as it was.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut staged = self.stage(path)?;
        staged.write_all(bytes)?;
        staged.commit()
    }

    /// Starts writing `path` atomically (the directory must exist): a locked temporary
    /// file the caller fills through [`Staged`], renamed over `path` only by
    /// [`Staged::commit`]. The lock is held until then; a [`Staged`] dropped without a
    /// commit removes its temporary file and leaves `path` as it was.
    pub fn stage(&self, path: &Path) -> io::Result<Staged> {
        let dir = dir_of(path);
        self.sweep_once(dir);
        let existing = std::fs::metadata(path).ok().filter(|m| m.is_file());
        let (file, tmp) = create_locked(dir, path.file_name(), existing.as_ref())?;
        let staged = Staged {
            file,
            tmp,
            out: path.to_path_buf(),
            done: false,
        };
        if let Some(old) = &existing {
            keep_owner_and_mode(&staged.file, old)?;
        }
        Ok(staged)
    }

    /// Sweeps `dir` unless this writer already did.
    fn sweep_once(&self, dir: &Path) {
        let first = self
            .swept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(dir.to_path_buf());
        if first {
            sweep(dir);
        }
    }
}

/// An output being written: a locked temporary file beside it (see
/// [`AtomicWriter::stage`]). Write through [`Write`] or [`Staged::file`], then
/// [`Staged::commit`]; dropped uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    file: File,
    tmp: PathBuf,
    out: PathBuf,
    done: bool,
}

impl Staged {
    /// The temporary file (open for writing, locked).
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// The output's path.
    pub fn out_path(&self) -> &Path {
        &self.out
    }

    /// Syncs the temporary file to disk (the first half of a two-phase commit: after it,
    /// only the rename of [`Staged::commit`] is left).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// Syncs the temporary file, renames it over the output (still under its lock) and
    /// syncs the directory. On failure the temporary file is removed.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.tmp, &self.out)?;
        self.done = true;
        // Make the rename durable (best effort: not every platform syncs directories).
        if let Ok(d) = File::open(dir_of(&self.out)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            // Removed while still locked: no sweeper can mistake it for another's file.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The directory of `path` (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Removes the stale temporary files of `dir`: our names, regular files, not locked by
/// anyone. Returns how many were removed. Errors only mean a file is left as it is.
pub fn sweep(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| is_temp_name(&e.file_name()))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| remove_if_unlocked(&e.path()))
        .count()
}

/// Removes `path` if it can be locked (its writer is gone) and is still the file locked.
fn remove_if_unlocked(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    if f.try_lock().is_err() {
        return false;
    }
    // Holding the lock: no writer can take it before we let go, and a writer that took the
    // name meanwhile sees on locking that the name is gone and chooses another.
    if !same_file(&f, path) {
        return false;
    }
    std::fs::remove_file(path).is_ok()
}

/// Whether `path` still names the file open as `f`.
fn same_file(f: &File, path: &Path) -> bool {
    match (f.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => file_id(&a) == file_id(&b),
        _ => false,
    }
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// A new temporary file in `dir` for an output named `name`, locked, with its path.
fn create_locked(
    dir: &Path,
    name: Option<&OsStr>,
    existing: Option<&std::fs::Metadata>,
) -> io::Result<(File, PathBuf)> {
    let stem = short_name(name);
    let random = RandomState::new();
    let mut last = None;
    for attempt in 0u64..64 {
        let mut h = random.build_hasher();
        h.write_u64(attempt);
        h.write_u32(std::process::id());
        let tmp = dir.join(format!(
            "{TEMP_PREFIX}{stem}.{:016x}{TEMP_SUFFIX}",
            h.finish()
        ));
        let file = match open_new(&tmp, existing) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                last = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        // A filesystem without locks: sweepers cannot lock either, so they leave it alone.
        let locked = file.lock().is_ok();
        if !locked || same_file(&file, &tmp) {
            return Ok((file, tmp));
        }
        // A sweeper took the new file for a stale one before the lock: choose another name.
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// The output's name, shortened for the temporary file's name.
fn short_name(name: Option<&OsStr>) -> String {
    let full = name.map(|n| n.to_string_lossy()).unwrap_or_default();
    let mut end = full.len().min(NAME_BYTES);
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    full.get(..end).unwrap_or_default().to_owned()
}

/// Creates `tmp`: with the replaced file's permission bits if there is one (narrowed by
/// the umask until [`keep_owner_and_mode`]), else with the mode of new files.
fn open_new(tmp: &Path, existing: Option<&std::fs::Metadata>) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if let Some(m) = existing {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        o.mode(m.permissions().mode() & 0o777);
    }
    #[cfg(not(unix))]
    let _ = existing;
    o.open(tmp)
}

/// Gives the temporary file the replaced file's owner and group (where allowed: as root,
/// or a group the user is in) and then its permission bits.
fn keep_owner_and_mode(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = file.metadata()?;
        let uid = (new.uid() != old.uid()).then(|| old.uid());
        let gid = (new.gid() != old.gid()).then(|| old.gid());
        if uid.is_some() || gid.is_some() {
            // Not allowed to give the file away: it stays the running user's.
            if std::os::unix::fs::fchown(file, uid, gid).is_err() && gid.is_some() {
                let _ = std::os::unix::fs::fchown(file, None, gid);
            }
        }
    }
    file.set_permissions(old.permissions())
}
