//! Long-term signatures: offline verification of a B-LTA signature with one renewal, and
//! extension time per file with a local TSA and revocation service (issue 5).
//!
//! `cargo bench -p kenpo-verify --bench long_term` (optionally `-- --verifications N
//! --extensions M`).
//!
//! Printed: µs per offline verification of a B-LTA file (signature time-stamp + two
//! archive time-stamps, all validation data embedded) with a reused `Verifier`; the number
//! of signature verifications it performs, counted exactly by the crypto backend
//! (`kenpo_core::crypto::verifications`); the bound `count / openssl verify/s` from
//! `openssl speed -seconds 2 rsa2048` run by this process, and the ratio bound ÷ ours
//! (goal ≥ 0.8). Then ms per B-T → B-LTA extension (verification, OCSP/CRL fetch from the
//! local service, archive time-stamp from the local TSA, guards).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/allocator.rs"]
mod allocator;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/openssl_speed.rs"]
mod openssl_speed;

use std::time::Instant;

use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_testpki::Config;
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::Indication;
use kenpo_verify::lt::{ExtendOptions, Target, extend};
use kenpo_verify::validate::{Verifier, VerifyOptions};

fn arg(name: &str, default: usize) -> usize {
    let argv: Vec<String> = std::env::args().collect();
    argv.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let verifications = arg("--verifications", 2000);
    let extensions = arg("--extensions", 40);

    let bound = RevocationService::bind("127.0.0.1:0").unwrap();
    let mut cfg = Config::default();
    bound.config_urls(&mut cfg);
    let pki = kenpo_testpki::generate(&cfg).unwrap();
    let _service = bound.start(pki.clone()).unwrap();
    let tsa1 = common::serve_tsa(&pki, "tsa-short");
    let tsa2 = common::serve_tsa(&pki, "tsa-rsa3072");
    let anchors: Vec<Vec<u8>> = ["root-ca", "tsa-ca"]
        .iter()
        .map(|n| pki.entity(n).unwrap().cert_der.clone())
        .collect();
    let signer = common::signer_of(&pki, "hpki-signer");
    let sign = |doc: &[u8]| {
        let opts = SignOptions::default()
            .with_level(Level::BT)
            .with_attached(true)
            .with_tsa(Some(ClientConfig::new([tsa1.clone()])));
        sign_bytes(&signer, doc, &opts).unwrap().der
    };
    let opts = |tsa: &str| {
        ExtendOptions::new(
            Target::BLta,
            Some(ClientConfig::new([tsa.to_owned()])),
            anchors.clone(),
        )
    };

    // Extension time per file.
    let docs: Vec<Vec<u8>> = (0..extensions)
        .map(|i| format!("e-application {i}").into_bytes())
        .collect();
    let bts: Vec<Vec<u8>> = docs.iter().map(|d| sign(d)).collect();
    let t = Instant::now();
    let mut last = Vec::new();
    for bt in &bts {
        last = extend(bt, None, &opts(&tsa1)).unwrap().der;
    }
    let per_extension = t.elapsed().as_secs_f64() * 1e3 / extensions as f64;
    println!("kenpo-verify long-term benchmark, {}", allocator::NAME);
    println!(
        "B-T → B-LTA extension (local TSA and OCSP/CRL service): {per_extension:.2} ms per file ({extensions} files)"
    );
    let t = Instant::now();
    let renewed = extend(&last, None, &opts(&tsa2)).unwrap().der;
    println!(
        "renewal (second archive time-stamp): {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    // Offline verification of the renewed B-LTA.
    let verifier = Verifier::new(
        VerifyOptions::default()
            .with_anchors(anchors.clone())
            .with_offline(true),
    );
    let first = verifier.verify(&renewed, None).unwrap();
    assert_eq!(first.indication, Indication::TotalPassed);
    assert_eq!(first.signatures[0].level, "B-LTA");
    let before = verifier.context().verifications();
    let t = Instant::now();
    for _ in 0..verifications {
        let r = verifier.verify(&renewed, None).unwrap();
        assert_eq!(r.indication, Indication::TotalPassed);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / verifications as f64;
    let count = (verifier.context().verifications() - before) as f64 / verifications as f64;
    println!(
        "offline B-LTA verification (1 signature time-stamp + 2 archive time-stamps, reused Verifier): {us:.1} µs per file, {count:.1} signature verifications per file"
    );
    match openssl_speed::rsa2048_verify_per_s() {
        Some(v) => {
            let bound_us = count / v * 1e6;
            println!(
                "  | openssl speed rsa2048: {v:.0} verify/s → bound {count:.1} / {v:.0} = {bound_us:.1} µs; ratio bound ÷ ours = {:.3} (goal ≥ 0.8)",
                bound_us / us
            );
        }
        None => println!("  | openssl unavailable"),
    }
}
