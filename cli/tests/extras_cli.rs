//! The smaller parts of the command line, through the real binary: shell completions and
//! manual pages, times in text reports (`--tz`, Japan time by default; JSON stays RFC 3339
//! UTC), no Rust debug structures in output, default output names (`timestamp` → FILE.tsr,
//! `sign` → DOC.p7s / DOC.p7m, never replacing a file without `--force`), `tsa serve`
//! without `--policy` / `--state`, and `testpki serve` on a free port (two at once).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BIN, p, run, run_env, text};

#[test]
fn bash_completion_names_every_subcommand_and_bash_accepts_it() {
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let script = String::from_utf8(o.stdout).unwrap();
    for sub in [
        "sign",
        "timestamp",
        "timestamp-verify",
        "verify",
        "verify-cert",
        "tsa",
        "extend",
        "plan",
        "batch",
        "inspect",
        "demo",
        "completions",
        "man",
    ] {
        assert!(script.contains(sub), "{sub} missing from the script");
    }
    assert!(script.contains("--trust") && script.contains("--revocation-cache"));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("kenpo-sign.bash");
    std::fs::write(&f, &script).unwrap();
    match Command::new("bash").arg("-n").arg(&f).output() {
        Ok(o) => assert!(o.status.success(), "bash -n: {}", text(&o)),
        Err(_) => eprintln!("SKIP: bash not found"),
    }
    for shell in ["zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("verify-cert"));
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn man_pages_are_roff_and_render() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains(".TH kenpo-sign 1"), "{page}");
    assert!(page.contains("verify\\-cert"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for name in [
        "kenpo-sign.1",
        "kenpo-sign-verify.1",
        "kenpo-sign-batch.1",
        "kenpo-sign-tsa-serve.1",
        "kenpo-sign-completions.1",
    ] {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH "), "{name}");
    }
    let verify = std::fs::read_to_string(dir.path().join("kenpo-sign-verify.1")).unwrap();
    assert!(verify.contains("\\-\\-trust"), "{verify}");
    // man -l, where man is installed, renders the page without complaint.
    let rendered = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(dir.path().join("kenpo-sign-verify.1"))
        .env("MANWIDTH", "100")
        .output();
    match rendered {
        Ok(o) if o.status.success() => {
            let t = String::from_utf8_lossy(&o.stdout);
            assert!(t.contains("--trust"), "{t}");
        }
        _ => eprintln!("SKIP: man -l not available"),
    }
}

/// A test PKI dated 2026-12-06T14:28:17Z in a directory of its own.
fn dated_pki() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let o = run(&[
        "testpki",
        d.path().to_str().unwrap(),
        "--at",
        "2026-12-06T14:28:17Z",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    d
}

/// `verify-cert` used to print `2026-12-06 14:28:17.0 +00:00:00` (the time crate's
/// debugging form): now RFC 3339 UTC in JSON, Japan time in text unless `--tz`.
#[test]
fn verify_cert_times_are_rfc3339_in_json_and_japan_time_in_text() {
    let d = dated_pki();
    let f = |n: &str| d.path().join(n).to_str().unwrap().to_owned();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "verify-cert".to_owned(),
            f("hpki-signer-expired.pem"),
            "--chain".into(),
            f("hpki-sign-ca.pem"),
            "--trust".into(),
            f("root-ca.pem"),
            "--crl".into(),
            f("hpki-sign-ca.crl"),
            "--crl".into(),
            f("root-ca.crl"),
            "--offline".into(),
            "--at".into(),
            "2026-12-06T14:28:17Z".into(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let go = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = run(&a);
        assert_ne!(o.status.code(), Some(0), "{}", text(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let ja_time = go(&["--lang", "en"]);
    assert!(
        ja_time.contains("expired at ") && ja_time.contains("23:28:17 +09:00"),
        "{ja_time}"
    );
    assert!(!ja_time.contains("+00:00:00"), "{ja_time}");
    let utc = go(&["--lang", "en", "--tz", "UTC"]);
    assert!(utc.contains("14:28:17 +00:00"), "{utc}");
    let json = go(&["--format", "json", "--tz", "+05:00"]);
    assert!(json.contains("14:28:17Z"), "{json}");
    assert!(
        !json.contains("+09:00") && !json.contains("+05:00"),
        "{json}"
    );
    let o = run(&args(&["--tz", "Mars/Olympus"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("time zone"), "{}", text(&o));
}

/// `tsa serve` child on 127.0.0.1 started in `cwd` with `args` after the certificate
/// options; returns the child and its first stdout line.
fn tsa_serve(cwd: &Path, pki: &Path, args: &[&str]) -> (std::process::Child, String) {
    let f = |n: &str| pki.join(n).to_str().unwrap().to_owned();
    let mut child = Command::new(BIN)
        .current_dir(cwd)
        .args(["tsa", "serve", "--listen", "127.0.0.1:0"])
        .args(["--cert", &f("tsa.pem"), "--key", &f("tsa.key.pem")])
        .args(["--chain", &f("tsa-ca.pem")])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// `tsa serve` with neither `--policy` nor `--state`: the documented test policy (and a
/// warning saying so) and `./kenpo-tsa-state`. `timestamp` without `-o` writes FILE.tsr
/// and will not replace it without `--force`.
#[test]
fn defaults_of_tsa_serve_and_timestamp_output() {
    let cwd = tempfile::tempdir().unwrap();
    let (mut child, line) = tsa_serve(cwd.path(), common::pki(), &[]);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    assert!(line.contains("kenpo-tsa-state"), "{line}");
    assert!(cwd.path().join("kenpo-tsa-state").is_dir());

    let doc = cwd.path().join("a.csv");
    std::fs::write(&doc, "x\n").unwrap();
    let stamp = |extra: &[&str]| {
        let mut a = vec!["timestamp", doc.to_str().unwrap(), "--tsa", &url, "--trust"];
        let trust = p("tsa-ca.pem");
        a.push(&trust);
        a.extend(extra);
        let o = run(&a);
        (o.status.code(), text(&o))
    };
    let (code, out) = stamp(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("policy:  1.3.6.1.4.1.32473.27.3.1"), "{out}");
    let tsr = cwd.path().join("a.csv.tsr");
    let first = std::fs::read(&tsr).unwrap();
    // A second run refuses to replace it, and says how.
    let (code, out) = stamp(&[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("already exists") && out.contains("--force"),
        "{out}"
    );
    assert_eq!(std::fs::read(&tsr).unwrap(), first, "left as it was");
    let (code, out) = stamp(&["--force"]);
    assert_eq!(code, Some(0), "{out}");
    assert_ne!(std::fs::read(&tsr).unwrap(), first, "replaced");

    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
    assert!(err.contains("test policy"), "{err}");
}

/// `sign` without `-o`: DOC.p7s (DOC.p7m with --attached), never replacing a file without
/// `--force`. The revocation line says "good (…)", not a Rust debug structure.
#[test]
fn sign_default_output_and_readable_revocation_line() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("claim.csv");
    std::fs::write(&doc, "x\n").unwrap();
    let sign = |extra: &[&str]| {
        let (cert, key, chain, crl, root_crl) = (
            p("hpki-signer.pem"),
            p("hpki-signer.key.pem"),
            p("hpki-sign-ca.pem"),
            p("hpki-sign-ca.crl"),
            p("root-ca.crl"),
        );
        let mut a = vec!["sign", doc.to_str().unwrap(), "--yes"];
        a.extend(["--cert", &cert, "--key", &key, "--chain", &chain]);
        a.extend(["--crl", &crl, "--crl", &root_crl, "--offline"]);
        a.extend(extra);
        let o = run_env(&a, &[]);
        (o.status.code(), text(&o))
    };
    let (code, out) = sign(&[]);
    assert_eq!(code, Some(0), "{out}");
    let p7s = dir.path().join("claim.csv.p7s");
    assert!(p7s.is_file(), "{out}");
    let (code, out) = sign(&["--attached"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(dir.path().join("claim.csv.p7m").is_file(), "{out}");
    let before = std::fs::read(&p7s).unwrap();
    let (code, out) = sign(&[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(std::fs::read(&p7s).unwrap(), before);
    let (code, out) = sign(&["--force"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains(" { ") && !out.contains("Good"), "{out}");
}

/// The revocation line of a B-T signature, checked against a CRL at genTime.
#[test]
fn sign_revocation_at_gen_time_is_plain_text() {
    let env = common::env();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("claim.csv");
    std::fs::write(&doc, "x\n").unwrap();
    let (cert, key, chain, trust) = (
        common::f("hpki-signer.pem"),
        common::f("hpki-signer.key.pem"),
        common::f("hpki-sign-ca.pem"),
        common::f("tsa-ca.pem"),
    );
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--yes",
        "--cert",
        &cert,
        "--key",
        &key,
        "--chain",
        &chain,
        "--tsa",
        &env.tsa.url,
        "--trust",
        &trust,
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("revocation at genTime:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(": good ("), "{line}");
    assert!(!line.contains('{') && !line.contains("source:"), "{line}");
}

/// The first stdout line of a `testpki serve` child, and the child.
fn testpki_serve(dir: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args(["testpki", "serve", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        out.read_line(&mut line).unwrap();
        if line.contains("listening") {
            break;
        }
    }
    (child, line)
}

/// `testpki serve` used to listen on 127.0.0.1:8480 unless told otherwise, so a second
/// one failed; now each gets a free port and its certificates point at it.
#[test]
fn two_testpki_services_run_at_once_on_their_own_ports() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut ca, la) = testpki_serve(a.path());
    let (mut cb, lb) = testpki_serve(b.path());
    let base = |l: &str| {
        l.split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("{l}"))
            .trim_end_matches('/')
            .to_owned()
    };
    let (ba, bb) = (base(&la), base(&lb));
    assert_ne!(ba, bb);
    for (dir, base) in [(a.path(), &ba), (b.path(), &bb)] {
        let pem = std::fs::read(dir.join("hpki-signer.pem")).unwrap();
        let (_, der) = der::pem::decode_vec(&pem).unwrap();
        let url = format!("{base}/crl/hpki-sign-ca.crl");
        assert!(
            der.windows(url.len()).any(|w| w == url.as_bytes()),
            "{url} not in the certificate"
        );
    }
    for c in [&mut ca, &mut cb] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
