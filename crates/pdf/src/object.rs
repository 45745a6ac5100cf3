//! PDF objects as read from a file, and their serialisation for incremental updates.

use std::ops::Range;

/// A reference to an indirect object (`num gen R`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Object number.
    pub num: u32,
    /// Generation number.
    pub generation: u16,
}

/// A string object: its decoded bytes, and where its token lies in the file when it was
/// read directly from the file (not from an object stream).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfString {
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// Written in hexadecimal (`<…>`) rather than literal (`(…)`) form.
    pub hex: bool,
    /// Absolute byte range of the whole token (delimiters included) in the file, when known.
    pub span: Option<Range<u64>>,
}

/// A stream object's dictionary and where its (still encoded) data lies.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// The stream dictionary.
    pub dict: Dict,
    /// Where the raw data is: an absolute file range, or the bytes themselves (for data
    /// that does not live in the file, such as a stream about to be written).
    pub data: StreamData,
}

/// Where a stream's raw (encoded) data is.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamData {
    /// An absolute byte range of the file.
    File(Range<u64>),
    /// Bytes held in memory.
    Bytes(Vec<u8>),
}

/// A dictionary: its entries in file order (keys are decoded name bytes, without `/`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dict {
    /// The entries, in the order read.
    pub entries: Vec<(Vec<u8>, Object)>,
}

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }
    /// The value of `key` (the last one if the key is repeated).
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    /// Sets `key` to `value`, replacing every earlier value.
    pub fn set(&mut self, key: &[u8], value: Object) {
        self.entries.retain(|(k, _)| k != key);
        self.entries.push((key.to_vec(), value));
    }
    /// Removes `key`.
    pub fn remove(&mut self, key: &[u8]) {
        self.entries.retain(|(k, _)| k != key);
    }
    /// The name value of `key`, if it is a name.
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }
    /// The integer value of `key`, if it is an integer.
    pub fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Object::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

/// A PDF object.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A name (decoded bytes, without `/`).
    Name(Vec<u8>),
    /// A string.
    String(PdfString),
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// A stream (only as an indirect object).
    Stream(Stream),
    /// An indirect reference.
    Ref(ObjRef),
}

impl Object {
    /// A name object from text.
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }
    /// A literal string object.
    pub fn string(bytes: &[u8]) -> Object {
        Object::String(PdfString {
            bytes: bytes.to_vec(),
            hex: false,
            span: None,
        })
    }
    /// The dictionary of a dictionary or stream object.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }
    /// The reference, if this is one.
    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }
}

fn is_regular(b: u8) -> bool {
    !matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

/// Writes `name` as a name token (`/…`, with `#xx` escapes where needed).
pub(crate) fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &b in name {
        if b > b' ' && b < 0x7f && b != b'#' && is_regular(b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// Serialises a direct object (a stream's data is written by the writer, not here).
pub(crate) fn write_object(out: &mut Vec<u8>, o: &Object) {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => {
            let r = if r.is_finite() { *r } else { 0.0 };
            out.extend_from_slice(r.to_string().as_bytes())
        }
        Object::Name(n) => write_name(out, n),
        Object::String(s) => {
            if s.hex {
                out.push(b'<');
                for b in &s.bytes {
                    out.extend_from_slice(format!("{b:02X}").as_bytes());
                }
                out.push(b'>');
            } else {
                out.push(b'(');
                for &b in &s.bytes {
                    match b {
                        b'(' | b')' | b'\\' => {
                            out.push(b'\\');
                            out.push(b);
                        }
                        b'\r' => out.extend_from_slice(b"\\r"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        _ => out.push(b),
                    }
                }
                out.push(b')');
            }
        }
        Object::Array(a) => {
            out.push(b'[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, e);
            }
            out.push(b']');
        }
        Object::Dict(d) | Object::Stream(Stream { dict: d, .. }) => write_dict(out, d),
        Object::Ref(r) => out.extend_from_slice(format!("{} {} R", r.num, r.generation).as_bytes()),
    }
}

/// Serialises a dictionary.
pub(crate) fn write_dict(out: &mut Vec<u8>, d: &Dict) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.entries {
        write_name(out, k);
        out.push(b' ');
        write_object(out, v);
    }
    out.extend_from_slice(b">>");
}
