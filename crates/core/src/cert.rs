//! Certificates as spans of their original encoding, plus the decoded x509-cert model, and
//! PEM/DER loading helpers.

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use spki::AlgorithmIdentifierOwned;
use std::sync::OnceLock;

use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::der_span::{Reader, SpanError, parse_one, tag};
use crate::memo::DerMemo;

/// Names formatted so far (formatting looks attribute types up in a large table; the same
/// CA and TSA names recur in every file of a batch). Bounded: starts afresh when full.
fn name_strings() -> &'static DerMemo<String> {
    static NAME_STRINGS: OnceLock<DerMemo<String>> = OnceLock::new();
    NAME_STRINGS.get_or_init(|| DerMemo::new(NAME_CACHE_LIMIT))
}
const NAME_CACHE_LIMIT: usize = 4096;

/// A DER `Name` as an RFC 4514 string (as x509-cert formats it); empty when it does not
/// decode. Results are memoised per encoding.
pub fn name_string(name_der: &[u8]) -> String {
    if let Some(s) = name_strings().get(name_der, |_| true) {
        return s;
    }
    let s = x509_cert::name::Name::from_der(name_der)
        .map(|n| n.to_string())
        .unwrap_or_default();
    name_strings().insert(name_der, s.clone(), |_| true);
    s
}

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

/// One extension, as spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionRef<'a> {
    /// extnID.
    pub oid: Oid,
    /// critical.
    pub critical: bool,
    /// extnValue's octets (the DER of the extension's value).
    pub value: &'a [u8],
}

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

fn read_time(t: crate::der_span::Tlv<'_>) -> Result<OffsetDateTime, CertError> {
    let bad = |e: crate::timefmt::TimeError| CertError::Decode(format!("validity: {e}"));
    match t.tag {
        tag::UTC_TIME => {
            let v = t.value;
            if v.len() != 13 || v[12] != b'Z' {
                return Err(CertError::Decode("validity: bad UTCTime".into()));
            }
            let mut g = [0u8; 15];
            g[..2].copy_from_slice(if v[0] < b'5' { b"20" } else { b"19" });
            g[2..].copy_from_slice(v);
            crate::timefmt::parse_generalized_time(&g).map_err(bad)
        }
        tag::GENERALIZED_TIME => crate::timefmt::parse_generalized_time(t.value).map_err(bad),
        _ => Err(CertError::Decode("validity: not a time".into())),
    }
}

fn read_extensions(field: crate::der_span::Tlv<'_>) -> Result<Vec<ExtensionRef<'_>>, CertError> {
    let mut outer = field.reader();
    let seq = outer.expect(tag::SEQUENCE)?;
    outer.finish()?;
    let mut out = Vec::with_capacity(10);
    let mut exts = seq.reader();
    while !exts.is_empty() {
        let mut r = exts.expect(tag::SEQUENCE)?.reader();
        let oid = crate::oid::from_content(r.expect(tag::OID)?.value)
            .map_err(|e| CertError::Decode(e.to_string()))?;
        let critical = match r.optional(tag::BOOLEAN)? {
            Some(b) => b.value == [0xff],
            None => false,
        };
        let value = r.expect(tag::OCTET_STRING)?.value;
        r.finish()?;
        out.push(ExtensionRef {
            oid,
            critical,
            value,
        });
    }
    Ok(out)
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
        let not_before = read_time(validity.read()?)?;
        let not_after = read_time(validity.read()?)?;
        validity.finish()?;
        let subject = t.expect(tag::SEQUENCE)?;
        let spki = t.expect(tag::SEQUENCE)?;
        t.optional(tag::context_primitive(1))?;
        t.optional(tag::context_primitive(2))?;
        let extensions = match t.optional(tag::context(3))? {
            Some(f) => read_extensions(f)?,
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

/// Reads PEM blocks with label `label` from text, in order.
pub fn pem_blocks(data: &[u8], label: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let text = std::str::from_utf8(data).map_err(|_| CertError::Pem("not UTF-8 text".into()))?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        // The END marker is looked for after the whole BEGIN marker: the two may share
        // dashes (`-----BEGIN X--------END X-----`), which is no block.
        let body = &rest[b + begin.len()..];
        let e = body
            .find(&end)
            .ok_or_else(|| CertError::Pem(format!("unterminated {label}")))?;
        out.push(pem_body(&body[..e], label)?);
        rest = &body[e + end.len()..];
    }
    Ok(out)
}

/// Decodes the base64 body of a PEM block leniently: any line width (OpenSSL writes 64
/// columns, other tools 72 or 76), CR/LF, and RFC 1421 header lines (`Name: value`) are
/// accepted; the characters must be standard base64.
fn pem_body(body: &str, label: &str) -> Result<Vec<u8>, CertError> {
    use base64::Engine;
    let text: String = body
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_ascii_whitespace()))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| CertError::Pem(format!("{label}: {e}")))
}

fn looks_like_pem(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"-----BEGIN ").is_some()
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
