//! `--archive`: RFC 3161 intake time-stamps for unsigned files (`OUT/REL.tsr`) and B-LTA
//! extension of passing signatures (`OUT/REL`), written atomically under the output
//! directory, which mirrors the batch tree. Concurrent TSA work is bounded and failed
//! requests are retried with back-off. Originals are only read.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use kenpo_core::alg::Digest;
use kenpo_tsa::client::{BlockingTsaClient, ClientConfig, ClientError, TimeStamp};
use time::OffsetDateTime;

use super::result::FileError;
use super::walk::Job;
#[cfg(doc)]
use crate::lt::Target;
use crate::lt::{ExtendError, ExtendOptions, Extended, extend};
use crate::validate::Detached;
use kenpo_core::atomic::AtomicWriter;

/// Settings of `--archive`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ArchiveConfig {
    /// The TSAs (tried in order by the client; see [`ClientConfig`]).
    pub tsa: ClientConfig,
    /// Output directory; the batch tree is mirrored below it.
    pub out: PathBuf,
    /// Most TSA requests in flight at once (default 4).
    pub max_concurrent_requests: usize,
    /// Further attempts after a failed request (default 3).
    pub retries: u32,
    /// Wait before the first retry, doubled each time (default 500 ms).
    pub retry_delay: Duration,
    /// Extension of passing signatures to B-LTA, written as `OUT/REL` (its `to` should be
    /// [`Target::BLta`]); `None` leaves signed files as they are.
    pub extend: Option<ExtendOptions>,
}

impl ArchiveConfig {
    /// Defaults for a TSA configuration and an output directory.
    pub fn new(tsa: ClientConfig, out: PathBuf) -> Self {
        Self {
            tsa,
            out,
            max_concurrent_requests: 4,
            retries: 3,
            retry_delay: Duration::from_millis(500),
            extend: None,
        }
    }
}

/// A counting semaphore bounding TSA requests.
struct Permits {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Permits);

impl Permits {
    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.0.cv.notify_one();
    }
}

/// The shared TSA client, its request bound, the output directory and its writer.
pub(crate) struct Archiver {
    client: BlockingTsaClient,
    permits: Permits,
    config: ArchiveConfig,
    writer: AtomicWriter,
}

impl Archiver {
    /// Builds the client (checks the URLs).
    pub fn new(config: ArchiveConfig) -> Result<Self, ClientError> {
        Ok(Self {
            client: BlockingTsaClient::new(config.tsa.clone())?,
            permits: Permits {
                free: Mutex::new(config.max_concurrent_requests.max(1)),
                cv: Condvar::new(),
            },
            config,
            writer: AtomicWriter::new(),
        })
    }

    /// Writes an output file atomically (creating its directory), sweeping stale
    /// temporary files of killed runs from that directory first.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .and_then(|()| self.writer.write(path, bytes))
            .map_err(|source| FileError::Output {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Runs `op` under a TSA permit, retrying with back-off while `retry` says so.
    fn bounded<T, E>(
        &self,
        op: impl Fn() -> Result<T, E>,
        retry: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let mut delay = self.config.retry_delay;
        let mut attempt = 0;
        loop {
            let result = {
                let _permit = self.permits.acquire();
                op()
            };
            match result {
                Err(e) if attempt < self.config.retries && retry(&e) => {
                    attempt += 1;
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    fn timestamp(&self, digest: &Digest) -> Result<TimeStamp, ClientError> {
        self.bounded(|| self.client.timestamp_digest(digest), |e| !e.is_config())
    }

    /// Whether passing signatures are extended.
    pub fn extends(&self) -> bool {
        self.config.extend.is_some()
    }

    /// Extends a passing signature to B-LTA and writes it to `OUT/REL`; returns that path.
    pub fn extend(&self, signature: &[u8], job: &Job) -> Result<PathBuf, FileError> {
        let Some(opts) = &self.config.extend else {
            return Err(FileError::Extension("no extension configured".into()));
        };
        let retry = |e: &ExtendError| matches!(e, ExtendError::Tsa(c) if !c.is_config());
        if crate::validate::is_pdf_file(signature) {
            // PAdES: the DSS and a document time-stamp, incremental updates of the PDF.
            let ext = self
                .bounded(|| crate::lt::extend_pdf(signature, opts), retry)
                .map_err(|e| FileError::Extension(e.to_string()))?;
            let out = self.config.out.join(&job.rel_path);
            self.write(&out, &ext.pdf)?;
            return Ok(out);
        }
        let ext: Extended = self
            .bounded(|| extend(signature, job.content.as_deref(), opts), retry)
            .map_err(|e| FileError::Extension(e.to_string()))?;
        let out = self.config.out.join(&job.rel_path);
        self.write(&out, &ext.der)?;
        Ok(out)
    }

    /// Extends a passing XAdES signature (its attachments resolved among `attachments`) to
    /// B-LTA and writes it to `OUT/REL`; returns that path.
    pub fn extend_xml(
        &self,
        xml: &[u8],
        attachments: &[PathBuf],
        job: &Job,
    ) -> Result<PathBuf, FileError> {
        let Some(opts) = &self.config.extend else {
            return Err(FileError::Extension("no extension configured".into()));
        };
        let retry = |e: &ExtendError| matches!(e, ExtendError::Tsa(c) if !c.is_config());
        let contents: Vec<Detached<'_>> = attachments.iter().map(|p| Detached::File(p)).collect();
        let ext = self
            .bounded(|| crate::lt::extend_xml(xml, &contents, opts), retry)
            .map_err(|e| FileError::Extension(e.to_string()))?;
        let out = self.config.out.join(&job.rel_path);
        self.write(&out, &ext.xml)?;
        Ok(out)
    }

    /// Obtains the intake time-stamp of an unsigned file and writes the whole
    /// TimeStampResp to `OUT/REL.tsr`; returns genTime and that path.
    pub fn intake(
        &self,
        digest: &Digest,
        job: &Job,
    ) -> Result<(OffsetDateTime, PathBuf), FileError> {
        let ts = self
            .timestamp(digest)
            .map_err(|e| FileError::Timestamp(e.to_string()))?;
        let mut name = OsString::from(self.config.out.join(&job.rel_path));
        name.push(".tsr");
        let tsr = PathBuf::from(name);
        self.write(&tsr, &ts.response_der)?;
        Ok((ts.gen_time(), tsr))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory (created with
/// its parents), fsync and rename; the temporary file is removed on failure. Stale
/// temporary files of killed runs in that directory are removed first (see
/// [`super::atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    AtomicWriter::new().write(path, bytes)
}
