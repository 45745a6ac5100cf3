//! ExternalSigner: a callback standing in for a remote HSM / cloud KMS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, SigningKey, backends, default_backend};
use kenpo_sign::Signer;
use kenpo_sign::signer::{ExternalSignFn, ExternalSigner, SignerError};
use kenpo_testpki::{Config, Entity, TestPki};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn entity(name: &str) -> &'static Entity {
    pki().entity(name).unwrap()
}

fn spki_of(cert: &[u8]) -> Vec<u8> {
    CertRef::parse(cert).unwrap().spki.to_vec()
}

/// A "KMS" holding `name`'s key in software.
fn kms(name: &str) -> (ExternalSignFn, Arc<AtomicUsize>) {
    let key: Arc<dyn SigningKey> = default_backend()
        .load_pkcs8(&entity(name).key_pkcs8_der)
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let f: ExternalSignFn = Arc::new(move |alg, digest| {
        counter.fetch_add(1, Ordering::SeqCst);
        key.sign_digest(alg, digest).map_err(|e| e.to_string())
    });
    (f, calls)
}

#[test]
fn callback_signatures_verify() {
    for (name, alg) in [
        (
            "hpki-signer",
            SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
        ),
        (
            "hpki-signer",
            SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha256,
                salt_len: 32,
            },
        ),
        (
            "accredited-signer-ecdsa",
            SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
        ),
    ] {
        let e = entity(name);
        let issuer = entity(e.issuer.as_deref().unwrap());
        let (f, calls) = kms(name);
        let signer =
            ExternalSigner::new(e.cert_der.clone(), vec![issuer.cert_der.clone()], f).unwrap();
        assert_eq!(signer.certificate(), e.cert_der.as_slice());
        assert_eq!(signer.chain(), std::slice::from_ref(&issuer.cert_der));
        assert_eq!(
            signer.key().public_key_spki(),
            spki_of(&e.cert_der).as_slice()
        );
        let d = alg.digest().digest(b"remote");
        let sig = signer.key().sign_digest(alg, &d).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for b in backends() {
            b.verify_digest(&spki_of(&e.cert_der), alg, &d, &sig)
                .unwrap_or_else(|err| panic!("{} {name} {}: {err}", b.name(), alg.name()));
        }
    }
}

#[test]
fn raw_ecdsa_from_the_callback_is_converted_to_der() {
    let e = entity("accredited-signer-ecdsa");
    let (inner, _) = kms("accredited-signer-ecdsa");
    // Many KMS and PKCS#11 return r ‖ s: convert the DER signature back to that form.
    let raw: ExternalSignFn = Arc::new(move |alg, digest| {
        let der = inner(alg, digest)?;
        #[derive(der::Sequence)]
        struct Sig<'a> {
            r: der::asn1::UintRef<'a>,
            s: der::asn1::UintRef<'a>,
        }
        let sig: Sig<'_> = der::Decode::from_der(&der).map_err(|e| e.to_string())?;
        let mut out = vec![0u8; 64];
        let (r, s) = (sig.r.as_bytes(), sig.s.as_bytes());
        out[32 - r.len()..32].copy_from_slice(r);
        out[64 - s.len()..].copy_from_slice(s);
        Ok(out)
    });
    let signer = ExternalSigner::new(e.cert_der.clone(), vec![], raw).unwrap();
    let alg = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
    let d = alg.digest().digest(b"raw");
    let sig = signer.key().sign_digest(alg, &d).unwrap();
    assert_eq!(sig[0], 0x30, "DER SEQUENCE");
    default_backend()
        .verify_digest(&spki_of(&e.cert_der), alg, &d, &sig)
        .unwrap();
}

#[test]
fn callback_error_is_named() {
    let e = entity("hpki-signer");
    let f: ExternalSignFn =
        Arc::new(|_, _| Err("KMS: AccessDeniedException for key alias/hpki".into()));
    let signer = ExternalSigner::new(e.cert_der.clone(), vec![], f).unwrap();
    let alg = signer.key().default_algorithm();
    let err = signer
        .key()
        .sign_digest(alg, &alg.digest().digest(b"x"))
        .unwrap_err();
    assert!(matches!(err, CryptoError::SigningFailed(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("external signer"), "{msg}");
    assert!(msg.contains("AccessDeniedException"), "{msg}");
}

#[test]
fn remote_key_not_matching_the_certificate_is_caught() {
    // The KMS holds another RSA key than the certificate's.
    let (f, _) = kms("accredited-signer");
    let signer = ExternalSigner::new(entity("hpki-signer").cert_der.clone(), vec![], f).unwrap();
    let alg = signer.key().default_algorithm();
    let err = signer
        .key()
        .sign_digest(alg, &alg.digest().digest(b"x"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not belong to the certificate"),
        "{err}"
    );
}

#[test]
fn policy_is_enforced_before_the_callback_runs() {
    let (f, calls) = kms("hpki-signer");
    let signer = ExternalSigner::new(entity("hpki-signer").cert_der.clone(), vec![], f)
        .unwrap()
        .with_default_algorithm(SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha384,
            salt_len: 48,
        });
    assert_eq!(
        signer.key().default_algorithm(),
        SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha384,
            salt_len: 48
        }
    );
    let sha1 = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1);
    assert!(
        signer
            .key()
            .sign_digest(sha1, &DigestAlgorithm::Sha1.digest(b"x"))
            .is_err()
    );
    let ecdsa = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
    assert!(
        signer
            .key()
            .sign_digest(ecdsa, &DigestAlgorithm::Sha256.digest(b"x"))
            .is_err()
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the callback was never asked"
    );

    // Certificates are checked at construction.
    let (f, _) = kms("hpki-signer-expired");
    let err =
        ExternalSigner::new(entity("hpki-signer-expired").cert_der.clone(), vec![], f).unwrap_err();
    assert!(matches!(err, SignerError::Expired { .. }), "{err:?}");
    let (f, _) = kms("hpki-signer");
    let err =
        ExternalSigner::new(entity("hpki-signer-rsa1024").cert_der.clone(), vec![], f).unwrap_err();
    assert!(matches!(err, SignerError::WeakKey(_)), "{err:?}");
}
