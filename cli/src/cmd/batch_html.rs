//! `batch --html FILE`: a self-contained printable page of the run (written atomically at
//! the end): counts by verdict and by policy, the files that did not pass first with their
//! reasons, a row per file, and a renewal-due timeline (CSS bars; the planner's due date
//! of each passing signature). No script and no external asset: it works offline.

use std::fmt::Write;
use std::path::Path;

use kenpo_verify::Indication;
use kenpo_verify::batch::{Category, FileResult, Summary};
use kenpo_verify::plan::{PlanOptions, plan_bytes};
use kenpo_verify::report::html::{class_of, escape, page};
use kenpo_verify::report::{Lang, words};
use time::Date;

/// One report line as the page shows it.
#[derive(Debug)]
struct Row {
    /// 0 TOTAL_FAILED, 1 error, 2 INDETERMINATE, 3 passed, 4 other.
    rank: u8,
    path: String,
    verdict: String,
    class: &'static str,
    level: String,
    policy: String,
    reason: String,
    due: Option<Date>,
}

/// The rows of the page, collected as the lines arrive.
#[derive(Debug, Default)]
pub struct HtmlCollector {
    rows: Vec<Row>,
}

impl HtmlCollector {
    /// Notes one line; `plan` gives the renewal due date of a passing signature.
    pub fn add(&mut self, r: &FileResult, lang: Lang, plan: Option<&PlanOptions>) {
        let (rank, verdict, class) = match r.category() {
            Category::Verdict(i) => {
                let rank = match i {
                    Indication::TotalFailed => 0,
                    Indication::Indeterminate => 2,
                    Indication::TotalPassed => 3,
                };
                let sub = r.verdict.as_ref().and_then(|v| v.sub_indication);
                (rank, words::verdict(i, sub, lang), class_of(i))
            }
            Category::Error => (1, lang.pick("エラー", "error").to_owned(), "ng"),
            Category::Unsigned => (4, lang.pick("未署名", "unsigned").to_owned(), ""),
            Category::Skipped => (4, lang.pick("スキップ", "skipped").to_owned(), ""),
            _ => (4, String::new(), ""),
        };
        let v = r.verdict.as_ref();
        let reason = if let Some(e) = &r.error {
            e.to_string()
        } else if let Some(s) = v.and_then(|v| v.sub_indication) {
            words::explain(s, lang).to_owned()
        } else if v.is_some_and(|v| !v.policy_met) {
            lang.pick(
                "検証ポリシーの要件を満たしていません",
                "policy requirements not met",
            )
            .to_owned()
        } else {
            String::new()
        };
        let due = match (rank, plan) {
            (3, Some(opts)) => std::fs::read(&r.path)
                .ok()
                .and_then(|data| plan_bytes(&r.path.to_string_lossy(), &data, true, opts).due),
            _ => None,
        };
        self.rows.push(Row {
            rank,
            path: r.path.display().to_string(),
            verdict,
            class,
            level: v.map_or("", |v| v.level).to_owned(),
            policy: v.map_or(String::new(), |v| v.policy.clone()),
            reason,
            due,
        });
    }

    /// The page.
    pub fn render(&self, s: &Summary, report: &Path, lang: Lang) -> String {
        let l = |ja, en| lang.pick(ja, en);
        let mut o = String::new();
        let _ = writeln!(o, "<h1>{}</h1>", l("一括検証の結果", "Batch verification"));
        let _ = writeln!(
            o,
            "<p>{}: {}</p>",
            l("レポート", "Report"),
            escape(&report.display().to_string())
        );
        let _ = writeln!(o, "<h2>{}</h2>\n<table>", l("判定別の件数", "By verdict"));
        let counts: [(String, u64); 6] = [
            (
                words::verdict(Indication::TotalPassed, None, lang),
                s.passed,
            ),
            (
                words::verdict(Indication::TotalFailed, None, lang),
                s.failed,
            ),
            (
                words::verdict(Indication::Indeterminate, None, lang),
                s.indeterminate,
            ),
            (l("未署名", "unsigned").to_owned(), s.unsigned),
            (l("スキップ", "skipped").to_owned(), s.skipped),
            (l("エラー", "errors").to_owned(), s.errors),
        ];
        for (k, n) in counts {
            let _ = writeln!(
                o,
                "<tr><th>{}</th><td class=\"n\">{n}</td></tr>",
                escape(&k)
            );
        }
        o.push_str("</table>\n");
        let mut by_policy: Vec<(&str, usize, usize)> = Vec::new();
        for r in self.rows.iter().filter(|r| !r.policy.is_empty()) {
            let i = match by_policy.iter().position(|p| p.0 == r.policy) {
                Some(i) => i,
                None => {
                    by_policy.push((&r.policy, 0, 0));
                    by_policy.len() - 1
                }
            };
            if let Some(p) = by_policy.get_mut(i) {
                if r.rank == 3 {
                    p.1 += 1;
                } else {
                    p.2 += 1;
                }
            }
        }
        if !by_policy.is_empty() {
            let _ = writeln!(
                o,
                "<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
                l("検証ポリシー別の件数", "By policy"),
                l("ポリシー", "Policy"),
                l("合格", "passed"),
                l("合格以外", "not passed")
            );
            for (name, ok, not) in by_policy {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{ok}</td><td class=\"n\">{not}</td></tr>",
                    escape(name)
                );
            }
            o.push_str("</table>\n");
        }
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.path.cmp(&b.path)));
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            l(
                "ファイル (合格しなかったものを先に)",
                "Files (not passed first)"
            ),
            l("ファイル", "File"),
            l("判定", "Verdict"),
            l("レベル", "Level"),
            l("理由", "Reason"),
            l("更新期限", "Renewal due")
        );
        for r in &rows {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.path),
                r.class,
                escape(&r.verdict),
                escape(&r.level),
                escape(&r.reason),
                r.due.map_or(String::new(), |d| d.to_string())
            );
        }
        o.push_str("</table>\n");
        timeline(&mut o, &rows, lang);
        page(l("一括検証の結果", "Batch verification"), &o, lang)
    }
}

/// Files due per year, as CSS bars.
fn timeline(o: &mut String, rows: &[&Row], lang: Lang) {
    let mut years: Vec<(i32, usize)> = Vec::new();
    for d in rows.iter().filter_map(|r| r.due) {
        match years.iter_mut().find(|y| y.0 == d.year()) {
            Some(y) => y.1 += 1,
            None => years.push((d.year(), 1)),
        }
    }
    years.sort_unstable();
    let _ = writeln!(
        o,
        "<h2>{}</h2>",
        lang.pick(
            "更新期限の時期 (年別の件数)",
            "Renewals due (files per year)"
        )
    );
    if years.is_empty() {
        let _ = writeln!(
            o,
            "<p>{}</p>",
            lang.pick(
                "更新期限の分かる署名はありません",
                "No signature with a renewal date"
            )
        );
        return;
    }
    let max = years.iter().map(|y| y.1).max().unwrap_or(1).max(1);
    o.push_str("<table>\n");
    for (year, n) in years {
        let width = n * 120 / max;
        let _ = writeln!(
            o,
            "<tr><th>{year}</th><td><span class=\"bar\" style=\"width:{width}mm\"></span> {n}</td></tr>"
        );
    }
    o.push_str("</table>\n");
}
