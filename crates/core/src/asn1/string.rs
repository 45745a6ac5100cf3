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
