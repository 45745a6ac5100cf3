//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::OnceLock;

use der::{Decode, Encode};
use kenpo_core::oid;
use kenpo_testpki::{Config, TestPki};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use signature::Verifier;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;

/// A fixed reference time, so assertions on times are exact.
pub fn fixed_now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-01-15 09:30:00 UTC)
}

/// The PKI at [`fixed_now`] with the default seed, generated once per test binary.
pub fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::at(fixed_now())).unwrap())
}

/// The parsed certificate of entity `name`.
pub fn cert(pki: &TestPki, name: &str) -> Certificate {
    pki.entity(name).unwrap().certificate().unwrap()
}

/// The extension `id` of `cert`, if present.
pub fn extension(cert: &Certificate, id: ObjectIdentifier) -> Option<&Extension> {
    cert.tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|e| e.extn_id == id)
}

/// Verifies `sig` over `msg` with `spki` for signature algorithm `alg`.
pub fn verify(spki: &SubjectPublicKeyInfoOwned, alg: ObjectIdentifier, msg: &[u8], sig: &[u8]) {
    let spki_der = spki.to_der().unwrap();
    let ok = match alg {
        oid::SHA256_WITH_RSA | oid::SHA1_WITH_RSA | oid::SHA384_WITH_RSA => {
            let pk = RsaPublicKey::from_public_key_der(&spki_der).unwrap();
            let s = rsa::pkcs1v15::Signature::try_from(sig).unwrap();
            match alg {
                oid::SHA1_WITH_RSA => rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(pk)
                    .verify(msg, &s)
                    .is_ok(),
                oid::SHA384_WITH_RSA => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(pk)
                    .verify(msg, &s)
                    .is_ok(),
                _ => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(pk)
                    .verify(msg, &s)
                    .is_ok(),
            }
        }
        oid::ECDSA_WITH_SHA256 => {
            let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der).unwrap();
            let s = p256::ecdsa::Signature::from_der(sig).unwrap();
            vk.verify(msg, &s).is_ok()
        }
        oid::ECDSA_WITH_SHA384 => {
            let vk = p384::ecdsa::VerifyingKey::from_public_key_der(&spki_der).unwrap();
            let s = p384::ecdsa::Signature::from_der(sig).unwrap();
            vk.verify(msg, &s).is_ok()
        }
        other => panic!("unexpected signature algorithm {other}"),
    };
    assert!(ok, "signature does not verify (alg {alg})");
}

/// Parses `der` as `T`.
pub fn decode<'a, T: Decode<'a>>(der: &'a [u8]) -> T {
    T::from_der(der).unwrap()
}
