//! Batch intake: verify every signature under a folder, in parallel, one result per file as
//! it finishes (`kenpo-sign batch`, `../shared/CLI.md`).
//!
//! * **Walk** ([`walk`]): `*.p7s`, `*.p7m`, `*.pkcs7` (any case) are signatures; `X.p7s` is
//!   paired with its detached content `X` in the same folder, which then has no result of
//!   its own; an `*.xml` file that carries an XML signature (XAdES, XMLDSig) is signed too
//!   (verified with the attachments its references name beside it,
//!   [`crate::validate::xml_attachments`]; with `--archive` a passing XAdES is extended to
//!   B-LTA, plain XMLDSig is not); every other file
//!   is *unsigned*. Symbolic links are followed when their target
//!   is inside the folder, a link back to a directory already walked is skipped (no
//!   loops); a link out of the folder is not read and gets a *skipped* result (not an
//!   error); broken links, special files and unreadable directories get a result carrying
//!   the error.
//! * **Work** ([`Batch`]): `jobs` worker threads share one [`SignatureVerifier`] (by
//!   default [`crate::validate::Verifier`]: trust anchors, intermediates and CRLs parsed
//!   once, revocation fetches cached across files), each file under `catch_unwind` (a
//!   panic becomes that file's error) and a time limit (the file gets its error at once and
//!   its thread is abandoned); files over the size limit are not read.
//! * **Results**: a [`Batch`] yields [`FileResult`]s in the order they finish; its
//!   [`Summary`] gives the counts and the exit code. Cancellation: set the
//!   [`BatchConfig::cancel`] flag; no further file starts and the iteration ends once the
//!   files in progress have reported.
//! * **Resume** ([`ResumeIndex`]): files unchanged since a previous report are not processed
//!   again.
//! * **Archive** ([`ArchiveConfig`]): unsigned files get an RFC 3161 intake time-stamp, written as
//!   `OUT/REL.tsr`; passing signatures are extended to B-LTA ([`crate::lt::extend`]) and
//!   written as `OUT/REL`. TSA work is bounded and retried; originals are only read.
//! * **Output files** ([`atomic`]) are written atomically; stale temporary files of killed
//!   runs are removed by the next run that writes in their directory.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kenpo_verify::batch::{BatchConfig, start};
//! use kenpo_verify::validate::{Verifier, VerifyOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(
//!     VerifyOptions::default()
//!         .with_anchors(vec![std::fs::read("root-ca.pem")?])
//!         .with_offline(true),
//! );
//! let batch = start("incoming".as_ref(), BatchConfig::new(Arc::new(verifier)))?;
//! for r in batch {
//!     println!("{}", r.to_json());
//! }
//! # Ok(()) }
//! ```

pub(crate) mod archive;
pub use kenpo_core::atomic;
pub(crate) mod engine;
mod job;
mod queue;
pub(crate) mod result;
pub(crate) mod resume;
mod verifier;
pub(crate) mod walk;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use archive::{ArchiveConfig, write_atomic};
pub use engine::{Batch, Poll, Progress};
pub use result::{
    Category, FileError, FileKind, FileResult, Intake, PolicyCount, Summary, Verdict,
};
pub use resume::{ResumeEntry, ResumeIndex};
pub use verifier::SignatureVerifier;
pub use walk::{FileId, Found, Job, SIGNATURE_EXTENSIONS, is_signature_name, walk};

/// Default per-file size limit: 256 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Default per-file time limit: 120 s.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// How to run a batch.
#[derive(Clone)]
#[non_exhaustive]
pub struct BatchConfig {
    /// Verifies each signature file; shared by all workers.
    pub verifier: Arc<dyn SignatureVerifier>,
    /// Worker threads; 0 means the number of cores.
    pub jobs: usize,
    /// Files (signatures, contents, unsigned files) larger than this are not read.
    pub max_file_bytes: u64,
    /// Work on one file that takes longer is abandoned and reported.
    pub time_limit: Duration,
    /// Files unchanged since a previous report are skipped.
    pub resume: Option<ResumeIndex>,
    /// Intake time-stamps of unsigned files.
    pub archive: Option<ArchiveConfig>,
    /// Files and directories not to walk (the report, the output directory).
    pub exclude: Vec<PathBuf>,
    /// Set to stop the run: no further file starts.
    pub cancel: Arc<AtomicBool>,
}

impl std::fmt::Debug for BatchConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchConfig")
            .field("jobs", &self.jobs)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("time_limit", &self.time_limit)
            .field("resume", &self.resume.as_ref().map(ResumeIndex::len))
            .field("archive", &self.archive)
            .field("exclude", &self.exclude)
            .finish()
    }
}

impl BatchConfig {
    /// Defaults: one worker per core, [`DEFAULT_MAX_FILE_BYTES`], [`DEFAULT_TIME_LIMIT`],
    /// no resume, no archive.
    pub fn new(verifier: Arc<dyn SignatureVerifier>) -> Self {
        Self {
            verifier,
            jobs: 0,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            time_limit: DEFAULT_TIME_LIMIT,
            resume: None,
            archive: None,
            exclude: Vec::new(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Why a batch could not start (per-file problems are results, never errors).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The root is not a directory.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The root cannot be examined.
    #[error("cannot read {}: {source}", path.display())]
    Root {
        /// The root.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The output directory cannot be created.
    #[error("cannot create the output directory {}: {source}", path.display())]
    Output {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TSA client configuration is unusable.
    #[error("time-stamp client: {0}")]
    Tsa(#[from] kenpo_tsa::client::ClientError),
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// The number of worker threads for `jobs` (0: the number of cores).
pub fn worker_count(jobs: usize) -> usize {
    if jobs > 0 {
        jobs
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    }
}

/// Starts a batch over `root`; iterate the returned [`Batch`] for the results.
pub fn start(root: &Path, config: BatchConfig) -> Result<Batch, BatchError> {
    let meta = std::fs::metadata(root).map_err(|source| BatchError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(BatchError::NotADirectory(root.to_path_buf()));
    }
    let mut exclude: HashSet<walk::FileId> = config
        .exclude
        .iter()
        .filter_map(|p| walk::FileId::of_path(p))
        .collect();
    let archiver = match config.archive {
        Some(a) => {
            std::fs::create_dir_all(&a.out).map_err(|source| BatchError::Output {
                path: a.out.clone(),
                source,
            })?;
            exclude.extend(walk::FileId::of_path(&a.out));
            Some(archive::Archiver::new(a)?)
        }
        None => None,
    };
    let ctx = job::Ctx {
        verifier: config.verifier,
        max_file_bytes: config.max_file_bytes,
        resume: config.resume,
        archive: archiver,
        root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
    };
    engine::launch(
        root.to_path_buf(),
        exclude,
        ctx,
        worker_count(config.jobs),
        config.time_limit,
        config.cancel,
    )
    .map_err(BatchError::Thread)
}
