//! Online path building fetches a missing intermediate from the signer certificate's
//! authorityInfoAccess caIssuers URL (kenpo-testpki's service on 127.0.0.1); offline it
//! does not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};

#[test]
fn missing_intermediate_is_fetched_from_ca_issuers_online_only() {
    let (pki, service) = common::served_pki();

    // A signature that carries the signer certificate only (no accredited-ca).
    let mut signer = common::signer_of(&pki, "accredited-signer");
    signer.chain.clear();
    let sig = sign_bytes(
        &signer,
        b"claim",
        &SignOptions::default()
            .with_level(Level::BB)
            .with_attached(true),
    )
    .unwrap()
    .der;
    let sd = kenpo_core::cms::SignedDataView::parse(&sig).unwrap();
    assert_eq!(
        sd.x509_certificates().count(),
        1,
        "only the signer certificate"
    );

    let request = |offline: bool| {
        VerifyRequest::new(&sig)
            .with_content(None)
            .with_anchors(vec![
                pki.entity("accredited-root").unwrap().cert_der.clone(),
            ])
            .with_cert_store(Vec::new())
            .with_crls(Vec::new())
            .with_ocsp_responses(Vec::new())
            .with_profile(kenpo_sign::Profile::Accredited)
            .with_offline(offline)
            .with_revocation_cache(None)
            .with_fetch_allow(Vec::new())
            .with_at(None)
            .with_revocation(RevocationMode::Soft)
            .with_policy(kenpo_verify::policy::Policy::default())
    };
    let offline = verify_signature(&request(true)).unwrap();
    assert_eq!(offline.indication, Indication::Indeterminate);
    assert_eq!(
        offline.sub_indication,
        Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
    );
    assert_eq!(service.hits().ca, 0, "offline fetches nothing");

    let online = verify_signature(&request(false)).unwrap();
    let failed: Vec<String> = online.signatures[0]
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name(), c.detail()))
        .collect();
    assert_eq!(online.indication, Indication::TotalPassed, "{failed:?}");
    assert!(service.hits().ca >= 1, "caIssuers fetched");
}
