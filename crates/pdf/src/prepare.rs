//! Incremental updates for signing: a signature or document time-stamp field with its
//! placeholder, and the DSS dictionary.

use std::io::{Read, Write};
use std::ops::Range;

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Dict, ObjRef, Object, PdfString};
use crate::source::Source;
use crate::writer::{Update, write_update};

/// The `/SubFilter` of a new signature dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SubFilter {
    /// `ETSI.CAdES.detached` (PAdES baseline, EN 319 142-1).
    #[default]
    EtsiCadesDetached,
    /// `adbe.pkcs7.detached` (legacy PDF signatures, still used by public systems).
    AdbePkcs7Detached,
    /// `ETSI.RFC3161`: a document time-stamp.
    EtsiRfc3161,
    /// `adbe.pkcs7.sha1` (legacy, deprecated by PDF 2.0): the CMS encapsulates the SHA-1
    /// digest of the byte range. Written only to test verifiers.
    AdbePkcs7Sha1,
}

impl SubFilter {
    fn name(self) -> &'static str {
        match self {
            SubFilter::EtsiCadesDetached => "ETSI.CAdES.detached",
            SubFilter::AdbePkcs7Detached => "adbe.pkcs7.detached",
            SubFilter::EtsiRfc3161 => "ETSI.RFC3161",
            SubFilter::AdbePkcs7Sha1 => "adbe.pkcs7.sha1",
        }
    }
}

/// What a new signature (or document time-stamp) dictionary holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureOptions {
    /// The `/SubFilter`; [`SubFilter::EtsiRfc3161`] makes a `/Type /DocTimeStamp`.
    pub sub_filter: SubFilter,
    /// Bytes reserved for the signature container (written as twice as many hex digits).
    pub contents_capacity: usize,
    /// `/M`: the claimed signing time as a PDF date (`D:20260401093000Z`); not written for
    /// a document time-stamp.
    pub signing_time: Option<String>,
    /// `/Name`.
    pub name: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// The field name (`/T`); by default the first free `SignatureN`.
    pub field_name: Option<String>,
    /// The new second element of the trailer `/ID` (the first is kept).
    pub id: Option<[u8; 16]>,
}

impl Default for SignatureOptions {
    fn default() -> Self {
        SignatureOptions {
            sub_filter: SubFilter::default(),
            contents_capacity: 16 * 1024,
            signing_time: None,
            name: None,
            reason: None,
            location: None,
            field_name: None,
            id: None,
        }
    }
}

impl SignatureOptions {
    /// Options for a signature with `sub_filter`, reserving `capacity` bytes.
    pub fn new(sub_filter: SubFilter, capacity: usize) -> Self {
        SignatureOptions {
            sub_filter,
            contents_capacity: capacity,
            ..Self::default()
        }
    }
    /// Sets `/M`.
    pub fn with_signing_time(mut self, m: impl Into<String>) -> Self {
        self.signing_time = Some(m.into());
        self
    }
    /// Sets `/Reason`.
    pub fn with_reason(mut self, r: impl Into<String>) -> Self {
        self.reason = Some(r.into());
        self
    }
    /// Sets `/Name`.
    pub fn with_name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }
    /// Sets `/Location`.
    pub fn with_location(mut self, l: impl Into<String>) -> Self {
        self.location = Some(l.into());
        self
    }
    /// Sets the field name.
    pub fn with_field_name(mut self, n: impl Into<String>) -> Self {
        self.field_name = Some(n.into());
        self
    }
    /// Sets the new trailer `/ID` element.
    pub fn with_id(mut self, id: [u8; 16]) -> Self {
        self.id = Some(id);
        self
    }
}

/// A prepared incremental update: the bytes to append after the input, with a
/// `/Contents` placeholder still to be filled and the exact `/ByteRange` it declares.
///
/// The signed bytes are `input ‖ head()` and `tail()` (that is, the whole output except
/// the `/Contents` string token); fill the container with [`Prepared::fill_contents`], then
/// write with [`Prepared::write_to`].
#[derive(Debug, Clone)]
pub struct Prepared {
    input_len: u64,
    appended: Vec<u8>,
    /// The `/Contents` token (delimiters included) inside `appended`.
    token: Range<usize>,
    byte_range: [u64; 4],
    capacity: usize,
}

impl Prepared {
    /// The `/ByteRange` written: `[0, a, b, c]`, absolute offsets of the output.
    pub fn byte_range(&self) -> [u64; 4] {
        self.byte_range
    }
    /// The input length (the output starts with exactly these input bytes).
    pub fn input_len(&self) -> u64 {
        self.input_len
    }
    /// Bytes reserved for the container.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// The appended bytes before the `/Contents` token (signed, after the whole input).
    pub fn head(&self) -> &[u8] {
        &self.appended[..self.token.start]
    }
    /// The appended bytes after the `/Contents` token (signed).
    pub fn tail(&self) -> &[u8] {
        &self.appended[self.token.end..]
    }
    /// The bytes to append (placeholder or filled).
    pub fn appended(&self) -> &[u8] {
        &self.appended
    }
    /// Writes `der` (zero-padded) into the `/Contents` placeholder.
    pub fn fill_contents(&mut self, der: &[u8]) -> Result<()> {
        if der.len() > self.capacity {
            return Err(PdfError::ContentsTooSmall {
                need: der.len(),
                capacity: self.capacity,
            });
        }
        let digits = &mut self.appended[self.token.start + 1..self.token.end - 1];
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, b) in der.iter().enumerate() {
            digits[2 * i] = HEX[usize::from(b >> 4)];
            digits[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        for d in digits[2 * der.len()..].iter_mut() {
            *d = b'0';
        }
        Ok(())
    }
    /// Writes the output: exactly the input's bytes, then the appended ones.
    pub fn write_to<R: Read, W: Write>(&self, input: R, out: W) -> Result<()> {
        write_update(input, self.input_len, &self.appended, out)
    }
    /// The output as one vector (for inputs held in memory).
    pub fn to_vec(&self, input: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(input.len() + self.appended.len());
        v.extend_from_slice(input);
        v.extend_from_slice(&self.appended);
        v
    }
}

fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::string(s.as_bytes())
    } else {
        let mut b = vec![0xfe, 0xff];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(PdfString {
            bytes: b,
            hex: true,
            span: None,
        })
    }
}

const BYTE_RANGE_SLOT: usize = 72;

/// Prepares a signature (or, with [`SubFilter::EtsiRfc3161`], a document time-stamp):
/// an invisible signature field with its widget on the first page (`/Rect [0 0 0 0]`,
/// `/F 132`), added to the AcroForm `/Fields` with `/SigFlags 3`, and its signature
/// dictionary whose `/Contents` is a zero placeholder of `opts.contents_capacity` bytes.
///
/// The last byte of the input is needed to decide whether a line end must be added; the
/// input itself is not read beyond what the document has read.
pub fn prepare_signature<S: Source>(
    doc: &mut Document<S>,
    opts: &SignatureOptions,
) -> Result<Prepared> {
    let input_len = doc.len();
    let last = doc
        .source_mut()
        .read_at(input_len.saturating_sub(1), 1)?
        .first()
        .copied();
    let cat_ref = doc.catalog_ref()?;
    let mut cat = doc.catalog()?;
    let (page_ref, mut page) = doc.first_page()?;
    let existing: Vec<String> = doc
        .signature_fields()?
        .into_iter()
        .map(|f| f.name)
        .collect();
    let mut up = Update::new(doc);

    let sig_ref = up.alloc();
    let field_ref = up.alloc();
    let doc_ts = opts.sub_filter == SubFilter::EtsiRfc3161;

    // The signature dictionary, laid out by hand for the placeholders.
    let mut sig = Vec::new();
    sig.extend_from_slice(if doc_ts {
        b"<</Type/DocTimeStamp"
    } else {
        b"<</Type/Sig"
    });
    sig.extend_from_slice(
        format!("/Filter/Adobe.PPKLite/SubFilter/{}", opts.sub_filter.name()).as_bytes(),
    );
    let mut extra = Dict::new();
    if !doc_ts {
        if let Some(m) = &opts.signing_time {
            extra.set(b"M", Object::string(m.as_bytes()));
        }
        for (k, v) in [
            (&b"Name"[..], &opts.name),
            (b"Reason", &opts.reason),
            (b"Location", &opts.location),
        ] {
            if let Some(v) = v {
                extra.set(k, text_string(v));
            }
        }
    }
    for (k, v) in &extra.entries {
        crate::object::write_name(&mut sig, k);
        sig.push(b' ');
        crate::object::write_object(&mut sig, v);
    }
    sig.extend_from_slice(b"/ByteRange ");
    let slot_at = sig.len();
    sig.extend(std::iter::repeat_n(b' ', BYTE_RANGE_SLOT));
    sig.extend_from_slice(b"/Contents ");
    let token_at = sig.len();
    sig.push(b'<');
    sig.extend(std::iter::repeat_n(
        b'0',
        opts.contents_capacity.saturating_mul(2),
    ));
    sig.push(b'>');
    let token_end = sig.len();
    sig.extend_from_slice(b">>");
    up.put_raw(sig_ref, sig);

    // The field, merged with its widget annotation.
    let name = match &opts.field_name {
        Some(n) => n.clone(),
        None => (1..)
            .map(|i| format!("Signature{i}"))
            .find(|n| !existing.contains(n))
            .unwrap_or_default(),
    };
    let mut field = Dict::new();
    field.set(b"FT", Object::name("Sig"));
    field.set(b"T", text_string(&name));
    field.set(b"V", Object::Ref(sig_ref));
    field.set(b"Type", Object::name("Annot"));
    field.set(b"Subtype", Object::name("Widget"));
    field.set(b"Rect", Object::Array(vec![Object::Int(0); 4]));
    field.set(b"F", Object::Int(132));
    field.set(b"P", Object::Ref(page_ref));
    up.put(field_ref, &Object::Dict(field));

    // The page's /Annots.
    match page.get(b"Annots").cloned() {
        Some(Object::Ref(ar)) => {
            let mut a = match doc.resolve(ar)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            };
            a.push(Object::Ref(field_ref));
            up.put(ar, &Object::Array(a));
        }
        other => {
            let mut a = match other {
                Some(Object::Array(a)) => a,
                _ => Vec::new(),
            };
            a.push(Object::Ref(field_ref));
            page.set(b"Annots", Object::Array(a));
            up.put(page_ref, &Object::Dict(page));
        }
    }

    // The AcroForm.
    add_field(doc, &mut up, cat_ref, &mut cat, field_ref)?;

    let app = up.finish(doc, input_len, last, opts.id)?;
    let body = app
        .body_at
        .iter()
        .find(|(r, _)| *r == sig_ref)
        .map(|(_, at)| *at)
        .ok_or(PdfError::structure("signature object not laid out"))?;
    let mut appended = app.bytes;
    let token = body + token_at..body + token_end;
    let total = input_len + appended.len() as u64;
    let a = input_len + token.start as u64;
    let b = input_len + token.end as u64;
    let byte_range = [0, a, b, total - b];
    let text = format!("[0 {a} {b} {}]", total - b);
    let slot = &mut appended[body + slot_at..body + slot_at + BYTE_RANGE_SLOT];
    if text.len() > slot.len() {
        return Err(PdfError::structure("byte range does not fit its slot"));
    }
    slot[..text.len()].copy_from_slice(text.as_bytes());
    Ok(Prepared {
        input_len,
        appended,
        token,
        byte_range,
        capacity: opts.contents_capacity,
    })
}

/// Adds `field` to the AcroForm's `/Fields` and sets `/SigFlags 3`.
fn add_field<S: Source>(
    doc: &mut Document<S>,
    up: &mut Update,
    cat_ref: ObjRef,
    cat: &mut Dict,
    field: ObjRef,
) -> Result<()> {
    let (af_ref, mut af) = match cat.get(b"AcroForm").cloned() {
        Some(Object::Ref(r)) => match doc.resolve(r) {
            Ok(Object::Dict(d)) => (Some(r), d),
            _ => (None, Dict::new()),
        },
        Some(Object::Dict(d)) => (None, d),
        _ => (None, Dict::new()),
    };
    let mut fields = match af.get(b"Fields").cloned() {
        Some(Object::Array(a)) => a,
        Some(Object::Ref(r)) => match doc.resolve(r) {
            Ok(Object::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    fields.push(Object::Ref(field));
    af.set(b"Fields", Object::Array(fields));
    af.set(b"SigFlags", Object::Int(3));
    match af_ref {
        Some(r) => up.put(r, &Object::Dict(af)),
        None => {
            let r = up.alloc();
            up.put(r, &Object::Dict(af));
            cat.set(b"AcroForm", Object::Ref(r));
            up.put(cat_ref, &Object::Dict(cat.clone()));
        }
    }
    Ok(())
}

/// Validation material for the document security store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DssAdditions {
    /// DER certificates.
    pub certs: Vec<Vec<u8>>,
    /// DER CRLs.
    pub crls: Vec<Vec<u8>>,
    /// DER OCSP responses (`OCSPResponse`).
    pub ocsps: Vec<Vec<u8>>,
}

impl DssAdditions {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

/// An incremental update that adds `add` to the document security store (a new DSS if
/// there is none; otherwise the existing one with the new items appended, items already
/// present by content not repeated). VRI dictionaries are not written (optional in
/// EN 319 142-1). Returns the bytes to append after the input.
pub fn add_dss<S: Source>(
    doc: &mut Document<S>,
    add: &DssAdditions,
    id: Option<[u8; 16]>,
) -> Result<Vec<u8>> {
    let input_len = doc.len();
    let last = doc
        .source_mut()
        .read_at(input_len.saturating_sub(1), 1)?
        .first()
        .copied();
    let cat_ref = doc.catalog_ref()?;
    let mut cat = doc.catalog()?;
    let old = doc.dss()?;
    let mut dss = match &old {
        Some(d) => match cat.get(b"DSS").map(|o| doc.get(o)) {
            Some(Ok(Object::Dict(dd))) => {
                let _ = d;
                dd
            }
            _ => Dict::new(),
        },
        None => Dict::new(),
    };
    let mut up = Update::new(doc);
    for (key, items, have) in [
        (
            &b"Certs"[..],
            &add.certs,
            old.as_ref().map(|d| d.certs.clone()).unwrap_or_default(),
        ),
        (
            b"CRLs",
            &add.crls,
            old.as_ref().map(|d| d.crls.clone()).unwrap_or_default(),
        ),
        (
            b"OCSPs",
            &add.ocsps,
            old.as_ref().map(|d| d.ocsps.clone()).unwrap_or_default(),
        ),
    ] {
        let mut existing = Vec::new();
        for r in &have {
            if let Ok(b) = doc.stream_bytes(*r) {
                existing.push(b);
            }
        }
        let mut list: Vec<Object> = have.iter().map(|r| Object::Ref(*r)).collect();
        for item in items {
            if existing.iter().any(|e| e == item) {
                continue;
            }
            existing.push(item.clone());
            let r = up.alloc();
            up.put_stream(r, Dict::new(), item);
            list.push(Object::Ref(r));
        }
        if !list.is_empty() {
            dss.set(key, Object::Array(list));
        }
    }
    if dss.get(b"Type").is_none() {
        dss.set(b"Type", Object::name("DSS"));
    }
    match old.and_then(|d| d.object) {
        Some(r) => up.put(r, &Object::Dict(dss)),
        None => {
            let r = up.alloc();
            up.put(r, &Object::Dict(dss));
            cat.set(b"DSS", Object::Ref(r));
            up.put(cat_ref, &Object::Dict(cat));
        }
    }
    Ok(up.finish(doc, input_len, last, id)?.bytes)
}
