//! Planning one SignerInfo: which time-stamp protects it, the constraints on that
//! protection, and the status they give.

use kenpo_core::cert::CertRef;
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use time::{Date, Duration, OffsetDateTime};

use super::stamps::{self, Protection};
use super::{Constraint, ConstraintKind, FilePlan, MAX_MARGIN_DAYS, PlanOptions, PlanStatus};
use crate::sunset::{self, SUNSET_POLICY};

pub(super) fn date_only(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(super) fn sunset_constraint(
    kind: ConstraintKind,
    what: String,
    date: Option<Date>,
    role: &str,
) -> Constraint {
    let date = date.map(sunset::start_of);
    let description = match date {
        Some(d) => format!("{what} sunset {} ({SUNSET_POLICY}; {role})", date_only(d)),
        None => format!("{what}: no sunset date ({SUNSET_POLICY}; {role})"),
    };
    Constraint {
        kind,
        date,
        description,
    }
}

pub(super) fn plan_signer(
    path: &str,
    sd: &SignedDataView<'_>,
    si: &SignerInfoView<'_>,
    pool: &[Vec<u8>],
    opts: &PlanOptions,
) -> FilePlan {
    let mut plan = FilePlan {
        path: path.to_owned(),
        level: Some(stamps::level_of(sd, si)),
        ..FilePlan::default()
    };
    let tokens = stamps::tokens_of(si, pool);
    let mut best: Option<(Protection, stamps::TokenFacts)> = None;
    for (kind, t) in tokens {
        match t {
            Err(e) => plan.notes.push(format!("unreadable {}: {e}", kind.name())),
            Ok(f) => {
                let better = match &best {
                    None => true,
                    Some((bk, bf)) => {
                        let archive = |k: Protection| k != Protection::SignatureTimeStamp;
                        (archive(kind), f.tst.gen_time) > (archive(*bk), bf.tst.gen_time)
                    }
                };
                if better {
                    best = Some((kind, f));
                }
            }
        }
    }
    let (leaf, at, role, mut pool_all) = match &best {
        Some((kind, f)) => {
            plan.protected_by = Some(*kind);
            plan.gen_time = Some(f.tst.gen_time);
            let mut p = f.certs.clone();
            p.extend(pool.iter().cloned());
            let Some(tsa) = f.tsa_cert.clone() else {
                plan.status = PlanStatus::Error;
                plan.message = Some(format!(
                    "the TSA certificate of the {} is not in the file nor in --cert-store",
                    kind.name()
                ));
                return plan;
            };
            (tsa, f.tst.gen_time, "TSA", p)
        }
        None => {
            plan.protected_by = Some(Protection::SignerCertificate);
            let Some(c) = stamps::signer_cert(si, &[pool]) else {
                plan.status = PlanStatus::Error;
                plan.message =
                    Some("the signer certificate is not in the file nor in --cert-store".into());
                return plan;
            };
            (c.to_vec(), opts.at, "signer", pool.to_vec())
        }
    };
    pool_all.retain(|c| *c != leaf);
    let Ok(leaf_ref) = CertRef::parse(&leaf) else {
        plan.status = PlanStatus::Error;
        plan.message = Some(format!("the {role} certificate does not parse"));
        return plan;
    };
    plan.certificate = Some(leaf_ref.subject_string());
    let at = if leaf_ref.valid_at(at) {
        at
    } else {
        leaf_ref.not_before
    };
    let (chain, path_error) = stamps::chain_for(&leaf, &pool_all, &opts.anchors, at);
    plan.path_validated = path_error.is_none();
    if let Some(e) = path_error {
        plan.notes.push(format!(
            "no path to a --trust anchor ({e}); the {} certificate(s) found are used",
            chain.len()
        ));
    }
    for (i, c) in chain.iter().enumerate() {
        if let Ok(c) = CertRef::parse(c) {
            let who = if i == 0 { role } else { "CA" };
            plan.constraints.push(Constraint {
                kind: ConstraintKind::CertificateExpiry,
                date: Some(c.not_after),
                description: format!(
                    "{who} certificate {} expires {}",
                    stamps::short_subject(&c),
                    date_only(c.not_after)
                ),
            });
        }
    }
    algorithm_constraints(&mut plan, si, best.as_ref(), &leaf_ref);
    finish(&mut plan, opts);
    plan
}

fn algorithm_constraints(
    plan: &mut FilePlan,
    si: &SignerInfoView<'_>,
    best: Option<&(Protection, stamps::TokenFacts)>,
    leaf: &CertRef<'_>,
) {
    let (key_role, sig_role) = if best.is_some() {
        ("time-stamp key", "time-stamp signature")
    } else {
        ("signer key", "signature")
    };
    let key = sunset::key_size_from_spki(leaf.spki);
    let sig_alg = match best {
        Some((_, f)) => f.sig_alg.clone(),
        None => kenpo_core::alg::SignatureAlgorithm::from_algorithm_identifier(
            &si.signature_algorithm,
            si.digest_alg().ok(),
        )
        .map_err(|e| e.to_string()),
    };
    match &key {
        Ok(k) => plan.constraints.push(sunset_constraint(
            ConstraintKind::SignatureAlgorithm,
            k.name(),
            k.sunset(),
            key_role,
        )),
        Err(e) => plan.notes.push(format!("{key_role} not assessed: {e}")),
    }
    match &sig_alg {
        Ok(a) => plan.constraints.push(sunset_constraint(
            ConstraintKind::DigestAlgorithm,
            a.digest().name().into(),
            sunset::digest_sunset(a.digest()),
            &format!("{sig_role} {}", a.name()),
        )),
        Err(e) => plan
            .notes
            .push(format!("{sig_role} algorithm not assessed: {e}")),
    }
    let mut digest_oid =
        |what: &str, o: &const_oid::ObjectIdentifier| match sunset::digest_oid_sunset(o) {
            Ok(d) => plan.constraints.push(sunset_constraint(
                ConstraintKind::DigestAlgorithm,
                sunset::digest_oid_name(o),
                d,
                what,
            )),
            Err(e) => plan.notes.push(format!("{what} not assessed: {e}")),
        };
    match best {
        Some((kind, f)) => {
            digest_oid("messageImprint", &f.tst.imprint.algorithm().oid());
            if *kind == Protection::SignatureTimeStamp {
                digest_oid("signature digest", &si.digest_algorithm.oid);
            }
        }
        // B-B: the signature algorithm's digest is listed above; add digestAlgorithm
        // only when it differs.
        None if sig_alg
            .as_ref()
            .is_ok_and(|a| a.digest().oid() == si.digest_algorithm.oid) => {}
        None => digest_oid("signature digest", &si.digest_algorithm.oid),
    }
}

pub(super) fn finish(plan: &mut FilePlan, opts: &PlanOptions) {
    plan.constraints.sort_by_key(|c| (c.date.is_none(), c.date));
    let Some(first) = plan
        .constraints
        .first()
        .filter(|c| c.date.is_some())
        .cloned()
    else {
        plan.status = PlanStatus::Ok;
        return;
    };
    let deadline = first.date.unwrap_or(opts.at);
    let margin = Duration::days(opts.margin_days.clamp(0, MAX_MARGIN_DAYS));
    let due = deadline.checked_sub(margin).unwrap_or(deadline);
    plan.deadline = Some(deadline);
    plan.due = Some(due.date());
    plan.reason = Some(first.description.clone());
    plan.status = if deadline <= opts.at {
        if first.kind == ConstraintKind::CertificateExpiry {
            plan.notes.push(
                "the certificate has expired: a renewal time-stamp can no longer be added in time"
                    .into(),
            );
        }
        PlanStatus::Overdue
    } else if opts.at.checked_add(margin).is_none_or(|limit| due <= limit) {
        PlanStatus::DueSoon
    } else {
        PlanStatus::Ok
    };
}
