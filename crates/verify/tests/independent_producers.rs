//! Issue 18's check with independent producers: signatures made by `openssl cms -sign`
//! and by pyHanko (`sign_general_data`), with time-stamp tokens made by `openssl ts -reply`
//! (a TSA on 127.0.0.1 answered by the openssl CLI), verified under `default`, `rule27-sign` and `rule27-archive`, before and
//! after one octet of each time-stamp's signature is flipped. The B-LTA is extended by
//! kenpo-verify with the archive time-stamp from the same OpenSSL TSA.
//! Skipped without the openssl CLI (pyHanko: without a peer Python), a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::net::Server;
use common::openssl::{add_signature_timestamp, cms_sign, openssl_available, openssl_tsa};
use common::verdicts::{assert_met, assert_unmet, explain, flip_token_signature};
use kenpo_core::oid;
use kenpo_testpki::TestPki;
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{ExtendOptions, Target, extend};
use kenpo_verify::policy::Policy;
use kenpo_verify::report::Report;
use kenpo_verify::validate::{POLICY_NAME, Verifier, VerifyOptions};
use tempfile::TempDir;

const DOC: &[u8] = b"kenpo claim 2026-12, signed by openssl, time-stamped by openssl ts\n";

struct World {
    pki: TestPki,
    _service: RevocationService,
    dir: TempDir,
    tsa: Server,
}

impl World {
    fn content(&self) -> PathBuf {
        self.dir.path().join("claim.txt")
    }

    fn tsa_url(&self) -> String {
        format!("{}/tsa", self.tsa.base())
    }
}

/// The PKI (pointing at a revocation service on 127.0.0.1) written to a directory, the
/// content beside it, and the OpenSSL TSA signing as `tsa-rsa3072`.
fn world() -> Option<&'static World> {
    static W: OnceLock<World> = OnceLock::new();
    if !openssl_available() {
        return None;
    }
    Some(W.get_or_init(|| {
        let (pki, service) = common::served_pki();
        let dir = tempfile::tempdir().unwrap();
        pki.write_to(dir.path()).unwrap();
        std::fs::write(dir.path().join("claim.txt"), DOC).unwrap();
        let tsa = openssl_tsa(dir.path(), &pki, "tsa-rsa3072");
        World {
            pki,
            _service: service,
            dir,
            tsa,
        }
    }))
}

fn anchors(w: &World) -> Vec<Vec<u8>> {
    ["root-ca", "tsa-ca"]
        .iter()
        .map(|n| w.pki.entity(n).unwrap().cert_der.clone())
        .collect()
}

/// Offline with the CAs' current CRLs, under `policy`.
fn verify(w: &World, sig: &[u8], policy: Policy) -> Report {
    let opts = VerifyOptions::default()
        .with_anchors(anchors(w))
        .with_crls(w.pki.crls().iter().map(|c| c.der.clone()).collect())
        .with_offline(true)
        .with_policy(policy);
    Verifier::new(opts).verify(sig, Some(&w.content())).unwrap()
}

/// `openssl cms -sign -cades` (detached) by the HPKI test signer.
fn openssl_bb(w: &World) -> Vec<u8> {
    cms_sign(
        w.dir.path(),
        &w.pki,
        "hpki-signer",
        &w.content(),
        &["-cades"],
    )
}

/// How many tokens in `sig` carry the TSA policy OID the OpenSSL TSA puts in its tokens
/// (see `openssl_tsa`; the project's own TSA uses another).
fn openssl_tokens(sig: &[u8]) -> usize {
    let policy = const_oid::ObjectIdentifier::new_unwrap("1.2.392.200001.27.99");
    let body = policy.as_bytes();
    sig.windows(body.len() + 2)
        .filter(|w| w[0] == 0x06 && usize::from(w[1]) == body.len() && &w[2..] == body)
        .count()
}

#[test]
fn openssl_bb_meets_default_only() {
    let Some(w) = world() else { return };
    let bb = openssl_bb(w);
    let r = verify(w, &bb, Policy::default());
    assert_met(&r, POLICY_NAME);
    assert_eq!(r.signatures[0].level, "B-B");
    let r = verify(w, &bb, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "signature-timestamp");
    let r = verify(w, &bb, Policy::rule27_archive());
    assert_unmet(&r, "rule27-archive", "archive-timestamp");
}

#[test]
fn openssl_bt_meets_rule27_sign_until_its_token_is_corrupted() {
    let Some(w) = world() else { return };
    let bt = add_signature_timestamp(&openssl_bb(w), &w.tsa_url());
    let r = verify(w, &bt, Policy::rule27_sign());
    assert_met(&r, "rule27-sign");
    assert_eq!(r.signatures[0].level, "B-T");
    assert_eq!(openssl_tokens(&bt), 1);
    assert_met(&verify(w, &bt, Policy::default()), POLICY_NAME);
    assert_unmet(
        &verify(w, &bt, Policy::rule27_archive()),
        "rule27-archive",
        "archive-timestamp",
    );

    let broken = flip_token_signature(&bt, oid::ATTR_SIGNATURE_TIME_STAMP);
    let r = verify(w, &broken, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "signature-timestamp");
    // A failing token cannot make B-T (item 5), and the report names the failure.
    assert_eq!(r.signatures[0].level, "B-B", "{}", explain(&r));
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| !c.passed && c.name().starts_with("timestamp")),
        "{}",
        explain(&r)
    );
    // Under the default policy the signature itself is still valid now (a B-B).
    let r = verify(w, &broken, Policy::default());
    assert_met(&r, POLICY_NAME);
    assert_eq!(r.signatures[0].level, "B-B");
}

#[test]
fn openssl_bt_extended_with_openssl_archive_tokens_meets_rule27_archive() {
    let Some(w) = world() else { return };
    let bt = add_signature_timestamp(&openssl_bb(w), &w.tsa_url());
    let opts = ExtendOptions::new(
        Target::BLta,
        Some(ClientConfig::new([w.tsa_url()])),
        anchors(w),
    );
    let lta = extend(&bt, Some(&w.content()), &opts).unwrap().der;
    let r = verify(w, &lta, Policy::rule27_archive());
    assert_met(&r, "rule27-archive");
    assert_eq!(r.signatures[0].level, "B-LTA");
    // The signature time-stamp and the archive time-stamp.
    assert_eq!(openssl_tokens(&lta), 2);
    assert_met(&verify(w, &lta, Policy::rule27_sign()), "rule27-sign");
    assert_met(&verify(w, &lta, Policy::default()), POLICY_NAME);

    // The archive time-stamp broken: not B-LTA, rule27-archive unmet, the rest stands.
    let broken = flip_token_signature(&lta, oid::ATTR_ARCHIVE_TIME_STAMP_V3);
    let r = verify(w, &broken, Policy::rule27_archive());
    assert_unmet(&r, "rule27-archive", "archive-chain");
    assert_ne!(r.signatures[0].level, "B-LTA", "{}", explain(&r));
    assert_met(&verify(w, &broken, Policy::rule27_sign()), "rule27-sign");

    // The signature time-stamp broken under the archive time-stamp (whose ats-hash-index
    // covers it, so the archive time-stamp's imprint fails too).
    let broken = flip_token_signature(&lta, oid::ATTR_SIGNATURE_TIME_STAMP);
    let r = verify(w, &broken, Policy::rule27_archive());
    assert!(!r.signatures[0].policy_unmet.is_empty(), "{}", explain(&r));
    let r = verify(w, &broken, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "signature-timestamp");
}

/// pyHanko's CAdES (`sign_general_data`, detached, signing-certificate-v2) with its
/// signature time-stamp from the OpenSSL TSA; extended to B-LTA by kenpo-verify.
#[test]
fn pyhanko_bt_meets_rule27_sign_and_extends_to_rule27_archive() {
    let Some(w) = world() else { return };
    let Some(py) = common::peers::peer_python("pyhanko") else {
        return;
    };
    let d = |n: &str| w.dir.path().join(n);
    let out = d("pyhanko.p7s");
    let o = std::process::Command::new(py)
        .arg(common::peers::script("pyhanko_cms.py"))
        .args([
            d("hpki-signer.key.pem"),
            d("hpki-signer.pem"),
            d("hpki-sign-ca.pem"),
        ])
        .arg(w.content())
        .arg(w.tsa_url())
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bt = std::fs::read(&out).unwrap();
    assert_eq!(openssl_tokens(&bt), 1);

    let r = verify(w, &bt, Policy::rule27_sign());
    assert_met(&r, "rule27-sign");
    assert_eq!(r.signatures[0].level, "B-T");
    let broken = flip_token_signature(&bt, oid::ATTR_SIGNATURE_TIME_STAMP);
    assert_unmet(
        &verify(w, &broken, Policy::rule27_sign()),
        "rule27-sign",
        "signature-timestamp",
    );

    let opts = ExtendOptions::new(
        Target::BLta,
        Some(ClientConfig::new([w.tsa_url()])),
        anchors(w),
    );
    let lta = extend(&bt, Some(&w.content()), &opts).unwrap().der;
    assert_met(&verify(w, &lta, Policy::rule27_archive()), "rule27-archive");
    let broken = flip_token_signature(&lta, oid::ATTR_ARCHIVE_TIME_STAMP_V3);
    assert_unmet(
        &verify(w, &broken, Policy::rule27_archive()),
        "rule27-archive",
        "archive-chain",
    );
}
