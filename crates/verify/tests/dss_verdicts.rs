//! Verdicts on signatures of an independent producer (EU DSS test resources in
//! `/work/shared/conformance/dss-cades`, LGPL-2.1): SHA-3 digests and signature
//! algorithms, an unknown signature algorithm, an Adobe-style CMS followed by zero padding,
//! and OCSP responses in `SignedData.crls` without a time-stamp. Skipped (with a message)
//! when the corpus is absent, a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use kenpo_verify::report::Report;
use kenpo_verify::signature::{Content, Options, verify};
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-cades");
    if dir.join("expectations.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "DSS corpus missing at {} (required under CI)",
        dir.display()
    );
    eprintln!(
        "SKIP: DSS corpus not found at {} (these verdict tests need it)",
        dir.display()
    );
    None
}

/// Offline, no trust anchors, no revocation data: the verdict cannot pass, but it says
/// whether the signature itself was understood.
fn validate(sig: &[u8], content: Option<&Path>) -> Report {
    verify_signature(
        &VerifyRequest::new(sig)
            .with_content(content)
            .with_anchors(Vec::new())
            .with_cert_store(Vec::new())
            .with_crls(Vec::new())
            .with_ocsp_responses(Vec::new())
            .with_profile(kenpo_sign::Profile::Any)
            .with_offline(true)
            .with_revocation_cache(None)
            .with_at(None)
            .with_revocation(RevocationMode::Soft)
            .with_fetch_allow(Vec::new())
            .with_policy(kenpo_verify::policy::Policy::default()),
    )
    .unwrap()
}

fn failed_checks(r: &Report) -> String {
    r.signatures
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name(), c.detail()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_passed(r: &Report, name: &str) -> bool {
    r.signatures[0]
        .checks
        .iter()
        .any(|c| c.name() == name && c.passed)
}

const SHA3_VALID: [&str; 4] = [
    "dss-1419/CAdES-BpB-att-SHA3_224-SHA3_224withRSA.p7m",
    "dss-1419/CAdES-BpB-att-SHA3_256-SHA3_256withRSA.p7m",
    "dss-1419/CAdES-BpB-att-SHA3_512-SHA3_512withRSA.p7m",
    "dss-1419/CAdES-BpB-att-SHA256-SHA3_256withRSAandMGF1.p7m",
];

#[test]
fn sha3_signatures_are_intact_with_every_backend() {
    let Some(dir) = corpus() else { return };
    for file in SHA3_VALID {
        let data = std::fs::read(dir.join(file)).unwrap();
        for backend in kenpo_core::crypto::backends() {
            let opts = Options::default().with_backend(backend);
            let r = verify(&data, Content::None, &opts).unwrap();
            let s = &r.signers[0];
            assert!(
                s.signature_intact && s.data_intact == Some(true),
                "{file} ({}): {:?}",
                backend.name(),
                s.checks
            );
        }
        // The verdict: no trust anchor, so not TOTAL_PASSED, but never a failure.
        let r = validate(&data, None);
        let s = &r.signatures[0];
        assert_ne!(
            s.indication,
            Indication::TotalFailed,
            "{file}: {}",
            failed_checks(&r)
        );
        assert!(
            check_passed(&r, "signature"),
            "{file}: {}",
            failed_checks(&r)
        );
        assert!(
            check_passed(&r, "message-digest"),
            "{file}: {}",
            failed_checks(&r)
        );
        assert_eq!(
            s.sub_indication,
            Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND),
            "{file}: {}",
            failed_checks(&r)
        );
    }
}

/// The SHA3-256 sample with its signature algorithm OID changed to an unassigned arc
/// (2.16.840.1.101.3.4.3.127): an algorithm this verifier cannot check is INDETERMINATE
/// (CRYPTO_CONSTRAINTS_FAILURE_NO_POE, as DSS reports an algorithm its policy does not
/// know), never TOTAL_FAILED/FORMAT_FAILURE.
#[test]
fn unknown_signature_algorithm_is_indeterminate() {
    let Some(dir) = corpus() else { return };
    let mut data =
        std::fs::read(dir.join("dss-1419/CAdES-BpB-att-SHA3_256-SHA3_256withRSA.p7m")).unwrap();
    let sha3_256_with_rsa = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x0e,
    ];
    let at = data
        .windows(sha3_256_with_rsa.len())
        .position(|w| w == sha3_256_with_rsa)
        .unwrap();
    data[at + sha3_256_with_rsa.len() - 1] = 0x7f;
    let r = validate(&data, None);
    let s = &r.signatures[0];
    assert_eq!(
        (s.indication, s.sub_indication),
        (
            Indication::Indeterminate,
            Some(SubIndication::CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
        ),
        "{}",
        failed_checks(&r)
    );
    let named = s
        .checks
        .iter()
        .any(|c| !c.passed && c.detail().contains("2.16.840.1.101.3.4.3.127"));
    assert!(
        named,
        "the unknown algorithm is named: {}",
        failed_checks(&r)
    );
}

/// Adobe writes the CMS into a fixed-size buffer: zero octets follow the ContentInfo.
/// OpenSSL and DSS accept it; other trailing octets stay a format failure.
#[test]
fn zero_padded_cms_is_accepted() {
    let Some(dir) = corpus() else { return };
    let sig = std::fs::read(dir.join("dss-1188/Test.bin.sig")).unwrap();
    let content = dir.join("dss-1188/Test.bin");
    assert_eq!(sig.last(), Some(&0), "the sample ends with zero padding");
    let r = validate(&sig, Some(&content));
    let s = &r.signatures[0];
    assert_ne!(
        s.sub_indication,
        Some(SubIndication::FORMAT_FAILURE),
        "{}",
        failed_checks(&r)
    );
    assert!(check_passed(&r, "signature"), "{}", failed_checks(&r));
    assert!(check_passed(&r, "message-digest"), "{}", failed_checks(&r));

    // One non-zero octet in the padding: trailing garbage.
    let mut garbage = sig.clone();
    let last = garbage.len() - 1;
    garbage[last] = 0x01;
    let r = validate(&garbage, Some(&content));
    assert_eq!(
        r.signatures[0].sub_indication,
        Some(SubIndication::FORMAT_FAILURE),
        "{}",
        failed_checks(&r)
    );
}

/// OCSP responses in SignedData.crls (RevocationInfoChoice other) but no time-stamp: the
/// signature is B-B; B-LT needs B-T first.
#[test]
fn validation_data_without_time_stamp_is_b_b() {
    let Some(dir) = corpus() else { return };
    let sig = std::fs::read(dir.join("evidence-record/C-B-B-basic.p7m")).unwrap();
    let r = validate(&sig, None);
    assert_eq!(r.signatures[0].level, "B-B", "{}", failed_checks(&r));
}
