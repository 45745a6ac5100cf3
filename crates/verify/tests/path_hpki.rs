//! Path validation on the real HPKI chain (MHLW root → MEDIS sign CA 2 → test signer, with
//! the real CRL and ARL) and on the generated test PKI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use kenpo_revocation::Checker;
use kenpo_tsa::TsaCertValidator;
use kenpo_verify::path::{PathError, PathValidator, RevocationMode, ValidationOptions};
use time::macros::datetime;

fn shared(sub: &str) -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(sub);
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

struct Real {
    root: Vec<u8>,
    ca: Vec<u8>,
    ee: Vec<u8>,
    crls: Vec<Vec<u8>>,
}

fn real() -> Option<Real> {
    let d = shared("hpki-real")?;
    let r = |n: &str| std::fs::read(d.join(n)).unwrap();
    Some(Real {
        root: r("mhlw-hpki-root-ca-v2.cer"),
        ca: r("medis-sign-ca2.cer"),
        ee: r("medis-test-signer-ee.cer"),
        crls: vec![
            r("medis-sign-ca2-2022-09.crl"),
            r("mhlw-hpki-root-v2-arl-2022-09.crl"),
        ],
    })
}

#[test]
fn real_hpki_chain_validates_with_crl_and_arl_offline() {
    let Some(r) = real() else { return };
    let opts = ValidationOptions::hpki_signature(datetime!(2022-09-08 00:00 UTC));
    assert_eq!(opts.revocation_mode, RevocationMode::Hard);
    let v = PathValidator::new(vec![r.root.clone()], opts).with_revocation(Arc::new(
        Checker::new().with_crls(r.crls.clone()).offline(true),
    ));
    let p = v.validate(&r.ee, &[&r.ca]).unwrap();
    assert_eq!(p.certs, vec![r.ee.clone(), r.ca.clone(), r.root.clone()]);
    for k in [0, 1] {
        let c = p
            .checks
            .iter()
            .find(|c| c.name() == format!("revocation[{k}]"))
            .unwrap();
        assert!(c.passed, "{c:?}");
    }
    // Policy tree: the sub-CA asserts …1.1.3.1 and the EE …1.1.0.1, so under anyPolicy the
    // tree is null at the EE; explicit-policy is off, so this is accepted, and the EE's
    // own policy was checked against the HPKI profile instead.
    assert!(
        p.checks
            .iter()
            .any(|c| c.name() == "leaf-usage" && c.passed)
    );
}

#[test]
fn real_hpki_chain_fails_explicit_policy_with_ee_oid() {
    let Some(r) = real() else { return };
    let mut opts = ValidationOptions::hpki_signature(datetime!(2022-09-08 00:00 UTC));
    opts.revocation_mode = RevocationMode::Off;
    opts.explicit_policy = true;
    opts.initial_policy_set = Some(vec![kenpo_core::oid::HPKI_SIGNER_POLICY]);
    let e = PathValidator::new(vec![r.root], opts)
        .validate(&r.ee, &[&r.ca])
        .unwrap_err();
    assert!(matches!(e, PathError::Constraint { .. }), "{e:?}");
    assert_eq!(e.sub_indication(), "CHAIN_CONSTRAINTS_FAILURE");
}

#[test]
fn real_hpki_ee_expired_in_2027() {
    let Some(r) = real() else { return };
    let mut opts = ValidationOptions::hpki_signature(datetime!(2027-03-01 00:00 UTC));
    opts.revocation_mode = RevocationMode::Off;
    let e = PathValidator::new(vec![r.root], opts)
        .validate(&r.ee, &[&r.ca])
        .unwrap_err();
    assert!(matches!(e, PathError::Expired { index: 0, .. }), "{e:?}");
    assert_eq!(e.sub_indication(), "EXPIRED");
}

#[test]
fn real_hpki_sub_ca_is_not_trusted_by_being_present() {
    let Some(r) = real() else { return };
    // Anchors only from the caller: the root among the candidates is not trusted.
    let jpki = std::fs::read(shared("hpki-real").unwrap().join("jpki-sign-ca-gen3.cer")).unwrap();
    let opts = ValidationOptions::at(datetime!(2022-09-08 00:00 UTC));
    let e = PathValidator::new(vec![jpki], opts)
        .validate(&r.ee, &[&r.ca, &r.root])
        .unwrap_err();
    assert_eq!(e.sub_indication(), "NO_CERTIFICATE_CHAIN_FOUND", "{e:?}");
}

fn testpki() -> kenpo_testpki::TestPki {
    kenpo_testpki::generate(&kenpo_testpki::Config::at(datetime!(2026-06-01 00:00 UTC))).unwrap()
}

fn testpki_validator(pki: &kenpo_testpki::TestPki) -> PathValidator {
    let crls = pki.crls().iter().map(|c| c.der.clone()).collect();
    let opts = ValidationOptions::hpki_signature(pki.now());
    PathValidator::new(vec![pki.entity("root-ca").unwrap().cert_der.clone()], opts)
        .with_intermediates(vec![pki.entity("hpki-sign-ca").unwrap().cert_der.clone()])
        .with_revocation(Arc::new(Checker::new().with_crls(crls).offline(true)))
}

#[test]
fn testpki_signers_get_the_right_sub_indication() {
    let pki = testpki();
    let v = testpki_validator(&pki);
    let leaf = |n: &str| pki.entity(n).unwrap().cert_der.clone();
    let p = v.validate(&leaf("hpki-signer"), &[]).unwrap();
    assert_eq!(p.certs.len(), 3);
    for (name, want) in [
        ("hpki-signer-expired", "EXPIRED"),
        ("hpki-signer-notyet", "NOT_YET_VALID"),
        ("hpki-signer-revoked", "REVOKED"),
        ("hpki-signer-wrong-ku", "SIG_CONSTRAINTS_FAILURE"),
        ("hpki-auth", "NO_CERTIFICATE_CHAIN_FOUND"),
    ] {
        let e = v.validate(&leaf(name), &[]).unwrap_err();
        assert_eq!(e.sub_indication(), want, "{name}: {e}");
    }
    // The authentication branch chains when its CA is supplied, but the trust profile
    // refuses its policy arc.
    let auth_ca = leaf("hpki-auth-ca");
    let e = v.validate(&leaf("hpki-auth"), &[&auth_ca]).unwrap_err();
    assert!(matches!(e, PathError::LeafUsage { .. }), "{e:?}");
}

#[test]
fn testpki_unknown_root_and_embedded_root() {
    let pki = testpki();
    let leaf = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let root = pki.entity("root-ca").unwrap().cert_der.clone();
    let other = pki.entity("accredited-root").unwrap().cert_der.clone();
    let v = PathValidator::new(vec![other], ValidationOptions::at(pki.now()));
    let e = v.validate(&leaf, &[&ca]).unwrap_err();
    assert_eq!(e.sub_indication(), "NO_CERTIFICATE_CHAIN_FOUND", "{e}");
    // A root embedded among the candidates (as in a signature's certificate set) is
    // never trusted.
    let e = v.validate(&leaf, &[&ca, &root]).unwrap_err();
    assert_eq!(e.sub_indication(), "NO_CERTIFICATE_CHAIN_FOUND", "{e}");
}

#[test]
fn testpki_signature_budget_and_depth_limit() {
    let pki = testpki();
    let leaf = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let root = pki.entity("root-ca").unwrap().cert_der.clone();
    let mut opts = ValidationOptions::at(pki.now());
    opts.revocation_mode = RevocationMode::Off;
    opts.max_signature_checks = 1;
    let v = PathValidator::new(vec![root.clone()], opts.clone());
    let e = v.validate(&leaf, &[&ca]).unwrap_err();
    assert!(matches!(e, PathError::Budget { .. }), "{e:?}");
    opts.max_signature_checks = 64;
    opts.max_depth = 0;
    let e = PathValidator::new(vec![root], opts)
        .validate(&leaf, &[&ca])
        .unwrap_err();
    assert!(matches!(e, PathError::Budget { .. }), "{e:?}");
}

#[test]
fn testpki_tsa_validator_requires_time_stamping_eku() {
    let pki = testpki();
    let ca = pki.entity("tsa-ca").unwrap().cert_der.clone();
    let mut opts = ValidationOptions::at(pki.now());
    opts.revocation_mode = RevocationMode::Off;
    let v = PathValidator::new(vec![ca], opts);
    let tsa = pki.entity("tsa").unwrap().cert_der.clone();
    let path = TsaCertValidator::validate(&v, &tsa, &[], pki.now()).unwrap();
    assert_eq!(path.len(), 2);
    let no_eku = pki.entity("tsa-no-eku").unwrap().cert_der.clone();
    let e = TsaCertValidator::validate(&v, &no_eku, &[], pki.now()).unwrap_err();
    assert!(e.contains("extendedKeyUsage"), "{e}");
}

/// Two CAs cross-signing each other (x509-limbo's pathological cycles) terminate quickly
/// within the budget.
#[test]
fn certificate_loops_terminate() {
    let Some(d) = shared("conformance/x509-limbo") else {
        return;
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(d.join("limbo.json.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pems = |v: &serde_json::Value| -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for s in v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
        {
            out.extend(kenpo_core::pem::blocks(s.as_bytes(), "CERTIFICATE").unwrap());
        }
        if let Some(s) = v.as_str() {
            out.extend(kenpo_core::pem::blocks(s.as_bytes(), "CERTIFICATE").unwrap());
        }
        out
    };
    for tc in doc["testcases"].as_array().unwrap() {
        let id = tc["id"].as_str().unwrap();
        if !id.starts_with("pathological::intermediate-cycle") {
            continue;
        }
        let t = tc["validation_time"]
            .as_str()
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .unwrap()
            })
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let mut opts = ValidationOptions::at(t);
        opts.revocation_mode = RevocationMode::Off;
        let v = PathValidator::new(pems(&tc["trusted_certs"]), opts)
            .with_intermediates(pems(&tc["untrusted_intermediates"]));
        let leaf = pems(&tc["peer_certificate"]).remove(0);
        let start = Instant::now();
        let r = v.validate(&leaf, &[]);
        assert!(start.elapsed().as_secs() < 5, "{id} took too long");
        assert_eq!(
            r.is_ok(),
            tc["expected_result"] == "SUCCESS",
            "{id}: {:?}",
            r.err()
        );
    }
}

/// The real e-prescription test TSA chain (its self-signed CA carries no
/// basicConstraints) validates through the [`TsaCertValidator`] hook.
#[test]
fn real_eprescription_tsa_chain_validates() {
    let Some(d) = shared("hpki-real") else { return };
    let ca = std::fs::read(d.join("eprescription-tsa-ca.cer")).unwrap();
    let ee = std::fs::read(d.join("eprescription-tsa-ee.cer")).unwrap();
    let at = kenpo_core::cert::CertRef::parse(&ee).unwrap().not_before + time::Duration::days(1);
    let mut opts = ValidationOptions::at(at);
    opts.revocation_mode = RevocationMode::Off;
    let v = PathValidator::new(vec![ca], opts);
    let path = TsaCertValidator::validate(&v, &ee, &[], at).unwrap();
    assert_eq!(path.len(), 2);
}
