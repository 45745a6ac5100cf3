//! CAdES signature creation (ETSI EN 319 122-1): baseline B-B and B-T.
//!
//! A signature is a CMS `SignedData` with one SignerInfo:
//!
//! * signed attributes — content-type (id-data), message-digest, signing-time (UTCTime,
//!   GeneralizedTime from 2050), signing-certificate-v2 (ESSCertIDv2, SHA-256 with
//!   issuerSerial) and, on request, a content time-stamp (id-aa-ets-contentTimestamp)
//!   obtained before signing; DER-sorted;
//! * certificates — the signer's, then its chain;
//! * B-T — the unsigned attribute id-aa-signatureTimeStampToken, whose value is the TSA's
//!   token exactly as received, over the hash of the signature value's octets. The TSAs
//!   are tried in order and each answer is verified before it is embedded.
//!
//! ## Rule 27-1(3)
//!
//! Once the signature time-stamp is back, the signer certificate must be valid at genTime
//! and — when a [`RevocationCheck`](kenpo_revocation::RevocationCheck) is given in
//! [`SignOptions::revocation`] — not revoked at genTime (rule 27-1(3)). Otherwise signing
//! fails with the reason ([`SignError::NotValidAtGenTime`], [`SignError::RevokedAtGenTime`])
//! and nothing is written. An `Unknown` revocation status does not stop signing; it is
//! returned in [`Signed::revocation`].
//!
//! ## Before the key is used
//!
//! The level, the profile ([`crate::profile`]), the certificate's validity now, the key
//! matching the certificate, the algorithm fitting the key and the TSA configuration are
//! checked before the document is read and before the private key signs anything
//! ([`preflight`] runs exactly these checks on their own).
//!
//! ## Streaming
//!
//! Documents are hashed as a stream in 256 KiB blocks. [`sign_file_to`] with attached
//! content writes the DER header (its definite lengths follow from the file size), copies
//! the file while hashing it again (a document changed in the meantime is refused) and
//! writes the rest: memory use does not depend on the document size.
//!
//! ## Audit
//!
//! With [`SignOptions::audit`] set, every attempt appends one line to the log, refusals
//! included ([`crate::audit`]).
//!
//! # Examples
//!
//! Sign a byte slice (B-B, detached):
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())?;
//! # let e = pki.entity("hpki-signer")?;
//! # let signer = kenpo_sign::signer::SoftwareSigner::from_parts(
//! #     kenpo_core::crypto::default_backend().load_pkcs8(&e.key_pkcs8_der)?,
//! #     e.cert_der.clone(),
//! #     vec![pki.entity("hpki-sign-ca")?.cert_der.clone()],
//! # )?;
//! use kenpo_core::alg::DigestAlgorithm;
//! use kenpo_sign::{Profile, cades::{SignOptions, sign_bytes}};
//!
//! let opts = SignOptions::default().with_profile(Profile::Hpki);
//! let signed = sign_bytes(&signer, b"<claim/>", &opts)?;
//! assert_eq!(signed.signer_summary.hc_roles, ["Medical Doctor"]);
//! assert_eq!(signed.document_sha256, Some(DigestAlgorithm::Sha256.digest(b"<claim/>")));
//! let p7s: &[u8] = &signed.der; // DER ContentInfo, detached
//! # assert!(!p7s.is_empty());
//! # Ok(()) }
//! ```
//!
//! Sign a file with B-T (detached), time-stamped by the first TSA that answers:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::{Path, PathBuf};
//! use kenpo_sign::signer::SoftwareSigner;
//! use kenpo_sign::{Level, Profile, cades::{SignOptions, sign_file_to}};
//! use kenpo_tsa::client::ClientConfig;
//!
//! let opts = SignOptions::default()
//!     .with_level(Level::BT)
//!     .with_profile(Profile::Hpki)
//!     .with_tsa(Some(ClientConfig::new(["https://tsa.invalid/", "https://backup.invalid/"])));
//! let signer = SoftwareSigner::from_pem_files(
//!     Path::new("signer.pem"),
//!     Path::new("signer.key.pem"),
//!     &[PathBuf::from("hpki-sign-ca.pem")],
//!     kenpo_core::crypto::default_backend(),
//! )?;
//! let signed = sign_file_to(&signer, Path::new("claim.xml"), Path::new("claim.xml.p7s"), &opts)?;
//! println!("time-stamped at {:?}", signed.timestamp_gen_time);
//! # Ok(()) }
//! ```

pub(crate) mod assemble;
mod attrs;
pub(crate) mod copy;
pub(crate) mod digest;
pub(crate) mod engine;
mod error;
mod options;
pub(crate) mod output;
pub(crate) mod rule27;
mod timestamp;

use std::io::Read;
use std::path::Path;

use kenpo_core::alg::{Digest, DigestAlgorithm, SignatureAlgorithm};
use kenpo_revocation::RevocationStatus;
use time::OffsetDateTime;

pub use attrs::{add_unsigned_attrs, time_stamp_token};
pub use digest::DocumentDigests;
pub use error::{SignError, crl_reason_name};
pub use options::SignOptions;

use crate::audit::AuditRecord;
use crate::profile::{SignerInfoSummary, profile_name};
use crate::{Level, Signer};
use engine::{Built, Prepared, Trail};

/// The outcome of a successful signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The DER `ContentInfo { SignedData }`. Empty for [`sign_file_to`] with attached
    /// content, whose output is streamed to the file only (see [`Signed::output_len`]).
    pub der: Vec<u8>,
    /// Length of the whole encoding (of the output file for [`sign_file_to`]).
    pub output_len: u64,
    /// What the signer certificate says (subject, roles, policies, validity).
    pub signer_summary: SignerInfoSummary,
    /// The message-digest attribute value: the document's digest with the signature
    /// algorithm's hash.
    pub document_digest: Digest,
    /// SHA-256 of the document; `None` only for [`sign_digest`] with another hash.
    pub document_sha256: Option<Digest>,
    /// Document length in bytes; `None` for [`sign_digest`].
    pub document_len: Option<u64>,
    /// The signature algorithm used.
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature value (what the signature time-stamp covers).
    pub signature_value: Vec<u8>,
    /// The signing-time attribute's value.
    pub signing_time: OffsetDateTime,
    /// Level created.
    pub level: Level,
    /// Whether the content is attached.
    pub attached: bool,
    /// B-T: the embedded signature time-stamp token, exactly as received.
    pub timestamp_token: Option<Vec<u8>>,
    /// B-T: genTime of the signature time-stamp.
    pub timestamp_gen_time: Option<OffsetDateTime>,
    /// B-T: the TSA that issued it.
    pub tsa_url: Option<String>,
    /// genTime of the content time-stamp, when one was added.
    pub content_timestamp_gen_time: Option<OffsetDateTime>,
    /// Revocation status of the signer certificate (at genTime for B-T, at signing time
    /// for B-B), when a checker was given. `Unknown` is reported here, not refused.
    pub revocation: Option<RevocationStatus>,
}

/// `B-B`, `B-T`, `B-LT`, `B-LTA`.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::BB => "B-B",
        Level::BT => "B-T",
        Level::BLT => "B-LT",
        Level::BLTA => "B-LTA",
    }
}

/// Runs every check made before the private key is used (level, profile, validity now,
/// key ↔ certificate, algorithm, TSA configuration, B-B revocation) without signing, and
/// returns the signer summary for a confirmation step.
pub fn preflight(signer: &dyn Signer, opts: &SignOptions) -> Result<SignerInfoSummary, SignError> {
    let mut trail = Trail::default();
    engine::prepare(signer, opts, &mut trail).map(|p| p.summary)
}

/// Hashes a document as a stream with `alg` (and SHA-256).
pub fn document_digests<R: Read>(
    alg: DigestAlgorithm,
    reader: R,
) -> std::io::Result<DocumentDigests> {
    digest::digest_reader(alg, reader)
}

/// Signs what `content` yields.
///
/// Detached (default): the content is hashed as a stream and never held in memory.
/// Attached: the content is read into the returned encoding.
pub fn sign_reader<R: Read>(
    signer: &dyn Signer,
    content: R,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = sign_reader_inner(signer, content, opts, &mut trail);
    audited(opts, &trail, None, None, result)
}

/// Signs a byte slice.
pub fn sign_bytes(
    signer: &dyn Signer,
    content: &[u8],
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = (|| {
        let p = engine::prepare(signer, opts, &mut trail)?;
        let mut h = digest::DocumentHasher::new(p.alg.digest());
        h.update(content);
        let digests = h.finalize();
        trail.document_sha256 = Some(digests.sha256.to_hex());
        let built = engine::sign_prepared(&p, &digests.signed, opts, &mut trail)?;
        in_memory(
            &p,
            &built,
            Some(&digests),
            opts.attached.then_some(content),
            opts,
        )
    })();
    audited(opts, &trail, None, None, result)
}

/// Signs a document of which only the digest is known (detached only). The digest must
/// use the signature algorithm's hash ([`SignOptions::algorithm`], or the key's default).
pub fn sign_digest(
    signer: &dyn Signer,
    digest: &Digest,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = (|| {
        if opts.attached {
            return Err(SignError::AttachedWithoutContent);
        }
        let p = engine::prepare(signer, opts, &mut trail)?;
        if digest.algorithm() == DigestAlgorithm::Sha256 {
            trail.document_sha256 = Some(digest.to_hex());
        }
        let built = engine::sign_prepared(&p, digest, opts, &mut trail)?;
        let mut signed = in_memory(&p, &built, None, None, opts)?;
        signed.document_digest = *digest;
        signed.document_sha256 = (digest.algorithm() == DigestAlgorithm::Sha256).then_some(*digest);
        Ok(signed)
    })();
    audited(opts, &trail, None, None, result)
}

/// Signs the file `doc` and writes the signature to `out` atomically (temporary file in
/// `out`'s directory, synced, renamed; nothing is written on error).
///
/// Detached (default): `out` receives the signature only. Attached: `out` receives the
/// signature with the document inside, streamed — the document is never held in memory,
/// and [`Signed::der`] is left empty.
pub fn sign_file_to(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = sign_file_inner(signer, doc, out, opts, &mut trail);
    audited_commit(opts, &trail, doc, out, result)
}

/// Audits a signing whose output is staged, then makes the output appear: the record is
/// logged **before** the output is renamed into place, so a signature that cannot be
/// audited is not written (the temporary file is removed when `pending` is dropped); a
/// failure is logged as refused (an audit failure on top of it cannot be reported
/// separately). Shared by the CAdES, PAdES and XAdES file paths.
pub(crate) fn audited_commit(
    opts: &SignOptions,
    trail: &Trail,
    doc: &Path,
    out: &Path,
    result: Result<(Signed, output::Pending), SignError>,
) -> Result<Signed, SignError> {
    let refused = |e: &SignError| {
        if let Some(log) = &opts.audit {
            let _ = log.append(&record(
                opts,
                trail,
                Some(doc),
                Some(out),
                format!("refused: {e}"),
            ));
        }
    };
    match result {
        Ok((signed, pending)) => {
            if let Some(log) = &opts.audit {
                log.append(&record(opts, trail, Some(doc), Some(out), "signed".into()))?;
            }
            pending.commit().map(|_| signed).inspect_err(refused)
        }
        Err(e) => {
            refused(&e);
            Err(e)
        }
    }
}

fn sign_reader_inner<R: Read>(
    signer: &dyn Signer,
    mut content: R,
    opts: &SignOptions,
    trail: &mut Trail,
) -> Result<Signed, SignError> {
    let p = engine::prepare(signer, opts, trail)?;
    let mut h = digest::DocumentHasher::new(p.alg.digest());
    let read_err = |e| SignError::io("reading the content", e);
    let mut buffer = Vec::new();
    if opts.attached {
        content.read_to_end(&mut buffer).map_err(read_err)?;
        h.update(&buffer);
    } else {
        digest::stream(content, |chunk| {
            h.update(chunk);
            Ok(())
        })
        .map_err(read_err)?;
    }
    let digests = h.finalize();
    trail.document_sha256 = Some(digests.sha256.to_hex());
    let built = engine::sign_prepared(&p, &digests.signed, opts, trail)?;
    in_memory(
        &p,
        &built,
        Some(&digests),
        opts.attached.then_some(buffer.as_slice()),
        opts,
    )
}

fn sign_file_inner(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    trail: &mut Trail,
) -> Result<(Signed, output::Pending), SignError> {
    let p = engine::prepare(signer, opts, trail)?;
    let read_err = |e| SignError::io(format!("reading {}", doc.display()), e);
    let file = std::fs::File::open(doc).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    let digests = digest::digest_reader(p.alg.digest(), file).map_err(read_err)?;
    if digests.len != size {
        return Err(SignError::DocumentChanged {
            path: doc.to_path_buf(),
        });
    }
    trail.document_sha256 = Some(digests.sha256.to_hex());
    let built = engine::sign_prepared(&p, &digests.signed, opts, trail)?;
    if opts.attached {
        let n = usize::try_from(digests.len).map_err(|_| SignError::TooLarge(digests.len))?;
        let framing = assemble::framing(
            p.alg.digest(),
            Some(n),
            &engine::certificates(signer),
            &built.signer_info,
        )?;
        let pending = output::write_attached(out, &framing, doc, &digests)?;
        let signed = outcome(&p, &built, Some(&digests), Vec::new(), pending.len, opts);
        Ok((signed, pending))
    } else {
        let signed = in_memory(&p, &built, Some(&digests), None, opts)?;
        let pending = output::write_bytes(out, &signed.der)?;
        Ok((signed, pending))
    }
}

/// Frames the signature in memory (with the content when attached).
fn in_memory(
    p: &Prepared<'_>,
    built: &Built,
    digests: Option<&DocumentDigests>,
    attached: Option<&[u8]>,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let framing = assemble::framing(
        p.alg.digest(),
        attached.map(<[u8]>::len),
        &engine::certificates(p.signer),
        &built.signer_info,
    )?;
    let content = attached.unwrap_or_default();
    let mut der = Vec::with_capacity(framing.prefix.len() + content.len() + framing.suffix.len());
    der.extend_from_slice(&framing.prefix);
    der.extend_from_slice(content);
    der.extend_from_slice(&framing.suffix);
    let len = der.len() as u64;
    Ok(outcome(p, built, digests, der, len, opts))
}

pub(crate) fn outcome(
    p: &Prepared<'_>,
    built: &Built,
    digests: Option<&DocumentDigests>,
    der: Vec<u8>,
    output_len: u64,
    opts: &SignOptions,
) -> Signed {
    Signed {
        der,
        output_len,
        signer_summary: p.summary.clone(),
        // Overwritten by `sign_digest`, which has no DocumentDigests.
        document_digest: digests.map_or_else(|| p.alg.digest().digest(b""), |d| d.signed),
        document_sha256: digests.map(|d| d.sha256),
        document_len: digests.map(|d| d.len),
        signature_algorithm: p.alg,
        signature_value: built.signature.clone(),
        signing_time: p.now,
        level: opts.level,
        attached: opts.attached,
        timestamp_token: built.token.clone(),
        timestamp_gen_time: built.gen_time,
        tsa_url: built.tsa_url.clone(),
        content_timestamp_gen_time: built.content_gen_time,
        revocation: built.revocation.clone(),
    }
}

pub(crate) fn record(
    opts: &SignOptions,
    trail: &Trail,
    doc: Option<&Path>,
    out: Option<&Path>,
    outcome: String,
) -> AuditRecord {
    let rfc = kenpo_core::timefmt::rfc3339;
    AuditRecord {
        time: rfc(OffsetDateTime::now_utc()),
        document: doc.map(|d| d.display().to_string()),
        document_sha256: trail.document_sha256.clone(),
        signer_cert_sha256: trail.cert_sha256.clone(),
        signer_subject: trail.subject.clone(),
        level: level_name(opts.level).into(),
        attached: opts.attached,
        profile: profile_name(opts.profile).into(),
        tsa_url: trail.tsa_url.clone(),
        tsa_gen_time: trail.gen_time.map(rfc),
        revocation: trail.revocation.clone(),
        output: out.map(|o| o.display().to_string()),
        outcome,
    }
}

/// Appends the attempt to the audit log (if any); a success that cannot be logged is
/// turned into an error.
pub(crate) fn audited(
    opts: &SignOptions,
    trail: &Trail,
    doc: Option<&Path>,
    out: Option<&Path>,
    result: Result<Signed, SignError>,
) -> Result<Signed, SignError> {
    let Some(log) = &opts.audit else {
        return result;
    };
    match result {
        Ok(signed) => {
            log.append(&record(opts, trail, doc, out, "signed".into()))?;
            Ok(signed)
        }
        Err(e) => {
            let _ = log.append(&record(opts, trail, doc, out, format!("refused: {e}")));
            Err(e)
        }
    }
}
