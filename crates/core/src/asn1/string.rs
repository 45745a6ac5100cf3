//! Character strings of attribute values: the `DirectoryString` choices (RFC 5280
//! §4.1.2.4) and the 7-bit strings names also carry (IA5String, VisibleString,
//! NumericString).

use std::borrow::Cow;

use crate::der_span::Tlv;

/// A string value that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StringError {
    /// The tag is no character string kind read here.
    #[error("unexpected string tag 0x{0:02x}")]
    UnexpectedTag(u8),
    /// The contents do not fit the string kind.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// The text of a character string TLV: UTF8String; PrintableString, IA5String,
/// VisibleString and NumericString (7-bit: non-ASCII octets are an error); TeletexString
/// (read as Latin-1, which is what it holds in practice); BMPString (UTF-16BE) and
/// UniversalString (UTF-32BE).
pub fn directory_string<'a>(t: Tlv<'a>) -> Result<Cow<'a, str>, StringError> {
    let bad = StringError::Invalid;
    match t.tag {
        0x0c => std::str::from_utf8(t.value)
            .map(Cow::Borrowed)
            .map_err(|_| bad("UTF8String")),
        0x13 | 0x16 | 0x1a | 0x12 if t.value.is_ascii() => std::str::from_utf8(t.value)
            .map(Cow::Borrowed)
            .map_err(|_| bad("PrintableString")),
        0x13 | 0x16 | 0x1a | 0x12 => Err(StringError::Invalid("PrintableString")),
        0x14 => Ok(t.value.iter().map(|&b| char::from(b)).collect()),
        0x1e if t.value.len().is_multiple_of(2) => {
            let units = t
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map(Cow::Owned)
                .map_err(|_| bad("BMPString"))
        }
        0x1e => Err(StringError::Invalid("BMPString")),
        0x1c if t.value.len().is_multiple_of(4) => t
            .value
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect::<Option<String>>()
            .map(Cow::Owned)
            .ok_or(StringError::Invalid("UniversalString")),
        0x1c => Err(StringError::Invalid("UniversalString")),
        other => Err(StringError::UnexpectedTag(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tag: u8, value: &[u8]) -> Result<String, StringError> {
        directory_string(Tlv {
            tag,
            value,
            raw: value,
            offset: 0,
        })
        .map(Cow::into_owned)
    }

    #[test]
    fn each_kind() {
        let ok = |tag, v: &[u8], want: &str| assert_eq!(read(tag, v).as_deref(), Ok(want));
        ok(0x0c, "健保".as_bytes(), "健保");
        for tag in [0x13, 0x16, 0x1a, 0x12] {
            ok(tag, b"Kenpo CA 1", "Kenpo CA 1");
        }
        ok(0x14, b"caf\xe9", "café");
        ok(0x1e, &[0x50, 0x65, 0x4f, 0xdd], "健保");
        ok(0x1e, &[0xd8, 0x3d, 0xde, 0x00], "😀");
        ok(0x1c, &[0, 0, 0x50, 0x65, 0, 0x01, 0xf6, 0x00], "健😀");
        ok(0x0c, b"", "");
    }

    #[test]
    fn malformed_values_are_errors() {
        let err = |tag, v: &[u8]| assert!(read(tag, v).is_err(), "{tag:#x} {v:?}");
        err(0x0c, b"\xff");
        // 7-bit strings must be ASCII, even when the octets are valid UTF-8.
        for tag in [0x13, 0x16, 0x1a, 0x12] {
            err(tag, "é".as_bytes());
        }
        err(0x1e, &[0x50]); // odd length
        err(0x1e, &[0xd8, 0x3d]); // lone surrogate
        err(0x1c, &[0, 0, 0x50]); // not a multiple of 4
        err(0x1c, &[0, 0x11, 0, 0]); // beyond U+10FFFF
        assert_eq!(read(0x04, b"x"), Err(StringError::UnexpectedTag(0x04)));
    }
}
