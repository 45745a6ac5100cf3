//! CRLs fetched over HTTP from the distribution points of a test PKI served by a loopback
//! server; hostile servers (garbage, oversize, hanging) end in Unknown with the reason,
//! in bounded time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{parse_one, tag, tlv};
use kenpo_revocation::crl::{Crl, CrlError};
use kenpo_revocation::{Checker, Evidence, RevocationCheck, RevocationStatus};
use kenpo_testpki::TestPki;

use common::{Reply, TestServer, cert, pki_for};

/// A server serving `pki`'s CRLs, and the PKI generated for its port.
fn served() -> (TestServer, TestPki) {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    server.set(common::crl_handler(&pki));
    (server, pki)
}

fn online() -> Checker {
    Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(5))
}

fn unknown_reason(s: RevocationStatus) -> String {
    match s {
        RevocationStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn revoked_signer_via_crl_dp_and_good_before_its_revocation() {
    let (server, pki) = served();
    let revoked = pki
        .revoked()
        .iter()
        .find(|r| r.subject == "hpki-signer-revoked")
        .unwrap()
        .clone();
    let checker = online();
    let (ee, ca) = (
        cert(&pki, "hpki-signer-revoked"),
        cert(&pki, "hpki-sign-ca"),
    );
    let url = format!("{}/crl/hpki-sign-ca.crl", server.base());
    match checker.status_at(&ee, &ca, pki.now()) {
        RevocationStatus::Revoked {
            time,
            reason,
            source,
        } => {
            assert_eq!(time, revoked.time);
            assert_eq!(reason, Some(1), "keyCompromise");
            assert!(source.starts_with(&format!("CRL {url}")), "{source}");
        }
        other => panic!("expected Revoked, got {other:?}"),
    }
    // Exactly at the revocation time: revoked. One second earlier: good.
    assert!(matches!(
        checker.status_at(&ee, &ca, revoked.time),
        RevocationStatus::Revoked { .. }
    ));
    match checker.status_at(&ee, &ca, revoked.time - time::Duration::seconds(1)) {
        RevocationStatus::Good { source } => assert!(source.contains(&url), "{source}"),
        other => panic!("expected Good, got {other:?}"),
    }
    // The good signer, with evidence to embed.
    let report = checker.check(&cert(&pki, "hpki-signer"), &ca, pki.now());
    assert!(matches!(report.status, RevocationStatus::Good { .. }));
    match report.evidence {
        Some(Evidence::Crl { crl, .. }) => {
            assert_eq!(crl.der(), &pki.crl("hpki-sign-ca").unwrap().der[..]);
        }
        other => panic!("expected CRL evidence, got {other:?}"),
    }
    // Parsed once, fetched once for the whole run.
    assert_eq!(server.hits("/crl/hpki-sign-ca.crl"), 1);
}

#[test]
fn sub_ca_via_the_root_arl_with_uri_idp() {
    let (server, pki) = served();
    let checker = online();
    match checker.status_at(
        &cert(&pki, "hpki-sign-ca"),
        &cert(&pki, "root-ca"),
        pki.now(),
    ) {
        RevocationStatus::Good { source } => {
            assert!(source.contains("/crl/root-ca.crl"), "{source}");
        }
        other => panic!("expected Good, got {other:?}"),
    }
    // The ARL does not cover end entities, even if one pointed there.
    let arl = Crl::from_der(pki.crl("root-ca").unwrap().der.clone()).unwrap();
    let ee_der = cert(&pki, "hpki-signer");
    let ee = CertRef::parse(&ee_der).unwrap();
    assert!(matches!(arl.check_scope(&ee), Err(CrlError::NotInScope(_))));
    drop(server);
}

#[test]
fn offline_without_supplied_data_is_unknown() {
    let (server, pki) = served();
    let checker = Checker::new().offline(true);
    let reason = unknown_reason(checker.status_at(
        &cert(&pki, "hpki-signer-revoked"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    ));
    assert!(reason.contains("offline"), "{reason}");
    assert_eq!(
        server.requests().len(),
        0,
        "offline means no request at all"
    );
    // Offline with the CRL supplied: answered.
    let checker = Checker::new()
        .offline(true)
        .with_crls(vec![pki.crl("hpki-sign-ca").unwrap().der.clone()]);
    assert!(matches!(
        checker.status_at(
            &cert(&pki, "hpki-signer-revoked"),
            &cert(&pki, "hpki-sign-ca"),
            pki.now()
        ),
        RevocationStatus::Revoked {
            reason: Some(1),
            ..
        }
    ));
}

/// hpki-sign-ca's CRL with its tbsCertList re-signed by another key.
fn resigned(pki: &TestPki, signer: &str) -> Vec<u8> {
    let der = &pki.crl("hpki-sign-ca").unwrap().der;
    let mut r = parse_one(der).unwrap().reader();
    let tbs = r.expect(tag::SEQUENCE).unwrap();
    let alg = r.expect(tag::SEQUENCE).unwrap();
    let (_, sig) = common::sign(pki, signer, tbs.raw);
    let mut bits = vec![0];
    bits.extend_from_slice(&sig);
    tlv(
        tag::SEQUENCE,
        &[tbs.raw, alg.raw, &tlv(tag::BIT_STRING, &[&bits])],
    )
}

#[test]
fn crl_signed_by_the_wrong_key_is_not_used() {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    let forged = resigned(&pki, "hpki-auth-ca");
    let ca = cert(&pki, "hpki-sign-ca");
    let crl = Crl::from_der(forged.clone()).unwrap();
    assert!(matches!(
        crl.verify_signature(&CertRef::parse(&ca).unwrap()),
        Err(CrlError::BadSignature(_))
    ));
    server.set(move |_| Reply::Ok(forged.clone(), "application/pkix-crl"));
    let reason = unknown_reason(online().status_at(&cert(&pki, "hpki-signer"), &ca, pki.now()));
    assert!(reason.contains("signature does not verify"), "{reason}");
    // Supplied, the same.
    let checker = Checker::new()
        .offline(true)
        .with_crls(vec![resigned(&pki, "hpki-auth-ca")]);
    let reason =
        unknown_reason(checker.status_at(&cert(&pki, "hpki-signer-revoked"), &ca, pki.now()));
    assert!(reason.contains("supplied CRL #1"), "{reason}");
    assert!(reason.contains("signature does not verify"), "{reason}");
}

/// Runs a check of hpki-signer against a server answering `reply`, returning the reason
/// and the time taken.
fn hostile(reply: fn() -> Reply, checker: Checker) -> (String, Duration) {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    server.set(move |_| reply());
    let start = Instant::now();
    let status = checker.status_at(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    );
    let took = start.elapsed();
    drop(server);
    (unknown_reason(status), took)
}

#[test]
fn garbage_crl_is_unknown_with_the_reason() {
    let (reason, _) = hostile(
        || Reply::Ok(b"<html>not a CRL</html>".to_vec(), "text/html"),
        online(),
    );
    assert!(
        reason.contains("/crl/hpki-sign-ca.crl: CRL DER"),
        "{reason}"
    );
    let (reason, _) = hostile(
        || {
            Reply::Ok(
                vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30],
                "application/pkix-crl",
            )
        },
        online(),
    );
    assert!(reason.contains("bad DER length"), "{reason}");
    let (reason, _) = hostile(|| Reply::Status(404), online());
    assert!(reason.contains("HTTP status 404"), "{reason}");
}

#[test]
fn oversize_crl_is_refused() {
    // Announced by Content-Length beyond the default 100 MiB limit: refused before reading.
    let (reason, took) = hostile(|| Reply::Announce(200 * 1024 * 1024), online());
    assert!(
        reason.contains("larger than the limit of 104857600 bytes"),
        "{reason}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Streamed without Content-Length past a configured 1 MiB: cut off.
    let (reason, took) = hostile(
        || Reply::Drip(vec![0x30; 64 * 1024], Duration::from_millis(1)),
        online().with_max_crl_bytes(1024 * 1024),
    );
    assert!(
        reason.contains("larger than the limit of 1048576 bytes"),
        "{reason}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn hanging_server_times_out() {
    let (reason, took) = hostile(
        || Reply::Hang,
        online().with_timeout(Duration::from_millis(700)),
    );
    assert!(reason.contains("timed out"), "{reason}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    // A server dripping a byte at a time is cut off by the total deadline.
    let (reason, took) = hostile(
        || Reply::Drip(vec![0x30], Duration::from_millis(50)),
        online().with_timeout(Duration::from_millis(700)),
    );
    assert!(reason.contains("timed out"), "{reason}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn unreachable_server_is_unknown() {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    drop(server); // nothing listens any more
    let reason = unknown_reason(online().status_at(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    ));
    assert!(reason.contains("/crl/hpki-sign-ca.crl: "), "{reason}");
}

#[test]
fn usable_and_droppable_inside_an_async_runtime() {
    let (server, pki) = served();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let checker = online();
        let s = checker.status_at(
            &cert(&pki, "hpki-signer-revoked"),
            &cert(&pki, "hpki-sign-ca"),
            pki.now(),
        );
        drop(checker); // the HTTP client is dropped on a runtime thread: no panic
        s
    });
    assert!(
        matches!(status, RevocationStatus::Revoked { .. }),
        "{status:?}"
    );
    drop(server);
}
