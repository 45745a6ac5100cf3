//! The object parser: PDF tokens over a window of the file.
//!
//! A window is a slice of the file starting at absolute offset `base`. Running out of the
//! window is [`Parsed::NeedMore`] so that a reader over `Read + Seek` can read a larger
//! window and try again; everything else is a typed error.

use crate::error::PdfError;
use crate::object::{Dict, ObjRef, Object, PdfString};

/// Running out of the window, or a real error.
#[derive(Debug)]
pub(crate) enum LexError {
    /// The window ended inside a token or object.
    NeedMore,
    /// A syntax or depth error.
    Fail(PdfError),
}

impl From<PdfError> for LexError {
    fn from(e: PdfError) -> Self {
        LexError::Fail(e)
    }
}

pub(crate) type LResult<T> = Result<T, LexError>;

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A cursor over one window.
pub(crate) struct Lexer<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) base: u64,
    /// The window ends at the end of the file (so running out is an error, not NeedMore).
    pub(crate) at_eof: bool,
    pub(crate) max_depth: usize,
    /// The window is part of the file (spans of strings are file offsets), not of a
    /// decoded object stream.
    pub(crate) in_file: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64, at_eof: bool, max_depth: usize) -> Self {
        Lexer {
            buf,
            pos: 0,
            base,
            at_eof,
            max_depth,
            in_file: true,
        }
    }

    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn need(&self) -> LexError {
        if self.at_eof {
            LexError::Fail(PdfError::syntax(self.offset(), "unexpected end of file"))
        } else {
            LexError::NeedMore
        }
    }

    fn fail(&self, what: &'static str) -> LexError {
        LexError::Fail(PdfError::syntax(self.offset(), what))
    }

    /// Skips whitespace and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(&c) = self.buf.get(self.pos) {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Reads a run of regular characters (a keyword or number) after skipping whitespace.
    pub(crate) fn word(&mut self) -> LResult<&'a [u8]> {
        self.skip_ws();
        let start = self.pos;
        while let Some(&b) = self.buf.get(self.pos) {
            if is_ws(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == self.buf.len() && !self.at_eof {
            return Err(LexError::NeedMore);
        }
        Ok(&self.buf[start..self.pos])
    }

    /// Expects the keyword `kw`.
    pub(crate) fn keyword(&mut self, kw: &[u8], what: &'static str) -> LResult<()> {
        let save = self.pos;
        let w = self.word()?;
        if w == kw {
            Ok(())
        } else {
            self.pos = save;
            Err(self.fail(what))
        }
    }

    /// Reads an unsigned integer word.
    pub(crate) fn uint(&mut self, what: &'static str) -> LResult<u64> {
        let w = self.word()?;
        parse_uint(w).ok_or_else(|| self.fail(what))
    }

    /// Reads one object (an `n g R` reference is recognised by look-ahead).
    pub(crate) fn object(&mut self, depth: usize) -> LResult<Object> {
        if depth > self.max_depth {
            return Err(LexError::Fail(PdfError::Budget {
                what: "object nesting depth",
                limit: self.max_depth as u64,
            }));
        }
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(self.need());
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name_body()?))
            }
            b'(' => self.literal_string(),
            b'<' => {
                if self.buf.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Ok(Object::Dict(self.dict_body(depth)?))
                } else if self.pos + 1 >= self.buf.len() {
                    Err(self.need())
                } else {
                    self.hex_string()
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(self.need()),
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.object(depth + 1)?),
                    }
                }
            }
            b')' | b'>' | b']' | b'{' | b'}' => Err(self.fail("unexpected delimiter")),
            _ => {
                let start = self.pos;
                let w = self.word()?;
                match w {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => {
                        if let Some(n) = parse_uint(w) {
                            // Possibly `n g R`.
                            let save = self.pos;
                            if let Ok(g) = self.word() {
                                if let Some(g) = parse_uint(g) {
                                    if let Ok(r) = self.word() {
                                        if r == b"R" {
                                            return match (u32::try_from(n), u16::try_from(g)) {
                                                (Ok(num), Ok(generation)) => {
                                                    Ok(Object::Ref(ObjRef { num, generation }))
                                                }
                                                _ => Err(self.fail("object number out of range")),
                                            };
                                        }
                                    } else if !self.at_eof {
                                        return Err(LexError::NeedMore);
                                    }
                                }
                            } else if !self.at_eof {
                                return Err(LexError::NeedMore);
                            }
                            self.pos = save;
                            return i64::try_from(n)
                                .map(Object::Int)
                                .map_err(|_| self.fail("integer too large"));
                        }
                        if let Some(i) = parse_int(w) {
                            return Ok(Object::Int(i));
                        }
                        if let Some(r) = parse_real(w) {
                            return Ok(Object::Real(r));
                        }
                        self.pos = start;
                        Err(self.fail("unknown token"))
                    }
                }
            }
        }
    }

    fn name_body(&mut self) -> LResult<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(&b) = self.buf.get(self.pos) {
            if is_ws(b) || is_delim(b) {
                return Ok(out);
            }
            if b == b'#' {
                let h = self
                    .buf
                    .get(self.pos + 1..self.pos + 3)
                    .ok_or_else(|| self.need())?;
                match (hexval(h[0]), hexval(h[1])) {
                    (Some(a), Some(c)) => {
                        out.push(a << 4 | c);
                        self.pos += 3;
                        continue;
                    }
                    _ => out.push(b),
                }
            } else {
                out.push(b);
            }
            self.pos += 1;
        }
        if self.at_eof {
            Ok(out)
        } else {
            Err(LexError::NeedMore)
        }
    }

    fn literal_string(&mut self) -> LResult<Object> {
        let start = self.offset();
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.need());
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.buf.get(self.pos) else {
                        return Err(self.need());
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        let span = self.in_file.then(|| start..self.offset());
        Ok(Object::String(PdfString {
            bytes: out,
            hex: false,
            span,
        }))
    }

    fn hex_string(&mut self) -> LResult<Object> {
        let start = self.offset();
        self.pos += 1;
        let rest = &self.buf[self.pos..];
        let Some(end) = memchr::memchr(b'>', rest) else {
            return Err(self.need());
        };
        let body = &rest[..end];
        let mut out = Vec::with_capacity(body.len() / 2 + 1);
        let mut hi: Option<u8> = None;
        for &b in body {
            if is_ws(b) {
                continue;
            }
            let Some(v) = hexval(b) else {
                return Err(self.fail("bad hex string digit"));
            };
            match hi.take() {
                None => hi = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
        self.pos += end + 1;
        let span = self.in_file.then(|| start..self.offset());
        Ok(Object::String(PdfString {
            bytes: out,
            hex: true,
            span,
        }))
    }

    fn dict_body(&mut self, depth: usize) -> LResult<Dict> {
        let mut d = Dict::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.need()),
                Some(b'>') => {
                    if self.buf.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        return Ok(d);
                    }
                    if self.pos + 1 >= self.buf.len() {
                        return Err(self.need());
                    }
                    return Err(self.fail("'>' inside a dictionary"));
                }
                Some(b'/') => {
                    self.pos += 1;
                    let k = self.name_body()?;
                    self.skip_ws();
                    // A key directly followed by the end of the dictionary: treat as null.
                    if self.buf.get(self.pos..self.pos + 2) == Some(b">>") {
                        d.entries.push((k, Object::Null));
                        continue;
                    }
                    let v = self.object(depth + 1)?;
                    d.entries.push((k, v));
                }
                Some(_) => return Err(self.fail("dictionary key is not a name")),
            }
        }
    }
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub(crate) fn parse_uint(w: &[u8]) -> Option<u64> {
    if w.is_empty() || w.len() > 19 || !w.iter().all(u8::is_ascii_digit) {
        return None;
    }
    w.iter().try_fold(0u64, |a, &d| {
        a.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

fn parse_int(w: &[u8]) -> Option<i64> {
    let (neg, digits) = match w.first()? {
        b'-' => (true, &w[1..]),
        b'+' => (false, &w[1..]),
        _ => (false, w),
    };
    let v = i64::try_from(parse_uint(digits)?).ok()?;
    Some(if neg { -v } else { v })
}

fn parse_real(w: &[u8]) -> Option<f64> {
    if w.len() > 64
        || !w
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return None;
    }
    let s = std::str::from_utf8(w).ok()?;
    // Some writers emit `--1` or `1.-2`: read what a number prefix gives, else 0.
    s.parse::<f64>()
        .ok()
        .or(Some(0.0))
        .filter(|_| w.iter().any(u8::is_ascii_digit))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Object {
        let mut l = Lexer::new(s.as_bytes(), 0, true, 16);
        match l.object(0) {
            Ok(o) => o,
            Err(e) => panic!("{s}: {e:?}"),
        }
    }

    #[test]
    fn objects() {
        assert_eq!(
            parse("12 0 R"),
            Object::Ref(ObjRef {
                num: 12,
                generation: 0
            })
        );
        assert_eq!(parse("-3"), Object::Int(-3));
        assert_eq!(parse("1.5"), Object::Real(1.5));
        assert_eq!(parse("/A#20B"), Object::Name(b"A B".to_vec()));
        let Object::String(s) = parse("(a\\(b\\)\\101)") else {
            panic!()
        };
        assert_eq!(s.bytes, b"a(b)A");
        let Object::String(s) = parse("  <41 4>") else {
            panic!()
        };
        assert_eq!((s.bytes.as_slice(), s.span), (&b"A@"[..], Some(2..8)));
        let Object::Dict(d) = parse("<</A [1 2 0 R 3]/B<</C null>>>>") else {
            panic!()
        };
        assert_eq!(
            d.get(b"A"),
            Some(&Object::Array(vec![
                Object::Int(1),
                Object::Ref(ObjRef {
                    num: 2,
                    generation: 0
                }),
                Object::Int(3)
            ]))
        );
    }

    #[test]
    fn need_more_and_depth() {
        let mut l = Lexer::new(b"<</A (abc", 0, false, 16);
        assert!(matches!(l.object(0), Err(LexError::NeedMore)));
        let deep = "[".repeat(100);
        let mut l = Lexer::new(deep.as_bytes(), 0, true, 16);
        assert!(matches!(
            l.object(0),
            Err(LexError::Fail(PdfError::Budget { .. }))
        ));
    }
}
