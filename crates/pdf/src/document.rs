//! The reader: header, `startxref`, the cross-reference chain, revisions and object access.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::budget::Budget;
use crate::error::{PdfError, Result};
use crate::filter;
use crate::lexer::{LexError, Lexer, is_ws};
use crate::object::{Dict, ObjRef, Object, Stream, StreamData};
use crate::source::Source;
use crate::xref::{self, Entry, XrefKind, XrefSection};

/// One revision of the file: the bytes from offset 0 up to the `%%EOF` that ends the
/// cross-reference section it was saved with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// Offset of the revision's cross-reference section.
    pub xref_offset: u64,
    /// Offset just after its `%%EOF` marker.
    pub eof_end: u64,
    /// [`Revision::eof_end`] plus the end-of-line that follows the marker, if any.
    pub end: u64,
}

/// An opened PDF file: its cross-reference chain read, objects read on demand.
#[derive(Debug)]
pub struct Document<S> {
    pub(crate) src: S,
    pub(crate) budget: Budget,
    version: String,
    pub(crate) entries: HashMap<u32, Entry>,
    pub(crate) sections: Vec<XrefSection>,
    pub(crate) startxref: u64,
    revisions: Vec<Revision>,
    trailer: Dict,
    recovered: bool,
    /// The last object stream decoded: (its number, data, (object number, offset) pairs, /First).
    objstm_cache: Option<ObjStm>,
}

/// A decoded object stream: its number, data, (object number, offset) pairs and `/First`.
type ObjStm = (u32, Vec<u8>, Vec<(u32, usize)>, usize);

/// How much of the end of the file is searched for `startxref`.
const TAIL: usize = 2048;

impl<S: Source> Document<S> {
    /// Opens `src`: reads the header, `startxref`, every cross-reference section along
    /// `/Prev` and `/XRefStm`, and the revisions. Objects are read later, on demand.
    ///
    /// An encrypted file is [`PdfError::Encrypted`].
    pub fn open(mut src: S, budget: Budget) -> Result<Self> {
        let len = src.len();
        let head = src.read_at(0, 1024)?.into_owned();
        let hpos = memchr::memmem::find(&head, b"%PDF-").ok_or(PdfError::NotPdf)?;
        let version = head[hpos + 5..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|&b| b as char)
            .collect::<String>();
        let tail_start = len.saturating_sub(TAIL as u64);
        let tail = src.read_at(tail_start, TAIL)?.into_owned();
        let sx = memchr::memmem::rfind(&tail, b"startxref").ok_or(PdfError::NoStartXref)?;
        let mut lx = Lexer::new(&tail[sx + 9..], tail_start + sx as u64 + 9, true, 4);
        let startxref = lx
            .uint("startxref offset")
            .map_err(|_| PdfError::NoStartXref)?;
        let mut doc = Document {
            src,
            budget,
            version,
            entries: HashMap::new(),
            sections: Vec::new(),
            startxref,
            revisions: Vec::new(),
            trailer: Dict::new(),
            recovered: false,
            objstm_cache: None,
        };
        doc.read_chain()?;
        let mut trailer = doc
            .sections
            .first()
            .map(|s| s.trailer.clone())
            .unwrap_or_default();
        for key in [&b"Root"[..], b"Info", b"ID", b"Encrypt"] {
            if trailer.get(key).is_none()
                && let Some(v) = doc.sections.iter().find_map(|s| s.trailer.get(key))
            {
                trailer.set(key, v.clone());
            }
        }
        doc.trailer = trailer;
        if doc
            .trailer()
            .get(b"Encrypt")
            .is_some_and(|e| !matches!(e, Object::Null))
        {
            return Err(PdfError::Encrypted);
        }
        Ok(doc)
    }

    fn read_chain(&mut self) -> Result<()> {
        let mut seen = HashSet::new();
        let mut next = Some(self.startxref);
        while let Some(off) = next {
            if !seen.insert(off) {
                return Err(PdfError::XrefLoop { offset: off });
            }
            if self.sections.len() >= self.budget.max_xref_sections {
                return Err(PdfError::Budget {
                    what: "cross-reference sections",
                    limit: self.budget.max_xref_sections as u64,
                });
            }
            let (section, list, end) = match xref::read_section(self, off) {
                Ok(v) => v,
                // A damaged `startxref` (bytes inserted or removed before the section, or
                // an offset past the end): the last `xref` keyword before `startxref`.
                Err(e) if off == self.startxref => match self.recover_last_table()? {
                    Some(at) if seen.insert(at) => {
                        self.recovered = true;
                        xref::read_section(self, at)?
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            };
            self.merge(list)?;
            if section.kind == XrefKind::Table
                && let Some(stm) = section
                    .trailer
                    .int(b"XRefStm")
                    .and_then(|v| u64::try_from(v).ok())
                && seen.insert(stm)
                && let Ok((_, list, _)) = xref::read_section(self, stm)
            {
                self.merge(list)?;
            }
            // `/Prev 0` (written by some tools for "none") cannot name a section: offset 0
            // holds the header.
            next = section
                .trailer
                .int(b"Prev")
                .and_then(|v| u64::try_from(v).ok())
                .filter(|p| *p > 0);
            if let Some(rev) = self.find_eof(off, end)?
                && !self.revisions.iter().any(|r| r.eof_end == rev.eof_end)
            {
                self.revisions.push(rev);
            }
            self.sections.push(section);
        }
        self.revisions.sort_by_key(|r| r.eof_end);
        Ok(())
    }

    /// The offset of the last `xref` keyword (not `startxref`) before the final
    /// `startxref`, searched in the last MiB of the file.
    fn recover_last_table(&mut self) -> Result<Option<u64>> {
        let len = self.src.len();
        let from = len.saturating_sub(1 << 20);
        let buf = self.src.read_at(from, (len - from) as usize)?;
        let Some(sx) = memchr::memmem::rfind(&buf, b"startxref") else {
            return Ok(None);
        };
        let mut end = sx;
        while let Some(p) = memchr::memmem::rfind(&buf[..end], b"xref") {
            if p == 0 || is_ws(buf[p - 1]) {
                return Ok(Some(from + p as u64));
            }
            end = p;
        }
        Ok(None)
    }

    /// Whether the cross-reference chain was found only by recovery (the `startxref`
    /// offset did not point at a cross-reference section).
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    fn merge(&mut self, list: Vec<(u32, Entry)>) -> Result<()> {
        for (n, e) in list {
            if self.entries.len() >= self.budget.max_objects && !self.entries.contains_key(&n) {
                return Err(PdfError::Budget {
                    what: "objects",
                    limit: self.budget.max_objects as u64,
                });
            }
            self.entries.entry(n).or_insert(e);
        }
        Ok(())
    }

    /// The `%%EOF` that follows the section read from `xref_offset` and ending at `end`.
    fn find_eof(&mut self, xref_offset: u64, end: u64) -> Result<Option<Revision>> {
        let len = self.src.len();
        let mut window = 4096usize;
        loop {
            let buf = self.src.read_at(end, window)?;
            if let Some(p) = memchr::memmem::find(&buf, b"%%EOF") {
                let eof_end = end + p as u64 + 5;
                let after = &buf[p + 5..];
                let eol = match after {
                    [b'\r', b'\n', ..] => 2,
                    [b'\r' | b'\n', ..] => 1,
                    _ => 0,
                };
                return Ok(Some(Revision {
                    xref_offset,
                    eof_end,
                    end: eof_end + eol,
                }));
            }
            if end + buf.len() as u64 >= len || window >= 1 << 20 {
                return Ok(None);
            }
            window *= 4;
        }
    }

    /// The version in the header (`1.7`, `2.0`, …).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.src.len()
    }

    /// Whether the file is empty (never, for an opened document).
    pub fn is_empty(&self) -> bool {
        self.src.len() == 0
    }

    /// The newest trailer (for a cross-reference stream: its dictionary).
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// The offset `startxref` names (the newest cross-reference section).
    pub fn startxref(&self) -> u64 {
        self.startxref
    }

    /// The kind of the newest cross-reference section.
    pub fn last_xref_kind(&self) -> XrefKind {
        self.sections.first().map_or(XrefKind::Table, |s| s.kind)
    }

    /// The cross-reference sections, newest first.
    pub fn sections(&self) -> &[XrefSection] {
        &self.sections
    }

    /// The revisions, oldest first (one per `%%EOF` that ends a cross-reference section).
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// Number of cross-reference entries known (all revisions, newest entry per object).
    pub fn object_count(&self) -> usize {
        self.entries.len()
    }

    /// The highest object number in use plus one, or the trailer's `/Size` if larger.
    pub fn next_object_number(&self) -> u32 {
        let max = self
            .entries
            .keys()
            .copied()
            .max()
            .map_or(1, |m| m.saturating_add(1));
        let size = self
            .trailer()
            .int(b"Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        max.max(size)
    }

    /// The generation with which `num` is in use now, if it is.
    pub fn generation(&self, num: u32) -> Option<u16> {
        match self.entries.get(&num)? {
            Entry::InUse { generation, .. } => Some(*generation),
            Entry::Compressed { .. } => Some(0),
            Entry::Free => None,
        }
    }

    /// Reads the indirect object `r`.
    pub fn resolve(&mut self, r: ObjRef) -> Result<Object> {
        self.resolve_depth(r, 0)
    }

    /// `o` itself, or the object it references.
    pub fn get(&mut self, o: &Object) -> Result<Object> {
        match o {
            Object::Ref(r) => self.resolve(*r),
            other => Ok(other.clone()),
        }
    }

    /// The dictionary `o` is or references (streams give their dictionary).
    pub fn get_dict(&mut self, o: &Object, what: &'static str) -> Result<Dict> {
        match self.get(o)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(PdfError::structure(what)),
        }
    }

    pub(crate) fn resolve_depth(&mut self, r: ObjRef, depth: usize) -> Result<Object> {
        if depth > 8 {
            return Err(PdfError::Budget {
                what: "nested object references",
                limit: 8,
            });
        }
        let missing = PdfError::MissingObject {
            num: r.num,
            generation: r.generation,
        };
        match self.entries.get(&r.num).copied() {
            None | Some(Entry::Free) => Err(missing),
            Some(Entry::InUse { offset, .. }) => {
                let (got, obj) = self.read_object_at(offset, depth)?;
                if got.num != r.num {
                    return Err(missing);
                }
                Ok(obj)
            }
            Some(Entry::Compressed { stream, index }) => {
                self.read_compressed(r.num, stream, index, depth)
            }
        }
    }

    /// Reads the indirect object (`n g obj … endobj`) at `offset`.
    pub(crate) fn read_object_at(&mut self, offset: u64, depth: usize) -> Result<(ObjRef, Object)> {
        let len = self.src.len();
        let mut window = 4096usize;
        let (r, obj, stream_at) = loop {
            let buf = self.src.read_at(offset, window)?;
            let at_eof = offset + buf.len() as u64 >= len;
            let mut lx = Lexer::new(&buf, offset, at_eof, self.budget.max_depth);
            match indirect(&mut lx) {
                Ok(v) => break v,
                Err(LexError::NeedMore) => {
                    if window >= self.budget.max_object_bytes {
                        return Err(PdfError::Budget {
                            what: "object size",
                            limit: self.budget.max_object_bytes as u64,
                        });
                    }
                    window = (window * 4).min(self.budget.max_object_bytes);
                }
                Err(LexError::Fail(e)) => return Err(e),
            }
        };
        let Some(data_start) = stream_at else {
            return Ok((r, obj));
        };
        let Object::Dict(dict) = obj else {
            return Err(PdfError::syntax(
                offset,
                "stream keyword after a non-dictionary",
            ));
        };
        let declared = match dict.get(b"Length") {
            Some(Object::Int(n)) => u64::try_from(*n).ok(),
            Some(Object::Ref(lr)) if *lr != r => match self.resolve_depth(*lr, depth + 1) {
                Ok(Object::Int(n)) => u64::try_from(n).ok(),
                _ => None,
            },
            _ => None,
        };
        let data_end = match declared {
            Some(n) if self.endstream_at(data_start.saturating_add(n))? => data_start + n,
            _ => self.search_endstream(data_start)?,
        };
        Ok((
            r,
            Object::Stream(Stream {
                dict,
                data: StreamData::File(data_start..data_end),
            }),
        ))
    }

    fn endstream_at(&mut self, at: u64) -> Result<bool> {
        if at > self.src.len() {
            return Ok(false);
        }
        let buf = self.src.read_at(at, 32)?;
        let skip = buf.iter().take_while(|b| is_ws(**b)).count();
        Ok(buf[skip..].starts_with(b"endstream"))
    }

    /// The data end when `/Length` is missing or wrong: before the next `endstream`.
    fn search_endstream(&mut self, start: u64) -> Result<u64> {
        let max = self.budget.max_stream_bytes as u64;
        let mut pos = start;
        loop {
            let buf = self.src.read_at(pos, 64 * 1024)?;
            if let Some(p) = memchr::memmem::find(&buf, b"endstream") {
                let mut end = pos + p as u64;
                // Drop the end-of-line before the keyword.
                let before = self
                    .src
                    .read_at(end.saturating_sub(2).max(start), 2)?
                    .into_owned();
                if end > start && before.last() == Some(&b'\n') {
                    end -= 1;
                    if end > start && before.len() == 2 && before[0] == b'\r' {
                        end -= 1;
                    }
                } else if end > start && before.last() == Some(&b'\r') {
                    end -= 1;
                }
                return Ok(end);
            }
            if buf.len() < 9 || pos - start > max {
                return Err(PdfError::syntax(start, "stream without endstream"));
            }
            pos += (buf.len() - 8) as u64;
        }
    }

    fn read_compressed(
        &mut self,
        num: u32,
        stream: u32,
        index: u32,
        depth: usize,
    ) -> Result<Object> {
        let cached = matches!(&self.objstm_cache, Some((n, ..)) if *n == stream);
        if !cached {
            let Object::Stream(s) = self.resolve_depth(
                ObjRef {
                    num: stream,
                    generation: 0,
                },
                depth + 1,
            )?
            else {
                return Err(PdfError::structure("object stream is not a stream"));
            };
            let data = self.stream_data(&s)?;
            let n = s
                .dict
                .int(b"N")
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(0);
            let first = s
                .dict
                .int(b"First")
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(0);
            if n > self.budget.max_objects || first > data.len() {
                return Err(PdfError::structure(
                    "object stream /N or /First out of range",
                ));
            }
            let mut lx = Lexer::new(&data[..first], 0, true, 4);
            let mut pairs = Vec::with_capacity(n.min(data.len() / 4 + 1));
            for _ in 0..n {
                let (Ok(o), Ok(p)) = (lx.uint("object number"), lx.uint("offset")) else {
                    break;
                };
                let (Ok(o), Ok(p)) = (u32::try_from(o), usize::try_from(p)) else {
                    break;
                };
                pairs.push((o, p));
            }
            self.objstm_cache = Some((stream, data, pairs, first));
        }
        let missing = PdfError::MissingObject { num, generation: 0 };
        let Some((_, data, pairs, first)) = &self.objstm_cache else {
            return Err(missing);
        };
        let pos = match pairs.get(index as usize) {
            Some((o, p)) if *o == num => *p,
            _ => pairs
                .iter()
                .find(|(o, _)| *o == num)
                .map(|(_, p)| *p)
                .ok_or(missing)?,
        };
        let start = first.saturating_add(pos);
        let body = data
            .get(start..)
            .ok_or(PdfError::structure("object stream offset out of range"))?;
        let mut lx = Lexer::new(body, 0, true, self.budget.max_depth);
        lx.in_file = false;
        match lx.object(0) {
            Ok(o) => Ok(o),
            Err(LexError::Fail(e)) => Err(e),
            Err(LexError::NeedMore) => {
                Err(PdfError::structure("object stream ends inside an object"))
            }
        }
    }

    /// The raw (still encoded) bytes of `range`, bounded by the stream budget.
    pub fn read_range(&mut self, range: Range<u64>) -> Result<Vec<u8>> {
        let n = range.end.saturating_sub(range.start);
        if n > self.budget.max_stream_bytes as u64 {
            return Err(PdfError::Budget {
                what: "stream size",
                limit: self.budget.max_stream_bytes as u64,
            });
        }
        Ok(self.src.read_at(range.start, n as usize)?.into_owned())
    }

    /// The decoded data of a stream (FlateDecode with predictors; bounded by the budget).
    pub fn stream_data(&mut self, s: &Stream) -> Result<Vec<u8>> {
        let (raw, offset) = match &s.data {
            StreamData::File(r) => (self.read_range(r.clone())?, r.start),
            StreamData::Bytes(b) => (b.clone(), 0),
        };
        filter::decode(&s.dict, raw, self.budget.max_stream_bytes, offset)
    }

    /// The object numbers whose cross-reference entry here differs from `older`'s (new
    /// objects and objects written again), sorted: what the revisions after `older` changed.
    /// `older` is typically the same file opened over a prefix (an earlier revision).
    pub fn objects_changed_since<T>(&self, older: &Document<T>) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .entries
            .iter()
            .filter(|(n, e)| older.entries.get(n) != Some(e))
            .map(|(n, _)| *n)
            .collect();
        v.sort_unstable();
        v
    }

    /// The source, to read the file again (e.g. to copy it into an incremental update).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.src
    }

    /// Gives the source back.
    pub fn into_source(self) -> S {
        self.src
    }
}

/// `n g obj <object> [stream]`: the object and, for a stream, where its data starts.
fn indirect(lx: &mut Lexer<'_>) -> std::result::Result<(ObjRef, Object, Option<u64>), LexError> {
    let num = lx.uint("object number")?;
    let generation = lx.uint("generation number")?;
    lx.keyword(b"obj", "expected 'obj'")?;
    let r = match (u32::try_from(num), u16::try_from(generation)) {
        (Ok(num), Ok(generation)) => ObjRef { num, generation },
        _ => {
            return Err(LexError::Fail(PdfError::syntax(
                lx.offset(),
                "object number out of range",
            )));
        }
    };
    let obj = lx.object(0)?;
    // `stream` must follow a dictionary; anything else ends the object.
    lx.skip_ws();
    let rest = &lx.buf[lx.pos..];
    if rest.len() < 7 && !lx.at_eof && b"stream".starts_with(&rest[..rest.len().min(6)]) {
        return Err(LexError::NeedMore);
    }
    if rest.starts_with(b"stream") && matches!(obj, Object::Dict(_)) {
        let mut p = lx.pos + 6;
        match lx.buf.get(p..p + 2) {
            Some([b'\r', b'\n']) => p += 2,
            Some([b'\n' | b'\r', _]) => p += 1,
            None if !lx.at_eof => return Err(LexError::NeedMore),
            _ => {}
        }
        return Ok((r, obj, Some(lx.base + p as u64)));
    }
    Ok((r, obj, None))
}
