//! Plans for signed XML documents (XAdES, XMLDSig): what protects a XAdES signature is
//! its newest `xades141:ArchiveTimeStamp` (`archive-time-stamp`), else its newest
//! `SignatureTimeStamp` (plus the signature's own digest algorithm), each planned by the
//! token's TSA certificate and algorithms as for CAdES. A signature without a time-stamp
//! (XAdES B-B, plain XMLDSig) is bounded by its signer certificate (`signer-certificate`)
//! with a note saying how to protect it: `extend FILE.xml` for XAdES; plain XMLDSig cannot
//! be extended. Several signatures: the one with the earliest deadline is shown.

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_xml::{Document, Limits, QualifyingProperties, XadesTimeStamp};
use time::OffsetDateTime;

use super::signer::{date_only, finish, sunset_constraint};
use super::stamps::{Protection, chain_for, read_token, short_subject};
use super::{Constraint, ConstraintKind, FilePlan, MAX_SIGNERS, PlanOptions, PlanStatus};
use crate::sunset;

/// Plans the XML document `data` (see the module docs). A document without a
/// `ds:Signature` is unsigned.
pub(super) fn plan_xml(path: &str, data: &[u8], opts: &PlanOptions) -> FilePlan {
    let bad =
        |e: kenpo_xml::XmlError| FilePlan::failed(path, PlanStatus::Error, format!("XML: {e}"));
    let utf8 = match kenpo_xml::to_utf8(data) {
        Ok(u) => u,
        Err(e) => return bad(e),
    };
    let doc = match Document::parse(&utf8, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return bad(e),
    };
    let nodes = doc.signatures();
    if nodes.is_empty() {
        return FilePlan::failed(
            path,
            PlanStatus::Unsigned,
            "an XML document without ds:Signature".into(),
        );
    }
    let mut plans: Vec<FilePlan> = nodes
        .iter()
        .take(MAX_SIGNERS)
        .map(|&n| match doc.read_signature(n) {
            Ok(sig) => plan_signature(path, &doc, &sig, opts),
            Err(e) => FilePlan::failed(path, PlanStatus::Error, format!("XML signature: {e}")),
        })
        .collect();
    let n = plans.len();
    let idx = (0..n)
        .min_by_key(|&i| {
            (
                plans[i].status == PlanStatus::Error,
                plans[i].deadline.is_none(),
                plans[i].deadline,
            )
        })
        .unwrap_or(0);
    let mut chosen = plans.swap_remove(idx);
    if n > 1 {
        chosen.notes.push(format!(
            "{n} ds:Signature elements; the one with the earliest deadline (#{}) is shown",
            idx + 1
        ));
    }
    if nodes.len() > MAX_SIGNERS {
        chosen.notes.push(format!(
            "only the first {MAX_SIGNERS} of {} signatures were planned",
            nodes.len()
        ));
    }
    chosen
}

/// The newest readable token among `stamps`, with its genTime.
fn newest(stamps: &[XadesTimeStamp], extra: &[Vec<u8>]) -> Option<(OffsetDateTime, Vec<u8>)> {
    stamps
        .iter()
        .flat_map(|s| s.tokens.iter())
        .filter_map(|t| read_token(t, extra).ok().map(|f| (f.tst.gen_time, t)))
        .max_by_key(|(g, _)| *g)
        .map(|(g, t)| (g, t.clone()))
}

/// The digest algorithm an XMLDSig SignatureMethod URI ends in (`…rsa-sha256`).
fn digest_of_method(uri: &str) -> Option<DigestAlgorithm> {
    Some(match uri.rsplit(['-', '#']).next()? {
        "sha1" => DigestAlgorithm::Sha1,
        "sha256" => DigestAlgorithm::Sha256,
        "sha384" => DigestAlgorithm::Sha384,
        "sha512" => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

fn plan_signature(
    path: &str,
    doc: &Document<'_>,
    sig: &kenpo_xml::Signature,
    opts: &PlanOptions,
) -> FilePlan {
    let qp = match doc.qualifying_properties(sig) {
        Ok(q) => q,
        Err(e) => return FilePlan::failed(path, PlanStatus::Error, format!("XAdES: {e}")),
    };
    let Some(qp) = qp else {
        let mut p = plan_signer_cert(path, sig, &[], opts);
        p.notes.push(
            "plain XMLDSig (no XAdES QualifyingProperties): it cannot be time-stamped or extended; re-sign as XAdES (sign DOC.xml --tsa URL) to preserve it"
                .into(),
        );
        return p;
    };
    let mut extra: Vec<Vec<u8>> = sig.certificates.clone();
    for v in [
        &qp.certificate_values,
        &qp.revocation_values,
        &qp.timestamp_validation_data,
    ] {
        extra.extend(v.certificates.iter().cloned());
    }
    extra.extend(opts.cert_store.iter().cloned());
    let level = crate::inspect::xml::level(&qp);
    let (kind, found) = match newest(&qp.archive_timestamps, &extra) {
        Some(t) => (Protection::ArchiveTimeStamp, Some(t)),
        None => (
            Protection::SignatureTimeStamp,
            newest(&qp.signature_timestamps, &extra),
        ),
    };
    let Some((gen_time, token)) = found else {
        let mut p = plan_signer_cert(path, sig, &extra, opts);
        p.level = Some(level);
        p.notes.push(unstamped_note(&qp));
        return p;
    };
    // The token is a CMS signed by the TSA: its plan is the TSA certificate's.
    let widened = PlanOptions {
        cert_store: extra,
        ..opts.clone()
    };
    let mut p = super::plan_token(path, &token, &widened);
    if p.status == PlanStatus::Error {
        return p;
    }
    p.level = Some(level);
    p.protected_by = Some(kind);
    p.gen_time = Some(gen_time);
    // Only a signature time-stamp: the signature's own digest must also hold.
    if kind == Protection::SignatureTimeStamp {
        match digest_of_method(&sig.signature_method) {
            Some(d) => p.constraints.push(sunset_constraint(
                ConstraintKind::DigestAlgorithm,
                d.name().into(),
                sunset::digest_sunset(d),
                "signature digest",
            )),
            None => p.notes.push(format!(
                "signature digest not assessed: SignatureMethod {}",
                sig.signature_method
            )),
        }
        (p.deadline, p.due, p.reason) = (None, None, None);
        finish(&mut p, opts);
        p.notes.dedup();
    }
    p
}

/// Why a XAdES signature without a readable time-stamp is only as good as its certificate.
fn unstamped_note(qp: &QualifyingProperties) -> String {
    if qp.signature_timestamps.is_empty() && qp.archive_timestamps.is_empty() {
        "no time-stamp: add one with extend FILE.xml --to b-lta --tsa URL".into()
    } else {
        "no readable time-stamp: the signer certificate is shown".into()
    }
}

/// The signer certificate among the signature's `ds:X509Certificate`s: the one that
/// issued none of the others.
fn signer_cert(certs: &[Vec<u8>]) -> Option<&[u8]> {
    let parsed: Vec<CertRef<'_>> = certs
        .iter()
        .filter_map(|c| CertRef::parse(c).ok())
        .collect();
    parsed
        .iter()
        .find(|c| {
            !parsed
                .iter()
                .any(|o| o.issuer == c.subject && o.subject != c.subject)
        })
        .or(parsed.first())
        .map(|c| c.raw)
}

/// A signature without a time-stamp: bounded by its signer certificate's path and key.
fn plan_signer_cert(
    path: &str,
    sig: &kenpo_xml::Signature,
    extra: &[Vec<u8>],
    opts: &PlanOptions,
) -> FilePlan {
    let mut plan = FilePlan {
        path: path.to_owned(),
        protected_by: Some(Protection::SignerCertificate),
        ..FilePlan::default()
    };
    let Some(leaf) = signer_cert(&sig.certificates) else {
        plan.status = PlanStatus::Error;
        plan.message =
            Some("the signature carries no signer certificate (ds:X509Certificate)".into());
        return plan;
    };
    let Ok(leaf_ref) = CertRef::parse(leaf) else {
        plan.status = PlanStatus::Error;
        plan.message = Some("the signer certificate does not parse".into());
        return plan;
    };
    plan.certificate = Some(leaf_ref.subject_string());
    let mut pool: Vec<Vec<u8>> = sig.certificates.clone();
    pool.extend(extra.iter().cloned());
    pool.extend(opts.cert_store.iter().cloned());
    pool.retain(|c| c != leaf);
    let at = if leaf_ref.valid_at(opts.at) {
        opts.at
    } else {
        leaf_ref.not_before
    };
    let (chain, path_error) = chain_for(leaf, &pool, &opts.anchors, at);
    plan.path_validated = path_error.is_none();
    if let Some(e) = path_error {
        plan.notes.push(format!(
            "no path to a --trust anchor ({e}); the {} certificate(s) found are used",
            chain.len()
        ));
    }
    for (i, c) in chain.iter().enumerate() {
        if let Ok(c) = CertRef::parse(c) {
            let who = if i == 0 { "signer" } else { "CA" };
            plan.constraints.push(Constraint {
                kind: ConstraintKind::CertificateExpiry,
                date: Some(c.not_after),
                description: format!(
                    "{who} certificate {} expires {}",
                    short_subject(&c),
                    date_only(c.not_after)
                ),
            });
        }
    }
    match sunset::key_size_from_spki(leaf_ref.spki) {
        Ok(k) => plan.constraints.push(sunset_constraint(
            ConstraintKind::SignatureAlgorithm,
            k.name(),
            k.sunset(),
            "signer key",
        )),
        Err(e) => plan.notes.push(format!("signer key not assessed: {e}")),
    }
    match digest_of_method(&sig.signature_method) {
        Some(d) => plan.constraints.push(sunset_constraint(
            ConstraintKind::DigestAlgorithm,
            d.name().into(),
            sunset::digest_sunset(d),
            &format!("signature {}", sig.signature_method),
        )),
        None => plan.notes.push(format!(
            "signature algorithm not assessed: SignatureMethod {}",
            sig.signature_method
        )),
    }
    finish(&mut plan, opts);
    plan
}
