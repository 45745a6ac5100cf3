//! Time-stamp token verification (RFC 3161 §2.4.2, RFC 5816, RFC 5652).
//!
//! [`verify_token`] checks everything a token proves by itself: the CMS structure, the
//! content-type and message-digest signed attributes, the signature with the TSA key, the
//! TSA certificate identified through ESSCertID/ESSCertIDv2 (no substitution), its critical
//! timeStamping-only EKU, genTime inside its validity, and — when asked — imprint, nonce and
//! policy. Whether the TSA certificate chains to a trusted root and is unrevoked is a
//! question of path validation: pass a [`TsaCertValidator`] (kenpo-verify supplies the full
//! RFC 5280 one; [`crate::chain::AnchorChain`] is a simple anchor-and-signature check).

use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use kenpo_core::alg::{Digest, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::cert_cache::CertCache;
use kenpo_core::cms::{SignedDataView, SignerId};
use kenpo_core::crypto::{CryptoBackend, default_backend};
use kenpo_core::der_span::tag;
use kenpo_core::ess::first_cert_id_names_with;
use kenpo_core::oid;
use kenpo_core::shared_cert::SharedCert;
use time::OffsetDateTime;
use x509_cert::ext::pkix::ExtendedKeyUsage;

use crate::error::FormatError;
use crate::tstinfo::{Accuracy, TstInfo};

/// Why a token is not acceptable. Each variant names one cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not CMS SignedData or is malformed.
    #[error("token structure: {0}")]
    Structure(String),
    /// eContentType is not id-ct-TSTInfo.
    #[error("eContentType is {0}, not id-ct-TSTInfo")]
    NotTstInfo(String),
    /// TSTInfo is malformed.
    #[error(transparent)]
    TstInfo(#[from] FormatError),
    /// Not exactly one SignerInfo.
    #[error("token has {0} SignerInfos; RFC 3161 requires exactly one")]
    SignerCount(usize),
    /// A required signed attribute is missing.
    #[error("signed attribute {0} is missing")]
    MissingAttribute(&'static str),
    /// A signed attribute is malformed or duplicated.
    #[error("signed attribute {name}: {detail}")]
    BadAttribute {
        /// Attribute name.
        name: &'static str,
        /// Problem.
        detail: String,
    },
    /// message-digest does not match the TSTInfo.
    #[error("message-digest attribute does not match the TSTInfo")]
    MessageDigestMismatch,
    /// No certificate matching the SignerInfo's sid was found.
    #[error("TSA certificate not found (not embedded and not supplied)")]
    TsaCertNotFound,
    /// ESSCertID/ESSCertIDv2 does not identify the certificate that verifies.
    #[error("signing-certificate attribute does not identify the TSA certificate")]
    SigningCertMismatch,
    /// The algorithm is not supported.
    #[error("algorithm: {0}")]
    Algorithm(String),
    /// The TSA signature does not verify.
    #[error("TSA signature does not verify: {0}")]
    BadSignature(String),
    /// The TSA certificate lacks the critical timeStamping-only EKU.
    #[error("TSA certificate extended key usage: {0}")]
    BadEku(&'static str),
    /// genTime lies outside the TSA certificate's validity.
    #[error("genTime {gen_time} outside the TSA certificate validity {not_before} … {not_after}")]
    GenTimeOutsideValidity {
        /// genTime.
        gen_time: String,
        /// notBefore.
        not_before: String,
        /// notAfter.
        not_after: String,
    },
    /// The token is for other data.
    #[error("message imprint does not match: token covers {found}, expected {expected}")]
    ImprintMismatch {
        /// Expected digest.
        expected: String,
        /// Digest in the token.
        found: String,
    },
    /// Nonce missing or different from the request's.
    #[error("nonce mismatch (sent {sent}, received {received})")]
    NonceMismatch {
        /// Sent nonce (hex).
        sent: String,
        /// Received nonce (hex or "none").
        received: String,
    },
    /// Policy differs from the one required.
    #[error("policy {found} is not the required {required}")]
    PolicyMismatch {
        /// Required.
        required: String,
        /// Found.
        found: String,
    },
    /// The chain/revocation hook rejected the TSA certificate.
    #[error("TSA certificate not trusted: {reason}")]
    Untrusted {
        /// The TSA certificate (DER) rejected.
        tsa_cert: Vec<u8>,
        /// Why.
        reason: String,
    },
}

/// Hook for validating the TSA certificate's path and revocation at genTime.
pub trait TsaCertValidator: Send + Sync {
    /// Validates `tsa_cert` at `at`; `candidates` are other certificates from the token
    /// (possible intermediates). Returns the validated path (TSA first) or why not.
    fn validate(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String>;

    /// As [`TsaCertValidator::validate`] for a caller that keeps no path
    /// ([`VerifyOptions::keep_path`] false): only whether it validates, or why not. The
    /// default calls `validate`; implementations may skip copying the path out.
    fn accepts(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<(), String> {
        self.validate(tsa_cert, candidates, at).map(drop)
    }

    /// The time up to which this validator checks the path of `tsa_cert` for a token made
    /// at `gen_time`, when that is not `gen_time` alone (e.g. until the next archive
    /// time-stamp); callers report it with the validation's outcome. The default: `None`.
    fn checked_until(&self, tsa_cert: &[u8], gen_time: OffsetDateTime) -> Option<OffsetDateTime> {
        let _ = (tsa_cert, gen_time);
        None
    }
}

/// What to check besides the token's own consistency: start from
/// [`VerifyOptions::default`] and set what applies with the `with_*` methods.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// The digest the token must cover.
    pub expected_imprint: Option<&'a Digest>,
    /// The nonce sent in the request (INTEGER contents).
    pub expected_nonce: Option<&'a [u8]>,
    /// A policy the token must carry.
    pub required_policy: Option<Oid>,
    /// Certificates to search for the TSA certificate when the token does not embed it.
    pub extra_certs: &'a [Vec<u8>],
    /// More, borrowed, searched after `extra_certs`.
    pub more_certs: &'a [&'a [u8]],
    /// Chain and revocation check of the TSA certificate.
    pub validator: Option<&'a dyn TsaCertValidator>,
    /// Whether the validator's path is kept ([`VerifiedToken::path`]); when false the
    /// path is only validated ([`TsaCertValidator::accepts`]) and left empty. Default true.
    pub keep_path: bool,
    /// Crypto backend.
    pub backend: &'a dyn CryptoBackend,
    /// The caller's certificates parsed and hashed before (a TSA certificate met before is
    /// not parsed nor hashed again); `None`: parsed and hashed each time.
    pub cert_cache: Option<&'a CertCache>,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        Self {
            expected_imprint: None,
            expected_nonce: None,
            required_policy: None,
            extra_certs: &[],
            more_certs: &[],
            validator: None,
            keep_path: true,
            backend: default_backend(),
            cert_cache: None,
        }
    }
}

impl<'a> VerifyOptions<'a> {
    /// The digest the token must cover.
    #[must_use]
    pub fn with_expected_imprint(mut self, digest: Option<&'a Digest>) -> Self {
        self.expected_imprint = digest;
        self
    }

    /// The nonce sent in the request (INTEGER contents).
    #[must_use]
    pub fn with_expected_nonce(mut self, nonce: Option<&'a [u8]>) -> Self {
        self.expected_nonce = nonce;
        self
    }

    /// A policy the token must carry.
    #[must_use]
    pub fn with_required_policy(mut self, policy: Option<Oid>) -> Self {
        self.required_policy = policy;
        self
    }

    /// Certificates to search for the TSA certificate when the token does not embed it.
    #[must_use]
    pub fn with_extra_certs(mut self, certs: &'a [Vec<u8>]) -> Self {
        self.extra_certs = certs;
        self
    }

    /// More certificates, borrowed, searched after the extra ones.
    #[must_use]
    pub fn with_more_certs(mut self, certs: &'a [&'a [u8]]) -> Self {
        self.more_certs = certs;
        self
    }

    /// Chain and revocation check of the TSA certificate.
    #[must_use]
    pub fn with_validator(mut self, validator: Option<&'a dyn TsaCertValidator>) -> Self {
        self.validator = validator;
        self
    }

    /// Whether the validator's path is kept (default true).
    #[must_use]
    pub fn with_keep_path(mut self, keep: bool) -> Self {
        self.keep_path = keep;
        self
    }

    /// The crypto backend.
    #[must_use]
    pub fn with_backend(mut self, backend: &'a dyn CryptoBackend) -> Self {
        self.backend = backend;
        self
    }

    /// The caller's certificate cache.
    #[must_use]
    pub fn with_cert_cache(mut self, cache: Option<&'a CertCache>) -> Self {
        self.cert_cache = cache;
        self
    }
}

impl std::fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("expected_imprint", &self.expected_imprint)
            .field("required_policy", &self.required_policy)
            .field("validator", &self.validator.is_some())
            .field("keep_path", &self.keep_path)
            .field("backend", &self.backend.name())
            .finish()
    }
}

/// A token that passed [`verify_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The TSTInfo.
    pub tst_info: TstInfo,
    /// The TSA certificate (DER) that signed it.
    pub tsa_cert: Vec<u8>,
    /// The validated path from the validator hook (TSA first), empty without a hook or
    /// when [`VerifyOptions::keep_path`] is false.
    pub path: Vec<Vec<u8>>,
    /// All certificates embedded in the token.
    pub embedded_certs: Vec<Vec<u8>>,
    /// The TSA's signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
}

impl VerifiedToken {
    /// genTime.
    pub fn gen_time(&self) -> OffsetDateTime {
        self.tst_info.gen_time
    }

    /// accuracy.
    pub fn accuracy(&self) -> Option<Accuracy> {
        self.tst_info.accuracy
    }

    /// TSA policy.
    pub fn policy(&self) -> Oid {
        self.tst_info.policy
    }

    /// Serial number (hex).
    pub fn serial_hex(&self) -> String {
        self.tst_info.serial_hex()
    }

    /// Subject of the TSA certificate.
    pub fn tsa_subject(&self) -> String {
        CertRef::subject_of(&self.tsa_cert)
            .map(kenpo_core::asn1::name::name_string)
            .unwrap_or_default()
    }
}

fn structure(e: impl std::fmt::Display) -> TokenError {
    TokenError::Structure(e.to_string())
}

fn bad_attr(name: &'static str, e: impl std::fmt::Display) -> TokenError {
    TokenError::BadAttribute {
        name,
        detail: e.to_string(),
    }
}

/// Verifies a DER TimeStampToken (a ContentInfo), see the module docs.
pub fn verify_token(
    token_der: &[u8],
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedToken, TokenError> {
    let sd = SignedDataView::parse(token_der).map_err(structure)?;
    verify_token_view(&sd, opts)
}

/// [`verify_token`] of a token already parsed (a caller that has read the token for
/// other purposes does not parse it twice).
pub fn verify_token_view(
    sd: &SignedDataView<'_>,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedToken, TokenError> {
    check_token_view(sd, opts).map(CheckedToken::into_owned)
}

/// A token that passed every check of [`verify_token`], its certificates not yet copied
/// out of the token (see [`check_token_view`]).
#[derive(Debug, Clone)]
pub struct CheckedToken<'a> {
    /// The TSTInfo.
    pub tst_info: TstInfo,
    /// The TSA certificate that signed it.
    pub tsa: Arc<SharedCert>,
    /// The validated path from the validator hook (TSA first), empty without a hook or
    /// when [`VerifyOptions::keep_path`] is false.
    pub path: Vec<Vec<u8>>,
    /// All certificates embedded in the token.
    pub embedded_certs: Vec<&'a [u8]>,
    /// The TSA's signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
}

impl CheckedToken<'_> {
    /// Subject of the TSA certificate.
    pub fn tsa_subject(&self) -> String {
        self.tsa.cert().subject_string()
    }

    /// The [`VerifiedToken`], with its certificates copied.
    pub fn into_owned(self) -> VerifiedToken {
        VerifiedToken {
            tst_info: self.tst_info,
            tsa_cert: self.tsa.cert().raw.to_vec(),
            path: self.path,
            embedded_certs: self.embedded_certs.iter().map(|c| c.to_vec()).collect(),
            signature_algorithm: self.signature_algorithm,
        }
    }
}

/// [`verify_token_view`] without copying the certificates out of the token: for callers
/// that only read what the token says (a verifier reporting on thousands of files).
pub fn check_token_view<'a>(
    sd: &SignedDataView<'a>,
    opts: &VerifyOptions<'_>,
) -> Result<CheckedToken<'a>, TokenError> {
    check_with(sd, || sd.econtent.map(TstInfo::parse), opts)
}

/// A time-stamp token read but not verified: its SignedData and its eContent read as a
/// TSTInfo, once for every use (a verifier orders a signature's tokens by genTime before
/// it verifies them).
#[derive(Debug, Clone)]
pub struct ParsedToken<'a> {
    view: SignedDataView<'a>,
    /// `TstInfo::parse` of the eContent, when there is one (whatever eContentType says).
    tst_info: Option<Result<TstInfo, FormatError>>,
}

impl<'a> ParsedToken<'a> {
    /// Reads the TSTInfo of `view`.
    pub fn new(view: SignedDataView<'a>) -> Self {
        let tst_info = view.econtent.map(TstInfo::parse);
        Self { view, tst_info }
    }

    /// The SignedData.
    pub fn view(&self) -> &SignedDataView<'a> {
        &self.view
    }

    /// The eContent read as a TSTInfo, if it reads as one (unverified; eContentType not
    /// looked at).
    pub fn tst_info(&self) -> Option<&TstInfo> {
        self.tst_info.as_ref()?.as_ref().ok()
    }

    /// [`check_token_view`] of this token, its TSTInfo not read again.
    pub fn check(&self, opts: &VerifyOptions<'_>) -> Result<CheckedToken<'a>, TokenError> {
        check_with(&self.view, || self.tst_info.clone(), opts)
    }
}

/// [`check_token_view`], the eContent read as a TSTInfo by `tst_info` (`None`: absent).
fn check_with<'a>(
    sd: &SignedDataView<'a>,
    tst_info: impl FnOnce() -> Option<Result<TstInfo, FormatError>>,
    opts: &VerifyOptions<'_>,
) -> Result<CheckedToken<'a>, TokenError> {
    if sd.econtent_type != oid::ID_CT_TST_INFO {
        return Err(TokenError::NotTstInfo(sd.econtent_type.to_string()));
    }
    let econtent = sd
        .econtent
        .ok_or_else(|| structure("TSTInfo content is absent"))?;
    let tst_info = tst_info().ok_or_else(|| structure("TSTInfo content is absent"))??;
    let [si] = sd.signer_infos.as_slice() else {
        return Err(TokenError::SignerCount(sd.signer_infos.len()));
    };
    let digest_alg = si
        .digest_alg()
        .map_err(|e| TokenError::Algorithm(e.to_string()))?;
    let sig_alg =
        SignatureAlgorithm::from_algorithm_identifier(&si.signature_algorithm, Some(digest_alg))
            .map_err(|e| TokenError::Algorithm(e.to_string()))?;
    if sig_alg.digest() != digest_alg {
        return Err(TokenError::Algorithm(format!(
            "signature algorithm {} with digestAlgorithm {}",
            sig_alg.name(),
            digest_alg.name()
        )));
    }
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TokenError::MissingAttribute("signedAttrs"))?;

    // content-type and message-digest: exactly once, bound to the TSTInfo.
    let ct = attrs
        .single(oid::ATTR_CONTENT_TYPE)
        .map_err(|e| bad_attr("content-type", e))?
        .ok_or(TokenError::MissingAttribute("content-type"))?;
    if !oid::der_is(ct.raw, &oid::ID_CT_TST_INFO) {
        return Err(bad_attr("content-type", "is not id-ct-TSTInfo"));
    }
    let md = attrs
        .single(oid::ATTR_MESSAGE_DIGEST)
        .map_err(|e| bad_attr("message-digest", e))?
        .ok_or(TokenError::MissingAttribute("message-digest"))?;
    if md.tag != tag::OCTET_STRING {
        return Err(bad_attr("message-digest", "not an OCTET STRING"));
    }
    if md.value != digest_alg.digest(econtent).as_bytes() {
        return Err(TokenError::MessageDigestMismatch);
    }

    // The TSA certificate: the one the sid names, among embedded and supplied certificates.
    let embedded: Vec<&[u8]> = sd.x509_certificates().collect();
    let candidates = embedded
        .iter()
        .copied()
        .chain(opts.extra_certs.iter().map(Vec::as_slice))
        .chain(opts.more_certs.iter().copied());
    let tsa = candidates
        .filter(|c| match si.sid {
            // Cheap pre-filter: only the named certificate is parsed in full.
            SignerId::IssuerSerial { issuer, serial } => {
                CertRef::issuer_and_serial(c).is_ok_and(|(i, s)| i == issuer && s == serial)
            }
            SignerId::SubjectKeyId(_) => true,
        })
        .filter_map(|c| match opts.cert_cache {
            Some(cache) => cache.cert(c).ok(),
            None => SharedCert::parse(c).ok().map(Arc::new),
        })
        .find(|c| si.sid.matches(c.cert()))
        .ok_or(TokenError::TsaCertNotFound)?;
    let tsa_shared = tsa;
    let tsa = tsa_shared.cert();

    // ESSCertIDv2 (RFC 5816) or ESSCertID (RFC 3161) must name that very certificate.
    let v2 = attrs
        .single(oid::ATTR_SIGNING_CERTIFICATE_V2)
        .map_err(|e| bad_attr("signing-certificate-v2", e))?;
    let v1 = attrs
        .single(oid::ATTR_SIGNING_CERTIFICATE)
        .map_err(|e| bad_attr("signing-certificate", e))?;
    let named = match (v2, v1) {
        (Some(v), _) => first_cert_id_names_with(v.raw, tsa, true, opts.cert_cache)
            .map_err(|e| bad_attr("signing-certificate-v2", e))?,
        (None, Some(v)) => first_cert_id_names_with(v.raw, tsa, false, opts.cert_cache)
            .map_err(|e| bad_attr("signing-certificate", e))?,
        (None, None) => return Err(TokenError::MissingAttribute("signing-certificate(-v2)")),
    };
    if !named {
        return Err(TokenError::SigningCertMismatch);
    }

    // The signature over the signed attributes exactly as received.
    let digest = attrs.digest_as_set(digest_alg);
    opts.backend
        .verify_digest(tsa.spki, sig_alg, &digest, si.signature)
        .map_err(|e| TokenError::BadSignature(e.to_string()))?;

    check_tsa_eku(tsa)?;
    if !tsa.valid_at(tst_info.gen_time) {
        let f = kenpo_core::timefmt::rfc3339;
        return Err(TokenError::GenTimeOutsideValidity {
            gen_time: f(tst_info.gen_time),
            not_before: f(tsa.not_before()),
            not_after: f(tsa.not_after()),
        });
    }

    if let Some(expected) = opts.expected_imprint
        && *expected != tst_info.imprint
    {
        return Err(TokenError::ImprintMismatch {
            expected: format!("{} {}", expected.algorithm().name(), expected.to_hex()),
            found: format!(
                "{} {}",
                tst_info.imprint.algorithm().name(),
                tst_info.imprint.to_hex()
            ),
        });
    }
    if let Some(sent) = opts.expected_nonce
        && tst_info.nonce.as_deref() != Some(sent)
    {
        return Err(TokenError::NonceMismatch {
            sent: hex::encode(sent),
            received: tst_info
                .nonce
                .as_deref()
                .map(hex::encode)
                .unwrap_or_else(|| "none".into()),
        });
    }
    if let Some(required) = opts.required_policy
        && tst_info.policy != required
    {
        return Err(TokenError::PolicyMismatch {
            required: required.to_string(),
            found: tst_info.policy.to_string(),
        });
    }
    let path = match opts.validator {
        Some(v) => {
            let others: Vec<&[u8]> = embedded.iter().copied().filter(|c| *c != tsa.raw).collect();
            if opts.keep_path {
                v.validate(tsa.raw, &others, tst_info.gen_time)
            } else {
                v.accepts(tsa.raw, &others, tst_info.gen_time)
                    .map(|()| Vec::new())
            }
            .map_err(|reason| TokenError::Untrusted {
                tsa_cert: tsa.raw.to_vec(),
                reason,
            })?
        }
        None => Vec::new(),
    };
    Ok(CheckedToken {
        tst_info,
        tsa: Arc::clone(&tsa_shared),
        path,
        embedded_certs: embedded,
        signature_algorithm: sig_alg,
    })
}

/// The DER of an extendedKeyUsage value naming id-kp-timeStamping (1.3.6.1.5.5.7.3.8) alone.
const TIME_STAMPING_ONLY: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
];

/// RFC 3161 §2.3: the TSA certificate has exactly one EKU, id-kp-timeStamping, marked
/// critical.
pub fn check_tsa_eku(tsa: &CertRef<'_>) -> Result<(), TokenError> {
    let ext = tsa
        .extension(const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .ok_or(TokenError::BadEku("extendedKeyUsage is absent"))?;
    if !ext.critical {
        return Err(TokenError::BadEku("extendedKeyUsage is not critical"));
    }
    // The one encoding every TSA certificate has: SEQUENCE { id-kp-timeStamping }.
    if ext.value == TIME_STAMPING_ONLY {
        return Ok(());
    }
    let eku = ExtendedKeyUsage::from_der(ext.value)
        .map_err(|_| TokenError::BadEku("extendedKeyUsage is malformed"))?;
    match eku.0.as_slice() {
        [only] if *only == oid::KP_TIME_STAMPING => Ok(()),
        _ => Err(TokenError::BadEku("must contain id-kp-timeStamping only")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_time_stamping_only_encoding_decodes_to_that_one_purpose() {
        let eku = ExtendedKeyUsage::from_der(&TIME_STAMPING_ONLY).unwrap();
        assert_eq!(eku.0, vec![oid::KP_TIME_STAMPING]);
    }
}
