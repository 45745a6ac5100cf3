//! PAdES signature creation (ETSI EN 319 142-1): baseline B-B and B-T, and the legacy
//! `adbe.pkcs7.detached` form that public systems still send.
//!
//! The signature is the CAdES engine's detached CMS `SignedData` over the bytes the
//! signature dictionary's `/ByteRange` covers, embedded in `/Contents` of an incremental
//! update that [`kenpo_pdf`] writes after the unchanged input:
//!
//! * `ETSI.CAdES.detached` (default): PAdES baseline. The claimed signing time is the
//!   dictionary's `/M`; the CMS carries **no signing-time attribute** (EN 319 142-1, 5.3:
//!   it shall not be present), but content-type, message-digest and
//!   signing-certificate-v2; B-T adds the signature time-stamp as an unsigned attribute.
//! * `adbe.pkcs7.detached`: the same CMS with the signing-time attribute (ISO 32000-1
//!   allows it; readers of that form expect it), and `/M`.
//!
//! Everything the CAdES path checks applies unchanged: profile, validity, key match,
//! rule 27-1(3) at genTime, audit log ([`crate::cades`]). `/Contents` is sized from the
//! real certificate and token sizes; if the container does not fit, the signature is made
//! again with a larger placeholder (the byte range changes with it).
//!
//! The input PDF is parsed in windows, then copied into the temporary output file and
//! hashed in the same pass (large blocks, writing on a second thread; see
//! `cades::copy`): memory does not depend on its size, the input is read once, and what
//! is signed is exactly what was written. A document whose length changed since it was
//! parsed is refused. Output is written atomically (synced, then renamed).

use std::path::Path;

use kenpo_core::alg::Digest;
use kenpo_pdf::{Budget, Document, SeekSource, SignatureOptions, SubFilter};
use time::OffsetDateTime;

use crate::Signer;
use crate::cades::assemble;
use crate::cades::digest::DocumentHasher;
use crate::cades::engine::{self, Trail};
use crate::cades::{SignError, SignOptions, Signed, output};

/// The PDF-specific choices of a PAdES signature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PadesOptions {
    /// `/SubFilter`: [`SubFilter::EtsiCadesDetached`] (default) or
    /// [`SubFilter::AdbePkcs7Detached`].
    pub sub_filter: SubFilter,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// Bytes to reserve for the CMS; `None` estimates from the certificates (and token).
    pub contents_capacity: Option<usize>,
}

impl PadesOptions {
    /// The defaults: `ETSI.CAdES.detached`, no reason or location, estimated capacity.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`PadesOptions::sub_filter`].
    #[must_use]
    pub fn with_sub_filter(mut self, s: SubFilter) -> Self {
        self.sub_filter = s;
        self
    }
    /// Sets [`PadesOptions::reason`].
    #[must_use]
    pub fn with_reason(mut self, r: Option<String>) -> Self {
        self.reason = r;
        self
    }
    /// Sets [`PadesOptions::location`].
    #[must_use]
    pub fn with_location(mut self, l: Option<String>) -> Self {
        self.location = l;
        self
    }
    /// Sets [`PadesOptions::contents_capacity`].
    #[must_use]
    pub fn with_contents_capacity(mut self, c: Option<usize>) -> Self {
        self.contents_capacity = c;
        self
    }
}

/// A PDF date (`D:YYYYMMDDHHmmSSZ`) in UTC.
pub fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Signs the PDF `doc` (PAdES) and writes the signed PDF to `out` atomically: the input's
/// bytes unchanged, then an incremental update with the signature. [`Signed::der`] is the
/// embedded CMS; [`Signed::output_len`] the output's length.
pub fn sign_pdf_file_to(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    pdf: &PadesOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = sign_inner(signer, doc, out, opts, pdf, &mut trail);
    crate::cades::audited_commit(opts, &trail, doc, out, result)
}

/// The placeholder size: the certificates, the signer info, and a time-stamp token for
/// B-T, with headroom.
fn estimate(signer: &dyn Signer, opts: &SignOptions) -> usize {
    let certs: usize = engine::certificates(signer).iter().map(|c| c.len()).sum();
    let token = if opts.level == crate::Level::BT {
        12 * 1024
    } else {
        0
    };
    certs + 4096 + token
}

fn sign_inner(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    pdf: &PadesOptions,
    trail: &mut Trail,
) -> Result<(Signed, output::Pending), SignError> {
    check_options(opts, pdf)?;
    let p = engine::prepare(signer, opts, trail)?;
    let capacity = pdf
        .contents_capacity
        .unwrap_or_else(|| estimate(signer, opts));
    let prepared = prepare_update(doc, pdf, &p, capacity)?;
    // One pass over the input: copied into the temporary output and hashed on the way,
    // so that what is signed is exactly what was written (the input is read once).
    // The key's first-use work (random generator seeding) runs meanwhile, on the core the
    // copy leaves mostly idle.
    let copied = std::thread::scope(|s| {
        s.spawn(|| signer.key().warm_up());
        output::copy_document(out, doc, p.alg.digest())
    })?;
    let input = copied.hasher.clone().finalize();
    let changed = || SignError::DocumentChanged {
        path: doc.to_path_buf(),
    };
    if input.len != prepared.input_len() {
        return Err(changed());
    }
    trail.document_sha256 = Some(input.sha256.to_hex());
    let (signed, prepared) = fill(
        signer,
        opts,
        pdf,
        &p,
        trail,
        &copied.hasher,
        prepared,
        |capacity| {
            let again = prepare_update(doc, pdf, &p, capacity)?;
            if again.input_len() != input.len {
                return Err(changed());
            }
            Ok(again)
        },
    )?;
    let pending = copied.append(prepared.appended())?;
    let mut signed = signed;
    signed.output_len = pending.len;
    Ok((signed, pending))
}

/// Signs the byte range of `prepared` (the input's state in `input`, continued with the
/// update's head and tail) and fills `/Contents`; one retry through `reprepare` with room
/// for a container larger than estimated.
#[allow(clippy::too_many_arguments)]
fn fill(
    signer: &dyn Signer,
    opts: &SignOptions,
    pdf: &PadesOptions,
    p: &engine::Prepared<'_>,
    trail: &mut Trail,
    input: &DocumentHasher,
    mut prepared: kenpo_pdf::Prepared,
    mut reprepare: impl FnMut(usize) -> Result<kenpo_pdf::Prepared, SignError>,
) -> Result<(Signed, kenpo_pdf::Prepared), SignError> {
    let input_digests = input.clone().finalize();
    for attempt in 0..2 {
        // The byte-range digest (input ‖ head ‖ tail) continues from the input's state.
        let mut range_h = input.clone();
        range_h.update(prepared.head());
        range_h.update(prepared.tail());
        let range = range_h.finalize();

        let signing_time = pdf.sub_filter == SubFilter::AdbePkcs7Detached;
        let built = engine::sign_prepared_with(p, &range.signed, opts, trail, signing_time)?;
        let framing = assemble::framing(
            p.alg.digest(),
            None,
            &engine::certificates(signer),
            &built.signer_info,
        )?;
        let der = [framing.prefix.as_slice(), framing.suffix.as_slice()].concat();
        match prepared.fill_contents(&der) {
            Ok(()) => {}
            Err(kenpo_pdf::PdfError::ContentsTooSmall { need, .. }) if attempt == 0 => {
                prepared = reprepare(need + 2048)?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let len = prepared.input_len() + prepared.appended().len() as u64;
        let mut signed = crate::cades::outcome(p, &built, Some(&input_digests), der, len, opts);
        signed.document_digest = range.signed;
        return Ok((signed, prepared));
    }
    Err(SignError::Pdf(kenpo_pdf::PdfError::Structure {
        what: "the signature does not fit /Contents",
    }))
}

/// Signs the PDF held in `doc` (PAdES) and returns the signed PDF: `doc`'s bytes
/// unchanged, then an incremental update with the signature — for filing software that
/// holds documents in memory. Everything [`sign_pdf_file_to`] checks applies, and the
/// audit log records the signing; large files are better signed from a path (streamed).
pub fn sign_pdf(
    signer: &dyn Signer,
    doc: &[u8],
    opts: &SignOptions,
    pdf: &PadesOptions,
) -> Result<(Vec<u8>, Signed), SignError> {
    let mut trail = Trail::default();
    let result = sign_bytes_inner(signer, doc, opts, pdf, &mut trail);
    let (bytes, signed) = match result {
        Ok((b, s)) => (Some(b), Ok(s)),
        Err(e) => (None, Err(e)),
    };
    let signed = crate::cades::audited(opts, &trail, None, None, signed)?;
    Ok((bytes.unwrap_or_default(), signed))
}

fn sign_bytes_inner(
    signer: &dyn Signer,
    doc: &[u8],
    opts: &SignOptions,
    pdf: &PadesOptions,
    trail: &mut Trail,
) -> Result<(Vec<u8>, Signed), SignError> {
    check_options(opts, pdf)?;
    let p = engine::prepare(signer, opts, trail)?;
    let prepare = |capacity: usize| -> Result<kenpo_pdf::Prepared, SignError> {
        let mut pdoc = Document::open(doc, Budget::default())?;
        Ok(kenpo_pdf::prepare_signature(
            &mut pdoc,
            &signature_options(pdf, &p, capacity),
        )?)
    };
    let capacity = pdf
        .contents_capacity
        .unwrap_or_else(|| estimate(signer, opts));
    let prepared = prepare(capacity)?;
    let mut hasher = DocumentHasher::new(p.alg.digest());
    hasher.update(doc);
    trail.document_sha256 = Some(hasher.clone().finalize().sha256.to_hex());
    let (signed, prepared) = fill(signer, opts, pdf, &p, trail, &hasher, prepared, prepare)?;
    Ok((prepared.to_vec(doc), signed))
}

/// Refuses what a PAdES signature cannot be: attached, or a document time-stamp.
fn check_options(opts: &SignOptions, pdf: &PadesOptions) -> Result<(), SignError> {
    if opts.attached {
        return Err(SignError::Pdf(kenpo_pdf::PdfError::Structure {
            what: "a PAdES signature is always embedded in the PDF: --attached does not apply",
        }));
    }
    if pdf.sub_filter == SubFilter::EtsiRfc3161 {
        return Err(SignError::Pdf(kenpo_pdf::PdfError::Structure {
            what: "ETSI.RFC3161 is a document time-stamp, not a signature",
        }));
    }
    Ok(())
}

/// The signature dictionary's options: `/SubFilter`, `/M`, reason and location.
fn signature_options(
    pdf: &PadesOptions,
    p: &engine::Prepared<'_>,
    capacity: usize,
) -> SignatureOptions {
    let mut sopts =
        SignatureOptions::new(pdf.sub_filter, capacity).with_signing_time(pdf_date(p.now));
    if let Some(r) = &pdf.reason {
        sopts = sopts.with_reason(r.clone());
    }
    if let Some(l) = &pdf.location {
        sopts = sopts.with_location(l.clone());
    }
    sopts
}

/// Parses `doc` and prepares its incremental update with a `/Contents` placeholder of
/// `capacity` bytes.
fn prepare_update(
    doc: &Path,
    pdf: &PadesOptions,
    p: &engine::Prepared<'_>,
    capacity: usize,
) -> Result<kenpo_pdf::Prepared, SignError> {
    let file = std::fs::File::open(doc)
        .map_err(|e| SignError::io(format!("reading {}", doc.display()), e))?;
    let mut pdoc = Document::open(SeekSource::new(file)?, Budget::default())?;
    Ok(kenpo_pdf::prepare_signature(
        &mut pdoc,
        &signature_options(pdf, p, capacity),
    )?)
}

/// The digest of the byte range of a prepared update over `input` (for tests and
/// callers that sign elsewhere).
pub fn byte_range_digest(
    alg: kenpo_core::alg::DigestAlgorithm,
    input: &[u8],
    prepared: &kenpo_pdf::Prepared,
) -> Digest {
    let mut h = DocumentHasher::new(alg);
    h.update(input);
    h.update(prepared.head());
    h.update(prepared.tail());
    h.finalize().signed
}
