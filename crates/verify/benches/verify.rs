//! Offline verification of a CAdES B-T signature against the machine's RSA-2048
//! verification speed.
//!
//! `cargo bench -p kenpo-verify --bench verify` (optionally `-- --signatures N`).
//!
//! The signature: RSA-2048 `hpki-signer` of kenpo-testpki, attached, B-T with a token of the
//! testpki RSA-2048 TSA (issued in-process by `kenpo_tsa::server::Tsa`); verified by
//! `verify_signature` offline with the HPKI profile, anchors root-ca and tsa-ca, and the
//! three CRLs (hpki-sign-ca, root-ca ARL, tsa-ca) supplied — every check on, no signature,
//! path or revocation check remembered between calls (each call works in a fresh
//! `kenpo_verify::Context`: nothing is kept between calls); and by
//! one reused `Verifier` (CRL signatures checked once, paths and revocation answers
//! remembered). `-- --case one-shot` or `-- --case reused` runs one of the two.
//!
//! The bound: a verification needs `count` RSA-2048 signature checks, so it cannot be
//! faster than `count / (openssl verify/s)`. `count` is counted by the built-in crypto
//! verifier's context (`Context::verifications`, every `verify_digest` call of its key
//! cache: certificate, CMS and token signatures; CRL signatures are checked by the
//! revocation checker and not counted) over one call of a fresh `Verifier` (as a one-shot
//! call checks); a reused `Verifier`
//! has checked the CRL signatures and the certificate→issuer links its revocation checker
//! remembers already, so the count is that of a warm call.
//! The ratio printed is bound ÷ ours (goal ≥ 0.8: within 25 % of pure RSA-verify cost).
//! Every figure is the median of three rounds, each right after its own
//! `openssl speed -seconds 2 rsa2048`. The benchmark runs pinned to one CPU, and the
//! `openssl speed` it starts too (`support/pin.rs`; `-- --no-pin` runs it unpinned). It
//! allocates with mimalloc, as the kenpo-sign binary does (`support/allocator.rs`;
//! `--features bench-system-alloc` measures with the system allocator).
//!
//! CRL lookup in a 100,000-entry CRL is measured by `crates/revocation/benches/crl.rs`
//! (`cargo bench -p kenpo-revocation --bench crl`), not repeated here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/allocator.rs"]
mod allocator;
#[path = "support/openssl_speed.rs"]
mod openssl_speed;
#[path = "support/pin.rs"]
mod pin;

use std::hint::black_box;
use std::time::Instant;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::SignedDataView;
use kenpo_core::cms::build::signed_data;
use kenpo_core::crypto::default_backend;
use kenpo_sign::Profile;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::cades::{add_unsigned_attrs, time_stamp_token};
use kenpo_sign::signer::SoftwareSigner;
use kenpo_testpki::TestPki;
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};
use kenpo_tsa::{TimeStampRequest, TimeStampResponse};
use kenpo_verify::Indication;
use kenpo_verify::validate::{RevocationMode, Verifier, VerifyRequest, verify_signature};

const ROUNDS: usize = 3;
const DOC: &[u8] = b"<claim>benchmark</claim>";

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn signatures_arg() -> usize {
    let argv: Vec<String> = std::env::args().collect();
    argv.windows(2)
        .find(|w| w[0] == "--signatures")
        .map_or(1000, |w| w[1].parse().unwrap())
}

/// The B-T signature: B-B by hpki-signer, then a token over its signature value.
fn bt_signature(pki: &TestPki) -> Vec<u8> {
    let e = pki.entity("hpki-signer").unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let signer = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![ca]).unwrap();
    let opts = SignOptions::default()
        .with_attached(true)
        .with_now(Some(pki.now()));
    let bb = sign_bytes(&signer, DOC, &opts).unwrap().der;

    let t = pki.entity("tsa").unwrap();
    let tsa_key = default_backend().load_pkcs8(&t.key_pkcs8_der).unwrap();
    let policy = Oid::new_unwrap("1.2.392.200001.27.1");
    let tsa = Tsa::new(
        TsaConfig::new(t.cert_der.clone(), tsa_key, policy),
        SerialStore::in_memory(),
        None,
    )
    .unwrap();
    let sd = SignedDataView::parse(&bb).unwrap();
    let si = &sd.signer_infos[0];
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(si.signature)).to_der();
    let resp = tsa.respond(&req).response_der;
    let token = TimeStampResponse::parse(&resp)
        .unwrap()
        .token
        .unwrap()
        .to_vec();
    let attr = time_stamp_token(kenpo_core::oid::ATTR_SIGNATURE_TIME_STAMP, &token).unwrap();
    let new_si = add_unsigned_attrs(si.raw, &[&attr]).unwrap();
    let certs: Vec<&[u8]> = sd.certificates.iter().map(|c| c.raw).collect();
    signed_data(
        sd.econtent_type,
        sd.econtent,
        &[si.digest_alg().unwrap()],
        &certs,
        &[],
        &[&new_si],
    )
    .unwrap()
}

fn main() {
    let pinned = pin::pin_to_one_cpu();
    let n = signatures_arg();
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let sig = bt_signature(&pki);
    let cert = |name: &str| pki.entity(name).unwrap().cert_der.clone();
    let crl = |name: &str| pki.crl(name).unwrap().der.clone();
    let req = VerifyRequest::new(&sig)
        .with_content(None)
        .with_anchors(vec![cert("root-ca"), cert("tsa-ca")])
        .with_cert_store(Vec::new())
        .with_crls(vec![crl("hpki-sign-ca"), crl("root-ca"), crl("tsa-ca")])
        .with_ocsp_responses(Vec::new())
        .with_profile(Profile::Hpki)
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_at(None)
        .with_revocation(RevocationMode::Hard)
        .with_policy(kenpo_verify::policy::Policy::default());
    let report = verify_signature(&req).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed);
    assert_eq!(report.signatures[0].level, "B-T");

    let verifier = Verifier::new(req.options());
    assert_eq!(
        verifier.verify(&sig, None).unwrap().indication,
        Indication::TotalPassed
    );
    let counted = |v: &Verifier| {
        let before = v.context().verifications();
        v.verify(&sig, None).unwrap();
        usize::try_from(v.context().verifications() - before).unwrap()
    };
    let oneshot = counted(&Verifier::new(req.options()));
    let reused = counted(&verifier);
    println!(
        "kenpo-verify benchmark: offline B-T verification, backend {}, {}, {n} signatures/round, median of {ROUNDS} rounds, {pinned}",
        default_backend().name(),
        allocator::NAME
    );
    println!(
        "RSA-2048 signature checks per verification, counted by the crypto backend: {oneshot} one-shot \
         (signer, token, paths, CRLs), {reused} with a reused Verifier (CRL signatures and \
         certificate links already checked)"
    );
    let cases: [(&str, usize, &dyn Fn()); 2] = [
        ("verify_signature (one-shot)", oneshot, &|| {
            black_box(verify_signature(black_box(&req)).unwrap());
        }),
        ("Verifier::verify (reused context)", reused, &|| {
            black_box(verifier.verify(black_box(&sig), None).unwrap());
        }),
    ];
    for (label, count, f) in cases {
        if !case_selected(label) {
            continue;
        }
        measure(label, count, n, f);
    }
    println!(
        "CRL lookup in a 100,000-entry CRL: see `cargo bench -p kenpo-revocation --bench crl`"
    );
}

/// `--case one-shot|reused` runs only that case (for counting calls under a debugger).
fn case_selected(label: &str) -> bool {
    let argv: Vec<String> = std::env::args().collect();
    argv.windows(2)
        .find(|w| w[0] == "--case")
        .is_none_or(|w| label.contains(w[1].as_str()))
}

/// Runs `f` `n` times per round (after n/10 warm-up calls) and prints µs per call beside
/// the bound `count / openssl verify/s`.
fn measure(label: &str, count: usize, n: usize, f: &dyn Fn()) {
    for _ in 0..n / 10 {
        f();
    }
    let (mut ours, mut refs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let reference = openssl_speed::rsa2048_verify_per_s();
        let t0 = Instant::now();
        for _ in 0..n {
            f();
        }
        let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        ours.push(us);
        if let Some(v) = reference {
            refs.push(v);
            ratios.push(count as f64 / v * 1e6 / us);
        }
    }
    let rounds: Vec<String> = ours.iter().map(|us| format!("{us:.1}")).collect();
    let us = median(ours).unwrap_or(f64::NAN);
    print!(
        "{label:<36} {us:>8.1} µs/signature (rounds {})",
        rounds.join(" / ")
    );
    match (median(refs), median(ratios)) {
        (Some(v), Some(r)) => println!(
            "  | openssl {v:.0} verify/s → bound {count} / {v:.0} = {:.1} µs; ratio bound ÷ ours = {r:.3} (goal ≥ 0.8)",
            count as f64 / v * 1e6
        ),
        _ => println!("  | openssl unavailable"),
    }
}
