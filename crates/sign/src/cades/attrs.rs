//! CAdES attributes (ETSI EN 319 122-1 §5.2, §5.3): encodings of each attribute.

use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{CmsError, attribute};
use kenpo_core::der_span::{parse_one, tag, tlv};
use kenpo_core::ess::SigningCertificateV2;
use kenpo_core::oid;
use time::OffsetDateTime;

fn build_err(e: impl std::fmt::Display) -> CmsError {
    CmsError::Build(e.to_string())
}

fn oid_der(o: Oid) -> Result<Vec<u8>, CmsError> {
    o.to_der().map_err(build_err)
}

/// content-type (RFC 5652 §11.1) = `ct`.
pub fn content_type(ct: Oid) -> Result<Vec<u8>, CmsError> {
    attribute(oid::ATTR_CONTENT_TYPE, &[&oid_der(ct)?])
}

/// message-digest (RFC 5652 §11.2): the digest of the eContent octets.
pub fn message_digest(digest: &Digest) -> Result<Vec<u8>, CmsError> {
    attribute(
        oid::ATTR_MESSAGE_DIGEST,
        &[&tlv(tag::OCTET_STRING, &[digest.as_bytes()])],
    )
}

/// The RFC 5280 `Time` encoding of `t` (whole seconds, UTC): UTCTime for 1950–2049,
/// GeneralizedTime otherwise (RFC 5652 §11.3).
pub use kenpo_core::timefmt::encode_x509_time as time_value;

/// signing-time (RFC 5652 §11.3).
pub fn signing_time(t: OffsetDateTime) -> Result<Vec<u8>, CmsError> {
    attribute(oid::ATTR_SIGNING_TIME, &[&time_value(t)])
}

/// signing-certificate-v2 (RFC 5035) with one ESSCertIDv2 (SHA-256, issuerSerial).
pub fn signing_certificate_v2(cert: &CertRef<'_>) -> Result<Vec<u8>, CmsError> {
    let value = SigningCertificateV2::for_cert(cert, DigestAlgorithm::Sha256)
        .and_then(|s| s.to_der_bytes())
        .map_err(build_err)?;
    attribute(oid::ATTR_SIGNING_CERTIFICATE_V2, &[&value])
}

/// A time-stamp attribute (`id-aa-signatureTimeStampToken` or
/// `id-aa-ets-contentTimestamp`): the value is the token ContentInfo exactly as received.
pub fn time_stamp_token(attr: Oid, token_der: &[u8]) -> Result<Vec<u8>, CmsError> {
    // The value is inserted verbatim; check it is one well-formed TLV so that the
    // surrounding lengths stay right.
    parse_one(token_der)?.expect(tag::SEQUENCE)?;
    attribute(attr, &[token_der])
}

/// Adds `unsigned_attrs` to an encoded SignerInfo without touching anything else: the
/// existing fields are copied verbatim (they are signed or hashed elsewhere).
///
/// An existing `[1]` unsignedAttrs field is extended; the new attributes are appended
/// after the existing ones (a SET OF, but order-preserving keeps earlier attributes
/// byte-identical, which archive time-stamps rely on). Delegates to
/// [`kenpo_core::cms::augment::add_unsigned_attrs`], which also checks that `signer_info`
/// is a well-formed SignerInfo and each attribute one `Attribute` TLV.
pub fn add_unsigned_attrs(
    signer_info: &[u8],
    unsigned_attrs: &[&[u8]],
) -> Result<Vec<u8>, CmsError> {
    kenpo_core::cms::augment::add_unsigned_attrs(signer_info, unsigned_attrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_attrs_are_appended_verbatim() {
        // A minimal SignerInfo: v1, sid, sha256, sha256WithRSA, signature 'ab'.
        let fields: [&[u8]; 5] = [
            &[0x02, 0x01, 0x01],
            &[0x30, 0x05, 0x30, 0x00, 0x02, 0x01, 0x01],
            &[
                0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
            ],
            &[
                0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
                0x00,
            ],
            &[0x04, 0x02, b'a', b'b'],
        ];
        let si = tlv(tag::SEQUENCE, &fields);
        assert_eq!(si.len(), 44);
        let a1 = [0x30, 0x07, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x31, 0x00];
        let once = add_unsigned_attrs(&si, &[&a1]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&once[..2], &[0x30, 0x35]);
        assert_eq!(&once[2..44], &si[2..]);
        assert_eq!(&once[44..46], &[0xa1, 0x09]);
        assert_eq!(&once[46..], &a1);
        let a2 = [0x30, 0x07, 0x06, 0x03, 0x2a, 0x03, 0x05, 0x31, 0x00];
        let twice = add_unsigned_attrs(&once, &[&a2]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&twice[2..44], &si[2..]);
        assert_eq!(&twice[44..46], &[0xa1, 0x12]);
        assert_eq!(&twice[46..55], &a1);
        assert_eq!(&twice[55..], &a2);
        // Not a SignerInfo, or not an Attribute: refused.
        assert!(add_unsigned_attrs(fields[4], &[&a1]).is_err());
        assert!(add_unsigned_attrs(&si, &[&[0x30, 0x03, 0x06, 0x01, 0x2a]]).is_err());
    }
}
