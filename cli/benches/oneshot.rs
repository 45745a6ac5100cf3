//! Wall time of one-shot `kenpo-sign verify` (issue 18: ≤ 10 ms), against `openssl cms
//! -verify` on the same file in the same run.
//!
//! The real binary (built with the bench) verifies an attached CAdES B-T signature of the
//! test PKI (its time-stamp from a `kenpo-sign tsa serve` on 127.0.0.1), offline, with the
//! CAs' CRLs given as files: every run is a new process reading its trust anchors, CRLs and
//! policy and making a fresh verification context. Printed: the median wall time of
//! `KENPO_BENCH_RUNS` (default 50) runs of each command after warm-up runs, and the
//! ratio; asserts nothing about speed (every run must pass).
//!
//! ```sh
//! cargo bench -p kenpo-sign-cli --bench oneshot
//! KENPO_BENCH_RUNS=200 cargo bench -p kenpo-sign-cli --bench oneshot
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{BIN, Server, pki, run, text};

/// Median wall time in ms of `runs` runs of `cmd` (after `warm` runs), each checked by
/// `ok` on its exit status.
fn median_ms(runs: usize, warm: usize, mut cmd: impl FnMut() -> Command) -> f64 {
    let mut times = Vec::with_capacity(runs);
    for i in 0..warm + runs {
        let mut c = cmd();
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let t = Instant::now();
        let status = c.status().unwrap();
        let elapsed = t.elapsed().as_secs_f64() * 1e3;
        assert!(status.success(), "{c:?}: {status}");
        if i >= warm {
            times.push(elapsed);
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that is not ours means another bench.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "oneshot")
    {
        return;
    }
    let runs = std::env::var("KENPO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50usize)
        .max(1);
    let f = |n: &str| pki().join(n).to_str().unwrap().to_owned();
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.csv");
    let sig = work.path().join("claim.p7m");
    std::fs::write(&doc, "資格取得届,12345678,神楽坂\n".repeat(100)).unwrap();
    let state = tempfile::tempdir().unwrap();
    let tsa = Server::start(state.path());
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &f("hpki-signer.pem"),
        "--key",
        &f("hpki-signer.key.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--tsa",
        &tsa.url,
        "--level",
        "b-t",
        "--attached",
        "--yes",
        "-o",
        sig.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    drop(tsa);
    let size = std::fs::metadata(&sig).unwrap().len();

    let verify = |format: &'static str, sig: &Path| {
        let sig = sig.to_owned();
        move || {
            let mut c = Command::new(BIN);
            c.arg("verify").arg(&sig);
            c.args(["--trust", &f("root-ca.pem"), "--trust", &f("tsa-ca.pem")]);
            for crl in ["hpki-sign-ca.crl", "root-ca.crl", "tsa-ca.crl"] {
                c.args(["--crl", &f(crl)]);
            }
            c.args(["--offline", "--format", format]);
            c
        }
    };
    let warm = 5;
    let text_ms = median_ms(runs, warm, verify("text", &sig));
    let json_ms = median_ms(runs, warm, verify("json", &sig));
    println!(
        "kenpo-sign verify (one-shot, offline, CRLs as files) of a {size}-byte CAdES B-T: \
         median {text_ms:.2} ms (--format text), {json_ms:.2} ms (--format json) over {runs} runs (goal ≤ 10 ms)"
    );
    if !common::openssl_available() {
        println!("openssl cms -verify: not available");
        return;
    }
    let openssl = || {
        let mut c = Command::new("openssl");
        c.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(&sig)
            .args(["-CAfile", &f("root-ca.pem"), "-purpose", "any"])
            .args(["-out", "/dev/null"]);
        c
    };
    let openssl_ms = median_ms(runs, warm, openssl);
    println!(
        "openssl cms -verify on the same file (signer path only, no time-stamp, no CRLs): \
         median {openssl_ms:.2} ms; ratio kenpo-sign ÷ openssl {:.2} (text), {:.2} (json)",
        text_ms / openssl_ms,
        json_ms / openssl_ms
    );
}
