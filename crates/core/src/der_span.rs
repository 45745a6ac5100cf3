//! A tiny DER TLV reader that hands out spans of the original input, and a writer that
//! assembles new structures around existing spans without touching them.
//!
//! kenpo-sign never hashes or verifies re-encoded bytes: signed attributes, eContent,
//! certificates and earlier unsigned attributes are always the exact bytes that were
//! received. This module is how that rule is kept: parsing yields `&[u8]` slices into the
//! input, and building copies those slices verbatim.
//!
//! Only low tag numbers (< 31) and definite lengths are accepted; every length is checked
//! against the remaining input before anything is allocated, so hostile lengths fail fast.

/// Errors from the span reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// The input ended inside a TLV.
    #[error("truncated DER at offset {0}")]
    Truncated(usize),
    /// A length field is malformed or larger than the input.
    #[error("bad DER length at offset {0}")]
    BadLength(usize),
    /// Indefinite-length (BER) encoding where DER is required.
    #[error("indefinite length (BER) at offset {0}")]
    Indefinite(usize),
    /// A high tag number form, which CMS/RFC 3161 never use.
    #[error("unsupported high tag number at offset {0}")]
    HighTag(usize),
    /// A different tag was expected.
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x} at offset {offset}")]
    UnexpectedTag {
        /// Wanted.
        expected: u8,
        /// Seen.
        found: u8,
        /// Where.
        offset: usize,
    },
    /// Bytes left over after the outermost TLV.
    #[error("{0} trailing bytes after DER value")]
    TrailingData(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// Maximum nesting depth a caller walking nested TLVs accepts ([`SpanError::TooDeep`] beyond).
pub const MAX_DEPTH: usize = 64;

/// DER tag bytes used in CMS and RFC 3161.
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// UTCTime.
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const SET: u8 = 0x31;
    /// `[n]` constructed context-specific tag.
    pub const fn context(n: u8) -> u8 {
        0xa0 | n
    }
    /// `[n]` primitive context-specific tag.
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | n
    }
}

/// One TLV: its tag, its value, and its whole encoding, all spans of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// Tag, length and contents: the exact original encoding.
    pub raw: &'a [u8],
    /// Offset of `raw` within the reader's original input.
    pub offset: usize,
}

impl<'a> Tlv<'a> {
    /// A reader over this TLV's contents (for constructed values).
    pub fn reader(&self) -> Reader<'a> {
        Reader {
            input: self.value,
            pos: 0,
            base: self.offset + (self.raw.len() - self.value.len()),
        }
    }

    /// Errors unless the tag is `expected`.
    pub fn expect(self, expected: u8) -> Result<Self, SpanError> {
        if self.tag == expected {
            Ok(self)
        } else {
            Err(SpanError::UnexpectedTag {
                expected,
                found: self.tag,
                offset: self.offset,
            })
        }
    }
}

/// A forward reader over a DER byte string.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// Reads from the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            base: 0,
        }
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// The tag of the next TLV, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Reads the next TLV.
    pub fn read(&mut self) -> Result<Tlv<'a>, SpanError> {
        let start = self.pos;
        let at = self.base + start;
        let tag = *self.input.get(start).ok_or(SpanError::Truncated(at))?;
        if tag & 0x1f == 0x1f {
            return Err(SpanError::HighTag(at));
        }
        let first = *self.input.get(start + 1).ok_or(SpanError::Truncated(at))?;
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else if first == 0x80 {
            return Err(SpanError::Indefinite(at));
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(SpanError::BadLength(at));
            }
            let bytes = self
                .input
                .get(start + 2..start + 2 + n)
                .ok_or(SpanError::Truncated(at))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let end = start
            .checked_add(hdr)
            .and_then(|v| v.checked_add(len))
            .ok_or(SpanError::BadLength(at))?;
        if end > self.input.len() {
            return Err(SpanError::BadLength(at));
        }
        self.pos = end;
        Ok(Tlv {
            tag,
            value: &self.input[start + hdr..end],
            raw: &self.input[start..end],
            offset: at,
        })
    }

    /// Reads the next TLV and checks its tag.
    pub fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, SpanError> {
        self.read()?.expect(tag)
    }

    /// Reads the next TLV only if it has `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, SpanError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// How many TLVs are left, read without moving this reader: the error [`Reader::all`]
    /// would give, else the count (to size what they are parsed into).
    pub fn count(&self) -> Result<usize, SpanError> {
        let mut r = self.clone();
        let mut n = 0;
        while !r.is_empty() {
            r.read()?;
            n += 1;
        }
        Ok(n)
    }

    /// Reads every remaining TLV.
    pub fn all(&mut self) -> Result<Vec<Tlv<'a>>, SpanError> {
        let mut v = Vec::new();
        while !self.is_empty() {
            v.push(self.read()?);
        }
        Ok(v)
    }

    /// Errors if anything is left.
    pub fn finish(&self) -> Result<(), SpanError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(SpanError::TrailingData(self.input.len() - self.pos))
        }
    }
}

/// Parses `input` as exactly one TLV.
pub fn parse_one(input: &[u8]) -> Result<Tlv<'_>, SpanError> {
    let mut r = Reader::new(input);
    let t = r.read()?;
    r.finish()?;
    Ok(t)
}

/// Encodes a DER length.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Writes a TLV whose contents are the concatenation of `parts` (copied verbatim).
pub fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    encode_len(len, &mut out);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Writes a DER SET OF from element encodings, sorted as DER requires (X.690 §11.6).
pub fn set_of(mut elements: Vec<&[u8]>) -> Vec<u8> {
    elements.sort();
    tlv(tag::SET, &elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_spans() {
        // SEQUENCE { INTEGER 5, OCTET STRING 'ab' }
        let input = [0x30, 0x07, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b'];
        let seq = parse_one(&input).and_then(|t| t.expect(tag::SEQUENCE));
        let seq = seq.unwrap_or_else(|e| panic!("{e}"));
        let mut r = seq.reader();
        let i = r.expect(tag::INTEGER).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(i.value, &[5]);
        let o = r
            .expect(tag::OCTET_STRING)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.value, b"ab");
        assert_eq!(o.offset, 5);
        assert!(r.finish().is_ok());
    }

    #[test]
    fn count_says_what_all_says_without_reading() {
        let ok = [0x02, 0x01, 0x05, 0x30, 0x00, 0x04, 0x02, 0xaa, 0xbb];
        let bad = [0x02, 0x01, 0x05, 0x30, 0x05, 0x00];
        for input in [&ok[..], &bad, &[]] {
            let r = Reader::new(input);
            let counted = r.count();
            assert_eq!(r.clone().all().map(|v| v.len()), counted, "{input:02x?}");
            assert_eq!(
                r.peek_tag(),
                input.first().copied(),
                "the reader has not moved"
            );
        }
    }

    #[test]
    fn rejects_hostile_lengths() {
        assert_eq!(
            parse_one(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(SpanError::BadLength(0))
        );
        assert_eq!(
            parse_one(&[0x30, 0x80, 0, 0]),
            Err(SpanError::Indefinite(0))
        );
        assert_eq!(parse_one(&[0x30]), Err(SpanError::Truncated(0)));
        assert_eq!(parse_one(&[0x1f, 0x01, 0x00]), Err(SpanError::HighTag(0)));
        assert_eq!(
            parse_one(&[0x05, 0x00, 0x00]),
            Err(SpanError::TrailingData(1))
        );
    }

    #[test]
    fn writer_round_trips_long_lengths() {
        let body = vec![7u8; 300];
        let enc = tlv(tag::OCTET_STRING, &[&body]);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let t = parse_one(&enc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.value, &body[..]);
        let set = set_of(vec![&[0x02, 0x01, 0x09][..], &[0x02, 0x01, 0x01][..]]);
        assert_eq!(set, vec![0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x09]);
    }
}
