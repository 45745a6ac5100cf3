//! The `kenpo-sign` binary against `../shared/CLI.md`: `testpki`, `tsa serve`, `timestamp`,
//! `timestamp-verify`, exit codes, atomic outputs, and `openssl ts -verify` on our output.
//! Every server binds 127.0.0.1 on an OS-chosen port and is stopped by the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Server, p, run, text};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn serial_of(o: &Output) -> u64 {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let line = out
        .lines()
        .find(|l| l.starts_with("serial:"))
        .expect("serial line");
    u64::from_str_radix(line.trim_start_matches("serial:").trim(), 16).unwrap()
}

#[test]
fn serve_timestamp_verify_round_trip_with_exit_codes() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let doc = work.path().join("application.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let other = work.path().join("other.csv");
    std::fs::write(&other, "something else\n").unwrap();
    let out = work.path().join("out").join("application.csv.tsr");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (doc_s, out_s) = (doc.to_str().unwrap(), out.to_str().unwrap());

    let server = Server::start(&state);
    let o = run(&[
        "timestamp",
        doc_s,
        "--tsa",
        &server.url,
        "--trust",
        &p("tsa-ca.pem"),
        "-o",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let first_serial = serial_of(&o);
    assert!(out.is_file());

    // Verification: JSON fields, then other data fails with exit 1.
    let o = run(&[
        "timestamp-verify",
        out_s,
        "--data",
        doc_s,
        "--trust",
        &p("tsa-ca.pem"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["policy"], "1.3.6.1.4.1.32473.27.3.1");
    assert_eq!(v["accuracy_ms"], 500);
    assert!(v["gen_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["path"].as_array().unwrap().len(), 2);
    let o = run(&[
        "timestamp-verify",
        out_s,
        "--data",
        other.to_str().unwrap(),
        "--trust",
        &p("tsa-ca.pem"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("imprint"), "{v}");
    // A root that did not issue the TSA certificate: not trusted, exit 1.
    let o = run(&[
        "timestamp-verify",
        out_s,
        "--data",
        doc_s,
        "--trust",
        &p("root-ca.pem"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not trusted"), "{}", text(&o));

    // The independent verifier agrees.
    if Command::new("openssl").arg("version").output().is_ok() {
        let o = Command::new("openssl")
            .args([
                "ts",
                "-verify",
                "-in",
                out_s,
                "-data",
                doc_s,
                "-CAfile",
                &p("tsa-ca.pem"),
            ])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Verification: OK"),
            "{}",
            text(&o)
        );
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is required under CI"
        );
    }

    // A policy the TSA does not offer: refused with the failInfo named, exit 1, no output.
    let refused = work.path().join("out").join("refused.tsr");
    let o = run(&[
        "timestamp",
        doc_s,
        "--tsa",
        &server.url,
        "--policy",
        "1.2.3.4",
        "-o",
        refused.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("unacceptedPolicy"), "{}", text(&o));
    assert!(!refused.exists());

    // Restart on the same state: serials keep increasing.
    assert_eq!(server.stop(), Some(0), "graceful shutdown exits 0");
    let server = Server::start(&state);
    let again = work.path().join("out").join("again.tsr");
    let o = run(&[
        "timestamp",
        doc_s,
        "--tsa",
        &server.url,
        "-o",
        again.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(serial_of(&o) > first_serial);
    let audit = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    assert!(
        audit.lines().count() >= 3,
        "granted, rejected, granted: {audit}"
    );
    drop(server);

    // Only the two responses are in the output directory: no temporary files left.
    let names: Vec<String> = files_in(out.parent().unwrap())
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["again.tsr", "application.csv.tsr"]);
}

#[test]
fn operational_errors_exit_4_and_write_nothing() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("doc.txt");
    std::fs::write(&doc, "x").unwrap();
    let out = work.path().join("out.tsr");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let o = run(&[
        "timestamp",
        doc.to_str().unwrap(),
        "--tsa",
        &url,
        "--timeout",
        "5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains(&url),
        "the error names the TSA: {}",
        text(&o)
    );
    assert!(!out.exists());
    assert_eq!(
        files_in(work.path()),
        vec![doc.clone()],
        "no temporary file left"
    );

    // Unreadable input file.
    let o = run(&[
        "timestamp",
        "/nonexistent/doc",
        "--tsa",
        &url,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("/nonexistent/doc"));

    // A TSA certificate that cannot be a TSA: the server refuses to start (exit 4).
    let o = run(&[
        "tsa",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &p("tsa-no-eku.pem"),
        "--key",
        &p("tsa-no-eku.key.pem"),
        "--policy",
        "1.2.3",
        "--state",
        work.path().join("s").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).to_lowercase().contains("key usage"),
        "{}",
        text(&o)
    );
}

#[test]
fn verdicts_on_bad_tokens_and_usage_errors() {
    let work = tempfile::tempdir().unwrap();
    let junk = work.path().join("junk.tsr");
    std::fs::write(&junk, b"\x30\x03\x02\x01").unwrap();
    let o = run(&[
        "timestamp-verify",
        junk.to_str().unwrap(),
        "--data",
        junk.to_str().unwrap(),
        "--trust",
        &p("tsa-ca.pem"),
        "--lang",
        "en",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "not a token is a failed verdict: {}",
        text(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("Verification: FAILED"));
    // Missing data file: operational.
    let o = run(&[
        "timestamp-verify",
        junk.to_str().unwrap(),
        "--data",
        "/nonexistent",
        "--trust",
        &p("tsa-ca.pem"),
    ]);
    assert!(matches!(o.status.code(), Some(1) | Some(4)), "{}", text(&o));
    // Usage errors are clap's exit 2.
    assert_eq!(run(&["timestamp", "x", "-o", "y"]).status.code(), Some(2));
    assert_eq!(
        run(&["timestamp-verify", "x", "--data", "y"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&[
            "timestamp",
            "x",
            "--tsa",
            "http://127.0.0.1:9/",
            "--hash",
            "md5",
            "-o",
            "y"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn demo_runs_the_main_job() {
    let work = tempfile::tempdir().unwrap();
    let o = run(&[
        "demo",
        "--dir",
        work.path().to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("TOTAL_PASSED"), "{out}");
    assert!(out.contains("B-LTA"), "{out}");
    let f = |name: &str| work.path().join(name).to_str().unwrap().to_owned();
    let pki = |name: &str| {
        work.path()
            .join("pki")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    };
    // The intake token verifies with the CLI too.
    let o = run(&[
        "timestamp-verify",
        &f("submission.csv.tsr"),
        "--data",
        &f("submission.csv"),
        "--trust",
        &pki("tsa-ca.pem"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // And the B-LTA signature verifies offline, from embedded data only.
    let o = run(&[
        "verify",
        &f("application.csv.p7s"),
        "--content",
        &f("application.csv"),
        "--trust",
        &pki("root-ca.pem"),
        "--trust",
        &pki("tsa-ca.pem"),
        "--offline",
        "--profile",
        "hpki",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signatures"][0]["level"], "B-LTA");
}

/// `tsa serve --header-timeout-secs --max-connections`: an idle connection is closed by the
/// server, a connection over the cap is told 503 and closed, and a real request is still
/// answered meanwhile.
#[test]
fn serve_limits_flags_close_idle_and_excess_connections() {
    use std::io::Read;
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let work = tempfile::tempdir().unwrap();
    let server = Server::start_with_args(
        common::pki(),
        "tsa",
        &work.path().join("state"),
        &["--header-timeout-secs", "1", "--max-connections", "2"],
    );
    let addr = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');

    // Two idle connections take both slots; a third is refused with 503 at once.
    let mut idle = TcpStream::connect(addr).unwrap();
    let second = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    third.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "over the cap: {answer:?}"
    );

    // The idle one is closed by the server after the header timeout (EOF, not our timeout).
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let n = idle.read(&mut buf).unwrap();
    assert_eq!(n, 0, "the server closes an idle connection");
    assert!(started.elapsed() < Duration::from_secs(15));
    drop(idle);
    drop(second);
    drop(third);

    // Slots free again: a real time-stamp is granted.
    let doc = work.path().join("doc.txt");
    std::fs::write(&doc, "intake\n").unwrap();
    let out = work.path().join("doc.tsr");
    let mut granted = None;
    for _ in 0..50 {
        let o = run(&[
            "timestamp",
            doc.to_str().unwrap(),
            "--tsa",
            &server.url,
            "--trust",
            &p("tsa-ca.pem"),
            "-o",
            out.to_str().unwrap(),
        ]);
        if o.status.code() == Some(0) {
            granted = Some(o);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        granted.is_some(),
        "a request after the attackers left is answered"
    );
    assert!(out.is_file());
}
