//! A self-contained, printable HTML page (A4, `@page`) of a [`Report`], rendered from the
//! typed report: no script, no external asset (it works offline and prints as it shows);
//! every string from the input is escaped ([`escape`]).

use std::fmt::Write;

use kenpo_core::timefmt::rfc3339;

use super::{CheckReport, Lang, Report, SignatureReport, TextOptions, words};
use crate::Indication;

/// The style of every page: A4 portrait, print-friendly.
pub const STYLE: &str = "@page{size:A4;margin:15mm}\
body{font-family:'Noto Sans JP','Hiragino Sans','Yu Gothic',Meiryo,sans-serif;font-size:10.5pt;color:#111;max-width:180mm;margin:0 auto}\
h1{font-size:16pt;margin:0 0 4mm}h2{font-size:12.5pt;margin:6mm 0 2mm;border-bottom:1px solid #888}\
table{border-collapse:collapse;width:100%;margin:2mm 0}th,td{border:1px solid #bbb;padding:1mm 2mm;text-align:left;vertical-align:top}\
th{background:#f0f0f0;width:32%}td.n{text-align:right}.ok{color:#065f10}.ng{color:#a40000;font-weight:bold}.ind{color:#8a5a00;font-weight:bold}\
.verdict{font-size:15pt;padding:2mm 3mm;border:2px solid currentColor;display:inline-block;margin-bottom:2mm}\
.small{font-size:8.5pt;color:#444}.bar{background:#3060a0;height:3.5mm;display:inline-block;vertical-align:middle}\
@media print{a{color:inherit;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}}";

/// `s` with `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A whole page: `title` (escaped here) and `body` (HTML, already escaped).
pub fn page(title: &str, body: &str, lang: Lang) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang.pick("ja", "en"),
        escape(title)
    )
}

/// The CSS class of a verdict: `ok`, `ng` or `ind`.
pub fn class_of(i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => "ok",
        Indication::TotalFailed => "ng",
        Indication::Indeterminate => "ind",
    }
}

fn row(o: &mut String, th: &str, td: &str) {
    let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(th), escape(td));
}

fn checks_table(o: &mut String, checks: &[CheckReport], lang: Lang) {
    let l = |ja, en| lang.pick(ja, en);
    let _ = writeln!(
        o,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        l("検査", "Check"),
        l("結果", "Result"),
        l("内容", "Detail")
    );
    for c in checks {
        let name = match lang {
            Lang::Ja => format!("{} ({})", c.kind.name_ja(), c.name()),
            Lang::En => c.name().into_owned(),
        };
        let (class, mark) = if c.passed {
            ("ok", l("合格", "ok"))
        } else {
            ("ng", l("不合格", "FAILED"))
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"{class}\">{mark}</td><td>{}</td></tr>",
            escape(&name),
            escape(&c.outcome.render(lang))
        );
    }
    o.push_str("</table>\n");
}

fn signature(
    o: &mut String,
    i: usize,
    s: &SignatureReport,
    lang: Lang,
    policy: &str,
    opts: TextOptions,
) {
    let l = |ja, en| lang.pick(ja, en);
    let _ = writeln!(
        o,
        "<h2>{} {} — <span class=\"{}\">{}</span> ({})</h2>",
        l("署名", "Signature"),
        i + 1,
        class_of(s.indication),
        escape(&words::verdict(s.indication, s.sub_indication, lang)),
        escape(s.level)
    );
    o.push_str("<table>\n");
    if let Some(sub) = s.sub_indication {
        row(o, l("判定の理由", "Why"), words::explain(sub, lang));
    }
    row(o, l("署名者", "Signer"), &super::signer_line(&s.signer));
    let roles = super::roles_line(&s.signer.hc_roles, lang);
    row(o, l("資格", "Qualifications"), &roles);
    let best = rfc3339(s.best_signature_time);
    row(
        o,
        l("署名日時 (最良署名時刻)", "Signed (best signature time)"),
        &best,
    );
    let state = super::preservation_line(s, lang, opts.renewal_due);
    row(o, l("保存状態", "Preservation"), &state);
    let policies = super::policies_line(&s.signer.policy_oids, lang);
    row(o, l("証明書ポリシー", "Certificate policies"), &policies);
    let claimed = s.signing_time.map_or("-".into(), rfc3339);
    row(
        o,
        l("署名時刻(自己申告)", "Signing time (claimed)"),
        &claimed,
    );
    for ts in &s.timestamps {
        let valid = if ts.valid {
            l("有効", "valid")
        } else {
            l("無効", "INVALID")
        };
        let at = ts.gen_time.map_or("-".into(), rfc3339);
        row(
            o,
            words::timestamp_kind(ts.kind, lang),
            &format!("{at} {valid}"),
        );
    }
    let unmet = format!("{} ({policy})", l("未充足要件", "Requirement not met"));
    for r in &s.policy_unmet {
        row(o, &unmet, &format!("[{}] {}", r.code(), r.text(lang)));
    }
    o.push_str("</table>\n");
    checks_table(o, &s.checks, lang);
}

/// The page of one `verify` report in `lang` (every check is listed, `opts.verbose` or
/// not).
pub fn render(report: &Report, lang: Lang, opts: TextOptions) -> String {
    let l = |ja, en| lang.pick(ja, en);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<h1>{}</h1>",
        l("署名検証レポート", "Signature verification report")
    );
    let _ = writeln!(
        o,
        "<div class=\"verdict {}\">{}</div>",
        class_of(report.indication),
        escape(&words::verdict(
            report.indication,
            report.sub_indication,
            lang
        ))
    );
    if let Some(sub) = report.sub_indication {
        let _ = writeln!(o, "<p>{}</p>", escape(words::explain(sub, lang)));
    }
    o.push_str("<table>\n");
    row(&mut o, l("検証ポリシー", "Policy"), &report.policy);
    let at = rfc3339(report.validation_time);
    row(&mut o, l("検証時刻", "Validation time"), &at);
    o.push_str("</table>\n");
    for (i, s) in report.signatures.iter().enumerate() {
        signature(&mut o, i, s, lang, &report.policy, opts);
    }
    let _ = writeln!(
        o,
        "<p class=\"small\">kenpo-sign {} — {}</p>",
        env!("CARGO_PKG_VERSION"),
        l(
            "ETSI EN 319 102-1 による検証結果",
            "validation per ETSI EN 319 102-1"
        )
    );
    page(
        l("署名検証レポート", "Signature verification report"),
        &o,
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckKind, Outcome, SignerReport};
    use time::macros::datetime;

    fn report(subject: &str) -> Report {
        Report {
            indication: Indication::TotalFailed,
            sub_indication: Some(crate::SubIndication::HASH_FAILURE),
            signatures: vec![SignatureReport {
                indication: Indication::TotalFailed,
                sub_indication: Some(crate::SubIndication::HASH_FAILURE),
                level: "B-T",
                format: "CAdES",
                signer: SignerReport {
                    subject: subject.into(),
                    hc_roles: vec!["Medical Doctor".into()],
                    policy_oids: vec!["1.2.392.100495.1.5.1.1.0.1".into()],
                    alt_names: Vec::new(),
                },
                signing_time: None,
                best_signature_time: datetime!(2026-01-02 03:04:05 UTC),
                timestamps: Vec::new(),
                checks: vec![CheckReport::new(
                    CheckKind::Format,
                    false,
                    Outcome::from(format!("bad {subject}")),
                )],
                signer_profiles: Vec::new(),
                signer_validated_at: None,
                policy_unmet: Vec::new(),
            }],
            policy: "<b>policy</b>".into(),
            validation_time: datetime!(2026-01-02 03:04:05 UTC),
            schema_version: 1,
        }
    }

    #[test]
    fn hostile_subjects_are_escaped() {
        let hostile = "CN=<script>alert('x')</script>&\"";
        for lang in [Lang::Ja, Lang::En] {
            let html = render(&report(hostile), lang, TextOptions::default());
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains("<b>"), "{html}");
            assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
            assert_eq!(html.matches("<html").count(), 1);
            assert!(html.trim_end().ends_with("</html>"));
            assert!(!html.contains("http"), "no external reference: {html}");
        }
        let ja = render(&report("CN=a"), Lang::Ja, TextOptions::default());
        assert!(ja.contains("不合格 (TOTAL_FAILED / HASH_FAILURE)"), "{ja}");
        assert!(ja.contains("医師 (Medical Doctor)"), "{ja}");
        assert!(ja.contains("@page"), "{ja}");
    }
}
