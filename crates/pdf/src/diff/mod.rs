//! Modification analysis: what the incremental updates after a revision changed, each
//! change classified, and the level of the whole (after pyHanko's `ModificationLevel`).
//!
//! [`diff`] compares a revision (a [`Document`] opened over a prefix of the file) with a
//! later one. Every object whose cross-reference entry differs is read in both and, when
//! not identical, classified by the **role** it has in either revision (catalog, document
//! information, XMP metadata, DSS, AcroForm, form field, widget, appearance stream,
//! signature dictionary, page tree node, page, a page's `/Annots`, annotation, page
//! content or resource), never by what it claims alone:
//!
//! | level | changes |
//! |---|---|
//! | [`ModificationLevel::None`] | cross-reference and object streams, new objects nothing in use refers to, a page or AcroForm that only gained entries in `/Annots` / `/Fields` |
//! | [`ModificationLevel::LtaUpdates`] | the DSS and its VRI, document information and XMP metadata, allowed catalog keys, a document time-stamp into an invisible field, a new invisible signature field |
//! | [`ModificationLevel::FormFilling`] | a signature into an empty signature field (and its widget and appearance), a new visible signature field, a text/choice/button field's `/V` and its widgets' `/AP`, `/AS` |
//! | [`ModificationLevel::Annotations`] | a non-widget annotation added to, changed on or removed from an existing page |
//! | [`ModificationLevel::Other`] | anything else: a deleted object, page content, resources, fonts or XObjects a page uses (shadow attacks replace those), the page tree, new pages, catalog keys beyond `/AcroForm /DSS /Extensions /Metadata /MarkInfo /Version`, a signed field or signature dictionary changed, new non-signature fields, removed fields or widgets, other keys of fields and widgets, any other existing object |
//!
//! The module knows no cryptography and no permissions: the caller compares the level
//! with a certification signature's DocMDP `/P` and each change's
//! [`Change::locked_field`] with FieldMDP locks.

mod classify;
mod roles;

use std::fmt;

use crate::document::Document;
use crate::error::Result;
use crate::source::Source;

/// How far a document was modified (ordered: each level allows the ones below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModificationLevel {
    /// Nothing that changes the document (container bookkeeping only).
    None,
    /// Long-term validation: DSS, VRI, document time-stamps, metadata.
    LtaUpdates,
    /// Form filling and signing.
    FormFilling,
    /// Creating, changing or deleting annotations (other than widgets).
    Annotations,
    /// Anything else: the document itself changed.
    Other,
}

impl ModificationLevel {
    /// The level's name in reports (`none`, `lta-updates`, `form-filling`,
    /// `annotations`, `other`).
    pub fn name(self) -> &'static str {
        match self {
            ModificationLevel::None => "none",
            ModificationLevel::LtaUpdates => "lta-updates",
            ModificationLevel::FormFilling => "form-filling",
            ModificationLevel::Annotations => "annotations",
            ModificationLevel::Other => "other",
        }
    }

    /// The level a DocMDP permission `/P` allows: 1 → [`ModificationLevel::LtaUpdates`],
    /// 2 → [`ModificationLevel::FormFilling`], 3 → [`ModificationLevel::Annotations`];
    /// another value is read as 2, the default of ISO 32000-1 12.8.2.2.
    pub fn from_docmdp(p: i64) -> Self {
        match p {
            1 => ModificationLevel::LtaUpdates,
            3 => ModificationLevel::Annotations,
            _ => ModificationLevel::FormFilling,
        }
    }
}

impl fmt::Display for ModificationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One object changed, added or deleted after the earlier revision, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Change {
    /// The object number.
    pub object: u32,
    /// What changed.
    pub kind: ChangeKind,
}

/// What a change is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// Container bookkeeping: a cross-reference or object stream, a new object nothing in
    /// use refers to (yet), a page or AcroForm that only gained `/Annots` / `/Fields`
    /// entries (the entries are judged on their own).
    Structure,
    /// The document information dictionary or the XMP metadata stream.
    Metadata,
    /// The catalog, changed only in the keys named (`AcroForm`, `DSS`, `Extensions`,
    /// `Metadata`, `MarkInfo`, `Version`).
    Catalog {
        /// The changed keys.
        keys: Vec<String>,
    },
    /// The AcroForm changed in `/Fields` (only grown), `/SigFlags`, `/DR`, `/DA`, `/Q`,
    /// `/NeedAppearances`.
    AcroForm,
    /// The document security store, a VRI dictionary, or their streams.
    Dss,
    /// A new signature field (with its widget and appearance).
    NewSignatureField {
        /// Its fully qualified name.
        field: String,
        /// Its widget has an area (`/Rect`).
        visible: bool,
    },
    /// A signature or document time-stamp into an empty signature field: the field's
    /// `/V`, its widget and appearance, the signature dictionary.
    Signing {
        /// The field's fully qualified name.
        field: String,
        /// A document time-stamp (`/Type /DocTimeStamp` or `/SubFilter /ETSI.RFC3161`).
        document_timestamp: bool,
        /// The field has an area.
        visible: bool,
    },
    /// A form field's value or appearance (`/V`, `/AP`, `/AS`, `/F`, `/DA`, `/Q`, `/Ff`)
    /// of a text, choice or button field, or of its widget.
    FormFill {
        /// The field's fully qualified name.
        field: String,
    },
    /// A non-widget annotation on an existing page.
    Annotation(AnnotationChange),
    /// A change no permission allows.
    Other(OtherChange),
}

/// What happened to an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnnotationChange {
    /// Added to a page's `/Annots`.
    Added,
    /// The annotation (or its appearance) changed.
    Changed,
    /// Removed from a page's `/Annots`.
    Removed,
}

/// A change beyond every permission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtherChange {
    /// The object was deleted (freed).
    Deleted,
    /// The object cannot be read in the later revision.
    Unreadable,
    /// A node of the page tree (`/Type /Pages`) changed, or a page was added to it.
    PageTree,
    /// A page changed in keys other than `/Annots`.
    Page {
        /// The changed keys.
        keys: Vec<String>,
    },
    /// Content a page shows changed: a content stream, a resource dictionary, a font or
    /// XObject it uses (the "replace" shadow attack).
    PageContent,
    /// The catalog changed in keys no permission allows.
    Catalog {
        /// Those keys.
        keys: Vec<String>,
    },
    /// The AcroForm changed in other keys, or lost fields.
    AcroForm {
        /// The changed keys.
        keys: Vec<String>,
    },
    /// A new form field that is not a signature field.
    NewField {
        /// Its fully qualified name.
        field: String,
    },
    /// A form field changed beyond its value and appearance.
    Field {
        /// Its fully qualified name.
        field: String,
        /// The changed keys.
        keys: Vec<String>,
    },
    /// A signed signature field changed.
    SignedField {
        /// Its fully qualified name.
        field: String,
    },
    /// An existing signature dictionary changed.
    Signature,
    /// A widget was removed from a page.
    WidgetRemoved,
    /// An existing object was put into a page's `/Annots`.
    AnnotationMoved,
    /// Any other existing object changed.
    Object {
        /// Its `/Type`, if it has one.
        type_name: Option<String>,
    },
}

impl ChangeKind {
    /// The level this change needs.
    pub fn level(&self) -> ModificationLevel {
        use ModificationLevel as L;
        match self {
            ChangeKind::Structure => L::None,
            ChangeKind::Metadata | ChangeKind::Catalog { .. } | ChangeKind::AcroForm => {
                L::LtaUpdates
            }
            ChangeKind::Dss => L::LtaUpdates,
            ChangeKind::NewSignatureField { visible, .. } => {
                if *visible {
                    L::FormFilling
                } else {
                    L::LtaUpdates
                }
            }
            ChangeKind::Signing {
                document_timestamp,
                visible,
                ..
            } => {
                if *document_timestamp && !*visible {
                    L::LtaUpdates
                } else {
                    L::FormFilling
                }
            }
            ChangeKind::FormFill { .. } => L::FormFilling,
            ChangeKind::Annotation(_) => L::Annotations,
            ChangeKind::Other(_) => L::Other,
        }
    }
}

impl Change {
    /// The level this change needs.
    pub fn level(&self) -> ModificationLevel {
        self.kind.level()
    }

    /// The form field this change fills or signs, for FieldMDP locks: a field's value or
    /// appearance, a signature into a field, a new visible signature field. Invisible
    /// document time-stamps and invisible new signature fields change no field a lock
    /// protects (as pyHanko judges).
    pub fn locked_field(&self) -> Option<&str> {
        match &self.kind {
            ChangeKind::FormFill { field } => Some(field),
            ChangeKind::Signing {
                field,
                document_timestamp,
                visible,
            } if !*document_timestamp || *visible => Some(field),
            ChangeKind::NewSignatureField {
                field,
                visible: true,
            } => Some(field),
            _ => None,
        }
    }
}

fn keys(k: &[String]) -> String {
    k.iter()
        .map(|k| format!("/{k}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::Structure => f.write_str("cross-reference or object stream, or new object"),
            ChangeKind::Metadata => f.write_str("document metadata updated"),
            ChangeKind::Catalog { keys: k } => write!(f, "catalog {} updated", keys(k)),
            ChangeKind::AcroForm => f.write_str("AcroForm fields or defaults updated"),
            ChangeKind::Dss => f.write_str("DSS / VRI validation data added"),
            ChangeKind::NewSignatureField { field, visible } => write!(
                f,
                "new {} signature field '{field}'",
                if *visible { "visible" } else { "invisible" }
            ),
            ChangeKind::Signing {
                field,
                document_timestamp,
                ..
            } => write!(
                f,
                "{} into signature field '{field}'",
                if *document_timestamp {
                    "document time-stamp"
                } else {
                    "signature"
                }
            ),
            ChangeKind::FormFill { field } => write!(f, "form field '{field}' filled"),
            ChangeKind::Annotation(a) => write!(
                f,
                "annotation {}",
                match a {
                    AnnotationChange::Added => "added",
                    AnnotationChange::Changed => "changed",
                    AnnotationChange::Removed => "removed",
                }
            ),
            ChangeKind::Other(o) => match o {
                OtherChange::Deleted => f.write_str("deleted"),
                OtherChange::Unreadable => f.write_str("unreadable"),
                OtherChange::PageTree => f.write_str("page tree changed"),
                OtherChange::Page { keys: k } => write!(f, "page changed in {}", keys(k)),
                OtherChange::PageContent => {
                    f.write_str("page content, resource, font or XObject changed")
                }
                OtherChange::Catalog { keys: k } => write!(f, "catalog changed in {}", keys(k)),
                OtherChange::AcroForm { keys: k } => {
                    write!(f, "AcroForm changed in {} or lost fields", keys(k))
                }
                OtherChange::NewField { field } => {
                    write!(f, "new form field '{field}' (not a signature field)")
                }
                OtherChange::Field { field, keys: k } => {
                    write!(f, "form field '{field}' changed in {}", keys(k))
                }
                OtherChange::SignedField { field } => {
                    write!(f, "signed field '{field}' changed")
                }
                OtherChange::Signature => f.write_str("signature dictionary changed"),
                OtherChange::WidgetRemoved => f.write_str("widget removed from a page"),
                OtherChange::AnnotationMoved => {
                    f.write_str("existing object put into a page's /Annots")
                }
                OtherChange::Object { type_name } => match type_name {
                    Some(t) => write!(f, "object (/{t}) changed"),
                    None => f.write_str("object changed"),
                },
            },
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "object {}: {}", self.object, self.kind)
    }
}

/// The changes from one revision to a later one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Diff {
    /// Each changed, added or deleted object (identical rewrites left out), by object
    /// number; an object may have several changes (one per role).
    pub changes: Vec<Change>,
}

impl Diff {
    /// The highest level of the changes ([`ModificationLevel::None`] without any).
    pub fn level(&self) -> ModificationLevel {
        self.changes
            .iter()
            .map(Change::level)
            .max()
            .unwrap_or(ModificationLevel::None)
    }

    /// Adds the changes of `other` not already listed (to combine the diffs of several
    /// later revisions against one earlier revision).
    pub fn merge(&mut self, other: Diff) {
        let mut seen: std::collections::HashSet<Change> = self.changes.iter().cloned().collect();
        for c in other.changes {
            if seen.insert(c.clone()) {
                self.changes.push(c);
            }
        }
    }
}

/// The changes from `old` (an earlier revision: the same file opened over a prefix) to
/// `new` (see the module docs). Identical rewrites of an object are no change.
pub fn diff<S: Source, T: Source>(old: &mut Document<S>, new: &mut Document<T>) -> Result<Diff> {
    classify::diff(old, new)
}
