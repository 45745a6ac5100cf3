//! The encapContentInfo of a BER SignedData as received.
//!
//! An ATSv2 imprint covers encapContentInfo and the certificates and crls fields "as
//! encoded". When the SignedData arrived in BER (indefinite lengths, OCTET STRING
//! segments), EU DSS hashes those BER encodings, not the DER form that
//! [`kenpo_core::ber::to_der`] produces; [`received_parts`] finds the received spans so
//! both can be tried.

use super::v2::V2Parts;

/// Deepest nesting followed when skipping indefinite-length values.
const MAX_DEPTH: usize = 64;

/// Header of the TLV at `pos`: (header length, contents length or `None` if indefinite).
fn header(input: &[u8], pos: usize) -> Option<(usize, Option<usize>)> {
    let tag = *input.get(pos)?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *input.get(pos.checked_add(1)?)?;
    match first {
        0x80 if tag & 0x20 != 0 => Some((2, None)),
        0x80 => None,
        f if f < 0x80 => Some((2, Some(usize::from(f)))),
        f => {
            let n = usize::from(f & 0x7f);
            if n > 4 {
                return None;
            }
            let bytes = input.get(pos.checked_add(2)?..pos.checked_add(2 + n)?)?;
            let len = bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
            Some((2 + n, Some(len)))
        }
    }
}

/// End offset of the TLV at `pos` (after its end-of-contents octets when indefinite).
fn end_of(input: &[u8], pos: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (hdr, len) = header(input, pos)?;
    let mut p = pos.checked_add(hdr)?;
    match len {
        Some(len) => {
            let end = p.checked_add(len)?;
            (end <= input.len()).then_some(end)
        }
        None => loop {
            if input.get(p..p.checked_add(2)?)? == [0, 0] {
                return p.checked_add(2);
            }
            p = end_of(input, p, depth + 1)?;
        },
    }
}

/// The encapContentInfo, certificates and crls fields of a (BER or DER) ContentInfo
/// carrying SignedData, exactly as received; `None` when the structure cannot be followed.
pub fn received_parts(input: &[u8]) -> Option<V2Parts<'_>> {
    // ContentInfo SEQUENCE → contentType → [0] → SignedData SEQUENCE → version →
    // digestAlgorithms → encapContentInfo → [0] certificates? → [1] crls? → signerInfos.
    let (hdr, _) = header(input, 0)?;
    let mut p = end_of(input, hdr, 1)?;
    for _ in 0..2 {
        let (hdr, _) = header(input, p)?;
        p = p.checked_add(hdr)?;
    }
    p = end_of(input, p, 3)?;
    p = end_of(input, p, 3)?;
    let end = end_of(input, p, 3)?;
    let encap_content_info = input.get(p..end)?;
    p = end;
    let mut optional = |tag: u8| -> Option<Option<&[u8]>> {
        if input.get(p) != Some(&tag) {
            return Some(None);
        }
        let end = end_of(input, p, 3)?;
        let span = input.get(p..end)?;
        p = end;
        Some(Some(span))
    };
    let certificates = optional(0xa0)?;
    let crls = optional(0xa1)?;
    Some(V2Parts {
        encap_content_info,
        certificates,
        crls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_received_spans() {
        // ContentInfo(indef){ OID 1.2, [0](indef){ SEQ(indef){ INT 1, SET{},
        //   SEQ(indef){ OID 1.2, [0](indef){ 24 80 04 01 'a' 00 00 } } } } }
        let encap: &[u8] = &[
            0x30, 0x80, 0x06, 0x01, 0x2a, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x01, b'a', 0, 0, 0, 0, 0,
            0,
        ];
        let mut ci = vec![0x30, 0x80, 0x06, 0x01, 0x2a, 0xa0, 0x80, 0x30, 0x80];
        ci.extend_from_slice(&[0x02, 0x01, 0x01, 0x31, 0x00]);
        ci.extend_from_slice(encap);
        ci.extend_from_slice(&[0x31, 0x00, 0, 0, 0, 0, 0, 0]);
        let parts = received_parts(&ci).map(|p| (p.encap_content_info, p.certificates));
        assert_eq!(parts, Some((encap, None)));
        for n in 0..ci.len() {
            let _ = received_parts(&ci[..n]);
        }
        let der = [
            0x30, 0x13, 0x06, 0x01, 0x2a, 0xa0, 0x0e, 0x30, 0x0c, 0x02, 0x01, 0x01, 0x31, 0x00,
            0x30, 0x03, 0x06, 0x01, 0x2a, 0x31, 0x00,
        ];
        assert!(kenpo_core::der_span::parse_one(&der).is_ok());
        let parts = received_parts(&der).map(|p| p.encap_content_info);
        assert_eq!(parts, Some(&[0x30, 0x03, 0x06, 0x01, 0x2a][..]));
    }
}
