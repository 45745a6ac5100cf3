//! Certificate revocation lists (RFC 5280 §5): parsing with spans, signature verification
//! over the original tbsCertList bytes, the scope rules of §6.3.3 and the status of a
//! certificate at a given time.
//!
//! A CRL is parsed once: every entry is validated and indexed by its serial number in a
//! hash map (serial → offset of the entry in the encoding), so a lookup is O(1) however
//! long the list is; the entry itself is decoded only when it is looked up.
//!
//! ```no_run
//! use kenpo_core::cert::CertRef;
//! use kenpo_revocation::crl::Crl;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let crl = Crl::from_pem_or_der(&std::fs::read("medis-sign-ca2-2022-09.crl")?)?;
//! let issuer_der = std::fs::read("medis-sign-ca2.cer")?;
//! let cert_der = std::fs::read("medis-test-signer-ee.cer")?;
//! let (issuer, cert) = (CertRef::parse(&issuer_der)?, CertRef::parse(&cert_der)?);
//! let at = kenpo_core::timefmt::parse_rfc3339("2022-09-08T00:00:00Z")?;
//! println!("{:?}", crl.status_at(&cert, &issuer, at)?);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::AlgError;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::CryptoError;
use kenpo_core::der_span::{Reader, SpanError, Tlv, parse_one, tag};
use kenpo_core::timefmt::rfc3339;
use time::{Duration, OffsetDateTime};

use crate::asn1::{self, SigFailure};
use crate::names::{self, ALL_REASONS, DistributionPointName, GeneralName, ReasonMask};
use crate::{DEFAULT_CLOCK_SKEW, Finding};

/// Default limit on the size of a CRL accepted from the network: 100 MiB.
pub const DEFAULT_MAX_CRL_BYTES: u64 = 100 * 1024 * 1024;

/// CRLReason certificateHold.
pub const REASON_CERTIFICATE_HOLD: u8 = 6;
/// CRLReason removeFromCRL (delta CRLs only).
pub const REASON_REMOVE_FROM_CRL: u8 = 8;

// Extension OIDs, as the contents octets of the OBJECT IDENTIFIER (fast comparison).
const OID_CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
const OID_REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
const OID_HOLD_INSTRUCTION: &[u8] = &[0x55, 0x1d, 0x17];
const OID_INVALIDITY_DATE: &[u8] = &[0x55, 0x1d, 0x18];
const OID_DELTA_CRL_INDICATOR: &[u8] = &[0x55, 0x1d, 0x1b];
const OID_ISSUING_DISTRIBUTION_POINT: &[u8] = &[0x55, 0x1d, 0x1c];
const OID_CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1d, 0x1d];
const OID_AUTHORITY_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x23];
const OID_FRESHEST_CRL: &[u8] = &[0x55, 0x1d, 0x2e];
const OID_EXPIRED_CERTS_ON_CRL: &[u8] = &[0x55, 0x1d, 0x3c];
const OID_AUTHORITY_INFO_ACCESS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];

/// Why a CRL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlError {
    /// DER structure error (truncated, bad length, unexpected tag …).
    #[error("CRL DER: {0}")]
    Der(#[from] SpanError),
    /// PEM problem, or PEM without an `X509 CRL` block.
    #[error("CRL PEM: {0}")]
    Pem(String),
    /// Well-formed DER that is not a valid CRL.
    #[error("malformed CRL: {0}")]
    Malformed(String),
    /// A version other than v1 (absent) or v2.
    #[error("unsupported CRL version {0}")]
    UnsupportedVersion(u64),
    /// Larger than the accepted limit.
    #[error("CRL larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A critical CRL extension kenpo-sign does not implement (RFC 5280 §5.2: such a CRL
    /// must not be used).
    #[error("unsupported critical CRL extension {0}")]
    UnsupportedCriticalExtension(Oid),
    /// A critical CRL entry extension kenpo-sign does not implement (RFC 5280 §5.3).
    #[error("unsupported critical CRL entry extension {oid} (serial {serial})")]
    UnsupportedCriticalEntryExtension {
        /// The extension.
        oid: Oid,
        /// Serial of the entry, upper-case hex.
        serial: String,
    },
    /// The CRL issuer is not the subject of the certificate given as issuer.
    #[error("CRL issuer \"{crl}\" is not the issuer certificate's subject \"{issuer}\"")]
    IssuerNameMismatch {
        /// The CRL's issuer (RFC 4514).
        crl: String,
        /// The issuer certificate's subject (RFC 4514).
        issuer: String,
    },
    /// The issuer certificate is not a CA (basicConstraints cA absent or FALSE).
    #[error("the CRL issuer certificate is not a CA certificate")]
    IssuerNotCa,
    /// The issuer certificate has keyUsage without cRLSign.
    #[error("the CRL issuer certificate's keyUsage lacks cRLSign")]
    IssuerLacksCrlSign,
    /// tbsCertList.signature differs from signatureAlgorithm (RFC 5280 §5.1.2.2).
    #[error("tbsCertList signature algorithm differs from the outer signatureAlgorithm")]
    SignatureAlgorithmMismatch,
    /// The signature algorithm is unsupported or malformed.
    #[error("CRL signature algorithm: {0}")]
    Algorithm(AlgError),
    /// The signature does not verify with the issuer's key.
    #[error("CRL signature does not verify with the issuer's key: {0}")]
    BadSignature(CryptoError),
    /// The CRL does not cover this certificate (RFC 5280 §6.3.3).
    #[error("CRL not in scope for the certificate: {0}")]
    NotInScope(ScopeMismatch),
    /// The CRL's nextUpdate is before the time asked about: it cannot say the certificate
    /// was not revoked then.
    #[error("CRL is stale for {}: nextUpdate {}", rfc3339(*.at), rfc3339(*.next_update))]
    Stale {
        /// The time asked about.
        at: OffsetDateTime,
        /// The CRL's nextUpdate.
        next_update: OffsetDateTime,
    },
    /// The CRL has no nextUpdate and was issued before the time asked about.
    #[error("CRL without nextUpdate issued {} cannot vouch for {}", rfc3339(*.this_update), rfc3339(*.at))]
    NoNextUpdate {
        /// The time asked about.
        at: OffsetDateTime,
        /// The CRL's thisUpdate.
        this_update: OffsetDateTime,
    },
    /// thisUpdate lies in the future (beyond the allowed clock skew).
    #[error("CRL thisUpdate {} is in the future", rfc3339(*.0))]
    NotYetIssued(OffsetDateTime),
    /// The certificate expired before the CRL was issued and the CRL does not promise to
    /// keep expired certificates (expiredCertsOnCRL): its absence proves nothing.
    #[error("certificate expired ({}) before the CRL was issued ({}); CRLs may drop expired certificates", rfc3339(*.not_after), rfc3339(*.this_update))]
    CertificateExpired {
        /// The certificate's notAfter.
        not_after: OffsetDateTime,
        /// The CRL's thisUpdate.
        this_update: OffsetDateTime,
    },
    /// The certificate is on hold and the CRL is not current for the time asked about.
    #[error("certificate on hold since {} and the CRL is not current for {}", rfc3339(*.since), rfc3339(*.at))]
    OnHoldStale {
        /// The hold's revocationDate.
        since: OffsetDateTime,
        /// The time asked about.
        at: OffsetDateTime,
    },
}

/// Why a CRL does not cover a certificate (RFC 5280 §6.3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeMismatch {
    /// The CRL issuer is not the certificate's issuer (indirect CRLs are not supported).
    #[error("CRL issuer \"{crl}\" is not the certificate issuer \"{cert}\"")]
    Issuer {
        /// The CRL's issuer.
        crl: String,
        /// The certificate's issuer.
        cert: String,
    },
    /// A delta CRL (deltaCRLIndicator): delta CRLs are not supported.
    #[error("delta CRLs are not supported")]
    DeltaCrl,
    /// An indirect CRL (IDP indirectCRL, or entries with certificateIssuer): not supported.
    #[error("indirect CRLs are not supported")]
    IndirectCrl,
    /// IDP onlyContainsAttributeCerts.
    #[error("the CRL only covers attribute certificates")]
    OnlyAttributeCerts,
    /// IDP onlyContainsUserCerts and the certificate is a CA.
    #[error(
        "the CRL only covers end-entity certificates (onlyContainsUserCerts) and the certificate is a CA"
    )]
    OnlyUserCerts,
    /// IDP onlyContainsCACerts and the certificate is not a CA.
    #[error(
        "the CRL only covers CA certificates (onlyContainsCACerts) and the certificate is not a CA"
    )]
    OnlyCaCerts,
    /// IDP onlySomeReasons: a CRL partitioned by reason cannot establish "not revoked".
    #[error(
        "the CRL only covers some revocation reasons (onlySomeReasons 0x{0:03x}); partitioned CRLs are not supported"
    )]
    OnlySomeReasons(ReasonMask),
    /// None of the certificate's distribution points matches the IDP's distributionPoint.
    #[error(
        "no CRL distribution point of the certificate matches the CRL's issuingDistributionPoint ({idp})"
    )]
    DistributionPoint {
        /// The IDP names, for the message.
        idp: String,
    },
    /// The certificate's cRLDistributionPoints extension could not be read.
    #[error("the certificate's cRLDistributionPoints is malformed: {0}")]
    MalformedCertificateDp(String),
}

/// issuingDistributionPoint (RFC 5280 §5.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuingDistributionPoint {
    /// distributionPoint.
    pub distribution_point: Option<DistributionPointName>,
    /// onlyContainsUserCerts.
    pub only_contains_user_certs: bool,
    /// onlyContainsCACerts.
    pub only_contains_ca_certs: bool,
    /// onlySomeReasons.
    pub only_some_reasons: Option<ReasonMask>,
    /// indirectCRL.
    pub indirect_crl: bool,
    /// onlyContainsAttributeCerts.
    pub only_contains_attribute_certs: bool,
}

impl IssuingDistributionPoint {
    /// Parses the extension value (the IssuingDistributionPoint SEQUENCE).
    pub fn from_der(value: &[u8]) -> Result<Self, CrlError> {
        let seq = parse_one(value)?.expect(tag::SEQUENCE)?;
        let mut r = seq.reader();
        let boolean = |t: Option<Tlv<'_>>| -> Result<bool, CrlError> {
            t.map_or(Ok(false), |t| {
                asn1::read_bool(t).map_err(CrlError::Malformed)
            })
        };
        let distribution_point = match r.optional(0xa0)? {
            Some(f) => Some(
                DistributionPointName::from_field(f)
                    .map_err(|e| CrlError::Malformed(format!("issuingDistributionPoint: {e}")))?,
            ),
            None => None,
        };
        let idp = Self {
            distribution_point,
            only_contains_user_certs: boolean(r.optional(0x81)?)?,
            only_contains_ca_certs: boolean(r.optional(0x82)?)?,
            only_some_reasons: r.optional(0x83)?.map(|b| names::reason_mask(b.value)),
            indirect_crl: boolean(r.optional(0x84)?)?,
            only_contains_attribute_certs: boolean(r.optional(0x85)?)?,
        };
        r.finish()?;
        let only = [
            idp.only_contains_user_certs,
            idp.only_contains_ca_certs,
            idp.only_contains_attribute_certs,
        ];
        if only.iter().filter(|b| **b).count() > 1 {
            return Err(CrlError::Malformed(
                "issuingDistributionPoint asserts more than one onlyContains… flag".into(),
            ));
        }
        Ok(idp)
    }
}

/// One revoked certificate, as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrlEntry {
    /// revocationDate.
    pub revocation_date: OffsetDateTime,
    /// CRLReason code (reasonCode entry extension), when given.
    pub reason: Option<u8>,
    /// invalidityDate entry extension, when given.
    pub invalidity_date: Option<OffsetDateTime>,
}

/// A serial number of at most 23 octets, stored inline (no allocation per entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SerialKey {
    len: u8,
    bytes: [u8; 23],
}

impl SerialKey {
    fn new(canonical: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; 23];
        bytes.get_mut(..canonical.len())?.copy_from_slice(canonical);
        Some(Self {
            len: u8::try_from(canonical.len()).ok()?,
            bytes,
        })
    }
}

/// A parsed CRL: spans of its encoding, its header fields and an index of its entries.
#[derive(Clone)]
pub struct Crl {
    raw: Arc<Vec<u8>>,
    tbs: Range<usize>,
    inner_alg: Range<usize>,
    outer_alg: Range<usize>,
    signature: Range<usize>,
    issuer: Range<usize>,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    crl_number: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    idp: Option<IssuingDistributionPoint>,
    delta: bool,
    expired_certs_on_crl: Option<OffsetDateTime>,
    indirect_entries: bool,
    entries: HashMap<SerialKey, u32>,
    long_entries: HashMap<Box<[u8]>, u32>,
}

impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &asn1::name_string(self.issuer()))
            .field("this_update", &rfc3339(self.this_update))
            .field("next_update", &self.next_update.map(rfc3339))
            .field("entries", &self.len())
            .field("idp", &self.idp)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

fn range_of(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + part.len()
}

/// One entry's fields read from its TLV.
struct ParsedEntry<'a> {
    serial: &'a [u8],
    entry: CrlEntry,
    certificate_issuer: bool,
}

fn parse_entry(t: Tlv<'_>) -> Result<ParsedEntry<'_>, CrlError> {
    let mut r = t.expect(tag::SEQUENCE)?.reader();
    let serial = r.expect(tag::INTEGER)?.value;
    if serial.is_empty() {
        return Err(CrlError::Malformed("empty serial number".into()));
    }
    let revocation_date = asn1::read_time(r.read()?)
        .map_err(|e| CrlError::Malformed(format!("revocationDate: {e}")))?;
    let mut entry = CrlEntry {
        revocation_date,
        reason: None,
        invalidity_date: None,
    };
    let mut certificate_issuer = false;
    if let Some(exts) = r.optional(tag::SEQUENCE)? {
        let mut er = exts.reader();
        while !er.is_empty() {
            let mut x = er.expect(tag::SEQUENCE)?.reader();
            let oid = x.expect(tag::OID)?;
            let critical = match x.optional(tag::BOOLEAN)? {
                Some(b) => asn1::read_bool(b).map_err(CrlError::Malformed)?,
                None => false,
            };
            let value = x.expect(tag::OCTET_STRING)?.value;
            x.finish()?;
            match oid.value {
                OID_REASON_CODE => {
                    let e = parse_one(value)?.expect(0x0a)?;
                    match e.value {
                        [code] => entry.reason = Some(*code),
                        _ => return Err(CrlError::Malformed("reasonCode of wrong length".into())),
                    }
                }
                OID_INVALIDITY_DATE => {
                    entry.invalidity_date = Some(
                        asn1::read_generalized_time(parse_one(value)?)
                            .map_err(|e| CrlError::Malformed(format!("invalidityDate: {e}")))?,
                    );
                }
                OID_CERTIFICATE_ISSUER => certificate_issuer = true,
                OID_HOLD_INSTRUCTION => {}
                _ if critical => {
                    return Err(CrlError::UnsupportedCriticalEntryExtension {
                        oid: asn1::read_oid(oid).map_err(CrlError::Malformed)?,
                        serial: asn1::hex_upper(serial),
                    });
                }
                _ => {}
            }
        }
    }
    r.finish()?;
    Ok(ParsedEntry {
        serial,
        entry,
        certificate_issuer,
    })
}

fn looks_like_pem(data: &[u8]) -> bool {
    data.windows(11).take(4096).any(|w| w == b"-----BEGIN ")
}

impl Crl {
    /// Parses a DER CRL, validating every entry and indexing it by serial number.
    pub fn from_der(der: Vec<u8>) -> Result<Self, CrlError> {
        if u32::try_from(der.len()).is_err() {
            return Err(CrlError::TooLarge {
                limit: u64::from(u32::MAX),
            });
        }
        let raw = Arc::new(der);
        let base: &[u8] = &raw;
        let outer = parse_one(base)?.expect(tag::SEQUENCE)?;
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let outer_alg = r.expect(tag::SEQUENCE)?;
        let sig = r.expect(tag::BIT_STRING)?;
        r.finish()?;
        asn1::signature_bits(sig).map_err(CrlError::Malformed)?;

        let mut t = tbs.reader();
        let v2 = match t.optional(tag::INTEGER)? {
            None => false,
            Some(v) => match v.value {
                [1] => true,
                other => {
                    let n = other.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                    return Err(CrlError::UnsupportedVersion(n));
                }
            },
        };
        let inner_alg = t.expect(tag::SEQUENCE)?;
        let issuer = t.expect(tag::SEQUENCE)?;
        let this_update = asn1::read_time(t.read()?)
            .map_err(|e| CrlError::Malformed(format!("thisUpdate: {e}")))?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Some(
                asn1::read_time(t.read()?)
                    .map_err(|e| CrlError::Malformed(format!("nextUpdate: {e}")))?,
            ),
            _ => None,
        };

        let mut entries: HashMap<SerialKey, u32> = HashMap::new();
        let mut long_entries: HashMap<Box<[u8]>, u32> = HashMap::new();
        let mut indirect_entries = false;
        if let Some(list) = t.optional(tag::SEQUENCE)? {
            // Each entry takes at least ~20 octets: a cheap upper bound for the capacity.
            entries.reserve(list.value.len() / 20);
            let mut lr = list.reader();
            while !lr.is_empty() {
                let et = lr.read()?;
                let parsed = parse_entry(et)?;
                indirect_entries |= parsed.certificate_issuer;
                if !v2 && (parsed.entry.reason.is_some() || parsed.certificate_issuer) {
                    return Err(CrlError::Malformed("entry extensions in a v1 CRL".into()));
                }
                let offset = u32::try_from(et.offset)
                    .map_err(|_| CrlError::Malformed("CRL too large".into()))?;
                let canonical = asn1::canonical_int(parsed.serial);
                let date = parsed.entry.revocation_date;
                // A serial listed twice keeps its earliest revocation.
                let keep_earlier = |existing: u32, raw: &[u8]| -> u32 {
                    match Self::entry_at(raw, existing) {
                        Ok(e) if e.revocation_date <= date => existing,
                        _ => offset,
                    }
                };
                match SerialKey::new(canonical) {
                    Some(key) => match entries.entry(key) {
                        Entry::Vacant(v) => {
                            v.insert(offset);
                        }
                        Entry::Occupied(mut o) => {
                            let keep = keep_earlier(*o.get(), base);
                            o.insert(keep);
                        }
                    },
                    None => match long_entries.entry(canonical.into()) {
                        Entry::Vacant(v) => {
                            v.insert(offset);
                        }
                        Entry::Occupied(mut o) => {
                            let keep = keep_earlier(*o.get(), base);
                            o.insert(keep);
                        }
                    },
                }
            }
        }

        let mut crl_number = None;
        let mut authority_key_id = None;
        let mut idp = None;
        let mut delta = false;
        let mut expired_certs_on_crl = None;
        if let Some(field) = t.optional(tag::context(0))? {
            if !v2 {
                return Err(CrlError::Malformed("crlExtensions in a v1 CRL".into()));
            }
            let mut fr = field.reader();
            let exts = fr.expect(tag::SEQUENCE)?;
            fr.finish()?;
            for ext in asn1::read_extensions(exts).map_err(CrlError::Malformed)? {
                match ext.oid.as_bytes() {
                    OID_CRL_NUMBER => {
                        crl_number =
                            Some(parse_one(ext.value)?.expect(tag::INTEGER)?.value.to_vec());
                    }
                    OID_AUTHORITY_KEY_IDENTIFIER => {
                        let mut ar = parse_one(ext.value)?.expect(tag::SEQUENCE)?.reader();
                        authority_key_id = ar.optional(0x80)?.map(|k| k.value.to_vec());
                    }
                    OID_ISSUING_DISTRIBUTION_POINT => {
                        idp = Some(IssuingDistributionPoint::from_der(ext.value)?);
                    }
                    OID_DELTA_CRL_INDICATOR => delta = true,
                    OID_EXPIRED_CERTS_ON_CRL => {
                        expired_certs_on_crl =
                            Some(asn1::read_generalized_time(parse_one(ext.value)?).map_err(
                                |e| CrlError::Malformed(format!("expiredCertsOnCRL: {e}")),
                            )?);
                    }
                    OID_FRESHEST_CRL | OID_AUTHORITY_INFO_ACCESS => {}
                    _ if ext.critical => {
                        return Err(CrlError::UnsupportedCriticalExtension(ext.oid));
                    }
                    _ => {}
                }
            }
        }
        t.finish()?;

        Ok(Self {
            tbs: range_of(base, tbs.raw),
            inner_alg: range_of(base, inner_alg.raw),
            outer_alg: range_of(base, outer_alg.raw),
            signature: range_of(base, sig.value.get(1..).unwrap_or_default()),
            issuer: range_of(base, issuer.raw),
            this_update,
            next_update,
            crl_number,
            authority_key_id,
            idp,
            delta,
            expired_certs_on_crl,
            indirect_entries,
            entries,
            long_entries,
            raw: Arc::clone(&raw),
        })
    }

    /// Parses a CRL given as DER or PEM (`-----BEGIN X509 CRL-----`; the first block).
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self, CrlError> {
        if looks_like_pem(data) {
            let blocks = kenpo_core::cert::pem_blocks(data, "X509 CRL")
                .map_err(|e| CrlError::Pem(e.to_string()))?;
            let der = blocks
                .into_iter()
                .next()
                .ok_or_else(|| CrlError::Pem("no X509 CRL block".into()))?;
            Self::from_der(der)
        } else {
            Self::from_der(data.to_vec())
        }
    }

    fn entry_at(raw: &[u8], offset: u32) -> Result<CrlEntry, CrlError> {
        let start = usize::try_from(offset).map_err(|_| CrlError::Malformed("offset".into()))?;
        let rest = raw
            .get(start..)
            .ok_or_else(|| CrlError::Malformed("entry offset".into()))?;
        let t = Reader::new(rest).read()?;
        Ok(parse_entry(t)?.entry)
    }

    fn part(&self, r: &Range<usize>) -> &[u8] {
        self.raw.get(r.clone()).unwrap_or_default()
    }

    /// The whole CRL encoding, exactly as received.
    pub fn der(&self) -> &[u8] {
        &self.raw
    }

    /// The encoding, shared (for embedding the CRL as revocation evidence).
    pub fn der_shared(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.raw)
    }

    /// tbsCertList: the exact bytes the issuer signed.
    pub fn tbs(&self) -> &[u8] {
        self.part(&self.tbs)
    }

    /// The issuer Name TLV.
    pub fn issuer(&self) -> &[u8] {
        self.part(&self.issuer)
    }

    /// The issuer as RFC 4514 text (for messages).
    pub fn issuer_string(&self) -> String {
        asn1::name_string(self.issuer())
    }

    /// thisUpdate.
    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }

    /// nextUpdate, when present.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }

    /// cRLNumber contents (big-endian), when present.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }

    /// authorityKeyIdentifier keyIdentifier, when present.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// issuingDistributionPoint, when present.
    pub fn issuing_distribution_point(&self) -> Option<&IssuingDistributionPoint> {
        self.idp.as_ref()
    }

    /// Whether this is a delta CRL (deltaCRLIndicator present).
    pub fn is_delta(&self) -> bool {
        self.delta
    }

    /// Number of distinct serial numbers listed.
    pub fn len(&self) -> usize {
        self.entries.len() + self.long_entries.len()
    }

    /// Whether no certificate is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry for a serial number (INTEGER contents, as in [`CertRef::serial`]); O(1).
    pub fn entry(&self, serial: &[u8]) -> Result<Option<CrlEntry>, CrlError> {
        let canonical = asn1::canonical_int(serial);
        let offset = match SerialKey::new(canonical) {
            Some(key) => self.entries.get(&key),
            None => self.long_entries.get(canonical),
        };
        offset.map(|o| Self::entry_at(&self.raw, *o)).transpose()
    }

    /// Checks that `issuer` issued this CRL: names match, it is a CA whose keyUsage (when
    /// present) allows cRLSign, and the signature over tbsCertList verifies with its key.
    pub fn verify_signature(&self, issuer: &CertRef<'_>) -> Result<(), CrlError> {
        self.verify_signature_as(issuer, false)
    }

    /// Checks that `signer`, a certificate other than the certificate issuer's (a separate
    /// CRL-signing key, RFC 5280 §6.3.3 (f)), signed this CRL: names match, its keyUsage is
    /// present and asserts cRLSign (basicConstraints cA is not required), and the signature
    /// verifies with its key. Whether `signer` is authorized is for the caller to decide.
    pub fn verify_signature_by_crl_signer(&self, signer: &CertRef<'_>) -> Result<(), CrlError> {
        self.verify_signature_as(signer, true)
    }

    fn verify_signature_as(&self, issuer: &CertRef<'_>, crl_signer: bool) -> Result<(), CrlError> {
        if !names::names_equal(self.issuer(), issuer.subject) {
            return Err(CrlError::IssuerNameMismatch {
                crl: self.issuer_string(),
                issuer: asn1::name_string(issuer.subject),
            });
        }
        match asn1::basic_constraints_ca(issuer) {
            _ if crl_signer => {}
            Ok(Some(true)) => {}
            // A v1 certificate has no extensions at all: accept it as a legacy CA.
            Ok(None) if issuer.extensions.is_empty() => {}
            _ => return Err(CrlError::IssuerNotCa),
        }
        match asn1::key_usage(issuer) {
            Ok(None) if !crl_signer => {}
            Ok(Some(ku)) if asn1::bit_set(ku, asn1::KU_CRL_SIGN) => {}
            _ => return Err(CrlError::IssuerLacksCrlSign),
        }
        if self.part(&self.inner_alg) != self.part(&self.outer_alg) {
            return Err(CrlError::SignatureAlgorithmMismatch);
        }
        asn1::verify_signature(
            issuer.spki,
            self.part(&self.outer_alg),
            self.tbs(),
            self.part(&self.signature),
        )
        .map(|_| ())
        .map_err(|e| match e {
            SigFailure::Algorithm(a) => CrlError::Algorithm(a),
            SigFailure::Crypto(c) => CrlError::BadSignature(c),
        })
    }

    /// Whether this CRL covers `cert` (RFC 5280 §6.3.3 (b)): same issuer, not a delta or
    /// indirect CRL, the IDP's onlyContains… flags and onlySomeReasons, and one of the
    /// certificate's distribution points matching the IDP's distributionPoint. A CRL without
    /// issuingDistributionPoint covers every certificate of its issuer.
    pub fn check_scope(&self, cert: &CertRef<'_>) -> Result<(), CrlError> {
        self.scope(cert).map_err(CrlError::NotInScope)
    }

    fn scope(&self, cert: &CertRef<'_>) -> Result<(), ScopeMismatch> {
        if self.delta {
            return Err(ScopeMismatch::DeltaCrl);
        }
        if self.indirect_entries {
            return Err(ScopeMismatch::IndirectCrl);
        }
        let issuer_check = || {
            if names::names_equal(self.issuer(), cert.issuer) {
                Ok(())
            } else {
                Err(ScopeMismatch::Issuer {
                    crl: self.issuer_string(),
                    cert: asn1::name_string(cert.issuer),
                })
            }
        };
        let Some(idp) = &self.idp else {
            return issuer_check();
        };
        if idp.indirect_crl {
            return Err(ScopeMismatch::IndirectCrl);
        }
        if idp.only_contains_attribute_certs {
            return Err(ScopeMismatch::OnlyAttributeCerts);
        }
        let ca = asn1::is_ca(cert);
        if idp.only_contains_user_certs && ca {
            return Err(ScopeMismatch::OnlyUserCerts);
        }
        if idp.only_contains_ca_certs && !ca {
            return Err(ScopeMismatch::OnlyCaCerts);
        }
        if let Some(mask) = idp.only_some_reasons
            && mask & ALL_REASONS != ALL_REASONS
        {
            return Err(ScopeMismatch::OnlySomeReasons(mask));
        }
        issuer_check()?;
        let Some(idp_name) = &idp.distribution_point else {
            return Ok(());
        };
        let idp_names = idp_name.resolve(self.issuer());
        let mismatch = || ScopeMismatch::DistributionPoint {
            idp: idp_names
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let overlaps =
            |names: &[GeneralName]| names.iter().any(|n| idp_names.iter().any(|i| i.matches(n)));
        let crl_issuer_name = GeneralName::DirectoryName(self.issuer().to_vec());
        let dps = names::crl_distribution_points(cert)
            .map_err(|e| ScopeMismatch::MalformedCertificateDp(e.to_string()))?;
        if dps.is_empty() {
            // §6.3.3: a certificate without cRLDistributionPoints is treated as having one
            // distribution point whose cRLIssuer is its issuer.
            return if overlaps(std::slice::from_ref(&crl_issuer_name)) {
                Ok(())
            } else {
                Err(mismatch())
            };
        }
        for dp in &dps {
            // A distribution point naming another CRL issuer designates an indirect CRL.
            if let Some(issuers) = &dp.crl_issuer
                && !issuers.iter().any(|n| n.matches(&crl_issuer_name))
            {
                continue;
            }
            if dp.reasons.is_some_and(|m| m & ALL_REASONS != ALL_REASONS) {
                continue;
            }
            let matched = match &dp.name {
                Some(name) => overlaps(&name.resolve(cert.issuer)),
                None => dp.crl_issuer.as_deref().is_some_and(overlaps),
            };
            if matched {
                return Ok(());
            }
        }
        Err(mismatch())
    }

    /// What this CRL says about `cert` at `at`, assuming its signature and scope were
    /// checked ([`Crl::verify_signature`], [`Crl::check_scope`]).
    ///
    /// * listed with revocationDate ≤ `at` → [`Finding::Revoked`] (a hold only while the
    ///   CRL is current for `at`);
    /// * listed with revocationDate > `at` → [`Finding::NotRevoked`]: revoked later;
    /// * not listed → [`Finding::NotRevoked`] if the CRL is current for `at` (`at` ≤
    ///   nextUpdate; without nextUpdate, `at` ≤ thisUpdate + `skew`) and still lists
    ///   certificates as old as `cert`.
    pub fn finding_at(
        &self,
        cert: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Result<Finding, CrlError> {
        if self.this_update > OffsetDateTime::now_utc() + skew {
            return Err(CrlError::NotYetIssued(self.this_update));
        }
        let current = match self.next_update {
            Some(next) => at <= next,
            None => at <= self.this_update + skew,
        };
        let not_current = || match self.next_update {
            Some(next_update) => CrlError::Stale { at, next_update },
            None => CrlError::NoNextUpdate {
                at,
                this_update: self.this_update,
            },
        };
        if let Some(entry) = self.entry(cert.serial)?
            && entry.reason != Some(REASON_REMOVE_FROM_CRL)
        {
            if entry.revocation_date > at {
                return Ok(Finding::NotRevoked);
            }
            if entry.reason == Some(REASON_CERTIFICATE_HOLD) && !current {
                return Err(CrlError::OnHoldStale {
                    since: entry.revocation_date,
                    at,
                });
            }
            return Ok(Finding::Revoked {
                time: entry.revocation_date,
                reason: entry.reason,
            });
        }
        if !current {
            return Err(not_current());
        }
        if cert.not_after < self.this_update
            && self
                .expired_certs_on_crl
                .is_none_or(|since| cert.not_after < since)
        {
            return Err(CrlError::CertificateExpired {
                not_after: cert.not_after,
                this_update: self.this_update,
            });
        }
        Ok(Finding::NotRevoked)
    }

    /// Everything at once: [`Crl::verify_signature`] with `issuer`, [`Crl::check_scope`]
    /// for `cert`, then [`Crl::finding_at`] with the default clock skew.
    pub fn status_at(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
    ) -> Result<Finding, CrlError> {
        self.verify_signature(issuer)?;
        self.check_scope(cert)?;
        self.finding_at(cert, at, DEFAULT_CLOCK_SKEW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_input_is_an_error() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x80\x00\x00",
            b"\x30\x03\x02\x01\x01",
            b"-----BEGIN X509 CRL-----\nAAAA\n",
            b"-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----\n",
        ] {
            assert!(Crl::from_pem_or_der(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serial_keys() {
        assert!(SerialKey::new(&[1; 23]).is_some());
        assert!(SerialKey::new(&[1; 24]).is_none());
        assert_ne!(SerialKey::new(&[1]), SerialKey::new(&[1, 0]));
    }
}
