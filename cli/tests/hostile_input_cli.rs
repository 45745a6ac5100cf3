//! Hostile input through the real binary: inputs that must be held in memory are refused
//! past `--max-input-bytes` (a 3 GiB sparse file, `/dev/zero`, a FIFO that never ends),
//! detached content of a gigabyte is hashed as a stream by `sign`, `verify`, `timestamp`,
//! `timestamp-verify` and `extend` in small memory (peak resident set read from
//! `/proc/PID/status` while the child runs), and `batch` does not read what a symbolic link
//! outside the walked folder points to (nor time-stamp it with `--archive`).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{BIN, text};
use serde_json::Value;

/// The default of `--max-input-bytes` (and of `batch --max-file-size`): 256 MiB.
const DEFAULT_LIMIT: &str = "268435456";
/// The size of the streamed detached content.
const LARGE_CONTENT: u64 = 1 << 30;
/// Generous bound on the peak resident set of a streaming command (KiB).
const SMALL_RSS_KIB: u64 = 128 * 1024;
/// Bound on any one run: a command that reads an endless input without limit never ends.
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// A test PKI dated 63 minutes ahead (as in `batch_cli.rs`): its CRLs are issued after the
/// time-stamps the tests make, which B-LTA extension needs.
fn pki() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(63);
        let at = kenpo_core::timefmt::rfc3339(at.replace_nanosecond(0).unwrap());
        let o = common::run(&["testpki", d.path().to_str().unwrap(), "--at", &at]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        d
    })
    .path()
}

fn p(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

/// What a measured run gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident set (VmHWM) seen while the child ran, KiB.
    peak_kib: u64,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the binary, polling its peak resident set until it exits; killed (and the test
/// failed) after [`RUN_LIMIT`].
fn run_measured(args: &[&str]) -> Run {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Some(k) = vm_hwm_kib(child.id()) {
            peak_kib = peak_kib.max(k);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kenpo-sign {args:?} still running after {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |mut f: File| {
        use std::io::{Read, Seek};
        let mut s = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut s).unwrap();
        s
    };
    Run {
        code: status.code(),
        stdout: read(out),
        stderr: read(err),
        peak_kib,
    }
}

fn sparse(path: &Path, len: u64) {
    File::create(path).unwrap().set_len(len).unwrap();
}

fn assert_refused(r: &Run, file: &Path, limit: &str) {
    assert_eq!(r.code, Some(4), "{}", r.all());
    let file = file.to_str().unwrap();
    assert!(r.stderr.contains(file), "names the file: {}", r.stderr);
    assert!(r.stderr.contains(limit), "names the limit: {}", r.stderr);
    assert!(
        r.stderr.contains("--max-input-bytes"),
        "names the flag: {}",
        r.stderr
    );
}

#[test]
fn oversized_inputs_are_refused_with_exit_4_naming_file_limit_and_flag() {
    let work = tempfile::tempdir().unwrap();
    let big = work.path().join("big.p7s");
    sparse(&big, 3 << 30);
    let big_s = big.to_str().unwrap();
    let small = work.path().join("small.txt");
    std::fs::write(&small, "x").unwrap();
    let small_s = small.to_str().unwrap();
    let root = p("root-ca.pem");
    let (cert, key) = (p("hpki-signer.pem"), p("hpki-signer.key.pem"));
    let out = work.path().join("out.p7s");
    let out_s = out.to_str().unwrap().to_owned();
    let folder = work.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "x").unwrap();
    let folder_s = folder.to_str().unwrap().to_owned();
    let report_s = work
        .path()
        .join("report.jsonl")
        .to_str()
        .unwrap()
        .to_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["verify", big_s, "--trust", &root, "--offline"],
        vec!["verify-cert", big_s, "--trust", &root, "--offline"],
        vec!["inspect", big_s],
        vec!["inspect", big_s, "--format", "json"],
        vec![
            "timestamp-verify",
            big_s,
            "--data",
            small_s,
            "--trust",
            &root,
        ],
        vec!["plan", big_s, "--trust", &root],
        // Files beside the main input are held too: a trust anchor, a CRL.
        vec!["verify", small_s, "--trust", big_s, "--offline"],
        vec!["verify", small_s, "--trust", &root, "--crl", big_s],
        vec!["verify-cert", &root, "--trust", big_s],
        // The commands that write: extend's signature and its validation data, sign's
        // chain and trust files, timestamp's trust files, batch's CRLs and anchors.
        vec![
            "extend", big_s, "--to", "b-lt", "--trust", &root, "-o", &out_s,
        ],
        vec![
            "extend", small_s, "--to", "b-lt", "--trust", &root, "--crl", big_s, "-o", &out_s,
        ],
        vec![
            "sign", small_s, "--cert", &cert, "--key", &key, "--chain", big_s, "--yes", "-o",
            &out_s,
        ],
        vec![
            "sign", small_s, "--cert", &cert, "--key", &key, "--trust", big_s, "--yes", "-o",
            &out_s,
        ],
        vec![
            "sign", small_s, "--cert", big_s, "--key", &key, "--yes", "-o", &out_s,
        ],
        vec![
            "sign", small_s, "--cert", &cert, "--key", big_s, "--yes", "-o", &out_s,
        ],
        vec!["sign", small_s, "--pkcs12", big_s, "--yes", "-o", &out_s],
        vec![
            "timestamp",
            small_s,
            "--tsa",
            "http://127.0.0.1:9/",
            "--trust",
            big_s,
            "-o",
            &out_s,
        ],
        vec![
            "batch", &folder_s, "--trust", &root, "--crl", big_s, "--report", &report_s,
        ],
        vec!["batch", &folder_s, "--trust", big_s, "--report", &report_s],
    ];
    for args in &cases {
        let r = run_measured(args);
        assert_refused(&r, &big, DEFAULT_LIMIT);
        assert!(r.peak_kib < 512 * 1024, "{args:?}: peak {} KiB", r.peak_kib);
        assert!(!out.exists(), "{args:?} wrote its output");
    }
    // The limit is the caller's: a real certificate over a lower limit is refused, under
    // a raised one accepted.
    let r = run_measured(&["inspect", &root, "--max-input-bytes", "100"]);
    assert_refused(&r, Path::new(&root), "100");
    let r = run_measured(&["inspect", &root, "--max-input-bytes", "1M"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stdout.contains("certificate"), "{}", r.stdout);
    let r = run_measured(&["inspect", &root, "--max-input-bytes", "lots"]);
    assert_eq!(r.code, Some(2), "{}", r.all());
}

#[test]
fn endless_inputs_stop_at_the_limit() {
    let root = p("root-ca.pem");
    for args in [
        vec!["inspect", "/dev/zero", "--max-input-bytes", "1M"],
        vec![
            "verify",
            "/dev/zero",
            "--trust",
            &root,
            "--offline",
            "--max-input-bytes",
            "1M",
        ],
        vec![
            "verify-cert",
            "/dev/zero",
            "--trust",
            &root,
            "--max-input-bytes",
            "1M",
        ],
    ] {
        let r = run_measured(&args);
        assert_refused(&r, Path::new("/dev/zero"), "1048576");
    }
    // A FIFO whose writer never stops: the reader stops after the limit, the writer then
    // sees the pipe closed.
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("endless.p7s");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let chunk = vec![0x30u8; 64 * 1024];
            let mut written = 0u64;
            while f.write_all(&chunk).is_ok() {
                written += chunk.len() as u64;
            }
            written
        })
    };
    let r = run_measured(&["inspect", fifo.to_str().unwrap(), "--max-input-bytes", "2M"]);
    assert_refused(&r, &fifo, "2097152");
    let written = writer.join().unwrap();
    assert!(
        written < 64 << 20,
        "the writer was stopped: {written} bytes"
    );
}

/// `kenpo-sign tsa serve` with this file's PKI; killed on drop.
fn tsa(state: &Path) -> common::Server {
    common::Server::start_with(pki(), "tsa", state)
}

fn assert_small(r: &Run, what: &str) {
    assert!(
        r.peak_kib > 0 && r.peak_kib < SMALL_RSS_KIB,
        "{what}: peak resident set {} KiB (bound {SMALL_RSS_KIB} KiB)",
        r.peak_kib
    );
}

#[test]
fn large_detached_content_is_hashed_as_a_stream() {
    let work = tempfile::tempdir().unwrap();
    let server = tsa(&work.path().join("tsa-state"));
    let doc = work.path().join("scan.bin");
    sparse(&doc, LARGE_CONTENT);
    let doc_s = doc.to_str().unwrap();
    let sig = work.path().join("scan.bin.p7s");
    let sig_s = sig.to_str().unwrap();
    let (cert, key, chain, root, tsa_ca) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
        p("root-ca.pem"),
        p("tsa-ca.pem"),
    );
    let crls = [p("hpki-sign-ca.crl"), p("root-ca.crl"), p("tsa-ca.crl")];
    let r = run_measured(&[
        "sign",
        doc_s,
        "--cert",
        &cert,
        "--key",
        &key,
        "--chain",
        &chain,
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "--yes",
        "-o",
        sig_s,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert_small(&r, "sign");

    let verify = |sig: &str| {
        run_measured(&[
            "verify",
            sig,
            "--content",
            doc_s,
            "--trust",
            &root,
            "--trust",
            &tsa_ca,
            "--crl",
            &crls[0],
            "--crl",
            &crls[1],
            "--crl",
            &crls[2],
            "--offline",
            "--format",
            "json",
        ])
    };
    let r = verify(sig_s);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["indication"], "TOTAL_PASSED", "{}", r.stdout);
    assert_small(&r, "verify --content");

    let tsr = work.path().join("scan.tsr");
    let r = run_measured(&[
        "timestamp",
        doc_s,
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "-o",
        tsr.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert_small(&r, "timestamp");
    let r = run_measured(&[
        "timestamp-verify",
        tsr.to_str().unwrap(),
        "--data",
        doc_s,
        "--trust",
        &tsa_ca,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert_small(&r, "timestamp-verify --data");

    let lta = work.path().join("scan.bin.lta.p7s");
    let r = run_measured(&[
        "extend",
        sig_s,
        "--content",
        doc_s,
        "--to",
        "b-lta",
        "--tsa",
        &server.url,
        "--trust",
        &root,
        "--trust",
        &tsa_ca,
        "--crl",
        &crls[0],
        "--crl",
        &crls[1],
        "--crl",
        &crls[2],
        "-o",
        lta.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert_small(&r, "extend --content");
    let r = verify(lta.to_str().unwrap());
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["signatures"][0]["level"], "B-LTA", "{}", r.all());
    assert_eq!(j["indication"], "TOTAL_PASSED", "{}", r.all());
    assert_small(&r, "verify --content (B-LTA)");

    // The measurement sees memory: `inspect` holding 200 MiB from a FIFO (the writer keeps
    // it open, so the reader waits with what it has read) shows at least that much.
    let fifo = work.path().join("held.p7s");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (close_tx, close_rx) = std::sync::mpsc::channel::<()>();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..200 {
                f.write_all(&chunk).unwrap();
            }
            let _ = close_rx.recv();
        })
    };
    let mut child = Command::new(BIN)
        .args(["inspect", fifo.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut seen = 0;
    while seen < 190 * 1024 && started.elapsed() < RUN_LIMIT {
        seen = vm_hwm_kib(child.id()).unwrap_or(0).max(seen);
        std::thread::sleep(Duration::from_millis(5));
    }
    close_tx.send(()).unwrap();
    writer.join().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1));
    assert!(seen >= 190 * 1024, "peak {seen} KiB while holding 200 MiB");
}

fn sha256_hex(bytes: &[u8]) -> String {
    kenpo_core::alg::DigestAlgorithm::Sha256
        .digest(bytes)
        .to_hex()
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn batch_does_not_read_links_that_leave_the_folder() {
    use std::os::unix::fs::symlink;
    let work = tempfile::tempdir().unwrap();
    let server = tsa(&work.path().join("tsa-state"));
    let outside = work.path().join("outside");
    std::fs::create_dir_all(outside.join("deep")).unwrap();
    let secret = b"root:x:0:0:secret\n";
    std::fs::write(outside.join("passwd"), secret).unwrap();
    std::fs::write(outside.join("deep/shadow.csv"), b"also secret\n").unwrap();
    let root = work.path().join("in");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/application.csv"), "application\n").unwrap();
    symlink(outside.join("passwd"), root.join("passwd.csv")).unwrap();
    symlink("../../outside/passwd", root.join("sub/relative.p7s")).unwrap();
    symlink(&outside, root.join("elsewhere")).unwrap();
    symlink("sub/application.csv", root.join("inside.csv")).unwrap();
    symlink("sub", root.join("inside-dir")).unwrap();
    symlink("..", root.join("sub/loop")).unwrap();

    let out = work.path().join("out");
    let report = work.path().join("report.jsonl");
    let (trust, tsa_ca) = (p("root-ca.pem"), p("tsa-ca.pem"));
    let o = Command::new(BIN)
        .args(["batch", root.to_str().unwrap(), "--report"])
        .arg(&report)
        .args([
            "--trust",
            &trust,
            "--trust",
            &tsa_ca,
            "--offline",
            "--jobs",
            "2",
        ])
        .args(["--archive", "--tsa", &server.url, "--out"])
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, files) = lines.split_last().unwrap();
    let by_path = |rel: &str| {
        let path = root.join(rel);
        files
            .iter()
            .find(|l| l["path"] == path.to_str().unwrap())
            .unwrap_or_else(|| panic!("no line for {rel}: {lines:?}"))
    };
    for (rel, target) in [
        ("passwd.csv", outside.join("passwd")),
        ("sub/relative.p7s", outside.join("passwd")),
        ("elsewhere", outside.clone()),
    ] {
        let l = by_path(rel);
        assert_eq!(l["kind"], "skipped", "{l}");
        assert!(l["sha256"].is_null(), "{l}");
        assert!(l["indication"].is_null(), "{l}");
        let err = l["error"].as_str().unwrap();
        let target = target.canonicalize().unwrap();
        assert!(err.contains(target.to_str().unwrap()), "{err}");
        assert!(err.contains("outside"), "{err}");
        assert!(
            stderr.contains(root.join(rel).to_str().unwrap()),
            "reported on stderr: {stderr}"
        );
    }
    // Links inside the tree are followed.
    assert_eq!(by_path("inside.csv")["kind"], "unsigned");
    assert_eq!(
        by_path("inside.csv")["sha256"],
        sha256_hex(b"application\n")
    );
    assert_eq!(by_path("sub/application.csv")["kind"], "unsigned");
    // A link to a directory inside is walked once (`sub` or `inside-dir`), a loop ends.
    let walked_twice = files
        .iter()
        .filter(|l| l["path"].as_str().unwrap().ends_with("application.csv"))
        .count();
    assert_eq!(walked_twice, 1, "{lines:?}");
    assert!(stderr.contains("already walked"), "{stderr}");
    // Nothing outside was read: no line carries its hash or lies under the outside link.
    for l in files {
        assert_ne!(l["sha256"], sha256_hex(secret), "{l}");
        assert_ne!(l["sha256"], sha256_hex(b"also secret\n"), "{l}");
        let path = l["path"].as_str().unwrap();
        assert!(!path.contains("elsewhere/"), "{l}");
        assert!(l["error"].is_null() || l["kind"] == "skipped", "{l}");
    }
    let s = &summary["summary"];
    assert_eq!(s["skipped"], 3, "{summary}");
    assert_eq!(s["errors"], 0, "{summary}");
    assert_eq!(s["unsigned"], 2, "{summary}");
    assert_eq!(s["files"].as_u64(), Some(files.len() as u64), "{summary}");
    // With --archive nothing outside was time-stamped.
    let made: Vec<String> = files_under(&out)
        .iter()
        .map(|f| f.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        made.iter()
            .all(|f| !f.contains("passwd") && !f.contains("elsewhere") && !f.contains("relative")),
        "{made:?}"
    );
    assert!(made.contains(&"inside.csv.tsr".to_owned()), "{made:?}");
}
