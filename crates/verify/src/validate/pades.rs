//! The PAdES adapter: the signatures and document time-stamps of a PDF.
//!
//! Each signature dictionary's `/Contents` is a detached CMS over the bytes its
//! `/ByteRange` covers; it is verified by the CAdES path with those bytes as the detached
//! content (every CMS, certificate, time-stamp and revocation check is the same). Legacy
//! `adbe.pkcs7.sha1`: the CMS carries the SHA-1 digest of those bytes as its encapsulated
//! content; the CMS is verified over that content, the digest is compared with the
//! byte range, and SHA-1's sunset (2012-08-01, [`crate::sunset`]) is an
//! `algorithm-sunset` check against the best-signature-time (INDETERMINATE /
//! CRYPTO_CONSTRAINTS_FAILURE_NO_POE without a proof of existence before it). The PDF
//! adds its own findings, recorded as failed `format` checks that make the signature
//! TOTAL_FAILED / FORMAT_FAILURE under every policy:
//!
//! * the `/ByteRange` is sane: four non-negative integers `[0 a b c]`, `a < b`, exactly the
//!   `/Contents` string excluded, ending within the file at the end of a revision;
//! * nothing was changed after it beyond what its permissions allow
//!   (`modified_after_signing`): every later revision is compared with the signed one by
//!   [`kenpo_pdf::diff`] (each change classified: LTA updates, signing, form filling,
//!   annotations, other), and judged against the certification signature's DocMDP level
//!   and the FieldMDP locks (see `pades_mdp.rs`); anything "other" — page content, pages,
//!   fonts and XObjects pages use, deleted objects — fails under every DocMDP level.
//!
//! Levels: a signature that verifies with the DSS alone (offline, its certificates, CRLs
//! and OCSP responses) is B-LT, and B-LTA when also a valid document time-stamp covers
//! its revision. The DSS also serves the verification of every signature.
//!
//! Document time-stamps are validated as archive time-stamps are (`pades_doc_ts.rs`: the
//! TSA path with revocation from the verifier's sources and the DSS, at genTime and at the
//! control time; the anchor reported for policies).
//!
//! Not covered yet: the visual content of appearance streams (a new form-field or
//! annotation appearance is judged by its role, not by what it shows).
//! The signed bytes of each signature are held in memory.

use kenpo_pdf::{Budget, Document, ModificationLevel, SigType};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::pades_mdp::{Modification, modifications, permissions};
use super::verifier::{Detached, Verifier};
use crate::report::{CheckKind, CheckReport, Report, TimestampReport};
use crate::{Indication, SubIndication, VerifyError};

/// What the PDF says about one signature, beside its report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PdfSignatureFacts {
    /// `/SubFilter`.
    pub sub_filter: Option<String>,
    /// The byte range covers the whole file (else: only its revision).
    pub covers_whole_file: bool,
    /// A disallowed change was made after the signature.
    pub modified_after_signing: bool,
    /// The byte range is sane (see the module docs).
    pub byte_range_valid: bool,
    /// What the DocMDP permissions allow after the signature.
    pub permitted_level: ModificationLevel,
    /// The changes made after the signature (container bookkeeping left out), each with
    /// whether its permissions allow it.
    pub modifications: Vec<Modification>,
}

/// A PAdES document time-stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocumentTimestampFacts {
    /// genTime, when the token could be read.
    pub gen_time: Option<OffsetDateTime>,
    /// The token verifies and its imprint is the digest of the byte range.
    pub valid: bool,
    /// Where the covered revision ends.
    pub end: u64,
    /// The byte range covers the whole file.
    pub covers_whole_file: bool,
    /// SHA-256 of the anchor its TSA path ends at, when the token verified.
    pub tsa_anchor_sha256: Option<[u8; 32]>,
    /// Why it is not valid.
    pub detail: Option<String>,
}

/// The verification of a PDF: the report (signatures in file order) and the PDF facts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PdfVerification {
    /// The report, one entry per signature (document time-stamps are not signatures).
    pub report: Report,
    /// One per report signature, same order.
    pub signatures: Vec<PdfSignatureFacts>,
    /// The document time-stamps, in file order.
    pub document_timestamps: Vec<DocumentTimestampFacts>,
    /// For each signature, where its revision ends (to list the document time-stamps
    /// that cover it).
    ends: Vec<u64>,
}

impl PdfVerification {
    /// The report's JSON (`format` is `PAdES`) with, per signature, `covers` (`whole-file` /
    /// `revision`), `modified_after_signing`, `permitted_level` and `modifications`
    /// (`object`, `change`, `level`, `permitted`), and the document time-stamps covering it
    /// in `timestamps` with `"type": "document"`.
    pub fn to_json(&self) -> Value {
        let mut v = self.report.to_json();
        if let Some(list) = v.get_mut("signatures").and_then(Value::as_array_mut) {
            for (i, s) in list.iter_mut().enumerate() {
                let Some(f) = self.signatures.get(i) else {
                    continue;
                };
                s["covers"] = json!(if f.covers_whole_file {
                    "whole-file"
                } else {
                    "revision"
                });
                s["modified_after_signing"] = json!(f.modified_after_signing);
                s["permitted_level"] = json!(f.permitted_level.name());
                s["modifications"] = f
                    .modifications
                    .iter()
                    .map(|m| {
                        json!({
                            "object": m.change.object,
                            "change": m.change.kind.to_string(),
                            "level": m.change.level().name(),
                            "permitted": m.permitted,
                        })
                    })
                    .collect();
                let end = self.ends.get(i).copied().unwrap_or(0);
                // The typed report lists them (`type: document`); the JSON adds why one
                // is not valid.
                let details = self
                    .document_timestamps
                    .iter()
                    .filter(|d| d.end > end)
                    .map(|d| &d.detail);
                if let Some(ts) = s.get_mut("timestamps").and_then(Value::as_array_mut) {
                    let documents = ts.iter_mut().filter(|t| t["type"] == "document");
                    for (t, detail) in documents.zip(details) {
                        t["detail"] = json!(detail);
                    }
                }
            }
        }
        v
    }
}

/// Whether `bytes` is a PDF to verify as such: `%PDF-` near its start
/// ([`kenpo_pdf::is_pdf`]) and not a CMS (DER/BER, which starts with a SEQUENCE, or PEM) —
/// a `.p7m` whose attached content is a PDF shows `%PDF-` in its first bytes too.
pub fn is_pdf_file(bytes: &[u8]) -> bool {
    kenpo_pdf::is_pdf(bytes) && bytes.first() != Some(&0x30) && !bytes.starts_with(b"-----")
}

fn failed_report(verifier: &Verifier, detail: String) -> Report {
    super::format_failure(verifier.options().at.unwrap_or_else(super::now), detail)
}

/// Verifies every signature and document time-stamp of the PDF `pdf` with `verifier`
/// (see the module docs). A PDF that cannot be read gives TOTAL_FAILED/FORMAT_FAILURE.
pub fn verify_pdf(verifier: &Verifier, pdf: &[u8]) -> Result<PdfVerification, VerifyError> {
    verify_pdf_under(verifier, pdf, &verifier.options().policy)
}

/// [`verify_pdf`] under `policy`'s requirements instead of the verifier's options' (a
/// service answering each request under the policy it names). A signature changed after
/// signing or with a lying byte range fails under every policy.
pub fn verify_pdf_under(
    verifier: &Verifier,
    pdf: &[u8],
    policy: &crate::policy::Policy,
) -> Result<PdfVerification, VerifyError> {
    let empty = |report| PdfVerification {
        report,
        signatures: Vec::new(),
        document_timestamps: Vec::new(),
        ends: Vec::new(),
    };
    let mut doc = match Document::open(pdf, Budget::default()) {
        Ok(d) => d,
        Err(e) => return Ok(empty(failed_report(verifier, format!("PDF: {e}")))),
    };
    let sigs = match doc.signatures() {
        Ok(s) => s,
        Err(e) => return Ok(empty(failed_report(verifier, format!("PDF: {e}")))),
    };
    let ends_of_revisions: Vec<u64> = doc
        .revisions()
        .iter()
        .flat_map(|r| [r.eof_end, r.end])
        .collect();
    let revision_ends: Vec<u64> = doc.revisions().iter().map(|r| r.end).collect();
    let certification = doc.perms_docmdp().ok().flatten();
    let len = pdf.len() as u64;
    // Each signature with the end of its revision, for the permissions of later ones.
    let sig_ends: Vec<(&kenpo_pdf::SignatureDict, u64)> = sigs
        .iter()
        .map(|s| (s, byte_range(s, len, &ends_of_revisions).2))
        .collect();
    let dss = dss_contents(&mut doc);
    // The DSS is validation data for every signature: the signatures are verified with it
    // (offline too), and one that verifies with the DSS alone is B-LT.
    let with_dss = (!dss.is_empty()).then(|| {
        let mut o = verifier.options().clone();
        o.cert_store.extend(dss.certs.iter().cloned());
        o.crls.extend(dss.crls.iter().cloned());
        o.ocsp_responses.extend(dss.ocsps.iter().cloned());
        Verifier::with_context(o, verifier.context().clone())
    });
    let dss_only = (!dss.is_empty()).then(|| {
        let base = verifier.options();
        let mut o = super::verifier::VerifyOptions::default()
            .with_anchors(base.anchors.clone())
            .with_cert_store(base.cert_store.clone())
            .with_crls(dss.crls.clone())
            .with_ocsp_responses(dss.ocsps.clone())
            .with_profile(base.profile)
            .with_offline(true)
            .with_at(base.at);
        o.cert_store.extend(dss.certs.iter().cloned());
        Verifier::with_context(o, verifier.context().clone())
    });
    let main = with_dss.as_ref().unwrap_or(verifier);
    let mut out = empty(failed_report(verifier, "the PDF has no signature".into()));
    let mut reports = Vec::new();
    // Document time-stamps whose token is read: (index in out.document_timestamps, token).
    let mut pending_ts = Vec::new();
    // Every signature's excluded /Contents with the end of its range: no signature may sign
    // bytes that a later signature's /Contents holds (a crafted file can make the ranges
    // overlap so that the later hex string carries what the earlier signature signed). A
    // later signature signing an earlier one's /Contents is the normal case.
    let holes: Vec<(u64, u64, u64)> = sigs
        .iter()
        .filter_map(|s| match s.byte_range.as_deref() {
            Some([0, a, b, c]) if 0 <= *a && a <= b && 0 <= *c => {
                Some((*a as u64, *b as u64, (*b as u64).saturating_add(*c as u64)))
            }
            _ => None,
        })
        .collect();
    for s in &sigs {
        let contents = s.contents.clone().unwrap_or_default();
        let (range_ok, why, end) = byte_range(s, len, &ends_of_revisions);
        let (range_ok, why) = match (range_ok, overlapped(s, end, &holes)) {
            (true, Some((h0, h1))) => (
                false,
                format!(
                    "PDF /ByteRange {:?} signs bytes {h0}..{h1} that another signature's /Contents holds",
                    s.byte_range.as_deref().unwrap_or_default()
                ),
            ),
            _ => (range_ok, why),
        };
        let (a, b) = match s.byte_range.as_deref() {
            Some([_, a, b, _]) => (*a as usize, *b as usize),
            _ => (0, 0),
        };
        let end_us = usize::try_from(end).unwrap_or(usize::MAX).min(pdf.len());
        let covers_whole_file = end == len
            || pdf
                .get(end_us..)
                .is_some_and(|t| t.iter().all(u8::is_ascii_whitespace));
        let content: Vec<u8> = if range_ok {
            [&pdf[..a.min(pdf.len())], &pdf[b.min(end_us)..end_us]].concat()
        } else {
            Vec::new()
        };
        if s.sig_type == SigType::DocTimeStamp {
            let mut facts = DocumentTimestampFacts {
                gen_time: None,
                valid: false,
                end,
                covers_whole_file,
                tsa_anchor_sha256: None,
                detail: None,
            };
            // Read now, checked together below (each one's control time is the next one's
            // genTime).
            match doc_timestamp_der(&contents, range_ok, why) {
                Ok(der) => pending_ts.push((
                    out.document_timestamps.len(),
                    super::pades_doc_ts::Pending {
                        der,
                        covered: content,
                    },
                )),
                Err(detail) => facts.detail = Some(detail),
            }
            out.document_timestamps.push(facts);
            continue;
        }
        let perms = permissions(&sig_ends, certification, end);
        let (mods, unreadable) = if range_ok && !covers_whole_file {
            match modifications(pdf, end_us, &revision_ends, &perms) {
                Ok(list) => (list, None),
                Err(e) => (Vec::new(), Some(e)),
            }
        } else {
            (Vec::new(), None)
        };
        let refused: Vec<String> = mods
            .iter()
            .filter(|m| !m.permitted)
            .map(|m| m.change.to_string())
            .chain(unreadable.map(|e| format!("the signed revision cannot be read: {e}")))
            .collect();
        let modified = !refused.is_empty();
        let sha1 = s.sub_filter.as_deref() == Some("adbe.pkcs7.sha1");
        // The policy is applied once the PDF's own findings and levels are in (below).
        let mut r = if sha1 {
            main.verify_en319102(&contents, None)?
        } else {
            main.verify_en319102(&contents, Some(Detached::Bytes(&content)))?
        };
        let lt = match &dss_only {
            Some(v) if r.signatures.iter().any(|s| s.level == "B-T") => {
                v.verify_detached(&contents, (!sha1).then_some(Detached::Bytes(&content)))?
                    .indication
                    == Indication::TotalPassed
            }
            _ => false,
        };
        for sr in &mut r.signatures {
            sr.checks.insert(
                0,
                CheckReport::new(CheckKind::Format, range_ok, why.clone()),
            );
            if modified {
                let shown: Vec<&str> = refused.iter().take(8).map(String::as_str).collect();
                sr.checks.insert(
                    1,
                    CheckReport::new(
                        CheckKind::Format,
                        false,
                        format!(
                            "PDF modified after signing beyond what it permits ({}): {}{}",
                            perms.level,
                            shown.join("; "),
                            if refused.len() > shown.len() {
                                "; …"
                            } else {
                                ""
                            }
                        ),
                    ),
                );
            }
            if sha1 {
                super::pades_sha1::check(sr, &contents, &content, range_ok);
            }
            // Every PDF signature is PAdES in the report, adbe.pkcs7.detached included (the
            // text output names the /SubFilter).
            sr.format = "PAdES";
            // PAdES puts the claimed signing time in /M, not in the CMS.
            if sr.signing_time.is_none() {
                sr.signing_time = s.m.as_deref().and_then(pdf_date);
            }
            if lt && sr.level == "B-T" && sr.indication == Indication::TotalPassed {
                sr.level = "B-LT";
            }
            if !range_ok || modified {
                sr.indication = Indication::TotalFailed;
                sr.sub_indication = Some(SubIndication::FORMAT_FAILURE);
            }
            out.signatures.push(PdfSignatureFacts {
                sub_filter: s.sub_filter.clone(),
                covers_whole_file,
                modified_after_signing: modified,
                byte_range_valid: range_ok,
                permitted_level: perms.level,
                modifications: mods.clone(),
            });
            out.ends.push(end);
        }
        reports.push(r);
    }
    let (indices, pending): (Vec<usize>, Vec<_>) = pending_ts.into_iter().unzip();
    let checked = super::pades_doc_ts::check_all(
        verifier,
        &pending,
        &dss.certs,
        &dss.crls,
        &dss.ocsps,
        verifier.options().at.unwrap_or_else(super::now),
    );
    for (i, c) in indices.into_iter().zip(checked) {
        if let Some(f) = out.document_timestamps.get_mut(i) {
            f.gen_time = c.gen_time;
            f.valid = c.valid;
            f.tsa_anchor_sha256 = c.tsa_anchor_sha256;
            f.detail = c.detail;
        }
    }
    if reports.is_empty() {
        return Ok(out);
    }
    // B-LTA: validation data in the DSS and a valid document time-stamp over the revision.
    for (i, sr) in reports
        .iter_mut()
        .flat_map(|r| r.signatures.iter_mut())
        .enumerate()
    {
        let end = out.ends.get(i).copied().unwrap_or(u64::MAX);
        // The document time-stamps over the signature's revision are its archive layer: in
        // the report as `document` time-stamps, which the policies read as archive ones.
        sr.timestamps.extend(
            out.document_timestamps
                .iter()
                .filter(|d| d.end > end)
                .map(|d| TimestampReport {
                    kind: "document",
                    gen_time: d.gen_time,
                    valid: d.valid,
                    tsa_anchor_sha256: d.tsa_anchor_sha256,
                }),
        );
        if sr.level == "B-LT"
            && out
                .document_timestamps
                .iter()
                .any(|d| d.valid && d.end > end)
        {
            sr.level = "B-LTA";
        }
    }
    let mut report = reports.remove(0);
    for r in reports {
        report.signatures.extend(r.signatures);
    }
    let worst = report
        .signatures
        .iter()
        .max_by_key(|s| s.indication.severity())
        .map(|s| (s.indication, s.sub_indication));
    if let Some((i, sub)) = worst {
        report.indication = i;
        report.sub_indication = sub;
    }
    crate::policy::apply(policy, &mut report);
    out.report = report;
    Ok(out)
}

/// The DER items of the document security store.
#[derive(Debug, Default)]
struct DssContents {
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
}

impl DssContents {
    fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }
}

/// What the DSS holds (nothing when it cannot be read: the signatures are then verified
/// without it).
fn dss_contents(doc: &mut Document<&[u8]>) -> DssContents {
    let mut out = DssContents::default();
    let Ok(Some(d)) = doc.dss() else {
        return out;
    };
    for (refs, list) in [
        (&d.certs, &mut out.certs),
        (&d.crls, &mut out.crls),
        (&d.ocsps, &mut out.ocsps),
    ] {
        for r in refs {
            if let Ok(b) = doc.stream_bytes(*r) {
                list.push(b);
            }
        }
    }
    out
}

/// Checks the byte range: (sane, what was found, where it ends).
fn byte_range(
    s: &kenpo_pdf::SignatureDict,
    len: u64,
    revision_ends: &[u64],
) -> (bool, String, u64) {
    let Some(br) = s.byte_range.as_deref() else {
        return (
            false,
            "PDF signature dictionary without /ByteRange".into(),
            0,
        );
    };
    let [start, a, b, c] = br else {
        return (
            false,
            format!("PDF /ByteRange has {} integers, not 4", br.len()),
            0,
        );
    };
    if *start != 0 || *a < 0 || *b < *a || *c < 0 {
        return (
            false,
            format!("PDF /ByteRange {br:?} is not [0 a b c] with 0 <= a <= b"),
            0,
        );
    }
    let end = (*b as u64).saturating_add(*c as u64);
    if end > len {
        return (
            false,
            format!("PDF /ByteRange {br:?} reaches beyond the end of the file ({len} bytes)"),
            end,
        );
    }
    if let Some(span) = &s.contents_span
        && (span.start != *a as u64 || span.end != *b as u64)
    {
        return (
            false,
            format!(
                "PDF /ByteRange {br:?} does not exclude exactly /Contents (bytes {}..{})",
                span.start, span.end
            ),
            end,
        );
    }
    if !revision_ends.contains(&end) {
        return (
            false,
            format!("PDF /ByteRange {br:?} does not end at the end of a revision (%%EOF)"),
            end,
        );
    }
    (
        true,
        format!("PDF /ByteRange [0 {a} {b} {c}] covers its revision except /Contents"),
        end,
    )
}

/// The first /Contents of a later signature (`holes`: start, end, end of its range) that
/// the bytes `s` signs (`[0, a)` and `[b, end)`) intersect.
fn overlapped(
    s: &kenpo_pdf::SignatureDict,
    end: u64,
    holes: &[(u64, u64, u64)],
) -> Option<(u64, u64)> {
    let Some([0, a, b, _]) = s.byte_range.as_deref() else {
        return None;
    };
    let (a, b) = (u64::try_from(*a).ok()?, u64::try_from(*b).ok()?);
    holes
        .iter()
        .copied()
        .find(|&(h0, h1, later_end)| {
            later_end > end && h0 < h1 && ((h0 < a && h1 > 0) || (h0 < end && h1 > b))
        })
        .map(|(h0, h1, _)| (h0, h1))
}

/// A document time-stamp's token as DER (`/Contents` is zero-padded after it), or why it
/// is not valid without reading it (its byte range, or not DER).
fn doc_timestamp_der(token: &[u8], range_ok: bool, why: String) -> Result<Vec<u8>, String> {
    if !range_ok {
        return Err(why);
    }
    crate::signature::to_der_padded(token)
        .map(|(_, d)| d.into_owned())
        .map_err(|e| format!("token is not DER: {e}"))
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional; no offset
/// means UTC here).
fn pdf_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let rest = &s[digits.len()..];
    let part = |from: usize, len: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + len) {
            Some(p) => p.parse().ok(),
            None if digits.len() <= from => Some(default),
            None => None,
        }
    };
    let year = i32::try_from(part(0, 4, 0)?).ok()?;
    let month = time::Month::try_from(u8::try_from(part(4, 2, 1)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(year, month, u8::try_from(part(6, 2, 1)?).ok()?).ok()?;
    let t = time::Time::from_hms(
        u8::try_from(part(8, 2, 0)?).ok()?,
        u8::try_from(part(10, 2, 0)?).ok()?,
        u8::try_from(part(12, 2, 0)?).ok()?,
    )
    .ok()?;
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let n: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = n.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
            let m: i8 = n.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
            let (h, m) = if sign == '-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, t).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::{is_pdf_file, pdf_date};

    #[test]
    fn a_cms_with_an_attached_pdf_is_not_a_pdf_file() {
        assert!(is_pdf_file(b"%PDF-1.7\n"));
        // SEQUENCE … eContent "%PDF-…": a .p7m of a PDF (DER/BER, or PEM).
        assert!(!is_pdf_file(
            b"\x30\x80\x06\x09*\x86H\x86\xf7\x0d\x01\x07\x02%PDF-1.4"
        ));
        assert!(!is_pdf_file(b"-----BEGIN PKCS7-----\n%PDF-"));
    }

    #[test]
    fn pdf_dates() {
        let t = |s| pdf_date(s).map(kenpo_core::timefmt::rfc3339);
        assert_eq!(
            t("D:20191205093552+01'00'").as_deref(),
            Some("2019-12-05T08:35:52Z")
        );
        assert_eq!(
            t("D:20260401093000Z").as_deref(),
            Some("2026-04-01T09:30:00Z")
        );
        assert_eq!(t("D:2026").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(t("D:20261301"), None);
        assert_eq!(t("garbage"), None);
    }
}
