//! The `ContentInfo { SignedData }` around a SignerInfo, as a prefix and a suffix so that an
//! attached document of any size can be streamed between them.
//!
//! DER lengths are definite, and every length depends only on the content's *size*:
//!
//! ```text
//! prefix  = ContentInfo hdr ‖ id-signedData ‖ [0] hdr ‖ SignedData hdr ‖ version ‖
//!           digestAlgorithms ‖ encapContentInfo hdr ‖ id-data ‖ ([0] hdr ‖ OCTET STRING hdr)
//! content = the document (attached only)
//! suffix  = [0] certificates ‖ SET { SignerInfo }
//! ```
//!
//! For a detached signature `prefix ‖ suffix` is the whole encoding. The result is
//! byte-identical to [`kenpo_core::cms::signed_data`] (checked by the tests).

use der::Encode;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::CmsError;
use kenpo_core::der_span::{encode_len, set_of, tag, tlv};
use kenpo_core::oid;

/// The encoding before and after the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Framing {
    /// Everything up to the content octets.
    pub prefix: Vec<u8>,
    /// Everything after them.
    pub suffix: Vec<u8>,
}

impl Framing {
    /// Total length with `content_len` content bytes in between.
    pub fn total_len(&self, content_len: u64) -> u64 {
        self.prefix.len() as u64 + content_len + self.suffix.len() as u64
    }
}

fn header(t: u8, len: usize) -> Vec<u8> {
    let mut out = vec![t];
    encode_len(len, &mut out);
    out
}

fn build_err(e: impl std::fmt::Display) -> CmsError {
    CmsError::Build(e.to_string())
}

/// Frames one SignerInfo into a SignedData.
///
/// `content_len` is `Some(n)` for attached content of `n` bytes, `None` for detached.
/// `certificates` are copied verbatim in the given order.
pub(crate) fn framing(
    digest_alg: DigestAlgorithm,
    content_len: Option<usize>,
    certificates: &[&[u8]],
    signer_info: &[u8],
) -> Result<Framing, CmsError> {
    let version = [tag::INTEGER, 0x01, 0x01];
    let alg = digest_alg
        .algorithm_identifier()
        .to_der()
        .map_err(build_err)?;
    let algs = set_of(vec![&alg]);
    let data_oid = oid::ID_DATA.to_der().map_err(build_err)?;
    let sd_oid = oid::ID_SIGNED_DATA.to_der().map_err(build_err)?;

    // encapContentInfo header part (everything of it except the content octets).
    let mut encap_head = Vec::new();
    let encap_len = match content_len {
        Some(n) => {
            let os_hdr = header(tag::OCTET_STRING, n);
            let os_len = os_hdr
                .len()
                .checked_add(n)
                .ok_or_else(|| build_err("length"))?;
            let wrap_hdr = header(tag::context(0), os_len);
            let len = data_oid.len() + wrap_hdr.len() + os_len;
            encap_head.extend_from_slice(&header(tag::SEQUENCE, len));
            encap_head.extend_from_slice(&data_oid);
            encap_head.extend_from_slice(&wrap_hdr);
            encap_head.extend_from_slice(&os_hdr);
            header(tag::SEQUENCE, len).len() + len
        }
        None => {
            encap_head.extend_from_slice(&tlv(tag::SEQUENCE, &[&data_oid]));
            encap_head.len()
        }
    };

    let mut suffix = Vec::new();
    if !certificates.is_empty() {
        suffix.extend_from_slice(&tlv(tag::context(0), certificates));
    }
    suffix.extend_from_slice(&tlv(tag::SET, &[signer_info]));

    let sd_len = [version.len(), algs.len(), encap_len, suffix.len()]
        .iter()
        .try_fold(0usize, |a, &b| a.checked_add(b))
        .ok_or_else(|| build_err("length"))?;
    let sd_hdr = header(tag::SEQUENCE, sd_len);
    let wrap_len = sd_hdr.len() + sd_len;
    let wrap_hdr = header(tag::context(0), wrap_len);
    let ci_len = sd_oid.len() + wrap_hdr.len() + wrap_len;

    let mut prefix = header(tag::SEQUENCE, ci_len);
    prefix.extend_from_slice(&sd_oid);
    prefix.extend_from_slice(&wrap_hdr);
    prefix.extend_from_slice(&sd_hdr);
    prefix.extend_from_slice(&version);
    prefix.extend_from_slice(&algs);
    prefix.extend_from_slice(&encap_head);
    Ok(Framing { prefix, suffix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_equals_core_builder() {
        let si = tlv(tag::SEQUENCE, &[&[0x02, 0x01, 0x01]]);
        let cert_a = tlv(tag::SEQUENCE, &[&[0x05, 0x00]]);
        let cert_b = tlv(tag::SEQUENCE, &[&[0x04; 200]]);
        for size in [0usize, 1, 100, 127, 128, 255, 256, 70_000] {
            let content = vec![0x5a; size];
            for certs in [vec![], vec![cert_a.as_slice(), cert_b.as_slice()]] {
                let f = framing(DigestAlgorithm::Sha256, Some(size), &certs, &si)
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut ours = f.prefix.clone();
                ours.extend_from_slice(&content);
                ours.extend_from_slice(&f.suffix);
                let core = kenpo_core::cms::signed_data(
                    oid::ID_DATA,
                    Some(&content),
                    &[DigestAlgorithm::Sha256],
                    &certs,
                    &[],
                    &[&si],
                )
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(ours, core, "attached, {size} bytes");
                assert_eq!(f.total_len(size as u64), core.len() as u64);

                let d = framing(DigestAlgorithm::Sha384, None, &certs, &si)
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut ours = d.prefix.clone();
                ours.extend_from_slice(&d.suffix);
                let core = kenpo_core::cms::signed_data(
                    oid::ID_DATA,
                    None,
                    &[DigestAlgorithm::Sha384],
                    &certs,
                    &[],
                    &[&si],
                )
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(ours, core, "detached");
            }
        }
    }
}
