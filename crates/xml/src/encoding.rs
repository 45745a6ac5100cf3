//! Single-byte encodings turned into UTF-8 before parsing: ISO-8859-1 (Latin-1) and
//! ISO-8859-2 (Latin-2), which European XAdES samples use. Canonical XML is UTF-8 and
//! carries no XML declaration, so the octets to digest are the same whatever the input
//! encoding (W3C C14N §2.1); the declaration is rewritten to say UTF-8.

use std::borrow::Cow;

use crate::XmlError;

/// ISO-8859-2 0xA0..=0xFF as Unicode scalar values.
const LATIN2_HIGH: [u16; 96] = [
    0x00A0, 0x0104, 0x02D8, 0x0141, 0x00A4, 0x013D, 0x015A, 0x00A7, 0x00A8, 0x0160, 0x015E, 0x0164,
    0x0179, 0x00AD, 0x017D, 0x017B, 0x00B0, 0x0105, 0x02DB, 0x0142, 0x00B4, 0x013E, 0x015B, 0x02C7,
    0x00B8, 0x0161, 0x015F, 0x0165, 0x017A, 0x02DD, 0x017E, 0x017C, 0x0154, 0x00C1, 0x00C2, 0x0102,
    0x00C4, 0x0139, 0x0106, 0x00C7, 0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD, 0x00CE, 0x010E,
    0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7, 0x0158, 0x016E, 0x00DA, 0x0170,
    0x00DC, 0x00DD, 0x0162, 0x00DF, 0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7,
    0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F, 0x0111, 0x0144, 0x0148, 0x00F3,
    0x00F4, 0x0151, 0x00F6, 0x00F7, 0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9,
];

/// The declared encoding of `input` (its XML declaration's `encoding`), if any: the
/// value's byte range in `input`.
fn declared(input: &[u8]) -> Option<(usize, usize)> {
    let body = input.strip_prefix(b"<?xml")?;
    let end = body.windows(2).position(|w| w == b"?>")?;
    let decl = &body[..end];
    let pos = decl.windows(8).position(|w| w == b"encoding")?;
    let mut i = pos + 8;
    while decl
        .get(i)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b'=')
    {
        i += 1;
    }
    let q = *decl.get(i)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let len = decl[i + 1..].iter().position(|b| *b == q)?;
    Some((5 + i + 1, 5 + i + 1 + len))
}

/// `input` as UTF-8: returned as is when it is UTF-8 (or declares nothing else); an
/// ISO-8859-1 or ISO-8859-2 document is converted and its declaration made to say UTF-8.
/// Other declared encodings are left for [`crate::Document::parse`] to refuse by name.
pub fn to_utf8(input: &[u8]) -> Result<Cow<'_, [u8]>, XmlError> {
    let Some((start, end)) = declared(input) else {
        return Ok(Cow::Borrowed(input));
    };
    let name = String::from_utf8_lossy(&input[start..end]).to_ascii_uppercase();
    let latin2 = match name.as_str() {
        "ISO-8859-1" | "ISO_8859-1" | "LATIN1" | "ISO-LATIN-1" => false,
        "ISO-8859-2" | "ISO_8859-2" | "LATIN2" | "ISO-LATIN-2" => true,
        _ => return Ok(Cow::Borrowed(input)),
    };
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    out.push_str(&String::from_utf8_lossy(&input[..start]));
    out.push_str("UTF-8");
    for &b in &input[end..] {
        let c = if latin2 && b >= 0xA0 {
            char::from_u32(u32::from(LATIN2_HIGH[usize::from(b - 0xA0)]))
        } else {
            Some(char::from(b))
        };
        out.push(c.ok_or(XmlError::NotUtf8(0))?);
    }
    Ok(Cow::Owned(out.into_bytes()))
}
