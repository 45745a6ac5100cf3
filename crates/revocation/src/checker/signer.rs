//! Who signed a CRL (RFC 5280 §6.3.3 (f), (g)): the certificate's issuer, or another
//! certificate authorized to sign CRLs for it — a separate CRL-signing key, the other key
//! of a self-issued rollover, the issuer of an indirect CRL.

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_core::timefmt::rfc3339;
use time::OffsetDateTime;

use super::{Checker, Ctx, MAX_CRL_SIGNER_DEPTH};
use crate::crl::{Crl, CrlError};
use crate::{RevocationStatus, asn1, names};

/// The key a CRL verified with.
#[derive(Debug, Clone)]
pub(super) enum CrlSigner {
    /// The certificate's issuer.
    Issuer,
    /// Another, authorized certificate (DER).
    Other(Vec<u8>),
}

impl Checker {
    /// Signature of `crl` checked with `issuer`, cached per (CRL, issuer key).
    /// With `crl_signer`, as a separate CRL signer ([`Crl::verify_signature_by_crl_signer`]).
    ///
    /// The cache finds a CRL by its address and holds the `Arc`, so the address cannot be
    /// reused by another CRL while the answer is kept; a lookup allocates nothing.
    pub(super) fn crl_signature(
        &self,
        crl: &Arc<Crl>,
        issuer: &CertRef<'_>,
        crl_signer: bool,
    ) -> Result<(), CrlError> {
        let key = Arc::as_ptr(crl) as usize;
        let known = |c: &super::Cache| {
            c.crl_signatures.get(&key).and_then(|(_, answers)| {
                answers
                    .iter()
                    .find(|(spki, by_signer, _)| spki == issuer.spki && *by_signer == crl_signer)
                    .map(|(_, _, r)| r.clone())
            })
        };
        if let Some(r) = known(&self.cache()) {
            return r;
        }
        // The run's verified links (shared with the path validators, kept by the caller's
        // context) also hold CRLs verified against their issuer certificate, so that a
        // checker made for one file does not verify again the CRL of the file before.
        if !crl_signer && self.links.contains(crl.der(), issuer.raw) {
            return Ok(());
        }
        let r = if crl_signer {
            crl.verify_signature_by_crl_signer(issuer)
        } else {
            crl.verify_signature(issuer)
        };
        if !crl_signer && r.is_ok() {
            self.links.insert(crl.der(), issuer.raw);
        }
        let mut cache = self.cache();
        if known(&cache).is_none() {
            let (_, answers) = cache
                .crl_signatures
                .entry(key)
                .or_insert_with(|| (Arc::clone(crl), Vec::new()));
            answers.push((issuer.spki.to_vec(), crl_signer, r.clone()));
        }
        r
    }

    /// Whether `crl` (a delta CRL) verifies with the key that signed its complete CRL.
    pub(super) fn signed_like(
        &self,
        crl: &Arc<Crl>,
        issuer: &CertRef<'_>,
        signer: &CrlSigner,
    ) -> Result<(), CrlError> {
        match signer {
            CrlSigner::Issuer => self.crl_signature(crl, issuer, false),
            CrlSigner::Other(der) => {
                let cert = CertRef::parse(der)
                    .map_err(|e| CrlError::Malformed(format!("CRL signer certificate: {e}")))?;
                self.crl_signature(crl, &cert, true)
            }
        }
    }

    /// Whether `signer` (not the issuer certificate) may sign CRLs for certificates of
    /// `issuer`.
    fn crl_signer_authorized(
        &self,
        signer: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
    ) -> Result<(), String> {
        // A CRL covering its own signer (or a signer further up): that signer's path is
        // being validated by the enclosing check; this CRL only adds its own status.
        if ctx.authorizing(signer.raw) {
            return Ok(());
        }
        if let Some(v) = &self.crl_signer_validator {
            return match ctx.budget {
                Some(cell) => {
                    let mut budget = cell.borrow_mut();
                    v.validate_crl_signer_on_path(signer.raw, ctx.anchor, at, self, &mut budget)
                }
                None => {
                    let mut budget = crate::Budget::default();
                    v.validate_crl_signer_on_path(signer.raw, ctx.anchor, at, self, &mut budget)
                }
            };
        }
        if at < signer.not_before || at > signer.not_after {
            return Err(format!("not valid at {}", rfc3339(at)));
        }
        // Its key signed the issuer certificate: a self-issued rollover certificate, the key
        // being the one the path used for the issuer.
        if names::names_equal(issuer.issuer, signer.subject)
            && asn1::cert_signed_by(issuer, signer).is_ok()
        {
            return Ok(());
        }
        if ctx.depth >= MAX_CRL_SIGNER_DEPTH {
            return Err("CRL signer chain too deep".into());
        }
        let mut parents: Vec<&[u8]> = vec![issuer.raw];
        match ctx.anchor {
            Some(a) => parents.push(a),
            None => parents.extend(self.trust_anchors.iter().map(Vec::as_slice)),
        }
        for parent_der in parents {
            let Ok(parent) = CertRef::parse(parent_der) else {
                continue;
            };
            if !names::names_equal(signer.issuer, parent.subject)
                || asn1::cert_signed_by(signer, &parent).is_err()
            {
                continue;
            }
            let status = self
                .check_ctx(signer.raw, parent.raw, at, &ctx.for_signer(signer.raw))
                .status;
            return match status {
                RevocationStatus::Good { .. } => Ok(()),
                RevocationStatus::Revoked { time, .. } => {
                    Err(format!("revoked at {}", rfc3339(time)))
                }
                RevocationStatus::Unknown { reason } => {
                    Err(format!("its revocation status is unknown: {reason}"))
                }
            };
        }
        Err("not signed by the issuer or a trust anchor, nor the key that signed the issuer".into())
    }

    /// Checks the CRL's signature with the issuer certificate (when the CRL issuer is the
    /// certificate's issuer) or, failing that, with an authorized CRL-signer candidate.
    pub(super) fn crl_signed(
        &self,
        crl: &Arc<Crl>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
    ) -> Result<CrlSigner, String> {
        let mut why = Vec::new();
        if names::names_equal(crl.issuer(), issuer.subject) {
            match self.crl_signature(crl, issuer, false) {
                Ok(()) => return Ok(CrlSigner::Issuer),
                Err(e) => why.push(e.to_string()),
            }
        }
        let mut candidates = 0;
        for der in &self.crl_signer_candidates {
            if der.as_slice() == issuer.raw {
                continue;
            }
            let Ok(signer) = CertRef::parse(der) else {
                continue;
            };
            if !names::names_equal(crl.issuer(), signer.subject)
                || self.crl_signature(crl, &signer, true).is_err()
            {
                continue;
            }
            candidates += 1;
            match self.crl_signer_authorized(&signer, issuer, at, ctx) {
                Ok(()) => return Ok(CrlSigner::Other(der.clone())),
                Err(e) => why.push(format!(
                    "CRL signer \"{}\" (serial {}) {e}",
                    kenpo_core::asn1::name::name_string(signer.subject),
                    hex::encode_upper(asn1::canonical_int(signer.serial))
                )),
            }
        }
        if why.is_empty() && candidates == 0 {
            why.push(format!(
                "no certificate of the CRL issuer \"{}\" verifies its signature",
                crl.issuer_string()
            ));
        }
        Err(why.join("; "))
    }
}
