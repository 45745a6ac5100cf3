//! `--resume`: the lines of a previous report, so that unchanged files are not verified
//! again.
//!
//! A file is skipped when the previous report has an error-free line for the same `path`
//! whose `sha256` (and, for a detached signature, `content_sha256`) matches the file as it
//! is now, and — with `--archive` — whose outputs were made. When a path has several lines
//! the last one counts (a changed file gets a new line after its stale one).

use std::collections::HashMap;

use serde_json::Value;

use super::result::Category;
use crate::Indication;

/// What the previous report says about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeEntry {
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    /// SHA-256 (hex) of its detached content, if it had one.
    pub content_sha256: Option<String>,
    /// The summary category of the line.
    pub category: Category,
    /// An intake time-stamp or a B-LTA extension was written.
    pub outputs_done: bool,
}

/// Error-free lines of a previous report, by `path`.
#[derive(Debug, Clone, Default)]
pub struct ResumeIndex {
    entries: HashMap<String, ResumeEntry>,
}

impl ResumeIndex {
    /// Reads a report (JSON lines). Returns the index and the length of the prefix to keep:
    /// everything up to the end of the last complete file line, so that the old summary and
    /// a partial last line (an interrupted run, a full disk) are dropped before appending.
    pub fn from_report(report: &[u8]) -> (Self, usize) {
        let mut index = Self::default();
        let mut keep = 0;
        let mut start = 0;
        while let Some(nl) = report
            .get(start..)
            .and_then(|r| r.iter().position(|b| *b == b'\n'))
        {
            let end = start + nl + 1;
            let line = report.get(start..end - 1).unwrap_or_default();
            start = end;
            let Ok(v) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            let Some(path) = v.get("path").and_then(Value::as_str) else {
                continue;
            };
            keep = end;
            match entry_of(&v) {
                Some(e) => index.entries.insert(path.to_owned(), e),
                None => index.entries.remove(path),
            };
        }
        (index, keep)
    }

    /// The entry for a path (as the report writes it).
    pub fn get(&self, path: &str) -> Option<&ResumeEntry> {
        self.entries.get(path)
    }

    /// Number of resumable paths.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No resumable path.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn entry_of(v: &Value) -> Option<ResumeEntry> {
    if !v.get("error").is_none_or(Value::is_null) {
        return None;
    }
    let sha256 = v.get("sha256")?.as_str()?.to_owned();
    let category = match (v.get("kind")?.as_str()?, v.get("indication")?.as_str()) {
        ("unsigned", None) => Category::Unsigned,
        ("signed", Some("TOTAL_PASSED")) => Category::Verdict(Indication::TotalPassed),
        ("signed", Some("TOTAL_FAILED")) => Category::Verdict(Indication::TotalFailed),
        ("signed", Some("INDETERMINATE")) => Category::Verdict(Indication::Indeterminate),
        _ => return None,
    };
    let present = |k: &str| v.get(k).is_some_and(|x| !x.is_null());
    // A plain XMLDSig line says it has no output to make (see `job`).
    let nothing_to_make = v.get("notes").and_then(Value::as_array).is_some_and(|n| {
        n.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.starts_with(super::job::NOT_EXTENDED))
        })
    });
    Some(ResumeEntry {
        sha256,
        content_sha256: v
            .get("content_sha256")
            .and_then(Value::as_str)
            .map(str::to_owned),
        category,
        outputs_done: present("intake") || present("archived") || nothing_to_make,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_file_lines_and_drops_summary_and_partial_tail() {
        let report = concat!(
            r#"{"path":"d/a.p7s","sha256":"aa","kind":"signed","indication":"TOTAL_PASSED","error":null}"#,
            "\n",
            r#"{"path":"d/b.csv","sha256":"bb","kind":"unsigned","indication":null,"error":null}"#,
            "\n",
            r#"{"path":"d/c.p7s","sha256":"cc","kind":"signed","indication":null,"error":"boom"}"#,
            "\n",
            r#"{"summary":{"files":3}}"#,
            "\n",
            r#"{"path":"d/x"#
        );
        let (idx, keep) = ResumeIndex::from_report(report.as_bytes());
        assert_eq!(idx.len(), 2);
        let a = idx.get("d/a.p7s").unwrap();
        assert_eq!(a.sha256, "aa");
        assert_eq!(a.category, Category::Verdict(Indication::TotalPassed));
        assert_eq!(idx.get("d/b.csv").unwrap().category, Category::Unsigned);
        assert!(idx.get("d/c.p7s").is_none(), "errors are retried");
        let kept = &report[..keep];
        assert!(kept.ends_with("\"boom\"}\n"), "{kept}");
        assert!(!kept.contains("summary"));
    }

    #[test]
    fn a_plain_xmldsig_line_has_no_output_to_make() {
        let line = format!(
            r#"{{"path":"k.xml","sha256":"aa","kind":"signed","indication":"TOTAL_PASSED","error":null,"notes":["{}: …"]}}"#,
            super::super::job::NOT_EXTENDED
        );
        let (idx, _) = ResumeIndex::from_report(format!("{line}\n").as_bytes());
        assert!(idx.get("k.xml").unwrap().outputs_done);
        let (idx, _) = ResumeIndex::from_report(
            br#"{"path":"k.xml","sha256":"aa","kind":"signed","indication":"TOTAL_PASSED","error":null}
"#,
        );
        assert!(!idx.get("k.xml").unwrap().outputs_done);
    }

    #[test]
    fn a_later_error_line_cancels_an_earlier_entry() {
        let report = concat!(
            r#"{"path":"a","sha256":"aa","kind":"unsigned","indication":null,"error":null}"#,
            "\n",
            r#"{"path":"a","sha256":"ab","kind":"unsigned","indication":null,"error":"x"}"#,
            "\n"
        );
        let (idx, keep) = ResumeIndex::from_report(report.as_bytes());
        assert!(idx.is_empty());
        assert_eq!(keep, report.len());
    }
}
