//! Small DER helpers shared by the CRL and OCSP code: integers, certificate
//! extensions read from spans, and signature verification over original bytes.

use const_oid::ObjectIdentifier as Oid;
use const_oid::db::rfc5280 as ids;
use kenpo_core::alg::{AlgError, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, default_backend};
use kenpo_core::der_span::{SpanError, Tlv, parse_one, tag};

/// keyUsage bit digitalSignature.
pub(crate) const KU_DIGITAL_SIGNATURE: usize = 0;
/// keyUsage bit nonRepudiation (contentCommitment).
pub(crate) const KU_NON_REPUDIATION: usize = 1;
/// keyUsage bit cRLSign.
pub(crate) const KU_CRL_SIGN: usize = 6;
/// keyUsage bit keyCertSign.
pub(crate) const KU_KEY_CERT_SIGN: usize = 5;

/// The minimal two's-complement form of INTEGER contents (redundant leading 0x00/0xFF
/// octets removed), so that non-DER serial encodings still compare by value.
pub(crate) fn canonical_int(mut b: &[u8]) -> &[u8] {
    while b.len() > 1 && ((b[0] == 0x00 && b[1] & 0x80 == 0) || (b[0] == 0xff && b[1] & 0x80 != 0))
    {
        b = &b[1..];
    }
    b
}

/// An OBJECT IDENTIFIER TLV.
pub(crate) fn read_oid(t: Tlv<'_>) -> Result<Oid, String> {
    if t.tag != tag::OID {
        return Err(format!("expected OID, found tag 0x{:02x}", t.tag));
    }
    kenpo_core::oid::from_content(t.value).map_err(|e| format!("bad OID: {e}"))
}

/// A BOOLEAN (DER: 0x00 or 0xFF; any non-zero octet is read as TRUE, as BER allows).
pub(crate) fn read_bool(t: Tlv<'_>) -> Result<bool, String> {
    match t.value {
        [b] => Ok(*b != 0),
        _ => Err("BOOLEAN of wrong length".into()),
    }
}

/// Whether bit `n` (0 = most significant bit of the first octet) of a BIT STRING's contents
/// (unused-bits octet first) is set.
pub(crate) fn bit_set(bit_string_value: &[u8], n: usize) -> bool {
    bit_string_value
        .get(1 + n / 8)
        .is_some_and(|b| b & (0x80 >> (n % 8)) != 0)
}

/// basicConstraints cA of a certificate: `None` when the extension is absent.
pub(crate) fn basic_constraints_ca(cert: &CertRef<'_>) -> Result<Option<bool>, SpanError> {
    let Some(ext) = cert.extension(ids::ID_CE_BASIC_CONSTRAINTS) else {
        return Ok(None);
    };
    let seq = parse_one(ext.value)?.expect(tag::SEQUENCE)?;
    let mut r = seq.reader();
    Ok(Some(match r.optional(tag::BOOLEAN)? {
        Some(b) => b.value.first().is_some_and(|v| *v != 0),
        None => false,
    }))
}

/// Whether a certificate is a CA certificate (basicConstraints cA TRUE).
pub(crate) fn is_ca(cert: &CertRef<'_>) -> bool {
    matches!(basic_constraints_ca(cert), Ok(Some(true)))
}

/// keyUsage BIT STRING contents (unused-bits octet first), `None` when absent.
pub(crate) fn key_usage<'a>(cert: &CertRef<'a>) -> Result<Option<&'a [u8]>, SpanError> {
    match cert.extension(ids::ID_CE_KEY_USAGE) {
        None => Ok(None),
        Some(ext) => Ok(Some(parse_one(ext.value)?.expect(tag::BIT_STRING)?.value)),
    }
}

/// extKeyUsage purposes, `None` when absent.
pub(crate) fn ext_key_usage(cert: &CertRef<'_>) -> Result<Option<Vec<Oid>>, String> {
    let Some(ext) = cert.extension(ids::ID_CE_EXT_KEY_USAGE) else {
        return Ok(None);
    };
    let seq = parse_one(ext.value)
        .and_then(|t| t.expect(tag::SEQUENCE))
        .map_err(|e| e.to_string())?;
    let mut r = seq.reader();
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(read_oid(r.read().map_err(|e| e.to_string())?)?);
    }
    Ok(Some(out))
}

/// The subjectPublicKey BIT STRING contents without the unused-bits octet (what OCSP's
/// issuerKeyHash and byKey ResponderID hash).
pub(crate) fn public_key_bits(spki_der: &[u8]) -> Result<&[u8], SpanError> {
    let mut r = parse_one(spki_der)?.expect(tag::SEQUENCE)?.reader();
    r.expect(tag::SEQUENCE)?;
    let bits = r.expect(tag::BIT_STRING)?;
    r.finish()?;
    Ok(bits.value.get(1..).unwrap_or_default())
}

/// Why a signature over original bytes could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigFailure {
    /// The AlgorithmIdentifier could not be read or is unsupported.
    Algorithm(AlgError),
    /// The backend rejected the signature (or the key).
    Crypto(CryptoError),
}

impl std::fmt::Display for SigFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Algorithm(e) => write!(f, "signature algorithm: {e}"),
            Self::Crypto(e) => write!(f, "{e}"),
        }
    }
}

/// Verifies `signature` over `signed` (exact original bytes) with the key `spki_der`, the
/// algorithm given as an AlgorithmIdentifier TLV.
pub(crate) fn verify_signature(
    spki_der: &[u8],
    alg_tlv: &[u8],
    signed: &[u8],
    signature: &[u8],
) -> Result<SignatureAlgorithm, SigFailure> {
    let ai = kenpo_core::alg::algorithm_identifier_from_der(alg_tlv)
        .map_err(|e| SigFailure::Algorithm(AlgError::Malformed(e.to_string())))?;
    let alg =
        SignatureAlgorithm::from_algorithm_identifier(&ai, None).map_err(SigFailure::Algorithm)?;
    // The algorithm identifier is outside the signed bytes: accept only the parameters
    // the algorithm defines (RSA PKCS#1 v1.5: NULL or absent, RFC 4055 §5; ECDSA: absent,
    // NULL tolerated, RFC 5758 §3.2).
    let null_or_absent = match &ai.parameters {
        None => true,
        Some(p) => der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty(),
    };
    if matches!(
        alg,
        SignatureAlgorithm::RsaPkcs1(_) | SignatureAlgorithm::Ecdsa(_)
    ) && !null_or_absent
    {
        return Err(SigFailure::Algorithm(AlgError::Malformed(
            "unexpected signature algorithm parameters".into(),
        )));
    }
    default_backend()
        .verify(spki_der, alg, signed, signature)
        .map_err(SigFailure::Crypto)?;
    Ok(alg)
}

/// Whether `cert`'s signature verifies with `issuer`'s key.
pub(crate) fn cert_signed_by(cert: &CertRef<'_>, issuer: &CertRef<'_>) -> Result<(), SigFailure> {
    use der::Encode;
    // CertRef skips the BIT STRING's unused-bits octet without looking at it: a signature
    // must have none.
    let unused_bits_ok = parse_one(cert.raw)
        .and_then(|t| t.expect(tag::SEQUENCE))
        .and_then(|t| {
            let mut r = t.reader();
            r.read()?;
            r.read()?;
            r.expect(tag::BIT_STRING)
        })
        .is_ok_and(|b| b.value.first() == Some(&0));
    if !unused_bits_ok {
        return Err(SigFailure::Crypto(CryptoError::BadSignature));
    }
    let alg = cert
        .signature_algorithm
        .to_der()
        .map_err(|e| SigFailure::Algorithm(AlgError::Malformed(e.to_string())))?;
    verify_signature(issuer.spki, &alg, cert.tbs, cert.signature).map(|_| ())
}

/// Where `part` (a slice of `base`) lies in `base`.
pub(crate) fn range_of(base: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + part.len()
}

/// The contents of a BIT STRING that must have no unused bits (signatures).
pub(crate) fn signature_bits(t: Tlv<'_>) -> Result<&[u8], String> {
    match t.value.split_first() {
        Some((0, rest)) => Ok(rest),
        Some(_) => Err("signature BIT STRING has unused bits".into()),
        None => Err("empty signature BIT STRING".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_integers() {
        assert_eq!(canonical_int(&[0x00, 0x01, 0x5e]), &[0x01, 0x5e]);
        assert_eq!(canonical_int(&[0x00, 0x80]), &[0x00, 0x80]);
        assert_eq!(canonical_int(&[0xff, 0xff, 0x80]), &[0x80]);
        assert_eq!(canonical_int(&[0xff, 0x7f]), &[0xff, 0x7f]);
        assert_eq!(canonical_int(&[0x00]), &[0x00]);
        assert_eq!(canonical_int(&[]), &[] as &[u8]);
    }

    #[test]
    fn bits() {
        // KU keyCertSign + cRLSign: 03 02 01 06
        assert!(bit_set(&[0x01, 0x06], 5));
        assert!(bit_set(&[0x01, 0x06], 6));
        assert!(!bit_set(&[0x01, 0x06], 0));
        assert!(!bit_set(&[0x01, 0x06], 9));
    }
}
