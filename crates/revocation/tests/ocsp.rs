//! OCSP against a loopback responder whose responses are built with x509-ocsp and signed
//! with the test PKI's keys: good / revoked, and every way a response must be rejected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_revocation::ocsp::{
    self, CertStatus, OcspError, OcspRequest, OcspResponse, Responder, ResponseStatus,
    VerifyOptions,
};
use kenpo_revocation::{Checker, Evidence, FetchConfig, RevocationCheck, RevocationStatus};
use kenpo_testpki::TestPki;

use common::{OcspMode, TestServer, cert, ocsp_handler, pki_for};

struct Responderd {
    server: TestServer,
    pki: TestPki,
    mode: Arc<Mutex<OcspMode>>,
}

/// A loopback OCSP responder in `mode`; CRLs are served only when `with_crls`.
fn responder(mode: OcspMode, with_crls: bool) -> Responderd {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    let mode = Arc::new(Mutex::new(mode));
    server.set(ocsp_handler(&pki, mode.clone(), with_crls));
    Responderd { server, pki, mode }
}

fn online() -> Checker {
    Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(5))
}

fn status(r: &Responderd, checker: &Checker, who: &str) -> RevocationStatus {
    checker.status_at(
        &cert(&r.pki, who),
        &cert(&r.pki, "accredited-ca"),
        r.pki.now(),
    )
}

fn unknown_reason(s: RevocationStatus) -> String {
    match s {
        RevocationStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn good_and_revoked_from_a_delegated_responder() {
    let r = responder(OcspMode::Normal, false);
    let checker = online();
    let url = format!("{}/ocsp", r.server.base());
    match status(&r, &checker, "accredited-signer") {
        RevocationStatus::Good { source } => assert_eq!(source, format!("OCSP {url}")),
        other => panic!("expected Good, got {other:?}"),
    }
    let revoked = r
        .pki
        .revoked()
        .iter()
        .find(|x| x.subject == "accredited-signer-revoked")
        .unwrap()
        .clone();
    match status(&r, &checker, "accredited-signer-revoked") {
        RevocationStatus::Revoked { time, reason, .. } => {
            assert_eq!(time, revoked.time);
            assert_eq!(reason, Some(1));
        }
        other => panic!("expected Revoked, got {other:?}"),
    }
    // Revoked after the time asked: good then.
    let before = checker.status_at(
        &cert(&r.pki, "accredited-signer-revoked"),
        &cert(&r.pki, "accredited-ca"),
        revoked.time - time::Duration::minutes(1),
    );
    assert!(
        matches!(before, RevocationStatus::Good { .. }),
        "{before:?}"
    );
    // Cached per (issuer, serial): two requests for three checks; a nonce each time.
    let posts = r.server.requests();
    assert_eq!(posts.len(), 2);
    for p in &posts {
        assert_eq!(p.content_type.as_deref(), Some("application/ocsp-request"));
        let (ids, nonce) = common::parse_request(&p.body);
        assert_eq!(ids.len(), 1);
        assert_eq!(nonce.map(|n| n.len()), Some(32));
    }
    // Evidence: the response and the delegated responder (with ocsp-nocheck: no note).
    let report = checker.check(
        &cert(&r.pki, "accredited-signer"),
        &cert(&r.pki, "accredited-ca"),
        r.pki.now(),
    );
    match &report.evidence {
        Some(Evidence::Ocsp {
            response,
            responder_cert,
            ..
        }) => {
            assert_eq!(
                responder_cert.as_deref(),
                Some(&cert(&r.pki, "ocsp-responder")[..])
            );
            assert!(response.basic_der().is_some());
        }
        other => panic!("expected OCSP evidence, got {other:?}"),
    }
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn response_signed_by_the_ca_itself_is_accepted() {
    let r = responder(OcspMode::ByCa, false);
    let report = online().check(
        &cert(&r.pki, "accredited-signer"),
        &cert(&r.pki, "accredited-ca"),
        r.pki.now(),
    );
    assert!(
        matches!(report.status, RevocationStatus::Good { .. }),
        "{:?}",
        report.status
    );
    assert!(matches!(
        report.evidence,
        Some(Evidence::Ocsp {
            responder_cert: None,
            ..
        })
    ));
}

#[test]
fn responder_without_ocsp_signing_eku_is_rejected() {
    let r = responder(OcspMode::NoEku, false);
    let reason = unknown_reason(status(&r, &online(), "accredited-signer-revoked"));
    assert!(
        reason.contains("lacks extendedKeyUsage id-kp-OCSPSigning"),
        "{reason}"
    );
    // The CRL DP was tried too (and is not served here).
    assert!(
        reason.contains("/crl/accredited-ca.crl: HTTP status 404"),
        "{reason}"
    );
}

#[test]
fn wrong_cert_id_stale_bad_signature_and_wrong_nonce_are_rejected() {
    let cases = [
        (OcspMode::WrongCertId, "no response for the certificate"),
        (OcspMode::Stale, "stale"),
        (OcspMode::BadSignature, "signature does not verify"),
        (OcspMode::WrongNonce, "nonce does not match"),
    ];
    let r = responder(OcspMode::Normal, false);
    for (mode, expected) in cases {
        *r.mode.lock().unwrap() = mode;
        let reason = unknown_reason(status(&r, &online(), "accredited-signer"));
        assert!(reason.contains(expected), "{mode:?}: {reason}");
    }
    *r.mode.lock().unwrap() = OcspMode::Normal;
    assert!(matches!(
        status(&r, &online(), "accredited-signer"),
        RevocationStatus::Good { .. }
    ));
}

#[test]
fn falls_back_to_the_crl_when_ocsp_fails() {
    let r = responder(OcspMode::Stale, true);
    let checker = online();
    let report = checker.check(
        &cert(&r.pki, "accredited-signer"),
        &cert(&r.pki, "accredited-ca"),
        r.pki.now(),
    );
    match &report.status {
        RevocationStatus::Good { source } => {
            assert!(source.contains("/crl/accredited-ca.crl"), "{source}");
        }
        other => panic!("expected Good, got {other:?}"),
    }
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("OCSP") && n.contains("stale")),
        "{:?}",
        report.notes
    );
    // A stale response still proves a revocation that happened before the time asked
    // (revocation is final); only "good" needs a current response.
    match status(&r, &checker, "accredited-signer-revoked") {
        RevocationStatus::Revoked { source, .. } => assert!(source.starts_with("OCSP"), "{source}"),
        other => panic!("expected Revoked, got {other:?}"),
    }
}

#[test]
fn pre_fetched_responses_are_used_offline() {
    let r = responder(OcspMode::Normal, false);
    let (ee, ca) = (
        cert(&r.pki, "accredited-signer-revoked"),
        cert(&r.pki, "accredited-ca"),
    );
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    // Fetch one with the crate's own request, then use it offline.
    let fetcher =
        kenpo_revocation::fetch::Fetcher::new(FetchConfig::default().with_use_system_proxy(false));
    let request = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha256, None).unwrap();
    let response = request
        .send(&fetcher, &format!("{}/ocsp", r.server.base()))
        .unwrap();
    let verified = response
        .verify(&eer, &car, &VerifyOptions::default())
        .unwrap();
    assert!(matches!(
        verified.status,
        CertStatus::Revoked {
            reason: Some(1),
            ..
        }
    ));
    assert!(matches!(
        verified.responder,
        Responder::Delegated {
            ocsp_nocheck: true,
            ..
        }
    ));
    drop(r.server);

    let full = response.der().to_vec();
    let basic = response.basic_der().unwrap().to_vec();
    for supplied in [full, basic] {
        let checker = Checker::new()
            .offline(true)
            .with_ocsp_responses(vec![supplied]);
        match checker.status_at(&ee, &ca, r.pki.now()) {
            RevocationStatus::Revoked { source, reason, .. } => {
                assert_eq!(source, "supplied OCSP response #1");
                assert_eq!(reason, Some(1));
            }
            other => panic!("expected Revoked, got {other:?}"),
        }
    }
    // A response for another certificate says nothing about this one.
    let checker = Checker::new()
        .offline(true)
        .with_ocsp_responses(vec![response.der().to_vec()]);
    let reason =
        unknown_reason(checker.status_at(&cert(&r.pki, "accredited-signer"), &ca, r.pki.now()));
    assert!(reason.contains("none for this certificate"), "{reason}");
}

#[test]
fn non_successful_and_hostile_responses() {
    for (body, want) in [
        (vec![0x30, 0x03, 0x0a, 0x01, 0x03], "tryLater"),
        (vec![0x30, 0x03, 0x0a, 0x01, 0x06], "unauthorized"),
        (b"garbage".to_vec(), "OCSP DER"),
        (vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xf0], "bad DER length"),
    ] {
        let server = TestServer::bind();
        let pki = pki_for(&server.base());
        server.set(move |_| common::Reply::Ok(body.clone(), "application/ocsp-response"));
        let reason = unknown_reason(online().status_at(
            &cert(&pki, "accredited-signer"),
            &cert(&pki, "accredited-ca"),
            pki.now(),
        ));
        assert!(reason.contains(want), "{want}: {reason}");
    }
    let parsed = OcspResponse::from_der(vec![0x30, 0x03, 0x0a, 0x01, 0x02]).unwrap();
    assert_eq!(parsed.status, ResponseStatus::InternalError);
    assert!(matches!(
        OcspResponse::from_der(vec![0x30, 0x03, 0x0a, 0x01, 0x00]),
        Err(OcspError::NoResponseBytes)
    ));
}

#[test]
fn oversize_and_hanging_responders_are_bounded() {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    server.set(|req| {
        if req.path == "/ocsp" {
            common::Reply::Drip(vec![0x30; 16 * 1024], Duration::from_millis(1))
        } else {
            common::Reply::Hang
        }
    });
    let start = std::time::Instant::now();
    let reason = unknown_reason(online().with_timeout(Duration::from_millis(800)).status_at(
        &cert(&pki, "accredited-signer"),
        &cert(&pki, "accredited-ca"),
        pki.now(),
    ));
    assert!(
        reason.contains("larger than the limit of 1048576 bytes"),
        "{reason}"
    );
    assert!(
        reason.contains("/crl/accredited-ca.crl: timed out"),
        "{reason}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn request_encoding() {
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    let (ee, ca) = (cert(&pki, "accredited-signer"), cert(&pki, "accredited-ca"));
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let nonce = ocsp::random_nonce().unwrap();
    let req = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, Some(nonce.clone())).unwrap();
    // Decoded independently with x509-ocsp.
    let (ids, got_nonce) = common::parse_request(req.der());
    assert_eq!(got_nonce.as_deref(), Some(&nonce[..]));
    assert_eq!(ids[0].serial_number.as_bytes(), eer.serial);
    assert_eq!(ids[0].hash_algorithm.oid, kenpo_core::oid::SHA1);
    assert_eq!(
        ids[0].issuer_name_hash.as_bytes(),
        DigestAlgorithm::Sha1.digest(car.subject).as_bytes()
    );
    let plain = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha256, None).unwrap();
    let (ids, none) = common::parse_request(plain.der());
    assert!(none.is_none());
    assert_eq!(ids[0].issuer_key_hash.as_bytes().len(), 32);
}
