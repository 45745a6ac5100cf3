//! JSON (`docs/plan-schema.md`) and Japanese/English text of a [`PlanReport`].

use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use super::{FilePlan, PLAN_SCHEMA_VERSION, PlanReport, PlanStatus};
use crate::report::Lang;
use crate::sunset::SUNSET_POLICY;

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn ts(t: OffsetDateTime) -> String {
    kenpo_core::timefmt::rfc3339(t)
}

fn file_json(f: &FilePlan) -> Value {
    json!({
        "path": f.path,
        "status": f.status.name(),
        "level": f.level,
        "protected_by": f.protected_by.map(|p| p.name()),
        "gen_time": f.gen_time.map(ts),
        "certificate": f.certificate,
        "path_validated": f.path_validated,
        "deadline": f.deadline.map(ts),
        "due": f.due.map(ymd),
        "reason": f.reason,
        "constraints": f.constraints.iter().map(|c| json!({
            "kind": c.kind.name(),
            "date": c.date.map(ts),
            "description": c.description,
        })).collect::<Vec<_>>(),
        "notes": f.notes,
        "message": f.message,
    })
}

fn status_label(s: PlanStatus, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::En, _) => s.name(),
        (Lang::Ja, PlanStatus::Ok) => "問題なし",
        (Lang::Ja, PlanStatus::DueSoon) => "更新期限間近",
        (Lang::Ja, PlanStatus::Overdue) => "期限切れ",
        (Lang::Ja, PlanStatus::Unsigned) => "署名なし",
        (Lang::Ja, PlanStatus::Error) => "エラー",
    }
}

impl PlanReport {
    /// The JSON document of `docs/plan-schema.md`.
    pub fn to_json(&self) -> Value {
        json!({
            "schema_version": PLAN_SCHEMA_VERSION,
            "policy": SUNSET_POLICY,
            "at": ts(self.at),
            "margin_days": self.margin_days,
            "files": self.files.iter().map(file_json).collect::<Vec<_>>(),
            "earliest_due": self.earliest_due().map(ymd),
            "skipped": self.skipped.iter().map(|k| json!({
                "path": k.path.display().to_string(),
                "target": k.target.as_ref().map(|t| t.display().to_string()),
                "reason": "symbolic link leaving the folder; not read",
            })).collect::<Vec<_>>(),
        })
    }

    /// Text, one block per file, sorted by due date.
    pub fn render_text(&self, lang: Lang) -> String {
        let l = |ja, en| lang.pick(ja, en);
        let mut out = String::new();
        for f in &self.files {
            out.push_str(&format!("[{}] {}\n", status_label(f.status, lang), f.path));
            if let Some(m) = &f.message {
                out.push_str(&format!("  {m}\n"));
            }
            if let (Some(level), Some(p)) = (f.level, f.protected_by) {
                let gen_time = f
                    .gen_time
                    .map(|t| format!(" genTime {}", ts(t)))
                    .unwrap_or_default();
                let (lv, by) = (l("署名レベル", "level"), l("保護", "protected by"));
                let by_whom = p.name();
                out.push_str(&format!("  {lv}: {level}; {by}: {by_whom}{gen_time}\n"));
            }
            if let Some(c) = &f.certificate {
                out.push_str(&format!("  {}: {c}\n", l("証明書", "certificate")));
            }
            if let Some(d) = f.due {
                out.push_str(&format!("  {}: {}\n", l("更新期限", "due"), ymd(d)));
            }
            if let Some(r) = &f.reason {
                out.push_str(&format!("  {}: {r}\n", l("理由", "reason")));
            }
            if !f.constraints.is_empty() {
                out.push_str(&format!(
                    "  {}:\n",
                    l("検討した制約", "constraints considered")
                ));
                for c in &f.constraints {
                    let d = c
                        .date
                        .map(|d| ymd(d.date()))
                        .unwrap_or_else(|| "-".repeat(10));
                    out.push_str(&format!("    {d}  {}\n", c.description));
                }
            }
            for n in &f.notes {
                out.push_str(&format!("  {}: {n}\n", l("注記", "note")));
            }
        }
        for k in &self.skipped {
            let target = k
                .target
                .as_ref()
                .map(|t| format!(" -> {}", t.display()))
                .unwrap_or_default();
            out.push_str(&format!(
                "[skipped] {}{target}\n  symbolic link leaving the folder; not read\n",
                k.path.display()
            ));
        }
        let earliest = self
            .earliest_due()
            .map(ymd)
            .unwrap_or_else(|| l("なし", "none").into());
        let label = l("最も早い更新期限", "earliest due");
        out.push_str(&format!("{label}: {earliest} ({SUNSET_POLICY})\n"));
        out
    }
}
