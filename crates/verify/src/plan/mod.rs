//! The renewal planner: for each signature file, when must the next archive time-stamp be
//! added, and why.
//!
//! A signature stays verifiable as long as its newest time-stamp does: the newest archive
//! time-stamp (v3 or v2) of each SignerInfo, else its signature time-stamp, else (B-B)
//! the signer certificate itself. That protection lapses at the earliest of
//!
//! * the notAfter of every certificate on its path (TSA or signer certificate up to the
//!   `--trust` anchor; when no path validates, the certificates found, chained by name);
//! * the sunset date ([`crate::sunset`]) of the token's signature algorithm and key size;
//! * the sunset date of the token's messageImprint hash, and — when only a signature
//!   time-stamp protects the signature — of the signature's own digest algorithm.
//!
//! `due` is that date minus the margin. [`PlanStatus`] compares both with the planning
//! time. Signed PDFs are planned by their newest document time-stamp, signed XML
//! documents by their newest XAdES archive time-stamp or signature time-stamp. Nothing is
//! verified here (see `verify`); the planner only reads structure, so it
//! works on files whose validation would need the network.

mod pdf;
mod render;
mod signer;
pub(crate) mod stamps;
mod walk;
mod xml;

use kenpo_core::cms::SignedDataView;
use time::{Date, OffsetDateTime};

pub use stamps::Protection;
pub use walk::{Collected, PlanInput, SkippedLink, collect, collect_inputs};

/// Version of the planner JSON (`schema_version`), see `docs/plan-schema.md`.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// Default renewal margin in days.
pub const DEFAULT_MARGIN_DAYS: i64 = 90;

/// At most this many SignerInfos of one file are planned (hostile input stays bounded).
pub const MAX_SIGNERS: usize = 64;

/// Margins are clamped to 0 ..= this many days (100 years).
pub const MAX_MARGIN_DAYS: i64 = 36_500;

/// What the planner works with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Trust anchors (DER certificates).
    pub anchors: Vec<Vec<u8>>,
    /// Further intermediate certificates (DER).
    pub cert_store: Vec<Vec<u8>>,
    /// Days before the earliest constraint by which the renewal is due (clamped to
    /// 0 ..= [`MAX_MARGIN_DAYS`]).
    pub margin_days: i64,
    /// The planning time ("now").
    pub at: OffsetDateTime,
}

/// Outcome for one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanStatus {
    /// Due later than the margin from the planning time.
    #[default]
    Ok,
    /// Due within the margin from the planning time (or already past due), but the
    /// constraint itself has not passed.
    DueSoon,
    /// The constraint date itself has passed: a renewal time-stamp can no longer be added
    /// in time.
    Overdue,
    /// Not a CMS signature (nor a signed PDF or XML document).
    Unsigned,
    /// Unreadable or malformed.
    Error,
}

impl PlanStatus {
    /// Name used in reports (`ok`, `due-soon`, `overdue`, `unsigned`, `error`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::DueSoon => "due-soon",
            Self::Overdue => "overdue",
            Self::Unsigned => "unsigned",
            Self::Error => "error",
        }
    }
}

/// What a constraint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstraintKind {
    /// A certificate's notAfter.
    CertificateExpiry,
    /// A signature algorithm and key size.
    SignatureAlgorithm,
    /// A hash algorithm.
    DigestAlgorithm,
}

impl ConstraintKind {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::CertificateExpiry => "certificate-expiry",
            Self::SignatureAlgorithm => "signature-algorithm",
            Self::DigestAlgorithm => "digest-algorithm",
        }
    }
}

/// One constraint considered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// What it is about.
    pub kind: ConstraintKind,
    /// When it lapses (`None`: the policy sets no date).
    pub date: Option<OffsetDateTime>,
    /// English description, e.g. `RSA-2048 sunset 2029-01-01 (…)`.
    pub description: String,
}

/// The plan for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilePlan {
    /// The file as given or found.
    pub path: String,
    /// Outcome.
    pub status: PlanStatus,
    /// Level as far as the structure tells (`B-B` … `B-LTA`).
    pub level: Option<&'static str>,
    /// What protects the signature.
    pub protected_by: Option<Protection>,
    /// genTime of that time-stamp.
    pub gen_time: Option<OffsetDateTime>,
    /// Subject of the TSA (or signer) certificate.
    pub certificate: Option<String>,
    /// Whether its path validated to a `--trust` anchor.
    pub path_validated: bool,
    /// The earliest constraint date.
    pub deadline: Option<OffsetDateTime>,
    /// `deadline − margin`.
    pub due: Option<Date>,
    /// The constraint that sets the deadline.
    pub reason: Option<String>,
    /// Every constraint considered, earliest first (undated last).
    pub constraints: Vec<Constraint>,
    /// Remarks (no path, unreadable tokens, other signers …).
    pub notes: Vec<String>,
    /// Error or unsigned message.
    pub message: Option<String>,
    /// The file could not be read at all (operational error).
    pub unreadable: bool,
}

impl FilePlan {
    fn failed(path: &str, status: PlanStatus, message: String) -> Self {
        Self {
            path: path.to_owned(),
            status,
            message: Some(message),
            ..Self::default()
        }
    }

    /// A file that could not be read.
    pub fn unreadable(path: &str, message: String) -> Self {
        Self {
            unreadable: true,
            ..Self::failed(path, PlanStatus::Error, message)
        }
    }
}

/// The plans for a set of files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanReport {
    /// Planning time.
    pub at: OffsetDateTime,
    /// Margin in days.
    pub margin_days: i64,
    /// One entry per file, sorted by due date (files without one last).
    pub files: Vec<FilePlan>,
    /// Symbolic links leaving a walked folder: not read (see [`collect`]).
    pub skipped: Vec<SkippedLink>,
}

impl PlanReport {
    /// Sorts `files` by due date and wraps them.
    pub fn new(mut files: Vec<FilePlan>, opts: &PlanOptions) -> Self {
        files.sort_by(|a, b| {
            (a.due.is_none(), a.due, &a.path).cmp(&(b.due.is_none(), b.due, &b.path))
        });
        Self {
            at: opts.at,
            margin_days: opts.margin_days,
            files,
            skipped: Vec::new(),
        }
    }

    /// The report with the links skipped by the walk ([`Collected::skipped`]).
    #[must_use]
    pub fn with_skipped(mut self, skipped: Vec<SkippedLink>) -> Self {
        self.skipped = skipped;
        self
    }

    /// The earliest due date.
    pub fn earliest_due(&self) -> Option<Date> {
        self.files.iter().filter_map(|f| f.due).min()
    }

    /// Exit code: 4 when a file was unreadable, else 1 when something is overdue, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.files.iter().any(|f| f.unreadable) {
            4
        } else if self.files.iter().any(|f| f.status == PlanStatus::Overdue) {
            1
        } else {
            0
        }
    }
}

/// Plans every file of `inputs` (see [`collect_inputs`]).
pub fn plan_inputs(inputs: &[PlanInput], opts: &PlanOptions) -> PlanReport {
    let files = inputs
        .iter()
        .map(|i| match std::fs::read(&i.path) {
            Ok(data) => plan_bytes(&i.path.display().to_string(), &data, i.signature_name, opts),
            Err(e) => {
                FilePlan::unreadable(&i.path.display().to_string(), format!("cannot read: {e}"))
            }
        })
        .collect();
    PlanReport::new(files, opts)
}

/// Plans one file's bytes. `expect_signature` (a `.p7s`-style name) makes a file that is
/// not CMS an error rather than "unsigned".
pub fn plan_bytes(path: &str, data: &[u8], expect_signature: bool, opts: &PlanOptions) -> FilePlan {
    if crate::validate::is_pdf_file(data) {
        return pdf::plan_pdf(path, data, opts);
    }
    if kenpo_xml::looks_like_xml(data) {
        // XAdES / XMLDSig: by the newest archive or signature time-stamp (see `xml`).
        return xml::plan_xml(path, data, opts);
    }
    let pem_decoded = kenpo_core::pem::der_of(data);
    let (first, trailing) = crate::inspect::first_value(&pem_decoded);
    // Borrowed when the input is DER already: the file's bytes are the only copy.
    let der = match kenpo_core::ber::to_der(first) {
        Ok(d) => d,
        Err(e) => return not_cms(path, expect_signature, format!("not BER/DER: {e}")),
    };
    let sd = match SignedDataView::parse(&der) {
        Ok(sd) => sd,
        Err(e) => return not_cms(path, expect_signature, format!("not a CMS SignedData: {e}")),
    };
    let trailing_note =
        (trailing > 0).then(|| format!("{trailing} bytes after the signature ignored"));
    if sd.signer_infos.is_empty() {
        return FilePlan::failed(
            path,
            PlanStatus::Unsigned,
            "SignedData without SignerInfo".into(),
        );
    }
    let mut pool: Vec<Vec<u8>> = sd.x509_certificates().map(<[u8]>::to_vec).collect();
    pool.extend(opts.cert_store.iter().cloned());
    let mut plans: Vec<FilePlan> = sd
        .signer_infos
        .iter()
        .take(MAX_SIGNERS)
        .map(|si| signer::plan_signer(path, &sd, si, &pool, opts))
        .collect();
    let n = plans.len();
    let idx = (0..n)
        .min_by_key(|&i| (plans[i].deadline.is_none(), plans[i].deadline))
        .unwrap_or(0);
    let mut chosen = plans.swap_remove(idx);
    if n > 1 {
        chosen.notes.push(format!(
            "{n} SignerInfos; the one with the earliest deadline (#{}) is shown",
            idx + 1
        ));
    }
    if sd.signer_infos.len() > MAX_SIGNERS {
        chosen.notes.push(format!(
            "only the first {MAX_SIGNERS} of {} SignerInfos were planned",
            sd.signer_infos.len()
        ));
    }
    let failed = plans
        .iter()
        .filter(|p| p.status == PlanStatus::Error)
        .count();
    if failed > 0 {
        chosen
            .notes
            .push(format!("{failed} other SignerInfo(s) could not be planned"));
    }
    chosen.notes.extend(trailing_note);
    chosen
}

/// The plan of a time-stamp token on its own (a PAdES document time-stamp, a XAdES
/// time-stamp): a CMS signed by the TSA, planned as such, its constraints named for the
/// TSA (`TSA certificate …`, `time-stamp key`) rather than for a signer.
pub(crate) fn plan_token(path: &str, token: &[u8], opts: &PlanOptions) -> FilePlan {
    let mut p = plan_bytes(path, token, true, opts);
    let relabel = |s: &str| {
        s.replacen("signer certificate ", "TSA certificate ", 1)
            .replacen("; signer key)", "; time-stamp key)", 1)
            .replacen("; signature ", "; time-stamp signature ", 1)
    };
    for c in &mut p.constraints {
        c.description = relabel(&c.description);
    }
    p.reason = p.reason.as_deref().map(relabel);
    p
}

fn not_cms(path: &str, expect_signature: bool, message: String) -> FilePlan {
    let status = if expect_signature {
        PlanStatus::Error
    } else {
        PlanStatus::Unsigned
    };
    FilePlan::failed(path, status, message)
}
