//! BER → DER normalisation of the two BER features CMS senders actually use.
//!
//! RFC 5652 allows a `SignedData` to be BER-encoded (indefinite lengths, constructed
//! `OCTET STRING`s carrying the eContent in chunks), while signed attributes are verified
//! over their DER encoding (§5.4) and the message digest covers the eContent *octets*
//! (§5.3). [`to_der`] rewrites exactly these features so that the span reader
//! ([`crate::der_span`]) and the CMS view can work on the result:
//!
//! * indefinite lengths become definite;
//! * constructed `OCTET STRING`s, `BIT STRING`s and character strings become primitive,
//!   their segments concatenated;
//! * everything else is kept as received: SET elements are **not** reordered (a signer
//!   signed the order it wrote), and any subtree that needs no change is copied verbatim
//!   (including its length octets).
//!
//! When nothing needs a change the input is returned as is ([`Cow::Borrowed`]).
//!
//! The conversion is linear in the input, bounded in depth ([`MAX_DEPTH`]) and size
//! ([`MAX_INPUT`]), and fails with a [`BerError`] on hostile input instead of panicking.

use std::borrow::Cow;
use std::ops::Range;

/// Maximum nesting depth accepted.
pub const MAX_DEPTH: usize = 64;

/// Maximum input size accepted (bytes).
pub const MAX_INPUT: usize = 1 << 30;

/// Errors from [`to_der`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    /// The input ended inside a TLV or before an end-of-contents marker.
    #[error("truncated BER at offset {0}")]
    Truncated(usize),
    /// A length field is malformed or larger than the enclosing value.
    #[error("bad BER length at offset {0}")]
    BadLength(usize),
    /// A primitive value with an indefinite length.
    #[error("indefinite length on a primitive value at offset {0}")]
    IndefinitePrimitive(usize),
    /// A segment of a constructed string has the wrong type or form.
    #[error("bad segment in a constructed string at offset {0}")]
    BadSegment(usize),
    /// A high tag number that does not fit in a few octets.
    #[error("bad tag at offset {0}")]
    BadTag(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The input exceeds [`MAX_INPUT`].
    #[error("input larger than {MAX_INPUT} bytes")]
    TooLarge,
    /// Bytes after the outermost value.
    #[error("{0} trailing bytes after the BER value")]
    TrailingData(usize),
}

#[derive(Debug)]
enum Kind {
    /// Unchanged subtree: copy these input bytes verbatim (tag, length, contents).
    Verbatim(Range<usize>),
    /// Constructed value whose children changed.
    Constructed(Vec<usize>),
    /// A constructed string flattened to a primitive one; `unused` for BIT STRING.
    Flat {
        pieces: Vec<Range<usize>>,
        unused: Option<u8>,
    },
}

#[derive(Debug)]
struct Node {
    /// Identifier octets as received (for Flat, the constructed bit is cleared on output).
    ident: Range<usize>,
    kind: Kind,
    /// Length of the output contents.
    content_len: usize,
}

impl Node {
    fn changed(&self) -> bool {
        !matches!(self.kind, Kind::Verbatim(_))
    }

    fn out_len(&self) -> usize {
        match &self.kind {
            Kind::Verbatim(r) => r.len(),
            _ => self.ident.len() + len_len(self.content_len) + self.content_len,
        }
    }
}

fn len_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + (usize::BITS as usize / 8 - len.leading_zeros() as usize / 8)
    }
}

/// Universal tag numbers whose constructed form is a segmented string.
fn is_string_tag(number: u8) -> bool {
    matches!(number, 3 | 4 | 12 | 18..=22 | 25..=28 | 30)
}

struct Parser<'a> {
    input: &'a [u8],
    nodes: Vec<Node>,
}

struct Header {
    ident: Range<usize>,
    constructed: bool,
    /// The identifier octet (first byte).
    first: u8,
    /// `None` for indefinite.
    len: Option<usize>,
    /// Offset of the contents.
    content: usize,
}

impl<'a> Parser<'a> {
    fn header(&self, pos: usize, limit: usize) -> Result<Header, BerError> {
        let inp = &self.input[..limit];
        let first = *inp.get(pos).ok_or(BerError::Truncated(pos))?;
        let mut p = pos + 1;
        if first & 0x1f == 0x1f {
            // High tag number: base-128, at most 4 octets.
            let mut n = 0;
            loop {
                let b = *inp.get(p).ok_or(BerError::Truncated(pos))?;
                p += 1;
                n += 1;
                if n > 4 {
                    return Err(BerError::BadTag(pos));
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let ident = pos..p;
        let l = *inp.get(p).ok_or(BerError::Truncated(pos))?;
        p += 1;
        let len = if l < 0x80 {
            Some(usize::from(l))
        } else if l == 0x80 {
            None
        } else {
            let n = usize::from(l & 0x7f);
            if n > 4 {
                return Err(BerError::BadLength(pos));
            }
            let bytes = inp.get(p..p + n).ok_or(BerError::Truncated(pos))?;
            p += n;
            Some(
                bytes
                    .iter()
                    .fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
            )
        };
        if let Some(len) = len
            && p.checked_add(len).is_none_or(|end| end > limit)
        {
            return Err(BerError::BadLength(pos));
        }
        Ok(Header {
            ident,
            constructed: first & 0x20 != 0,
            first,
            len,
            content: p,
        })
    }

    fn push(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// Parses one value at `pos` (within `..limit`); returns (node index, end offset).
    fn value(
        &mut self,
        pos: usize,
        limit: usize,
        depth: usize,
    ) -> Result<(usize, usize), BerError> {
        if depth > MAX_DEPTH {
            return Err(BerError::TooDeep);
        }
        let h = self.header(pos, limit)?;
        if !h.constructed {
            let len = h.len.ok_or(BerError::IndefinitePrimitive(pos))?;
            let end = h.content + len;
            let idx = self.push(Node {
                ident: h.ident,
                kind: Kind::Verbatim(pos..end),
                content_len: len,
            });
            return Ok((idx, end));
        }
        // Children, up to the end of the definite contents or the end-of-contents marker.
        let mut children = Vec::new();
        let mut p = h.content;
        let end = loop {
            match h.len {
                Some(len) if p == h.content + len => break p,
                Some(_) => {}
                None => {
                    let eoc = self.input[..limit]
                        .get(p..p + 2)
                        .ok_or(BerError::Truncated(p))?;
                    if eoc == [0, 0] {
                        break p + 2;
                    }
                }
            }
            let child_limit = h.len.map_or(limit, |len| h.content + len);
            let (c, next) = self.value(p, child_limit, depth + 1)?;
            children.push(c);
            p = next;
        };
        let number = h.first & 0x1f;
        let universal = h.first & 0xc0 == 0;
        if universal && is_string_tag(number) {
            return self.flatten(h, children, pos, end);
        }
        let changed = h.len.is_none() || children.iter().any(|&c| self.nodes[c].changed());
        let kind = if changed {
            Kind::Constructed(children)
        } else {
            // Unchanged: drop the children (they are copied with the parent).
            self.nodes
                .truncate(self.nodes.len() - children.len().min(self.nodes.len()));
            Kind::Verbatim(pos..end)
        };
        let content_len = match &kind {
            Kind::Constructed(ch) => ch.iter().map(|&c| self.nodes[c].out_len()).sum(),
            _ => end - h.content,
        };
        let idx = self.push(Node {
            ident: h.ident,
            kind,
            content_len,
        });
        Ok((idx, end))
    }

    fn flatten(
        &mut self,
        h: Header,
        children: Vec<usize>,
        pos: usize,
        end: usize,
    ) -> Result<(usize, usize), BerError> {
        // Segments stay in `nodes` (unreferenced) so that indices remain valid.
        let primitive_tag = h.first & !0x20;
        let bits = primitive_tag == 0x03;
        let mut pieces = Vec::new();
        let mut unused = bits.then_some(0u8);
        let count = children.len();
        for (i, &c) in children.iter().enumerate() {
            let node = &mut self.nodes[c];
            let tag_ok =
                node.ident.len() == 1 && self.input[node.ident.start] & !0x20 == primitive_tag;
            if !tag_ok {
                return Err(BerError::BadSegment(pos));
            }
            let last = i + 1 == count;
            match &mut node.kind {
                Kind::Verbatim(r) => {
                    if self.input[node.ident.start] & 0x20 != 0 {
                        // A definite constructed segment that needed no change: impossible
                        // (strings are always flattened), but refuse rather than guess.
                        return Err(BerError::BadSegment(r.start));
                    }
                    let contents = r.end - node.content_len..r.end;
                    if bits {
                        let (&u, _) = self.input[contents.clone()]
                            .split_first()
                            .ok_or(BerError::BadSegment(r.start))?;
                        if u > 7 || (u != 0 && !last) {
                            return Err(BerError::BadSegment(r.start));
                        }
                        unused = Some(u);
                        pieces.push(contents.start + 1..contents.end);
                    } else {
                        pieces.push(contents);
                    }
                }
                Kind::Flat {
                    pieces: inner,
                    unused: u,
                } => {
                    if u.is_some_and(|u| u != 0 && !last) {
                        return Err(BerError::BadSegment(pos));
                    }
                    if bits {
                        unused = *u;
                    }
                    pieces.append(inner);
                }
                Kind::Constructed(_) => return Err(BerError::BadSegment(pos)),
            }
        }
        let content_len = pieces.iter().map(Range::len).sum::<usize>() + usize::from(bits);
        let idx = self.push(Node {
            ident: h.ident,
            kind: Kind::Flat { pieces, unused },
            content_len,
        });
        Ok((idx, end))
    }

    fn write(&self, idx: usize, out: &mut Vec<u8>) {
        let Some(node) = self.nodes.get(idx) else {
            return;
        };
        match &node.kind {
            Kind::Verbatim(r) => out.extend_from_slice(&self.input[r.clone()]),
            Kind::Constructed(children) => {
                out.extend_from_slice(&self.input[node.ident.clone()]);
                crate::der_span::encode_len(node.content_len, out);
                for &c in children {
                    self.write(c, out);
                }
            }
            Kind::Flat { pieces, unused } => {
                out.push(self.input[node.ident.start] & !0x20);
                crate::der_span::encode_len(node.content_len, out);
                if let Some(u) = unused {
                    out.push(*u);
                }
                for p in pieces {
                    out.extend_from_slice(&self.input[p.clone()]);
                }
            }
        }
    }
}

/// Whether `input` (a sequence of TLVs) has only definite lengths and no constructed
/// universal strings, at any depth up to [`MAX_DEPTH`]: then [`to_der`] changes nothing.
///
/// The headers are walked in place with a stack of value ends (no recursion, no spans
/// built): this runs on every signature verified, over every TLV of the `SignedData`.
/// Accepts exactly what [`crate::der_span::Reader`] reads: low tag numbers, definite
/// lengths of at most four octets, each value inside its parent.
fn plain(input: &[u8]) -> bool {
    // Ends of the enclosing values, outermost first; `limit` is the innermost one.
    let mut outer = [0usize; MAX_DEPTH];
    let mut depth = 0;
    let mut limit = input.len();
    let mut pos = 0;
    loop {
        if pos == limit {
            if depth == 0 {
                return true;
            }
            depth -= 1;
            limit = outer[depth];
            continue;
        }
        // pos < limit <= input.len(): two header octets must fit before `limit`.
        let (Some(&tag), Some(&first)) = (input.get(pos), input.get(pos + 1)) else {
            return false;
        };
        if pos + 1 >= limit || tag & 0x1f == 0x1f {
            return false;
        }
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            // 0x80 is the indefinite form; more than four length octets is refused.
            let Some(bytes) = input
                .get(pos + 2..pos + 2 + n)
                .filter(|_| n != 0 && n <= 4 && pos + 2 + n <= limit)
            else {
                return false;
            };
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let end = pos + hdr + len;
        if end > limit {
            return false;
        }
        if tag & 0x20 == 0 {
            pos = end;
            continue;
        }
        if (tag & 0xc0 == 0 && is_string_tag(tag & 0x1f)) || depth == MAX_DEPTH {
            return false;
        }
        outer[depth] = limit;
        depth += 1;
        limit = end;
        pos += hdr;
    }
}

/// Converts one BER value to DER as far as CMS needs it (see the module docs).
///
/// Returns the input unchanged when it has no indefinite lengths and no constructed
/// strings; errors on malformed input, nesting deeper than [`MAX_DEPTH`], input larger
/// than [`MAX_INPUT`], or bytes after the value.
pub fn to_der(input: &[u8]) -> Result<Cow<'_, [u8]>, BerError> {
    if input.len() > MAX_INPUT {
        return Err(BerError::TooLarge);
    }
    // Fast path (most input is DER): no allocation when every length is definite and no
    // universal string is constructed.
    if crate::der_span::parse_one(input).is_ok() && plain(input) {
        return Ok(Cow::Borrowed(input));
    }
    let mut p = Parser {
        input,
        nodes: Vec::new(),
    };
    let (root, end) = p.value(0, input.len(), 0)?;
    if end != input.len() {
        return Err(BerError::TrailingData(input.len() - end));
    }
    let Some(node) = p.nodes.get(root) else {
        return Err(BerError::Truncated(0));
    };
    if !node.changed() {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(node.out_len());
    p.write(root, &mut out);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// The recursive definition `plain` implements: every TLV read by the span reader, and
    /// every constructed one (not a universal string) plain in turn.
    fn plain_by_reader(input: &[u8], depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let mut r = crate::der_span::Reader::new(input);
        while !r.is_empty() {
            let Ok(t) = r.read() else {
                return false;
            };
            if t.tag & 0x20 != 0
                && ((t.tag & 0xc0 == 0 && is_string_tag(t.tag & 0x1f))
                    || !plain_by_reader(t.value, depth + 1))
            {
                return false;
            }
        }
        true
    }

    #[test]
    fn the_header_walk_agrees_with_the_span_reader() {
        // A DER structure with long lengths, context tags, a SET, and nesting.
        let mut big = vec![0x04, 0x82, 0x01, 0x00];
        big.extend(std::iter::repeat_n(0x30u8, 0x100));
        let mut inner = vec![0xa0, 0x08, 0x31, 0x06, 0x02, 0x01, 0x01, 0x0c, 0x01, b'x'];
        inner.extend_from_slice(&big);
        let mut der = vec![0x30, 0x82];
        der.extend_from_slice(&u16::try_from(inner.len()).unwrap().to_be_bytes());
        der.extend_from_slice(&inner);
        assert!(plain(&der));
        let mut cases = 0;
        for i in 0..der.len().min(40) {
            for v in [
                0x00, 0x01, 0x04, 0x1f, 0x20, 0x24, 0x2c, 0x30, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85,
                0xa0, 0xff,
            ] {
                let mut m = der.clone();
                m[i] = v;
                for n in [m.len(), m.len() - 1, i + 1, i + 2] {
                    let m = &m[..n.min(m.len())];
                    assert_eq!(
                        plain(m),
                        plain_by_reader(m, 0),
                        "byte {i} = {v:#x}, {n} octets"
                    );
                    cases += 1;
                }
            }
        }
        assert!(cases > 2000);
        // Depth: 64 nested constructed values are walked; 65 are refused, as by the reader.
        for (levels, ok) in [(64, true), (65, false)] {
            let mut nested = vec![0x05, 0x00];
            for _ in 0..levels {
                let len = u8::try_from(nested.len()).unwrap();
                let mut outer = if len < 0x80 {
                    vec![0x30, len]
                } else {
                    vec![0x30, 0x81, len]
                };
                outer.extend_from_slice(&nested);
                nested = outer;
            }
            assert_eq!(plain(&nested), ok, "{levels} levels");
            assert_eq!(plain_by_reader(&nested, 0), ok, "{levels} levels");
        }
    }

    #[test]
    fn der_is_borrowed() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert!(matches!(to_der(&der).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn nested_indefinite_and_constructed_octets() {
        // SEQUENCE(indef) { INTEGER 5, [0](indef) { OCTET STRING(constructed, indef)
        //   { 04 02 'ab', 24(def) { 04 01 'c' } } }, SET { 02 01 02, 02 01 01 } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24,
            0x03, 0x04, 0x01, b'c', 0x00, 0x00, 0x00, 0x00, 0x31, 0x06, 0x02, 0x01, 0x02, 0x02,
            0x01, 0x01, 0x00, 0x00,
        ];
        let der = to_der(&ber).unwrap();
        let expected = [
            0x30, 0x12, 0x02, 0x01, 0x05, 0xa0, 0x05, 0x04, 0x03, b'a', b'b', b'c', 0x31, 0x06,
            0x02, 0x01, 0x02, 0x02, 0x01, 0x01,
        ];
        assert_eq!(&*der, &expected);
        // The result reads with the DER span reader.
        crate::der_span::parse_one(&der).unwrap();
    }

    #[test]
    fn constructed_bit_string() {
        let ber = [
            0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xb0, 0x00, 0x00,
        ];
        assert_eq!(&*to_der(&ber).unwrap(), &[0x03, 0x03, 0x04, 0xaa, 0xb0]);
        // Unused bits in a non-final segment are invalid.
        let bad = [
            0x23, 0x80, 0x03, 0x02, 0x04, 0xa0, 0x03, 0x02, 0x00, 0xb0, 0x00, 0x00,
        ];
        assert!(to_der(&bad).is_err());
    }

    #[test]
    fn long_content_gets_long_length() {
        let mut ber = vec![0x24, 0x80];
        for _ in 0..3 {
            ber.extend_from_slice(&[0x04, 0x81, 0x80]);
            ber.extend(std::iter::repeat_n(7u8, 0x80));
        }
        ber.extend_from_slice(&[0, 0]);
        let der = to_der(&ber).unwrap();
        assert_eq!(&der[..4], &[0x04, 0x82, 0x01, 0x80]);
        assert_eq!(der.len(), 4 + 384);
    }

    #[test]
    fn hostile_inputs_fail() {
        assert!(to_der(&[]).is_err());
        assert!(to_der(&[0x04, 0x80, 0x00, 0x00]).is_err()); // primitive indefinite
        assert!(to_der(&[0x30, 0x80, 0x02, 0x01, 0x01]).is_err()); // no EOC
        assert!(to_der(&[0x30, 0x00, 0x00]).is_err()); // trailing
        assert!(to_der(&[0x24, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]).is_err()); // bad segment
        let mut deep = Vec::new();
        for _ in 0..200 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..200 {
            deep.extend_from_slice(&[0x00, 0x00]);
        }
        assert_eq!(to_der(&deep), Err(BerError::TooDeep));
    }

    #[test]
    fn truncation_and_mutation_never_panic() {
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24,
            0x03, 0x04, 0x01, b'c', 0x00, 0x00, 0x00, 0x00, 0x31, 0x06, 0x02, 0x01, 0x02, 0x02,
            0x01, 0x01, 0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x00, 0x00, 0x00, 0x00,
        ];
        to_der(&ber).unwrap();
        for n in 0..ber.len() {
            assert!(to_der(&ber[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..ber.len() {
            for v in [
                0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff, 0x1f, 0x20, 0x24,
            ] {
                let mut m = ber.to_vec();
                m[i] = v;
                if let Ok(d) = to_der(&m) {
                    // Whatever converts is definite-length throughout.
                    assert!(to_der(&d).is_ok());
                }
            }
        }
    }
}
