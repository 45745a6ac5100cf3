//! The signing flow shared by every entry point:
//!
//! 1. [`prepare`] — everything checked *before the private key is used*: level, signer
//!    certificate and profile, validity now, key ↔ certificate, algorithm ↔ key, TSA
//!    configuration, and (B-B with a checker) revocation now;
//! 2. the caller hashes the document as a stream;
//! 3. [`sign_prepared`] — optional content time-stamp, signed attributes, one use of the
//!    key, then for B-T the signature time-stamp and the rule 27-1(3) checks at genTime.

use kenpo_core::alg::{Digest, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::cms::SignerInfoBuilder;
use kenpo_core::oid;
use kenpo_revocation::RevocationStatus;
use time::OffsetDateTime;

use super::attrs;
use super::error::SignError;
use super::options::SignOptions;
use super::rule27;
use super::timestamp::Stamper;
use crate::profile::{SignerInfoSummary, check_profile_cert};
use crate::{Level, Signer};

/// What is known so far about an attempt, for the audit log (filled as the flow advances,
/// so that a refusal is logged with everything known at that point).
#[derive(Debug, Clone, Default)]
pub(crate) struct Trail {
    pub cert_sha256: Option<String>,
    pub subject: Option<String>,
    pub document_sha256: Option<String>,
    pub tsa_url: Option<String>,
    pub gen_time: Option<OffsetDateTime>,
    pub revocation: Option<String>,
}

/// Checked inputs, ready to sign.
pub(crate) struct Prepared<'s> {
    pub signer: &'s dyn Signer,
    pub cert: CertRef<'s>,
    pub summary: SignerInfoSummary,
    pub alg: SignatureAlgorithm,
    pub now: OffsetDateTime,
    pub stamper: Option<Stamper>,
    /// B-B: the status at signing time, when a checker was given.
    pub revocation_now: Option<RevocationStatus>,
}

impl std::fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("subject", &self.summary.subject)
            .field("alg", &self.alg)
            .field("now", &self.now)
            .finish()
    }
}

/// A signature ready to be framed.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub signer_info: Vec<u8>,
    pub signature: Vec<u8>,
    pub token: Option<Vec<u8>>,
    pub gen_time: Option<OffsetDateTime>,
    pub tsa_url: Option<String>,
    pub content_gen_time: Option<OffsetDateTime>,
    pub revocation: Option<RevocationStatus>,
}

fn same_public_key(key_spki: &[u8], cert_spki: &[u8]) -> bool {
    use der::Decode;
    match (
        spki::SubjectPublicKeyInfoRef::from_der(key_spki),
        spki::SubjectPublicKeyInfoRef::from_der(cert_spki),
    ) {
        (Ok(k), Ok(c)) => {
            // rsaEncryption and id-RSASSA-PSS keys are the same RSA key.
            let rsa = |o| o == oid::RSA_ENCRYPTION || o == oid::RSASSA_PSS;
            let same_alg = k.algorithm.oid == c.algorithm.oid
                || (rsa(k.algorithm.oid) && rsa(c.algorithm.oid));
            same_alg && k.subject_public_key == c.subject_public_key
        }
        _ => false,
    }
}

fn check_algorithm(signer: &dyn Signer, alg: SignatureAlgorithm) -> Result<(), SignError> {
    let bad = |reason: String| SignError::Algorithm {
        algorithm: alg.name().to_owned(),
        reason,
    };
    if alg.digest() == kenpo_core::alg::DigestAlgorithm::Sha1 {
        return Err(bad("SHA-1 is not used for new signatures".into()));
    }
    let kind = signer.key().kind();
    if !kind.fits(&alg) {
        return Err(bad(format!("does not fit the {} key", kind.name())));
    }
    if let SignatureAlgorithm::RsaPss { digest, salt_len } = alg
        && usize::from(salt_len) != digest.output_len()
    {
        return Err(bad(format!(
            "RSA-PSS salt length must equal the digest length ({})",
            digest.output_len()
        )));
    }
    Ok(())
}

/// Every check that comes before the private key is used (see the module docs).
pub(crate) fn prepare<'s>(
    signer: &'s dyn Signer,
    opts: &SignOptions,
    trail: &mut Trail,
) -> Result<Prepared<'s>, SignError> {
    if !matches!(opts.level, Level::BB | Level::BT) {
        return Err(SignError::UnsupportedLevel(opts.level));
    }
    let cert_der = signer.certificate();
    trail.cert_sha256 = Some(
        kenpo_core::alg::DigestAlgorithm::Sha256
            .digest(cert_der)
            .to_hex(),
    );
    let cert = CertRef::parse(cert_der).map_err(|e| SignError::Certificate(e.to_string()))?;
    let summary = check_profile_cert(opts.profile, &cert).inspect_err(|_| {
        trail.subject = Some(cert.subject_string());
    })?;
    trail.subject = Some(summary.subject.clone());

    let now = opts.now.unwrap_or_else(OffsetDateTime::now_utc);
    if now < cert.not_before() {
        return Err(SignError::NotYetValid {
            not_before: cert.not_before(),
            now,
        });
    }
    if now > cert.not_after() {
        return Err(SignError::Expired {
            not_after: cert.not_after(),
            now,
        });
    }
    if !same_public_key(signer.key().public_key_spki(), cert.spki) {
        return Err(SignError::KeyMismatch);
    }
    let alg = opts
        .algorithm
        .unwrap_or_else(|| signer.key().default_algorithm());
    check_algorithm(signer, alg)?;

    let needs_tsa = opts.level == Level::BT || opts.content_timestamp;
    let stamper = match (&opts.tsa, needs_tsa) {
        (_, false) => None,
        (None, true) => return Err(SignError::NoTsa),
        (Some(config), true) => Some(Stamper::new(config)?),
    };

    let mut revocation_now = None;
    if opts.level == Level::BB
        && let Some(checker) = &opts.revocation
    {
        let status = rule27::status_at(checker.as_ref(), &cert, signer.chain(), now);
        trail.revocation = Some(rule27::describe_status(&status));
        if let RevocationStatus::Revoked {
            time,
            reason,
            source,
        } = &status
            && *time <= now
        {
            return Err(SignError::Revoked {
                at: now,
                revoked_at: *time,
                reason: *reason,
                origin: source.clone(),
            });
        }
        revocation_now = Some(status);
    }

    Ok(Prepared {
        signer,
        cert,
        summary,
        alg,
        now,
        stamper,
        revocation_now,
    })
}

/// Signs a document whose digest (with `p.alg`'s hash) is `digest`.
pub(crate) fn sign_prepared(
    p: &Prepared<'_>,
    digest: &Digest,
    opts: &SignOptions,
    trail: &mut Trail,
) -> Result<Built, SignError> {
    sign_prepared_with(p, digest, opts, trail, true)
}

/// [`sign_prepared`], with or without the signing-time attribute (PAdES baseline
/// signatures must not carry it: the claimed time is the signature dictionary's `/M`).
pub(crate) fn sign_prepared_with(
    p: &Prepared<'_>,
    digest: &Digest,
    opts: &SignOptions,
    trail: &mut Trail,
    signing_time: bool,
) -> Result<Built, SignError> {
    if digest.algorithm() != p.alg.digest() {
        return Err(SignError::Algorithm {
            algorithm: p.alg.name().to_owned(),
            reason: format!("the document digest is {}", digest.algorithm().name()),
        });
    }
    let mut builder = SignerInfoBuilder::new(p.signer.key(), p.alg, &p.cert)
        .signed_attr(attrs::content_type(oid::ID_DATA)?)
        .signed_attr(attrs::message_digest(digest)?);
    if signing_time {
        builder = builder.signed_attr(attrs::signing_time(p.now)?);
    }
    builder = builder.signed_attr(attrs::signing_certificate_v2(&p.cert)?);

    let mut content_gen_time = None;
    if opts.content_timestamp {
        let stamper = p.stamper.as_ref().ok_or(SignError::NoTsa)?;
        let ts = stamper.stamp_digest(digest)?;
        content_gen_time = Some(ts.gen_time());
        builder = builder.signed_attr(attrs::time_stamp_token(
            oid::ATTR_CONTENT_TIME_STAMP,
            &ts.token_der,
        )?);
    }

    let built = builder.sign()?;

    if opts.level != Level::BT {
        return Ok(Built {
            signer_info: built.der,
            signature: built.signature,
            token: None,
            gen_time: None,
            tsa_url: None,
            content_gen_time,
            revocation: p.revocation_now.clone(),
        });
    }

    let stamper = p.stamper.as_ref().ok_or(SignError::NoTsa)?;
    let ts = stamper.stamp_signature(&built.signature)?;
    let gen_time = ts.gen_time();
    trail.gen_time = Some(gen_time);
    trail.tsa_url = Some(ts.url.clone());

    // Rule 27-1(3): valid, and not revoked, at genTime.
    rule27::check_validity_at_gen_time(&p.cert, gen_time)?;
    let revocation = match &opts.revocation {
        Some(checker) => {
            let status = rule27::status_at(checker.as_ref(), &p.cert, p.signer.chain(), gen_time);
            trail.revocation = Some(rule27::describe_status(&status));
            rule27::check_status_at_gen_time(&status, gen_time)?;
            Some(status)
        }
        None => None,
    };

    let attr = attrs::time_stamp_token(oid::ATTR_SIGNATURE_TIME_STAMP, &ts.token_der)?;
    let signer_info = attrs::add_unsigned_attrs(&built.der, &[&attr])?;
    Ok(Built {
        signer_info,
        signature: built.signature,
        token: Some(ts.token_der),
        gen_time: Some(gen_time),
        tsa_url: Some(ts.url),
        content_gen_time,
        revocation,
    })
}

/// The certificates to embed: the signer's, then its chain, each once, in order.
pub(crate) fn certificates(signer: &dyn Signer) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = vec![signer.certificate()];
    for c in signer.chain() {
        if !v.contains(&c.as_slice()) {
            v.push(c);
        }
    }
    v
}
