//! Plans for PDFs: what protects a signed PDF is its newest document time-stamp (its TSA
//! certificate's expiry and algorithm sunsets, as for a token), else each signature's CMS
//! as for CAdES (the earliest deadline shown).

use kenpo_pdf::{Budget, Document, SigType};
use time::OffsetDateTime;

use super::stamps::{Protection, read_token};
use super::{FilePlan, PlanOptions, PlanStatus, plan_bytes};

/// Plans the PDF `data` (see the module docs).
pub(super) fn plan_pdf(path: &str, data: &[u8], opts: &PlanOptions) -> FilePlan {
    let bad =
        |e: kenpo_pdf::PdfError| FilePlan::failed(path, PlanStatus::Error, format!("PDF: {e}"));
    let mut doc = match Document::open(data, Budget::default()) {
        Ok(d) => d,
        Err(e) => return bad(e),
    };
    let sigs = match doc.signatures() {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let has_dss = doc.dss().ok().flatten().is_some();
    let mut newest: Option<(OffsetDateTime, Vec<u8>)> = None;
    let mut plans = Vec::new();
    for s in &sigs {
        let Ok((_, der)) =
            crate::signature::to_der_padded(s.contents.as_deref().unwrap_or_default())
        else {
            continue;
        };
        if s.sig_type == SigType::DocTimeStamp {
            if let Ok(f) = read_token(&der, &opts.cert_store)
                && newest.as_ref().is_none_or(|(g, _)| f.tst.gen_time > *g)
            {
                newest = Some((f.tst.gen_time, der.into_owned()));
            }
            continue;
        }
        plans.push(plan_bytes(path, &der, true, opts));
    }
    if plans.is_empty() {
        return FilePlan::failed(
            path,
            PlanStatus::Unsigned,
            "a PDF without signatures".into(),
        );
    }
    if let Some((gen_time, token)) = newest {
        // The token is a CMS signed by the TSA: its plan is the TSA certificate's.
        let mut p = super::plan_token(path, &token, opts);
        p.level = Some(if has_dss { "B-LTA" } else { "B-T" });
        p.protected_by = Some(Protection::DocumentTimeStamp);
        p.gen_time = Some(gen_time);
        return p;
    }
    let idx = (0..plans.len())
        .min_by_key(|&i| (plans[i].deadline.is_none(), plans[i].deadline))
        .unwrap_or(0);
    let mut p = plans.swap_remove(idx);
    if has_dss && p.level == Some("B-T") {
        p.level = Some("B-LT");
    }
    p
}
