//! `kenpo-sign batch` against `../shared/CLI.md`: a corpus signed through the CLI with a
//! `tsa serve` child on 127.0.0.1 (valid B-B and B-T, tampered, junk, empty, unsigned),
//! every JSON line and the summary, exit codes, `--resume`, `--archive` (intake tokens and
//! B-LTA under `--out`, originals untouched), a report on a full disk, usage errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::{BIN, text};
use serde_json::Value;

/// A test PKI of its own, dated 63 minutes ahead: its CRLs (thisUpdate one hour before)
/// are issued three minutes from now, newer than the time-stamps the test makes (B-LTA
/// extension needs revocation data issued after them) and within the clock-skew allowance.
fn pki() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(63);
        let at = kenpo_core::timefmt::rfc3339(at.replace_nanosecond(0).unwrap());
        let o = run(&["testpki", d.path().to_str().unwrap(), "--at", &at]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        d
    })
    .path()
}

fn p(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `kenpo-sign tsa serve` with this PKI's TSA; killed on drop.
struct Tsa {
    _server: common::Server,
    url: String,
    _state: tempfile::TempDir,
}

impl Tsa {
    fn start() -> Self {
        let state = tempfile::tempdir().unwrap();
        let server = common::Server::start_with(pki(), "tsa", state.path());
        let url = server.url.clone();
        Self {
            _server: server,
            url,
            _state: state,
        }
    }
}

fn sign(doc: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "sign",
        doc.to_str().unwrap(),
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let (cert, key, chain) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
    );
    args.extend(["--cert", &cert, "--key", &key, "--chain", &chain]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// 6 lines: B-B attached and B-T detached (passed), tampered, junk, empty (failed),
/// one unsigned CSV.
fn corpus(root: &Path, tsa: &str) {
    let claims = root.join("claims");
    std::fs::create_dir_all(&claims).unwrap();
    let doc = claims.join("claim.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    sign(&doc, &root.join("bb.p7m"), &["--attached"]);
    sign(&doc, &claims.join("claim.csv.p7s"), &["--tsa", tsa]);
    let tampered = claims.join("tampered.csv");
    std::fs::write(&tampered, "original\n").unwrap();
    sign(&tampered, &claims.join("tampered.csv.p7s"), &[]);
    std::fs::write(&tampered, "tampered\n").unwrap();
    std::fs::write(root.join("junk.p7s"), b"\x30\x03\x02\x01").unwrap();
    std::fs::write(root.join("empty.p7m"), b"").unwrap();
    std::fs::create_dir_all(root.join("intake")).unwrap();
    std::fs::write(root.join("intake/application.csv"), "氏名,記号\n").unwrap();
}

fn batch(root: &Path, report: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "batch",
        root.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--jobs",
        "2",
        "--offline",
        "--profile",
        "hpki",
    ];
    let owned = [
        p("root-ca.pem"),
        p("tsa-ca.pem"),
        p("hpki-sign-ca.crl"),
        p("root-ca.crl"),
        p("tsa-ca.crl"),
    ];
    args.extend(["--trust", &owned[0], "--trust", &owned[1]]);
    args.extend(["--crl", &owned[2], "--crl", &owned[3], "--crl", &owned[4]]);
    args.extend(extra);
    run(&args)
}

/// The report: file lines by path (relative to `root`) and the summary.
fn read_report(root: &Path, report: &Path) -> (BTreeMap<String, Value>, Value, usize) {
    let text = std::fs::read_to_string(report).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.last().unwrap()["summary"].clone();
    assert!(summary.is_object(), "the summary is the last line: {text}");
    let mut files = BTreeMap::new();
    for l in &lines[..lines.len() - 1] {
        let path = PathBuf::from(l["path"].as_str().unwrap());
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.insert(rel, l.clone());
    }
    (files, summary, lines.len() - 1)
}

fn sha256(p: &Path) -> String {
    kenpo_core::alg::DigestAlgorithm::Sha256
        .digest(&std::fs::read(p).unwrap())
        .to_hex()
}

#[test]
fn corpus_lines_summary_exit_code_and_resume() {
    let tsa = Tsa::start();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    corpus(&root, &tsa.url);
    let report = work.path().join("report.jsonl");

    let o = batch(&root, &report, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!text(&o).contains("\r["), "no progress bar when piped");
    let (files, summary, n) = read_report(&root, &report);
    assert_eq!(n, files.len(), "one line per file");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "bb.p7m",
            "claims/claim.csv.p7s",
            "claims/tampered.csv.p7s",
            "empty.p7m",
            "intake/application.csv",
            "junk.p7s"
        ]
    );
    for (rel, l) in &files {
        for key in [
            "path",
            "sha256",
            "kind",
            "indication",
            "sub_indication",
            "level",
            "error",
        ] {
            assert!(l.get(key).is_some(), "{rel}: no {key}: {l}");
        }
        assert!(l["error"].is_null(), "{rel}: {l}");
        assert_eq!(l["sha256"], sha256(&root.join(rel)), "{rel}");
    }
    let ind = |rel: &str| {
        files[rel]["indication"]
            .as_str()
            .unwrap_or("null")
            .to_owned()
    };
    let sub = |rel: &str| {
        files[rel]["sub_indication"]
            .as_str()
            .unwrap_or("null")
            .to_owned()
    };
    assert_eq!(ind("bb.p7m"), "TOTAL_PASSED");
    assert_eq!(files["bb.p7m"]["level"], "B-B");
    assert_eq!(ind("claims/claim.csv.p7s"), "TOTAL_PASSED");
    assert_eq!(files["claims/claim.csv.p7s"]["level"], "B-T");
    assert_eq!(files["claims/claim.csv.p7s"]["kind"], "signed");
    assert_eq!(sub("claims/tampered.csv.p7s"), "HASH_FAILURE");
    assert_eq!(sub("junk.p7s"), "FORMAT_FAILURE");
    assert_eq!(sub("empty.p7m"), "FORMAT_FAILURE");
    assert_eq!(files["intake/application.csv"]["kind"], "unsigned");
    assert!(files["intake/application.csv"]["indication"].is_null());
    assert_eq!(summary["files"], 6);
    assert_eq!(summary["TOTAL_PASSED"], 2);
    assert_eq!(summary["TOTAL_FAILED"], 3);
    assert_eq!(summary["INDETERMINATE"], 0);
    assert_eq!(summary["unsigned"], 1);
    assert_eq!(summary["errors"], 0);
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);

    // --resume: nothing changed, nothing verified again, the summary still covers all.
    let o = batch(&root, &report, &["--resume"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (again, summary, n) = read_report(&root, &report);
    assert_eq!(n, 6, "no line added for unchanged files");
    assert_eq!(again, files);
    assert_eq!(summary["files"], 6);
    assert_eq!(summary["resumed"], 6);
    assert_eq!(summary["TOTAL_FAILED"], 3);

    // Fix the tampered content: only that signature is verified again, and passes.
    std::fs::write(root.join("claims/tampered.csv"), "original\n").unwrap();
    let o = batch(&root, &report, &["--resume"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (_, summary, n) = read_report(&root, &report);
    assert_eq!(n, 7, "the changed pair gets a new line");
    assert_eq!(summary["resumed"], 5);
    assert_eq!(summary["TOTAL_PASSED"], 3);
    assert_eq!(summary["TOTAL_FAILED"], 2);
}

#[test]
fn archive_writes_tokens_and_b_lta_under_out_and_leaves_originals() {
    let tsa = Tsa::start();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    let claims = root.join("claims");
    std::fs::create_dir_all(&claims).unwrap();
    let doc = claims.join("claim.csv");
    std::fs::write(&doc, "claim\n").unwrap();
    sign(&doc, &claims.join("claim.csv.p7s"), &["--tsa", &tsa.url]);
    std::fs::write(root.join("application.csv"), "application\n").unwrap();
    let originals: Vec<(PathBuf, String)> = [
        doc.clone(),
        claims.join("claim.csv.p7s"),
        root.join("application.csv"),
    ]
    .into_iter()
    .map(|f| {
        let h = sha256(&f);
        (f, h)
    })
    .collect();
    let out = work.path().join("out");
    let report = work.path().join("report.jsonl");
    let o = batch(
        &root,
        &report,
        &[
            "--archive",
            "--tsa",
            &tsa.url,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (files, summary, _) = read_report(&root, &report);
    let tsr = out.join("application.csv.tsr");
    assert_eq!(
        files["application.csv"]["intake"]["tsr"],
        tsr.to_str().unwrap()
    );
    assert!(files["application.csv"]["intake"]["gen_time"].is_string());
    let v = run(&[
        "timestamp-verify",
        tsr.to_str().unwrap(),
        "--data",
        root.join("application.csv").to_str().unwrap(),
        "--trust",
        &p("tsa-ca.pem"),
    ]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let lta = out.join("claims/claim.csv.p7s");
    assert_eq!(
        files["claims/claim.csv.p7s"]["archived"],
        lta.to_str().unwrap()
    );
    let v = run(&[
        "verify",
        lta.to_str().unwrap(),
        "--content",
        doc.to_str().unwrap(),
        "--trust",
        &p("root-ca.pem"),
        "--trust",
        &p("tsa-ca.pem"),
        "--offline",
        "--format",
        "json",
    ]);
    let j: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(j["signatures"][0]["level"], "B-LTA", "{}", text(&v));
    assert_eq!(j["indication"], "TOTAL_PASSED", "{}", text(&v));
    assert_eq!(
        (
            summary["TOTAL_PASSED"].as_u64(),
            summary["unsigned"].as_u64()
        ),
        (Some(1), Some(1))
    );
    for (f, h) in originals {
        assert_eq!(sha256(&f), h, "{} modified", f.display());
    }
}

#[test]
fn operational_errors_and_usage() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.csv"), "a\n").unwrap();
    // A full disk under the report: exit 4 with the reason, no panic.
    if Path::new("/dev/full").exists() {
        let o = batch(&root, Path::new("/dev/full"), &[]);
        assert_eq!(o.status.code(), Some(4), "{}", text(&o));
        assert!(text(&o).contains("No space left"), "{}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    // A missing folder is operational (4), before any report is written.
    let report = work.path().join("r.jsonl");
    let o = batch(&work.path().join("missing"), &report, &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(!report.exists());
    // --archive needs --tsa and --out (usage, 2).
    let o = batch(&root, &report, &["--archive"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // An over-size file is an error line (exit 4); the rest of the run is intact.
    std::fs::write(root.join("big.csv"), vec![b'x'; 2048]).unwrap();
    let o = batch(&root, &report, &["--max-file-size", "1K"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let (files, summary, _) = read_report(&root, &report);
    assert!(
        files["big.csv"]["error"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
    assert!(files["a.csv"]["error"].is_null());
    assert_eq!(
        (summary["errors"].as_u64(), summary["unsigned"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(!text(&o).contains("ETA"), "no progress line when piped");
    // The progress line, forced on although stderr is a pipe.
    let o = batch(&root, &report, &["--progress", "always"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2/2 files") && err.contains("ETA"), "{err}");
}

/// The last state of the progress line on stderr (it is redrawn after `\r`).
fn last_progress(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .split(['\r', '\n'])
        .rfind(|s| s.contains("files") && s.contains("ETA"))
        .unwrap_or_default()
        .to_owned()
}

/// A signature with its detached content is two files but one report line: the progress
/// line used to count lines ("25/25 files" for 26 files; 120 of 200 in a folder of 80
/// signature/content pairs and 40 unsigned files). The summary table on stdout gives the
/// counts and lists what did not pass, at most 20, then "…and N more".
#[test]
fn progress_counts_every_file_and_the_summary_table_lists_what_did_not_pass() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    std::fs::create_dir_all(&root).unwrap();
    let doc = root.join("a.csv");
    std::fs::write(&doc, "資格取得届,1\n").unwrap();
    sign(&doc, &root.join("a.csv.p7s"), &[]);
    std::fs::write(root.join("b.csv"), "unsigned\n").unwrap();
    for i in 0..23 {
        std::fs::write(root.join(format!("junk{i:02}.p7s")), b"\x30\x03\x02\x01").unwrap();
    }
    let report = work.path().join("r.jsonl");
    let o = batch(&root, &report, &["--progress", "always", "--lang", "en"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let bar = last_progress(&o.stderr);
    assert!(bar.contains(" 26/26 files"), "{bar}");
    let (_, summary, n) = read_report(&root, &report);
    assert_eq!(
        (summary["files"].as_u64(), n),
        (Some(25), 25),
        "JSONL unchanged"
    );

    let out = String::from_utf8_lossy(&o.stdout);
    let row = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row: {out}"))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert!(out.starts_with("Batch summary (report: "), "{out}");
    assert_eq!(row("files"), "26", "{out}");
    assert!(out.contains("(25 report lines)"), "{out}");
    assert_eq!(row("TOTAL_PASSED"), "1", "{out}");
    assert_eq!(row("TOTAL_FAILED"), "23", "{out}");
    assert_eq!(row("INDETERMINATE"), "0", "{out}");
    assert_eq!(row("unsigned"), "1", "{out}");
    assert_eq!(row("skipped"), "0", "{out}");
    assert_eq!(row("errors"), "0", "{out}");
    row("seconds").parse::<f64>().unwrap();
    let listed: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("junk") && l.contains("TOTAL_FAILED"))
        .collect();
    assert_eq!(listed.len(), 20, "{out}");
    assert!(listed[0].contains("FORMAT_FAILURE"), "{out}");
    assert!(
        out.contains(&format!("…and 3 more (see {})", report.display())),
        "{out}"
    );
    assert!(
        !out.contains("a.csv.p7s"),
        "a passing line is not listed: {out}"
    );

    let o = batch(&root, &report, &["--lang", "ja"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("一括検証の結果"), "{out}");
    assert!(out.contains("…ほか 3 件"), "{out}");
}

/// `batch --html FILE`: a self-contained page with the counts, the failures first with
/// their reasons, a row per file; the JSONL report is unchanged.
#[test]
fn html_page_of_the_run() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    std::fs::create_dir_all(&root).unwrap();
    let doc = root.join("a.csv");
    std::fs::write(&doc, "資格取得届,1\n").unwrap();
    sign(&doc, &root.join("a.csv.p7s"), &[]);
    std::fs::write(root.join("junk.p7s"), b"\x30\x03\x02\x01").unwrap();
    let report = work.path().join("r.jsonl");
    let page = work.path().join("run.html");
    let o = batch(
        &root,
        &report,
        &["--lang", "ja", "--html", page.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert!(html.contains("合格 (TOTAL_PASSED)"), "{html}");
    let failed = html.find("junk.p7s").unwrap();
    let passed = html.find("a.csv.p7s").unwrap();
    assert!(failed < passed, "failures first: {html}");
    assert!(html.contains("FORMAT_FAILURE"), "{html}");
    assert!(html.contains("署名の形式が正しくない"), "reason: {html}");
    assert!(html.contains("更新期限"), "{html}");
    for bad in ["src=", "href=", "url(", "<script", "<link"] {
        assert!(!html.contains(bad), "no external asset ({bad}): {html}");
    }
    let (_, summary, n) = read_report(&root, &report);
    assert_eq!((summary["files"].as_u64(), n), (Some(2), 2), "{summary}");
}
