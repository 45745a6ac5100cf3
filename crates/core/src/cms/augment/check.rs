//! Shape checks for the elements an [`Augmentation`] adds, run before anything is built.
//!
//! Existing content is validated by [`SignedDataView`](crate::cms::SignedDataView); these
//! checks make sure each addition is one DER TLV of the right shape, so that the enclosing
//! lengths written around it are right and an obvious mix-up (a `BasicOCSPResponse` where
//! RFC 5940 wants the `OCSPResponse`, a certificate in the CRL list) is refused.

use const_oid::ObjectIdentifier as Oid;
use der::Decode;

use super::{AugmentError, Augmentation, ElementKind};
use crate::cms::CmsError;
use crate::der_span::{SpanError, parse_one, tag};

/// ENUMERATED (OCSPResponse.responseStatus).
const ENUMERATED: u8 = 0x0a;

/// Checks every addition and every SignerInfo index.
pub(super) fn additions(aug: &Augmentation, signer_count: usize) -> Result<(), CmsError> {
    for (index, c) in aug.certificates.iter().enumerate() {
        signed_object(c).map_err(|cause| bad(ElementKind::Certificate, index, cause))?;
    }
    for (index, c) in aug.crls.iter().enumerate() {
        signed_object(c).map_err(|cause| bad(ElementKind::Crl, index, cause))?;
    }
    for (index, r) in aug.ocsp_responses.iter().enumerate() {
        ocsp_response(r).map_err(|cause| bad(ElementKind::OcspResponse, index, cause))?;
    }
    for (signer, attrs) in &aug.unsigned_attrs {
        if *signer >= signer_count {
            return Err(AugmentError::NoSuchSignerInfo {
                index: *signer,
                count: signer_count,
            }
            .into());
        }
        for (index, a) in attrs.iter().enumerate() {
            attribute(a, *signer, index)?;
        }
    }
    Ok(())
}

/// `Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF ANY }`.
pub(super) fn attribute(der: &[u8], signer: usize, index: usize) -> Result<(), CmsError> {
    let kind = ElementKind::UnsignedAttribute { signer };
    let shape = || -> Result<_, SpanError> {
        let a = parse_one(der)?.expect(tag::SEQUENCE)?;
        let mut r = a.reader();
        let attr_type = r.expect(tag::OID)?;
        r.expect(tag::SET)?.reader().all()?;
        r.finish()?;
        Ok(attr_type)
    };
    let attr_type = shape().map_err(|cause| bad(kind, index, cause))?;
    Oid::from_der(attr_type.raw).map_err(|e| AugmentError::BadAttributeType {
        kind,
        index,
        detail: e.to_string(),
    })?;
    Ok(())
}

/// Certificate / CertificateList: `SEQUENCE { SEQUENCE, AlgorithmIdentifier, BIT STRING }`.
fn signed_object(der: &[u8]) -> Result<(), SpanError> {
    let t = parse_one(der)?.expect(tag::SEQUENCE)?;
    let mut r = t.reader();
    r.expect(tag::SEQUENCE)?;
    r.expect(tag::SEQUENCE)?;
    r.expect(tag::BIT_STRING)?;
    r.finish()
}

/// `OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT OPTIONAL }`.
fn ocsp_response(der: &[u8]) -> Result<(), SpanError> {
    let t = parse_one(der)?.expect(tag::SEQUENCE)?;
    let mut r = t.reader();
    r.expect(ENUMERATED)?;
    r.optional(tag::context(0))?;
    r.finish()
}

fn bad(kind: ElementKind, index: usize, cause: SpanError) -> CmsError {
    AugmentError::BadElement { kind, index, cause }.into()
}
