//! `kenpo_verify::batch` on a generated corpus: valid B-B / B-T / B-LTA, tampered, revoked
//! signer, junk, empty and unsigned files, signed with the test PKI and a local TSA on
//! 127.0.0.1; every result and the summary are checked against a direct verification of
//! the same file. Then hostile input (broken and looping links, a FIFO, oversized and
//! non-UTF-8 names), panics and time limits in one file, cancellation, `--resume` and
//! `--archive` intake time-stamps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::net::pki_signer;
use common::serve_tsa;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::batch::{
    ArchiveConfig, BatchConfig, FileKind, FileResult, ResumeIndex, SignatureVerifier, start,
};
use kenpo_verify::lt::{ExtendOptions, Target, extend};
use kenpo_verify::report::Report;
use kenpo_verify::validate::{Verifier, VerifyError, VerifyOptions};
use kenpo_verify::{Indication, SubIndication};

/// A PKI dated 63 minutes ahead: its CRLs (thisUpdate one hour before the PKI's time) are
/// then issued three minutes from now, after the time-stamps the tests make (B-LTA
/// extension needs revocation data newer than the signature time-stamp), and within the
/// verifier's clock-skew allowance.
fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc() + time::Duration::minutes(63);
        kenpo_testpki::generate(&Config {
            now: now.replace_nanosecond(0).unwrap(),
            ..Config::default()
        })
        .unwrap()
    })
}

fn tsa_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| serve_tsa(pki(), "tsa"))
}

fn cert(name: &str) -> Vec<u8> {
    pki().entity(name).unwrap().cert_der.clone()
}

fn options() -> VerifyOptions {
    let p = pki();
    VerifyOptions::default()
        .with_anchors(vec![cert("root-ca"), cert("tsa-ca")])
        .with_crls(
            ["hpki-sign-ca", "root-ca", "tsa-ca"]
                .iter()
                .map(|i| p.crl(i).unwrap().der.clone())
                .collect(),
        )
        .with_profile(Profile::Hpki)
        .with_offline(true)
}

fn verifier() -> Arc<Verifier> {
    Arc::new(Verifier::new(options()))
}

fn sign(signer: &str, doc: &[u8], level: Level, attached: bool) -> Vec<u8> {
    let opts = SignOptions::default()
        .with_level(level)
        .with_attached(attached)
        .with_tsa((level == Level::BT).then(|| ClientConfig::new([tsa_url()])));
    sign_bytes(&pki_signer(pki(), signer), doc, &opts)
        .unwrap()
        .der
}

fn extend_options() -> ExtendOptions {
    let o = options();
    ExtendOptions::new(
        Target::BLta,
        Some(ClientConfig::new([tsa_url()])),
        o.anchors,
    )
    .with_crls(o.crls)
    .with_profile(o.profile)
    .with_offline(true)
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The valid/invalid corpus: 9 lines (3 passed, 4 failed, 2 unsigned).
fn corpus(root: &Path) {
    let doc = "資格取得届,12345678\n".as_bytes();
    write(root, "bb.p7m", &sign("hpki-signer", doc, Level::BB, true));
    write(root, "claims/claim.csv", doc);
    write(
        root,
        "claims/claim.csv.p7s",
        &sign("hpki-signer", doc, Level::BT, false),
    );
    let bt = sign("hpki-signer", doc, Level::BT, true);
    let lta = extend(&bt, None, &extend_options()).unwrap();
    assert_eq!(lta.level, "B-LTA");
    write(root, "archive/lta.p7m", &lta.der);
    write(root, "claims/tampered.csv", b"tampered\n");
    write(
        root,
        "claims/tampered.csv.p7s",
        &sign("hpki-signer", doc, Level::BB, false),
    );
    write(
        root,
        "revoked.p7m",
        &sign("hpki-signer-revoked", doc, Level::BB, true),
    );
    write(
        root,
        "junk.p7s",
        &[0x30, 0x82, 0xff, 0xff, 0x06, 0x09, 0x2a],
    );
    write(root, "empty.p7m", b"");
    write(root, "unsigned/application.csv", doc);
    write(root, "unsigned/attachment.pdf", b"%PDF-1.4\n%%EOF\n");
}

fn run(
    root: &Path,
    config: BatchConfig,
) -> (BTreeMap<String, FileResult>, kenpo_verify::batch::Summary) {
    let mut batch = start(root, config).unwrap();
    let mut lines = BTreeMap::new();
    for r in batch.by_ref() {
        let key = r.rel_path.to_string_lossy().into_owned();
        assert!(lines.insert(key, r).is_none(), "one result per file");
    }
    (lines, batch.summary())
}

fn config(verifier: Arc<dyn SignatureVerifier>) -> BatchConfig {
    let mut c = BatchConfig::new(verifier);
    c.jobs = 2;
    c
}

fn sha256(p: &Path) -> String {
    DigestAlgorithm::Sha256
        .digest(&std::fs::read(p).unwrap())
        .to_hex()
}

#[test]
fn corpus_results_match_direct_verification_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    corpus(root);
    let v = verifier();
    let (lines, summary) = run(root, config(v.clone()));

    let names: Vec<&str> = lines.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "archive/lta.p7m",
            "bb.p7m",
            "claims/claim.csv.p7s",
            "claims/tampered.csv.p7s",
            "empty.p7m",
            "junk.p7s",
            "revoked.p7m",
            "unsigned/application.csv",
            "unsigned/attachment.pdf",
        ],
        "content files have no line of their own"
    );
    for (rel, r) in &lines {
        let path = root.join(rel);
        assert_eq!(r.path, path);
        assert!(r.error.is_none(), "{rel}: {:?}", r.error);
        assert_eq!(r.sha256.as_deref(), Some(sha256(&path).as_str()), "{rel}");
        let line = r.to_json();
        assert_eq!(line["path"], path.to_string_lossy().as_ref());
        assert!(line["error"].is_null());
        if rel.starts_with("unsigned/") {
            assert_eq!(r.kind, FileKind::Unsigned);
            assert_eq!(line["kind"], "unsigned");
            assert!(line["indication"].is_null() && line["level"].is_null());
            continue;
        }
        assert_eq!(r.kind, FileKind::Signed);
        let content = r.content.as_deref();
        let direct: Report = v.verify(&std::fs::read(&path).unwrap(), content).unwrap();
        let got = r.verdict.as_ref().unwrap();
        assert_eq!(got.indication, direct.indication, "{rel}");
        assert_eq!(got.sub_indication, direct.sub_indication, "{rel}");
        assert_eq!(line["indication"], direct.indication.name());
        assert_eq!(line["kind"], "signed");
    }
    let verdict = |rel: &str| lines[rel].verdict.clone().unwrap();
    assert_eq!(verdict("bb.p7m").indication, Indication::TotalPassed);
    assert_eq!(verdict("bb.p7m").level, "B-B");
    assert_eq!(verdict("claims/claim.csv.p7s").level, "B-T");
    assert_eq!(
        verdict("claims/claim.csv.p7s").indication,
        Indication::TotalPassed
    );
    assert_eq!(
        lines["claims/claim.csv.p7s"].content.as_deref(),
        Some(root.join("claims/claim.csv").as_path())
    );
    assert_eq!(
        lines["claims/claim.csv.p7s"].content_sha256.as_deref(),
        Some(sha256(&root.join("claims/claim.csv")).as_str())
    );
    assert_eq!(verdict("archive/lta.p7m").level, "B-LTA");
    assert_eq!(
        verdict("archive/lta.p7m").indication,
        Indication::TotalPassed
    );
    assert_eq!(
        verdict("claims/tampered.csv.p7s").sub_indication,
        Some(SubIndication::HASH_FAILURE)
    );
    let revoked = verdict("revoked.p7m");
    assert_ne!(revoked.indication, Indication::TotalPassed);
    assert!(
        revoked
            .sub_indication
            .is_some_and(|s| s.name().starts_with("REVOKED")),
        "{revoked:?}"
    );
    for junk in ["junk.p7s", "empty.p7m"] {
        assert_eq!(verdict(junk).indication, Indication::TotalFailed);
        assert_eq!(
            verdict(junk).sub_indication,
            Some(SubIndication::FORMAT_FAILURE)
        );
    }

    assert_eq!(summary.files, 9);
    assert_eq!(summary.passed, 3);
    assert_eq!(summary.failed, 4);
    assert_eq!(summary.indeterminate, 0);
    assert_eq!(summary.unsigned, 2);
    assert_eq!(summary.errors, 0);
    assert_eq!(summary.exit_code(), 1);
    let s = summary.to_json();
    assert_eq!(s["summary"]["files"], 9);
    assert_eq!(s["summary"]["TOTAL_FAILED"], 4);
    assert!(s["summary"]["seconds"].as_f64().unwrap() > 0.0);
}

/// Fails every call in a way chosen by the signature bytes: `PANIC` panics, `SLOW` sleeps.
struct Hostile(Arc<Verifier>);

impl SignatureVerifier for Hostile {
    fn verify(&self, sig: &[u8], content: Option<&Path>) -> Result<Report, VerifyError> {
        if sig.starts_with(b"PANIC") {
            panic!("injected panic");
        }
        if sig.starts_with(b"SLOW") {
            std::thread::sleep(Duration::from_secs(60));
        }
        self.0.verify(sig, content)
    }
}

#[test]
fn a_panic_or_a_hung_file_gets_its_own_line_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/panic.p7s", b"PANIC");
    write(root, "a/slow.p7s", b"SLOW");
    write(
        root,
        "b/ok.p7m",
        &sign("hpki-signer", b"ok", Level::BB, true),
    );
    write(root, "b/junk.p7m", b"junk");
    let mut c = config(Arc::new(Hostile(verifier())));
    // Generous: a panic hook printing a backtrace in a debug build is slow.
    c.time_limit = Duration::from_secs(5);
    let t = Instant::now();
    let (lines, summary) = run(root, c);
    assert!(
        t.elapsed() < Duration::from_secs(40),
        "the hung file was waited for"
    );
    let err = |rel: &str| {
        lines[rel]
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert!(
        err("a/panic.p7s").contains("panic"),
        "{}",
        err("a/panic.p7s")
    );
    assert!(
        err("a/slow.p7s").contains("time limit"),
        "{}",
        err("a/slow.p7s")
    );
    assert_eq!(
        lines["b/ok.p7m"].verdict.as_ref().unwrap().indication,
        Indication::TotalPassed
    );
    assert_eq!(
        lines["b/junk.p7m"].verdict.as_ref().unwrap().sub_indication,
        Some(SubIndication::FORMAT_FAILURE)
    );
    assert_eq!((summary.files, summary.errors, summary.passed), (4, 2, 1));
    assert_eq!(summary.exit_code(), 4);
}

#[cfg(unix)]
#[test]
fn hostile_tree_links_fifo_size_limit_and_non_utf8_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "d/ok.p7m",
        &sign("hpki-signer", b"ok", Level::BB, true),
    );
    write(root, "d/big.csv", &vec![b'x'; 5000]);
    std::os::unix::fs::symlink("self.p7s", root.join("d/self.p7s")).unwrap();
    std::os::unix::fs::symlink("missing", root.join("d/dangling.csv")).unwrap();
    std::os::unix::fs::symlink("..", root.join("d/up")).unwrap();
    let odd = root.join(OsStr::from_bytes(b"d/\xff\xfe-name.csv"));
    std::fs::write(&odd, b"not utf-8 name").unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("d/pipe.p7s"))
        .status()
        .is_ok_and(|s| s.success());

    let mut c = config(verifier());
    c.max_file_bytes = 4096;
    let mut batch = start(root, c).unwrap();
    let mut lines = BTreeMap::new();
    for r in batch.by_ref() {
        lines.insert(r.rel_path.clone(), r);
    }
    let warnings = batch.take_warnings();
    let err = |rel: &str| {
        lines[&PathBuf::from(rel)]
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert_eq!(
        lines[&PathBuf::from("d/ok.p7m")]
            .verdict
            .as_ref()
            .unwrap()
            .indication,
        Indication::TotalPassed
    );
    assert!(
        err("d/big.csv").contains("over the per-file limit of 4096"),
        "{}",
        err("d/big.csv")
    );
    assert!(
        err("d/self.p7s").contains("symbolic link"),
        "{}",
        err("d/self.p7s")
    );
    assert_eq!(lines[&PathBuf::from("d/self.p7s")].kind, FileKind::Signed);
    assert!(
        err("d/dangling.csv").contains("cannot examine"),
        "{}",
        err("d/dangling.csv")
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("d/up") && w.contains("already walked")),
        "{warnings:?}"
    );
    assert!(!lines.keys().any(|k| k.starts_with("d/up")), "no loop");
    let odd_line = lines[&PathBuf::from(OsStr::from_bytes(b"d/\xff\xfe-name.csv"))].to_json();
    assert_eq!(odd_line["kind"], "unsigned");
    assert!(odd_line["error"].is_null());
    assert_eq!(
        odd_line["path_hex"],
        hex::encode(odd.as_os_str().as_bytes())
    );
    if fifo {
        assert!(err("d/pipe.p7s").contains("FIFO"), "{}", err("d/pipe.p7s"));
    } else {
        eprintln!("mkfifo not available: FIFO case not run");
    }
    let s = batch.summary();
    assert_eq!(s.files, lines.len() as u64);
    assert_eq!(s.errors, 3 + u64::from(fifo));
    assert_eq!(s.exit_code(), 4);
}

/// Takes 2 ms per signature, so that a run of many files is still going when the test acts.
struct Paced(Arc<Verifier>);

impl SignatureVerifier for Paced {
    fn verify(&self, sig: &[u8], content: Option<&Path>) -> Result<Report, VerifyError> {
        std::thread::sleep(Duration::from_millis(2));
        self.0.verify(sig, content)
    }
}

#[test]
fn cancellation_stops_the_run_early() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Jobs are queued well ahead of the worker: cancelling must also drop the queued ones.
    for i in 0..200 {
        write(root, &format!("f{i:03}.p7s"), b"not CMS");
    }
    let mut c = config(Arc::new(Paced(verifier())));
    c.jobs = 1;
    let cancel = c.cancel.clone();
    let mut batch = start(root, c).unwrap();
    let first = batch.next().unwrap();
    assert_eq!(first.kind, FileKind::Signed);
    cancel.store(true, Ordering::Relaxed);
    let rest = batch.by_ref().count();
    assert!(rest < 199, "cancel had no effect ({rest} more results)");
    assert_eq!(batch.summary().files, 1 + rest as u64);
}

#[test]
fn resume_skips_unchanged_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.p7m", &sign("hpki-signer", b"a", Level::BB, true));
    write(root, "doc.csv", b"doc");
    write(
        root,
        "doc.csv.p7s",
        &sign("hpki-signer", b"doc", Level::BB, false),
    );
    write(root, "plain.txt", b"plain");
    let (first, _) = run(root, config(verifier()));
    let report: String = first
        .values()
        .map(|r| format!("{}\n", r.to_json()))
        .collect();
    // The detached content changes: its signature must be verified again.
    write(root, "doc.csv", b"changed");
    let (index, keep) = ResumeIndex::from_report(report.as_bytes());
    assert_eq!((index.len(), keep), (3, report.len()));
    let mut c = config(verifier());
    c.resume = Some(index);
    let (second, summary) = run(root, c);
    assert!(second["a.p7m"].resumed.is_some());
    assert!(second["plain.txt"].resumed.is_some());
    let doc = &second["doc.csv.p7s"];
    assert!(doc.resumed.is_none());
    assert_eq!(
        doc.verdict.as_ref().unwrap().sub_indication,
        Some(SubIndication::HASH_FAILURE)
    );
    assert_eq!((summary.files, summary.resumed, summary.failed), (3, 2, 1));
}

#[test]
fn archive_writes_intake_tokens_and_b_lta_without_touching_originals() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    let out = root.join("out"); // inside the walked tree: must be left out of the walk
    write(&root, "sub/application.csv", b"intake\n");
    write(
        &root,
        "signed.p7m",
        &sign("hpki-signer", b"s", Level::BT, true),
    );
    write(&root, "bad.p7s", b"junk");
    let before: Vec<(PathBuf, String)> = ["sub/application.csv", "signed.p7m", "bad.p7s"]
        .iter()
        .map(|r| (root.join(r), sha256(&root.join(r))))
        .collect();
    let mut c = config(verifier());
    let mut a = ArchiveConfig::new(ClientConfig::new([tsa_url()]), out.clone());
    a.extend = Some(extend_options());
    c.archive = Some(a);
    let (lines, summary) = run(&root, c);
    assert_eq!(lines.len(), 3, "{:?}", lines.keys());

    let intake = lines["sub/application.csv"].intake.as_ref().unwrap();
    assert_eq!(intake.tsr, out.join("sub/application.csv.tsr"));
    let resp = std::fs::read(&intake.tsr).unwrap();
    let parsed = kenpo_tsa::TimeStampResponse::parse(&resp).unwrap();
    let imprint = DigestAlgorithm::Sha256.digest(b"intake\n");
    let checked = kenpo_tsa::verify_token(
        parsed.token.unwrap(),
        &kenpo_tsa::VerifyOptions::default().with_expected_imprint(Some(&imprint)),
    );
    assert!(checked.is_ok(), "{checked:?}");
    assert_eq!(checked.unwrap().gen_time(), intake.gen_time);

    let signed = &lines["signed.p7m"];
    assert!(signed.error.is_none(), "{:?}", signed.error);
    let archived = signed.archived.as_ref().unwrap();
    assert_eq!(archived, &out.join("signed.p7m"));
    let report = verifier()
        .verify(&std::fs::read(archived).unwrap(), None)
        .unwrap();
    assert_eq!(report.indication, Indication::TotalPassed);
    assert_eq!(report.signatures[0].level, "B-LTA");
    assert!(lines["bad.p7s"].archived.is_none());
    assert_eq!(
        (summary.passed, summary.failed, summary.unsigned),
        (1, 1, 1)
    );
    for (p, h) in before {
        assert_eq!(sha256(&p), h, "{} was modified", p.display());
    }
}

#[test]
fn revocation_fetched_from_a_local_service_once_for_the_whole_run() {
    use common::net::{Server, crl_and_tsa_handler, crl_paths, pki_with};
    let server = Server::bind();
    let base = server.base();
    let pki = pki_with(&base, &format!("{base}/ocsp"));
    server.set(crl_and_tsa_handler(&pki, crl_paths(&pki, &[])));
    let dir = tempfile::tempdir().unwrap();
    let signer = pki_signer(&pki, "hpki-signer");
    let opts = SignOptions::default().with_attached(true);
    let files = 12;
    for i in 0..files {
        let der = sign_bytes(&signer, format!("claim {i}").as_bytes(), &opts)
            .unwrap()
            .der;
        write(dir.path(), &format!("c{i:02}.p7m"), &der);
    }
    let anchor = |n: &str| pki.entity(n).unwrap().cert_der.clone();
    let v = Verifier::new(
        VerifyOptions::default()
            .with_anchors(vec![anchor("root-ca"), anchor("tsa-ca")])
            .with_profile(Profile::Hpki)
            .with_offline(false),
    );
    let (lines, summary) = run(dir.path(), config(Arc::new(v)));
    assert_eq!(lines.len(), files);
    assert_eq!(summary.passed, files as u64, "{:?}", lines.values().next());
    let fetched = server.hits("/crl/hpki-sign-ca.crl");
    // One fetch per worker at most (two may race for the first file), never one per file.
    assert!(
        (1..=2).contains(&fetched),
        "CRL fetched {fetched} times for {files} files"
    );
    assert!(server.hits("/crl/root-ca.crl") <= 2);
}

#[test]
fn excluded_files_inside_the_tree_are_not_walked() {
    // A report file written inside the walked tree (as `kenpo-sign batch --report` may be),
    // by its path and through a hard link: the same file either way.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    write(&root, "a.csv", b"a\n");
    write(&root, "sub/report.jsonl", b"{}\n");
    std::fs::hard_link(root.join("sub/report.jsonl"), root.join("link.jsonl")).unwrap();
    let mut c = config(verifier());
    c.exclude = vec![root.join("sub/report.jsonl")];
    let (lines, summary) = run(&root, c);
    assert_eq!(lines.keys().collect::<Vec<_>>(), ["a.csv"]);
    assert_eq!(summary.files, 1);
}

#[cfg(unix)]
#[test]
fn links_that_leave_the_folder_are_skipped_and_never_read() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    write(&outside, "passwd", b"root:x:0:0\n");
    write(
        &outside,
        "deep/signed.p7m",
        &sign("hpki-signer", b"s", Level::BB, true),
    );
    let root = dir.path().join("in");
    let out = dir.path().join("out");
    write(&root, "sub/application.csv", b"intake\n");
    symlink(outside.join("passwd"), root.join("passwd.csv")).unwrap();
    symlink("../../outside/deep/signed.p7m", root.join("sub/signed.p7m")).unwrap();
    symlink(&outside, root.join("elsewhere")).unwrap();
    // A chain of links that ends outside, through a link inside.
    symlink("elsewhere/deep", root.join("chained")).unwrap();
    symlink("sub/application.csv", root.join("inside.csv")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();

    let mut c = config(verifier());
    c.archive = Some(ArchiveConfig::new(
        ClientConfig::new([tsa_url()]),
        out.clone(),
    ));
    let mut batch = start(&root, c).unwrap();
    let mut lines = BTreeMap::new();
    for r in batch.by_ref() {
        lines.insert(r.rel_path.to_string_lossy().into_owned(), r);
    }
    let warnings = batch.take_warnings();
    let summary = batch.summary();
    let target = |p: &Path| p.canonicalize().unwrap().to_string_lossy().into_owned();
    for (rel, to) in [
        ("passwd.csv", target(&outside.join("passwd"))),
        ("sub/signed.p7m", target(&outside.join("deep/signed.p7m"))),
        ("elsewhere", target(&outside)),
        ("chained", target(&outside.join("deep"))),
    ] {
        let r = &lines[rel];
        assert_eq!(r.kind, FileKind::Skipped, "{rel}");
        assert!(r.sha256.is_none() && r.verdict.is_none() && r.intake.is_none());
        let err = r.error.as_ref().unwrap().to_string();
        assert!(err.contains(&to) && err.contains("outside"), "{err}");
        let j = r.to_json();
        assert_eq!(j["kind"], "skipped");
        assert_eq!(j["error"], err.as_str());
        assert!(
            warnings.iter().any(|w| w.contains(rel) && w.contains(&to)),
            "{warnings:?}"
        );
    }
    assert_eq!(lines["inside.csv"].kind, FileKind::Unsigned);
    assert!(lines["inside.csv"].intake.is_some());
    assert!(lines["sub/application.csv"].intake.is_some());
    assert!(
        !lines
            .keys()
            .any(|k| k.starts_with("elsewhere/") || k.starts_with("chained/")),
        "{:?}",
        lines.keys()
    );
    assert!(
        warnings.iter().any(|w| w.contains("sub/up")),
        "{warnings:?}"
    );
    assert_eq!(
        (
            summary.files,
            summary.skipped,
            summary.unsigned,
            summary.errors
        ),
        (6, 4, 2, 0)
    );
    assert_eq!(summary.exit_code(), 0, "skipped links are not errors");
    assert_eq!(summary.to_json()["summary"]["skipped"], 4);
    // Only what is inside was time-stamped.
    let mut made: Vec<_> = walk_files(&out);
    made.sort();
    assert_eq!(
        made,
        [
            out.join("inside.csv.tsr"),
            out.join("sub/application.csv.tsr")
        ]
    );

    // A link loop ends with that link's error line.
    symlink("loop-b.csv", root.join("loop-a.csv")).unwrap();
    symlink("loop-a.csv", root.join("loop-b.csv")).unwrap();
    let (lines, summary) = run(&root, config(verifier()));
    assert!(lines["loop-a.csv"].error.is_some());
    assert_eq!((summary.skipped, summary.errors), (4, 2));
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
