//! OCSP (RFC 6960): requests, responses read with spans, responder authorization and the
//! status of a certificate at a given time.
//!
//! The response signature is verified over the exact `tbsResponseData` bytes received
//! (never a re-encoding). The responder must be the CA itself, or a delegated responder
//! whose certificate is issued by the CA, carries id-kp-OCSPSigning and is valid when the
//! response was produced (RFC 6960 §4.2.2.2). A delegated responder without
//! id-pkix-ocsp-nocheck is accepted but reported ([`Responder::Delegated::ocsp_nocheck`]):
//! its own revocation status is not checked here.
//!
//! Both a full `OCSPResponse` and a bare `BasicOCSPResponse` (as CAdES/PAdES embed them)
//! are accepted by [`OcspResponse::from_der`].

use std::ops::Range;
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::{AlgError, DigestAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::CryptoError;
use kenpo_core::der_span::{SpanError, Tlv, parse_one, tag, tlv};
use kenpo_core::oid::{KP_OCSP_SIGNING, OCSP_NOCHECK};
use kenpo_core::timefmt::rfc3339;
use time::{Duration, OffsetDateTime};

use crate::Finding;
use crate::asn1::{self, SigFailure, range_of};
use crate::fetch::{FetchError, Fetcher};
use crate::names;

/// MIME type of an OCSP request (RFC 6960 appendix A.1).
pub const CONTENT_TYPE_REQUEST: &str = "application/ocsp-request";
/// id-pkix-ocsp-basic.
pub const ID_PKIX_OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
pub const ID_PKIX_OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// Length of the nonces [`random_nonce`] makes (RFC 8954 recommends 32 octets).
pub const NONCE_LEN: usize = 32;

/// id-pkix-ocsp-crl, id-pkix-ocsp-archive-cutoff, id-pkix-ocsp-extended-revoke, …:
/// informational extensions that need no processing.
const KNOWN_EXTENSIONS: &[&str] = &[
    "1.3.6.1.5.5.7.48.1.2",
    "1.3.6.1.5.5.7.48.1.3",
    "1.3.6.1.5.5.7.48.1.6",
    "1.3.6.1.5.5.7.48.1.9",
];

/// Why an OCSP exchange or response cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    /// DER structure error.
    #[error("OCSP DER: {0}")]
    Der(#[from] SpanError),
    /// Well-formed DER that is not a valid OCSP message.
    #[error("malformed OCSP response: {0}")]
    Malformed(String),
    /// responseStatus is not successful.
    #[error("OCSP responder answered {0}")]
    NotSuccessful(ResponseStatus),
    /// A successful response without responseBytes.
    #[error("successful OCSP response without responseBytes")]
    NoResponseBytes,
    /// A responseType other than id-pkix-ocsp-basic.
    #[error("unsupported OCSP responseType {0}")]
    UnsupportedResponseType(Oid),
    /// No SingleResponse has the certificate's CertID.
    #[error("no response for the certificate (serial {serial}) in the OCSP response")]
    NoMatchingResponse {
        /// The certificate's serial, upper-case hex.
        serial: String,
    },
    /// The matching CertIDs use a hash algorithm kenpo-sign does not support.
    #[error("unsupported CertID hash algorithm {0}")]
    UnsupportedCertIdHash(Oid),
    /// No certificate in the response matches the ResponderID, and the CA is not it.
    #[error("OCSP responder certificate not found (ResponderID {0})")]
    ResponderNotFound(String),
    /// The delegated responder certificate is not issued by the certificate's CA.
    #[error("OCSP responder certificate is not issued by the CA: {0}")]
    ResponderNotIssuedByCa(String),
    /// The delegated responder certificate lacks extendedKeyUsage id-kp-OCSPSigning.
    #[error("OCSP responder certificate lacks extendedKeyUsage id-kp-OCSPSigning")]
    MissingOcspSigningEku,
    /// The delegated responder certificate's keyUsage forbids signing.
    #[error(
        "OCSP responder certificate's keyUsage has neither digitalSignature nor nonRepudiation"
    )]
    ResponderKeyUsage,
    /// The delegated responder certificate was not valid when the response was produced.
    #[error("OCSP responder certificate not valid at producedAt {}", rfc3339(*.0))]
    ResponderCertNotValid(OffsetDateTime),
    /// Unsupported or malformed signature algorithm.
    #[error("OCSP signature algorithm: {0}")]
    Algorithm(AlgError),
    /// The response signature does not verify with the responder's key.
    #[error("OCSP response signature does not verify: {0}")]
    BadSignature(CryptoError),
    /// The response carries a nonce other than the request's.
    #[error("OCSP response nonce does not match the request's")]
    NonceMismatch,
    /// A critical extension kenpo-sign does not implement.
    #[error("unsupported critical OCSP extension {0}")]
    UnsupportedCriticalExtension(Oid),
    /// thisUpdate (or producedAt) lies in the future beyond the clock skew.
    #[error("OCSP response thisUpdate/producedAt {} is in the future", rfc3339(*.0))]
    NotYetValid(OffsetDateTime),
    /// nextUpdate is before the time asked about.
    #[error("OCSP response is stale for {}: nextUpdate {}", rfc3339(*.at), rfc3339(*.next_update))]
    Stale {
        /// The time asked about.
        at: OffsetDateTime,
        /// nextUpdate.
        next_update: OffsetDateTime,
    },
    /// No nextUpdate, and thisUpdate is before the time asked about.
    #[error("OCSP response without nextUpdate from {} cannot vouch for {}", rfc3339(*.this_update), rfc3339(*.at))]
    NoNextUpdate {
        /// The time asked about.
        at: OffsetDateTime,
        /// thisUpdate.
        this_update: OffsetDateTime,
    },
    /// certificateHold and the response is not current for the time asked about.
    #[error("certificate on hold since {} and the OCSP response is not current for {}", rfc3339(*.since), rfc3339(*.at))]
    OnHoldStale {
        /// revocationTime.
        since: OffsetDateTime,
        /// The time asked about.
        at: OffsetDateTime,
    },
    /// The responder does not know the certificate.
    #[error("OCSP responder says the certificate status is unknown")]
    StatusUnknown,
    /// The request could not be built.
    #[error("OCSP request: {0}")]
    Request(String),
    /// HTTP failed.
    #[error("{0}")]
    Fetch(#[from] FetchError),
}

/// OCSPResponseStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    /// successful (0).
    Successful,
    /// malformedRequest (1).
    MalformedRequest,
    /// internalError (2).
    InternalError,
    /// tryLater (3).
    TryLater,
    /// sigRequired (5).
    SigRequired,
    /// unauthorized (6).
    Unauthorized,
    /// Any other value.
    Other(u64),
}

impl ResponseStatus {
    fn from_code(c: u64) -> Self {
        match c {
            0 => Self::Successful,
            1 => Self::MalformedRequest,
            2 => Self::InternalError,
            3 => Self::TryLater,
            5 => Self::SigRequired,
            6 => Self::Unauthorized,
            other => Self::Other(other),
        }
    }
}

impl std::fmt::Display for ResponseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Successful => f.write_str("successful"),
            Self::MalformedRequest => f.write_str("malformedRequest"),
            Self::InternalError => f.write_str("internalError"),
            Self::TryLater => f.write_str("tryLater"),
            Self::SigRequired => f.write_str("sigRequired"),
            Self::Unauthorized => f.write_str("unauthorized"),
            Self::Other(c) => write!(f, "status {c}"),
        }
    }
}

/// ResponderID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderId {
    /// byName: the responder's subject Name TLV.
    ByName(Vec<u8>),
    /// byKey: SHA-1 of the responder's subjectPublicKey.
    ByKey(Vec<u8>),
}

impl std::fmt::Display for ResponderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ByName(n) => write!(f, "byName {}", kenpo_core::asn1::name::name_string(n)),
            Self::ByKey(k) => write!(f, "byKey {}", hex::encode_upper(k)),
        }
    }
}

impl ResponderId {
    /// Whether this ID designates the holder of `cert`.
    pub fn designates(&self, cert: &CertRef<'_>) -> bool {
        match self {
            Self::ByName(n) => names::names_equal(n, cert.subject),
            Self::ByKey(k) => asn1::public_key_bits(cert.spki)
                .is_ok_and(|bits| DigestAlgorithm::Sha1.digest(bits).as_bytes() == k.as_slice()),
        }
    }
}

/// CertID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    /// hashAlgorithm OID.
    pub hash_algorithm: Oid,
    /// issuerNameHash.
    pub issuer_name_hash: Vec<u8>,
    /// issuerKeyHash.
    pub issuer_key_hash: Vec<u8>,
    /// serialNumber INTEGER contents.
    pub serial: Vec<u8>,
}

impl CertId {
    fn from_tlv(t: Tlv<'_>) -> Result<Self, OcspError> {
        let mut r = t.expect(tag::SEQUENCE)?.reader();
        let mut alg = r.expect(tag::SEQUENCE)?.reader();
        let hash_algorithm = asn1::read_oid(alg.read()?).map_err(OcspError::Malformed)?;
        let issuer_name_hash = r.expect(tag::OCTET_STRING)?.value.to_vec();
        let issuer_key_hash = r.expect(tag::OCTET_STRING)?.value.to_vec();
        let serial = r.expect(tag::INTEGER)?.value.to_vec();
        r.finish()?;
        Ok(Self {
            hash_algorithm,
            issuer_name_hash,
            issuer_key_hash,
            serial,
        })
    }

    /// Whether this CertID identifies `cert` issued by `issuer`.
    ///
    /// `Err` when the hash algorithm is unsupported.
    pub fn matches(&self, cert: &CertRef<'_>, issuer: &CertRef<'_>) -> Result<bool, OcspError> {
        let alg = DigestAlgorithm::from_oid(&self.hash_algorithm)
            .map_err(|_| OcspError::UnsupportedCertIdHash(self.hash_algorithm))?;
        if asn1::canonical_int(&self.serial) != asn1::canonical_int(cert.serial) {
            return Ok(false);
        }
        let key = asn1::public_key_bits(issuer.spki)?;
        if alg.digest(key).as_bytes() != self.issuer_key_hash.as_slice() {
            return Ok(false);
        }
        let name_ok = alg.digest(cert.issuer).as_bytes() == self.issuer_name_hash.as_slice()
            || alg.digest(issuer.subject).as_bytes() == self.issuer_name_hash.as_slice();
        Ok(name_ok)
    }
}

/// CertStatus with its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    /// good.
    Good,
    /// revoked.
    Revoked {
        /// revocationTime.
        time: OffsetDateTime,
        /// revocationReason, when given.
        reason: Option<u8>,
    },
    /// unknown.
    Unknown,
}

/// One SingleResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse {
    /// certID.
    pub cert_id: CertId,
    /// certStatus.
    pub status: CertStatus,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: Option<OffsetDateTime>,
    unsupported_critical: Option<Oid>,
}

/// The parts of a BasicOCSPResponse.
#[derive(Debug, Clone)]
pub struct BasicResponse {
    tbs: Range<usize>,
    sig_alg: Range<usize>,
    signature: Range<usize>,
    certs: Vec<Range<usize>>,
    /// responderID.
    pub responder_id: ResponderId,
    /// producedAt.
    pub produced_at: OffsetDateTime,
    /// responses.
    pub responses: Vec<SingleResponse>,
    /// The nonce extension's value, when present.
    pub nonce: Option<Vec<u8>>,
    unsupported_critical: Option<Oid>,
}

/// A parsed OCSP response (or bare BasicOCSPResponse), keeping its encoding.
#[derive(Debug, Clone)]
pub struct OcspResponse {
    raw: Arc<Vec<u8>>,
    /// responseStatus (successful for a bare BasicOCSPResponse).
    pub status: ResponseStatus,
    basic_span: Option<Range<usize>>,
    /// The BasicOCSPResponse, when the status is successful.
    pub basic: Option<BasicResponse>,
}

/// Who signed a verified response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Responder {
    /// The CA that issued the certificate.
    Issuer,
    /// A delegated responder certificate issued by the CA (id-kp-OCSPSigning).
    Delegated {
        /// Its certificate (DER).
        cert_der: Vec<u8>,
        /// Whether it carries id-pkix-ocsp-nocheck. Without it, RFC 6960 §4.2.2.2.1 says
        /// the responder certificate's own status should be checked; kenpo-sign does not.
        ocsp_nocheck: bool,
    },
}

/// What a verified response says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedOcsp {
    /// certStatus.
    pub status: CertStatus,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: Option<OffsetDateTime>,
    /// producedAt.
    pub produced_at: OffsetDateTime,
    /// Who signed it.
    pub responder: Responder,
}

/// Options of [`OcspResponse::verify`]: start from [`VerifyOptions::default`] (now, the
/// default skew) and set what applies with the `with_*` methods.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// The nonce sent; a response carrying a different one is rejected (one without any
    /// nonce is accepted: many responders pre-produce responses).
    pub expected_nonce: Option<&'a [u8]>,
    /// Extra certificates (DER) to look for the delegated responder in, besides those in
    /// the response.
    pub extra_certs: &'a [Vec<u8>],
    /// The current time (for "not in the future" checks).
    pub now: OffsetDateTime,
    /// Allowed clock skew.
    pub skew: Duration,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        Self {
            expected_nonce: None,
            extra_certs: &[],
            now: OffsetDateTime::now_utc(),
            skew: crate::DEFAULT_CLOCK_SKEW,
        }
    }
}

impl<'a> VerifyOptions<'a> {
    /// The nonce sent; a response carrying a different one is rejected.
    #[must_use]
    pub fn with_expected_nonce(mut self, nonce: Option<&'a [u8]>) -> Self {
        self.expected_nonce = nonce;
        self
    }

    /// Extra certificates (DER) to look for the delegated responder in.
    #[must_use]
    pub fn with_extra_certs(mut self, certs: &'a [Vec<u8>]) -> Self {
        self.extra_certs = certs;
        self
    }

    /// The current time (for "not in the future" checks).
    #[must_use]
    pub fn with_now(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    /// The allowed clock skew.
    #[must_use]
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }
}

fn integer_value(v: &[u8]) -> Result<u64, OcspError> {
    if v.is_empty() || v.len() > 8 {
        return Err(OcspError::Malformed("bad ENUMERATED".into()));
    }
    Ok(v.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

fn gtime(t: Tlv<'_>, what: &str) -> Result<OffsetDateTime, OcspError> {
    kenpo_core::asn1::time::generalized_time(t)
        .map_err(|e| OcspError::Malformed(format!("{what}: {e}")))
}

/// Checks an `[n] EXPLICIT Extensions` field: unknown critical ones are reported; the
/// nonce is returned.
fn scan_extensions(field: Tlv<'_>) -> Result<(Option<Vec<u8>>, Option<Oid>), OcspError> {
    let mut nonce = None;
    let mut unsupported = None;
    let exts = kenpo_core::asn1::extensions::explicit_extensions(field);
    for ext in exts.map_err(|e| OcspError::Malformed(e.to_string()))? {
        if ext.oid == ID_PKIX_OCSP_NONCE {
            nonce = Some(ext.value.to_vec());
        } else if ext.critical
            && !KNOWN_EXTENSIONS.contains(&ext.oid.to_string().as_str())
            && unsupported.is_none()
        {
            unsupported = Some(ext.oid);
        }
    }
    Ok((nonce, unsupported))
}

fn parse_single(t: Tlv<'_>) -> Result<SingleResponse, OcspError> {
    let mut r = t.expect(tag::SEQUENCE)?.reader();
    let cert_id = CertId::from_tlv(r.read()?)?;
    let st = r.read()?;
    let status = match st.tag {
        0x80 => CertStatus::Good,
        0x82 => CertStatus::Unknown,
        0xa1 => {
            let mut rr = st.reader();
            let time = gtime(rr.read()?, "revocationTime")?;
            let reason = match rr.optional(0xa0)? {
                Some(f) => {
                    let mut fr = f.reader();
                    let e = fr.expect(0x0a)?;
                    fr.finish()?;
                    match e.value {
                        [c] => Some(*c),
                        _ => return Err(OcspError::Malformed("bad revocationReason".into())),
                    }
                }
                None => None,
            };
            rr.finish()?;
            CertStatus::Revoked { time, reason }
        }
        other => {
            return Err(OcspError::Malformed(format!(
                "certStatus with tag 0x{other:02x}"
            )));
        }
    };
    let this_update = gtime(r.read()?, "thisUpdate")?;
    let next_update = match r.optional(0xa0)? {
        Some(f) => {
            let mut fr = f.reader();
            let t = gtime(fr.read()?, "nextUpdate")?;
            fr.finish()?;
            Some(t)
        }
        None => None,
    };
    let unsupported_critical = match r.optional(0xa1)? {
        Some(f) => scan_extensions(f)?.1,
        None => None,
    };
    r.finish()?;
    Ok(SingleResponse {
        cert_id,
        status,
        this_update,
        next_update,
        unsupported_critical,
    })
}

fn parse_basic(base: &[u8], t: Tlv<'_>) -> Result<BasicResponse, OcspError> {
    let mut r = t.expect(tag::SEQUENCE)?.reader();
    let tbs = r.expect(tag::SEQUENCE)?;
    let sig_alg = r.expect(tag::SEQUENCE)?;
    let sig = r.expect(tag::BIT_STRING)?;
    let signature = asn1::signature_bits(sig).map_err(OcspError::Malformed)?;
    let mut certs = Vec::new();
    if let Some(f) = r.optional(0xa0)? {
        let mut fr = f.reader();
        let seq = fr.expect(tag::SEQUENCE)?;
        fr.finish()?;
        let mut cr = seq.reader();
        while !cr.is_empty() {
            certs.push(range_of(base, cr.expect(tag::SEQUENCE)?.raw));
        }
    }
    r.finish()?;

    let mut d = tbs.reader();
    if let Some(v) = d.optional(0xa0)? {
        let mut vr = v.reader();
        let n = vr.expect(tag::INTEGER)?;
        if n.value != [0] {
            return Err(OcspError::Malformed(
                "unsupported ResponseData version".into(),
            ));
        }
    }
    let rid = d.read()?;
    let responder_id = match rid.tag {
        0xa1 => {
            let mut rr = rid.reader();
            let n = rr.expect(tag::SEQUENCE)?;
            rr.finish()?;
            ResponderId::ByName(n.raw.to_vec())
        }
        0xa2 => {
            let mut rr = rid.reader();
            let k = rr.expect(tag::OCTET_STRING)?;
            rr.finish()?;
            ResponderId::ByKey(k.value.to_vec())
        }
        other => {
            return Err(OcspError::Malformed(format!(
                "responderID with tag 0x{other:02x}"
            )));
        }
    };
    let produced_at = gtime(d.read()?, "producedAt")?;
    let list = d.expect(tag::SEQUENCE)?;
    let mut responses = Vec::new();
    let mut lr = list.reader();
    while !lr.is_empty() {
        responses.push(parse_single(lr.read()?)?);
    }
    let (nonce, unsupported_critical) = match d.optional(0xa1)? {
        Some(f) => scan_extensions(f)?,
        None => (None, None),
    };
    d.finish()?;
    Ok(BasicResponse {
        tbs: range_of(base, tbs.raw),
        sig_alg: range_of(base, sig_alg.raw),
        signature: range_of(base, signature),
        certs,
        responder_id,
        produced_at,
        responses,
        nonce,
        unsupported_critical,
    })
}

impl OcspResponse {
    /// Parses an `OCSPResponse`, or a bare `BasicOCSPResponse`.
    pub fn from_der(der: Vec<u8>) -> Result<Self, OcspError> {
        let raw = Arc::new(der);
        let base: &[u8] = &raw;
        let outer = parse_one(base)?.expect(tag::SEQUENCE)?;
        let mut r = outer.reader();
        let (status, basic_tlv) = match r.peek_tag() {
            Some(0x0a) => {
                let st = r.read()?;
                let status = ResponseStatus::from_code(integer_value(st.value)?);
                let bytes = r.optional(0xa0)?;
                r.finish()?;
                match (status, bytes) {
                    (ResponseStatus::Successful, None) => return Err(OcspError::NoResponseBytes),
                    (ResponseStatus::Successful, Some(f)) => {
                        let mut fr = f.reader();
                        let mut rb = fr.expect(tag::SEQUENCE)?.reader();
                        fr.finish()?;
                        let ty = asn1::read_oid(rb.read()?).map_err(OcspError::Malformed)?;
                        let octets = rb.expect(tag::OCTET_STRING)?;
                        rb.finish()?;
                        if ty != ID_PKIX_OCSP_BASIC {
                            return Err(OcspError::UnsupportedResponseType(ty));
                        }
                        let mut inner = octets.reader();
                        let basic = inner.expect(tag::SEQUENCE)?;
                        inner.finish()?;
                        (status, Some(basic))
                    }
                    (s, _) => (s, None),
                }
            }
            Some(tag::SEQUENCE) => (ResponseStatus::Successful, Some(outer)),
            _ => {
                return Err(OcspError::Malformed(
                    "neither OCSPResponse nor BasicOCSPResponse".into(),
                ));
            }
        };
        let (basic, basic_span) = match basic_tlv {
            Some(t) => (Some(parse_basic(base, t)?), Some(range_of(base, t.raw))),
            None => (None, None),
        };
        Ok(Self {
            status,
            basic_span,
            basic,
            raw: Arc::clone(&raw),
        })
    }

    /// The encoding exactly as received.
    pub fn der(&self) -> &[u8] {
        &self.raw
    }

    /// The encoding, shared.
    pub fn der_shared(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.raw)
    }

    /// The BasicOCSPResponse's span (what CAdES `RevocationValues` embeds).
    pub fn basic_der(&self) -> Option<&[u8]> {
        self.basic_span
            .as_ref()
            .and_then(|r| self.raw.get(r.clone()))
    }

    fn part(&self, r: &Range<usize>) -> &[u8] {
        self.raw.get(r.clone()).unwrap_or_default()
    }

    /// The exact tbsResponseData bytes (what the responder signed).
    pub fn tbs_response_data(&self) -> Option<&[u8]> {
        self.basic.as_ref().map(|b| self.part(&b.tbs))
    }

    /// The certificates carried in the response (DER).
    pub fn certs(&self) -> Vec<&[u8]> {
        self.basic
            .as_ref()
            .map(|b| b.certs.iter().map(|r| self.part(r)).collect())
            .unwrap_or_default()
    }

    /// Verifies the response for `cert` issued by `issuer`: status successful, a
    /// SingleResponse with the certificate's CertID, an authorized responder whose
    /// signature over tbsResponseData verifies, the nonce, no unsupported critical
    /// extension, and thisUpdate/producedAt not in the future.
    pub fn verify(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        opts: &VerifyOptions<'_>,
    ) -> Result<VerifiedOcsp, OcspError> {
        if self.status != ResponseStatus::Successful {
            return Err(OcspError::NotSuccessful(self.status));
        }
        let basic = self.basic.as_ref().ok_or(OcspError::NoResponseBytes)?;
        let mut unsupported_hash = None;
        let mut single = None;
        for s in &basic.responses {
            match s.cert_id.matches(cert, issuer) {
                Ok(true) => {
                    single = Some(s);
                    break;
                }
                Ok(false) => {}
                Err(e) => unsupported_hash = Some(e),
            }
        }
        let single = match (single, unsupported_hash) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(e),
            (None, None) => {
                return Err(OcspError::NoMatchingResponse {
                    serial: hex::encode_upper(asn1::canonical_int(cert.serial)),
                });
            }
        };
        let responder = self.authorize(basic, issuer, opts)?;
        if let Some(oid) = basic.unsupported_critical.or(single.unsupported_critical) {
            return Err(OcspError::UnsupportedCriticalExtension(oid));
        }
        if let (Some(sent), Some(got)) = (opts.expected_nonce, &basic.nonce) {
            let wrapped = tlv(tag::OCTET_STRING, &[sent]);
            if got.as_slice() != wrapped.as_slice() && got.as_slice() != sent {
                return Err(OcspError::NonceMismatch);
            }
        }
        let limit = opts.now + opts.skew;
        for t in [single.this_update, basic.produced_at] {
            if t > limit {
                return Err(OcspError::NotYetValid(t));
            }
        }
        if single.next_update.is_some_and(|n| n < single.this_update) {
            return Err(OcspError::Malformed("nextUpdate before thisUpdate".into()));
        }
        Ok(VerifiedOcsp {
            status: single.status,
            this_update: single.this_update,
            next_update: single.next_update,
            produced_at: basic.produced_at,
            responder,
        })
    }

    fn check_signature(&self, basic: &BasicResponse, spki: &[u8]) -> Result<(), OcspError> {
        asn1::verify_signature(
            spki,
            self.part(&basic.sig_alg),
            self.part(&basic.tbs),
            self.part(&basic.signature),
        )
        .map(|_| ())
        .map_err(|e| match e {
            SigFailure::Algorithm(a) => OcspError::Algorithm(a),
            SigFailure::Crypto(c) => OcspError::BadSignature(c),
        })
    }

    fn authorize(
        &self,
        basic: &BasicResponse,
        issuer: &CertRef<'_>,
        opts: &VerifyOptions<'_>,
    ) -> Result<Responder, OcspError> {
        if basic.responder_id.designates(issuer) {
            self.check_signature(basic, issuer.spki)?;
            return Ok(Responder::Issuer);
        }
        let mut first_error = None;
        let candidates = self
            .certs()
            .into_iter()
            .chain(opts.extra_certs.iter().map(Vec::as_slice));
        for der in candidates {
            let Ok(cand) = CertRef::parse(der) else {
                continue;
            };
            if !basic.responder_id.designates(&cand) {
                continue;
            }
            match self.check_delegate(basic, &cand, issuer, opts) {
                Ok(r) => return Ok(r),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error
            .unwrap_or_else(|| OcspError::ResponderNotFound(basic.responder_id.to_string())))
    }

    fn check_delegate(
        &self,
        basic: &BasicResponse,
        cand: &CertRef<'_>,
        issuer: &CertRef<'_>,
        opts: &VerifyOptions<'_>,
    ) -> Result<Responder, OcspError> {
        if !names::names_equal(cand.issuer, issuer.subject) {
            return Err(OcspError::ResponderNotIssuedByCa(format!(
                "its issuer is \"{}\"",
                kenpo_core::asn1::name::name_string(cand.issuer)
            )));
        }
        asn1::cert_signed_by(cand, issuer).map_err(|e| {
            OcspError::ResponderNotIssuedByCa(format!("certificate signature: {e}"))
        })?;
        let eku = asn1::ext_key_usage(cand).map_err(OcspError::Malformed)?;
        if !eku.is_some_and(|e| e.contains(&KP_OCSP_SIGNING)) {
            return Err(OcspError::MissingOcspSigningEku);
        }
        match asn1::key_usage(cand) {
            Ok(None) => {}
            Ok(Some(ku))
                if asn1::bit_set(ku, asn1::KU_DIGITAL_SIGNATURE)
                    || asn1::bit_set(ku, asn1::KU_NON_REPUDIATION) => {}
            _ => return Err(OcspError::ResponderKeyUsage),
        }
        let p = basic.produced_at;
        if p + opts.skew < cand.not_before || p - opts.skew > cand.not_after {
            return Err(OcspError::ResponderCertNotValid(p));
        }
        self.check_signature(basic, cand.spki)?;
        Ok(Responder::Delegated {
            cert_der: cand.raw.to_vec(),
            ocsp_nocheck: cand.extension(OCSP_NOCHECK).is_some(),
        })
    }
}

impl VerifiedOcsp {
    /// What the response says about the certificate at `at`:
    ///
    /// * good → [`Finding::NotRevoked`] when current for `at` (`at` ≤ nextUpdate; without
    ///   nextUpdate, `at` ≤ thisUpdate + `skew`), else [`OcspError::Stale`] /
    ///   [`OcspError::NoNextUpdate`];
    /// * revoked at a time ≤ `at` → [`Finding::Revoked`] (a hold only while current);
    ///   revoked after `at` → [`Finding::NotRevoked`];
    /// * unknown → [`OcspError::StatusUnknown`].
    pub fn finding_at(&self, at: OffsetDateTime, skew: Duration) -> Result<Finding, OcspError> {
        let current = match self.next_update {
            Some(n) => at <= n,
            None => at <= self.this_update + skew,
        };
        let not_current = || match self.next_update {
            Some(next_update) => OcspError::Stale { at, next_update },
            None => OcspError::NoNextUpdate {
                at,
                this_update: self.this_update,
            },
        };
        match self.status {
            CertStatus::Good if current => Ok(Finding::NotRevoked),
            CertStatus::Good => Err(not_current()),
            CertStatus::Revoked { time, .. } if time > at => Ok(Finding::NotRevoked),
            CertStatus::Revoked {
                time,
                reason: Some(crate::crl::REASON_CERTIFICATE_HOLD),
            } if !current => Err(OcspError::OnHoldStale { since: time, at }),
            CertStatus::Revoked { time, reason } => Ok(Finding::Revoked { time, reason }),
            CertStatus::Unknown => Err(OcspError::StatusUnknown),
        }
    }
}

/// The DER `CertID` of `cert` issued by `issuer`, hashed with `hash` (NULL parameters,
/// as OpenSSL and most clients send).
pub fn cert_id_der(
    cert: &CertRef<'_>,
    issuer: &CertRef<'_>,
    hash: DigestAlgorithm,
) -> Result<Vec<u8>, OcspError> {
    let key = asn1::public_key_bits(issuer.spki)?;
    let alg = tlv(
        tag::SEQUENCE,
        &[&tlv(tag::OID, &[hash.oid().as_bytes()]), &[0x05, 0x00]],
    );
    Ok(tlv(
        tag::SEQUENCE,
        &[
            &alg,
            &tlv(tag::OCTET_STRING, &[hash.digest(cert.issuer).as_bytes()]),
            &tlv(tag::OCTET_STRING, &[hash.digest(key).as_bytes()]),
            cert.serial_tlv,
        ],
    ))
}

/// A fresh random nonce of [`NONCE_LEN`] octets from the operating system.
pub fn random_nonce() -> Result<Vec<u8>, OcspError> {
    use rand_core::RngCore;
    let mut n = vec![0u8; NONCE_LEN];
    rand_core::OsRng
        .try_fill_bytes(&mut n)
        .map_err(|e| OcspError::Request(format!("random nonce: {e}")))?;
    Ok(n)
}

/// An OCSP request for one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspRequest {
    der: Vec<u8>,
    nonce: Option<Vec<u8>>,
}

impl OcspRequest {
    /// An unsigned request for `cert` issued by `issuer`, CertID hashed with `hash`, with
    /// the nonce extension when `nonce` is given (RFC 8954 encoding: the extension value
    /// is an OCTET STRING holding the nonce).
    pub fn new(
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        hash: DigestAlgorithm,
        nonce: Option<Vec<u8>>,
    ) -> Result<Self, OcspError> {
        let request = tlv(tag::SEQUENCE, &[&cert_id_der(cert, issuer, hash)?]);
        let list = tlv(tag::SEQUENCE, &[&request]);
        let tbs = match &nonce {
            None => tlv(tag::SEQUENCE, &[&list]),
            Some(n) => {
                let ext = tlv(
                    tag::SEQUENCE,
                    &[
                        &tlv(tag::OID, &[ID_PKIX_OCSP_NONCE.as_bytes()]),
                        &tlv(tag::OCTET_STRING, &[&tlv(tag::OCTET_STRING, &[n])]),
                    ],
                );
                let exts = tlv(tag::context(2), &[&tlv(tag::SEQUENCE, &[&ext])]);
                tlv(tag::SEQUENCE, &[&list, &exts])
            }
        };
        Ok(Self {
            der: tlv(tag::SEQUENCE, &[&tbs]),
            nonce,
        })
    }

    /// The DER `OCSPRequest`.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The nonce sent, if any.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    /// POSTs the request to `url` (`application/ocsp-request`) and parses the answer
    /// (at most `fetcher.config().max_ocsp_bytes`).
    pub fn send(&self, fetcher: &Fetcher, url: &str) -> Result<OcspResponse, OcspError> {
        let body = fetcher.post(
            url,
            CONTENT_TYPE_REQUEST,
            &self.der,
            fetcher.config().max_ocsp_bytes,
        )?;
        OcspResponse::from_der(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_input_is_an_error() {
        for bad in [
            &b""[..],
            b"\x30\x00",
            b"\x30\x03\x0a\x01\x00",
            b"\x30\x03\x0a\x01\x03",
            b"\x30\x84\x7f\xff\xff\xff",
            b"\x30\x05\x30\x03\x02\x01\x00",
            b"\x04\x00",
        ] {
            if let Ok(resp) = OcspResponse::from_der(bad.to_vec()) {
                assert_ne!(resp.status, ResponseStatus::Successful, "{bad:?}");
            }
        }
        let try_later = OcspResponse::from_der(b"\x30\x03\x0a\x01\x03".to_vec());
        assert!(matches!(
            try_later.map(|r| r.status),
            Ok(ResponseStatus::TryLater)
        ));
    }
}
