//! Per-file results, their JSON line (`../shared/CLI.md`, `batch`), per-file errors and
//! the run summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::validate::VerifyError;
use crate::{Indication, SubIndication};

/// What a report line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A signature file (`*.p7s`, `*.p7m`, `*.pkcs7`), with its detached content if paired.
    Signed,
    /// A file that is neither a signature nor the content of one.
    Unsigned,
    /// A directory that could not be walked (its line carries the error).
    Directory,
    /// A symbolic link (to a file or a directory) whose target is outside the walked
    /// folder: not read, not walked; its line names the link and the target
    /// ([`FileError::OutsideRoot`]) and counts as skipped, not as an error.
    Skipped,
}

impl FileKind {
    /// `signed`, `unsigned`, `directory` or `skipped` (the JSON `kind`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::Unsigned => "unsigned",
            Self::Directory => "directory",
            Self::Skipped => "skipped",
        }
    }
}

/// The verdict on a signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Worst indication over the file's signatures.
    pub indication: Indication,
    /// Its sub-indication.
    pub sub_indication: Option<SubIndication>,
    /// Level of the signature that gave the indication (`B-B` … `B-LTA`).
    pub level: &'static str,
    /// Name of the validation policy the file was verified under.
    pub policy: String,
    /// Whether every signature met its requirements ([`crate::policy`]).
    pub policy_met: bool,
}

/// The RFC 3161 intake time-stamp of an unsigned file (`--archive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// genTime of the token.
    pub gen_time: OffsetDateTime,
    /// Where the TimeStampResp was written (`OUT/…/FILE.tsr`).
    pub tsr: PathBuf,
}

/// Why one file has no (complete) result. The run goes on.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened, read or examined.
    #[error("cannot {op}: {source}")]
    Io {
        /// What was attempted (`read`, `open the detached content` …).
        op: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// Not a regular file (FIFO, socket, device): never opened.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// A symbolic link whose target is outside the walked folder: not followed.
    #[error(
        "symbolic link to {}, outside the folder being walked ({}); not read",
        target.display(),
        root.display()
    )]
    OutsideRoot {
        /// The link's target, resolved (canonical).
        target: PathBuf,
        /// The walked folder, resolved (canonical).
        root: PathBuf,
    },
    /// The file opened for processing is not the one the walk found (replaced meanwhile,
    /// e.g. by a symbolic link out of the folder): refused, not read.
    #[error(
        "replaced since the folder was walked ({0}); not read. Run the batch again once the folder is no longer changing"
    )]
    Replaced(&'static str),
    /// Larger than the per-file size limit; not read.
    #[error("{size} bytes, over the per-file limit of {limit} bytes")]
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The work on the file did not end within the per-file time limit; its thread was
    /// abandoned (its eventual result is discarded).
    #[error("no result within the per-file time limit of {} s", .0.as_secs_f64())]
    TimeLimit(Duration),
    /// The work on the file panicked; the panic was caught.
    #[error("internal error (panic) while processing the file: {0}")]
    Panic(String),
    /// Verification could not run (e.g. the detached content vanished).
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// No intake time-stamp could be obtained (after the retries).
    #[error("time-stamp: {0}")]
    Timestamp(String),
    /// An output under `--out` could not be written (nothing partial is left).
    #[error("cannot write {}: {source}", path.display())]
    Output {
        /// The output file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The signature passed but could not be extended to B-LTA.
    #[error("B-LTA extension: {0}")]
    Extension(String),
}

/// The result of one report line.
#[derive(Debug)]
pub struct FileResult {
    /// The file, as found under the batch root (root joined with the relative path).
    pub path: PathBuf,
    /// The path relative to the batch root.
    pub rel_path: PathBuf,
    /// Signature, unsigned file or unwalkable directory.
    pub kind: FileKind,
    /// The detached content paired with a signature (`X` for `X.p7s`).
    pub content: Option<PathBuf>,
    /// SHA-256 (hex) of the file, when it was read.
    pub sha256: Option<String>,
    /// SHA-256 (hex) of the detached content, when paired and read.
    pub content_sha256: Option<String>,
    /// The verdict (signature files that could be verified).
    pub verdict: Option<Verdict>,
    /// The intake time-stamp (unsigned files with `--archive`).
    pub intake: Option<Intake>,
    /// Where the B-LTA extension was written (passing signatures with `--archive`).
    pub archived: Option<PathBuf>,
    /// What went wrong, if anything.
    pub error: Option<FileError>,
    /// An XML signature's attachments: the files its references name beside it, verified
    /// with it (see [`crate::validate::xml_attachments`]).
    pub attachments: Vec<PathBuf>,
    /// Remarks (references not resolved, a plain XMLDSig not extended …).
    pub notes: Vec<String>,
    /// Wall time spent on the file.
    pub elapsed: Duration,
    /// `--resume`: the file is unchanged since the previous report, whose line (of this
    /// category) stands; no new line is written for it.
    pub resumed: Option<Category>,
}

impl FileResult {
    /// A result with nothing found yet.
    pub fn new(path: PathBuf, rel_path: PathBuf, kind: FileKind) -> Self {
        Self {
            path,
            rel_path,
            kind,
            content: None,
            sha256: None,
            content_sha256: None,
            verdict: None,
            intake: None,
            archived: None,
            error: None,
            attachments: Vec::new(),
            notes: Vec::new(),
            elapsed: Duration::ZERO,
            resumed: None,
        }
    }

    /// The same result carrying `error`.
    pub fn with_error(mut self, error: FileError) -> Self {
        self.error = Some(error);
        self
    }

    /// The report line: the contract fields (`path`, `sha256`, `kind`, `indication`,
    /// `sub_indication`, `level`, `error`) plus `content`, `content_sha256`, `intake`
    /// (`{gen_time, tsr}`), `archived`, `millis`, `attachments` and `notes` (only when
    /// not empty) and, for a name that is not UTF-8, `path_hex` (its raw bytes; `path` is
    /// then the lossy form).
    pub fn to_json(&self) -> Value {
        let v = self.verdict.as_ref();
        let mut o = json!({
            "path": self.path.to_string_lossy(),
            "sha256": self.sha256,
            "kind": self.kind.name(),
            "indication": v.map(|v| v.indication.name()),
            "sub_indication": v.and_then(|v| v.sub_indication.map(SubIndication::name)),
            "level": v.map(|v| v.level),
            "policy_met": v.map(|v| v.policy_met),
            "error": self.error.as_ref().map(ToString::to_string),
            "content": self.content.as_ref().map(|c| c.to_string_lossy()),
            "content_sha256": self.content_sha256,
            "intake": self.intake.as_ref().map(|i| json!({
                "gen_time": kenpo_core::timefmt::rfc3339(i.gen_time),
                "tsr": i.tsr.to_string_lossy(),
            })),
            "archived": self.archived.as_ref().map(|a| a.to_string_lossy()),
            "millis": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        if !self.attachments.is_empty() {
            o["attachments"] = self
                .attachments
                .iter()
                .map(|a| Value::String(a.to_string_lossy().into_owned()))
                .collect();
        }
        if !self.notes.is_empty() {
            o["notes"] = json!(self.notes);
        }
        if let Some(hex) = non_utf8_hex(&self.path) {
            o["path_hex"] = Value::String(hex);
        }
        o
    }

    /// The summary category of this line.
    pub fn category(&self) -> Category {
        if let Some(c) = self.resumed {
            return c;
        }
        if self.kind == FileKind::Skipped {
            return Category::Skipped;
        }
        if self.error.is_some() {
            return Category::Error;
        }
        match (&self.verdict, self.kind) {
            (Some(v), _) => Category::Verdict(v.indication),
            (None, FileKind::Unsigned) => Category::Unsigned,
            (None, _) => Category::Error,
        }
    }
}

#[cfg(unix)]
fn non_utf8_hex(p: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    p.to_str()
        .is_none()
        .then(|| hex::encode(p.as_os_str().as_bytes()))
}

#[cfg(not(unix))]
fn non_utf8_hex(_: &Path) -> Option<String> {
    None
}

/// Which summary counter a line adds to; the counters are disjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// A verified signature file, by indication.
    Verdict(Indication),
    /// An unsigned file processed without error.
    Unsigned,
    /// Any line with an error (a verdict on such a line is not counted).
    Error,
    /// A symbolic link out of the walked folder, not followed ([`FileKind::Skipped`]).
    Skipped,
}

/// Counts over a run: the last line of the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Lines (signature files, unsigned files, unwalkable directories, skipped links).
    pub files: u64,
    /// TOTAL_PASSED lines.
    pub passed: u64,
    /// TOTAL_FAILED lines.
    pub failed: u64,
    /// INDETERMINATE lines.
    pub indeterminate: u64,
    /// Unsigned files.
    pub unsigned: u64,
    /// Lines with an error.
    pub errors: u64,
    /// Symbolic links out of the walked folder, not followed (not errors).
    pub skipped: u64,
    /// Of `files`, how many were taken from the previous report (`--resume`).
    pub resumed: u64,
    /// Wall time of the run.
    pub seconds: f64,
    /// Per validation policy (in order of first use): its name, the verified files
    /// (resumed lines not counted) that met it, and those that did not.
    pub policies: Vec<PolicyCount>,
}

/// How many verified files met a validation policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyCount {
    /// The policy's name.
    pub name: String,
    /// Files whose every signature met it.
    pub met: u64,
    /// Files with a signature that did not.
    pub unmet: u64,
}

impl PolicyCount {
    fn to_json(&self) -> Value {
        json!({ "name": self.name, "met": self.met, "unmet": self.unmet })
    }
}

impl Summary {
    /// Counts one line.
    pub fn add(&mut self, r: &FileResult) {
        self.files += 1;
        if r.resumed.is_some() {
            self.resumed += 1;
        }
        if let (Some(v), None, None) = (&r.verdict, r.resumed, &r.error) {
            let i = match self.policies.iter().position(|p| p.name == v.policy) {
                Some(i) => i,
                None => {
                    self.policies.push(PolicyCount {
                        name: v.policy.clone(),
                        ..PolicyCount::default()
                    });
                    self.policies.len() - 1
                }
            };
            if let Some(p) = self.policies.get_mut(i) {
                if v.policy_met {
                    p.met += 1;
                } else {
                    p.unmet += 1;
                }
            }
        }
        match r.category() {
            Category::Verdict(Indication::TotalPassed) => self.passed += 1,
            Category::Verdict(Indication::TotalFailed) => self.failed += 1,
            Category::Verdict(Indication::Indeterminate) => self.indeterminate += 1,
            Category::Unsigned => self.unsigned += 1,
            Category::Error => self.errors += 1,
            Category::Skipped => self.skipped += 1,
        }
    }

    /// The exit code of the contract: 4 when any line has an error, else the worst
    /// verdict (1 over 3 over 0). Skipped links do not count.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            4
        } else if self.failed > 0 {
            1
        } else if self.indeterminate > 0 {
            3
        } else {
            0
        }
    }

    /// `{"summary": {"files", "TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE", "unsigned",
    /// "errors", "seconds", "resumed", "skipped", "policy"}}`; `policy` is
    /// `{"name", "met", "unmet"}` of the run's validation policy (`null` when no file was
    /// verified), and `policies` lists every policy when a run used several.
    pub fn to_json(&self) -> Value {
        let mut o = json!({ "summary": {
            "files": self.files,
            "TOTAL_PASSED": self.passed,
            "TOTAL_FAILED": self.failed,
            "INDETERMINATE": self.indeterminate,
            "unsigned": self.unsigned,
            "errors": self.errors,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "policy": self.policies.first().map(PolicyCount::to_json),
        }});
        if self.policies.len() > 1 {
            o["summary"]["policies"] =
                Value::Array(self.policies.iter().map(PolicyCount::to_json).collect());
        }
        o
    }
}
