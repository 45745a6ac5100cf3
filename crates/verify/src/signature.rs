//! Cryptographic checks of CMS `SignedData` signatures (RFC 5652, CAdES).
//!
//! [`verify`] takes a CMS `ContentInfo` (DER, or BER normalised with
//! [`kenpo_core::ber::to_der`]) and the signed content (attached eContent, detached bytes,
//! a reader hashed as a stream, or precomputed digests), and for each SignerInfo reports:
//!
//! * the signer certificate found by `sid` among the SignedData certificates and the
//!   caller's extra candidates;
//! * content-type and message-digest (each exactly once) and whether the message digest
//!   equals the content digest ([`SignerCheck::data_intact`]);
//! * the signature over the signed attributes *as received* (or over the content digest
//!   when there are none) ([`SignerCheck::signature_intact`]);
//! * whether signing-certificate(-v2) names the certificate used
//!   ([`SignerCheck::signing_cert_bound`]);
//! * signature and content time-stamps, each verified with [`kenpo_tsa::verify_token`]
//!   against the expected imprint; archive time-stamps (v2, v3) likewise, their imprints
//!   recomputed by [`crate::archive`] (and, for v3, the ats-hash-index checked);
//! * countersignatures, verified over the parent's signature value.
//!
//! Path validation and revocation are not done here (see [`crate::path`]). Hostile input
//! stays bounded: at most [`Options::max_items`] SignerInfos, countersignatures and tokens
//! are processed per call, and countersignatures nest at most [`MAX_COUNTER_DEPTH`] deep.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::io::Read;
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::{AlgError, Digest, DigestAlgorithm, Hasher, SignatureAlgorithm};
use kenpo_core::ber::{self, BerError};
use kenpo_core::cert::CertRef;
use kenpo_core::cert_cache::CertCache;
use kenpo_core::cms::{CmsError, SignedDataView, SignerId, SignerInfoView};
use kenpo_core::crypto::{CryptoBackend, CryptoError, default_backend};
use kenpo_core::der_span::tag;
use kenpo_core::ess::first_cert_id_names_with;
use kenpo_core::oid;
use kenpo_core::shared_cert::SharedCert;

/// id-aa-CMSAlgorithmProtection (RFC 6211).
const ATTR_CMS_ALGORITHM_PROTECTION: Oid = Oid::new_unwrap("1.2.840.113549.1.9.52");
use kenpo_tsa::{TsaCertValidator, TstInfo};
use time::OffsetDateTime;

use crate::archive;
use crate::archive::HashIndexKind;
use crate::report::{
    CheckKind, CheckReport, ImprintScope, NotCheckable, Outcome, TimestampFinding, TokenOutcome,
};

/// Countersignatures of countersignatures are followed this deep.
pub const MAX_COUNTER_DEPTH: usize = 4;

/// Default for [`Options::max_items`].
pub const DEFAULT_MAX_ITEMS: usize = 64;

/// Problems that make the input unusable as CMS SignedData (FORMAT_FAILURE class).
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Not decodable as BER/DER.
    #[error("not BER/DER: {0}")]
    Ber(#[from] BerError),
    /// Not a CMS SignedData, or malformed.
    #[error("not a well-formed CMS SignedData: {0}")]
    Cms(#[from] CmsError),
    /// Reading the detached content failed.
    #[error("reading the detached content: {0}")]
    Io(#[from] std::io::Error),
}

/// The signed content, when it is not (only) in the SignedData.
pub enum Content<'r> {
    /// No detached content: only attached eContent (if any) is checked.
    None,
    /// Detached content in memory.
    Bytes(&'r [u8]),
    /// Detached content read (and hashed) as a stream.
    Reader(&'r mut dyn Read),
    /// Only the content's digests are known; algorithms not given cannot be checked.
    Digests(&'r [Digest]),
}

impl std::fmt::Debug for Content<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Self::Reader(_) => f.write_str("Reader"),
            Self::Digests(d) => f.debug_tuple("Digests").field(d).finish(),
        }
    }
}

/// What to use besides the SignedData itself: start from [`Options::default`] and set what
/// applies with the `with_*` methods.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Options<'a> {
    /// More certificates to search for signer and TSA certificates.
    pub extra_certs: &'a [Vec<u8>],
    /// Yet more, borrowed (e.g. what the signature carries elsewhere: certificate-values,
    /// the tokens' certificates), searched after `extra_certs`.
    pub more_certs: &'a [&'a [u8]],
    /// Crypto backend.
    pub backend: &'a dyn CryptoBackend,
    /// Path/revocation hook for TSA certificates, passed to [`kenpo_tsa::verify_token`].
    pub tsa_validator: Option<&'a dyn TsaCertValidator>,
    /// Maximum number of SignerInfos, countersignatures and time-stamp tokens processed.
    pub max_items: usize,
    /// Certificate hashes remembered across calls, for the ESS signing-certificate
    /// checks of signers and TSAs; `None`: computed each time.
    pub cert_cache: Option<&'a CertCache>,
    /// Time-stamp tokens of the SignedData parsed already (found by their span, so only
    /// the very bytes verified); any other token is parsed here.
    pub token_views: &'a [kenpo_tsa::ParsedToken<'a>],
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            extra_certs: &[],
            more_certs: &[],
            backend: default_backend(),
            tsa_validator: None,
            max_items: DEFAULT_MAX_ITEMS,
            cert_cache: None,
            token_views: &[],
        }
    }
}

impl<'a> Options<'a> {
    /// More certificates to search for signer and TSA certificates.
    #[must_use]
    pub fn with_extra_certs(mut self, certs: &'a [Vec<u8>]) -> Self {
        self.extra_certs = certs;
        self
    }

    /// Yet more certificates, borrowed, searched after the extra ones.
    #[must_use]
    pub fn with_more_certs(mut self, certs: &'a [&'a [u8]]) -> Self {
        self.more_certs = certs;
        self
    }

    /// The crypto backend.
    #[must_use]
    pub fn with_backend(mut self, backend: &'a dyn CryptoBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Path/revocation hook for TSA certificates.
    #[must_use]
    pub fn with_tsa_validator(mut self, validator: Option<&'a dyn TsaCertValidator>) -> Self {
        self.tsa_validator = validator;
        self
    }

    /// Maximum number of SignerInfos, countersignatures and time-stamp tokens processed.
    #[must_use]
    pub fn with_max_items(mut self, max: usize) -> Self {
        self.max_items = max;
        self
    }

    /// Certificate hashes remembered across calls.
    #[must_use]
    pub fn with_cert_cache(mut self, cache: Option<&'a CertCache>) -> Self {
        self.cert_cache = cache;
        self
    }

    /// Time-stamp tokens of the SignedData parsed already.
    #[must_use]
    pub fn with_token_views(mut self, views: &'a [kenpo_tsa::ParsedToken<'a>]) -> Self {
        self.token_views = views;
        self
    }
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("extra_certs", &self.extra_certs.len())
            .field("more_certs", &self.more_certs.len())
            .field("backend", &self.backend.name())
            .field("tsa_validator", &self.tsa_validator.is_some())
            .field("max_items", &self.max_items)
            .field("cert_cache", &self.cert_cache.map(CertCache::len))
            .field("token_views", &self.token_views.len())
            .finish()
    }
}

/// One check and its outcome (typed; see [`crate::report::CheckReport`]).
pub type Check = CheckReport;

pub use crate::validate::evidence::{
    TimestampEvidence as TimestampCheck, TimestampKind, TsaPathCheck,
};

/// The cryptographic checks of one SignerInfo (or countersignature).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerCheck {
    /// The signer certificate named by `sid`, when found (parsed and shared, see
    /// [`kenpo_core::shared_cert`]; its encoding: [`SharedCert::der`]).
    pub signer_cert: Option<Arc<SharedCert>>,
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// The signature value verifies with the signer certificate's key.
    pub signature_intact: bool,
    /// The message digest equals the content digest; `None` when the content (or its
    /// digest with the signer's algorithm) is not available.
    pub data_intact: Option<bool>,
    /// signing-certificate(-v2) names the certificate used; `None` when neither attribute
    /// is present or the certificate was not found.
    pub signing_cert_bound: Option<bool>,
    /// The signing-time attribute.
    pub signing_time: Option<OffsetDateTime>,
    /// Time-stamps: content time-stamps (signed attributes), then signature and archive
    /// time-stamps (unsigned attributes) in attribute order.
    pub timestamps: Vec<TimestampCheck>,
    /// Countersignatures (attribute 1.2.840.113549.1.9.6), checked over this signature.
    pub counter_signatures: Vec<SignerCheck>,
    /// An algorithm of this SignerInfo that this build cannot check (an unknown digest or
    /// signature algorithm OID, or a combination the crypto backend lacks), named: the
    /// signature is then neither intact nor broken but unchecked.
    pub unsupported_algorithm: Option<String>,
    /// Whether the SignerInfo has signed attributes; without them the signature value is
    /// computed over the content itself (RFC 5652 §5.4).
    pub signed_attributes: bool,
    /// Whether its digest or signature algorithm identifier is malformed (a format error),
    /// as opposed to well formed but not supported here ([`Self::unsupported_algorithm`]).
    pub malformed_algorithm: bool,
}

impl SignerCheck {
    fn check(&mut self, kind: CheckKind, passed: bool, outcome: impl Into<Outcome>) {
        self.checks.push(CheckReport::new(kind, passed, outcome));
    }

    /// True when every check of this signer (not its countersignatures) passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDataCheck {
    /// eContentType (dotted).
    pub content_type: String,
    /// Whether eContent is present (attached signature).
    pub content_attached: bool,
    /// Whether the input needed BER→DER normalisation.
    pub normalised_from_ber: bool,
    /// One entry per top-level SignerInfo processed.
    pub signers: Vec<SignerCheck>,
    /// SignerInfos, countersignatures or tokens skipped because the budget ran out.
    pub skipped: usize,
}

struct Budget {
    left: Cell<usize>,
    skipped: Cell<usize>,
}

impl Budget {
    fn take(&self) -> bool {
        match self.left.get() {
            0 => {
                self.skipped.set(self.skipped.get() + 1);
                false
            }
            n => {
                self.left.set(n - 1);
                true
            }
        }
    }
}

/// What a signer's message digest must cover.
enum Target<'x> {
    /// The SignedData content.
    Content {
        content_type: Oid,
        digests: &'x [Digest],
    },
    /// A countersignature: the parent's signature value octets.
    Counter { parent_signature: &'x [u8] },
}

impl Target<'_> {
    fn digest(&self, alg: DigestAlgorithm) -> Option<Digest> {
        match self {
            Self::Content { digests, .. } => digests.iter().find(|d| d.algorithm() == alg).cloned(),
            Self::Counter { parent_signature } => Some(alg.digest(parent_signature)),
        }
    }
}

struct Ctx<'a, 'o> {
    certs: Vec<&'a [u8]>,
    opts: &'o Options<'o>,
    budget: Budget,
    /// The SignedData, for archive time-stamp imprints.
    sd: &'o SignedDataView<'a>,
    /// ATSv2 inputs (covered fields, content hashers).
    v2: &'o archive::V2State<'o>,
    /// The unsigned attributes' hashes per signer of `sd` (by the place of its encoding in
    /// `sd`), hash index kind and algorithm: every archive time-stamp of a signer checks
    /// its index against the same attributes.
    attr_hashes: RefCell<Vec<AttrHashes>>,
}

/// One entry of [`Ctx::attr_hashes`].
type AttrHashes = ((usize, usize, HashIndexKind, DigestAlgorithm), Vec<Digest>);

impl Ctx<'_, '_> {
    /// [`archive::hash_index::unsigned_attr_hashes`] of `si`, computed once per call for a
    /// signer of `sd` (found by its offset and length there; any other is not kept).
    fn attr_hashes(
        &self,
        si: &SignerInfoView<'_>,
        kind: HashIndexKind,
        alg: DigestAlgorithm,
    ) -> Result<Vec<Digest>, archive::ArchiveError> {
        let compute = || archive::hash_index::unsigned_attr_hashes(kind, si, alg);
        let within = self.sd.raw.as_ptr_range();
        let span = si.raw.as_ptr_range();
        if !(within.start <= span.start && span.end <= within.end) {
            return compute();
        }
        let offset = (span.start as usize).wrapping_sub(within.start as usize);
        let key = (offset, si.raw.len(), kind, alg);
        if let Some((_, h)) = self.attr_hashes.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(h.clone());
        }
        let h = compute()?;
        self.attr_hashes.borrow_mut().push((key, h.clone()));
        Ok(h)
    }
}

fn sid_string(sid: &SignerId<'_>) -> String {
    match sid {
        SignerId::IssuerSerial { serial, .. } => format!("issuer+serial {}", hex::encode(serial)),
        SignerId::SubjectKeyId(ski) => format!("subjectKeyIdentifier {}", hex::encode(ski)),
    }
}

/// The TSTInfo of a token already in DER (a token of the SignedData's DER form), for its
/// imprint and genTime, without verifying it.
fn tst_info_of_der(der: &[u8]) -> Option<TstInfo> {
    let sd = SignedDataView::parse(der).ok()?;
    TstInfo::parse(sd.econtent?).ok()
}

/// Digests of the content with every algorithm in `algs`, and the hashers `prefixed`
/// (already fed with a prefix, see [`crate::archive::v2`]) continued with the detached
/// content; those are returned only when the content is detached and available as bytes.
fn content_digests(
    attached: Option<&[u8]>,
    content: Content<'_>,
    algs: &[DigestAlgorithm],
    prefixed: Vec<Hasher>,
) -> Result<(Vec<Digest>, Vec<Hasher>), SignatureError> {
    let hash_all = |data: &[u8]| algs.iter().map(|a| a.digest(data)).collect::<Vec<_>>();
    if let Some(data) = attached {
        return Ok((hash_all(data), Vec::new()));
    }
    Ok(match content {
        Content::None => (Vec::new(), Vec::new()),
        Content::Bytes(b) => {
            let mut prefixed = prefixed;
            for h in &mut prefixed {
                h.update(b);
            }
            (hash_all(b), prefixed)
        }
        Content::Digests(d) => (d.to_vec(), Vec::new()),
        Content::Reader(r) => {
            let mut hashers: Vec<_> = algs.iter().map(|a| a.hasher()).collect();
            let n_plain = hashers.len();
            hashers.extend(prefixed);
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                };
                let chunk = buf.get(..n).unwrap_or_default();
                for h in &mut hashers {
                    h.update(chunk);
                }
            }
            let prefixed = hashers.split_off(n_plain);
            (
                hashers.into_iter().map(|h| h.finalize()).collect(),
                prefixed,
            )
        }
    })
}

/// Verifies every SignerInfo of a CMS SignedData, see the module docs.
///
/// `content` is used only when the SignedData has no eContent. Errors only when the input
/// is not a usable SignedData (or the content reader fails); every other problem is
/// reported in the per-signer [`SignerCheck`]s.
pub fn verify(
    cms: &[u8],
    content: Content<'_>,
    opts: &Options<'_>,
) -> Result<SignedDataCheck, SignatureError> {
    let (cms, der) = to_der_padded(cms)?;
    let normalised_from_ber = matches!(der, std::borrow::Cow::Owned(_));
    verify_normalised(&der, cms, normalised_from_ber, content, opts)
}

/// The input without zero octets after its outer ContentInfo, and that ContentInfo's DER
/// form ([`kenpo_core::ber::to_der`]).
///
/// Adobe and others write the CMS into a fixed-size buffer and leave the rest zero; OpenSSL
/// and DSS accept that, and so do we. Any other octet after the ContentInfo stays
/// [`BerError::TrailingData`]. The returned input is a prefix of `cms`, so every span
/// (signed attributes, signature value, tokens) keeps its offsets.
pub fn to_der_padded(cms: &[u8]) -> Result<(&[u8], Cow<'_, [u8]>), BerError> {
    match ber::to_der(cms) {
        Err(BerError::TrailingData(n)) => {
            let (body, tail) = cms.split_at(cms.len().saturating_sub(n));
            if tail.iter().all(|&b| b == 0) {
                Ok((body, ber::to_der(body)?))
            } else {
                Err(BerError::TrailingData(n))
            }
        }
        other => other.map(|der| (cms, der)),
    }
}

/// [`verify`] for input that is already DER, such as the output of
/// [`kenpo_core::ber::to_der`] (which is then not run again).
pub fn verify_der(
    der: &[u8],
    content: Content<'_>,
    opts: &Options<'_>,
) -> Result<SignedDataCheck, SignatureError> {
    verify_normalised(der, der, false, content, opts)
}

/// [`verify_der`] of a SignedData the caller has parsed already (`sd` is the view of
/// `der`).
pub(crate) fn verify_parsed_der(
    sd: &SignedDataView<'_>,
    der: &[u8],
    content: Content<'_>,
    opts: &Options<'_>,
) -> Result<SignedDataCheck, SignatureError> {
    verify_view(sd, der, false, content, opts)
}

/// [`verify`] of `der`, the DER form of the input `cms`.
fn verify_normalised(
    der: &[u8],
    cms: &[u8],
    normalised_from_ber: bool,
    content: Content<'_>,
    opts: &Options<'_>,
) -> Result<SignedDataCheck, SignatureError> {
    let sd = SignedDataView::parse(der)?;
    verify_view(&sd, cms, normalised_from_ber, content, opts)
}

/// [`verify_normalised`] with `sd`, the view of the DER form of `cms`.
fn verify_view(
    sd: &SignedDataView<'_>,
    cms: &[u8],
    normalised_from_ber: bool,
    content: Content<'_>,
    opts: &Options<'_>,
) -> Result<SignedDataCheck, SignatureError> {
    // Digest algorithms needed for the content: the signers' and the content time-stamps'.
    // (At most `max_items` content time-stamp tokens are looked at, in total.)
    let mut algs: Vec<DigestAlgorithm> = Vec::new();
    let signers = sd.signer_infos.iter().take(opts.max_items);
    algs.extend(signers.clone().filter_map(|si| si.digest_alg().ok()));
    let content_tokens = signers
        .filter_map(|si| si.signed_attrs.as_ref())
        .flat_map(|attrs| attrs.all_of(oid::ATTR_CONTENT_TIME_STAMP))
        .flat_map(|a| a.values.iter())
        .take(opts.max_items);
    algs.extend(
        content_tokens
            .filter_map(|v| tst_info_of_der(v.raw))
            .map(|t| t.imprint.algorithm()),
    );
    // Archive time-stamps: ATSv3 needs the content hash with its imprint algorithm, ATSv2
    // of a detached signature a hasher over encapContentInfo ‖ content.
    let archive_algs = |attr: Oid| {
        sd.signer_infos
            .iter()
            .take(opts.max_items)
            .filter_map(|si| si.unsigned_attrs.as_ref())
            .flat_map(move |attrs| attrs.all_of(attr))
            .flat_map(|a| a.values.iter())
            .take(opts.max_items)
            .filter_map(|v| tst_info_of_der(v.raw))
            .map(|t| t.imprint.algorithm())
            .collect::<Vec<_>>()
    };
    algs.extend(archive_algs(oid::ATTR_ARCHIVE_TIME_STAMP_V3));
    algs.sort_by_key(|a| a.name());
    algs.dedup();
    let mut v2_algs = archive_algs(oid::ATTR_ARCHIVE_TIME_STAMP_V2);
    v2_algs.sort_by_key(|a| a.name());
    v2_algs.dedup();
    let (v2, prefixed) = archive::V2State::prepare(sd, cms, normalised_from_ber, &v2_algs);
    let (digests, v2_fed) = match sd.econtent {
        Some(_) => (
            content_digests(sd.econtent, content, &algs, Vec::new())?.0,
            prefixed,
        ),
        None => content_digests(None, content, &algs, prefixed)?,
    };
    let v2 = v2.with_content(v2_fed);

    let mut certs: Vec<&[u8]> = sd.x509_certificates().collect();
    certs.extend(opts.extra_certs.iter().map(Vec::as_slice));
    certs.extend(opts.more_certs);
    let ctx = Ctx {
        certs,
        opts,
        budget: Budget {
            left: Cell::new(opts.max_items),
            skipped: Cell::new(0),
        },
        sd,
        v2: &v2,
        attr_hashes: RefCell::default(),
    };
    let target = Target::Content {
        content_type: sd.econtent_type,
        digests: &digests,
    };
    let mut signers = Vec::new();
    for si in &sd.signer_infos {
        if !ctx.budget.take() {
            continue;
        }
        signers.push(check_signer(&ctx, si, &target, 0));
    }
    Ok(SignedDataCheck {
        content_type: oid::dotted_text(&sd.econtent_type).into_owned(),
        content_attached: sd.econtent.is_some(),
        normalised_from_ber,
        signers,
        skipped: ctx.budget.skipped.get(),
    })
}

fn check_signer(
    ctx: &Ctx<'_, '_>,
    si: &SignerInfoView<'_>,
    target: &Target<'_>,
    depth: usize,
) -> SignerCheck {
    // Room for the dozen checks of a signer (the list is not copied as it grows).
    let mut c = SignerCheck {
        checks: Vec::with_capacity(16),
        ..SignerCheck::default()
    };
    let opts = ctx.opts;

    // The signer certificate. (`ctx.certs` holds the SignedData's certificates and then
    // the caller's, which may repeat them: a repeat is not a second candidate.)
    let mut seen = std::collections::HashSet::new();
    let cert = ctx
        .certs
        .iter()
        .filter(|raw| match si.sid {
            SignerId::IssuerSerial { issuer, serial } => {
                CertRef::issuer_and_serial(raw).is_ok_and(|(i, s)| i == issuer && s == serial)
            }
            SignerId::SubjectKeyId(_) => true,
        })
        .filter(|raw| seen.insert(crate::ByTail(raw)))
        .filter_map(|raw| match opts.cert_cache {
            Some(cache) => cache.cert(raw).ok(),
            None => SharedCert::parse(raw).ok().map(Arc::new),
        })
        .filter(|cert| si.sid.matches(cert.cert()))
        .take(ctx.opts.max_items)
        .collect::<Vec<_>>();
    // Several candidates match the sid (same issuer and serial, or same key identifier):
    // prefer the one signing-certificate(-v2) names; the binding check below then passes
    // only if such a candidate exists.
    let named_by_ess = |cert: &CertRef<'_>| {
        let attrs = si.signed_attrs.as_ref()?;
        let (v, v2) = match attrs.single(oid::ATTR_SIGNING_CERTIFICATE_V2).ok()? {
            Some(v) => (v, true),
            None => (attrs.single(oid::ATTR_SIGNING_CERTIFICATE).ok()??, false),
        };
        first_cert_id_names_with(v.raw, cert, v2, ctx.opts.cert_cache).ok()
    };
    // (A lone candidate is taken whatever the attribute says: no hash needed to choose.)
    let chosen = if cert.len() > 1 {
        cert.iter()
            .position(|c| named_by_ess(c.cert()) == Some(true))
            .unwrap_or(0)
    } else {
        0
    };
    let chosen = cert.into_iter().nth(chosen);
    let cert = chosen.as_deref().map(SharedCert::cert);
    match &cert {
        Some(_) => {
            c.signer_cert.clone_from(&chosen);
            if let Some(chosen) = &chosen {
                c.check(
                    CheckKind::SignerCertificate,
                    true,
                    Outcome::SignerCertificate(chosen.clone()),
                );
            }
        }
        None => c.check(
            CheckKind::SignerCertificate,
            false,
            Outcome::NoSignerCertificate(sid_string(&si.sid)),
        ),
    }

    // Algorithms.
    c.signed_attributes = si.signed_attrs.is_some();
    let digest_alg = match si.digest_alg() {
        Ok(a) => {
            c.check(
                CheckKind::DigestAlgorithm,
                true,
                Outcome::Algorithm(a.name()),
            );
            Some(a)
        }
        Err(e) => {
            if unsupported(&e) {
                c.unsupported_algorithm = Some(e.to_string());
            } else {
                c.malformed_algorithm = true;
            }
            c.check(
                CheckKind::DigestAlgorithm,
                false,
                Outcome::AlgorithmError(Box::new(e)),
            );
            None
        }
    };
    let sig_alg =
        match SignatureAlgorithm::from_algorithm_identifier(&si.signature_algorithm, digest_alg) {
            Ok(a) => {
                c.check(
                    CheckKind::SignatureAlgorithm,
                    true,
                    Outcome::Algorithm(a.name()),
                );
                Some(a)
            }
            Err(e) => {
                if unsupported(&e) {
                    c.unsupported_algorithm.get_or_insert_with(|| e.to_string());
                } else {
                    c.malformed_algorithm = true;
                }
                c.check(
                    CheckKind::SignatureAlgorithm,
                    false,
                    Outcome::AlgorithmError(Box::new(e)),
                );
                None
            }
        };

    // What the signature covers.
    let signed_digest = match &si.signed_attrs {
        Some(attrs) => {
            check_content_type(&mut c, attrs, target);
            check_message_digest(&mut c, attrs, target, digest_alg);
            match attrs.single(oid::ATTR_SIGNING_TIME) {
                Ok(Some(t)) => match kenpo_core::asn1::time::x509_time(t) {
                    Ok(t) => c.signing_time = Some(t),
                    Err(_) => c.check(CheckKind::SigningTime, false, Outcome::NotATime),
                },
                Ok(None) => {}
                Err(e) => c.check(
                    CheckKind::SigningTime,
                    false,
                    Outcome::Attribute(Box::new(e)),
                ),
            }
            if let Some(cert) = &cert {
                check_binding(&mut c, attrs, cert, ctx.opts.cert_cache);
            }
            if let Target::Content { .. } = target {
                for a in attrs.all_of(oid::ATTR_CONTENT_TIME_STAMP) {
                    for v in &a.values {
                        if ctx.budget.take() {
                            let ts = check_token(ctx, v.raw, TimestampKind::Content, |alg| {
                                target.digest(alg)
                            });
                            c.timestamps.push(ts);
                        }
                    }
                }
            }
            check_algorithm_protection(&mut c, attrs, si);
            sig_alg.map(|s| attrs.digest_as_set(s.digest()))
        }
        None => {
            let d = sig_alg.and_then(|s| target.digest(s.digest()));
            if d.is_none() {
                c.check(CheckKind::Content, false, Outcome::ContentNotAvailable);
            }
            d
        }
    };

    // The signature.
    match (&cert, sig_alg, signed_digest) {
        (Some(cert), Some(alg), Some(digest)) => {
            let verify = |d: &Digest| opts.backend.verify_digest(cert.spki, alg, d, si.signature);
            match verify(&digest) {
                Ok(()) => {
                    c.signature_intact = true;
                    c.check(
                        CheckKind::SignatureValue,
                        true,
                        Outcome::SignatureVerified {
                            algorithm: alg,
                            backend: opts.backend.name(),
                            resorted: false,
                        },
                    );
                }
                Err(e) => match der_sorted_digest(si, alg.digest()) {
                    // A sender that wrote its signed attributes unsorted but signed their DER
                    // (sorted) encoding, as RFC 5652 §5.4 asks.
                    Some(sorted) if verify(&sorted).is_ok() => {
                        c.signature_intact = true;
                        c.check(
                            CheckKind::SignatureValue,
                            true,
                            Outcome::SignatureVerified {
                                algorithm: alg,
                                backend: opts.backend.name(),
                                resorted: true,
                            },
                        );
                    }
                    _ => {
                        if let CryptoError::Unsupported { .. }
                        | CryptoError::Algorithm(
                            AlgError::UnsupportedDigest(_)
                            | AlgError::UnsupportedSignature(_)
                            | AlgError::UnsupportedPssParams(_),
                        ) = e
                        {
                            c.unsupported_algorithm.get_or_insert_with(|| e.to_string());
                        }
                        c.check(CheckKind::SignatureValue, false, e.to_string());
                    }
                },
            }
        }
        _ => match &c.unsupported_algorithm {
            Some(what) => c.check(
                CheckKind::SignatureValue,
                false,
                Outcome::NotCheckable(NotCheckable::Unsupported(what.clone())),
            ),
            None => c.check(
                CheckKind::SignatureValue,
                false,
                Outcome::NotCheckable(NotCheckable::Missing),
            ),
        },
    }
    if c.checks
        .iter()
        .any(|k| k.kind == CheckKind::AlgorithmProtection && !k.passed)
    {
        // The signed algorithms are not the ones used: the signature is not intact as
        // presented (RFC 6211).
        c.signature_intact = false;
    }
    if si.signed_attrs.is_none() && matches!(target, Target::Content { .. }) {
        // Without signed attributes the signature covers the content itself.
        c.data_intact = signed_digest_available(target, sig_alg).then_some(c.signature_intact);
    }

    // Unsigned attributes.
    if let Some(attrs) = &si.unsigned_attrs {
        for (position, a) in attrs.list.iter().enumerate() {
            let kind = if a.oid == oid::ATTR_SIGNATURE_TIME_STAMP {
                Some(TimestampKind::Signature)
            } else if a.oid == oid::ATTR_ARCHIVE_TIME_STAMP_V2 {
                Some(TimestampKind::ArchiveV2)
            } else if a.oid == oid::ATTR_ARCHIVE_TIME_STAMP_V3 {
                Some(TimestampKind::ArchiveV3)
            } else {
                None
            };
            if let Some(kind) = kind {
                for v in &a.values {
                    if !ctx.budget.take() {
                        continue;
                    }
                    let ts = if kind == TimestampKind::Signature {
                        check_token(ctx, v.raw, kind, |alg| Some(alg.digest(si.signature)))
                    } else {
                        let top = (depth == 0).then_some(target);
                        check_archive(ctx, si, position, v.raw, kind, top)
                    };
                    c.timestamps.push(ts);
                }
            } else if a.oid == oid::ATTR_COUNTER_SIGNATURE {
                for v in &a.values {
                    if depth >= MAX_COUNTER_DEPTH {
                        ctx.budget.skipped.set(ctx.budget.skipped.get() + 1);
                        continue;
                    }
                    if !ctx.budget.take() {
                        continue;
                    }
                    let counter_target = Target::Counter {
                        parent_signature: si.signature,
                    };
                    match SignerInfoView::parse(*v) {
                        Ok(csi) => c.counter_signatures.push(check_signer(
                            ctx,
                            &csi,
                            &counter_target,
                            depth + 1,
                        )),
                        Err(e) => {
                            let mut bad = SignerCheck::default();
                            bad.check(
                                CheckKind::CounterSignature,
                                false,
                                Outcome::MalformedSignerInfo(Box::new(e)),
                            );
                            c.counter_signatures.push(bad);
                        }
                    }
                }
            }
        }
    }
    c
}

/// The digest of the signed attributes re-sorted as a DER SET OF, when that differs from
/// the received encoding.
fn der_sorted_digest(si: &SignerInfoView<'_>, alg: DigestAlgorithm) -> Option<Digest> {
    let attrs = si.signed_attrs.as_ref()?;
    let raws: Vec<&[u8]> = attrs.list.iter().map(|a| a.raw).collect();
    let sorted = kenpo_core::der_span::set_of(raws);
    let received = attrs.raw.get(1..)?;
    (sorted.get(1..)? != received).then(|| alg.digest(&sorted))
}

/// RFC 6211 cms-algorithm-protection: when present, its algorithms must be the
/// SignerInfo's (otherwise an algorithm substitution happened).
fn check_algorithm_protection(
    c: &mut SignerCheck,
    attrs: &kenpo_core::cms::Attributes<'_>,
    si: &SignerInfoView<'_>,
) {
    use der::Encode;
    const NAME: CheckKind = CheckKind::AlgorithmProtection;
    let v = match attrs.single(ATTR_CMS_ALGORITHM_PROTECTION) {
        Ok(Some(v)) => v,
        Ok(None) => return,
        Err(e) => return c.check(NAME, false, Outcome::Attribute(Box::new(e))),
    };
    let parsed = (|| {
        let mut r = v.expect(tag::SEQUENCE).ok()?.reader();
        let digest = r.expect(tag::SEQUENCE).ok()?.raw;
        let sig = r.optional(tag::context(1)).ok()?;
        Some((
            digest.to_vec(),
            sig.map(|t| kenpo_core::der_span::tlv(tag::SEQUENCE, &[t.value])),
        ))
    })();
    let Some((digest, sig)) = parsed else {
        return c.check(NAME, false, Outcome::ProtectionMalformed);
    };
    let digest_ok = si.digest_algorithm.to_der().is_ok_and(|d| d == digest);
    let sig_ok = match sig {
        Some(sig) => si.signature_algorithm.to_der().is_ok_and(|d| d == sig),
        None => false,
    };
    if digest_ok && sig_ok {
        c.check(NAME, true, Outcome::ProtectionMatches);
    } else {
        c.check(NAME, false, Outcome::ProtectionDiffers);
    }
}

/// An algorithm this build does not implement (as opposed to malformed parameters).
fn unsupported(e: &AlgError) -> bool {
    matches!(
        e,
        AlgError::UnsupportedDigest(_)
            | AlgError::UnsupportedSignature(_)
            | AlgError::UnsupportedPssParams(_)
    )
}

fn signed_digest_available(target: &Target<'_>, sig_alg: Option<SignatureAlgorithm>) -> bool {
    sig_alg.is_some_and(|s| target.digest(s.digest()).is_some())
}

fn check_content_type(
    c: &mut SignerCheck,
    attrs: &kenpo_core::cms::Attributes<'_>,
    target: &Target<'_>,
) {
    const NAME: CheckKind = CheckKind::ContentType;
    let found = attrs.single(oid::ATTR_CONTENT_TYPE);
    match (target, found) {
        (Target::Counter { .. }, Ok(None)) => {
            c.check(NAME, true, Outcome::AbsentInCountersignature)
        }
        (Target::Counter { .. }, _) => c.check(NAME, false, Outcome::ContentTypeInCountersignature),
        (Target::Content { .. }, Err(e)) => c.check(NAME, false, Outcome::Attribute(Box::new(e))),
        (Target::Content { .. }, Ok(None)) => c.check(NAME, false, Outcome::Absent),
        (Target::Content { content_type, .. }, Ok(Some(v))) => {
            match (v.tag == tag::OID)
                .then(|| oid::from_content(v.value).ok())
                .flatten()
            {
                Some(o) if o == *content_type => c.check(NAME, true, Outcome::ContentType(o)),
                Some(o) => c.check(
                    NAME,
                    false,
                    Outcome::ContentTypeMismatch {
                        signed: Box::new(o),
                        content: Box::new(*content_type),
                    },
                ),
                None => c.check(NAME, false, Outcome::NotAnOid),
            }
        }
    }
}

fn check_message_digest(
    c: &mut SignerCheck,
    attrs: &kenpo_core::cms::Attributes<'_>,
    target: &Target<'_>,
    digest_alg: Option<DigestAlgorithm>,
) {
    const NAME: CheckKind = CheckKind::MessageDigest;
    let md = match attrs.single(oid::ATTR_MESSAGE_DIGEST) {
        Ok(Some(v)) if v.tag == tag::OCTET_STRING => v.value,
        Ok(Some(_)) => return c.check(NAME, false, Outcome::NotAnOctetString),
        Ok(None) => return c.check(NAME, false, Outcome::Absent),
        Err(e) => return c.check(NAME, false, Outcome::Attribute(Box::new(e))),
    };
    let Some(expected) = digest_alg.and_then(|a| target.digest(a)) else {
        return c.check(NAME, true, Outcome::DigestNotCompared);
    };
    let equal = md == expected.as_bytes();
    c.data_intact = Some(equal);
    if equal {
        c.check(NAME, true, Outcome::DigestMatches(expected.algorithm()));
    } else {
        c.check(
            NAME,
            false,
            Outcome::DigestMismatch {
                algorithm: expected.algorithm(),
                signed: hex::encode(md).into(),
                content: expected.to_hex().into(),
            },
        );
    }
}

fn check_binding(
    c: &mut SignerCheck,
    attrs: &kenpo_core::cms::Attributes<'_>,
    cert: &CertRef<'_>,
    digests: Option<&CertCache>,
) {
    let v2 = attrs.single(oid::ATTR_SIGNING_CERTIFICATE_V2);
    let v1 = attrs.single(oid::ATTR_SIGNING_CERTIFICATE);
    let (value, is_v2) = match (v2, v1) {
        (Err(e), _) | (Ok(None), Err(e)) => {
            c.signing_cert_bound = Some(false);
            return c.check(
                CheckKind::SigningCertificate { v2: false },
                false,
                Outcome::Attribute(Box::new(e)),
            );
        }
        (Ok(Some(v)), _) => (v, true),
        (Ok(None), Ok(Some(v))) => (v, false),
        (Ok(None), Ok(None)) => return,
    };
    let name = CheckKind::SigningCertificate { v2: is_v2 };
    match first_cert_id_names_with(value.raw, cert, is_v2, digests) {
        Ok(true) => {
            c.signing_cert_bound = Some(true);
            c.check(name, true, Outcome::NamesSigner);
        }
        Ok(false) => {
            c.signing_cert_bound = Some(false);
            c.check(name, false, Outcome::DoesNotNameSigner);
        }
        Err(e) => {
            c.signing_cert_bound = Some(false);
            c.check(name, false, e.to_string());
        }
    }
}

/// Verifies one time-stamp token; `expected` gives the digest the imprint must equal, for
/// the token's imprint algorithm (`None`: not checked).
fn check_token(
    ctx: &Ctx<'_, '_>,
    token: &[u8],
    kind: TimestampKind,
    expected: impl Fn(DigestAlgorithm) -> Option<Digest>,
) -> TimestampCheck {
    // `token` is part of the SignedData's DER form (see `verify_view`): DER already.
    let token_opts = kenpo_tsa::VerifyOptions::default()
        .with_extra_certs(ctx.opts.extra_certs)
        .with_more_certs(ctx.opts.more_certs)
        .with_validator(ctx.opts.tsa_validator)
        .with_keep_path(true)
        .with_backend(ctx.opts.backend)
        .with_cert_cache(ctx.opts.cert_cache);
    let parsed = ctx
        .opts
        .token_views
        .iter()
        .find(|v| std::ptr::eq(v.view().raw, token));
    let verified = match parsed {
        Some(p) => p.check(&token_opts),
        None => SignedDataView::parse(token)
            // As `verify_token` reports it.
            .map_err(|e| kenpo_tsa::TokenError::Structure(e.to_string()))
            .and_then(|v| kenpo_tsa::check_token_view(&v, &token_opts)),
    };
    // The validator's outcome: the token verifies, or the validator rejected its TSA.
    let validated = match &verified {
        Ok(t) => Some((t.tsa.der(), true)),
        Err(kenpo_tsa::TokenError::Untrusted { tsa_cert, .. }) => {
            Some((tsa_cert.as_slice(), false))
        }
        Err(_) => None,
    };
    let tsa_path = validated.and_then(|(cert, passed)| {
        let gen_time = verified.as_ref().ok().map(|t| t.tst_info.gen_time);
        let gen_time = gen_time.or_else(|| tst_info_of_der(token).map(|t| t.gen_time))?;
        let checked_until = ctx.opts.tsa_validator?.checked_until(cert, gen_time)?;
        Some(TsaPathCheck {
            checked_until,
            passed,
        })
    });
    let verified = verified.map_err(|e| e.to_string());
    // A token that verifies carries its TSTInfo; one that does not is read for what it says.
    let unverified;
    let tst = match &verified {
        Ok(v) => Some(&v.tst_info),
        Err(_) => {
            unverified = tst_info_of_der(token);
            unverified.as_ref()
        }
    };
    let gen_time = tst.map(|t| t.gen_time);
    let imprint_intact = tst.and_then(|t| expected(t.imprint.algorithm()).map(|e| e == t.imprint));
    let token_intact = verified.is_ok();
    let tsa_anchor_sha256 = verified
        .as_ref()
        .ok()
        .and_then(|v| v.path.last())
        .map(|a| sha256_array(a, ctx.opts.cert_cache));
    let detail = TimestampFinding {
        tst_readable: tst.is_some(),
        token: match verified {
            Ok(v) => TokenOutcome::Verifies(v.tsa),
            Err(e) => TokenOutcome::Fails(e),
        },
        imprint: imprint_intact,
        scope: ImprintScope::Direct,
    };
    let intact = token_intact && imprint_intact == Some(true);
    TimestampCheck {
        kind,
        gen_time,
        intact,
        token_intact,
        imprint_intact,
        hash_index_valid: None,
        tsa_path,
        tsa_anchor_sha256,
        detail,
    }
}

/// SHA-256 of the certificate `der` as an array (remembered by `cache`, when given: a
/// batch meets the same TSA anchor in every file).
fn sha256_array(der: &[u8], cache: Option<&CertCache>) -> [u8; 32] {
    let sha256 = DigestAlgorithm::Sha256;
    let digest = match cache {
        Some(c) => c.digest(sha256, der),
        None => sha256.digest(der),
    };
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_bytes());
    out
}

/// Verifies an archive time-stamp (`kind` ArchiveV2/V3) carried by the unsigned attribute
/// at `position` of `si`, and what it covers ([`crate::archive`]). `target` is `None` for
/// countersignatures, whose archive time-stamps are only verified as tokens.
fn check_archive(
    ctx: &Ctx<'_, '_>,
    si: &SignerInfoView<'_>,
    position: usize,
    token: &[u8],
    kind: TimestampKind,
    target: Option<&Target<'_>>,
) -> TimestampCheck {
    let mut ts = check_token(ctx, token, kind, |_| None);
    let Some(target) = target else {
        ts.detail.scope = ImprintScope::Countersignature;
        return ts;
    };
    let outcome: Result<(Option<bool>, String), archive::ArchiveError> = match kind {
        TimestampKind::ArchiveV3 => {
            let hashes = archive::hash_index::ElementHashes {
                digest: &|alg, der| match ctx.opts.cert_cache {
                    Some(c) => c.digest(alg, der),
                    None => alg.digest(der),
                },
                attrs: &|kind, alg| ctx.attr_hashes(si, kind, alg),
            };
            archive::v3::check_ats_v3_with(ctx.sd, si, token, &|alg| target.digest(alg), &hashes)
                .map(|c| {
                    ts.hash_index_valid = Some(c.hash_index_valid);
                    (c.imprint_intact, c.detail)
                })
        }
        _ => ctx.v2.check(si, position, token),
    };
    let (imprint_intact, what) = match outcome {
        Ok(o) => o,
        Err(e) => (None, format!("imprint not computable: {e}")),
    };
    ts.imprint_intact = imprint_intact;
    ts.intact = ts.token_intact && imprint_intact == Some(true);
    ts.detail.imprint = imprint_intact;
    ts.detail.scope = ImprintScope::Archive(what);
    ts
}
