//! Throughput of `kenpo_verify::batch` against the machine's bounds.
//!
//! `cargo bench -p kenpo-verify --bench batch` (optionally `-- --files N --sample S
//! --big N --big-mib M --jobs J`).
//!
//! 1. **Small B-T files**: `--files` (default 10,000) attached CAdES B-T signatures over
//!    1–10 KiB documents, made with the test PKI and a local TSA on 127.0.0.1, verified
//!    offline with the CAs' CRLs supplied, `--jobs` (default 2) workers. Printed: files/s;
//!    signature checks per file, counted by the verifier's context (`Context::verifications`) over the whole run (the
//!    signer and time-stamp token signatures of each file; certificate and CRL signatures
//!    shared by the files are checked once per run); the ratio of files/s to the bound
//!    `openssl speed -seconds 2 rsa2048` verify/s × jobs ÷ checks per file (goal ≥ 0.8);
//!    the ratio to a shell loop of `openssl cms -verify` over `--sample` (default 200) of
//!    the same files (goal ≥ 30); peak RSS of the batch process (goal ≤ 256 MiB).
//! 2. **Large unsigned files**: `--big` (default 1,000) files of `--big-mib` (default 10)
//!    MiB, hashed by the batch (intake without `--archive`) against `sha256sum` over the
//!    same files (goal ≥ 0.8×), both after a warm-up read (page cache); also against
//!    `openssl dgst -sha256`, which uses SHA-NI where coreutils may not.
//!
//! Also printed: the rate with a do-nothing verifier (the batch machinery's own ceiling:
//! walk, read, SHA-256, threads, results).
//!
//! The batch itself runs in a child process (this binary with `--child DIR PKI JOBS`) so
//! that its peak RSS (VmHWM) is not the corpus generator's. `--keep DIR` writes the PKI
//! (`DIR/pki`) and the small-file corpus (`DIR/corpus`) there and keeps them, so that the
//! child can be run again alone (under a profiler, say).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/allocator.rs"]
mod allocator;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/openssl_speed.rs"]
mod openssl_speed;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::Indication;
use kenpo_verify::batch::{BatchConfig, SignatureVerifier, start};
use kenpo_verify::report::Report;
use kenpo_verify::validate::{Verifier, VerifyError, VerifyOptions};

struct Args {
    files: usize,
    sample: usize,
    big: usize,
    big_mib: usize,
    jobs: usize,
    keep: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        files: 10_000,
        sample: 200,
        big: 1_000,
        big_mib: 10,
        jobs: 2,
        keep: None,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        let n = || w[1].parse().unwrap();
        match w[0].as_str() {
            "--files" => a.files = n(),
            "--sample" => a.sample = n(),
            "--big" => a.big = n(),
            "--big-mib" => a.big_mib = n(),
            "--jobs" => a.jobs = n(),
            "--keep" => a.keep = Some(PathBuf::from(&w[1])),
            _ => {}
        }
    }
    a
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A verifier that does nothing (returns an empty TOTAL_PASSED report): what the batch
/// machinery itself costs per file (walk, read, SHA-256, threads, results).
struct Null;

impl SignatureVerifier for Null {
    fn verify(&self, _: &[u8], _: Option<&Path>) -> Result<Report, VerifyError> {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        Ok(Report {
            indication: Indication::TotalPassed,
            sub_indication: None,
            signatures: Vec::new(),
            policy: String::new(),
            validation_time: at,
            schema_version: 1,
        })
    }
}

/// Child mode: run the batch over `dir` with the PKI written to `pki` (`null`: the
/// do-nothing verifier); print `files passed other seconds vmhwm_kib`.
fn child(dir: &Path, pki: &Path, jobs: usize) {
    let read = |n: &str| std::fs::read(pki.join(n)).unwrap();
    let null = pki.as_os_str() == "null";
    let verifier = if null {
        Verifier::new(VerifyOptions::default())
    } else {
        Verifier::new(
            VerifyOptions::default()
                .with_anchors(vec![read("root-ca.der"), read("tsa-ca.der")])
                .with_crls(
                    ["hpki-sign-ca.crl", "root-ca.crl", "tsa-ca.crl"]
                        .iter()
                        .map(|n| read(n))
                        .collect(),
                )
                .with_offline(true),
        )
    };
    let ctx = verifier.context().clone();
    let verifier: Arc<dyn SignatureVerifier> = if null {
        Arc::new(Null)
    } else {
        Arc::new(verifier)
    };
    let mut config = BatchConfig::new(verifier);
    config.jobs = jobs;
    let t = Instant::now();
    let checks_before = ctx.verifications();
    let (mut files, mut passed) = (0u64, 0u64);
    let mut first_other = None;
    for r in start(dir, config).unwrap() {
        files += 1;
        let ok = r.error.is_none()
            && r.verdict
                .as_ref()
                .is_none_or(|v| v.indication == Indication::TotalPassed);
        if ok {
            passed += 1;
        } else if first_other.is_none() {
            first_other = Some(r.to_json().to_string());
        }
    }
    let secs = t.elapsed().as_secs_f64();
    if let Some(o) = first_other {
        eprintln!("first non-passing line: {o}");
    }
    let checks = ctx.verifications() - checks_before;
    println!(
        "{files} {passed} {} {secs} {} {checks}",
        files - passed,
        vm_hwm_kib().unwrap_or(0)
    );
}

struct Measured {
    files: f64,
    passed: f64,
    seconds: f64,
    rss_mib: f64,
    /// Signature verifications performed by the crypto backend during the run.
    checks: f64,
}

fn run_child(dir: &Path, pki: &Path, jobs: usize) -> Measured {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(dir)
        .arg(pki)
        .arg(jobs.to_string())
        .output()
        .unwrap();
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(v.len(), 6, "child output: {text}");
    Measured {
        files: v[0],
        passed: v[1],
        seconds: v[3],
        rss_mib: v[4] / 1024.0,
        checks: v[5],
    }
}

/// Non-anchor certificates on the path of entity `name`.
fn non_anchor_path_len(name: &str) -> usize {
    let p = common::test_pki();
    let mut n = 0;
    let mut cur = Some(name.to_owned());
    while let Some(c) = cur {
        let e = p.entity(&c).unwrap();
        if e.issuer.is_none() || c == "tsa-ca" {
            break;
        }
        n += 1;
        cur = e.issuer.clone();
    }
    n
}

/// Size of document `i` of the corpus (1–10 KiB).
fn doc_size(i: usize) -> usize {
    1024 + (i * 7919) % (9 * 1024)
}

fn make_corpus(dir: &Path, n: usize) {
    let tsa = common::start_tsa();
    let signer = Arc::new(common::signer("hpki-signer"));
    let threads = 4;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (signer, tsa) = (signer.clone(), tsa.clone());
            s.spawn(move || {
                let opts = SignOptions::default()
                    .with_level(Level::BT)
                    .with_attached(true)
                    .with_tsa(Some(ClientConfig::new([tsa])));
                for i in (t..n).step_by(threads) {
                    let size = doc_size(i);
                    let doc: Vec<u8> = (0..size).map(|j| b"0123456789,\n"[(i + j) % 12]).collect();
                    let der = sign_bytes(signer.as_ref(), &doc, &opts).unwrap().der;
                    let sub = dir.join(format!("{:03}", i / 1000));
                    std::fs::create_dir_all(&sub).unwrap();
                    std::fs::write(sub.join(format!("claim{i:05}.p7m")), der).unwrap();
                }
            });
        }
    });
}

/// Seconds for a `sh` loop of `openssl cms -verify` over `files`; and how many verified.
fn openssl_loop(files: &[PathBuf], pki: &Path) -> Option<(f64, usize)> {
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let script = format!(
        "ok=0; for f in {}; do openssl cms -verify -binary -inform DER -in \"$f\" -CAfile {} -purpose any -out /dev/null 2>/dev/null && ok=$((ok+1)); done; echo $ok",
        list.join(" "),
        pki.join("root-ca.pem").display()
    );
    let t = Instant::now();
    let out = Command::new("sh").args(["-c", &script]).output().ok()?;
    let secs = t.elapsed().as_secs_f64();
    let ok = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some((secs, ok))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A scratch directory: `keep/name` (kept) with `--keep`, else a temporary one.
enum Scratch {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Scratch {
    fn new(a: &Args, name: &str) -> Self {
        match &a.keep {
            Some(k) => {
                let d = k.join(name);
                std::fs::create_dir_all(&d).unwrap();
                Self::Kept(d)
            }
            None => Self::Temp(tempfile::tempdir().unwrap()),
        }
    }

    fn path(&self) -> &Path {
        match self {
            Self::Temp(t) => t.path(),
            Self::Kept(p) => p,
        }
    }
}

fn small_files(a: &Args, pki_dir: &Path) {
    let corpus = Scratch::new(a, "corpus");
    let t = Instant::now();
    make_corpus(corpus.path(), a.files);
    if let Some(k) = &a.keep {
        println!(
            "kept in {}: run the batch alone with `{} --child {} {} {}`",
            k.display(),
            std::env::current_exe().unwrap().display(),
            corpus.path().display(),
            pki_dir.display(),
            a.jobs
        );
    }
    println!(
        "corpus: {} B-T files (1–10 KiB documents) made in {:.1} s",
        a.files,
        t.elapsed().as_secs_f64()
    );
    let structural = 2 + 2 * (non_anchor_path_len("hpki-signer") + non_anchor_path_len("tsa"));
    let _ = run_child(corpus.path(), pki_dir, a.jobs); // warm the page cache
    let m = run_child(corpus.path(), pki_dir, a.jobs);
    // Counted by the crypto backend: what was really verified (results shared across files,
    // such as CA certificate and CRL signatures, are verified once per run).
    let checks = m.checks / m.files;
    let rate = m.files / m.seconds;
    println!(
        "batch --jobs {}: {} files in {:.2} s = {rate:.0} files/s ({} TOTAL_PASSED); peak RSS {:.1} MiB (goal ≤ 256)",
        a.jobs, m.files, m.seconds, m.passed, m.rss_mib
    );
    println!(
        "signature checks per file: {checks:.2} counted by the crypto backend (a file taken alone needs {structural}: 2 CMS + certificate and CRL signatures on both paths)"
    );
    let null = run_child(corpus.path(), Path::new("null"), a.jobs);
    println!(
        "batch machinery alone (do-nothing verifier): {:.0} files/s",
        null.files / null.seconds
    );
    match openssl_speed::rsa2048_verify_per_s() {
        Some(v) => {
            let bound = v * a.jobs as f64 / checks;
            println!(
                "openssl speed rsa2048: {v:.0} verify/s; bound {bound:.0} files/s on {} cores; ratio {:.2} (goal ≥ 0.8)",
                a.jobs,
                rate / bound
            );
        }
        None => println!("openssl speed: not available"),
    }
    print_floor(a, corpus.path(), checks);
    let sample: Vec<PathBuf> = files_under(corpus.path())
        .into_iter()
        .take(a.sample)
        .collect();
    match openssl_loop(&sample, pki_dir) {
        Some((secs, ok)) => {
            let loop_rate = sample.len() as f64 / secs;
            println!(
                "openssl cms -verify shell loop: {} files in {secs:.2} s = {loop_rate:.0} files/s ({ok} verified); ratio {:.1}× (goal ≥ 30)",
                sample.len(),
                rate / loop_rate
            );
        }
        None => println!("openssl cms -verify loop: not available"),
    }
}

/// The highest ratio any implementation could reach on this corpus and machine: per file,
/// the `checks` RSA-2048 verifications plus the two SHA-256 passes a verified intake cannot
/// skip — over the whole file (its JSON line's `sha256`, which `--resume` matches) and over
/// the content (the CMS message-digest) — at `openssl speed`'s own rates, with nothing else
/// (no read, no parsing, no path, no report).
fn print_floor(a: &Args, corpus: &Path, checks: f64) {
    let files = files_under(corpus);
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let file_mean = total as f64 / files.len() as f64;
    let doc_mean = (0..a.files).map(doc_size).sum::<usize>() as f64 / a.files as f64;
    let rates = (
        openssl_speed::rsa2048_verify_per_s(),
        openssl_speed::sha256_bytes_per_s(file_mean.round() as usize),
        openssl_speed::sha256_bytes_per_s(doc_mean.round() as usize),
    );
    let (Some(rsa), Some(sha_file), Some(sha_doc)) = rates else {
        println!("floor: openssl speed not available");
        return;
    };
    let rsa_us = checks / rsa * 1e6;
    let file_us = file_mean / sha_file * 1e6;
    let doc_us = doc_mean / sha_doc * 1e6;
    println!(
        "floor per file at openssl speeds: {checks:.2} RSA checks {rsa_us:.1} µs + SHA-256 of the file \
         (mean {file_mean:.0} B, its JSON `sha256`) {file_us:.1} µs + SHA-256 of the content (mean \
         {doc_mean:.0} B, CMS message-digest) {doc_us:.1} µs: highest reachable ratio with no other \
         work at all {:.2}",
        rsa_us / (rsa_us + file_us + doc_us)
    );
}

fn big_files(a: &Args, pki_dir: &Path) {
    if a.big == 0 {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let block: Vec<u8> = (0..1024 * 1024)
        .map(|i: usize| (i * 31 % 251) as u8)
        .collect();
    for i in 0..a.big {
        let mut data = Vec::with_capacity(a.big_mib * block.len());
        for _ in 0..a.big_mib {
            data.extend_from_slice(&block);
        }
        data[..8].copy_from_slice(&(i as u64).to_le_bytes());
        std::fs::write(dir.path().join(format!("scan{i:04}.pdf")), data).unwrap();
    }
    let files = files_under(dir.path());
    let mib = (a.big * a.big_mib) as f64;
    let sha = || {
        let t = Instant::now();
        let ok = Command::new("sha256sum")
            .args(&files)
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| t.elapsed().as_secs_f64())
    };
    let _ = sha(); // warm-up: page cache
    let m = run_child(dir.path(), pki_dir, a.jobs);
    let ours = mib / m.seconds;
    println!(
        "large files: {} × {} MiB unsigned, batch --jobs {}: {ours:.0} MiB/s; peak RSS {:.1} MiB",
        a.big, a.big_mib, a.jobs, m.rss_mib
    );
    match sha() {
        Some(s) => println!(
            "sha256sum over the same files: {:.0} MiB/s; ratio {:.2}× (goal ≥ 0.8)",
            mib / s,
            ours * s / mib
        ),
        None => println!("sha256sum: not available"),
    }
    let t = Instant::now();
    let dgst = Command::new("openssl")
        .args(["dgst", "-sha256"])
        .args(&files)
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if dgst {
        let s = t.elapsed().as_secs_f64();
        println!(
            "openssl dgst -sha256 (SHA-NI) over the same files: {:.0} MiB/s; ratio {:.2}×",
            mib / s,
            ours * s / mib
        );
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(i) = argv.iter().position(|a| a == "--child") {
        let dir = PathBuf::from(&argv[i + 1]);
        let pki = PathBuf::from(&argv[i + 2]);
        child(&dir, &pki, argv[i + 3].parse().unwrap());
        return;
    }
    let a = args();
    println!("kenpo-verify batch benchmark, {}", allocator::NAME);
    let pki_dir = Scratch::new(&a, "pki");
    common::test_pki().write_to(pki_dir.path()).unwrap();
    small_files(&a, pki_dir.path());
    big_files(&a, pki_dir.path());
}
