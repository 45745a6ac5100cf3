//! `kenpo-sign sign` against `../shared/CLI.md`: key files, PKCS#12 and a SoftHSM2 PKCS#11
//! token; B-B and B-T; profiles; exit codes; nothing written on failure; `openssl cms
//! -verify` as the independent verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Server, openssl_available, p, run, run_env, text};

fn doc(dir: &Path) -> String {
    let d = dir.join("application.csv");
    std::fs::write(&d, "資格取得届,12345678,山田太郎\n").unwrap();
    d.to_str().unwrap().to_owned()
}

/// `openssl cms -verify` of a detached signature; true when it verifies.
fn openssl_verifies(sig: &str, content: &str) -> bool {
    let o = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content,
        ])
        .args([
            "-CAfile",
            &p("root-ca.pem"),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ])
        .output()
        .unwrap();
    o.status.success()
}

#[test]
fn sign_with_key_files_b_b_and_b_t() {
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let out = work.path().join("application.csv.p7s");
    let out_s = out.to_str().unwrap();
    let audit = work.path().join("audit.jsonl");
    let key_args = [
        "--cert",
        &p("hpki-signer.pem"),
        "--key",
        &p("hpki-signer.key.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
    ];

    let mut args = vec!["sign", &d];
    args.extend(key_args);
    args.extend([
        "--profile",
        "hpki",
        "--yes",
        "--audit-log",
        audit.to_str().unwrap(),
        "-o",
        out_s,
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Medical Doctor"),
        "roles are shown: {}",
        text(&o)
    );
    assert!(text(&o).contains("B-B"));
    if openssl_available() {
        assert!(openssl_verifies(out_s, &d));
        let other = work.path().join("other.csv");
        std::fs::write(&other, "changed").unwrap();
        assert!(
            !openssl_verifies(out_s, other.to_str().unwrap()),
            "other content must fail"
        );
    }
    let log = std::fs::read_to_string(&audit).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(line["outcome"], "signed", "{line}");

    // B-T against a `tsa serve` process: default level with --tsa is b-t.
    let server = Server::start(&work.path().join("tsa-state"));
    let bt = work.path().join("bt.p7s");
    let tsa_ca = p("tsa-ca.pem");
    let mut args = vec!["sign", &d];
    args.extend(key_args);
    args.extend([
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "--yes",
        "-o",
        bt.to_str().unwrap(),
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("genTime:"), "{}", text(&o));
    if openssl_available() {
        assert!(openssl_verifies(bt.to_str().unwrap(), &d));
        let printed = Command::new("openssl")
            .args([
                "cms",
                "-cmsout",
                "-print",
                "-inform",
                "DER",
                "-in",
                bt.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&printed.stdout);
        assert!(
            printed.contains("id-smime-aa-timeStampToken"),
            "token embedded"
        );
        assert!(printed.contains("id-smime-aa-signingCertificateV2"));
    }
    drop(server);

    // TSA down for B-T: operational error, nothing written.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = work.path().join("down.p7s");
    let url = format!("http://127.0.0.1:{port}/");
    let mut args = vec!["sign", &d];
    args.extend(key_args);
    args.extend(["--tsa", &url, "--yes", "-o", down.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(!down.exists());
}

#[test]
fn refusals_exit_1_and_write_nothing() {
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let out = work.path().join("out.p7s");
    let out_s = out.to_str().unwrap();
    let sign = |cert: &str, extra: &[&str]| {
        let cert_pem = p(&format!("{cert}.pem"));
        let key_pem = p(&format!("{cert}.key.pem"));
        let mut args = vec![
            "sign",
            d.as_str(),
            "--cert",
            &cert_pem,
            "--key",
            &key_pem,
            "--yes",
            "-o",
            out_s,
        ];
        args.extend(extra);
        run(&args)
    };
    // An HPKI authentication certificate under --profile hpki.
    let o = sign("hpki-auth", &["--profile", "hpki"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).to_lowercase().contains("authentication"),
        "{}",
        text(&o)
    );
    // Expired signer.
    let o = sign("hpki-signer-expired", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("expired"), "{}", text(&o));
    // Revoked signer with its CRL supplied, offline.
    let o = sign(
        "hpki-signer-revoked",
        &[
            "--crl",
            &p("hpki-sign-ca.crl"),
            "--offline",
            "--chain",
            &p("hpki-sign-ca.pem"),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("revoked"), "{}", text(&o));
    // B-LTA needs a TSA (and anchors): a usage error, nothing written.
    let o = sign("hpki-signer", &["--level", "b-lta"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--tsa"), "{}", text(&o));
    // Key not matching the certificate: a bad key is operational (4).
    let o = run(&[
        "sign",
        &d,
        "--cert",
        &p("hpki-signer.pem"),
        "--key",
        &p("tsa.key.pem"),
        "--yes",
        "-o",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("match"), "{}", text(&o));
    // Unreadable document.
    let o = run(&[
        "sign",
        "/nonexistent/doc",
        "--cert",
        &p("hpki-signer.pem"),
        "--key",
        &p("hpki-signer.key.pem"),
        "--yes",
        "-o",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    // Usage: no key source at all.
    assert_eq!(run(&["sign", &d, "-o", out_s]).status.code(), Some(2));
    assert!(
        !out.exists(),
        "nothing written by any refused or failed run"
    );
}

#[test]
fn sign_with_pkcs12_password_from_environment() {
    if !openssl_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let p12 = work.path().join("signer.p12");
    let o = Command::new("openssl")
        .args([
            "pkcs12",
            "-export",
            "-inkey",
            &p("hpki-signer.key.pem"),
            "-in",
            &p("hpki-signer.pem"),
        ])
        .args([
            "-certfile",
            &p("hpki-sign-ca.pem"),
            "-passout",
            "pass:kenpo-secret",
            "-out",
            p12.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = work.path().join("p12.p7s");
    let args = [
        "sign",
        &d,
        "--pkcs12",
        p12.to_str().unwrap(),
        "--attached",
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = run_env(&args, &[("KENPO_PASSWORD", "kenpo-secret")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            out.to_str().unwrap(),
        ])
        .args(["-CAfile", &p("root-ca.pem"), "-purpose", "any"])
        .output()
        .unwrap();
    assert!(v.status.success());
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        std::fs::read_to_string(&d).unwrap(),
        "attached content"
    );
    std::fs::remove_file(&out).unwrap();
    // A wrong password is a bad-password operational error, and no secret is read from argv.
    let o = run_env(&args, &[("KENPO_PASSWORD", "wrong")]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("password"), "{}", text(&o));
    // Without the variable and without a terminal there is nobody to ask.
    let o = run(&args);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("KENPO_PASSWORD"), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn sign_with_a_softhsm_token() {
    let module = std::env::var("KENPO_SOFTHSM2_MODULE")
        .unwrap_or_else(|_| "/usr/lib/softhsm/libsofthsm2.so".into());
    let tools = Path::new(&module).exists()
        && Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .is_ok()
        && Command::new("pkcs11-tool").arg("--help").output().is_ok();
    if !tools {
        assert!(
            std::env::var_os("CI").is_none(),
            "softhsm2 and opensc are required under CI"
        );
        eprintln!("SKIP: SoftHSM2 / pkcs11-tool not found");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tokens = work.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = work.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .unwrap();
    let conf_s = conf.to_str().unwrap();
    let sh = |prog: &str, args: &[&str]| {
        let o = Command::new(prog)
            .args(args)
            .env("SOFTHSM2_CONF", conf_s)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{prog} {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    sh(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "kenpo-card",
            "--so-pin",
            "1234",
            "--pin",
            "5678",
        ],
    );
    sh(
        "softhsm2-util",
        &[
            "--import",
            &p("hpki-signer.key.pem"),
            "--token",
            "kenpo-card",
            "--label",
            "signer",
            "--id",
            "01",
            "--pin",
            "5678",
        ],
    );
    sh(
        "pkcs11-tool",
        &[
            "--module",
            &module,
            "--token-label",
            "kenpo-card",
            "--login",
            "--pin",
            "5678",
            "--write-object",
            &p("hpki-signer.der"),
            "--type",
            "cert",
            "--label",
            "signer",
            "--id",
            "01",
        ],
    );

    let d = doc(work.path());
    let out = work.path().join("card.p7s");
    let args = [
        "sign",
        &d,
        "--pkcs11-module",
        &module,
        "--token",
        "kenpo-card",
        "--key-label",
        "signer",
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--profile",
        "hpki",
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = run_env(&args, &[("SOFTHSM2_CONF", conf_s), ("KENPO_PIN", "5678")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    if openssl_available() {
        assert!(openssl_verifies(out.to_str().unwrap(), &d));
    }
    std::fs::remove_file(&out).unwrap();
    let o = run_env(&args, &[("SOFTHSM2_CONF", conf_s), ("KENPO_PIN", "0000")]);
    assert_eq!(o.status.code(), Some(4), "wrong PIN: {}", text(&o));
    assert!(text(&o).to_uppercase().contains("PIN"), "{}", text(&o));
    assert!(!out.exists());
}

/// On a terminal, `sign` shows signer, roles, document SHA-256 and level and asks first
/// (rule 27's confirmation step). `script(1)` gives the child a real pseudo-terminal.
#[test]
fn confirmation_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "script(1) (util-linux) is required under CI"
        );
        eprintln!("SKIP: script(1) not found");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let out = work.path().join("confirmed.p7s");
    let cmd = format!(
        "{} sign {d} --cert {} --key {} --profile hpki -o {}",
        common::BIN,
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        out.display()
    );
    let answer = |reply: &str| {
        use std::io::Write;
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(reply.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let o = answer("n\n");
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "declined: {shown}");
    assert!(
        shown.contains("Medical Doctor") && shown.contains("SHA-256") && shown.contains("B-B"),
        "{shown}"
    );
    assert!(!out.exists(), "declined: nothing written");
    let o = answer("y\n");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(out.exists());
}
