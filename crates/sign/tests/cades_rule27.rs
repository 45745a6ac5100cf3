//! Rule 27-1(3): the signer certificate must be valid, and not revoked, at the signature
//! time-stamp's genTime; otherwise signing fails with the reason and writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use cades_common::{
    LocalTsa, RecordingTsa, client_config, closed_port_url, counting_signer, files_in, pki,
};
use kenpo_revocation::{RevocationCheck, RevocationStatus};
use kenpo_sign::cades::{SignError, SignOptions, sign_bytes, sign_file_to};
use kenpo_sign::{Level, Profile};
use time::{Duration, OffsetDateTime};

const DOC: &[u8] = b"<claim>rule 27-1(3)</claim>";

/// Answers a fixed status (with the revocation time relative to the time asked) and
/// records every question.
/// (certificate, issuer, time asked).
type Question = (Vec<u8>, Vec<u8>, OffsetDateTime);

struct Stub {
    answer: Box<dyn Fn(OffsetDateTime) -> RevocationStatus + Send + Sync>,
    asked: Mutex<Vec<Question>>,
}

impl Stub {
    fn new(
        answer: impl Fn(OffsetDateTime) -> RevocationStatus + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            answer: Box::new(answer),
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl RevocationCheck for Stub {
    fn status_at(&self, cert: &[u8], issuer: &[u8], at: OffsetDateTime) -> RevocationStatus {
        self.asked
            .lock()
            .unwrap()
            .push((cert.to_vec(), issuer.to_vec(), at));
        (self.answer)(at)
    }
}

/// Revocation from the test PKI's own list (what its CRLs say).
struct PkiRevocations;

impl RevocationCheck for PkiRevocations {
    fn status_at(&self, cert: &[u8], _issuer: &[u8], at: OffsetDateTime) -> RevocationStatus {
        let c = kenpo_core::cert::CertRef::parse(cert).unwrap();
        match pki()
            .pki
            .revoked()
            .iter()
            .find(|r| r.serial == c.serial && r.time <= at)
        {
            Some(r) => RevocationStatus::Revoked {
                time: r.time,
                reason: r.reason,
                source: format!("{}.crl", r.issuer),
            },
            None => RevocationStatus::Good {
                source: "test PKI".into(),
            },
        }
    }
}

fn bt(tsa: &str, revocation: Option<Arc<dyn RevocationCheck>>) -> SignOptions {
    SignOptions::default()
        .with_level(Level::BT)
        .with_profile(Profile::Hpki)
        .with_tsa(Some(client_config(vec![tsa.to_owned()])))
        .with_revocation(revocation)
}

fn write_doc(dir: &Path) -> std::path::PathBuf {
    let doc = dir.join("claim.xml");
    std::fs::write(&doc, DOC).unwrap();
    doc
}

#[test]
fn revoked_before_gen_time_is_refused_and_nothing_is_written() {
    let tsa = LocalTsa::start("tsa");
    let dir = tempfile::tempdir().unwrap();
    let doc = write_doc(dir.path());
    let out = dir.path().join("claim.xml.p7s");
    let stub = Stub::new(|at| RevocationStatus::Revoked {
        time: at - Duration::hours(1),
        reason: Some(1),
        source: "stub CRL".into(),
    });
    let signer = pki().signer("hpki-signer");
    for attached in [false, true] {
        let opts = bt(&tsa.url(), Some(stub.clone())).with_attached(attached);
        let e = sign_file_to(&signer, &doc, &out, &opts).unwrap_err();
        match &e {
            SignError::RevokedAtGenTime {
                gen_time,
                revoked_at,
                reason,
                origin,
            } => {
                assert_eq!(*revoked_at, *gen_time - Duration::hours(1));
                assert_eq!(*reason, Some(1));
                assert_eq!(origin, "stub CRL");
            }
            other => panic!("expected RevokedAtGenTime, got {other}"),
        }
        assert!(e.is_refusal());
        assert!(e.to_string().contains("rule 27-1(3)"), "{e}");
        assert!(!out.exists(), "output written despite the refusal");
        assert_eq!(files_in(dir.path()), ["claim.xml"], "temporary files left");
    }
    // The checker was asked about the signer, with its issuer, at genTime.
    let asked = stub.asked.lock().unwrap();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].0, pki().cert("hpki-signer"));
    assert_eq!(asked[0].1, pki().cert("hpki-sign-ca"));
    assert_eq!(tsa.tsa.issued(), 2, "the time-stamp came first");
}

#[test]
fn revoked_signer_from_the_crl_is_refused() {
    let tsa = RecordingTsa::start(None);
    let (signer, key) = counting_signer("hpki-signer-revoked");
    let e = sign_bytes(
        &signer,
        DOC,
        &bt(&tsa.url(), Some(Arc::new(PkiRevocations))),
    )
    .unwrap_err();
    let expected = pki()
        .pki
        .revoked()
        .iter()
        .find(|r| r.subject == "hpki-signer-revoked")
        .unwrap()
        .time;
    assert!(
        matches!(e, SignError::RevokedAtGenTime { revoked_at, .. } if revoked_at == expected),
        "{e}"
    );
    assert_eq!(key.count(), 1);

    // B-B with a checker: refused at signing time, before the key is used.
    let (signer, key) = counting_signer("hpki-signer-revoked");
    let opts = SignOptions::default()
        .with_revocation(Some(Arc::new(PkiRevocations)))
        .with_profile(Profile::Hpki);
    let e = sign_bytes(&signer, DOC, &opts).unwrap_err();
    assert!(matches!(e, SignError::Revoked { .. }), "{e}");
    assert_eq!(key.count(), 0);

    // The good signer passes the same checker, and the status is reported.
    let signed = sign_bytes(&pki().signer("hpki-signer"), DOC, &opts).unwrap();
    assert!(matches!(
        signed.revocation,
        Some(RevocationStatus::Good { .. })
    ));
}

#[test]
fn unknown_status_and_later_revocation_proceed_and_are_reported() {
    let tsa = RecordingTsa::start(None);
    let signer = pki().signer("hpki-signer");

    let unknown = Stub::new(|_| RevocationStatus::Unknown {
        reason: "CRL distribution point unreachable".into(),
    });
    let signed = sign_bytes(&signer, DOC, &bt(&tsa.url(), Some(unknown.clone()))).unwrap();
    assert!(
        matches!(&signed.revocation, Some(RevocationStatus::Unknown { reason }) if reason.contains("unreachable"))
    );
    // Asked exactly at genTime.
    assert_eq!(
        unknown.asked.lock().unwrap()[0].2,
        signed.timestamp_gen_time.unwrap()
    );

    let later = Stub::new(|at| RevocationStatus::Revoked {
        time: at + Duration::days(1),
        reason: None,
        source: "stub".into(),
    });
    let signed = sign_bytes(&signer, DOC, &bt(&tsa.url(), Some(later))).unwrap();
    assert!(matches!(
        signed.revocation,
        Some(RevocationStatus::Revoked { .. })
    ));

    let good = Stub::new(|_| RevocationStatus::Good {
        source: "stub OCSP".into(),
    });
    let signed = sign_bytes(&signer, DOC, &bt(&tsa.url(), Some(good))).unwrap();
    assert!(matches!(
        signed.revocation,
        Some(RevocationStatus::Good { .. })
    ));

    // No checker: nothing to report.
    let signed = sign_bytes(&signer, DOC, &bt(&tsa.url(), None)).unwrap();
    assert!(signed.revocation.is_none());
}

#[test]
fn issuer_missing_from_the_chain_is_unknown() {
    let tsa = RecordingTsa::start(None);
    let mut signer = pki().signer("hpki-signer");
    signer.chain.clear();
    let stub = Stub::new(|_| RevocationStatus::Good {
        source: "stub".into(),
    });
    let signed = sign_bytes(&signer, DOC, &bt(&tsa.url(), Some(stub.clone()))).unwrap();
    assert!(matches!(
        signed.revocation,
        Some(RevocationStatus::Unknown { .. })
    ));
    assert!(stub.asked.lock().unwrap().is_empty());
}

#[test]
fn expired_signer_is_refused_before_signing() {
    let tsa = RecordingTsa::start(None);
    let dir = tempfile::tempdir().unwrap();
    let doc = write_doc(dir.path());
    let out = dir.path().join("claim.xml.p7s");
    let (signer, key) = counting_signer("hpki-signer-expired");
    let e = sign_file_to(&signer, &doc, &out, &bt(&tsa.url(), None)).unwrap_err();
    assert!(matches!(e, SignError::Expired { .. }), "{e}");
    assert!(e.is_refusal());
    assert_eq!(key.count(), 0, "key used for an expired certificate");
    assert!(tsa.responses.lock().unwrap().is_empty(), "TSA asked");
    assert!(!out.exists());
}

#[test]
fn not_valid_at_gen_time_is_refused() {
    // Signing "as of" a time inside the expired certificate's validity passes the checks
    // made before signing, but the TSA's genTime (now) is past notAfter.
    let tsa = RecordingTsa::start(None);
    let dir = tempfile::tempdir().unwrap();
    let doc = write_doc(dir.path());
    let out = dir.path().join("claim.xml.p7s");
    let signer = pki().signer("hpki-signer-expired");
    let cert = kenpo_core::cert::CertRef::parse(&signer.cert).unwrap();
    let opts = bt(&tsa.url(), None).with_now(Some(cert.not_after() - Duration::days(1)));
    let e = sign_file_to(&signer, &doc, &out, &opts).unwrap_err();
    match e {
        SignError::NotValidAtGenTime {
            gen_time,
            not_after,
            ..
        } => assert!(gen_time > not_after),
        other => panic!("expected NotValidAtGenTime, got {other}"),
    }
    assert!(!out.exists());
    assert_eq!(files_in(dir.path()), ["claim.xml"]);
}

#[test]
fn tsa_down_fails_bt_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let doc = write_doc(dir.path());
    let out = dir.path().join("claim.xml.p7s");
    std::fs::write(&out, b"previous signature").unwrap();
    let signer = pki().signer("hpki-signer");
    for attached in [false, true] {
        let opts = bt(&closed_port_url(), None).with_attached(attached);
        let e = sign_file_to(&signer, &doc, &out, &opts).unwrap_err();
        match &e {
            SignError::TsaFailed(c) => assert!(c.is_unreachable(), "{c}"),
            other => panic!("expected TsaFailed, got {other}"),
        }
        assert!(!e.is_refusal(), "operational error");
        assert_eq!(std::fs::read(&out).unwrap(), b"previous signature");
        assert_eq!(files_in(dir.path()), ["claim.xml", "claim.xml.p7s"]);
    }
}
