//! Wycheproof signature vectors (`/work/shared/conformance/wycheproof`) through
//! `CryptoBackend::verify` with every compiled-in backend.
//!
//! Per file and backend: `pass` = a valid vector verifies or an invalid one is rejected,
//! `fail` = the opposite, `acceptable_ok` / `acceptable_err` = "acceptable" vectors by
//! outcome, `skip` = algorithms our types or the backend do not support (MGF1 digest other
//! than the message digest, SHA-224, `Unsupported` from the backend). An *invalid* vector
//! that a backend accepts is a bug and fails the test outright. Pass counts are compared
//! with `tests/baselines/wycheproof.json` (only-up rule); `KENPO_UPDATE_BASELINES=1`
//! rewrites it. Without the data the test is skipped, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::crypto::{CryptoBackend, CryptoError, backends};
use kenpo_core::der_span::{tag, tlv};
use serde_json::{Value, json};

const FILES: [&str; 8] = [
    "rsa_signature_2048_sha256_test.json",
    "rsa_signature_3072_sha384_test.json",
    "rsa_pss_2048_sha256_mgf1_32_test.json",
    "rsa_pss_2048_sha256_mgf1_32_params_test.json",
    "rsa_pss_misc_test.json",
    "ecdsa_secp256r1_sha256_test.json",
    "ecdsa_secp384r1_sha384_test.json",
    "ecdsa_secp256r1_sha256_p1363_test.json",
];

#[derive(Default, Debug, Clone, Copy)]
struct Count {
    pass: u64,
    fail: u64,
    skip: u64,
    acceptable_ok: u64,
    acceptable_err: u64,
}

fn digest(name: &str) -> Option<DigestAlgorithm> {
    DigestAlgorithm::from_name(name)
}

/// rsaEncryption SPKI around a PKCS#1 RSAPublicKey.
fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let alg = tlv(
        tag::SEQUENCE,
        &[
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
            ],
            &[0x05, 0x00],
        ],
    );
    let bits = tlv(tag::BIT_STRING, &[&[0], rsa_public_key]);
    tlv(tag::SEQUENCE, &[&alg, &bits])
}

/// INTEGER contents of an unsigned big-endian value.
fn der_uint(v: &[u8]) -> Vec<u8> {
    let mut v = v;
    while v.len() > 1 && v[0] == 0 {
        v = &v[1..];
    }
    let mut out = Vec::new();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(v);
    tlv(tag::INTEGER, &[&out])
}

/// IEEE P1363 r‖s to DER Ecdsa-Sig-Value; `None` when the length is not 2 × field size.
fn p1363_to_der(sig: &[u8], field_len: usize) -> Option<Vec<u8>> {
    if sig.len() != 2 * field_len {
        return None;
    }
    let (r, s) = sig.split_at(field_len);
    Some(tlv(tag::SEQUENCE, &[&der_uint(r), &der_uint(s)]))
}

/// (public key SPKI, algorithm) of a test group, or why it is skipped.
fn group_params(g: &Value) -> Result<(Vec<u8>, SignatureAlgorithm, Option<usize>), String> {
    let ty = g["type"].as_str().unwrap_or_default();
    let sha = g["sha"].as_str().unwrap_or_default();
    let d = digest(sha).ok_or_else(|| format!("digest {sha} not supported"))?;
    match ty {
        "RsassaPkcs1Verify" => Ok((
            rsa_spki(&hex::decode(g["publicKeyAsn"].as_str().unwrap()).unwrap()),
            SignatureAlgorithm::RsaPkcs1(d),
            None,
        )),
        "RsassaPssVerify" | "RsassaPssWithParametersVerify" => {
            let mgf = g["mgfSha"].as_str().unwrap_or_default();
            if digest(mgf) != Some(d) {
                return Err(format!("MGF1 with {mgf} under {sha}"));
            }
            let salt_len = u16::try_from(g["sLen"].as_u64().unwrap()).unwrap();
            Ok((
                rsa_spki(&hex::decode(g["publicKeyAsn"].as_str().unwrap()).unwrap()),
                SignatureAlgorithm::RsaPss {
                    digest: d,
                    salt_len,
                },
                None,
            ))
        }
        "EcdsaVerify" | "EcdsaP1363Verify" => {
            let spki = hex::decode(g["publicKeyDer"].as_str().unwrap()).unwrap();
            let field = match g["publicKey"]["curve"].as_str() {
                Some("secp256r1") => 32,
                Some("secp384r1") => 48,
                other => return Err(format!("curve {other:?}")),
            };
            Ok((
                spki,
                SignatureAlgorithm::Ecdsa(d),
                (ty == "EcdsaP1363Verify").then_some(field),
            ))
        }
        other => Err(format!("group type {other}")),
    }
}

fn run_file(path: &Path, backend: &dyn CryptoBackend, accepted_invalid: &mut Vec<String>) -> Count {
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let mut c = Count::default();
    for g in file["testGroups"].as_array().unwrap() {
        let tests = g["tests"].as_array().unwrap();
        let Ok((spki, alg, p1363)) = group_params(g) else {
            c.skip += tests.len() as u64;
            continue;
        };
        for t in tests {
            let msg = hex::decode(t["msg"].as_str().unwrap()).unwrap();
            let sig = hex::decode(t["sig"].as_str().unwrap()).unwrap();
            let sig = match p1363 {
                Some(field) => p1363_to_der(&sig, field),
                None => Some(sig),
            };
            let outcome = match &sig {
                Some(sig) => backend.verify(&spki, alg, &msg, sig),
                // Not even the right length for r‖s: rejected before the backend.
                None => Err(CryptoError::BadSignature),
            };
            if matches!(outcome, Err(CryptoError::Unsupported { .. })) {
                c.skip += 1;
                continue;
            }
            // A valid PSS vector must not verify under another salt length (the salt
            // length is enforced, not just parsed).
            if let (SignatureAlgorithm::RsaPss { digest, salt_len }, Some(sig), Ok(())) =
                (alg, &sig, &outcome)
                && t["result"] == "valid"
            {
                let other = SignatureAlgorithm::RsaPss {
                    digest,
                    salt_len: salt_len + 1,
                };
                if backend.verify(&spki, other, &msg, sig).is_ok() {
                    accepted_invalid.push(format!(
                        "{name} tcId {} verifies with salt length {} instead of {salt_len} ({})",
                        t["tcId"],
                        salt_len + 1,
                        backend.name()
                    ));
                }
            }
            match (t["result"].as_str().unwrap(), outcome.is_ok()) {
                ("valid", true) | ("invalid", false) => c.pass += 1,
                ("acceptable", true) => c.acceptable_ok += 1,
                ("acceptable", false) => c.acceptable_err += 1,
                ("invalid", true) => {
                    c.fail += 1;
                    accepted_invalid.push(format!(
                        "{name} tcId {} ({}) accepted by {}: {}",
                        t["tcId"],
                        alg.name(),
                        backend.name(),
                        t["comment"]
                    ));
                }
                _ => c.fail += 1,
            }
        }
    }
    c
}

#[test]
fn wycheproof_signatures_all_backends() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/wycheproof");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Wycheproof vectors missing at {} (required under CI)",
            dir.display()
        );
        eprintln!("SKIP: Wycheproof vectors not found at {}", dir.display());
        return;
    }
    let mut accepted_invalid = Vec::new();
    let mut table: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    println!(
        "{:<46} {:<10} {:>5} {:>5} {:>5} {:>7} {:>7}",
        "file", "backend", "pass", "fail", "skip", "acc-ok", "acc-err"
    );
    for f in FILES {
        for b in backends() {
            let started = std::time::Instant::now();
            let c = run_file(&dir.join(f), b, &mut accepted_invalid);
            println!(
                "{f:<46} {:<10} {:>5} {:>5} {:>5} {:>7} {:>7}  ({:?})",
                b.name(),
                c.pass,
                c.fail,
                c.skip,
                c.acceptable_ok,
                c.acceptable_err,
                started.elapsed()
            );
            table.entry(f.to_owned()).or_default().insert(
                b.name().to_owned(),
                json!({"pass": c.pass, "fail": c.fail, "skip": c.skip,
                       "acceptable_ok": c.acceptable_ok, "acceptable_err": c.acceptable_err}),
            );
        }
    }
    for a in &accepted_invalid {
        println!("ACCEPTED INVALID: {a}");
    }

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/baselines/wycheproof.json");
    if std::env::var_os("KENPO_UPDATE_BASELINES").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = serde_json::to_string_pretty(&json!(table)).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        println!("baseline written to {}", path.display());
    } else {
        let base: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut dropped = Vec::new();
        for (f, per_backend) in base.as_object().unwrap() {
            for (b, counts) in per_backend.as_object().unwrap() {
                let was = counts["pass"].as_u64().unwrap_or(0);
                let Some(now) = table.get(f).and_then(|m| m.get(b)) else {
                    // A backend not compiled into this build.
                    continue;
                };
                let now = now["pass"].as_u64().unwrap_or(0);
                if now < was {
                    dropped.push(format!("{f} {b}: pass {was} -> {now}"));
                }
            }
        }
        assert!(
            dropped.is_empty(),
            "Wycheproof pass counts dropped: {dropped:?}"
        );
    }
    assert!(
        accepted_invalid.is_empty(),
        "backends accepted invalid signatures: {accepted_invalid:#?}"
    );
}
