//! `--offline` and `--fetch-allow HOST[:PORT]` on the commands that fetch (verify,
//! verify-cert, extend, batch, sign) against a real revocation service on 127.0.0.1 that
//! counts what it is asked: offline, or with an allow-list not naming it, it is asked
//! nothing; named, it is.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, run, served_pki, text};
use kenpo_testpki::service::RevocationService;

fn asked(service: &RevocationService) -> usize {
    let h = service.hits();
    h.ocsp + h.crl + h.ca + h.other
}

#[test]
fn offline_and_the_allow_list_keep_every_command_from_fetching() {
    let (keys, service) = served_pki();
    let f = |n: &str| keys.path().join(n).to_str().unwrap().to_owned();
    let port = service.local_addr().port();
    let own = format!("127.0.0.1:{port}");
    let other = format!("127.0.0.1:{}", port.wrapping_add(1).max(1));

    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let doc = inbox.join("application.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let sig = inbox.join("application.csv.p7s");
    let (doc_s, sig_s) = (doc.to_str().unwrap(), sig.to_str().unwrap());
    let tsa = Server::start_with(keys.path(), "tsa", &work.path().join("tsa-state"));
    let (cert, key, chain) = (
        f("hpki-signer.pem"),
        f("hpki-signer.key.pem"),
        f("hpki-sign-ca.pem"),
    );
    let (root, tsa_ca) = (f("root-ca.pem"), f("tsa-ca.pem"));

    // Each command with `extra`; returns how many requests the service answered meanwhile.
    let count = |args: &[&str]| {
        let before = asked(&service);
        let o = run(args);
        assert!(
            matches!(o.status.code(), Some(0..=4)),
            "{args:?}: {}",
            text(&o)
        );
        (asked(&service) - before, o)
    };
    let sign = |extra: &[&str]| {
        let mut a = vec![
            "sign", doc_s, "--cert", &cert, "--key", &key, "--chain", &chain, "--tsa", &tsa.url,
            "--trust", &root, "--trust", &tsa_ca, "--yes", "-o", sig_s,
        ];
        a.extend_from_slice(extra);
        count(&a)
    };
    let verify = |extra: &[&str]| {
        let mut a = vec![
            "verify",
            sig_s,
            "--content",
            doc_s,
            "--trust",
            &root,
            "--trust",
            &tsa_ca,
        ];
        a.extend_from_slice(extra);
        count(&a)
    };
    let verify_cert = |extra: &[&str]| {
        let mut a = vec!["verify-cert", &cert, "--chain", &chain, "--trust", &root];
        a.extend_from_slice(extra);
        count(&a)
    };
    let out = work.path().join("extended.p7s");
    let out_s = out.to_str().unwrap();
    let extend = |extra: &[&str]| {
        let mut a = vec![
            "extend",
            sig_s,
            "--content",
            doc_s,
            "--to",
            "b-lt",
            "--tsa",
            &tsa.url,
            "--trust",
            &root,
            "--trust",
            &tsa_ca,
            "-o",
            out_s,
        ];
        a.extend_from_slice(extra);
        count(&a)
    };
    let report = work.path().join("intake.jsonl");
    let report_s = report.to_str().unwrap();
    let inbox_s = inbox.to_str().unwrap();
    let batch = |extra: &[&str]| {
        let mut a = vec![
            "batch", inbox_s, "--trust", &root, "--trust", &tsa_ca, "--report", report_s,
        ];
        a.extend_from_slice(extra);
        count(&a)
    };

    // A B-LT signature: signing checks the signer and gathers validation data.
    let (n, o) = sign(&["--level", "b-lt", "--offline"]);
    assert_eq!(n, 0, "sign --offline: {}", text(&o));
    let (n, o) = sign(&["--level", "b-lt", "--fetch-allow", &other]);
    assert_eq!(n, 0, "sign --fetch-allow elsewhere: {}", text(&o));
    let (n, o) = sign(&["--fetch-allow", &own]);
    assert!(n > 0, "sign --fetch-allow own port: {}", text(&o));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    for (name, cmd) in [
        (
            "verify",
            &verify as &dyn Fn(&[&str]) -> (usize, std::process::Output),
        ),
        ("verify-cert", &verify_cert),
        ("extend", &extend),
        ("batch", &batch),
    ] {
        let (n, o) = cmd(&["--offline"]);
        assert_eq!(n, 0, "{name} --offline: {}", text(&o));
        let (n, o) = cmd(&["--fetch-allow", &other]);
        assert_eq!(n, 0, "{name} --fetch-allow elsewhere: {}", text(&o));
        let (n, o) = cmd(&[
            "--fetch-allow",
            &own,
            "--fetch-allow",
            "crl.example.invalid",
        ]);
        assert!(
            n > 0,
            "{name} --fetch-allow own port asked nothing: {}",
            text(&o)
        );
    }
    let (_, o) = verify(&["--fetch-allow", &other, "--format", "json"]);
    assert!(
        text(&o).contains("not in the fetch allow-list"),
        "{}",
        text(&o)
    );

    // A bad entry is a usage error naming it.
    let o = run(&[
        "verify",
        sig_s,
        "--trust",
        &root,
        "--fetch-allow",
        "http://x/",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("HOST or HOST:PORT"), "{}", text(&o));
}
