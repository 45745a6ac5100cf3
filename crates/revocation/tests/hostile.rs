//! Hostile DER: every truncation and many byte mutations of real CRLs and OCSP responses,
//! huge lengths and random bytes give errors (or other valid parses), never a panic; the
//! checker turns them into Unknown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::Crl;
use kenpo_revocation::ocsp::{OcspResponse, VerifyOptions};
use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};
use kenpo_testpki::Config;

/// A tiny deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn mutations(input: &[u8], seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    let mut out: Vec<Vec<u8>> = (0..input.len()).map(|n| input[..n].to_vec()).collect();
    for _ in 0..count {
        let mut m = input.to_vec();
        let flips = 1 + (rng.next() % 3) as usize;
        for _ in 0..flips {
            let i = (rng.next() as usize) % m.len();
            m[i] = match rng.next() % 4 {
                0 => 0x00,
                1 => 0xff,
                2 => 0x84,
                _ => rng.next() as u8,
            };
        }
        out.push(m);
    }
    out
}

#[test]
fn mutated_crls_never_panic() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let ca_der = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let ca = CertRef::parse(&ca_der).unwrap();
    let ee_der = pki.entity("hpki-signer-revoked").unwrap().cert_der.clone();
    let ee = CertRef::parse(&ee_der).unwrap();
    let mut inputs = vec![
        pki.crl("hpki-sign-ca").unwrap().der.clone(),
        pki.crl("root-ca").unwrap().der.clone(),
    ];
    if let Some(dir) = common::hpki_real() {
        for f in [
            "medis-sign-ca2-2022-09.crl",
            "mhlw-hpki-root-v2-arl-2022-09.crl",
        ] {
            inputs.push(std::fs::read(dir.join(f)).unwrap());
        }
    }
    let mut parsed = 0usize;
    let mut accepted_mutants = 0usize;
    for (k, input) in inputs.iter().enumerate() {
        for m in mutations(input, 0x5eed + k as u64, 1500) {
            if let Ok(crl) = Crl::from_pem_or_der(&m) {
                parsed += 1;
                let ok = crl.status_at(&ee, &ca, pki.now()).is_ok();
                if ok && m != *input && k == 0 {
                    accepted_mutants += 1;
                }
                let _ = crl.check_scope(&ee);
                let _ = crl.entry(ee.serial);
            }
        }
    }
    assert!(parsed > 0);
    assert_eq!(accepted_mutants, 0, "a mutated CRL was accepted as valid");
}

#[test]
fn mutated_ocsp_responses_never_panic() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let ca_der = pki.entity("accredited-ca").unwrap().cert_der.clone();
    let ee_der = pki.entity("accredited-signer").unwrap().cert_der.clone();
    let (ca, ee) = (
        CertRef::parse(&ca_der).unwrap(),
        CertRef::parse(&ee_der).unwrap(),
    );
    // A genuine response built independently (x509-ocsp), via the request's CertID.
    let req =
        kenpo_revocation::OcspRequest::new(&ee, &ca, kenpo_core::alg::DigestAlgorithm::Sha1, None)
            .unwrap();
    let (ids, _) = common::parse_request(req.der());
    let good = common::ocsp_response(&pki, &ids, None, common::OcspMode::Normal);
    let verified =
        OcspResponse::from_der(good.clone())
            .unwrap()
            .verify(&ee, &ca, &VerifyOptions::default());
    assert!(verified.is_ok(), "{verified:?}");

    let mut accepted_mutants = 0;
    for m in mutations(&good, 0x0c5b, 6000) {
        if let Ok(resp) = OcspResponse::from_der(m.clone())
            && resp.verify(&ee, &ca, &VerifyOptions::default()).is_ok()
            && m != good
        {
            let diff: Vec<(usize, u8, u8)> = (0..m.len().min(good.len()))
                .filter(|&i| m[i] != good[i])
                .map(|i| (i, good[i], m[i]))
                .collect();
            eprintln!("accepted mutant: diff {diff:?}");
            accepted_mutants += 1;
        }
    }
    assert_eq!(accepted_mutants, 0, "a mutated OCSP response verified");

    // Through the checker: Unknown with a reason, never a panic.
    let checker = Checker::new()
        .offline(true)
        .with_ocsp_responses(vec![good[..good.len() / 2].to_vec()])
        .with_crls(vec![
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            b"junk".to_vec(),
        ]);
    match checker.status_at(&ee_der, &ca_der, pki.now()) {
        RevocationStatus::Unknown { reason } => {
            assert!(
                reason.contains("supplied OCSP response #1 unreadable"),
                "{reason}"
            );
            assert!(reason.contains("supplied CRL #1 unreadable"), "{reason}");
            assert!(reason.contains("supplied CRL #2 unreadable"), "{reason}");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn random_bytes_and_garbage_certificates() {
    let mut rng = Rng(42);
    for len in [0usize, 1, 2, 5, 17, 200, 4096] {
        for _ in 0..50 {
            let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Some(b) = v.first_mut() {
                *b = 0x30;
            }
            let _ = Crl::from_der(v.clone());
            let _ = OcspResponse::from_der(v);
        }
    }
    let checker = Checker::new().offline(true);
    match checker.status_at(
        b"\x30\x03\x02\x01\x01",
        b"",
        time::OffsetDateTime::now_utc(),
    ) {
        RevocationStatus::Unknown { reason } => {
            assert!(reason.starts_with("certificate unreadable"), "{reason}")
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}
