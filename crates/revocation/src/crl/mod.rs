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
use std::ops::Range;
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::AlgError;
use kenpo_core::asn1::extensions::{explicit_extensions, read_extensions};
use kenpo_core::asn1::time::x509_time;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::CryptoError;
use kenpo_core::der_span::{Reader, SpanError, Tlv, parse_one, tag};
use kenpo_core::timefmt::rfc3339;
use time::{Duration, OffsetDateTime};

use crate::asn1::{self, SigFailure, range_of};
use crate::names::{self, DistributionPoint, GeneralName};
use crate::{DEFAULT_CLOCK_SKEW, Finding};

mod delta;
mod scope;

pub use delta::DeltaMismatch;
pub use scope::{IssuingDistributionPoint, ScopeMismatch, effective_distribution_points};

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
    /// A delta CRL that cannot be combined with the complete CRL (RFC 5280 §5.2.4).
    #[error("delta CRL: {0}")]
    Delta(DeltaMismatch),
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

/// A serial number of at most 23 octets, stored inline (no allocation per entry), with
/// the certificate issuer it belongs to: 0 for the CRL issuer, `n` for the `n`-th distinct
/// certificateIssuer of an indirect CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SerialKey {
    group: u32,
    len: u8,
    bytes: [u8; 23],
}

impl SerialKey {
    fn new(group: u32, canonical: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; 23];
        bytes.get_mut(..canonical.len())?.copy_from_slice(canonical);
        Some(Self {
            group,
            len: u8::try_from(canonical.len()).ok()?,
            bytes,
        })
    }
}

/// The certificate issuers named by certificateIssuer entry extensions (RFC 5280 §5.3.3).
#[derive(Debug, Clone, Default)]
struct IssuerGroups {
    /// The names of group `n` at index `n - 1`.
    groups: Vec<Vec<GeneralName>>,
    /// Group number per extension value.
    by_value: HashMap<Vec<u8>, u32>,
}

impl IssuerGroups {
    /// The group number of a certificateIssuer extension value, added when new.
    fn group_of(&mut self, value: &[u8]) -> Result<u32, CrlError> {
        if let Some(g) = self.by_value.get(value) {
            return Ok(*g);
        }
        let seq = parse_one(value)?.expect(tag::SEQUENCE)?;
        let names = names::general_names(seq.reader())
            .map_err(|e| CrlError::Malformed(format!("certificateIssuer: {e}")))?;
        self.groups.push(names);
        let g = u32::try_from(self.groups.len())
            .map_err(|_| CrlError::Malformed("too many certificate issuers".into()))?;
        self.by_value.insert(value.to_vec(), g);
        Ok(g)
    }

    /// The groups naming `issuer` (a Name TLV) as a directoryName.
    fn matching<'s>(&'s self, issuer: &'s [u8]) -> impl Iterator<Item = u32> + 's {
        self.groups.iter().enumerate().filter_map(move |(i, g)| {
            g.iter()
                .any(
                    |n| matches!(n, GeneralName::DirectoryName(d) if names::names_equal(d, issuer)),
                )
                .then(|| u32::try_from(i + 1).ok())
                .flatten()
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
    base_crl_number: Option<Vec<u8>>,
    freshest_crl: Vec<DistributionPoint>,
    expired_certs_on_crl: Option<OffsetDateTime>,
    indirect_entries: bool,
    issuer_groups: IssuerGroups,
    entries: HashMap<SerialKey, u32>,
    long_entries: HashMap<(u32, Box<[u8]>), u32>,
}

impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crl")
            .field(
                "issuer",
                &kenpo_core::asn1::name::name_string(self.issuer()),
            )
            .field("this_update", &rfc3339(self.this_update))
            .field("next_update", &self.next_update.map(rfc3339))
            .field("entries", &self.len())
            .field("idp", &self.idp)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

/// One entry's fields read from its TLV.
struct ParsedEntry<'a> {
    serial: &'a [u8],
    entry: CrlEntry,
    /// The certificateIssuer extension value, when present.
    certificate_issuer: Option<&'a [u8]>,
}

fn parse_entry(t: Tlv<'_>) -> Result<ParsedEntry<'_>, CrlError> {
    let mut r = t.expect(tag::SEQUENCE)?.reader();
    let serial = r.expect(tag::INTEGER)?.value;
    if serial.is_empty() {
        return Err(CrlError::Malformed("empty serial number".into()));
    }
    let revocation_date =
        x509_time(r.read()?).map_err(|e| CrlError::Malformed(format!("revocationDate: {e}")))?;
    let mut entry = CrlEntry {
        revocation_date,
        reason: None,
        invalidity_date: None,
    };
    let mut certificate_issuer = None;
    if let Some(exts) = r.optional(tag::SEQUENCE)? {
        for ext in read_extensions(exts).map_err(|e| CrlError::Malformed(e.to_string()))? {
            let (critical, value) = (ext.critical, ext.value);
            match ext.oid.as_bytes() {
                OID_REASON_CODE => {
                    let e = parse_one(value)?.expect(0x0a)?;
                    match e.value {
                        [code] => entry.reason = Some(*code),
                        _ => return Err(CrlError::Malformed("reasonCode of wrong length".into())),
                    }
                }
                OID_INVALIDITY_DATE => {
                    entry.invalidity_date = Some(
                        kenpo_core::asn1::time::generalized_time(parse_one(value)?)
                            .map_err(|e| CrlError::Malformed(format!("invalidityDate: {e}")))?,
                    );
                }
                OID_CERTIFICATE_ISSUER => certificate_issuer = Some(value),
                OID_HOLD_INSTRUCTION => {}
                _ if critical => {
                    return Err(CrlError::UnsupportedCriticalEntryExtension {
                        oid: ext.oid,
                        serial: hex::encode_upper(serial),
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
        let this_update =
            x509_time(t.read()?).map_err(|e| CrlError::Malformed(format!("thisUpdate: {e}")))?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Some(
                x509_time(t.read()?)
                    .map_err(|e| CrlError::Malformed(format!("nextUpdate: {e}")))?,
            ),
            _ => None,
        };

        let mut entries: HashMap<SerialKey, u32> = HashMap::new();
        let mut long_entries: HashMap<(u32, Box<[u8]>), u32> = HashMap::new();
        let mut indirect_entries = false;
        let mut issuer_groups = IssuerGroups::default();
        let mut group = 0u32;
        if let Some(list) = t.optional(tag::SEQUENCE)? {
            // Each entry takes at least ~20 octets: a cheap upper bound for the capacity.
            entries.reserve(list.value.len() / 20);
            let mut lr = list.reader();
            while !lr.is_empty() {
                let et = lr.read()?;
                let parsed = parse_entry(et)?;
                if let Some(value) = parsed.certificate_issuer {
                    indirect_entries = true;
                    group = issuer_groups.group_of(value)?;
                }
                if !v2 && (parsed.entry.reason.is_some() || parsed.certificate_issuer.is_some()) {
                    return Err(CrlError::Malformed("entry extensions in a v1 CRL".into()));
                }
                let offset = u32::try_from(et.offset)
                    .map_err(|_| CrlError::Malformed("CRL too large".into()))?;
                let canonical = asn1::canonical_int(parsed.serial);
                let date = parsed.entry.revocation_date;
                // A serial listed twice keeps its earliest revocation.
                let keep_earlier = |kept: &mut u32| {
                    if !matches!(Self::entry_at(base, *kept), Ok(e) if e.revocation_date <= date) {
                        *kept = offset;
                    }
                };
                match SerialKey::new(group, canonical) {
                    Some(key) => entries
                        .entry(key)
                        .and_modify(keep_earlier)
                        .or_insert(offset),
                    None => long_entries
                        .entry((group, canonical.into()))
                        .and_modify(keep_earlier)
                        .or_insert(offset),
                };
            }
        }

        let mut crl_number = None;
        let mut authority_key_id = None;
        let mut idp = None;
        let mut delta = false;
        let mut base_crl_number = None;
        let mut freshest_crl = Vec::new();
        let mut expired_certs_on_crl = None;
        if let Some(field) = t.optional(tag::context(0))? {
            if !v2 {
                return Err(CrlError::Malformed("crlExtensions in a v1 CRL".into()));
            }
            let exts = explicit_extensions(field).map_err(|e| CrlError::Malformed(e.to_string()));
            for ext in exts? {
                match ext.oid.as_bytes() {
                    OID_CRL_NUMBER => {
                        // RFC 5280 §5.2.3: conforming CRL issuers mark it non-critical.
                        if ext.critical {
                            return Err(CrlError::Malformed("critical cRLNumber".into()));
                        }
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
                    OID_DELTA_CRL_INDICATOR => {
                        delta = true;
                        base_crl_number =
                            Some(parse_one(ext.value)?.expect(tag::INTEGER)?.value.to_vec());
                    }
                    OID_FRESHEST_CRL => {
                        freshest_crl = names::parse_distribution_points(ext.value)
                            .map_err(|e| CrlError::Malformed(format!("freshestCRL: {e}")))?;
                    }
                    OID_EXPIRED_CERTS_ON_CRL => {
                        expired_certs_on_crl = Some(
                            kenpo_core::asn1::time::generalized_time(parse_one(ext.value)?)
                                .map_err(|e| {
                                    CrlError::Malformed(format!("expiredCertsOnCRL: {e}"))
                                })?,
                        );
                    }
                    OID_AUTHORITY_INFO_ACCESS => {}
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
            base_crl_number,
            freshest_crl,
            expired_certs_on_crl,
            indirect_entries,
            issuer_groups,
            entries,
            long_entries,
            raw: Arc::clone(&raw),
        })
    }

    /// Parses a CRL given as DER or PEM (`-----BEGIN X509 CRL-----`; the first block).
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self, CrlError> {
        if kenpo_core::pem::looks_like_pem(data) {
            let blocks = kenpo_core::pem::blocks(data, "X509 CRL")
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
        kenpo_core::asn1::name::name_string(self.issuer())
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

    /// BaseCRLNumber of a delta CRL (deltaCRLIndicator contents, big-endian).
    pub fn base_crl_number(&self) -> Option<&[u8]> {
        self.base_crl_number.as_deref()
    }

    /// Where delta CRLs for this CRL are published (freshestCRL; empty when absent).
    pub fn freshest_crl(&self) -> &[DistributionPoint] {
        &self.freshest_crl
    }

    /// Number of distinct serial numbers listed.
    pub fn len(&self) -> usize {
        self.entries.len() + self.long_entries.len()
    }

    /// Whether no certificate is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry for a serial number (INTEGER contents, as in [`CertRef::serial`]) of a
    /// certificate issued by the CRL issuer itself; O(1). See [`Crl::entry_for`] for
    /// indirect CRLs.
    pub fn entry(&self, serial: &[u8]) -> Result<Option<CrlEntry>, CrlError> {
        self.entry_for(self.issuer(), serial)
    }

    /// The entry for a certificate issued by `cert_issuer` (a Name TLV) with `serial`: on
    /// an indirect CRL, entries belong to the issuer named by the latest certificateIssuer
    /// entry extension before them (RFC 5280 §5.3.3), the CRL issuer by default.
    pub fn entry_for(
        &self,
        cert_issuer: &[u8],
        serial: &[u8],
    ) -> Result<Option<CrlEntry>, CrlError> {
        let own = names::names_equal(self.issuer(), cert_issuer).then_some(0);
        for group in own
            .into_iter()
            .chain(self.issuer_groups.matching(cert_issuer))
        {
            if let Some(e) = self.entry_in(group, serial)? {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    fn entry_in(&self, group: u32, serial: &[u8]) -> Result<Option<CrlEntry>, CrlError> {
        let canonical = asn1::canonical_int(serial);
        let offset = match SerialKey::new(group, canonical) {
            Some(key) => self.entries.get(&key),
            None => self.long_entries.get(&(group, Box::from(canonical))),
        };
        offset.map(|o| Self::entry_at(&self.raw, *o)).transpose()
    }

    /// Whether entries name other certificate issuers (certificateIssuer): an indirect CRL.
    pub fn has_indirect_entries(&self) -> bool {
        self.indirect_entries
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
                issuer: kenpo_core::asn1::name::name_string(issuer.subject),
            });
        }
        match asn1::basic_constraints_ca(issuer) {
            _ if crl_signer => {}
            Ok(Some(true)) => {}
            // A v1 certificate has no extensions at all: accept it as a legacy CA.
            Ok(None) if issuer.extensions.is_empty() => {}
            // No basicConstraints but keyUsage keyCertSign: a legacy CA too (as OpenSSL
            // treats it), e.g. the self-signed test TSA root of the e-prescription sample.
            Ok(None)
                if asn1::key_usage(issuer).is_ok_and(|ku| {
                    ku.is_some_and(|ku| asn1::bit_set(ku, asn1::KU_KEY_CERT_SIGN))
                }) => {}
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
        self.finding_with(None, cert, at, skew)
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
        assert!(SerialKey::new(0, &[1; 23]).is_some());
        assert!(SerialKey::new(0, &[1; 24]).is_none());
        assert_ne!(SerialKey::new(0, &[1]), SerialKey::new(0, &[1, 0]));
        assert_ne!(SerialKey::new(0, &[1]), SerialKey::new(1, &[1]));
    }
}
