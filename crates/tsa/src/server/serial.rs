//! Serial numbers that are unique and strictly increasing across restarts and crashes,
//! without a disk sync per token.
//!
//! The state directory holds a file [`STATE_FILE`] with one decimal number, the
//! *reservation mark* R: no serial ≥ R has ever been handed out. Opening the store starts
//! at R and immediately persists R + block; serials are then handed out from memory until
//! the block is used up, when the next mark is persisted before any further serial. A
//! crash therefore loses at most the unused rest of a block (a gap), never reuses a serial.
//! A clean close ([`SerialStore::close`] or drop) persists the exact next serial, so that
//! ordinary restarts leave no gap.
//!
//! Every update writes a temporary file in the same directory, syncs it, renames it over
//! the state file and syncs the directory: the file always holds either the old or the new
//! mark.
//!
//! **One server per directory.** A lock file [`LOCK_FILE`] holding the owner's process id is
//! created with `create_new` and removed on close. Opening a directory whose lock names a
//! running process (this one included) fails with [`SerialError::Locked`]. On Linux a lock
//! left by a process that no longer exists (a crash) is taken over; elsewhere, and when the
//! process id has since been reused, the operator removes the lock file after making sure no
//! server uses the directory (the error message says so). This is advisory and best-effort:
//! two servers racing to take over the same stale lock are not excluded.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The state file's name.
pub const STATE_FILE: &str = "serial";
/// The lock file's name.
pub const LOCK_FILE: &str = "serial.lock";
/// Serials reserved per disk sync by [`SerialStore::open`].
pub const DEFAULT_BLOCK: u64 = 4096;

/// Why serial numbers are not available. Each variant names one cause.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    /// A file operation failed.
    #[error("serial state: cannot {action} {path}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Another server (or this process) uses the state directory.
    #[error(
        "serial state directory {dir} is in use by process {owner} (lock file {lock}); \
         if no TSA server uses it, remove the lock file"
    )]
    Locked {
        /// The state directory.
        dir: PathBuf,
        /// The process id in the lock file.
        owner: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// The state file does not hold a serial mark.
    #[error("serial state file {path} is corrupt: {detail}")]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The 64-bit serial space is used up.
    #[error("serial numbers exhausted")]
    Exhausted,
    /// The block size is zero.
    #[error("serial reservation block must be at least 1")]
    ZeroBlock,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SerialError + 'a {
    move |source| SerialError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Counter state, guarded by the store's mutex.
#[derive(Debug)]
struct Counter {
    /// The next serial to hand out.
    next: u64,
    /// The persisted reservation mark (exclusive upper bound of what may be handed out).
    limit: u64,
}

/// Where and how a store persists.
#[derive(Debug)]
struct Persist {
    dir: PathBuf,
    block: u64,
    /// Set once the lock has been released.
    closed: bool,
}

/// A source of serial numbers, persistent ([`open`](Self::open)) or in memory
/// ([`in_memory`](Self::in_memory)). Thread-safe.
#[derive(Debug)]
pub struct SerialStore {
    counter: Mutex<Counter>,
    persist: Option<Persist>,
}

impl SerialStore {
    /// Opens (creating if needed) the state directory `dir` with [`DEFAULT_BLOCK`].
    pub fn open(dir: &Path) -> Result<Self, SerialError> {
        Self::open_with_block(dir, DEFAULT_BLOCK)
    }

    /// Opens the state directory `dir`, reserving `block` serials per disk sync.
    pub fn open_with_block(dir: &Path, block: u64) -> Result<Self, SerialError> {
        if block == 0 {
            return Err(SerialError::ZeroBlock);
        }
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        acquire_lock(dir)?;
        let result = (|| {
            let start = read_mark(&dir.join(STATE_FILE))?.unwrap_or(1);
            let limit = start.checked_add(block).ok_or(SerialError::Exhausted)?;
            write_mark(dir, limit)?;
            Ok(Counter { next: start, limit })
        })();
        match result {
            Ok(counter) => Ok(Self {
                counter: Mutex::new(counter),
                persist: Some(Persist {
                    dir: dir.to_path_buf(),
                    block,
                    closed: false,
                }),
            }),
            Err(e) => {
                let _ = fs::remove_file(dir.join(LOCK_FILE));
                Err(e)
            }
        }
    }

    /// A store that starts at 1 and persists nothing (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self {
            counter: Mutex::new(Counter {
                next: 1,
                limit: u64::MAX,
            }),
            persist: None,
        }
    }

    /// The state directory, for a persistent store.
    pub fn dir(&self) -> Option<&Path> {
        self.persist.as_ref().map(|p| p.dir.as_path())
    }

    /// The next serial number: greater than every one handed out before from this
    /// directory.
    pub fn next(&self) -> Result<u64, SerialError> {
        let mut c = self.counter.lock().unwrap_or_else(PoisonError::into_inner);
        if c.next >= c.limit {
            let Some(p) = &self.persist else {
                return Err(SerialError::Exhausted);
            };
            let limit = c.next.checked_add(p.block).ok_or(SerialError::Exhausted)?;
            write_mark(&p.dir, limit)?;
            c.limit = limit;
        }
        let serial = c.next;
        c.next += 1;
        Ok(serial)
    }

    /// Persists the exact next serial and releases the directory. Dropping the store does
    /// the same, ignoring errors.
    pub fn close(mut self) -> Result<(), SerialError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), SerialError> {
        let next = self
            .counter
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .next;
        let Some(p) = &mut self.persist else {
            return Ok(());
        };
        if p.closed {
            return Ok(());
        }
        p.closed = true;
        let written = write_mark(&p.dir, next);
        let lock = p.dir.join(LOCK_FILE);
        let removed = fs::remove_file(&lock).map_err(io_err("remove", &lock));
        written.and(removed)
    }
}

impl Drop for SerialStore {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// Reads the mark, `None` when there is no state file yet.
fn read_mark(path: &Path) -> Result<Option<u64>, SerialError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", path)(e)),
    };
    let corrupt = |detail: String| SerialError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    match text.trim().parse::<u64>() {
        Ok(0) => Err(corrupt("mark 0 (serials start at 1)".into())),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(corrupt(format!(
            "{:?}: {e}",
            text.chars().take(40).collect::<String>()
        ))),
    }
}

/// Replaces the state file atomically and durably with `mark`.
fn write_mark(dir: &Path, mark: u64) -> Result<(), SerialError> {
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    let path = dir.join(STATE_FILE);
    let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
    f.write_all(format!("{mark}\n").as_bytes())
        .map_err(io_err("write", &tmp))?;
    f.sync_all().map_err(io_err("sync", &tmp))?;
    drop(f);
    fs::rename(&tmp, &path).map_err(io_err("rename into", &path))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), SerialError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("sync directory", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), SerialError> {
    // Directories cannot be opened for syncing here; the rename is still atomic.
    Ok(())
}

/// Whether process `pid` may still be running (unknown → assume it is).
fn process_may_run(pid: &str) -> bool {
    if pid == std::process::id().to_string() {
        return true;
    }
    let linux_proc = Path::new("/proc/self").exists();
    match pid.parse::<u32>() {
        Ok(n) if linux_proc && cfg!(target_os = "linux") => {
            Path::new("/proc").join(n.to_string()).exists()
        }
        _ => true,
    }
}

/// Creates the lock file, taking over a stale one once.
fn acquire_lock(dir: &Path) -> Result<(), SerialError> {
    let lock = dir.join(LOCK_FILE);
    for attempt in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(mut f) => {
                let pid = std::process::id().to_string();
                return f
                    .write_all(pid.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(io_err("write", &lock));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let owner = fs::read_to_string(&lock)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                if attempt == 0 && !owner.is_empty() && !process_may_run(&owner) {
                    match fs::remove_file(&lock) {
                        Ok(()) => continue,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(io_err("remove stale", &lock)(e)),
                    }
                }
                return Err(SerialError::Locked {
                    dir: dir.to_path_buf(),
                    owner,
                    lock,
                });
            }
            Err(e) => return Err(io_err("create", &lock)(e)),
        }
    }
    Err(SerialError::Locked {
        dir: dir.to_path_buf(),
        owner: "unknown".into(),
        lock,
    })
}
