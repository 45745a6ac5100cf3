//! Token verification names each cause: substituted or missing TSA certificate,
//! tampered TSTInfo or signature, wrong imprint/nonce/policy, untrusted chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::default_backend;
use kenpo_core::ess::{SigningCertificateV2, first_cert_id_names};
use kenpo_tsa::AnchorChain;
use kenpo_tsa::server::serial::SerialStore;
use kenpo_tsa::server::{Tsa, TsaConfig};
use kenpo_tsa::{TimeStampRequest, TimeStampResponse, TokenError, VerifyOptions, verify_token};

const POLICY: &str = "1.3.6.1.4.1.32473.27.3.1";

fn tsa(name: &str) -> Tsa {
    let pki = common::pki();
    let key = default_backend().load_pkcs8(&pki.key(name)).unwrap();
    let mut cfg = TsaConfig::new(pki.cert(name), key, Oid::new_unwrap(POLICY));
    cfg.chain = vec![pki.cert("tsa-ca")];
    Tsa::new(cfg, SerialStore::in_memory(), None).unwrap()
}

fn token(tsa: &Tsa, req: &TimeStampRequest) -> Vec<u8> {
    let resp = tsa.respond(&req.to_der()).response_der;
    TimeStampResponse::parse(&resp)
        .unwrap()
        .token
        .unwrap()
        .to_vec()
}

#[test]
fn ess_cert_id_v2_binds_exactly_one_certificate() {
    let pki = common::pki();
    let (tsa_der, other_der) = (pki.cert("tsa"), pki.cert("tsa-ecdsa"));
    let (tsa_c, other) = (
        CertRef::parse(&tsa_der).unwrap(),
        CertRef::parse(&other_der).unwrap(),
    );
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
        let v = SigningCertificateV2::for_cert(&tsa_c, alg)
            .unwrap()
            .to_der_bytes()
            .unwrap();
        assert!(first_cert_id_names(&v, &tsa_c, true).unwrap());
        assert!(
            !first_cert_id_names(&v, &other, true).unwrap(),
            "another certificate must not match"
        );
    }
    assert!(first_cert_id_names(b"\x30\x00", &tsa_c, true).is_err());
}

#[test]
fn each_failure_names_its_cause() {
    let pki = common::pki();
    let tsa = tsa("tsa");
    let digest = DigestAlgorithm::Sha256.digest(b"kenpo e-application");
    let req = TimeStampRequest::new(digest);
    let good = token(&tsa, &req);
    let nonce = req.nonce.clone().unwrap();
    let anchors = AnchorChain::new(vec![pki.cert("tsa-ca")]);
    let base = VerifyOptions::default()
        .with_expected_imprint(Some(&digest))
        .with_expected_nonce(Some(&nonce))
        .with_required_policy(Some(Oid::new_unwrap(POLICY)))
        .with_validator(Some(&anchors));
    let v = verify_token(&good, &base).unwrap();
    assert_eq!(v.path.len(), 2, "TSA and its root");

    let other = DigestAlgorithm::Sha256.digest(b"other");
    let e = verify_token(&good, &base.with_expected_imprint(Some(&other))).unwrap_err();
    assert!(matches!(e, TokenError::ImprintMismatch { .. }), "{e}");
    let e = verify_token(&good, &base.with_expected_nonce(Some(&[1, 2, 3]))).unwrap_err();
    assert!(matches!(e, TokenError::NonceMismatch { .. }), "{e}");
    let e = verify_token(
        &good,
        &base.with_required_policy(Some(Oid::new_unwrap("1.2.3.4.5"))),
    )
    .unwrap_err();
    assert!(matches!(e, TokenError::PolicyMismatch { .. }), "{e}");
    let wrong_root = AnchorChain::new(vec![pki.cert("root-ca")]);
    let e = verify_token(&good, &base.with_validator(Some(&wrong_root))).unwrap_err();
    assert!(matches!(e, TokenError::Untrusted { .. }), "{e}");

    // The signature value is the last bytes of the token: flipping one breaks only it.
    let mut bad_sig = good.clone();
    let n = bad_sig.len();
    bad_sig[n - 5] ^= 0x01;
    let e = verify_token(&bad_sig, &base).unwrap_err();
    assert!(matches!(e, TokenError::BadSignature(_)), "{e}");

    // A byte of the TSTInfo's nonce changes the eContent: message-digest no longer matches.
    let pos = good
        .windows(nonce.len())
        .position(|w| w == nonce.as_slice())
        .unwrap();
    let mut bad_tst = good.clone();
    bad_tst[pos] ^= 0x01;
    let e = verify_token(&bad_tst, &base.with_expected_nonce(None)).unwrap_err();
    assert!(matches!(e, TokenError::MessageDigestMismatch), "{e}");

    // certReq = false: the certificate must come from the caller, and it must be the right one.
    let bare = token(&tsa, &TimeStampRequest::new(digest).with_cert_req(false));
    let opts = base.with_expected_nonce(None).with_validator(None);
    assert_eq!(
        verify_token(&bare, &opts).unwrap_err(),
        TokenError::TsaCertNotFound
    );
    let wrong = [pki.cert("tsa-ecdsa")];
    assert_eq!(
        verify_token(&bare, &opts.with_extra_certs(&wrong)).unwrap_err(),
        TokenError::TsaCertNotFound
    );
    let right = [pki.cert("tsa")];
    assert!(verify_token(&bare, &opts.with_extra_certs(&right)).is_ok());

    // Not a token at all, and truncations: errors, never panics.
    assert!(matches!(
        verify_token(b"junk", &base),
        Err(TokenError::Structure(_))
    ));
    for cut in 0..good.len() {
        assert!(verify_token(&good[..cut], &base).is_err());
    }
}

#[test]
fn a_token_parsed_once_checks_as_one_parsed_each_time() {
    use kenpo_core::cms::SignedDataView;
    use kenpo_tsa::{ParsedToken, check_token_view};
    let pki = common::pki();
    let t = tsa("tsa");
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"parsed once"));
    let der = token(&t, &req);
    let extra = vec![pki.cert("tsa")];
    let opts = VerifyOptions::default().with_extra_certs(&extra);
    let said = |r: Result<kenpo_tsa::CheckedToken<'_>, TokenError>| {
        r.map(|c| {
            (
                c.tst_info,
                c.tsa.cert().raw.to_vec(),
                c.embedded_certs.len(),
            )
        })
        .map_err(|e| e.to_string())
    };
    // The token as issued, then with each octet of its end (signature, certificates) and
    // of its TSTInfo flipped: the TSTInfo read once gives the same answer as read anew.
    let mut inputs = vec![der.clone()];
    for i in (0..der.len()).step_by(7) {
        let mut m = der.clone();
        m[i] ^= 0x01;
        inputs.push(m);
    }
    let mut answered = 0;
    for input in &inputs {
        let Ok(view) = SignedDataView::parse(input) else {
            continue;
        };
        let parsed = ParsedToken::new(view.clone());
        assert_eq!(
            said(parsed.check(&opts)),
            said(check_token_view(&view, &opts))
        );
        assert_eq!(
            parsed.tst_info(),
            view.econtent
                .and_then(|c| kenpo_tsa::TstInfo::parse(c).ok())
                .as_ref()
        );
        answered += 1;
    }
    assert!(
        answered > inputs.len() / 2,
        "{answered} of {}",
        inputs.len()
    );
    let ok = ParsedToken::new(SignedDataView::parse(&der).unwrap());
    assert!(ok.check(&opts).is_ok());
    assert_eq!(ok.tst_info().unwrap().imprint, req.imprint);
}

#[test]
fn a_token_checked_without_keeping_the_path_gets_the_same_verdict() {
    let pki = common::pki();
    let t = tsa("tsa");
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"no path kept"));
    let der = token(&t, &req);
    let trusted = AnchorChain::new(vec![pki.cert("tsa-ca")]);
    let untrusted = AnchorChain::new(vec![pki.cert("root-ca")]);
    for (validator, ok) in [(&trusted, true), (&untrusted, false)] {
        let verdict = |keep_path| {
            let opts = VerifyOptions::default()
                .with_validator(Some(validator))
                .with_keep_path(keep_path);
            verify_token(&der, &opts)
        };
        let (kept, not_kept) = (verdict(true), verdict(false));
        assert_eq!(kept.is_ok(), ok);
        match (kept, not_kept) {
            (Ok(k), Ok(n)) => {
                assert!(!k.path.is_empty(), "the path is kept by default");
                assert!(n.path.is_empty());
                assert_eq!((k.tst_info, k.tsa_cert), (n.tst_info, n.tsa_cert));
            }
            (Err(k), Err(n)) => assert_eq!(k.to_string(), n.to_string()),
            (k, n) => panic!("kept {k:?}, not kept {n:?}"),
        }
    }
}
