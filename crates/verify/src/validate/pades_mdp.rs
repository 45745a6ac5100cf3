//! What a PDF signature permits after it: the DocMDP level and the FieldMDP locks, and the
//! changes of the later revisions (`kenpo_pdf::diff`) judged against them.
//!
//! * The level: the certification signature's DocMDP `/P` (its `/Reference` with
//!   `/TransformMethod /DocMDP`, or the one the catalog's `/Perms /DocMDP` names, `/P` 2
//!   when absent) — 1: long-term validation only (DSS, VRI, document time-stamps), 2: also
//!   form filling and signing, 3: also annotations — and any `/Lock /P` (PDF 2.0) of the
//!   signature's own field or an earlier one; the lowest applies. Without any, form
//!   filling and signing: what pyHanko allows by default (its `docmdp_ok` is true up to
//!   `FORM_FILLING` when no DocMDP is set, and its default difference policy explains no
//!   annotation change, so an added annotation fails an approval signature there too).
//! * The locks: the FieldMDP `/TransformParams` (or the field's `/Lock`) of the signature
//!   and of every earlier one; a change that fills or signs a locked field fails it.
//!
//! Every revision after the signed one is compared with it (so an intermediate revision's
//! change that a later one undoes is still seen).

use kenpo_pdf::{Budget, Change, Diff, Document, FieldLock, ModificationLevel, SignatureDict};

/// One change after a signature, and whether the signature's permissions allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Modification {
    /// What changed (object number, kind; `Display` for reports).
    pub change: Change,
    /// Allowed: within the permitted level and not in a locked field.
    pub permitted: bool,
}

/// What the signatures at or before one signature permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Permissions {
    pub level: ModificationLevel,
    pub locks: Vec<FieldLock>,
}

/// The permissions for the signature ending at `end`: those of every signature whose
/// revision ends at or before it (`sigs` with their revision ends), `certification` the
/// object the catalog's `/Perms /DocMDP` names.
pub(super) fn permissions(
    sigs: &[(&SignatureDict, u64)],
    certification: Option<kenpo_pdf::ObjRef>,
    end: u64,
) -> Permissions {
    // Without any DocMDP or /Lock /P: form filling and signing (pyHanko's default).
    let mut level: Option<ModificationLevel> = None;
    let mut locks = Vec::new();
    for (s, e) in sigs {
        if *e > end {
            continue;
        }
        let p = s
            .docmdp
            .or_else(|| (s.object.is_some() && s.object == certification).then_some(2));
        for p in p.into_iter().chain(s.lock_p) {
            let l = ModificationLevel::from_docmdp(p);
            level = Some(level.map_or(l, |x| x.min(l)));
        }
        if let Some(l) = &s.field_lock {
            locks.push(l.clone());
        }
    }
    Permissions {
        level: level.unwrap_or(ModificationLevel::FormFilling),
        locks,
    }
}

/// Every change the revisions after the one ending at `end` made (each later revision,
/// ending at one of `revision_ends`, compared with it), judged against `perms`.
pub(super) fn modifications(
    pdf: &[u8],
    end: usize,
    revision_ends: &[u64],
    perms: &Permissions,
) -> Result<Vec<Modification>, kenpo_pdf::PdfError> {
    // `end` is within the file (the caller clamps it); a slice past it would be the file.
    let mut old = Document::open(pdf.get(..end).unwrap_or(pdf), Budget::default())?;
    let mut all = Diff::default();
    let mut ends: Vec<usize> = revision_ends
        .iter()
        .filter_map(|e| usize::try_from(*e).ok())
        .filter(|e| *e > end && *e < pdf.len())
        .collect();
    ends.sort_unstable();
    ends.dedup();
    for e in ends {
        // An intermediate revision that cannot be read alone is judged in the whole file.
        if let Ok(mut new) = Document::open(pdf.get(..e).unwrap_or(pdf), Budget::default())
            && let Ok(d) = kenpo_pdf::diff(&mut old, &mut new)
        {
            all.merge(d);
        }
    }
    let mut new = Document::open(pdf, Budget::default())?;
    all.merge(kenpo_pdf::diff(&mut old, &mut new)?);
    Ok(all
        .changes
        .into_iter()
        .filter(|c| c.level() > ModificationLevel::None)
        .map(|change| {
            let locked = change
                .locked_field()
                .is_some_and(|f| perms.locks.iter().any(|l| l.locks(f)));
            Modification {
                permitted: change.level() <= perms.level && !locked,
                change,
            }
        })
        .collect())
}
