//! The local revocation service: OCSP answers checked with kenpo-revocation and with the
//! `openssl ocsp` client as an independent peer (skipped without openssl, a failure under
//! CI), fresh CRLs, revocations added at run time, hostile requests, concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use der::{Decode, Encode};
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_revocation::fetch::{FetchConfig, Fetcher};
use kenpo_revocation::ocsp::{
    CertStatus, OcspRequest, OcspResponse, Responder, ResponderId, ResponseStatus, VerifyOptions,
};
use kenpo_revocation::{Checker, Crl, Evidence, RevocationStatus};
use kenpo_testpki::service::{Error, Hits, RevocationService};
use kenpo_testpki::{Config, TestPki};
use sha1::Digest;
use time::OffsetDateTime;

// ---- helpers --------------------------------------------------------------------------

fn start() -> RevocationService {
    let bound = RevocationService::bind("127.0.0.1:0").unwrap();
    let mut config = Config::default();
    bound.config_urls(&mut config);
    assert_eq!(config.ocsp_url, format!("{}/ocsp", bound.base_url()));
    bound
        .start(kenpo_testpki::generate(&config).unwrap())
        .unwrap()
}

fn cert(pki: &TestPki, name: &str) -> Vec<u8> {
    pki.entity(name).unwrap().cert_der.clone()
}

fn fetcher() -> Fetcher {
    Fetcher::new(
        FetchConfig::default()
            .with_use_system_proxy(false)
            .with_timeout(Duration::from_secs(10)),
    )
}

fn checker() -> Checker {
    Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(10))
}

fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap()
}

/// Sends an OCSP request for `name` (issued by its issuer) and verifies the answer.
fn ask(
    svc: &RevocationService,
    name: &str,
    nonce: Option<Vec<u8>>,
) -> (OcspResponse, kenpo_revocation::ocsp::VerifiedOcsp) {
    let pki = svc.pki();
    let issuer = pki.entity(name).unwrap().issuer.clone().unwrap();
    let (ee, ca) = (cert(pki, name), cert(pki, &issuer));
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let req = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, nonce).unwrap();
    let url = format!("{}/ocsp", svc.base_url());
    let resp = req.send(&fetcher(), &url).unwrap();
    let opts = VerifyOptions::default().with_expected_nonce(req.nonce());
    let verified = resp.verify(&eer, &car, &opts).unwrap();
    (resp, verified)
}

/// A raw HTTP exchange: sends `request`, closes the write side, returns (status, head,
/// body); status 0 when the server closed without answering.
fn raw(svc: &RevocationService, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(svc.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(request);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let Some(split) = out.windows(4).position(|w| w == b"\r\n\r\n") else {
        assert!(out.is_empty(), "half an answer: {out:?}");
        return (0, String::new(), Vec::new());
    };
    let head = String::from_utf8(out[..split].to_vec()).unwrap();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    (status, head, out[split + 4..].to_vec())
}

fn post_ocsp(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn crl_number(crl: &Crl) -> u64 {
    let bytes = crl.crl_number().unwrap();
    assert!(bytes.len() <= 8, "{bytes:?}");
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}

fn get_crl(svc: &RevocationService, issuer: &str) -> Crl {
    let url = format!("{}/crl/{issuer}.crl", svc.base_url());
    Crl::from_der(fetcher().get(&url, 1 << 20).unwrap()).unwrap()
}

/// The responseStatus-only OCSPResponse `status`.
fn status_only(status: u8) -> Vec<u8> {
    vec![0x30, 0x03, 0x0a, 0x01, status]
}

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl CLI is required under CI"
        );
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

// ---- OCSP -----------------------------------------------------------------------------

#[test]
fn ocsp_good_and_revoked_through_the_checker() {
    let svc = start();
    let pki = svc.pki().clone();
    let at = now();

    let report = checker().check(
        &cert(&pki, "accredited-signer"),
        &cert(&pki, "accredited-ca"),
        at,
    );
    assert!(
        matches!(report.status, RevocationStatus::Good { .. }),
        "{:?}",
        report.status
    );
    match &report.evidence {
        Some(Evidence::Ocsp {
            response,
            responder_cert,
            ..
        }) => {
            assert_eq!(
                responder_cert.as_deref(),
                Some(&cert(&pki, "ocsp-responder")[..])
            );
            let basic = response.basic.as_ref().unwrap();
            // producedAt = the service clock (real time here).
            assert!(basic.produced_at >= at && basic.produced_at <= now());
        }
        other => panic!("expected OCSP evidence, got {other:?}"),
    }

    let report = checker().check(
        &cert(&pki, "accredited-signer-revoked"),
        &cert(&pki, "accredited-ca"),
        at,
    );
    let expected = pki
        .revoked()
        .iter()
        .find(|r| r.subject == "accredited-signer-revoked")
        .unwrap();
    match report.status {
        RevocationStatus::Revoked { time, reason, .. } => {
            assert_eq!(time, expected.time);
            assert_eq!(reason, expected.reason);
        }
        other => panic!("expected revoked, got {other:?}"),
    }
    assert!(matches!(report.evidence, Some(Evidence::Ocsp { .. })));
    // Both answers came from the service's OCSP responder; nothing else was fetched.
    assert_eq!(svc.hits().ocsp, 2);
    assert_eq!(svc.hits().crl, 0);
}

#[test]
fn ocsp_fields_signers_and_nonce() {
    let svc = start();
    let pki = svc.pki().clone();
    let before = now();
    let nonce = vec![0x5a; 32];

    // Delegated responders: byKey ResponderID, certificate included, nonce echoed.
    for (ee, responder) in [
        ("accredited-signer", "ocsp-responder"),
        ("hpki-signer", "hpki-ocsp-responder"),
    ] {
        let (resp, verified) = ask(&svc, ee, Some(nonce.clone()));
        let responder_der = cert(&pki, responder);
        assert_eq!(
            verified.responder,
            Responder::Delegated {
                cert_der: responder_der.clone(),
                ocsp_nocheck: true
            }
        );
        let basic = resp.basic.as_ref().unwrap();
        let rc = x509_cert::Certificate::from_der(&responder_der).unwrap();
        let key_hash = sha1::Sha1::digest(
            rc.tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes(),
        );
        assert_eq!(basic.responder_id, ResponderId::ByKey(key_hash.to_vec()));
        assert_eq!(resp.certs(), vec![&responder_der[..]]);
        let echoed = basic.nonce.as_deref().unwrap();
        assert!(echoed == nonce || echoed.ends_with(&nonce), "{echoed:?}");
        assert_eq!(verified.status, CertStatus::Good);
        assert!(verified.this_update >= before);
        assert_eq!(verified.produced_at, verified.this_update);
        assert_eq!(
            verified.next_update,
            Some(verified.this_update + time::Duration::days(1))
        );
    }

    // CAs without a delegated responder sign themselves.
    for ee in ["tsa", "hpki-sign-ca", "accredited-ca", "hpki-auth"] {
        let (_, verified) = ask(&svc, ee, None);
        assert_eq!(verified.responder, Responder::Issuer, "{ee}");
        assert_eq!(verified.status, CertStatus::Good, "{ee}");
    }

    // Revoked on the HPKI branch too.
    let (_, verified) = ask(&svc, "hpki-signer-revoked", None);
    assert!(matches!(
        verified.status,
        CertStatus::Revoked {
            reason: Some(1),
            ..
        }
    ));
}

#[test]
fn ocsp_unknown_serial_unknown_ca_and_mixed_cas() {
    let svc = start();
    let pki = svc.pki().clone();
    let ca = x509_cert::Certificate::from_der(&cert(&pki, "accredited-ca")).unwrap();
    let tsa_ca = x509_cert::Certificate::from_der(&cert(&pki, "tsa-ca")).unwrap();
    let id = |issuer: &x509_cert::Certificate, serial: &[u8]| {
        x509_ocsp::CertId::from_issuer::<sha1::Sha1>(
            issuer,
            x509_cert::serial_number::SerialNumber::new(serial).unwrap(),
        )
        .unwrap()
    };
    let request = |ids: Vec<x509_ocsp::CertId>| {
        x509_ocsp::OcspRequest {
            tbs_request: x509_ocsp::TbsRequest {
                request_list: ids.into_iter().map(x509_ocsp::Request::new).collect(),
                ..Default::default()
            },
            optional_signature: None,
        }
        .to_der()
        .unwrap()
    };
    let url = format!("{}/ocsp", svc.base_url());
    let post = |der: &[u8]| {
        fetcher()
            .post(&url, "application/ocsp-request", der, 1 << 20)
            .unwrap()
    };

    // A serial accredited-ca never issued: unknown (and a SHA-256 CertID works too).
    let unknown = post(&request(vec![id(&ca, &[0x01, 0x23, 0x45])]));
    let resp = OcspResponse::from_der(unknown).unwrap();
    assert_eq!(resp.status, ResponseStatus::Successful);
    assert_eq!(
        resp.basic.as_ref().unwrap().responses[0].status,
        CertStatus::Unknown
    );
    let signer = x509_cert::Certificate::from_der(&cert(&pki, "accredited-signer")).unwrap();
    let sha256_id = x509_ocsp::CertId::from_cert::<sha2::Sha256>(&ca, &signer).unwrap();
    let resp = OcspResponse::from_der(post(&request(vec![sha256_id]))).unwrap();
    assert_eq!(
        resp.basic.as_ref().unwrap().responses[0].status,
        CertStatus::Good
    );

    // Several CertIDs of one CA: one SingleResponse each, in order.
    let serial_of = |n: &str| {
        x509_cert::Certificate::from_der(&cert(&pki, n))
            .unwrap()
            .tbs_certificate
            .serial_number
            .as_bytes()
            .to_vec()
    };
    let ids = vec![
        id(&ca, &serial_of("accredited-signer")),
        id(&ca, &serial_of("accredited-signer-revoked")),
        id(&ca, &[0x77]),
    ];
    let resp = OcspResponse::from_der(post(&request(ids))).unwrap();
    let statuses: Vec<_> = resp
        .basic
        .as_ref()
        .unwrap()
        .responses
        .iter()
        .map(|r| std::mem::discriminant(&r.status))
        .collect();
    let expected = [
        CertStatus::Good,
        CertStatus::Revoked {
            time: OffsetDateTime::UNIX_EPOCH,
            reason: None,
        },
        CertStatus::Unknown,
    ];
    assert_eq!(
        statuses,
        expected
            .iter()
            .map(std::mem::discriminant)
            .collect::<Vec<_>>()
    );

    // A CA the service does not know (the name hash of one CA, the key of another).
    let mut foreign = id(&ca, &[0x01]);
    foreign.issuer_name_hash = id(&tsa_ca, &[0x01]).issuer_name_hash;
    assert_eq!(post(&request(vec![foreign])), status_only(6));
    // CertIDs of two CAs cannot share one signed response.
    assert_eq!(
        post(&request(vec![id(&ca, &[0x01]), id(&tsa_ca, &[0x01])])),
        status_only(6)
    );
    // No CertID at all.
    assert_eq!(post(&request(vec![])), status_only(1));
    assert_eq!(svc.hits().ocsp, 6);
}

#[test]
fn ocsp_over_get() {
    let svc = start();
    let pki = svc.pki().clone();
    let (ee, ca) = (
        cert(&pki, "accredited-signer-revoked"),
        cert(&pki, "accredited-ca"),
    );
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let req = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, Some(vec![7; 32])).unwrap();
    let b64 = base64_std(req.der());
    let encoded = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let url = format!("{}/ocsp/{encoded}", svc.base_url());
    let body = fetcher().get(&url, 1 << 20).unwrap();
    let resp = OcspResponse::from_der(body).unwrap();
    let opts = VerifyOptions::default().with_expected_nonce(req.nonce());
    let verified = resp.verify(&eer, &car, &opts).unwrap();
    assert!(matches!(verified.status, CertStatus::Revoked { .. }));
    // Not base64: malformedRequest.
    let (status, head, body) = raw(&svc, b"GET /ocsp/%%%!! HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: application/ocsp-response"));
    assert_eq!(body, status_only(1));
}

/// Standard base64 with padding (test-side encoder, independent of the service's decoder).
fn base64_std(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn openssl_ocsp_client_accepts_the_answers() {
    if !openssl_available() {
        return;
    }
    let svc = start();
    let dir = tempfile::tempdir().unwrap();
    svc.pki().write_to(dir.path()).unwrap();
    let url = format!("{}/ocsp", svc.base_url());
    let run = |issuer: &str, certs: &[&str], va: &str| {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(dir.path())
            .args(["ocsp", "-issuer", &format!("{issuer}.pem")]);
        for c in certs {
            cmd.args(["-cert", &format!("{c}.pem")]);
        }
        let out = cmd
            .args(["-url", &url, "-VAfile", &format!("{va}.pem")])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stderr.contains("Response verify OK"), "{stdout}\n{stderr}");
        stdout
    };
    let out = run(
        "accredited-ca",
        &["accredited-signer", "accredited-signer-revoked"],
        "ocsp-responder",
    );
    assert!(out.contains("accredited-signer.pem: good"), "{out}");
    assert!(
        out.contains("accredited-signer-revoked.pem: revoked"),
        "{out}"
    );
    assert!(out.contains("Reason: keyCompromise"), "{out}");

    let out = run(
        "hpki-sign-ca",
        &["hpki-signer", "hpki-signer-revoked"],
        "hpki-ocsp-responder",
    );
    assert!(out.contains("hpki-signer.pem: good"), "{out}");
    assert!(out.contains("hpki-signer-revoked.pem: revoked"), "{out}");

    // Signed by the CA itself.
    let out = run("tsa-ca", &["tsa", "tsa-short"], "tsa-ca");
    assert!(out.contains("tsa.pem: good"), "{out}");
    assert!(out.contains("tsa-short.pem: good"), "{out}");

    // A revocation added at run time.
    svc.revoke("accredited-signer", now(), Some(4)).unwrap();
    let out = run("accredited-ca", &["accredited-signer"], "ocsp-responder");
    assert!(out.contains("accredited-signer.pem: revoked"), "{out}");
    assert!(out.contains("Reason: superseded"), "{out}");
    assert_eq!(svc.hits().ocsp, 4);
}

// ---- CRLs, CA certificates, revocations ------------------------------------------------

#[test]
fn crls_are_fresh_and_numbers_increase() {
    let svc = start();
    let pki = svc.pki().clone();
    let before = now();
    let crl = get_crl(&svc, "accredited-ca");
    assert!(crl.this_update() >= before, "{}", crl.this_update());
    assert!(crl.this_update() <= now());
    assert_eq!(
        crl.next_update(),
        Some(crl.this_update() + time::Duration::days(7))
    );
    let static_crl = Crl::from_der(pki.crl("accredited-ca").unwrap().der.clone()).unwrap();
    assert!(crl_number(&crl) > crl_number(&static_crl));
    let again = get_crl(&svc, "accredited-ca");
    assert!(crl_number(&again) > crl_number(&crl));
    // The static CRL's revocation is there; the signature and scope check out.
    let ca = cert(&pki, "accredited-ca");
    crl.verify_signature(&CertRef::parse(&ca).unwrap()).unwrap();
    let serial_of = |n: &str| CertRef::parse(&cert(&pki, n)).unwrap().serial.to_vec();
    assert!(
        crl.entry(&serial_of("accredited-signer-revoked"))
            .unwrap()
            .is_some()
    );
    assert!(
        crl.entry(&serial_of("accredited-signer"))
            .unwrap()
            .is_none()
    );

    // The root's ARL keeps its issuingDistributionPoint: the checker accepts it for the
    // sub-CA (the CRLDP is served by the service).
    let report = checker().check(&cert(&pki, "hpki-sign-ca"), &cert(&pki, "root-ca"), now());
    assert!(
        matches!(report.status, RevocationStatus::Good { .. }),
        "{:?}",
        report.status
    );
    match report.evidence {
        Some(Evidence::Crl { crl, .. }) => {
            assert!(crl.issuing_distribution_point().is_some());
            assert!(crl.this_update() >= before);
        }
        other => panic!("expected CRL evidence, got {other:?}"),
    }
    assert_eq!(svc.hits().crl, 3);
}

#[test]
fn revocations_added_at_run_time_show_everywhere() {
    let svc = start();
    let pki = svc.pki().clone();
    let at = now() - time::Duration::hours(2);
    // Good before.
    let report = checker().check(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        now(),
    );
    assert!(matches!(report.status, RevocationStatus::Good { .. }));

    svc.revoke("hpki-signer", at, Some(1)).unwrap();
    svc.revoke("accredited-signer-ecdsa", at, None).unwrap();
    assert_eq!(svc.revocations().len(), pki.revoked().len() + 2);

    // CRL (the HPKI signer has no OCSP URL: a fresh Checker fetches the CRL again).
    let report = checker().check(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        now(),
    );
    match report.status {
        RevocationStatus::Revoked { time, reason, .. } => {
            assert_eq!(time, at);
            assert_eq!(reason, Some(1));
        }
        other => panic!("expected revoked, got {other:?}"),
    }
    let crl = get_crl(&svc, "accredited-ca");
    let ecdsa = cert(&pki, "accredited-signer-ecdsa");
    let entry = crl
        .entry(CertRef::parse(&ecdsa).unwrap().serial)
        .unwrap()
        .unwrap();
    assert_eq!(entry.revocation_date, at);
    assert_eq!(entry.reason, None);
    // OCSP.
    let (_, verified) = ask(&svc, "accredited-signer-ecdsa", None);
    assert_eq!(
        verified.status,
        CertStatus::Revoked {
            time: at,
            reason: None
        }
    );
    // Revoking again replaces the entry.
    svc.revoke("accredited-signer-ecdsa", at, Some(3)).unwrap();
    let (_, verified) = ask(&svc, "accredited-signer-ecdsa", None);
    assert_eq!(
        verified.status,
        CertStatus::Revoked {
            time: at,
            reason: Some(3)
        }
    );
    assert_eq!(svc.revocations().len(), pki.revoked().len() + 2);

    // What cannot be revoked.
    assert!(matches!(svc.revoke("nope", at, None), Err(Error::UnknownEntity(n)) if n == "nope"));
    assert!(matches!(
        svc.revoke("root-ca", at, None),
        Err(Error::NotRevocable(_))
    ));
    assert!(matches!(
        svc.revoke("tsa", at, Some(7)),
        Err(Error::InvalidReason(7))
    ));
}

#[test]
fn the_clock_sets_this_update_and_produced_at() {
    let svc = start();
    let pki = svc.pki().clone();
    let fixed = pki.now() + time::Duration::days(10);
    svc.set_clock(Arc::new(move || fixed));
    let crl = get_crl(&svc, "hpki-sign-ca");
    assert_eq!(crl.this_update(), fixed);
    assert_eq!(crl.next_update(), Some(fixed + time::Duration::days(7)));

    let (ee, ca) = (cert(&pki, "hpki-signer"), cert(&pki, "hpki-sign-ca"));
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let req = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, None).unwrap();
    let resp = req
        .send(&fetcher(), &format!("{}/ocsp", svc.base_url()))
        .unwrap();
    let opts = VerifyOptions::default().with_now(fixed);
    let verified = resp.verify(&eer, &car, &opts).unwrap();
    assert_eq!(verified.produced_at, fixed);
    assert_eq!(verified.this_update, fixed);
    assert_eq!(verified.next_update, Some(fixed + time::Duration::days(1)));

    // A clock going backwards still gives increasing CRL numbers.
    let earlier = fixed - time::Duration::days(1);
    svc.set_clock(Arc::new(move || earlier));
    let older = get_crl(&svc, "hpki-sign-ca");
    assert_eq!(older.this_update(), earlier);
    assert!(crl_number(&older) > crl_number(&crl));
}

#[test]
fn ca_certificates_are_served() {
    let svc = start();
    let pki = svc.pki().clone();
    // The AIA caIssuers URL of the accredited signer points at the service.
    let signer = x509_cert::Certificate::from_der(&cert(&pki, "accredited-signer")).unwrap();
    let aia = signer
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS)
        .unwrap();
    let url = format!("{}/ca/accredited-ca.der", svc.base_url());
    assert!(
        aia.extn_value
            .as_bytes()
            .windows(url.len())
            .any(|w| w == url.as_bytes())
    );
    assert_eq!(
        fetcher().get(&url, 1 << 20).unwrap(),
        cert(&pki, "accredited-ca")
    );
    let (status, head, body) = raw(&svc, b"GET /ca/root-ca.der HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    assert!(
        head.contains("Content-Type: application/pkix-cert"),
        "{head}"
    );
    assert_eq!(body, cert(&pki, "root-ca"));
    let (status, head, _) = raw(&svc, b"GET /crl/tsa-ca.crl HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200);
    assert!(
        head.contains("Content-Type: application/pkix-crl"),
        "{head}"
    );
    // End entities are no CAs.
    assert_eq!(
        raw(&svc, b"GET /ca/hpki-signer.der HTTP/1.1\r\n\r\n").0,
        404
    );
    assert_eq!(
        raw(&svc, b"GET /crl/hpki-signer.crl HTTP/1.1\r\n\r\n").0,
        404
    );
    assert_eq!(
        svc.hits(),
        Hits {
            ocsp: 0,
            crl: 1,
            ca: 2,
            other: 2
        }
    );
}

// ---- hostile input and load ------------------------------------------------------------

/// A small deterministic generator for fuzz input.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u8
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = usize::from(self.next()) * max / 256;
        (0..n).map(|_| self.next()).collect()
    }
}

#[test]
fn garbage_gets_error_statuses() {
    let svc = start();
    let pki = svc.pki().clone();
    let cases: &[(&[u8], u16)] = &[
        (b"\x00\x01\x02 junk\r\n\r\n", 400),
        (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"GET /crl/../../etc/passwd.crl HTTP/1.1\r\n\r\n", 404),
        (b"GET http://elsewhere/ HTTP/1.1\r\n\r\n", 400),
        (b"GET / SMTP/1.0\r\n\r\n", 400),
        (b"GET /ocsp HTTP/1.1\r\n\r\n", 405),
        (
            b"PUT /crl/root-ca.crl HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            405,
        ),
        (b"POST /ocsp HTTP/1.1\r\n\r\n", 411),
        (b"POST /ocsp HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400),
        (
            b"POST /ocsp HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            400,
        ),
        (
            b"POST /ocsp HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
            413,
        ),
        (
            b"POST /ocsp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            501,
        ),
        (
            b"GET /ca/root-ca.der HTTP/1.1\r\nno colon here\r\n\r\n",
            400,
        ),
        (b"GET /ca/\xff\xfe HTTP/1.1\r\n\r\n", 400),
        // No line end: the server sees the connection close and answers nothing.
        (b"GET /ca/root-ca.der HTTP/1.1", 0),
        (b"", 0),
    ];
    for (request, expected) in cases {
        let (status, _, _) = raw(&svc, request);
        assert_eq!(status, *expected, "{}", String::from_utf8_lossy(request));
    }
    let mut huge = b"GET /ca/root-ca.der HTTP/1.1\r\nX-Filler: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', kenpo_testpki::service::MAX_HEAD));
    huge.extend_from_slice(b"\r\n\r\n");
    assert_eq!(raw(&svc, &huge).0, 431);

    // Junk OCSP bodies: malformedRequest, never a panic.
    let (status, head, body) = raw(&svc, &post_ocsp(b"not DER at all"));
    assert_eq!(status, 200);
    assert!(head.contains("application/ocsp-response"));
    assert_eq!(body, status_only(1));
    let mut rng = Lcg(27);
    for _ in 0..200 {
        let junk = rng.bytes(300);
        let (status, _, body) = raw(&svc, &post_ocsp(&junk));
        assert_eq!(status, 200, "{junk:?}");
        let resp = x509_ocsp::OcspResponse::from_der(&body).unwrap();
        assert_ne!(
            resp.response_status,
            x509_ocsp::OcspResponseStatus::Successful
        );
    }
    // Every one-byte corruption of a valid request: always an OCSPResponse.
    let (ee, ca) = (cert(&pki, "accredited-signer"), cert(&pki, "accredited-ca"));
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let valid = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, Some(vec![1; 32]))
        .unwrap()
        .der()
        .to_vec();
    let mut successes = 0;
    for i in 0..valid.len() {
        let mut bad = valid.clone();
        bad[i] ^= 0x41;
        let (status, _, body) = raw(&svc, &post_ocsp(&bad));
        assert_eq!(status, 200);
        let resp = x509_ocsp::OcspResponse::from_der(&body).unwrap();
        if resp.response_status == x509_ocsp::OcspResponseStatus::Successful {
            successes += 1;
        }
    }
    // Corrupting the serial or the nonce still gives a (signed) answer; most others do not.
    assert!(successes > 0 && successes < valid.len(), "{successes}");
    // Random bytes as a whole request.
    for _ in 0..100 {
        let junk = rng.bytes(500);
        let (status, _, _) = raw(&svc, &junk);
        assert!(
            [0, 400, 404, 405, 411, 413, 431, 501].contains(&status),
            "{status}"
        );
    }
    // Still serving.
    let (_, verified) = ask(&svc, "accredited-signer", None);
    assert_eq!(verified.status, CertStatus::Good);
}

#[test]
fn twenty_parallel_clients() {
    let svc = start();
    let pki = svc.pki().clone();
    let numbers: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (svc, pki) = (&svc, &pki);
                s.spawn(move || {
                    let name = if i % 2 == 0 {
                        "accredited-signer"
                    } else {
                        "accredited-signer-revoked"
                    };
                    let (_, verified) = ask(svc, name, Some(vec![i; 32]));
                    assert_eq!(
                        matches!(verified.status, CertStatus::Revoked { .. }),
                        i % 2 == 1
                    );
                    let crl = get_crl(svc, "accredited-ca");
                    let ca = cert(pki, "accredited-ca");
                    crl.verify_signature(&CertRef::parse(&ca).unwrap()).unwrap();
                    crl_number(&crl)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut distinct = numbers.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 20, "{numbers:?}");
    assert_eq!(
        svc.hits(),
        Hits {
            ocsp: 20,
            crl: 20,
            ca: 0,
            other: 0
        }
    );
}

#[test]
fn shutdown_closes_the_port() {
    let svc = start();
    let addr = svc.local_addr();
    assert_eq!(raw(&svc, b"GET /ca/tsa-ca.der HTTP/1.1\r\n\r\n").0, 200);
    svc.shutdown();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err());
}

#[test]
fn bind_errors_are_typed() {
    assert!(matches!(
        RevocationService::bind("not an address"),
        Err(Error::Bind { .. })
    ));
}

// ---- the tsa-short entity --------------------------------------------------------------

#[test]
fn tsa_short_expires_between_the_signers_and_the_other_tsas() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let last = pki.entities().last().unwrap();
    assert_eq!(last.name, "tsa-short");
    assert_eq!(last.issuer.as_deref(), Some("tsa-ca"));
    assert_eq!(last.key_alg, kenpo_testpki::KeyAlg::Rsa(2048));
    let der = cert(&pki, "tsa-short");
    let c = CertRef::parse(&der).unwrap();
    assert_eq!(c.not_before, pki.now() - time::Duration::days(30));
    assert_eq!(c.not_after, pki.now() + time::Duration::days(3 * 365));
    let signer = cert(&pki, "hpki-signer");
    let tsa = cert(&pki, "tsa");
    let signer_end = CertRef::parse(&signer).unwrap().not_after;
    let tsa_end = CertRef::parse(&tsa).unwrap().not_after;
    assert!(signer_end < c.not_after && c.not_after < tsa_end);
    // Same profile as `tsa`: critical EKU timeStamping only.
    let parsed = x509_cert::Certificate::from_der(&der).unwrap();
    let eku = parsed
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .unwrap();
    assert!(eku.critical);
    let usages =
        x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).unwrap();
    assert_eq!(usages.0, vec![kenpo_core::oid::KP_TIME_STAMPING]);
    // Issued by tsa-ca (its signature verifies, as the OCSP/CRL tests rely on).
    let ca = cert(&pki, "tsa-ca");
    let report = Checker::new()
        .with_crls(vec![pki.crl("tsa-ca").unwrap().der.clone()])
        .offline(true)
        .check(&der, &ca, pki.now());
    assert!(matches!(report.status, RevocationStatus::Good { .. }));
}

#[test]
fn stalled_clients_are_dropped_and_excess_connections_refused() {
    use kenpo_testpki::service::MAX_CONNECTIONS;
    let svc = start();
    let start = std::time::Instant::now();
    let stalled: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| {
            let mut s = TcpStream::connect(svc.local_addr()).unwrap();
            s.write_all(b"GET /ca/root-ca.der HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    // Every worker is busy: the next client is refused at once, without a panic.
    let (status, _, _) = raw(&svc, b"GET /ca/root-ca.der HTTP/1.1\r\n\r\n");
    assert_eq!(status, 503);
    // The stalled ones are dropped after the request deadline, unanswered.
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(out.is_empty(), "{out:?}");
    }
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(raw(&svc, b"GET /ca/root-ca.der HTTP/1.1\r\n\r\n").0, 200);
}
