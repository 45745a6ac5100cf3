//! The network switches of verification and extension against kenpo-testpki's revocation
//! service on 127.0.0.1, which counts what it is asked: `offline` fetches nothing at all
//! (CRL, OCSP, caIssuers) in verify, verify-cert, extend and batch, and an allow-list that
//! does not name the service keeps it from being contacted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, OnceLock};

use kenpo_revocation::fetch::AllowedOrigin;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::TestPki;
use kenpo_testpki::service::{Hits, RevocationService};
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::batch::{ArchiveConfig, BatchConfig, start};
use kenpo_verify::lt::{ExtendOptions, Target, extend};
use kenpo_verify::validate::{
    CertRequest, RevocationMode, Verifier, VerifyOptions, VerifyRequest, verify_certificate,
    verify_signature,
};

struct World {
    pki: TestPki,
    service: RevocationService,
    tsa: String,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (pki, service) = common::served_pki();
        let tsa = common::serve_tsa(&pki, "tsa");
        World { pki, service, tsa }
    })
}

fn total(h: Hits) -> usize {
    h.ocsp + h.crl + h.ca + h.other
}

/// Runs `f` and returns how many requests the revocation service answered meanwhile.
/// The tests of this file run one at a time (`serial`) so the count is theirs.
fn requests_during(f: impl FnOnce()) -> usize {
    let _one_at_a_time = serial();
    let before = total(world().service.hits());
    f();
    total(world().service.hits()) - before
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn anchors() -> Vec<Vec<u8>> {
    ["root-ca", "tsa-ca", "accredited-root"]
        .iter()
        .map(|n| world().pki.entity(n).unwrap().cert_der.clone())
        .collect()
}

/// A B-T signature by the accredited signer carrying no intermediate: verifying it online
/// needs caIssuers, OCSP and CRLs.
fn signature() -> &'static [u8] {
    static SIG: OnceLock<Vec<u8>> = OnceLock::new();
    SIG.get_or_init(|| {
        let w = world();
        let mut signer = common::signer_of(&w.pki, "accredited-signer");
        signer.chain.clear();
        sign_bytes(
            &signer,
            b"claim",
            &SignOptions::default()
                .with_level(Level::BT)
                .with_attached(true)
                .with_tsa(Some(ClientConfig::new([w.tsa.clone()]))),
        )
        .unwrap()
        .der
    })
}

fn request(offline: bool, fetch_allow: Vec<AllowedOrigin>) -> VerifyRequest<'static> {
    VerifyRequest::new(signature())
        .with_content(None)
        .with_anchors(anchors())
        .with_cert_store(Vec::new())
        .with_crls(Vec::new())
        .with_ocsp_responses(Vec::new())
        .with_profile(Profile::Accredited)
        .with_offline(offline)
        .with_revocation_cache(None)
        .with_fetch_allow(fetch_allow)
        .with_at(None)
        .with_revocation(RevocationMode::Hard)
        .with_policy(kenpo_verify::policy::Policy::default())
}

/// An allow-list naming only a port nothing listens on.
fn elsewhere() -> Vec<AllowedOrigin> {
    let port = world().service.local_addr().port().wrapping_add(1).max(1);
    vec![format!("127.0.0.1:{port}").parse().unwrap()]
}

#[test]
fn verify_offline_or_off_the_allow_list_fetches_nothing() {
    let _ = signature();
    let n = requests_during(|| {
        verify_signature(&request(true, Vec::new())).unwrap();
    });
    assert_eq!(n, 0, "offline verify");
    let n = requests_during(|| {
        let r = verify_signature(&request(false, elsewhere())).unwrap();
        let text = format!("{:?}", r.signatures[0].checks);
        assert!(text.contains("not in the fetch allow-list"), "{text}");
    });
    assert_eq!(n, 0, "verify with an allow-list naming another port");
    // The same verification online does ask the service: the counts above mean something.
    let own: AllowedOrigin = format!("127.0.0.1:{}", world().service.local_addr().port())
        .parse()
        .unwrap();
    let n = requests_during(|| {
        verify_signature(&request(false, vec![own])).unwrap();
    });
    assert!(n > 0, "online verify asked nothing");
}

#[test]
fn verify_cert_offline_fetches_nothing() {
    let w = world();
    let leaf = w.pki.entity("accredited-signer").unwrap().cert_der.clone();
    let req = |offline: bool| {
        CertRequest::new(&leaf)
            .with_chain(Vec::new())
            .with_anchors(anchors())
            .with_crls(Vec::new())
            .with_at(None)
            .with_offline(offline)
            .with_revocation_cache(None)
            .with_fetch_allow(Vec::new())
            .with_profile(Profile::Any)
    };
    let n = requests_during(|| {
        verify_certificate(&req(true));
    });
    assert_eq!(n, 0, "offline verify-cert");
    let n = requests_during(|| {
        verify_certificate(&req(false));
    });
    assert!(n > 0, "online verify-cert asked nothing");
}

#[test]
fn extend_offline_fetches_nothing() {
    let _ = signature();
    let opts = |offline: bool| {
        ExtendOptions::new(
            Target::BLt,
            Some(ClientConfig::new([world().tsa.clone()])),
            anchors(),
        )
        .with_offline(offline)
        .with_profile(Profile::Accredited)
    };
    let n = requests_during(|| {
        // Without fetched data the extension cannot complete: an error, but no request.
        let _ = extend(signature(), None, &opts(true));
    });
    assert_eq!(n, 0, "offline extend");
    let n = requests_during(|| {
        let _ = extend(
            signature(),
            None,
            &opts(false).with_fetch_allow(elsewhere()),
        );
    });
    assert_eq!(n, 0, "extend with an allow-list naming another port");
    let n = requests_during(|| {
        extend(signature(), None, &opts(false)).unwrap();
    });
    assert!(n > 0, "online extend asked nothing");
}

#[test]
fn batch_offline_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.p7m"), signature()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = |offline: bool| {
        let opts = VerifyOptions::default()
            .with_anchors(anchors())
            .with_profile(Profile::Accredited)
            .with_offline(offline);
        let mut config = BatchConfig::new(Arc::new(Verifier::new(opts)));
        config.jobs = 1;
        let tsa = ClientConfig::new([world().tsa.clone()]);
        let mut archive = ArchiveConfig::new(tsa.clone(), out.path().to_path_buf());
        archive.extend = Some(
            ExtendOptions::new(Target::BLta, Some(tsa), anchors())
                .with_offline(offline)
                .with_profile(Profile::Accredited),
        );
        config.archive = Some(archive);
        let mut batch = start(dir.path(), config).unwrap();
        assert_eq!(batch.by_ref().count(), 1);
    };
    let n = requests_during(|| run(true));
    assert_eq!(n, 0, "offline batch (with archiving)");
    let n = requests_during(|| run(false));
    assert!(n > 0, "online batch asked nothing");
}
