//! The role of each object in one revision: what the catalog, the DSS, the AcroForm's
//! fields and the page tree reach, one level at a time (never a full reachability walk).

use std::collections::{HashMap, HashSet};

use crate::document::Document;
use crate::object::{Dict, ObjRef, Object};
use crate::signatures::text;
use crate::source::Source;

/// What the analysis knows of a terminal form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldInfo {
    /// Fully qualified name.
    pub name: String,
    /// `/FT`, inherited.
    pub ft: Option<Vec<u8>>,
    /// The field or one of its widgets has an area.
    pub visible: bool,
    /// A signature field with a `/V`.
    pub signed: bool,
    /// A signature field whose value is a document time-stamp.
    pub timestamp: bool,
}

impl FieldInfo {
    pub fn is_sig(&self) -> bool {
        self.ft.as_deref() == Some(b"Sig")
    }
}

/// A role an object has in a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Role {
    Catalog,
    Info,
    Xmp,
    Dss,
    AcroForm,
    FieldsArray,
    /// A non-terminal field, or a field's indirect `/Kids` array.
    FieldNode(String),
    Field(FieldInfo),
    Widget(FieldInfo),
    Appearance(FieldInfo),
    SigValue(FieldInfo),
    PagesNode,
    Page,
    /// The indirect `/Annots` array of the page (its object number).
    AnnotsArray(u32),
    /// An annotation on a page that is no known field or widget (`widget`: its
    /// `/Subtype` is `/Widget` all the same), or its appearance or popup.
    Annotation {
        widget: bool,
    },
    /// A content stream, resource dictionary, font or XObject a page uses.
    PageContent,
}

/// The roles of the objects of one revision, and each page's `/Annots`.
#[derive(Debug, Default)]
pub(super) struct Roles {
    pub roles: HashMap<u32, Vec<Role>>,
    /// Page object number → the annotations in its `/Annots`.
    pub annots: HashMap<u32, Vec<u32>>,
    pub catalog: Option<u32>,
    /// Terminal fields by fully qualified name.
    pub by_name: HashMap<String, FieldInfo>,
}

const RESOURCE_KINDS: [&[u8]; 7] = [
    b"Font",
    b"XObject",
    b"ExtGState",
    b"ColorSpace",
    b"Pattern",
    b"Shading",
    b"Properties",
];

impl Roles {
    pub fn get(&self, n: u32) -> &[Role] {
        self.roles.get(&n).map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, o: Option<&Object>, role: Role) {
        if let Some(r) = o.and_then(Object::as_ref) {
            self.add_num(r.num, role);
        }
    }

    fn add_num(&mut self, n: u32, role: Role) {
        let v = self.roles.entry(n).or_default();
        if !v.contains(&role) {
            v.push(role);
        }
    }

    /// Reads the roles of `doc` (best effort: what cannot be read has no role, and an
    /// object without a role is judged strictly).
    pub fn build<S: Source>(doc: &mut Document<S>) -> Self {
        let mut r = Roles::default();
        let Ok(cat_ref) = doc.catalog_ref() else {
            return r;
        };
        r.catalog = Some(cat_ref.num);
        r.add_num(cat_ref.num, Role::Catalog);
        let info = doc.trailer().get(b"Info").cloned();
        r.add(info.as_ref(), Role::Info);
        let Ok(cat) = doc.catalog() else {
            return r;
        };
        r.add(cat.get(b"Metadata"), Role::Xmp);
        r.dss(doc, &cat);
        r.fields(doc, &cat);
        r.pages(doc, &cat);
        r
    }

    fn dss<S: Source>(&mut self, doc: &mut Document<S>, cat: &Dict) {
        let Some(d) = cat.get(b"DSS") else { return };
        self.add(Some(d), Role::Dss);
        let Ok(d) = doc.get_dict(d, "DSS") else {
            return;
        };
        self.arrays(doc, &d, &[b"Certs", b"CRLs", b"OCSPs"]);
        let Some(vri) = d.get(b"VRI") else { return };
        self.add(Some(vri), Role::Dss);
        let Ok(vri) = doc.get_dict(vri, "VRI") else {
            return;
        };
        for (_, e) in vri.entries.iter().take(10_000) {
            self.add(Some(e), Role::Dss);
            if let Ok(ed) = doc.get_dict(e, "VRI entry") {
                self.arrays(doc, &ed, &[b"Cert", b"CRL", b"OCSP"]);
                self.add(ed.get(b"TS"), Role::Dss);
            }
        }
    }

    fn arrays<S: Source>(&mut self, doc: &mut Document<S>, d: &Dict, keys: &[&[u8]]) {
        for k in keys {
            let Some(v) = d.get(k) else { continue };
            self.add(Some(v), Role::Dss);
            if let Ok(Object::Array(a)) = doc.get(v) {
                for e in &a {
                    self.add(Some(e), Role::Dss);
                }
            }
        }
    }

    fn fields<S: Source>(&mut self, doc: &mut Document<S>, cat: &Dict) {
        let Some(af) = cat.get(b"AcroForm") else {
            return;
        };
        self.add(Some(af), Role::AcroForm);
        let Ok(af) = doc.get_dict(af, "AcroForm") else {
            return;
        };
        let Some(fields) = af.get(b"Fields") else {
            return;
        };
        self.add(Some(fields), Role::FieldsArray);
        let Ok(Object::Array(fields)) = doc.get(fields) else {
            return;
        };
        let budget = doc.budget.max_fields;
        let max_depth = doc.budget.max_depth;
        let mut seen = HashSet::new();
        let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
            .into_iter()
            .rev()
            .map(|f| (f, String::new(), None, 0))
            .collect();
        let mut visited = 0usize;
        while let Some((f, parent, ft, depth)) = stack.pop() {
            visited += 1;
            if visited > budget || depth > max_depth {
                return;
            }
            if let Some(r) = f.as_ref()
                && !seen.insert(r)
            {
                continue;
            }
            let Ok(d) = doc.get_dict(&f, "field") else {
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
            let kids = match d.get(b"Kids") {
                Some(k) => {
                    self.add(Some(k), Role::FieldNode(name.clone()));
                    match doc.get(k) {
                        Ok(Object::Array(a)) => a,
                        _ => Vec::new(),
                    }
                }
                None => Vec::new(),
            };
            let mut field_kids = Vec::new();
            let mut widgets = Vec::new();
            for k in kids.into_iter().take(budget) {
                match doc.get_dict(&k, "field kid") {
                    Ok(kd) if kd.get(b"T").is_some() => field_kids.push(k),
                    Ok(kd) => widgets.push((k, kd)),
                    Err(_) => {}
                }
            }
            if !field_kids.is_empty() {
                self.add(Some(&f), Role::FieldNode(name.clone()));
                for k in field_kids.into_iter().rev() {
                    stack.push((k, name.clone(), ft.clone(), depth + 1));
                }
                continue;
            }
            let visible = has_area(&d) || widgets.iter().any(|(_, w)| has_area(w));
            let value = d.get(b"V").cloned();
            let is_sig = ft.as_deref() == Some(b"Sig");
            let signed = is_sig && value.is_some();
            let sig = match (&value, is_sig) {
                (Some(v), true) => doc.get_dict(v, "signature").ok(),
                _ => None,
            };
            let timestamp = sig.as_ref().is_some_and(|s| {
                s.name(b"Type") == Some(b"DocTimeStamp")
                    || s.name(b"SubFilter") == Some(b"ETSI.RFC3161")
            });
            let info = FieldInfo {
                name,
                ft,
                visible,
                signed,
                timestamp,
            };
            self.add(Some(&f), Role::Field(info.clone()));
            self.by_name.insert(info.name.clone(), info.clone());
            self.appearance(doc, &d, &info);
            for (w, wd) in &widgets {
                self.add(Some(w), Role::Widget(info.clone()));
                self.appearance(doc, wd, &info);
            }
            if let (Some(v), Some(s)) = (&value, &sig) {
                self.add(Some(v), Role::SigValue(info.clone()));
                if let Some(refs) = s.get(b"Reference") {
                    self.add(Some(refs), Role::SigValue(info.clone()));
                    if let Ok(Object::Array(a)) = doc.get(refs) {
                        for e in a.iter().take(16) {
                            self.add(Some(e), Role::SigValue(info.clone()));
                            if let Ok(ed) = doc.get_dict(e, "signature reference") {
                                self.add(ed.get(b"TransformParams"), Role::SigValue(info.clone()));
                            }
                        }
                    }
                }
            }
        }
    }

    /// The `/AP` of a field or widget: the dictionary, its `/N /R /D` streams or state
    /// dictionaries, and their state streams.
    fn appearance<S: Source>(&mut self, doc: &mut Document<S>, d: &Dict, info: &FieldInfo) {
        let mut roles = Vec::new();
        appearance_refs(doc, d, &mut roles);
        for n in roles {
            self.add_num(n, Role::Appearance(info.clone()));
        }
    }

    fn pages<S: Source>(&mut self, doc: &mut Document<S>, cat: &Dict) {
        let Some(root) = cat.get(b"Pages") else {
            return;
        };
        let budget = doc.budget.max_objects;
        let max_depth = doc.budget.max_depth;
        let mut seen = HashSet::new();
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if seen.len() > budget || depth > max_depth {
                return;
            }
            let Some(nr) = node.as_ref() else { continue };
            if !seen.insert(nr) {
                continue;
            }
            let Ok(d) = doc.get_dict(&node, "page tree node") else {
                continue;
            };
            self.resources(doc, &d);
            if d.name(b"Type") == Some(b"Page") || d.get(b"Kids").is_none() {
                self.page(doc, nr, &d);
                continue;
            }
            self.add_num(nr.num, Role::PagesNode);
            if let Some(k) = d.get(b"Kids") {
                self.add(Some(k), Role::PagesNode);
                if let Ok(Object::Array(a)) = doc.get(k) {
                    for kid in a.into_iter().rev() {
                        stack.push((kid, depth + 1));
                    }
                }
            }
        }
    }

    fn resources<S: Source>(&mut self, doc: &mut Document<S>, d: &Dict) {
        if let Some(c) = d.get(b"Contents") {
            self.add(Some(c), Role::PageContent);
            if let Ok(Object::Array(a)) = doc.get(c) {
                for e in &a {
                    self.add(Some(e), Role::PageContent);
                }
            }
        }
        let Some(res) = d.get(b"Resources") else {
            return;
        };
        self.add(Some(res), Role::PageContent);
        let Ok(res) = doc.get_dict(res, "resources") else {
            return;
        };
        for k in RESOURCE_KINDS {
            let Some(sub) = res.get(k) else { continue };
            self.add(Some(sub), Role::PageContent);
            if let Ok(sd) = doc.get_dict(sub, "resource") {
                for (_, v) in sd.entries.iter().take(10_000) {
                    self.add(Some(v), Role::PageContent);
                }
            }
        }
    }

    fn page<S: Source>(&mut self, doc: &mut Document<S>, r: ObjRef, d: &Dict) {
        self.add_num(r.num, Role::Page);
        let Some(a) = d.get(b"Annots") else {
            self.annots.insert(r.num, Vec::new());
            return;
        };
        self.add(Some(a), Role::AnnotsArray(r.num));
        let list = match doc.get(a) {
            Ok(Object::Array(a)) => a,
            _ => Vec::new(),
        };
        let mut nums = Vec::new();
        for e in list.iter().take(100_000) {
            let Some(er) = e.as_ref() else { continue };
            nums.push(er.num);
            let known = self.get(er.num).iter().any(|x| {
                matches!(
                    x,
                    Role::Field(_) | Role::Widget(_) | Role::FieldNode(_) | Role::Annotation { .. }
                )
            });
            if known {
                continue;
            }
            let Ok(ad) = doc.get_dict(e, "annotation") else {
                continue;
            };
            let role = Role::Annotation {
                widget: ad.name(b"Subtype") == Some(b"Widget"),
            };
            self.add_num(er.num, role.clone());
            self.add(ad.get(b"Popup"), role.clone());
            let mut aps = Vec::new();
            appearance_refs(doc, &ad, &mut aps);
            for n in aps {
                self.add_num(n, role.clone());
            }
        }
        self.annots.insert(r.num, nums);
    }
}

fn appearance_refs<S: Source>(doc: &mut Document<S>, d: &Dict, out: &mut Vec<u32>) {
    let Some(ap) = d.get(b"AP") else { return };
    if let Some(r) = ap.as_ref() {
        out.push(r.num);
    }
    let Ok(apd) = doc.get_dict(ap, "appearance") else {
        return;
    };
    for k in [&b"N"[..], b"R", b"D"] {
        let Some(v) = apd.get(k) else { continue };
        if let Some(r) = v.as_ref() {
            out.push(r.num);
        }
        // A state dictionary (checkbox /On /Off) rather than a stream.
        if let Ok(Object::Dict(states)) = doc.get(v) {
            for (_, s) in states.entries.iter().take(64) {
                if let Some(r) = s.as_ref() {
                    out.push(r.num);
                }
            }
        }
    }
}

/// Whether an annotation's `/Rect` has an area.
pub(super) fn has_area(d: &Dict) -> bool {
    let Some(Object::Array(r)) = d.get(b"Rect") else {
        return false;
    };
    let n: Vec<f64> = r
        .iter()
        .filter_map(|v| match v {
            Object::Int(i) => Some(*i as f64),
            Object::Real(x) => Some(*x),
            _ => None,
        })
        .collect();
    match n.as_slice() {
        [x1, y1, x2, y2] => ((x1 - x2) * (y1 - y2)).abs() > 0.0,
        _ => false,
    }
}
