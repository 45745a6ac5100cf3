//! The byte-preservation guard run before an extension is returned.

use kenpo_core::cms::{AttributeView, SignedDataView, SignerInfoView};

use super::ExtendError;

fn unsigned<'a, 'b>(si: &'a SignerInfoView<'b>) -> &'a [AttributeView<'b>] {
    si.unsigned_attrs
        .as_ref()
        .map_or(&[], |u| u.list.as_slice())
}

/// Guard: everything signed or hashed in `before` is byte-identical in `after`, and the
/// earlier unsigned attributes are a prefix of the new ones.
pub(super) fn check_preserved(before: &[u8], after: &[u8]) -> Result<(), ExtendError> {
    let guard = |what: &str| ExtendError::Guard(format!("{what} changed during extension"));
    let a = SignedDataView::parse(before).map_err(|e| ExtendError::Guard(e.to_string()))?;
    let b = SignedDataView::parse(after).map_err(|e| ExtendError::Guard(e.to_string()))?;
    if a.encap_content_info.raw != b.encap_content_info.raw {
        return Err(guard("encapContentInfo"));
    }
    if a.signer_infos.len() != b.signer_infos.len() {
        return Err(guard("the number of SignerInfos"));
    }
    for (x, y) in a.signer_infos.iter().zip(&b.signer_infos) {
        if x.signed_attrs.as_ref().map(|s| s.raw) != y.signed_attrs.as_ref().map(|s| s.raw)
            || x.signature_field.raw != y.signature_field.raw
        {
            return Err(guard("a signed attribute or signature value"));
        }
        let (old, new) = (unsigned(x), unsigned(y));
        if old.len() > new.len() || old.iter().zip(new).any(|(p, q)| p.raw != q.raw) {
            return Err(guard("an earlier unsigned attribute"));
        }
    }
    for c in &a.certificates {
        if !b.certificates.iter().any(|d| d.raw == c.raw) {
            return Err(guard("a certificate"));
        }
    }
    for c in &a.crls {
        if !b.crls.iter().any(|d| d.raw == c.raw) {
            return Err(guard("a revocation element"));
        }
    }
    Ok(())
}
