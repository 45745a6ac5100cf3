//! Cross-reference sections: classic tables (`xref … trailer`) and cross-reference streams.

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::lexer::{LexError, Lexer};
use crate::object::{Dict, Object};
use crate::source::Source;

/// Where an object is, per the cross-reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A free entry.
    Free,
    /// An object at a file offset.
    InUse { offset: u64, generation: u16 },
    /// An object inside an object stream.
    Compressed { stream: u32, index: u32 },
}

/// The kind of a cross-reference section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table with a `trailer` dictionary.
    Table,
    /// A cross-reference stream (PDF 1.5).
    Stream,
}

/// One cross-reference section of the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct XrefSection {
    /// Its offset in the file.
    pub offset: u64,
    /// Table or stream.
    pub kind: XrefKind,
    /// The trailer dictionary (a stream's dictionary).
    pub trailer: Dict,
}

type Section = (XrefSection, Vec<(u32, Entry)>, u64);

/// Reads the section at `offset`: the section, its entries, and where it ends.
pub(crate) fn read_section<S: Source>(doc: &mut Document<S>, offset: u64) -> Result<Section> {
    let head = doc.src.read_at(offset, 16)?.into_owned();
    let skip = head.iter().take_while(|b| crate::lexer::is_ws(**b)).count();
    if head[skip..].starts_with(b"xref") {
        table(doc, offset)
    } else {
        stream(doc, offset)
    }
}

fn bad(offset: u64, what: &'static str) -> PdfError {
    PdfError::Xref { offset, what }
}

fn table<S: Source>(doc: &mut Document<S>, offset: u64) -> Result<Section> {
    let len = doc.src.len();
    let cap = doc
        .budget
        .max_object_bytes
        .max(doc.budget.max_objects.saturating_mul(21));
    let mut window = 64 * 1024usize;
    loop {
        let buf = doc.src.read_at(offset, window)?;
        let at_eof = offset + buf.len() as u64 >= len;
        let mut lx = Lexer::new(&buf, offset, at_eof, doc.budget.max_depth);
        match table_body(&mut lx, doc.budget.max_objects) {
            Ok((list, trailer)) => {
                let end = lx.offset();
                return Ok((
                    XrefSection {
                        offset,
                        kind: XrefKind::Table,
                        trailer,
                    },
                    list,
                    end,
                ));
            }
            Err(LexError::NeedMore) if window < cap => window = (window * 4).min(cap),
            Err(LexError::NeedMore) => {
                return Err(PdfError::Budget {
                    what: "cross-reference table size",
                    limit: cap as u64,
                });
            }
            Err(LexError::Fail(PdfError::Syntax { what, .. })) => return Err(bad(offset, what)),
            Err(LexError::Fail(e)) => return Err(e),
        }
    }
}

fn table_body(
    lx: &mut Lexer<'_>,
    max: usize,
) -> std::result::Result<(Vec<(u32, Entry)>, Dict), LexError> {
    lx.keyword(b"xref", "expected 'xref'")?;
    let mut list = Vec::new();
    loop {
        let save = lx.pos;
        let w = lx.word()?;
        if w == b"trailer" {
            break;
        }
        lx.pos = save;
        let start = lx.uint("subsection start")?;
        let count = lx.uint("subsection count")?;
        if count > max as u64 || list.len() as u64 + count > max as u64 {
            return Err(LexError::Fail(PdfError::Budget {
                what: "objects",
                limit: max as u64,
            }));
        }
        for i in 0..count {
            let off = lx.uint("entry offset")?;
            let generation = lx.uint("entry generation")?;
            let kind = lx.word()?;
            let Ok(num) = u32::try_from(start + i) else {
                return Err(LexError::Fail(PdfError::syntax(
                    lx.offset(),
                    "object number out of range",
                )));
            };
            let e = match kind {
                b"n" => Entry::InUse {
                    offset: off,
                    generation: u16::try_from(generation).unwrap_or(u16::MAX),
                },
                b"f" => Entry::Free,
                _ => {
                    return Err(LexError::Fail(PdfError::syntax(
                        lx.offset(),
                        "entry type is neither n nor f",
                    )));
                }
            };
            // A zero offset "in use" entry is broken; treat it as free.
            let e = if matches!(e, Entry::InUse { offset: 0, .. }) {
                Entry::Free
            } else {
                e
            };
            list.push((num, e));
        }
    }
    let trailer = match lx.object(0)? {
        Object::Dict(d) => d,
        _ => {
            return Err(LexError::Fail(PdfError::syntax(
                lx.offset(),
                "trailer is not a dictionary",
            )));
        }
    };
    Ok((list, trailer))
}

fn stream<S: Source>(doc: &mut Document<S>, offset: u64) -> Result<Section> {
    let (_, obj) = doc.read_object_at(offset, 0).map_err(|e| match e {
        PdfError::Syntax { what, .. } => bad(offset, what),
        other => other,
    })?;
    let Object::Stream(s) = obj else {
        return Err(bad(offset, "neither 'xref' nor a cross-reference stream"));
    };
    if s.dict.name(b"Type") != Some(b"XRef") {
        return Err(bad(offset, "stream is not /Type /XRef"));
    }
    let end = match &s.data {
        crate::object::StreamData::File(r) => r.end,
        crate::object::StreamData::Bytes(_) => offset,
    };
    let data = doc.stream_data(&s)?;
    let w: Vec<usize> = match s.dict.get(b"W") {
        Some(Object::Array(a)) if a.len() == 3 => a
            .iter()
            .map(|o| match o {
                Object::Int(i) if (0..=8).contains(i) => Ok(*i as usize),
                _ => Err(bad(offset, "/W entry out of range")),
            })
            .collect::<Result<_>>()?,
        _ => return Err(bad(offset, "/W missing or not three integers")),
    };
    let size = s.dict.int(b"Size").unwrap_or(0);
    let index: Vec<(u64, u64)> = match s.dict.get(b"Index") {
        Some(Object::Array(a)) => a
            .chunks(2)
            .map(|c| match c {
                [Object::Int(f), Object::Int(n)] => match (u64::try_from(*f), u64::try_from(*n)) {
                    (Ok(f), Ok(n)) => Ok((f, n)),
                    _ => Err(bad(offset, "negative /Index entry")),
                },
                _ => Err(bad(offset, "/Index is not pairs of integers")),
            })
            .collect::<Result<_>>()?,
        _ => vec![(0, u64::try_from(size).unwrap_or(0))],
    };
    let rec = w[0] + w[1] + w[2];
    if rec == 0 {
        return Err(bad(offset, "/W is [0 0 0]"));
    }
    let max = doc.budget.max_objects;
    let mut list = Vec::new();
    let mut rows = data.chunks_exact(rec);
    'outer: for (first, n) in index {
        for i in 0..n {
            let Some(row) = rows.next() else { break 'outer };
            if list.len() >= max {
                return Err(PdfError::Budget {
                    what: "objects",
                    limit: max as u64,
                });
            }
            let field = |from: usize, width: usize| {
                row[from..from + width]
                    .iter()
                    .fold(0u64, |a, &b| a << 8 | u64::from(b))
            };
            let t = if w[0] == 0 { 1 } else { field(0, w[0]) };
            let f2 = field(w[0], w[1]);
            let f3 = field(w[0] + w[1], w[2]);
            let Ok(num) = u32::try_from(first + i) else {
                break 'outer;
            };
            let e = match t {
                0 => Entry::Free,
                1 if f2 == 0 => Entry::Free,
                1 => Entry::InUse {
                    offset: f2,
                    generation: u16::try_from(f3).unwrap_or(u16::MAX),
                },
                2 => match (u32::try_from(f2), u32::try_from(f3)) {
                    (Ok(stream), Ok(index)) => Entry::Compressed { stream, index },
                    _ => Entry::Free,
                },
                // Unknown types are references to the null object.
                _ => Entry::Free,
            };
            list.push((num, e));
        }
    }
    Ok((
        XrefSection {
            offset,
            kind: XrefKind::Stream,
            trailer: s.dict,
        },
        list,
        end,
    ))
}
