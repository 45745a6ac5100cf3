//! The persistent cache directory (`Checker::with_cache_dir`) against a real revocation
//! service on 127.0.0.1: fetched CRLs and OCSP responses are written once, read back by a
//! later checker (offline too) while current, and ignored when stale or corrupt; a CRL
//! that does not verify is never kept; offline checkers never write.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};
use kenpo_testpki::service::RevocationService;
use kenpo_testpki::{Config, TestPki};
use time::OffsetDateTime;

fn served() -> RevocationService {
    let bound = RevocationService::bind("127.0.0.1:0").unwrap();
    let mut config = Config::default();
    bound.config_urls(&mut config);
    bound
        .start(kenpo_testpki::generate(&config).unwrap())
        .unwrap()
}

fn der(pki: &TestPki, name: &str) -> Vec<u8> {
    pki.entity(name).unwrap().cert_der.clone()
}

fn checker(dir: &Path, offline: bool) -> Checker {
    Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(5))
        .offline(offline)
        .with_cache_dir(dir.to_path_buf())
}

/// The files (not temporaries) in `dir/sub`.
fn files(dir: &Path, sub: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn good_source(s: RevocationStatus) -> String {
    match s {
        RevocationStatus::Good { source } => source,
        other => panic!("expected Good, got {other:?}"),
    }
}

fn unknown_reason(s: RevocationStatus) -> String {
    match s {
        RevocationStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn ocsp_responses_are_kept_and_read_back_offline() {
    let service = served();
    let pki = service.pki();
    let (ee, ca) = (der(pki, "accredited-signer"), der(pki, "accredited-ca"));
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();

    let first = good_source(checker(dir.path(), false).status_at(&ee, &ca, now));
    assert!(first.starts_with("OCSP http://127.0.0.1:"), "{first}");
    assert!(!first.contains("cache"), "{first}");
    assert_eq!(service.hits().ocsp, 1);
    let kept = files(dir.path(), "ocsp");
    assert_eq!(kept.len(), 1, "one response kept: {kept:?}");
    assert!(files(dir.path(), "crl").is_empty(), "OCSP answered first");

    // A new checker (a later run), offline: answered from the cache, nothing fetched.
    let offline = good_source(checker(dir.path(), true).status_at(&ee, &ca, now));
    assert!(
        offline.contains(&format!("from cache {}", kept[0].display())),
        "{offline}"
    );
    // Online, while current: still no fetch.
    let again = good_source(checker(dir.path(), false).status_at(&ee, &ca, now));
    assert!(again.contains("from cache"), "{again}");
    assert_eq!(
        service.hits().ocsp,
        1,
        "current cached answers are not refetched"
    );

    // Two days on the response (nextUpdate +1 day) is no longer current: offline there
    // is no answer, online a fresh one is fetched.
    let later = now + time::Duration::days(2);
    let reason = unknown_reason(checker(dir.path(), true).status_at(&ee, &ca, later));
    assert!(reason.contains("offline"), "{reason}");
    let before = std::fs::read(&kept[0]).unwrap();
    let _ = checker(dir.path(), false).status_at(&ee, &ca, later);
    assert_eq!(service.hits().ocsp, 2, "a stale cached answer is refetched");
    assert_ne!(std::fs::read(&kept[0]).unwrap(), before, "and replaced");
}

#[test]
fn crls_are_kept_and_read_back_offline() {
    let service = served();
    let pki = service.pki();
    // The HPKI signer names a CRL distribution point and no OCSP responder.
    let (ee, ca) = (der(pki, "hpki-signer"), der(pki, "hpki-sign-ca"));
    let dir = tempfile::tempdir().unwrap();
    // The first CRL is issued eight days ago (nextUpdate +7 days: stale today).
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let then = now - time::Duration::days(8);
    service.set_clock(std::sync::Arc::new(move || then));

    let first = good_source(checker(dir.path(), false).status_at(&ee, &ca, then));
    assert!(first.starts_with("CRL http://127.0.0.1:"), "{first}");
    assert_eq!(service.hits().crl, 1);
    let kept = files(dir.path(), "crl");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].extension().and_then(|e| e.to_str()), Some("crl"));

    let offline = good_source(checker(dir.path(), true).status_at(&ee, &ca, then));
    assert!(
        offline.contains(&format!("from cache {}", kept[0].display())),
        "{offline}"
    );
    let again = good_source(checker(dir.path(), false).status_at(&ee, &ca, then));
    assert!(again.contains("from cache"), "{again}");
    assert_eq!(
        service.hits().crl,
        1,
        "a current cached CRL is not refetched"
    );

    // Revoked since; today the cached CRL is stale: offline there is no answer, online a
    // fresh CRL is fetched, says so, and replaces the cached one.
    service.set_clock(std::sync::Arc::new(OffsetDateTime::now_utc));
    service
        .revoke("hpki-signer", now - time::Duration::days(1), Some(1))
        .expect("revoke the signer");
    let reason = unknown_reason(checker(dir.path(), true).status_at(&ee, &ca, now));
    assert!(reason.contains("no current copy in the cache"), "{reason}");
    match checker(dir.path(), false).status_at(&ee, &ca, now) {
        RevocationStatus::Revoked { source, .. } => {
            assert!(!source.contains("cache"), "{source}")
        }
        other => panic!("expected Revoked from a fresh CRL, got {other:?}"),
    }
    assert_eq!(service.hits().crl, 2);
    assert!(matches!(
        checker(dir.path(), true).status_at(&ee, &ca, now),
        RevocationStatus::Revoked { .. }
    ));
}

#[test]
fn corrupt_cache_files_are_ignored_and_replaced() {
    let service = served();
    let pki = service.pki();
    let (ee, ca) = (der(pki, "hpki-signer"), der(pki, "hpki-sign-ca"));
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let _ = good_source(checker(dir.path(), false).status_at(&ee, &ca, now));
    let kept = files(dir.path(), "crl");
    assert_eq!(kept.len(), 1);
    std::fs::write(&kept[0], b"\x30\x03garbage").unwrap();

    let reason = unknown_reason(checker(dir.path(), true).status_at(&ee, &ca, now));
    assert!(
        reason.contains("ignored"),
        "the corrupt file is named: {reason}"
    );
    let fresh = good_source(checker(dir.path(), false).status_at(&ee, &ca, now));
    assert!(!fresh.contains("cache"), "{fresh}");
    assert_eq!(service.hits().crl, 2);
    let again = good_source(checker(dir.path(), true).status_at(&ee, &ca, now));
    assert!(
        again.contains("from cache"),
        "replaced by the fetch: {again}"
    );
}

#[test]
fn offline_checkers_never_write() {
    let service = served();
    let pki = service.pki();
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    for (ee, ca) in [
        ("hpki-signer", "hpki-sign-ca"),
        ("accredited-signer", "accredited-ca"),
    ] {
        let reason =
            unknown_reason(checker(dir.path(), true).status_at(&der(pki, ee), &der(pki, ca), now));
        assert!(reason.contains("offline"), "{reason}");
    }
    assert_eq!(service.hits().ocsp + service.hits().crl, 0);
    assert!(files(dir.path(), "crl").is_empty());
    assert!(files(dir.path(), "ocsp").is_empty());
}

#[test]
fn an_unwritable_cache_is_a_note_not_a_failure() {
    let service = served();
    let pki = service.pki();
    let (ee, ca) = (der(pki, "hpki-signer"), der(pki, "hpki-sign-ca"));
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache directory should be: nothing can be written under it.
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"").unwrap();
    let report = checker(&blocked, false).check(&ee, &ca, OffsetDateTime::now_utc());
    assert!(matches!(report.status, RevocationStatus::Good { .. }));
    assert!(
        report.notes.iter().any(|n| n.contains("not written")),
        "{:?}",
        report.notes
    );
}

#[test]
fn a_crl_is_kept_only_once_an_answer_rests_on_it() {
    use common::{Reply, TestServer, crl_handler, pki_for};
    let server = TestServer::bind();
    let pki = pki_for(&server.base());
    let genuine = pki.crl("hpki-sign-ca").unwrap().der.clone();
    // The same CRL with its last signature byte changed: parses, does not verify.
    let mut forged = genuine.clone();
    *forged.last_mut().unwrap() ^= 0x01;
    server.set(move |req: &common::Request| {
        if req.path == "/crl/hpki-sign-ca.crl" {
            Reply::Ok(forged.clone(), "application/pkix-crl")
        } else {
            Reply::Status(404)
        }
    });
    let (ee, ca) = (der(&pki, "hpki-signer"), der(&pki, "hpki-sign-ca"));
    let dir = tempfile::tempdir().unwrap();
    let reason = unknown_reason(checker(dir.path(), false).status_at(&ee, &ca, pki.now()));
    assert!(reason.contains("signature"), "{reason}");
    assert!(
        files(dir.path(), "crl").is_empty(),
        "a CRL that does not verify is not kept"
    );

    server.set(crl_handler(&pki));
    let fresh = good_source(checker(dir.path(), false).status_at(&ee, &ca, pki.now()));
    assert!(!fresh.contains("cache"), "{fresh}");
    let kept = files(dir.path(), "crl");
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), genuine);
}
