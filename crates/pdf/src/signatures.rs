//! What signing and verification read: the catalog, the first page, signature fields and
//! their signature dictionaries, `/Perms` and the DSS dictionary.

use std::collections::HashSet;
use std::ops::Range;

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::source::Source;

/// The `/Type` of a signature dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigType {
    /// `/Type /Sig` (or no `/Type`: the default for a signature dictionary).
    Sig,
    /// `/Type /DocTimeStamp` (or `/SubFilter /ETSI.RFC3161` without `/Type`): a document
    /// time-stamp.
    DocTimeStamp,
}

/// A signature dictionary (`/V` of a signature field).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SignatureDict {
    /// The indirect object holding it, if it is one.
    pub object: Option<ObjRef>,
    /// Signature or document time-stamp.
    pub sig_type: SigType,
    /// `/Filter` (e.g. `Adobe.PPKLite`).
    pub filter: Option<String>,
    /// `/SubFilter` (`ETSI.CAdES.detached`, `adbe.pkcs7.detached`, `ETSI.RFC3161`, …).
    pub sub_filter: Option<String>,
    /// `/ByteRange`, as written (any number of integers; valid ones have four).
    pub byte_range: Option<Vec<i64>>,
    /// The decoded `/Contents` bytes (the CMS or time-stamp token, with its zero padding).
    pub contents: Option<Vec<u8>>,
    /// The absolute byte range of the `/Contents` string token in the file, delimiters
    /// included (`<` … `>`), when the dictionary is read directly from the file.
    pub contents_span: Option<Range<u64>>,
    /// `/M`, the claimed signing time, as written (`D:YYYYMMDDHHmmSS…`).
    pub m: Option<String>,
    /// `/Name`.
    pub name: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// `/ContactInfo`.
    pub contact_info: Option<String>,
    /// The DocMDP permission `/P` (1, 2 or 3) of a `/Reference` with `/TransformMethod /DocMDP`.
    pub docmdp: Option<i64>,
    /// Whether a `/Reference` has `/TransformMethod /FieldMDP`.
    pub fieldmdp: bool,
    /// The fields locked once this signature is made: the FieldMDP `/TransformParams` of
    /// a `/Reference`, else the signature field's `/Lock` dictionary.
    pub field_lock: Option<FieldLock>,
    /// `/P` of the signature field's `/Lock` dictionary (PDF 2.0): a DocMDP level the
    /// signature asks for without being a certification signature.
    pub lock_p: Option<i64>,
}

/// What a FieldMDP lock applies to (`/Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockAction {
    /// `/All`: every field.
    All,
    /// `/Include`: the fields named.
    Include,
    /// `/Exclude`: every field but those named.
    Exclude,
}

/// A FieldMDP lock: the fields that may not change after the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldLock {
    /// `/Action`.
    pub action: LockAction,
    /// `/Fields`: fully qualified field names.
    pub fields: Vec<String>,
}

impl FieldLock {
    /// Reads a `/Lock` or FieldMDP `/TransformParams` dictionary (`None` without a known
    /// `/Action`).
    pub fn from_dict(d: &Dict) -> Option<Self> {
        let action = match d.name(b"Action")? {
            b"All" => LockAction::All,
            b"Include" => LockAction::Include,
            b"Exclude" => LockAction::Exclude,
            _ => return None,
        };
        let fields = match d.get(b"Fields") {
            Some(Object::Array(a)) => a
                .iter()
                .filter_map(|f| match f {
                    Object::String(s) => Some(text(&s.bytes)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(FieldLock { action, fields })
    }

    /// Whether the field `name` (fully qualified) is locked.
    pub fn locks(&self, name: &str) -> bool {
        let named = self.fields.iter().any(|f| f == name);
        match self.action {
            LockAction::All => true,
            LockAction::Include => named,
            LockAction::Exclude => !named,
        }
    }
}

/// A signature field (`/FT /Sig`) of the AcroForm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SignatureField {
    /// The field's fully qualified name (`/T` of it and its parents, joined with `.`).
    pub name: String,
    /// The field's object, when indirect.
    pub field: Option<ObjRef>,
    /// Its signature dictionary, if the field is signed.
    pub value: Option<SignatureDict>,
}

/// The document security store (`/DSS` of the catalog): references to its streams.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Dss {
    /// The DSS dictionary's object, when indirect.
    pub object: Option<ObjRef>,
    /// `/Certs`: streams of DER certificates.
    pub certs: Vec<ObjRef>,
    /// `/CRLs`: streams of DER CRLs.
    pub crls: Vec<ObjRef>,
    /// `/OCSPs`: streams of DER OCSP responses.
    pub ocsps: Vec<ObjRef>,
    /// The keys of `/VRI` (upper-case hex SHA-1 of signature values).
    pub vri_keys: Vec<String>,
}

/// Text of a PDF text string: UTF-16BE (with BOM), UTF-8 (with BOM), else bytes as Latin-1.
pub fn text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

fn refs(o: Option<&Object>) -> Vec<ObjRef> {
    match o {
        Some(Object::Array(a)) => a.iter().filter_map(Object::as_ref).collect(),
        _ => Vec::new(),
    }
}

impl<S: Source> Document<S> {
    /// The reference of the catalog (trailer `/Root`).
    pub fn catalog_ref(&self) -> Result<ObjRef> {
        self.trailer()
            .get(b"Root")
            .and_then(Object::as_ref)
            .ok_or(PdfError::structure("trailer has no /Root reference"))
    }

    /// The catalog dictionary.
    pub fn catalog(&mut self) -> Result<Dict> {
        let r = self.catalog_ref()?;
        self.get_dict(&Object::Ref(r), "the catalog (/Root) is not a dictionary")
    }

    /// The first page of the page tree and its dictionary.
    pub fn first_page(&mut self) -> Result<(ObjRef, Dict)> {
        let cat = self.catalog()?;
        let mut node = cat
            .get(b"Pages")
            .and_then(Object::as_ref)
            .ok_or(PdfError::structure("catalog has no /Pages"))?;
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(node) || seen.len() > self.budget.max_depth {
                return Err(PdfError::structure("page tree loops or is too deep"));
            }
            let d = self.get_dict(&Object::Ref(node), "page tree node is not a dictionary")?;
            match d.get(b"Kids") {
                Some(Object::Array(k)) if d.name(b"Type") != Some(b"Page") => {
                    node = k
                        .first()
                        .and_then(Object::as_ref)
                        .ok_or(PdfError::structure("page tree node has no kids"))?;
                }
                Some(Object::Ref(kr)) if d.name(b"Type") != Some(b"Page") => {
                    let k = self.resolve(*kr)?;
                    let Object::Array(k) = k else {
                        return Err(PdfError::structure("/Kids is not an array"));
                    };
                    node = k
                        .first()
                        .and_then(Object::as_ref)
                        .ok_or(PdfError::structure("page tree node has no kids"))?;
                }
                _ => return Ok((node, d)),
            }
        }
    }

    /// Every signature field of the AcroForm (`/Fields` and their `/Kids`), in tree order.
    pub fn signature_fields(&mut self) -> Result<Vec<SignatureField>> {
        let cat = self.catalog()?;
        let Some(af) = cat.get(b"AcroForm") else {
            return Ok(Vec::new());
        };
        let af = match self.get(af) {
            Ok(Object::Dict(d)) => d,
            _ => return Ok(Vec::new()),
        };
        let fields = match af.get(b"Fields").map(|f| self.get(f)) {
            Some(Ok(Object::Array(a))) => a,
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut visited = 0usize;
        // (field, parent name, inherited /FT, depth)
        let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
            .into_iter()
            .rev()
            .map(|f| (f, String::new(), None, 0))
            .collect();
        while let Some((f, parent, ft, depth)) = stack.pop() {
            visited += 1;
            if visited > self.budget.max_fields || depth > self.budget.max_depth {
                return Err(PdfError::Budget {
                    what: "form fields",
                    limit: self.budget.max_fields as u64,
                });
            }
            let fref = f.as_ref();
            if let Some(r) = fref
                && !seen.insert(r)
            {
                continue;
            }
            let Ok(Object::Dict(d)) = self.get(&f) else {
                continue;
            };
            let partial = match d.get(b"T") {
                Some(Object::String(s)) => text(&s.bytes),
                _ => String::new(),
            };
            let name = match (parent.is_empty(), partial.is_empty()) {
                (true, _) => partial,
                (false, true) => parent.clone(),
                (false, false) => format!("{parent}.{partial}"),
            };
            let ft = d.name(b"FT").map(<[u8]>::to_vec).or(ft);
            let kids = match d.get(b"Kids").map(|k| self.get(k)) {
                Some(Ok(Object::Array(a))) => a,
                _ => Vec::new(),
            };
            // Kids that are fields (have /T or /FT) are walked; widget-only kids are not fields.
            let mut field_kids = Vec::new();
            for k in kids {
                if let Ok(Object::Dict(kd)) = self.get(&k)
                    && (kd.get(b"T").is_some() || kd.get(b"FT").is_some())
                {
                    field_kids.push(k);
                }
            }
            if !field_kids.is_empty() {
                for k in field_kids.into_iter().rev() {
                    stack.push((k, name.clone(), ft.clone(), depth + 1));
                }
                continue;
            }
            if ft.as_deref() != Some(b"Sig") {
                continue;
            }
            let mut value = match d.get(b"V") {
                Some(v @ (Object::Ref(_) | Object::Dict(_))) => self.signature_dict(v).ok(),
                _ => None,
            };
            // The field's /Lock (PDF 1.5 FieldMDP for a field, PDF 2.0 /P).
            if let Some(v) = &mut value
                && let Some(Ok(lock)) = d.get(b"Lock").map(|l| self.get_dict(l, "/Lock"))
            {
                v.lock_p = lock.int(b"P");
                if v.field_lock.is_none() {
                    v.field_lock = FieldLock::from_dict(&lock);
                }
            }
            out.push(SignatureField {
                name,
                field: fref,
                value,
            });
        }
        Ok(out)
    }

    /// Reads the signature dictionary `o` is or references.
    pub fn signature_dict(&mut self, o: &Object) -> Result<SignatureDict> {
        let d = self.get_dict(o, "signature value is not a dictionary")?;
        let s = |k: &[u8]| match d.get(k) {
            Some(Object::String(s)) => Some(text(&s.bytes)),
            _ => None,
        };
        let n = |k: &[u8]| d.name(k).map(|n| String::from_utf8_lossy(n).into_owned());
        let byte_range = match d.get(b"ByteRange") {
            Some(Object::Array(a)) => Some(
                a.iter()
                    .map(|v| if let Object::Int(i) = v { *i } else { -1 })
                    .collect(),
            ),
            _ => None,
        };
        let (contents, contents_span) = match d.get(b"Contents") {
            Some(Object::String(c)) => (Some(c.bytes.clone()), c.span.clone()),
            _ => (None, None),
        };
        let mut docmdp = None;
        let mut fieldmdp = false;
        let mut field_lock = None;
        if let Some(Object::Array(refs)) = d.get(b"Reference").map(|r| self.get(r)).transpose()? {
            for r in refs.iter().take(16) {
                let Ok(rd) = self.get_dict(r, "signature reference is not a dictionary") else {
                    continue;
                };
                match rd.name(b"TransformMethod") {
                    Some(b"DocMDP") => {
                        let p = match rd
                            .get(b"TransformParams")
                            .map(|t| self.get_dict(t, "/TransformParams"))
                        {
                            Some(Ok(tp)) => tp.int(b"P"),
                            _ => None,
                        };
                        docmdp = Some(p.unwrap_or(2));
                    }
                    Some(b"FieldMDP") => {
                        fieldmdp = true;
                        if let Some(Ok(tp)) = rd
                            .get(b"TransformParams")
                            .map(|t| self.get_dict(t, "/TransformParams"))
                        {
                            field_lock = FieldLock::from_dict(&tp);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(SignatureDict {
            object: o.as_ref(),
            // A document time-stamp written without /Type is known by its /SubFilter.
            sig_type: if d.name(b"Type") == Some(b"DocTimeStamp")
                || d.name(b"SubFilter") == Some(b"ETSI.RFC3161")
            {
                SigType::DocTimeStamp
            } else {
                SigType::Sig
            },
            filter: n(b"Filter"),
            sub_filter: n(b"SubFilter"),
            byte_range,
            contents,
            contents_span,
            m: s(b"M"),
            name: s(b"Name"),
            reason: s(b"Reason"),
            location: s(b"Location"),
            contact_info: s(b"ContactInfo"),
            docmdp,
            fieldmdp,
            field_lock,
            lock_p: None,
        })
    }

    /// The signature dictionaries of the document: each signed field's value once, even
    /// when several fields reference the same dictionary.
    pub fn signatures(&mut self) -> Result<Vec<SignatureDict>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for f in self.signature_fields()? {
            let Some(v) = f.value else { continue };
            if let Some(r) = v.object
                && !seen.insert(r)
            {
                continue;
            }
            out.push(v);
        }
        Ok(out)
    }

    /// The catalog's `/Perms /DocMDP` reference (a certification signature), if any.
    pub fn perms_docmdp(&mut self) -> Result<Option<ObjRef>> {
        let cat = self.catalog()?;
        let Some(p) = cat.get(b"Perms") else {
            return Ok(None);
        };
        let p = self.get_dict(p, "/Perms is not a dictionary")?;
        Ok(p.get(b"DocMDP").and_then(Object::as_ref))
    }

    /// The document security store, if the catalog has one.
    pub fn dss(&mut self) -> Result<Option<Dss>> {
        let cat = self.catalog()?;
        let Some(o) = cat.get(b"DSS") else {
            return Ok(None);
        };
        let object = o.as_ref();
        let d = self.get_dict(o, "/DSS is not a dictionary")?;
        let mut arr = |k: &[u8]| -> Result<Vec<ObjRef>> {
            match d.get(k) {
                Some(Object::Ref(r)) => Ok(refs(Some(&self.resolve(*r)?))),
                other => Ok(refs(other)),
            }
        };
        let certs = arr(b"Certs")?;
        let crls = arr(b"CRLs")?;
        let ocsps = arr(b"OCSPs")?;
        let vri_keys = match d.get(b"VRI").map(|v| self.get(v)) {
            Some(Ok(Object::Dict(v))) => v
                .entries
                .iter()
                .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
                .collect(),
            _ => Vec::new(),
        };
        Ok(Some(Dss {
            object,
            certs,
            crls,
            ocsps,
            vri_keys,
        }))
    }

    /// The decoded data of the stream object `r` (a DSS certificate, CRL or OCSP response).
    pub fn stream_bytes(&mut self, r: ObjRef) -> Result<Vec<u8>> {
        match self.resolve(r)? {
            Object::Stream(s) => self.stream_data(&s),
            _ => Err(PdfError::structure("object is not a stream")),
        }
    }
}
