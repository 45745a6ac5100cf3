//! `kenpo_sign::xades` with a signer that only signs digests (an `ExternalSigner`
//! callback, as a remote HSM / KMS): RSA PKCS#1 v1.5, RSA-PSS and ECDSA signatures over an
//! enveloped and a detached document, checked here with `kenpo_xml` (reference octets,
//! SignedInfo) and the crypto backends; the key is used once per signature. B-LT and
//! attached output are refused before the key is used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{SigningKey, backends, default_backend};
use kenpo_sign::cades::{SignError, SignOptions};
use kenpo_sign::signer::{ExternalSignFn, ExternalSigner};
use kenpo_sign::xades::{XadesOptions, XmlForm, sign_xml};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::{Config, TestPki};
use kenpo_xml::{ContentResolver, Document, Limits};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn external(name: &str) -> (ExternalSigner, Arc<AtomicUsize>) {
    let e = pki().entity(name).unwrap();
    let issuer = pki().entity(e.issuer.as_deref().unwrap()).unwrap();
    let key: Arc<dyn SigningKey> = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let f: ExternalSignFn = Arc::new(move |alg, digest| {
        counter.fetch_add(1, Ordering::SeqCst);
        key.sign_digest(alg, digest).map_err(|e| e.to_string())
    });
    let signer = ExternalSigner::new(e.cert_der.clone(), vec![issuer.cert_der.clone()], f).unwrap();
    (signer, calls)
}

struct Bytes<'a>(&'a [u8]);
impl ContentResolver for Bytes<'_> {
    fn resolve(&self, _uri: Option<&str>) -> Option<Cow<'_, [u8]>> {
        Some(Cow::Borrowed(self.0))
    }
}

/// r‖s as DER.
fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |v: &[u8]| {
        let v = &v[v.iter().position(|b| *b != 0).unwrap_or(v.len() - 1)..];
        let mut out = vec![0x02];
        let pad = v[0] & 0x80 != 0;
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
        out
    };
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend_from_slice(&body);
    out
}

/// Checks every reference digest and the signature value of the one signature.
fn check(output: &[u8], content: &[u8], cert: &[u8], alg: SignatureAlgorithm) {
    let doc = Document::parse(output, &Limits::default()).unwrap();
    let sig = doc.read_signature(doc.signatures()[0]).unwrap();
    assert_eq!(sig.references.len(), 3);
    for r in &sig.references {
        let octets = doc
            .reference_octets(sig.node, r, &Bytes(content), &Limits::default())
            .unwrap();
        assert_eq!(
            DigestAlgorithm::Sha256.digest(&octets).as_bytes(),
            r.digest_value.as_slice(),
            "{:?}",
            r.uri
        );
    }
    assert_eq!(sig.certificates[0], cert);
    let octets = doc.signed_info_octets(&sig).unwrap();
    let value = match alg {
        SignatureAlgorithm::Ecdsa(_) => raw_to_der(&sig.signature_value),
        _ => sig.signature_value.clone(),
    };
    let spki = CertRef::parse(cert).unwrap().spki.to_vec();
    for b in backends() {
        b.verify(&spki, alg, &octets, &value)
            .unwrap_or_else(|e| panic!("{} {}: {e}", b.name(), alg.name()));
    }
}

#[test]
fn external_signers_sign_enveloped_and_detached_xml() {
    let input = b"<?xml version=\"1.0\"?>\n<claim xmlns=\"urn:c\"><n>1</n></claim>\n";
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
        let (signer, calls) = external(name);
        let cert = pki().entity(name).unwrap().cert_der.clone();
        let opts = SignOptions::default().with_algorithm(Some(alg));
        let signed = sign_xml(&signer, input, &opts, &XadesOptions::new()).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one use of the key");
        assert_eq!(signed.level, Level::BB);
        assert!(
            signed
                .der
                .starts_with(&input[..input.len() - "</claim>\n".len()])
        );
        check(&signed.der, b"", &cert, alg);

        let detached = XadesOptions::new().with_form(XmlForm::Detached {
            uri: "claim.xml".into(),
        });
        let signed = sign_xml(&signer, input, &opts, &detached).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        check(&signed.der, input, &cert, alg);
    }
}

#[test]
fn long_term_levels_attached_and_profile_refusals_come_before_the_key() {
    let (signer, calls) = external("accredited-signer-ecdsa");
    let input = b"<r/>";
    for opts in [
        SignOptions::default().with_level(Level::BLT),
        SignOptions::default().with_attached(true),
        SignOptions::default().with_profile(Profile::Hpki),
    ] {
        let err = sign_xml(&signer, input, &opts, &XadesOptions::new()).unwrap_err();
        assert!(
            matches!(
                err,
                SignError::UnsupportedLevel(_) | SignError::Xml(_) | SignError::Profile(_)
            ),
            "{err}"
        );
    }
    // Not XML, enveloped: a typed XML error.
    let err = sign_xml(
        &signer,
        b"a,b\n",
        &SignOptions::default(),
        &XadesOptions::new(),
    )
    .unwrap_err();
    assert!(matches!(err, SignError::Xml(_)), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the key was never used");
}
