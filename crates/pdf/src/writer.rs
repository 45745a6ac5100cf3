//! The incremental writer: new and changed objects appended after the input, then a
//! cross-reference section of the kind the file's last one is, a trailer with `/Prev`, and
//! `%%EOF`. The input is never touched.

use std::io::{Read, Write};

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Dict, ObjRef, Object, PdfString, write_dict, write_object};
use crate::source::Source;
use crate::xref::XrefKind;

/// Objects to append in one incremental update.
#[derive(Debug)]
pub(crate) struct Update {
    next: u32,
    /// (object, serialised body between `obj` and `endobj`)
    objects: Vec<(ObjRef, Vec<u8>)>,
}

/// The appended part of an incremental update.
#[derive(Debug)]
pub(crate) struct Appended {
    pub(crate) bytes: Vec<u8>,
    /// Where each object's body starts inside `bytes`.
    pub(crate) body_at: Vec<(ObjRef, usize)>,
}

impl Update {
    pub(crate) fn new<S: Source>(doc: &Document<S>) -> Self {
        Update {
            next: doc.next_object_number(),
            objects: Vec::new(),
        }
    }

    pub(crate) fn alloc(&mut self) -> ObjRef {
        let r = ObjRef {
            num: self.next,
            generation: 0,
        };
        self.next = self.next.saturating_add(1);
        r
    }

    pub(crate) fn put(&mut self, r: ObjRef, o: &Object) {
        let mut body = Vec::new();
        write_object(&mut body, o);
        self.put_raw(r, body);
    }

    pub(crate) fn put_raw(&mut self, r: ObjRef, body: Vec<u8>) {
        self.objects.retain(|(x, _)| *x != r);
        self.objects.push((r, body));
    }

    pub(crate) fn put_stream(&mut self, r: ObjRef, mut dict: Dict, data: &[u8]) {
        dict.set(b"Length", Object::Int(data.len() as i64));
        dict.remove(b"Filter");
        dict.remove(b"DecodeParms");
        let mut body = Vec::new();
        write_dict(&mut body, &dict);
        body.extend_from_slice(b"\nstream\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.put_raw(r, body);
    }

    /// Lays the update out after an input of `input_len` bytes whose last byte is `last`.
    pub(crate) fn finish<S: Source>(
        mut self,
        doc: &Document<S>,
        input_len: u64,
        last: Option<u8>,
        new_id: Option<[u8; 16]>,
    ) -> Result<Appended> {
        let mut out = Vec::new();
        if !matches!(last, Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        let kind = doc.last_xref_kind();
        let xref_obj = (kind == XrefKind::Stream).then(|| self.alloc());
        let mut offsets = Vec::new();
        let mut body_at = Vec::new();
        for (r, body) in &self.objects {
            offsets.push((*r, input_len + out.len() as u64));
            out.extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
            body_at.push((*r, out.len()));
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_at = input_len + out.len() as u64;
        let mut trailer = Dict::new();
        trailer.set(b"Size", Object::Int(i64::from(self.next)));
        let old = doc.trailer();
        for k in [&b"Root"[..], b"Info"] {
            if let Some(v) = old.get(k) {
                trailer.set(k, v.clone());
            }
        }
        let id_string = |b: &[u8]| {
            Object::String(PdfString {
                bytes: b.to_vec(),
                hex: true,
                span: None,
            })
        };
        match (old.get(b"ID"), new_id) {
            (Some(Object::Array(a)), Some(n)) if !a.is_empty() => {
                trailer.set(b"ID", Object::Array(vec![a[0].clone(), id_string(&n)]))
            }
            (Some(Object::Array(a)), None) => trailer.set(b"ID", Object::Array(a.clone())),
            (_, Some(n)) => trailer.set(b"ID", Object::Array(vec![id_string(&n), id_string(&n)])),
            _ => {}
        }
        // The section actually read (after recovery of a damaged `startxref`, not the value).
        let prev = doc.sections().first().map_or(doc.startxref(), |s| s.offset);
        trailer.set(
            b"Prev",
            Object::Int(
                i64::try_from(prev).map_err(|_| PdfError::structure("startxref too large"))?,
            ),
        );
        match xref_obj {
            None => {
                out.extend_from_slice(b"xref\n");
                let mut sorted = offsets.clone();
                sorted.sort();
                for group in runs(&sorted) {
                    out.extend_from_slice(
                        format!("{} {}\n", group[0].0.num, group.len()).as_bytes(),
                    );
                    for (r, off) in group {
                        out.extend_from_slice(
                            format!("{off:010} {:05} n\r\n", r.generation).as_bytes(),
                        );
                    }
                }
                out.extend_from_slice(b"trailer\n");
                write_dict(&mut out, &trailer);
                out.push(b'\n');
            }
            Some(xr) => {
                let mut sorted = offsets.clone();
                sorted.push((xr, xref_at));
                sorted.sort();
                let max = sorted.iter().map(|(_, o)| *o).max().unwrap_or(0);
                let w = (8 - (max.leading_zeros() / 8) as usize).max(1);
                let mut data = Vec::new();
                let mut index = Vec::new();
                for group in runs(&sorted) {
                    index.push(Object::Int(i64::from(group[0].0.num)));
                    index.push(Object::Int(group.len() as i64));
                    for (r, off) in group {
                        data.push(1);
                        data.extend_from_slice(&off.to_be_bytes()[8 - w..]);
                        data.extend_from_slice(&r.generation.to_be_bytes());
                    }
                }
                trailer.set(b"Type", Object::name("XRef"));
                trailer.set(b"Index", Object::Array(index));
                trailer.set(
                    b"W",
                    Object::Array(vec![Object::Int(1), Object::Int(w as i64), Object::Int(2)]),
                );
                trailer.set(b"Length", Object::Int(data.len() as i64));
                out.extend_from_slice(format!("{} {} obj\n", xr.num, xr.generation).as_bytes());
                write_dict(&mut out, &trailer);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\nendstream\nendobj\n");
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok(Appended {
            bytes: out,
            body_at,
        })
    }
}

/// Splits sorted (object, offset) pairs into runs of consecutive object numbers.
fn runs(sorted: &[(ObjRef, u64)]) -> Vec<&[(ObjRef, u64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i].0.num != sorted[i - 1].0.num.saturating_add(1) {
            out.push(&sorted[start..i]);
            start = i;
        }
    }
    out
}

/// Copies exactly `len` bytes of `input` to `out`, then `appended`.
pub(crate) fn write_update<R: Read, W: Write>(
    input: R,
    len: u64,
    appended: &[u8],
    mut out: W,
) -> Result<()> {
    let copied = std::io::copy(&mut input.take(len), &mut out)?;
    if copied != len {
        return Err(PdfError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the input changed or ended before its original length while the update was written",
        )));
    }
    out.write_all(appended)?;
    out.flush()?;
    Ok(())
}
