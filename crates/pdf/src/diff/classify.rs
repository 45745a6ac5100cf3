//! Each changed object judged by its roles in the earlier and the later revision.

use std::collections::HashSet;

use super::roles::{FieldInfo, Role, Roles};
use super::{AnnotationChange, Change, ChangeKind, Diff, OtherChange};
use crate::document::Document;
use crate::error::Result;
use crate::object::{Dict, ObjRef, Object, StreamData};
use crate::source::Source;

/// Catalog keys signing and long-term validation may change (pyHanko's list).
const CATALOG_ALLOWED: [&[u8]; 6] = [
    b"AcroForm",
    b"DSS",
    b"Extensions",
    b"Metadata",
    b"MarkInfo",
    b"Version",
];

/// AcroForm keys signing and form filling may change.
const ACROFORM_ALLOWED: [&[u8]; 6] = [
    b"Fields",
    b"SigFlags",
    b"DR",
    b"DA",
    b"Q",
    b"NeedAppearances",
];

/// Field and widget keys form filling may change: value, appearance, flags.
const VALUE_KEYS: [&[u8]; 8] = [b"V", b"AP", b"AS", b"F", b"DA", b"Q", b"Ff", b"Type"];

/// Field keys any update may touch (Acrobat sets `/Ff` liberally).
const ALWAYS_KEYS: [&[u8]; 2] = [b"Ff", b"Type"];

/// Both revisions of the file and their roles.
struct Ctx<'a, S, T> {
    old: &'a mut Document<S>,
    new: &'a mut Document<T>,
    old_roles: Roles,
    new_roles: Roles,
}

pub(super) fn diff<S: Source, T: Source>(
    old: &mut Document<S>,
    new: &mut Document<T>,
) -> Result<Diff> {
    let changed = new.objects_changed_since(old);
    let old_roles = Roles::build(old);
    let new_roles = Roles::build(new);
    let mut cx = Ctx {
        old,
        new,
        old_roles,
        new_roles,
    };
    let mut out = Diff::default();
    let mut seen: HashSet<Change> = HashSet::new();
    let mut push = |out: &mut Diff, c: Change| {
        if seen.insert(c.clone()) {
            out.changes.push(c);
        }
    };
    for n in changed {
        let (og, ng) = (cx.old.generation(n), cx.new.generation(n));
        let Some(ng) = ng else {
            if og.is_some() {
                push(
                    &mut out,
                    Change {
                        object: n,
                        kind: ChangeKind::Other(OtherChange::Deleted),
                    },
                );
            }
            continue;
        };
        let Ok(new_obj) = cx.new.resolve(ObjRef {
            num: n,
            generation: ng,
        }) else {
            push(
                &mut out,
                Change {
                    object: n,
                    kind: ChangeKind::Other(OtherChange::Unreadable),
                },
            );
            continue;
        };
        let old_obj = og.and_then(|g| {
            cx.old
                .resolve(ObjRef {
                    num: n,
                    generation: g,
                })
                .ok()
        });
        let changes = match &old_obj {
            Some(o) if cx.same(o, &new_obj) => continue,
            Some(o) => cx.existing(n, o, &new_obj),
            // Written before but unreadable then: judged as changed, from nothing.
            None if og.is_some() => cx.existing(n, &Object::Null, &new_obj),
            None => cx.added(n, &new_obj),
        };
        for c in changes {
            push(&mut out, c);
        }
    }
    Ok(out)
}

fn change(object: u32, kind: ChangeKind) -> Change {
    Change { object, kind }
}

fn other(object: u32, o: OtherChange) -> Change {
    change(object, ChangeKind::Other(o))
}

fn names(keys: &[Vec<u8>]) -> Vec<String> {
    keys.iter()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect()
}

fn type_name(o: &Object) -> Option<String> {
    o.as_dict()
        .and_then(|d| d.name(b"Type"))
        .map(|t| String::from_utf8_lossy(t).into_owned())
}

fn beyond(keys: &[Vec<u8>], allowed: &[&[u8]]) -> Vec<Vec<u8>> {
    keys.iter()
        .filter(|k| !allowed.contains(&k.as_slice()))
        .cloned()
        .collect()
}

fn dict_of(o: &Object) -> Dict {
    o.as_dict().cloned().unwrap_or_default()
}

fn refs_in(o: &Object) -> Vec<ObjRef> {
    match o {
        Object::Array(a) => a.iter().filter_map(Object::as_ref).collect(),
        _ => Vec::new(),
    }
}

impl<S: Source, T: Source> Ctx<'_, S, T> {
    /// Equality of values ignoring where strings and streams lie in the file (stream
    /// data compared byte for byte).
    fn same(&mut self, a: &Object, b: &Object) -> bool {
        match (a, b) {
            (Object::String(x), Object::String(y)) => x.bytes == y.bytes,
            (Object::Array(x), Object::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| self.same(p, q))
            }
            (Object::Dict(x), Object::Dict(y)) => self.same_dict(x, y),
            (Object::Stream(x), Object::Stream(y)) => {
                self.same_dict(&x.dict, &y.dict)
                    && match (&x.data, &y.data) {
                        (StreamData::File(p), StreamData::File(q)) if p == q => true,
                        (StreamData::File(p), StreamData::File(q)) => {
                            match (
                                self.old.read_range(p.clone()),
                                self.new.read_range(q.clone()),
                            ) {
                                (Ok(u), Ok(v)) => u == v,
                                _ => false,
                            }
                        }
                        (p, q) => p == q,
                    }
            }
            _ => a == b,
        }
    }

    fn same_dict(&mut self, x: &Dict, y: &Dict) -> bool {
        x.entries.len() == y.entries.len()
            && x.entries.iter().all(|(k, v)| match y.get(k) {
                Some(w) => self.same(v, w),
                None => false,
            })
    }

    /// The keys whose values differ between two dictionaries.
    fn changed_keys(&mut self, old: &Dict, new: &Dict) -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for (k, _) in old.entries.iter().chain(&new.entries) {
            if keys.contains(k) {
                continue;
            }
            let differs = match (old.get(k), new.get(k)) {
                (Some(a), Some(b)) => !self.same(a, b),
                _ => true,
            };
            if differs {
                keys.push(k.clone());
            }
        }
        keys
    }

    /// An object of the earlier revision that the later one wrote again, differently.
    fn existing(&mut self, n: u32, old: &Object, new: &Object) -> Vec<Change> {
        let mut roles: Vec<Role> = self.old_roles.get(n).to_vec();
        for r in self.new_roles.get(n) {
            if !roles.contains(r) {
                roles.push(r.clone());
            }
        }
        if roles.is_empty() {
            let kind = match new.as_dict().and_then(|d| d.name(b"Type")) {
                Some(b"XRef" | b"ObjStm") => ChangeKind::Structure,
                // XMP metadata is rewritten by many signers (modification date, producer).
                Some(b"Metadata") => ChangeKind::Metadata,
                _ => ChangeKind::Other(OtherChange::Object {
                    type_name: type_name(new),
                }),
            };
            return vec![change(n, kind)];
        }
        let (od, nd) = (dict_of(old), dict_of(new));
        let mut out = Vec::new();
        for role in roles {
            match role {
                Role::Catalog => out.extend(self.catalog(n, &od, &nd)),
                Role::Info | Role::Xmp => out.push(change(n, ChangeKind::Metadata)),
                Role::Dss => out.push(change(n, ChangeKind::Dss)),
                Role::AcroForm => out.push(self.acroform(n, &od, &nd)),
                Role::FieldsArray => out.push(self.grown(n, old, new, "Fields")),
                Role::FieldNode(name) => {
                    // A parent field (or its /Kids) may only gain kids.
                    let ck = if matches!(new, Object::Array(_)) {
                        match self.grown(n, old, new, "Kids").kind {
                            ChangeKind::AcroForm => Vec::new(),
                            _ => vec![b"Kids".to_vec()],
                        }
                    } else {
                        let ck = self.changed_keys(&od, &nd);
                        beyond(&ck, &ALWAYS_KEYS)
                    };
                    out.push(if ck.is_empty() {
                        change(n, ChangeKind::Structure)
                    } else {
                        other(
                            n,
                            OtherChange::Field {
                                field: name,
                                keys: names(&ck),
                            },
                        )
                    });
                }
                Role::Field(info) => out.push(self.field(n, &info, &od, &nd, false)),
                Role::Widget(info) => out.push(self.field(n, &info, &od, &nd, true)),
                Role::Appearance(info) => out.push(self.fill(n, &info)),
                Role::SigValue(_) => out.push(other(n, OtherChange::Signature)),
                Role::PagesNode => out.push(other(n, OtherChange::PageTree)),
                Role::Page => {
                    let ck = self.changed_keys(&od, &nd);
                    let bad = beyond(&ck, &[b"Annots"]);
                    if bad.is_empty() {
                        out.push(change(n, ChangeKind::Structure));
                        out.extend(self.annots(n));
                    } else {
                        out.push(other(n, OtherChange::Page { keys: names(&bad) }));
                    }
                }
                Role::AnnotsArray(page) => {
                    out.push(change(n, ChangeKind::Structure));
                    out.extend(self.annots(page));
                }
                Role::Annotation { widget: false } => {
                    out.push(change(n, ChangeKind::Annotation(AnnotationChange::Changed)));
                }
                Role::Annotation { widget: true } => out.push(other(
                    n,
                    OtherChange::Object {
                        type_name: type_name(new),
                    },
                )),
                Role::PageContent => out.push(other(n, OtherChange::PageContent)),
            }
        }
        out
    }

    /// An object the earlier revision did not have: it matters through what refers to it.
    fn added(&mut self, n: u32, new: &Object) -> Vec<Change> {
        let roles = self.new_roles.get(n).to_vec();
        if roles.is_empty() {
            return vec![change(n, ChangeKind::Structure)];
        }
        let mut out = Vec::new();
        for role in roles {
            let c = match role {
                Role::Catalog => {
                    // A catalog under a new number: compared with the earlier one.
                    let old_cat = self.old_roles.catalog.and_then(|c| {
                        let g = self.old.generation(c)?;
                        self.old
                            .resolve(ObjRef {
                                num: c,
                                generation: g,
                            })
                            .ok()
                    });
                    let od = old_cat.as_ref().map(dict_of).unwrap_or_default();
                    out.extend(self.catalog(n, &od, &dict_of(new)));
                    continue;
                }
                Role::Info | Role::Xmp => change(n, ChangeKind::Metadata),
                Role::Dss => change(n, ChangeKind::Dss),
                Role::AcroForm => change(n, ChangeKind::AcroForm),
                Role::FieldsArray | Role::AnnotsArray(_) | Role::PageContent => {
                    change(n, ChangeKind::Structure)
                }
                Role::FieldNode(name) => other(n, OtherChange::NewField { field: name }),
                Role::Field(info) | Role::Widget(info) if info.is_sig() => {
                    if info.signed {
                        out.push(signing(n, &info));
                    }
                    change(
                        n,
                        ChangeKind::NewSignatureField {
                            field: info.name,
                            visible: info.visible,
                        },
                    )
                }
                Role::Field(info) | Role::Widget(info) => {
                    other(n, OtherChange::NewField { field: info.name })
                }
                Role::Appearance(info) | Role::SigValue(info) if info.is_sig() => {
                    if info.signed {
                        signing(n, &info)
                    } else {
                        change(
                            n,
                            ChangeKind::NewSignatureField {
                                field: info.name,
                                visible: info.visible,
                            },
                        )
                    }
                }
                Role::Appearance(info) | Role::SigValue(info) => {
                    change(n, ChangeKind::FormFill { field: info.name })
                }
                Role::PagesNode | Role::Page => other(n, OtherChange::PageTree),
                Role::Annotation { widget: false } => {
                    change(n, ChangeKind::Annotation(AnnotationChange::Added))
                }
                Role::Annotation { widget: true } => other(
                    n,
                    OtherChange::NewField {
                        field: String::new(),
                    },
                ),
            };
            out.push(c);
        }
        out
    }

    fn catalog(&mut self, n: u32, od: &Dict, nd: &Dict) -> Vec<Change> {
        let ck = self.changed_keys(od, nd);
        let bad = beyond(&ck, &CATALOG_ALLOWED);
        if !bad.is_empty() {
            return vec![other(n, OtherChange::Catalog { keys: names(&bad) })];
        }
        let mut out = vec![change(n, ChangeKind::Catalog { keys: names(&ck) })];
        // A direct AcroForm is judged with the catalog.
        if let (Some(Object::Dict(a)), Some(Object::Dict(b))) =
            (od.get(b"AcroForm"), nd.get(b"AcroForm"))
        {
            let (a, b) = (a.clone(), b.clone());
            out.push(self.acroform(n, &a, &b));
        }
        out
    }

    fn acroform(&mut self, n: u32, od: &Dict, nd: &Dict) -> Change {
        let ck = self.changed_keys(od, nd);
        let bad = beyond(&ck, &ACROFORM_ALLOWED);
        if !bad.is_empty() {
            return other(n, OtherChange::AcroForm { keys: names(&bad) });
        }
        match (od.get(b"Fields"), nd.get(b"Fields")) {
            (Some(a), Some(b)) => {
                let (a, b) = (
                    self.old.get(a).unwrap_or(Object::Null),
                    self.new.get(b).unwrap_or(Object::Null),
                );
                self.grown(n, &a, &b, "Fields")
            }
            (Some(_), None) => other(
                n,
                OtherChange::AcroForm {
                    keys: vec!["Fields".into()],
                },
            ),
            _ => change(n, ChangeKind::AcroForm),
        }
    }

    /// An array of references that may only gain entries (fields, kids).
    fn grown(&mut self, n: u32, old: &Object, new: &Object, key: &str) -> Change {
        let nw: HashSet<ObjRef> = refs_in(new).into_iter().collect();
        if refs_in(old).iter().all(|r| nw.contains(r)) {
            change(n, ChangeKind::AcroForm)
        } else {
            other(
                n,
                OtherChange::AcroForm {
                    keys: vec![key.into()],
                },
            )
        }
    }

    /// A field (or its widget) changed: signed into, filled, or beyond.
    fn field(&mut self, n: u32, info: &FieldInfo, od: &Dict, nd: &Dict, widget: bool) -> Change {
        let ck = self.changed_keys(od, nd);
        let was_signed = info.is_sig() && self.old_field(n).is_some_and(|f| f.signed);
        if info.is_sig() && was_signed {
            return if beyond(&ck, &ALWAYS_KEYS).is_empty() {
                change(n, ChangeKind::Structure)
            } else {
                other(
                    n,
                    OtherChange::SignedField {
                        field: info.name.clone(),
                    },
                )
            };
        }
        let mut allowed: Vec<&[u8]> = VALUE_KEYS.to_vec();
        if widget {
            // A widget carries no value of its own.
            allowed.retain(|k| *k != b"V");
        }
        let bad = beyond(&ck, &allowed);
        if !bad.is_empty() {
            return other(
                n,
                OtherChange::Field {
                    field: info.name.clone(),
                    keys: names(&bad),
                },
            );
        }
        if info.is_sig() && beyond(&ck, &ALWAYS_KEYS).is_empty() {
            return change(n, ChangeKind::Structure);
        }
        self.fill(n, info)
    }

    /// A field's value or appearance changed: signing for a signature field (not one
    /// that was signed already), form filling for the others.
    fn fill(&mut self, n: u32, info: &FieldInfo) -> Change {
        if !info.is_sig() {
            return change(
                n,
                ChangeKind::FormFill {
                    field: info.name.clone(),
                },
            );
        }
        if self.old_field_named(&info.name).is_some_and(|f| f.signed) {
            return other(
                n,
                OtherChange::SignedField {
                    field: info.name.clone(),
                },
            );
        }
        let now = self.new_field_named(&info.name).unwrap_or(info.clone());
        if now.signed {
            signing(n, &now)
        } else {
            change(n, ChangeKind::Structure)
        }
    }

    fn old_field(&self, n: u32) -> Option<FieldInfo> {
        self.old_roles.get(n).iter().find_map(|r| match r {
            Role::Field(i) | Role::Widget(i) => Some(i.clone()),
            _ => None,
        })
    }

    fn old_field_named(&self, name: &str) -> Option<FieldInfo> {
        field_named(&self.old_roles, name)
    }

    fn new_field_named(&self, name: &str) -> Option<FieldInfo> {
        field_named(&self.new_roles, name)
    }

    /// The annotations a page lost or gained: widgets may not be removed, non-widget
    /// annotations are annotation changes, an existing object put into `/Annots` is a
    /// change of its own (new objects are judged by their roles).
    fn annots(&mut self, page: u32) -> Vec<Change> {
        let old = self
            .old_roles
            .annots
            .get(&page)
            .cloned()
            .unwrap_or_default();
        let new = self
            .new_roles
            .annots
            .get(&page)
            .cloned()
            .unwrap_or_default();
        let (old_set, new_set): (HashSet<u32>, HashSet<u32>) =
            (old.iter().copied().collect(), new.iter().copied().collect());
        let mut out = Vec::new();
        for r in old.iter().filter(|r| !new_set.contains(r)) {
            let widget = self.old_roles.get(*r).iter().any(|x| {
                matches!(
                    x,
                    Role::Field(_) | Role::Widget(_) | Role::Annotation { widget: true }
                )
            });
            out.push(if widget {
                other(*r, OtherChange::WidgetRemoved)
            } else {
                change(*r, ChangeKind::Annotation(AnnotationChange::Removed))
            });
        }
        for r in new.iter().filter(|r| !old_set.contains(r)) {
            if self.old.generation(*r).is_some() {
                out.push(other(*r, OtherChange::AnnotationMoved));
            }
        }
        out
    }
}

fn field_named(roles: &Roles, name: &str) -> Option<FieldInfo> {
    roles.by_name.get(name).cloned()
}

fn signing(n: u32, info: &FieldInfo) -> Change {
    change(
        n,
        ChangeKind::Signing {
            field: info.name.clone(),
            document_timestamp: info.timestamp,
            visible: info.visible,
        },
    )
}
