//! Certificates as spans of their original encoding, plus the decoded x509-cert model, and
//! PEM/DER loading helpers.

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::Extension;

use crate::der_span::{Reader, SpanError, parse_one, tag};

/// Errors reading certificates and keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// DER structure error.
    #[error("certificate DER: {0}")]
    Span(#[from] SpanError),
    /// x509-cert could not decode it.
    #[error("certificate: {0}")]
    Decode(String),
    /// PEM problem.
    #[error("PEM: {0}")]
    Pem(String),
    /// Nothing usable in the input.
    #[error("no {0} found in input")]
    Empty(&'static str),
}

/// A certificate: spans of its encoding and the decoded model.
#[derive(Debug, Clone)]
pub struct CertRef<'a> {
    /// The whole certificate encoding.
    pub raw: &'a [u8],
    /// TBSCertificate encoding (what the issuer signed).
    pub tbs: &'a [u8],
    /// The serialNumber INTEGER TLV.
    pub serial_tlv: &'a [u8],
    /// The serialNumber INTEGER contents.
    pub serial: &'a [u8],
    /// The issuer Name TLV.
    pub issuer: &'a [u8],
    /// The subject Name TLV.
    pub subject: &'a [u8],
    /// The SubjectPublicKeyInfo TLV.
    pub spki: &'a [u8],
    /// Outer signatureAlgorithm.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// Signature bits (the BIT STRING contents after the unused-bits octet).
    pub signature: &'a [u8],
    /// The decoded certificate.
    pub cert: Certificate,
}

impl<'a> CertRef<'a> {
    /// Parses a DER certificate.
    pub fn parse(raw: &'a [u8]) -> Result<Self, CertError> {
        let outer = parse_one(raw)?.expect(tag::SEQUENCE)?;
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let sig_alg_tlv = r.expect(tag::SEQUENCE)?;
        let sig = r.expect(tag::BIT_STRING)?;
        r.finish()?;
        let mut t = tbs.reader();
        t.optional(crate::der_span::tag::context(0))?;
        let serial = t.expect(tag::INTEGER)?;
        t.expect(tag::SEQUENCE)?;
        let issuer = t.expect(tag::SEQUENCE)?;
        t.expect(tag::SEQUENCE)?;
        let subject = t.expect(tag::SEQUENCE)?;
        let spki = t.expect(tag::SEQUENCE)?;
        let cert = Certificate::from_der(raw).map_err(|e| CertError::Decode(e.to_string()))?;
        let signature_algorithm = AlgorithmIdentifierOwned::from_der(sig_alg_tlv.raw)
            .map_err(|e| CertError::Decode(e.to_string()))?;
        let signature = sig
            .value
            .get(1..)
            .ok_or(CertError::Decode("empty signature".into()))?;
        Ok(Self {
            raw,
            tbs: tbs.raw,
            serial_tlv: serial.raw,
            serial: serial.value,
            issuer: issuer.raw,
            subject: subject.raw,
            spki: spki.raw,
            signature_algorithm,
            signature,
            cert,
        })
    }

    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        crate::timefmt::from_x509_time(&self.cert.tbs_certificate.validity.not_before)
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        crate::timefmt::from_x509_time(&self.cert.tbs_certificate.validity.not_after)
    }

    /// Whether `at` lies within [notBefore, notAfter].
    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before() <= at && at <= self.not_after()
    }

    /// The extension with `oid`, if present.
    pub fn extension(&self, oid: Oid) -> Option<&Extension> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)
    }

    /// Subject as an RFC 4514 string.
    pub fn subject_string(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// Issuer as an RFC 4514 string.
    pub fn issuer_string(&self) -> String {
        self.cert.tbs_certificate.issuer.to_string()
    }

    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        self.serial.iter().map(|b| format!("{b:02X}")).collect()
    }
}

/// Reads PEM blocks with label `label` from text, in order.
pub fn pem_blocks(data: &[u8], label: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let text = std::str::from_utf8(data).map_err(|_| CertError::Pem("not UTF-8 text".into()))?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        let after = &rest[b..];
        let e = after
            .find(&end)
            .ok_or_else(|| CertError::Pem(format!("unterminated {label}")))?;
        let block = &after[..e + end.len()];
        let (l, der) =
            der::pem::decode_vec(block.as_bytes()).map_err(|e| CertError::Pem(e.to_string()))?;
        if l != label {
            return Err(CertError::Pem(format!("expected {label}, found {l}")));
        }
        out.push(der);
        rest = &after[e + end.len()..];
    }
    Ok(out)
}

fn looks_like_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Loads one or more certificates from DER or PEM bytes.
pub fn certificates_from_pem_or_der(data: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let certs = if looks_like_pem(data) {
        pem_blocks(data, "CERTIFICATE")?
    } else {
        let mut r = Reader::new(data);
        let mut v = Vec::new();
        while !r.is_empty() {
            v.push(r.expect(tag::SEQUENCE)?.raw.to_vec());
        }
        v
    };
    if certs.is_empty() {
        return Err(CertError::Empty("certificate"));
    }
    for c in &certs {
        CertRef::parse(c)?;
    }
    Ok(certs)
}

/// Loads a PKCS#8 private key (DER, or PEM `PRIVATE KEY`).
pub fn pkcs8_from_pem_or_der(data: &[u8]) -> Result<Vec<u8>, CertError> {
    let der = if looks_like_pem(data) {
        if data.windows(21).any(|w| w == b"ENCRYPTED PRIVATE KEY") {
            return Err(CertError::Pem(
                "encrypted PKCS#8 keys are not supported; use PKCS#12".into(),
            ));
        }
        if data
            .windows(15)
            .any(|w| w == b"RSA PRIVATE KEY" || w == b"-EC PRIVATE KEY")
        {
            return Err(CertError::Pem(
                "legacy PKCS#1/SEC1 key; convert with `openssl pkcs8 -topk8 -nocrypt`".into(),
            ));
        }
        pem_blocks(data, "PRIVATE KEY")?
            .into_iter()
            .next()
            .ok_or(CertError::Empty("PRIVATE KEY"))?
    } else {
        data.to_vec()
    };
    pkcs8::PrivateKeyInfo::from_der(&der).map_err(|e| CertError::Decode(e.to_string()))?;
    Ok(der)
}
