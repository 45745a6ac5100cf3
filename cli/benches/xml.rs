//! XML verification figure of issue 20, against xmlsec1 on the same files in the same run.
//!
//! `KENPO_BENCH_FILES` (default 200) small enveloped XMLDSig files (an e-Gov-like
//! `kousei` document, exclusive C14N, RSA-SHA256, the signer's certificate in KeyInfo)
//! are signed by `xmlsec1 --sign` from a template with the test PKI's `hpki-signer` key,
//! then verified, all of them, `KENPO_BENCH_RUNS` (default 3) times, the ways below
//! interleaved within each run; each figure is the median over the runs of the wall time
//! for all the files:
//!
//! * `xmlsec1 --verify` per file (one process each; the certificate chain against the
//!   test root, no revocation: this xmlsec1 build takes no CRL option);
//! * `kenpo-sign verify FILE --offline --format json` per file (one process each; chain,
//!   CRLs of the test PKI as files, signature, XMLDSig references);
//! * `kenpo-sign batch DIR --offline --report OUT.jsonl` (one process, `--jobs 1` and the
//!   default jobs);
//! * the library in this process (`Verifier::verify_xml`, one file after another).
//!
//! Goal: xmlsec1's loop ÷ kenpo-sign ≥ 10. Every verification must succeed
//! (`TOTAL_PASSED`, xmlsec1 exit 0); nothing is asserted about speed. Without xmlsec1 the
//! bench says so and stops.
//!
//! ```sh
//! cargo bench -p kenpo-sign-cli --bench xml
//! KENPO_BENCH_FILES=500 KENPO_BENCH_RUNS=5 cargo bench -p kenpo-sign-cli --bench xml
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{BIN, p, pki, run, text};
use kenpo_verify::Indication;
use kenpo_verify::validate::{Verifier, VerifyOptions};

/// An e-Gov-like enveloped template (as in `tests/xml_interop.rs`), item `i`.
fn template(i: usize) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kousei xmlns="urn:example:egov"><item Id="a">申請書 {i}</item><item Id="b">被保険者 {i} 番</item><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature></kousei>
"#
    )
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Wall milliseconds of `f`.
fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

/// Runs `cmd` (stdin closed) and checks it with `ok`.
fn check(mut cmd: Command, ok: impl Fn(&std::process::Output) -> bool) {
    cmd.stdin(Stdio::null());
    let o = cmd.output().unwrap();
    assert!(ok(&o), "{cmd:?}: {}", text(&o));
}

fn sign_files(dir: &Path, n: usize) -> Vec<PathBuf> {
    let tmpl = dir.join("template.xml");
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    (0..n)
        .map(|i| {
            std::fs::write(&tmpl, template(i)).unwrap();
            let out = files.join(format!("kousei-{i:04}.xml"));
            let mut c = Command::new("xmlsec1");
            c.args(["--sign", "--privkey-pem"])
                .arg(format!(
                    "{},{}",
                    p("hpki-signer.key.pem"),
                    p("hpki-signer.pem")
                ))
                .arg("--output")
                .arg(&out)
                .arg(&tmpl);
            check(c, |o| o.status.success());
            out
        })
        .collect()
}

fn verify_args(c: &mut Command) {
    c.args(["--trust", &p("root-ca.pem")])
        .args(["--cert-store", &p("hpki-sign-ca.pem")])
        .args(["--crl", &p("hpki-sign-ca.crl")])
        .args(["--crl", &p("root-ca.crl")])
        .arg("--offline");
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that is not ours means another bench.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "xml")
    {
        return;
    }
    let has_xmlsec1 = Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_xmlsec1 {
        println!("SKIP: xmlsec1 not found (apt-get install xmlsec1): no same-run comparison");
        return;
    }
    let n = env_num("KENPO_BENCH_FILES", 200);
    let runs = env_num("KENPO_BENCH_RUNS", 3);
    // The PKI first (written by the binary), so that no run pays for it.
    let _ = pki();
    assert!(run(&["--version"]).status.success());
    let work = tempfile::tempdir().unwrap();
    let files = sign_files(work.path(), n);
    let dir = work.path().join("files");
    let size: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum::<u64>()
        / n as u64;

    let read = |name: &str| std::fs::read(p(name)).unwrap();
    let certs = |name: &str| kenpo_core::cert::certificates_from_pem_or_der(&read(name)).unwrap();
    let options = VerifyOptions::default()
        .with_anchors(certs("root-ca.pem"))
        .with_cert_store(certs("hpki-sign-ca.pem"))
        .with_crls(vec![read("hpki-sign-ca.crl"), read("root-ca.crl")])
        .with_offline(true);
    let verifier = Verifier::new(options);

    let (mut xmlsec, mut single, mut batch1, mut batch, mut lib) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // One warm-up round (page cache, dynamic loader), then the timed runs.
    for r in 0..=runs {
        let ms = timed(|| {
            for f in &files {
                let mut c = Command::new("xmlsec1");
                c.arg("--verify")
                    .args(["--trusted-pem", &p("root-ca.pem")])
                    .args(["--untrusted-pem", &p("hpki-sign-ca.pem")])
                    .arg(f);
                check(c, |o| o.status.success());
            }
        });
        r.gt(&0).then(|| xmlsec.push(ms));
        let ms = timed(|| {
            for f in &files {
                let mut c = Command::new(BIN);
                c.arg("verify").arg(f);
                verify_args(&mut c);
                c.args(["--format", "json"]);
                check(c, |o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout)
                            .contains("\"indication\": \"TOTAL_PASSED\"")
                });
            }
        });
        r.gt(&0).then(|| single.push(ms));
        for (jobs, into) in [(Some("1"), &mut batch1), (None, &mut batch)] {
            let report = work
                .path()
                .join(format!("report-{r}-{}.jsonl", jobs.is_some()));
            let ms = timed(|| {
                let mut c = Command::new(BIN);
                c.arg("batch").arg(&dir);
                verify_args(&mut c);
                c.arg("--report").arg(&report);
                if let Some(j) = jobs {
                    c.args(["--jobs", j]);
                }
                c.stdout(Stdio::null());
                check(c, |o| o.status.success());
            });
            let lines = std::fs::read_to_string(&report).unwrap();
            let passed = lines.matches("\"TOTAL_PASSED\"").count();
            // The summary line names TOTAL_PASSED as a key too.
            assert!(passed > n, "batch: {passed} of {n} passed\n{lines}");
            r.gt(&0).then(|| into.push(ms));
        }
        let ms = timed(|| {
            for f in &files {
                let bytes = std::fs::read(f).unwrap();
                let report = verifier.verify_xml(&bytes, &[]).unwrap();
                assert_eq!(report.indication, Indication::TotalPassed, "{f:?}");
            }
        });
        r.gt(&0).then(|| lib.push(ms));
    }
    let (xmlsec, single, batch1, batch, lib) = (
        median(&mut xmlsec),
        median(&mut single),
        median(&mut batch1),
        median(&mut batch),
        median(&mut lib),
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{n} enveloped XMLDSig files (~{size} bytes each), median of {runs} runs, \
         load average {}",
        load.trim()
    );
    println!("xmlsec1 --verify per file:                 {xmlsec:8.1} ms");
    for (what, ms) in [
        ("kenpo-sign verify per file:", single),
        ("kenpo-sign batch --jobs 1:", batch1),
        ("kenpo-sign batch (default jobs):", batch),
        ("library in-process (Verifier::verify_xml):", lib),
    ] {
        println!(
            "{what:<42} {ms:8.1} ms; ratio xmlsec1 ÷ this {:6.1} (goal ≥ 10)",
            xmlsec / ms
        );
    }
}
