//! The table `batch` prints on standard output when it ends: the counts of the report's
//! summary line, then the lines that did not pass (failures and errors first, then
//! INDETERMINATE), at most [`MAX_LISTED`] of them, in English or Japanese.

use std::path::Path;

use kenpo_verify::Indication;
use kenpo_verify::batch::{Category, FileResult, Summary};
use kenpo_verify::report::Lang;

/// Lines that did not pass listed at most; the rest are counted ("…and N more").
pub const MAX_LISTED: usize = 20;

/// One line that did not pass.
#[derive(Debug)]
struct NotPassed {
    /// 0 TOTAL_FAILED, 1 error, 2 INDETERMINATE: the listing order.
    rank: u8,
    /// `TOTAL_FAILED`, `error`, `INDETERMINATE`.
    what: &'static str,
    path: String,
    reason: String,
}

/// The lines that did not pass, as they arrive (the first [`MAX_LISTED`] of each rank
/// kept, the others only counted), and the number of files behind all lines.
#[derive(Debug, Default)]
pub struct Collector {
    kept: Vec<NotPassed>,
    per_rank: [usize; 3],
    not_passed: usize,
}

impl Collector {
    /// Notes one report line.
    pub fn add(&mut self, r: &FileResult) {
        let (rank, what) = match r.category() {
            Category::Verdict(Indication::TotalFailed) => (0u8, "TOTAL_FAILED"),
            Category::Error => (1, "error"),
            Category::Verdict(Indication::Indeterminate) => (2, "INDETERMINATE"),
            _ => return,
        };
        self.not_passed += 1;
        let slot = &mut self.per_rank[usize::from(rank)];
        if *slot >= MAX_LISTED {
            return;
        }
        *slot += 1;
        let reason = if let Some(e) = &r.error {
            e.to_string()
        } else if let Some(s) = r.verdict.as_ref().and_then(|v| v.sub_indication) {
            s.name().to_owned()
        } else if r.resumed.is_some() {
            "(from the previous report)".to_owned()
        } else {
            String::new()
        };
        self.kept.push(NotPassed {
            rank,
            what,
            path: r.path.display().to_string(),
            reason,
        });
    }

    /// The table.
    pub fn render(&self, s: &Summary, files: u64, report: &Path, lang: Lang) -> String {
        let ja = lang == Lang::Ja;
        let l = |j: &'static str, e: &'static str| if ja { j } else { e };
        let mut o = String::new();
        o.push_str(&format!(
            "{} ({}: {})\n",
            l("一括検証の結果", "Batch summary"),
            l("レポート", "report"),
            report.display()
        ));
        let lines = format!(
            "({} {})",
            s.files,
            l("行 = 署名・未署名ファイル", "report lines")
        );
        let rows: [(&str, String); 8] = [
            (l("ファイル", "files"), format!("{files:>8}  {lines}")),
            ("TOTAL_PASSED", format!("{:>8}", s.passed)),
            ("TOTAL_FAILED", format!("{:>8}", s.failed)),
            ("INDETERMINATE", format!("{:>8}", s.indeterminate)),
            (l("未署名", "unsigned"), format!("{:>8}", s.unsigned)),
            (l("スキップ", "skipped"), format!("{:>8}", s.skipped)),
            (l("エラー", "errors"), format!("{:>8}", s.errors)),
            (l("所要秒数", "seconds"), format!("{:>8.2}", s.seconds)),
        ];
        for (k, v) in rows {
            o.push_str(&format!("  {}{v}\n", pad(k, 14)));
        }
        if self.not_passed == 0 {
            return o;
        }
        o.push_str(&format!(
            "{}:\n",
            l(
                "合格しなかったもの (失敗・エラーを先に)",
                "Not passed (failures and errors first)"
            )
        ));
        let mut kept: Vec<&NotPassed> = self.kept.iter().collect();
        kept.sort_by_key(|n| n.rank);
        for n in kept.iter().take(MAX_LISTED) {
            let what = match (ja, n.rank) {
                (true, 1) => "エラー",
                _ => n.what,
            };
            if n.reason.is_empty() {
                o.push_str(&format!("  {} {}\n", pad(what, 14), n.path));
            } else {
                o.push_str(&format!("  {} {}: {}\n", pad(what, 14), n.path, n.reason));
            }
        }
        let shown = kept.len().min(MAX_LISTED);
        if self.not_passed > shown {
            let more = self.not_passed - shown;
            o.push_str(&if ja {
                format!("  …ほか {more} 件 ({} を参照)\n", report.display())
            } else {
                format!("  …and {more} more (see {})\n", report.display())
            });
        }
        o
    }
}

/// `s` followed by spaces up to `width` terminal columns (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}
