//! Small DER helpers shared by the RFC 3161 types.

use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::der_span::{Tlv, tag, tlv};

use crate::error::FormatError;

/// Minimal two's-complement INTEGER contents for a non-negative big-endian value.
pub fn uint_contents(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let v = &bytes[skip..];
    match v.first() {
        None => vec![0],
        Some(&b) if b & 0x80 != 0 => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(0);
            out.extend_from_slice(v);
            out
        }
        Some(_) => v.to_vec(),
    }
}

/// INTEGER TLV from contents.
pub fn integer(contents: &[u8]) -> Vec<u8> {
    tlv(tag::INTEGER, &[contents])
}

/// INTEGER TLV for a u64.
pub fn integer_u64(v: u64) -> Vec<u8> {
    integer(&uint_contents(&v.to_be_bytes()))
}

/// Reads a non-negative INTEGER that fits a u64.
pub fn read_u64(t: Tlv<'_>, field: &'static str) -> Result<u64, FormatError> {
    let v = t.value;
    if v.is_empty() || v.len() > 9 || v[0] & 0x80 != 0 || (v.len() == 9 && v[0] != 0) {
        return Err(FormatError::new(field, "integer out of range"));
    }
    Ok(v.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// OID TLV.
pub fn oid(o: Oid) -> Vec<u8> {
    o.to_der().unwrap_or_default()
}

/// Reads an OID.
pub fn read_oid(t: Tlv<'_>, field: &'static str) -> Result<Oid, FormatError> {
    if t.tag != tag::OID {
        return Err(FormatError::new(field, "not an OBJECT IDENTIFIER"));
    }
    kenpo_core::oid::from_content(t.value).map_err(|e| FormatError::new(field, e))
}

/// Reads a BOOLEAN.
pub fn read_bool(t: Tlv<'_>, field: &'static str) -> Result<bool, FormatError> {
    match t.value {
        [0] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(FormatError::new(field, "invalid BOOLEAN")),
    }
}

/// Checks INTEGER contents are minimally encoded and non-empty.
pub fn check_integer(t: Tlv<'_>, field: &'static str) -> Result<(), FormatError> {
    let v = t.value;
    let non_minimal =
        v.len() > 1 && ((v[0] == 0 && v[1] & 0x80 == 0) || (v[0] == 0xff && v[1] & 0x80 != 0));
    if t.tag != tag::INTEGER || v.is_empty() || non_minimal {
        return Err(FormatError::new(field, "invalid INTEGER"));
    }
    Ok(())
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`
pub fn message_imprint(digest: &kenpo_core::alg::Digest) -> Vec<u8> {
    let alg = digest
        .algorithm()
        .algorithm_identifier()
        .to_der()
        .unwrap_or_default();
    tlv(
        tag::SEQUENCE,
        &[&alg, &tlv(tag::OCTET_STRING, &[digest.as_bytes()])],
    )
}
