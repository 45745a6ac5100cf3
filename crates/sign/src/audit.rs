//! The signing audit log: one JSON line per signing attempt, successful or not.
//!
//! Each line is an [`AuditRecord`]:
//!
//! ```text
//! {"time":"2026-11-22T03:25:00Z","document":"claim.xml","document_sha256":"9f86…",
//!  "signer_cert_sha256":"3a1c…","signer_subject":"CN=…","level":"B-T","attached":false,
//!  "profile":"hpki","tsa_url":"https://tsa.invalid/","tsa_gen_time":"2026-11-22T03:25:01Z",
//!  "revocation":"good (http://…/ca.crl)","output":"claim.xml.p7s","outcome":"signed"}
//! ```
//!
//! A refusal is logged with `"outcome":"refused: <reason>"`; fields not known at the time
//! of the refusal (the document digest when the certificate was refused before the
//! document was read, genTime before a time-stamp) are `null`.
//!
//! The file is opened in append mode when the [`AuditLog`] is created (so an unwritable
//! log is found before any signing); each record is written with one `write` call and
//! flushed to disk, and records from several threads of one process never interleave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Errors writing the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file cannot be opened, written or synced.
    #[error("audit log {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The record cannot be serialised (not expected to happen).
    #[error("audit record: {0}")]
    Encode(String),
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the attempt ended (RFC 3339, UTC).
    pub time: String,
    /// The document's path, when signing a file.
    pub document: Option<String>,
    /// SHA-256 of the document (lower-case hex), once it has been read.
    pub document_sha256: Option<String>,
    /// SHA-256 fingerprint of the signer certificate (lower-case hex).
    pub signer_cert_sha256: Option<String>,
    /// Subject of the signer certificate.
    pub signer_subject: Option<String>,
    /// Level asked for (`B-B`, `B-T`, …).
    pub level: String,
    /// Whether the content was to be attached.
    pub attached: bool,
    /// Profile (`hpki`, `accredited`, `any`).
    pub profile: String,
    /// The TSA that issued the signature time-stamp.
    pub tsa_url: Option<String>,
    /// genTime of the signature time-stamp (RFC 3339).
    pub tsa_gen_time: Option<String>,
    /// Revocation status of the signer certificate, when checked.
    pub revocation: Option<String>,
    /// The output path, when signing to a file.
    pub output: Option<String>,
    /// `signed`, or `refused: <reason>`.
    pub outcome: String,
}

/// An append-only JSON-lines audit file.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating it if missing) the log at `path` for appending.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| AuditError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a JSON line and syncs it to disk.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(record).map_err(|e| AuditError::Encode(e.to_string()))?;
        line.push(b'\n');
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        // A poisoned lock only means another thread panicked mid-append; the file itself
        // is still usable.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// Reads every record of a log file (for tests and reports).
    pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<AuditRecord>, AuditError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| AuditError::Encode(e.to_string())))
            .collect()
    }
}
