//! The work on one file: size limit, SHA-256, `--resume` check, verification or intake
//! time-stamp, outputs. Panics and time limits are handled by the caller
//! ([`super::engine`]).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use kenpo_core::alg::{Digest, DigestAlgorithm};

use super::SignatureVerifier;
use super::archive::Archiver;
use super::result::{Category, FileError, FileKind, FileResult, Intake, Verdict};
use super::resume::ResumeIndex;
use super::walk::{FileId, Job, check_opened};
use crate::Indication;
use crate::report::Report;

/// What every job shares.
pub(crate) struct Ctx {
    pub verifier: Arc<dyn SignatureVerifier>,
    pub max_file_bytes: u64,
    pub resume: Option<ResumeIndex>,
    pub archive: Option<Archiver>,
    /// The walked folder, resolved: opened files must still be inside it.
    pub root: std::path::PathBuf,
}

/// Processes one file; never panics on its own account (the caller catches the rest).
pub(crate) fn process(ctx: &Ctx, job: &Job) -> FileResult {
    let start = Instant::now();
    let mut r = job.result();
    let outcome = match job.kind {
        FileKind::Unsigned if signed_pdf(ctx, job) => {
            r.kind = FileKind::Signed;
            signed(ctx, job, &mut r)
        }
        FileKind::Signed => signed(ctx, job, &mut r),
        // An `*.xml` file that carries an XML signature (XAdES, XMLDSig) is a signed file.
        FileKind::Unsigned if carries_xml_signature(ctx, job) => {
            r.kind = FileKind::Signed;
            signed(ctx, job, &mut r)
        }
        FileKind::Unsigned => unsigned(ctx, job, &mut r),
        FileKind::Directory | FileKind::Skipped => Ok(()),
    };
    if let Err(e) = outcome {
        r.error = Some(e);
    }
    r.elapsed = start.elapsed();
    r
}

/// Whether the job is a `*.pdf` that holds signatures (read with kenpo-pdf: a PDF whose
/// signature fields, or document time-stamps, are signed). Anything unreadable is left to
/// the unsigned path (an intake time-stamp like any unsigned file).
fn signed_pdf(ctx: &Ctx, job: &Job) -> bool {
    let is_pdf_name = job
        .path
        .extension()
        .and_then(std::ffi::OsStr::to_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !is_pdf_name || job.content.is_some() {
        return false;
    }
    let Ok((f, _)) = open_limited(
        ctx,
        &job.path,
        job.walked.as_ref(),
        ctx.max_file_bytes,
        "open",
    ) else {
        return false;
    };
    let Ok(src) = kenpo_pdf::SeekSource::new(f) else {
        return false;
    };
    kenpo_pdf::Document::open(src, kenpo_pdf::Budget::default())
        .and_then(|mut d| d.signatures())
        .is_ok_and(|s| !s.is_empty())
}

/// Opens a regular file of at most `limit` bytes, the one the walk found (`walked`, see
/// [`check_opened`]); returns it with its size.
fn open_limited(
    ctx: &Ctx,
    path: &Path,
    walked: Option<&FileId>,
    limit: u64,
    op: &'static str,
) -> Result<(std::fs::File, u64), FileError> {
    let f = std::fs::File::open(path).map_err(|source| FileError::Io { op, source })?;
    let m = f
        .metadata()
        .map_err(|source| FileError::Io { op, source })?;
    if !m.is_file() {
        return Err(FileError::NotRegular("not a regular file"));
    }
    check_opened(&m, path, walked, &ctx.root)?;
    if m.len() > limit {
        return Err(FileError::TooLarge {
            size: m.len(),
            limit,
        });
    }
    Ok((f, m.len()))
}

/// Streams `f` through SHA-256, refusing to read more than `limit` bytes (files may grow).
fn sha256_of(f: std::fs::File, limit: u64, op: &'static str) -> Result<Digest, FileError> {
    let mut h = DigestAlgorithm::Sha256.hasher();
    let n = std::io::copy(&mut f.take(limit.saturating_add(1)), &mut h)
        .map_err(|source| FileError::Io { op, source })?;
    if n > limit {
        return Err(FileError::TooLarge { size: n, limit });
    }
    Ok(h.finalize())
}

/// `--resume`: the previous line's category when the file (and its content) is unchanged
/// and, with `--archive`, its outputs were made.
fn resumed(ctx: &Ctx, r: &FileResult) -> Option<Category> {
    let e = ctx.resume.as_ref()?.get(&r.path.to_string_lossy())?;
    if Some(&e.sha256) != r.sha256.as_ref() || e.content_sha256 != r.content_sha256 {
        return None;
    }
    let wants_output = ctx.archive.is_some()
        && matches!(
            e.category,
            Category::Unsigned | Category::Verdict(Indication::TotalPassed)
        );
    (!wants_output || e.outputs_done).then_some(e.category)
}

fn signed(ctx: &Ctx, job: &Job, r: &mut FileResult) -> Result<(), FileError> {
    let limit = ctx.max_file_bytes;
    let (f, len) = open_limited(ctx, &job.path, job.walked.as_ref(), limit, "open")?;
    // Room for the whole file and the end-of-file probe: one read, then one that returns 0
    // (the file may still grow; `take` bounds it).
    let mut bytes = Vec::with_capacity(usize::try_from(len).map_or(0, |n| n.saturating_add(1)));
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| FileError::Io { op: "read", source })?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    r.sha256 = Some(DigestAlgorithm::Sha256.digest(&bytes).to_hex());
    if let Some(c) = &job.content {
        let op = "read the detached content";
        let d = sha256_of(
            open_limited(ctx, c, job.content_walked.as_ref(), limit, op)?.0,
            limit,
            op,
        )?;
        r.content_sha256 = Some(d.to_hex());
    }
    let xml = job.content.is_none() && kenpo_xml::looks_like_xml(&bytes);
    if xml {
        attachments(ctx, job, &bytes, r)?;
    }
    if let Some(c) = resumed(ctx, r) {
        r.resumed = Some(c);
        return Ok(());
    }
    let report = if xml {
        ctx.verifier
            .verify_with_attachments(&bytes, &r.attachments)?
    } else {
        ctx.verifier.verify(&bytes, job.content.as_deref())?
    };
    let verdict = verdict_of(&report);
    let passed = verdict.indication == Indication::TotalPassed;
    r.verdict = Some(verdict);
    let Some(a) = ctx.archive.as_ref().filter(|a| a.extends() && passed) else {
        return Ok(());
    };
    if !xml {
        r.archived = Some(a.extend(&bytes, job)?);
    } else if is_xades(&bytes) {
        r.archived = Some(a.extend_xml(&bytes, &r.attachments, job)?);
    } else {
        r.notes.push(format!(
            "{NOT_EXTENDED}: verified, not extended; only a XAdES signature gains long-term properties"
        ));
    }
    Ok(())
}

/// How the note on a passing plain XMLDSig under `--archive` begins (`--resume` reads it:
/// such a line has no output to make).
pub(crate) const NOT_EXTENDED: &str = "plain XMLDSig (no XAdES QualifyingProperties)";

/// Whether the XML document's first signature is XAdES (has QualifyingProperties).
fn is_xades(xml: &[u8]) -> bool {
    let Ok(utf8) = kenpo_xml::to_utf8(xml) else {
        return false;
    };
    let Ok(doc) = kenpo_xml::Document::parse(&utf8, &kenpo_xml::Limits::default()) else {
        return false;
    };
    doc.signatures()
        .first()
        .and_then(|&n| doc.read_signature(n).ok())
        .and_then(|s| doc.qualifying_properties(&s).ok().flatten())
        .is_some()
}

/// An XML signature's attachments (its references resolved beside it, inside the walked
/// folder): recorded on `r` with their combined digest as `content_sha256` (the SHA-256 of
/// one `HEX  NAME` line per attachment), so that `--resume` sees a changed attachment.
fn attachments(ctx: &Ctx, job: &Job, xml: &[u8], r: &mut FileResult) -> Result<(), FileError> {
    let found = crate::validate::xml_attachments(&job.path, xml);
    r.notes.extend(
        found
            .refused
            .into_iter()
            .map(|e| format!("reference not resolved: {e}")),
    );
    if found.files.is_empty() {
        return Ok(());
    }
    let limit = ctx.max_file_bytes;
    let op = "read an attachment";
    let mut lines = String::new();
    for f in found.files {
        // `None`: not found by the walk; it must be a regular file inside the folder.
        let d = sha256_of(open_limited(ctx, &f, None, limit, op)?.0, limit, op)?;
        lines.push_str(&format!(
            "{}  {}\n",
            d.to_hex(),
            f.file_name().unwrap_or_default().to_string_lossy()
        ));
        r.attachments.push(f);
    }
    r.content_sha256 = Some(DigestAlgorithm::Sha256.digest(lines.as_bytes()).to_hex());
    Ok(())
}

/// The XMLDSig namespace, whose presence marks an XML file as carrying a signature.
const DSIG_NS: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";

/// Whether `job` is an `*.xml` file (any case) within the size limit that is XML and names
/// the XMLDSig namespace (the verification then finds its `ds:Signature` elements).
fn carries_xml_signature(ctx: &Ctx, job: &Job) -> bool {
    let xml_name = job
        .path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
    if !xml_name {
        return false;
    }
    let limit = ctx.max_file_bytes;
    let Ok((f, _)) = open_limited(ctx, &job.path, job.walked.as_ref(), limit, "open") else {
        return false;
    };
    let mut bytes = Vec::new();
    if f.take(limit).read_to_end(&mut bytes).is_err() {
        return false;
    }
    kenpo_xml::looks_like_xml(&bytes) && bytes.windows(DSIG_NS.len()).any(|w| w == DSIG_NS)
}

fn unsigned(ctx: &Ctx, job: &Job, r: &mut FileResult) -> Result<(), FileError> {
    let limit = ctx.max_file_bytes;
    let digest = sha256_of(
        open_limited(ctx, &job.path, job.walked.as_ref(), limit, "open")?.0,
        limit,
        "read",
    )?;
    r.sha256 = Some(digest.to_hex());
    if let Some(c) = resumed(ctx, r) {
        r.resumed = Some(c);
        return Ok(());
    }
    if let Some(a) = &ctx.archive {
        let (gen_time, tsr) = a.intake(&digest, job)?;
        r.intake = Some(Intake { gen_time, tsr });
    }
    Ok(())
}

/// The file's verdict: the report's indication, with the level of the first signature
/// that has that indication.
pub(crate) fn verdict_of(report: &Report) -> Verdict {
    let level = report
        .signatures
        .iter()
        .find(|s| s.indication == report.indication)
        .or(report.signatures.first())
        .map_or("B-B", |s| s.level);
    Verdict {
        indication: report.indication,
        sub_indication: report.sub_indication,
        level,
        policy: report.policy.clone(),
        policy_met: report.signatures.iter().all(|s| s.policy_unmet.is_empty()),
    }
}
