//! Hostile input at the verify level: 5,000 certificates in a SignedData (junk, look-alike
//! issuers with bad signatures, a loop of cross-signed CAs A→B→A), deeply nested BER, huge
//! lengths, a 100 MB CRL, and CRL/OCSP servers on 127.0.0.1 that hang or send garbage.
//! Each ends in a verdict (never a panic) in bounded time; every figure is printed (run
//! with `--nocapture`) and the bounds are generous for debug builds on 2 busy cores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "hostile_verify/forge.rs"]
mod forge;

use std::time::{Duration, Instant};

use common::net::{Reply, Server, crl_and_tsa_handler, crl_paths, pki_signer, pki_with};
use common::test_pki;
use forge::{Rng, big_crl, hostile_certs, with_certs};
use kenpo_core::cert::CertRef;
use kenpo_core::cms::SignedDataView;
use kenpo_core::der_span::{tag, tlv};
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::TestPki;
use kenpo_verify::path::{PathError, PathValidator, ValidationOptions};
use kenpo_verify::report::{Lang, Report};
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};

const DOC: &[u8] = b"<claim>hostile</claim>";
/// Upper bound for one verification (debug build, 2 busy cores).
const BOUND: Duration = Duration::from_secs(60);
/// Upper bound for one verification with the 100 MB CRL: parsing and indexing its ~4.4
/// million entries took 30–35 s in a debug build on 2 busy cores (11–25 s in release; the
/// per-serial hash index dominates).
const CRL_BOUND: Duration = Duration::from_secs(120);

fn cert(pki: &TestPki, name: &str) -> Vec<u8> {
    pki.entity(name).unwrap().cert_der.clone()
}

fn crl(pki: &TestPki, issuer: &str) -> Vec<u8> {
    pki.crl(issuer).unwrap().der.clone()
}

fn sign(pki: &TestPki, name: &str) -> Vec<u8> {
    let opts = SignOptions::default()
        .with_level(Level::BB)
        .with_attached(true)
        .with_now(Some(pki.now()));
    sign_bytes(&pki_signer(pki, name), DOC, &opts).unwrap().der
}

/// Offline request on the shared PKI: HPKI profile, anchors root-ca and tsa-ca.
fn request(sig: &[u8], crls: Vec<Vec<u8>>) -> VerifyRequest<'_> {
    let p = test_pki();
    VerifyRequest::new(sig)
        .with_content(None)
        .with_anchors(vec![cert(p, "root-ca"), cert(p, "tsa-ca")])
        .with_cert_store(Vec::new())
        .with_crls(crls)
        .with_ocsp_responses(Vec::new())
        .with_profile(Profile::Hpki)
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_at(None)
        .with_revocation(RevocationMode::Hard)
        .with_policy(kenpo_verify::policy::Policy::default())
}

/// Verifies and returns the report with the time it took, asserting the bound.
fn timed(what: &str, req: &VerifyRequest<'_>) -> (Report, Duration) {
    timed_within(what, req, BOUND)
}

fn timed_within(what: &str, req: &VerifyRequest<'_>, bound: Duration) -> (Report, Duration) {
    let start = Instant::now();
    let r = verify_signature(req).unwrap();
    let took = start.elapsed();
    println!(
        "{what}: {:?}/{:?} in {:.3} s",
        r.indication,
        r.sub_indication,
        took.as_secs_f64()
    );
    assert!(took < bound, "{what}: {took:?}");
    (r, took)
}

#[test]
fn five_thousand_certificates_and_a_cross_signed_loop() {
    let p = test_pki();
    let certs = hostile_certs();
    assert_eq!(certs.len(), 5000);
    let sig = with_certs(&sign(p, "hpki-signer"), &certs);
    let crls = vec![crl(p, "hpki-sign-ca"), crl(p, "root-ca"), crl(p, "tsa-ca")];
    let (r, _) = timed("5,000 certificates", &request(&sig, crls));
    // The budget stops path building before the genuine CA (listed last) is reached:
    // INDETERMINATE, never a pass and never TOTAL_FAILED.
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert!(
        matches!(
            r.sub_indication,
            Some(
                SubIndication::NO_CERTIFICATE_CHAIN_FOUND
                    | SubIndication::CERTIFICATE_CHAIN_GENERAL_FAILURE
            )
        ),
        "{:?}",
        r.sub_indication
    );
    // The genuine certificates alone pass (the junk is what stopped it).
    let plain = sign(p, "hpki-signer");
    let crls = vec![crl(p, "hpki-sign-ca"), crl(p, "root-ca"), crl(p, "tsa-ca")];
    let (r, _) = timed("same signature without the junk", &request(&plain, crls));
    assert_eq!(r.indication, Indication::TotalPassed);
}

#[test]
fn cross_signed_loop_is_stopped_by_the_budget() {
    // Only the loop (A_k, B_k) and the junk: leaf → A → B → A → … every signature valid,
    // so without the budget the depth-first search is exponential. With it, path building
    // ends with PathError::Budget in time proportional to the budget.
    let p = test_pki();
    let certs = hostile_certs();
    let leaf = cert(p, "hpki-signer");
    let mut refs: Vec<&[u8]> = certs[..2000]
        .iter()
        .chain(&certs[4000..])
        .map(Vec::as_slice)
        .collect();
    let ca = cert(p, "hpki-sign-ca");
    refs.push(&ca);
    for budget in [16, 64, 256] {
        let mut o = ValidationOptions::at(p.now());
        o.max_signature_checks = budget;
        let v = PathValidator::new(vec![cert(p, "root-ca")], o);
        let start = Instant::now();
        let res = v.validate(&leaf, &refs);
        let took = start.elapsed();
        println!(
            "path building over the loop, budget {budget}: {} in {:.3} s",
            res.as_ref()
                .map_or_else(ToString::to_string, |_| "path found".into()),
            took.as_secs_f64()
        );
        assert!(took < BOUND);
        assert!(matches!(res, Err(PathError::Budget { .. })), "{res:?}");
    }
}

#[test]
fn budget_exhaustion_is_named_in_the_report() {
    let p = test_pki();
    let sig = with_certs(&sign(p, "hpki-signer"), &hostile_certs());
    let crls = vec![crl(p, "hpki-sign-ca"), crl(p, "root-ca"), crl(p, "tsa-ca")];
    let (r, _) = timed("5,000 certificates", &request(&sig, crls));
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
    );
    let path = r.signatures[0]
        .checks
        .iter()
        .find(|c| c.name() == "path")
        .unwrap();
    assert!(path.detail().contains("budget"), "{}", path.detail());
}

#[test]
fn deeply_nested_ber_is_format_failure() {
    let depth = 100_000;
    let mut seq = b"\x30\x80".repeat(depth);
    seq.extend(b"\x00\x00".repeat(depth));
    // ContentInfo { signedData, [0] { SignedData … eContent: nested constructed OCTET
    // STRINGs } } — indefinite lengths all the way down.
    let mut sd = vec![0x30, 0x80, 0x06, 0x09];
    sd.extend([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);
    sd.extend([
        0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x80,
    ]);
    sd.extend([
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    sd.extend([0xa0, 0x80]);
    sd.extend(b"\x24\x80".repeat(depth));
    sd.extend(b"\x04\x01x");
    sd.extend(b"\x00\x00".repeat(depth + 5));
    // Definite lengths, 1,000 levels.
    let mut definite = b"\x05\x00".to_vec();
    for _ in 0..1000 {
        definite = tlv(tag::SEQUENCE, &[&definite]);
    }
    for (what, input) in [
        ("indefinite SEQUENCEs", seq),
        ("nested eContent", sd),
        ("definite", definite),
    ] {
        let (r, _) = timed(what, &request(&input, Vec::new()));
        assert_eq!(r.indication, Indication::TotalFailed, "{what}");
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::FORMAT_FAILURE),
            "{what}"
        );
    }
}

#[test]
fn huge_lengths_are_format_failures() {
    let good = sign(test_pki(), "hpki-signer");
    let body = &good[4..]; // after `30 82 LL LL`
    let mut inputs: Vec<(&str, Vec<u8>)> = vec![
        (
            "4 GiB outer length",
            [&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..], body].concat(),
        ),
        (
            "2^63 outer length",
            [
                &[0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
                body,
            ]
            .concat(),
        ),
        (
            "9-octet length",
            [&[0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0][..], body].concat(),
        ),
        (
            "length past the end",
            [&[0x30, 0x83, 0x10, 0x00, 0x00][..], body].concat(),
        ),
    ];
    // The first certificate inside claims 64 KiB - 1 (its enclosing field is far shorter).
    let sd = SignedDataView::parse(&good).unwrap();
    let at = sd.certificates[0].raw.as_ptr() as usize - good.as_ptr() as usize;
    let mut inner = good.clone();
    inner[at + 2..at + 4].copy_from_slice(&[0xff, 0xff]);
    inputs.push(("certificate length past its field", inner));
    for (what, input) in inputs {
        let (r, _) = timed(what, &request(&input, Vec::new()));
        assert_ne!(r.indication, Indication::TotalPassed, "{what}");
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::FORMAT_FAILURE),
            "{what}"
        );
    }
}

#[test]
fn hundred_megabyte_crl_supplied() {
    let p = test_pki();
    let revoked_der = cert(p, "hpki-signer-revoked");
    let revoked_serial = CertRef::parse(&revoked_der).unwrap().serial.to_vec();
    let start = Instant::now();
    let big = big_crl(p, 100 << 20, &[&revoked_serial]);
    println!(
        "built a {:.1} MiB CRL in {:.2} s",
        big.len() as f64 / f64::from(1 << 20),
        start.elapsed().as_secs_f64()
    );
    assert!(big.len() > 100 << 20);
    let crls = vec![big, crl(p, "root-ca"), crl(p, "tsa-ca")];

    let good = sign(p, "hpki-signer");
    let (r, _) = timed_within(
        "100 MB CRL, good signer",
        &request(&good, crls.clone()),
        CRL_BOUND,
    );
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );

    let bad = sign(p, "hpki-signer-revoked");
    let (r, _) = timed_within(
        "100 MB CRL, revoked signer",
        &request(&bad, crls),
        CRL_BOUND,
    );
    assert_eq!(
        r.indication,
        Indication::TotalFailed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::REVOKED));
}

/// Online verification of `signer`'s B-B signature where `path` on the local server
/// replies with `reply()`; every other CRL is served. The signer's status is unknown.
fn hostile_server(
    signer: &str,
    root: &str,
    profile: Profile,
    path: &'static str,
    reply: fn() -> Reply,
) {
    let server = Server::bind();
    let pki = pki_with(&server.base(), &format!("{}/ocsp", server.base()));
    let serve = crl_and_tsa_handler(&pki, crl_paths(&pki, &["hpki-sign-ca", "accredited-ca"]));
    server.set(move |p: &str, body: &[u8]| if p == path { reply() } else { serve(p, body) });
    let sig = sign(&pki, signer);
    let req = VerifyRequest::new(&sig)
        .with_content(None)
        .with_anchors(vec![cert(&pki, root), cert(&pki, "tsa-ca")])
        .with_cert_store(Vec::new())
        .with_crls(Vec::new())
        .with_ocsp_responses(Vec::new())
        .with_profile(profile)
        .with_offline(false)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_at(None)
        .with_revocation(RevocationMode::Hard)
        .with_policy(kenpo_verify::policy::Policy::default());
    let (r, _) = timed(&format!("{signer}, {path}"), &req);
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::TRY_LATER));
    assert!(server.hits(path) >= 1, "{path} was asked");
}

fn garbage() -> Reply {
    Reply::Ok(Rng(7).bytes(4096), "application/octet-stream")
}

#[test]
fn crl_distribution_point_hangs() {
    hostile_server(
        "hpki-signer",
        "root-ca",
        Profile::Hpki,
        "/crl/hpki-sign-ca.crl",
        || Reply::Hang,
    );
}

#[test]
fn crl_distribution_point_sends_garbage() {
    hostile_server(
        "hpki-signer",
        "root-ca",
        Profile::Hpki,
        "/crl/hpki-sign-ca.crl",
        garbage,
    );
}

#[test]
fn ocsp_responder_hangs() {
    hostile_server(
        "accredited-signer",
        "accredited-root",
        Profile::Accredited,
        "/ocsp",
        || Reply::Hang,
    );
}

#[test]
fn ocsp_responder_sends_garbage() {
    hostile_server(
        "accredited-signer",
        "accredited-root",
        Profile::Accredited,
        "/ocsp",
        garbage,
    );
}
