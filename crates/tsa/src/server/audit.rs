//! The audit log: one JSON object per line, appended for every issued token and every
//! refusal.
//!
//! ```text
//! {"time":"2026-05-01T03:04:05.123Z","outcome":"granted","serial":"2A","imprint_alg":"SHA-256","imprint":"9f86…","policy":"1.2.3.4"}
//! {"time":"2026-05-01T03:04:05.200Z","outcome":"rejected","fail_info":"badAlg","detail":"SHA-1 imprints are not accepted"}
//! ```
//! `time` is genTime for granted tokens; `serial` is the serialNumber's INTEGER contents in
//! upper-case hex (as [`crate::TstInfo::serial_hex`]); `imprint` is lower-case hex. Each line
//! is written with one `write` call and flushed to the operating system before the token is
//! released; it is not synced to disk per line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::Digest;
use time::OffsetDateTime;

use crate::request::TimeStampRequest;
use crate::status::FailInfo;

/// The audit log could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: cannot {action}: {source}")]
pub struct AuditError {
    /// What was attempted.
    pub action: &'static str,
    /// The log file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// RFC 3339 time (genTime for granted tokens).
    pub time: String,
    /// `granted` or `rejected`.
    pub outcome: &'static str,
    /// serialNumber (hex of the INTEGER contents), granted tokens only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Imprint hash algorithm (`SHA-256`), when the request was readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imprint_alg: Option<&'static str>,
    /// Imprint (hex), when the request was readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imprint: Option<String>,
    /// Policy of the token (granted) or the one requested (rejected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// failInfo name, rejections only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_info: Option<&'static str>,
    /// statusString, rejections only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditEntry {
    /// The record of an issued token.
    pub fn granted(gen_time: OffsetDateTime, serial: &[u8], imprint: &Digest, policy: Oid) -> Self {
        Self {
            time: kenpo_core::timefmt::rfc3339(gen_time),
            outcome: "granted",
            serial: Some(hex::encode_upper(serial)),
            imprint_alg: Some(imprint.algorithm().name()),
            imprint: Some(imprint.to_hex()),
            policy: Some(policy.to_string()),
            fail_info: None,
            detail: None,
        }
    }

    /// The record of a refusal; `req` when the request could be read.
    pub fn rejected(
        time: OffsetDateTime,
        fail: FailInfo,
        detail: &str,
        req: Option<&TimeStampRequest>,
    ) -> Self {
        Self {
            time: kenpo_core::timefmt::rfc3339(time),
            outcome: "rejected",
            serial: None,
            imprint_alg: req.map(|r| r.imprint.algorithm().name()),
            imprint: req.map(|r| r.imprint.to_hex()),
            policy: req.and_then(|r| r.policy).map(|p| p.to_string()),
            fail_info: Some(fail.name()),
            detail: Some(detail.to_owned()),
        }
    }
}

/// An append-only JSON-lines file, safe to share between threads.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    out: Mutex<BufWriter<File>>,
}

impl AuditLog {
    /// Opens `path` for appending, creating it (not its directory) if needed.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| AuditError {
                action: "open",
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            out: Mutex::new(BufWriter::new(file)),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a line and flushes it.
    pub fn record(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(entry).map_err(|e| AuditError {
            action: "encode a record",
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|source| AuditError {
                action: "write",
                path: self.path.clone(),
                source,
            })
    }
}
