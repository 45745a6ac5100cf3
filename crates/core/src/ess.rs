//! ESS signing-certificate attributes: RFC 2634 (ESSCertID, SHA-1) and RFC 5035
//! (ESSCertIDv2), used by CAdES signatures and RFC 3161 tokens (RFC 5816).

use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

use crate::alg::DigestAlgorithm;
use crate::cert::CertRef;
use crate::cert_cache::CertCache;

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }`
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct IssuerSerial {
    /// issuer (a directoryName in practice).
    pub issuer: Vec<GeneralName>,
    /// serialNumber.
    pub serial_number: SerialNumber,
}

/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///   hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///   certHash      Hash,
///   issuerSerial  IssuerSerial OPTIONAL }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct EssCertIdV2 {
    /// hashAlgorithm; `None` means the DEFAULT, SHA-256.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// Hash of the certificate.
    pub cert_hash: OctetString,
    /// Issuer and serial.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }`
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct SigningCertificateV2 {
    /// certs: the first identifies the signing certificate.
    pub certs: Vec<EssCertIdV2>,
    /// policies (kept opaque).
    #[asn1(optional = "true")]
    pub policies: Option<der::Any>,
}

/// Errors matching ESS identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EssError {
    /// The attribute value could not be decoded.
    #[error("malformed signing-certificate attribute: {0}")]
    Malformed(String),
    /// The attribute lists no certificate.
    #[error("signing-certificate attribute lists no certificate")]
    Empty,
    /// Hash algorithm not supported.
    #[error(transparent)]
    Alg(#[from] crate::alg::AlgError),
}

fn issuer_serial_of(cert: &CertRef<'_>) -> Result<IssuerSerial, EssError> {
    let tbs = &cert
        .decoded()
        .map_err(|e| EssError::Malformed(e.to_string()))?
        .tbs_certificate;
    Ok(IssuerSerial {
        issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
        serial_number: tbs.serial_number.clone(),
    })
}

/// Compares with the certificate's own spans (the certificate is not decoded).
fn issuer_serial_matches(is: &IssuerSerial, cert: &CertRef<'_>) -> bool {
    is.serial_number.as_bytes() == cert.serial
        && is.issuer.iter().any(|g| match g {
            GeneralName::DirectoryName(n) => n.to_der().is_ok_and(|d| d == cert.issuer),
            _ => false,
        })
}

impl EssCertIdV2 {
    /// Identifies `cert` with `alg` (SHA-256 is written as the DEFAULT, i.e. omitted).
    pub fn for_cert(cert: &CertRef<'_>, alg: DigestAlgorithm) -> Result<Self, EssError> {
        let hash = alg.digest(cert.raw);
        Ok(Self {
            hash_algorithm: (alg != DigestAlgorithm::Sha256).then(|| alg.algorithm_identifier()),
            cert_hash: OctetString::new(hash.as_bytes())
                .map_err(|e| EssError::Malformed(e.to_string()))?,
            issuer_serial: Some(issuer_serial_of(cert)?),
        })
    }

    /// The hash algorithm (SHA-256 when defaulted).
    pub fn digest_algorithm(&self) -> Result<DigestAlgorithm, EssError> {
        match &self.hash_algorithm {
            None => Ok(DigestAlgorithm::Sha256),
            Some(ai) => Ok(DigestAlgorithm::from_oid(&ai.oid)?),
        }
    }

    /// Whether this identifier names `cert` (hash over the certificate's original bytes,
    /// and issuerSerial when present).
    pub fn matches(&self, cert: &CertRef<'_>) -> Result<bool, EssError> {
        let alg = self.digest_algorithm()?;
        let hash_ok = alg.digest(cert.raw).as_bytes() == self.cert_hash.as_bytes();
        Ok(hash_ok
            && self
                .issuer_serial
                .as_ref()
                .is_none_or(|is| issuer_serial_matches(is, cert)))
    }
}

impl SigningCertificateV2 {
    /// The attribute value naming one certificate.
    pub fn for_cert(cert: &CertRef<'_>, alg: DigestAlgorithm) -> Result<Self, EssError> {
        Ok(Self {
            certs: vec![EssCertIdV2::for_cert(cert, alg)?],
            policies: None,
        })
    }

    /// DER encoding (an attribute value).
    pub fn to_der_bytes(&self) -> Result<Vec<u8>, EssError> {
        self.to_der()
            .map_err(|e| EssError::Malformed(e.to_string()))
    }

    /// Decodes an attribute value.
    pub fn from_der_bytes(der: &[u8]) -> Result<Self, EssError> {
        Self::from_der(der).map_err(|e| EssError::Malformed(e.to_string()))
    }
}

/// Reads an ESSCertID(v2) SEQUENCE from spans: (hash algorithm, certHash, issuer Name TLVs,
/// serial INTEGER contents).
type CertIdSpans<'a> = (DigestAlgorithm, &'a [u8], Option<(Vec<&'a [u8]>, &'a [u8])>);

fn cert_id_spans(id: crate::der_span::Tlv<'_>, v2: bool) -> Result<CertIdSpans<'_>, EssError> {
    use crate::der_span::tag;
    let bad = |e: &dyn std::fmt::Display| EssError::Malformed(e.to_string());
    let mut r = id.expect(tag::SEQUENCE).map_err(|e| bad(&e))?.reader();
    let alg = if v2 && r.peek_tag() == Some(tag::SEQUENCE) {
        let ai = r.read().map_err(|e| bad(&e))?;
        let oid = ai.reader().expect(tag::OID).map_err(|e| bad(&e))?;
        let oid = const_oid::ObjectIdentifier::from_der(oid.raw).map_err(|e| bad(&e))?;
        DigestAlgorithm::from_oid(&oid)?
    } else if v2 {
        DigestAlgorithm::Sha256
    } else {
        DigestAlgorithm::Sha1
    };
    let hash = r.expect(tag::OCTET_STRING).map_err(|e| bad(&e))?.value;
    let issuer_serial = match r.optional(tag::SEQUENCE).map_err(|e| bad(&e))? {
        Some(is) => {
            let mut ir = is.reader();
            let names = ir
                .expect(tag::SEQUENCE)
                .map_err(|e| bad(&e))?
                .reader()
                .all()
                .map_err(|e| bad(&e))?;
            let dir_names = names
                .iter()
                .filter(|g| g.tag == tag::context(4))
                .filter_map(|g| g.reader().read().ok().map(|n| n.raw))
                .collect();
            let serial = ir.expect(tag::INTEGER).map_err(|e| bad(&e))?.value;
            Some((dir_names, serial))
        }
        None => None,
    };
    Ok((alg, hash, issuer_serial))
}

/// Whether the *first* identifier of a SigningCertificate (`v2 = false`, ESSCertID with
/// SHA-1) or SigningCertificateV2 (`v2 = true`) attribute value names `cert`.
///
/// Works on the attribute value's original bytes: the certificate hash is computed over
/// the certificate as received, and the issuer Name and serial are compared with the
/// certificate's own spans; nothing is decoded into owned types or re-encoded.
pub fn first_cert_id_names(value: &[u8], cert: &CertRef<'_>, v2: bool) -> Result<bool, EssError> {
    first_cert_id_names_with(value, cert, v2, None)
}

/// [`first_cert_id_names`], taking the certificate's hash from `digests` when it has been
/// computed before (and remembering it there).
pub fn first_cert_id_names_with(
    value: &[u8],
    cert: &CertRef<'_>,
    v2: bool,
    digests: Option<&CertCache>,
) -> Result<bool, EssError> {
    use crate::der_span::{parse_one, tag};
    let bad = |e: &dyn std::fmt::Display| EssError::Malformed(e.to_string());
    let seq = parse_one(value)
        .and_then(|t| t.expect(tag::SEQUENCE))
        .map_err(|e| bad(&e))?;
    let certs = seq.reader().expect(tag::SEQUENCE).map_err(|e| bad(&e))?;
    let first = certs.reader().read().map_err(|_| EssError::Empty)?;
    let (alg, hash, issuer_serial) = cert_id_spans(first, v2)?;
    let digest = match digests {
        Some(memo) => memo.digest(alg, cert.raw),
        None => alg.digest(cert.raw),
    };
    if digest.as_bytes() != hash {
        return Ok(false);
    }
    Ok(issuer_serial
        .is_none_or(|(names, serial)| serial == cert.serial && names.contains(&cert.issuer)))
}
