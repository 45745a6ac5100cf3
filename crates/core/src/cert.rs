//! Certificates as spans of their original encoding, plus the decoded x509-cert model, and
//! PEM/DER loading helpers (PEM itself is [`crate::pem`]).

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use spki::AlgorithmIdentifierOwned;
use std::sync::OnceLock;

use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::asn1::extensions::{ExtensionError, explicit_extensions};
use crate::asn1::name::name_string;
use crate::asn1::time::{TimeReadError, x509_time};
use crate::der_span::{Reader, SpanError, parse_one, tag};
use crate::pem::{self, PemError};

/// Errors reading certificates and keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// DER structure error.
    #[error("certificate DER: {0}")]
    Span(#[from] SpanError),
    /// x509-cert could not decode it.
    #[error("certificate: {0}")]
    Decode(String),
    /// A validity time is not a DER UTCTime/GeneralizedTime.
    #[error("validity: {0}")]
    Validity(#[from] TimeReadError),
    /// The extensions do not read.
    #[error("certificate {0}")]
    Extensions(#[from] ExtensionError),
    /// PEM problem.
    #[error("PEM: {0}")]
    Pem(String),
    /// PEM text that does not read.
    #[error("PEM: {0}")]
    PemText(#[from] PemError),
    /// Nothing usable in the input.
    #[error("no {0} found in input")]
    Empty(&'static str),
}

pub use crate::asn1::extensions::ExtensionRef;

/// A certificate: spans of its encoding, validity and extensions read from those spans, and
/// the full x509-cert model decoded only on demand ([`CertRef::decoded`]).
///
/// [`crate::shared_cert::SharedCert`] keeps one beside its bytes, to be parsed once and
/// shared.
#[derive(Debug, Clone, yoke::Yokeable)]
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
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// Extensions in order.
    pub extensions: Vec<ExtensionRef<'a>>,
    decoded: OnceLock<Result<Certificate, CertError>>,
}

impl<'a> CertRef<'a> {
    /// Parses a DER certificate (spans only; see [`CertRef::decoded`]).
    pub fn parse(raw: &'a [u8]) -> Result<Self, CertError> {
        let outer = parse_one(raw)?.expect(tag::SEQUENCE)?;
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE)?;
        let sig_alg_tlv = r.expect(tag::SEQUENCE)?;
        let sig = r.expect(tag::BIT_STRING)?;
        r.finish()?;
        let mut t = tbs.reader();
        t.optional(tag::context(0))?;
        let serial = t.expect(tag::INTEGER)?;
        t.expect(tag::SEQUENCE)?;
        let issuer = t.expect(tag::SEQUENCE)?;
        let mut validity = t.expect(tag::SEQUENCE)?.reader();
        let not_before = x509_time(validity.read()?)?;
        let not_after = x509_time(validity.read()?)?;
        validity.finish()?;
        let subject = t.expect(tag::SEQUENCE)?;
        let spki = t.expect(tag::SEQUENCE)?;
        t.optional(tag::context_primitive(1))?;
        t.optional(tag::context_primitive(2))?;
        let extensions = match t.optional(tag::context(3))? {
            Some(f) => explicit_extensions(f)?,
            None => Vec::new(),
        };
        t.finish()?;
        let signature_algorithm = crate::alg::algorithm_identifier_from_der(sig_alg_tlv.raw)
            .map_err(|e| CertError::Decode(e.to_string()))?;
        let signature = match sig.value.split_first() {
            Some((0, bits)) => bits,
            _ => {
                return Err(CertError::Decode(
                    "signature BIT STRING: unused bits must be 0".into(),
                ));
            }
        };
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
            not_before,
            not_after,
            extensions,
            decoded: OnceLock::new(),
        })
    }

    /// The issuer Name TLV and serialNumber contents of a DER certificate, read without
    /// parsing anything else (to pick a certificate by issuerAndSerialNumber cheaply).
    pub fn issuer_and_serial(raw: &[u8]) -> Result<(&[u8], &[u8]), CertError> {
        let (serial, mut t) = tbs_from_serial(raw)?;
        t.expect(tag::SEQUENCE)?;
        Ok((t.expect(tag::SEQUENCE)?.raw, serial))
    }

    /// The subjectPublicKeyInfo TLV of a DER certificate, read without parsing anything
    /// else (validity and extensions are skipped).
    pub fn spki_of(raw: &[u8]) -> Result<&[u8], CertError> {
        tbs_sequence(raw, 4)
    }

    /// The subject Name TLV of a DER certificate, read without parsing anything else
    /// (for reports naming certificates already validated).
    pub fn subject_of(raw: &[u8]) -> Result<&[u8], CertError> {
        tbs_sequence(raw, 3)
    }

    /// The full x509-cert model, decoded on first use.
    pub fn decoded(&self) -> Result<&Certificate, CertError> {
        self.decoded
            .get_or_init(|| {
                Certificate::from_der(self.raw).map_err(|e| CertError::Decode(e.to_string()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether `at` lies within [notBefore, notAfter].
    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// The extension with `oid`, if present.
    pub fn extension(&self, oid: Oid) -> Option<&ExtensionRef<'a>> {
        self.extensions.iter().find(|e| e.oid == oid)
    }

    /// Subject as an RFC 4514 string.
    pub fn subject_string(&self) -> String {
        name_string(self.subject)
    }

    /// Issuer as an RFC 4514 string.
    pub fn issuer_string(&self) -> String {
        name_string(self.issuer)
    }

    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(self.serial)
    }
}

/// The TLV of the SEQUENCE at `index` after the serial number of a DER certificate's
/// tbsCertificate (0 signature, 1 issuer, 2 validity, 3 subject, 4 subjectPublicKeyInfo),
/// read without parsing the fields after it.
fn tbs_sequence(raw: &[u8], index: usize) -> Result<&[u8], CertError> {
    let (_, mut t) = tbs_from_serial(raw)?;
    for _ in 0..index {
        t.expect(tag::SEQUENCE)?;
    }
    Ok(t.expect(tag::SEQUENCE)?.raw)
}

/// The serialNumber contents of a DER certificate and a reader over its tbsCertificate
/// positioned after the serial number.
fn tbs_from_serial(raw: &[u8]) -> Result<(&[u8], Reader<'_>), CertError> {
    let mut r = parse_one(raw)?.expect(tag::SEQUENCE)?.reader();
    let mut t = r.expect(tag::SEQUENCE)?.reader();
    t.optional(tag::context(0))?;
    let serial = t.expect(tag::INTEGER)?.value;
    Ok((serial, t))
}

/// Loads one or more certificates from DER or PEM bytes.
pub fn certificates_from_pem_or_der(data: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let certs = if pem::looks_like_pem(data) {
        pem::blocks(data, "CERTIFICATE")?
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
    let der = if pem::looks_like_pem(data) {
        if memchr::memmem::find(data, b"ENCRYPTED PRIVATE KEY").is_some() {
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
        pem::blocks(data, "PRIVATE KEY")?
            .into_iter()
            .next()
            .ok_or(CertError::Empty("PRIVATE KEY"))?
    } else {
        data.to_vec()
    };
    pkcs8::PrivateKeyInfo::from_der(&der).map_err(|e| CertError::Decode(e.to_string()))?;
    Ok(der)
}
