//! `kenpo_verify::signature` on our own CAdES output (B-B and B-T with a local TSA), on
//! tampered copies of it, on BER re-encodings, and on `openssl cms -sign` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{signer, start_tsa};

use std::process::Command;
use std::sync::OnceLock;

use kenpo_core::cert_cache::CertCache;
use kenpo_core::cms::SignedDataView;
use kenpo_core::crypto::backends;
use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::signature::{Content, Options, SignedDataCheck, TimestampKind, verify};

const DOC: &[u8] = b"<claim>signature checks</claim>";

struct Pki {
    dir: tempfile::TempDir,
    pki: TestPki,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let pki = kenpo_testpki::generate(&Config::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        pki.write_to(dir.path()).unwrap();
        Pki { dir, pki }
    })
}

fn sign(level: Level, attached: bool) -> Vec<u8> {
    let s = signer("hpki-signer");
    let opts = SignOptions::default()
        .with_level(level)
        .with_attached(attached)
        .with_tsa((level == Level::BT).then(|| ClientConfig::new(vec![start_tsa()])))
        .with_now(Some(pki().pki.now()));
    sign_bytes(&s, DOC, &opts).unwrap().der
}

fn check(der: &[u8], content: Content<'_>) -> SignedDataCheck {
    verify(der, content, &Options::default()).unwrap()
}

fn assert_all_pass(r: &SignedDataCheck) {
    assert_eq!(r.signers.len(), 1);
    let s = &r.signers[0];
    assert!(s.all_passed(), "{:#?}", s.checks);
    assert!(s.signature_intact);
    assert_eq!(s.data_intact, Some(true));
    assert_eq!(s.signing_cert_bound, Some(true));
    assert!(s.signing_time.is_some());
    assert_eq!(
        s.signer_cert
            .as_deref()
            .map(kenpo_core::shared_cert::SharedCert::der),
        Some(signer("hpki-signer").cert.as_slice())
    );
}

#[test]
fn own_bb_detached_and_attached_pass_with_every_backend() {
    let detached = sign(Level::BB, false);
    for b in backends() {
        let opts = Options::default().with_backend(b);
        let r = verify(&detached, Content::Bytes(DOC), &opts).unwrap();
        assert!(!r.content_attached);
        assert_all_pass(&r);
    }
    // Streamed detached content and digest-only content.
    let mut reader: &[u8] = DOC;
    assert_all_pass(&check(&detached, Content::Reader(&mut reader)));
    let d = [kenpo_core::alg::DigestAlgorithm::Sha256.digest(DOC)];
    assert_all_pass(&check(&detached, Content::Digests(&d)));
    // Without content: the signature still verifies, data integrity is unknown.
    let r = check(&detached, Content::None);
    assert!(r.signers[0].signature_intact);
    assert_eq!(r.signers[0].data_intact, None);

    let attached = sign(Level::BB, true);
    let r = check(&attached, Content::None);
    assert!(r.content_attached);
    assert_all_pass(&r);
}

#[test]
fn own_bt_timestamp_verifies() {
    let der = sign(Level::BT, false);
    let r = check(&der, Content::Bytes(DOC));
    assert_all_pass(&r);
    let ts = &r.signers[0].timestamps;
    assert_eq!(ts.len(), 1, "{ts:#?}");
    assert_eq!(ts[0].kind, TimestampKind::Signature);
    assert!(ts[0].intact, "{}", ts[0].detail);
    assert_eq!(ts[0].imprint_intact, Some(true));
    assert!(ts[0].gen_time.is_some());
}

#[test]
fn a_token_parsed_beforehand_gives_the_same_result() {
    // The token's own span, parsed once by the caller, is verified from its view; a view
    // of a copy (other memory) is not taken for it.
    let der = sign(Level::BT, false);
    let sd = SignedDataView::parse(&der).unwrap();
    let attrs = sd.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    let token = attrs
        .single(kenpo_core::oid::ATTR_SIGNATURE_TIME_STAMP)
        .unwrap()
        .unwrap()
        .raw;
    let copy = token.to_vec();
    let plain = check(&der, Content::Bytes(DOC));
    for view in [SignedDataView::parse(token), SignedDataView::parse(&copy)] {
        let views = [kenpo_tsa::ParsedToken::new(view.unwrap())];
        let opts = Options::default().with_token_views(&views);
        let r = verify(&der, Content::Bytes(DOC), &opts).unwrap();
        assert_eq!(r.signers[0].timestamps, plain.signers[0].timestamps);
        assert!(r.signers[0].timestamps[0].intact);
    }
}

#[test]
fn tampered_content_breaks_data_integrity_only() {
    let der = sign(Level::BB, false);
    let r = check(&der, Content::Bytes(b"<claim>other</claim>"));
    let s = &r.signers[0];
    assert_eq!(s.data_intact, Some(false));
    assert!(s.signature_intact);
    assert!(!s.all_passed());

    // Attached: flip a byte of the eContent inside the CMS.
    let mut att = sign(Level::BB, true);
    let pos = att.windows(DOC.len()).position(|w| w == DOC).unwrap();
    att[pos] ^= 1;
    let s = &check(&att, Content::None).signers[0];
    assert_eq!(s.data_intact, Some(false));
    assert!(s.signature_intact);
}

#[test]
fn tampered_signature_value_fails() {
    let mut der = sign(Level::BB, false);
    let view = kenpo_core::cms::SignedDataView::parse(&der).unwrap();
    let sig = view.signer_infos[0].signature;
    let off = sig.as_ptr() as usize - der.as_ptr() as usize + sig.len() / 2;
    der[off] ^= 0x40;
    let s = &check(&der, Content::Bytes(DOC)).signers[0];
    assert!(!s.signature_intact);
    assert_eq!(s.data_intact, Some(true));
}

#[test]
fn tampered_signature_breaks_signature_timestamp_imprint() {
    let mut der = sign(Level::BT, false);
    let view = kenpo_core::cms::SignedDataView::parse(&der).unwrap();
    let sig = view.signer_infos[0].signature;
    let off = sig.as_ptr() as usize - der.as_ptr() as usize;
    der[off + 3] ^= 0x01;
    let s = &check(&der, Content::Bytes(DOC)).signers[0];
    assert!(!s.signature_intact);
    assert_eq!(s.timestamps[0].imprint_intact, Some(false));
    assert!(s.timestamps[0].token_intact);
    assert!(!s.timestamps[0].intact);
}

#[test]
fn edited_signing_certificate_hash_is_not_bound() {
    let mut der = sign(Level::BB, false);
    let cert = signer("hpki-signer").cert;
    let hash = kenpo_core::alg::DigestAlgorithm::Sha256.digest(&cert);
    let pos = der
        .windows(32)
        .position(|w| w == hash.as_bytes())
        .expect("ESSCertIDv2 hash in the signed attributes");
    der[pos] ^= 0xff;
    let s = &check(&der, Content::Bytes(DOC)).signers[0];
    assert_eq!(s.signing_cert_bound, Some(false));
    // The edit is inside the signed attributes, so the signature breaks too.
    assert!(!s.signature_intact);
    assert!(
        s.checks
            .iter()
            .any(|c| c.name() == "signing-certificate-v2" && !c.passed)
    );
}

/// `der` with one bit of its copy of certificate `cert` flipped, `from_end` octets before
/// the certificate's end (a substitute of the same length).
fn with_signer_cert_altered(der: &[u8], cert: &[u8], from_end: usize) -> Vec<u8> {
    let pos = der.windows(cert.len()).position(|w| w == cert).unwrap();
    let mut out = der.to_vec();
    out[pos + cert.len() - from_end] ^= 0x01;
    out
}

#[test]
fn substituted_certificate_is_not_bound() {
    // An attacker's certificate with the same issuer, serial and key as the signer's but
    // other bytes (here: the real one with its last signature byte changed). The CMS
    // signature still verifies with the key, but signing-certificate-v2 does not name it.
    let der = sign(Level::BB, false);
    let real = signer("hpki-signer").cert;
    let swapped = with_signer_cert_altered(&der, &real, 1);
    let s = &check(&swapped, Content::Bytes(DOC)).signers[0];
    assert!(s.signature_intact);
    assert_eq!(s.data_intact, Some(true));
    assert_eq!(s.signing_cert_bound, Some(false));
    assert!(!s.all_passed());
    assert_ne!(
        s.signer_cert
            .as_deref()
            .map(kenpo_core::shared_cert::SharedCert::der),
        Some(real.as_slice())
    );

    // With the genuine certificate among the candidates, it is the one chosen (the one
    // signing-certificate-v2 names) and everything passes.
    let opts = Options::default().with_extra_certs(std::slice::from_ref(&real));
    let r = verify(&swapped, Content::Bytes(DOC), &opts).unwrap();
    assert_eq!(r.signers[0].signing_cert_bound, Some(true));
    assert_eq!(
        r.signers[0]
            .signer_cert
            .as_deref()
            .map(kenpo_core::shared_cert::SharedCert::der),
        Some(real.as_slice())
    );
    assert!(r.signers[0].all_passed());
}

#[test]
fn remembered_certificate_hashes_do_not_bind_a_substitute() {
    // A memo that has hashed the genuine certificate, then a substitute of the same length
    // and the same last 64 octets (the memo's bucket, but not its entry).
    let der = sign(Level::BB, false);
    let real = signer("hpki-signer").cert;
    let digests = CertCache::new();
    let opts = Options::default().with_cert_cache(Some(&digests));
    for _ in 0..2 {
        let r = verify(&der, Content::Bytes(DOC), &opts).unwrap();
        assert!(r.signers[0].all_passed());
    }
    assert_eq!(digests.len(), 1);
    let swapped = with_signer_cert_altered(&der, &real, 100);
    let s = &verify(&swapped, Content::Bytes(DOC), &opts)
        .unwrap()
        .signers[0];
    assert_eq!(s.signing_cert_bound, Some(false));
    assert!(!s.all_passed());
    assert_eq!(digests.len(), 2);
}

#[test]
fn ber_reencoding_verifies() {
    // Re-encode the outer ContentInfo with indefinite lengths: the signature still verifies.
    let der = sign(Level::BB, true);
    let outer = kenpo_core::der_span::parse_one(&der).unwrap();
    let mut r = outer.reader();
    let oid = r.read().unwrap();
    let content = r.read().unwrap();
    let sd = kenpo_core::der_span::parse_one(content.value).unwrap();
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(oid.raw);
    ber.extend_from_slice(&[0xa0, 0x80, 0x30, 0x80]);
    ber.extend_from_slice(sd.value);
    ber.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let r = check(&ber, Content::None);
    assert!(r.normalised_from_ber);
    assert_all_pass(&r);
}

#[test]
fn garbage_is_a_format_error() {
    assert!(verify(b"not cms", Content::None, &Options::default()).is_err());
    assert!(
        verify(
            &[0x30, 0x03, 0x02, 0x01, 0x01],
            Content::None,
            &Options::default()
        )
        .is_err()
    );
    let der = sign(Level::BB, true);
    for n in (0..der.len()).step_by(7) {
        let _ = verify(&der[..n], Content::None, &Options::default());
    }
}

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl CLI is required under CI"
        );
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

#[test]
fn openssl_cms_sign_outputs_verify() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.txt"), DOC).unwrap();
    let pdir = pki().dir.path();
    for name in ["hpki-signer", "accredited-signer-ecdsa"] {
        let cert = pdir.join(format!("{name}.pem"));
        let key = pdir.join(format!("{name}.key.pem"));
        for extra in [
            &[][..],
            &["-nodetach"][..],
            &["-cades"][..],
            &["-nodetach", "-cades"][..],
        ] {
            let out = dir.path().join("out.der");
            let mut cmd = Command::new("openssl");
            cmd.args([
                "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in",
            ])
            .arg(dir.path().join("doc.txt"))
            .arg("-signer")
            .arg(&cert)
            .arg("-inkey")
            .arg(&key)
            .arg("-out")
            .arg(&out)
            .args(extra);
            let o = cmd.output().unwrap();
            assert!(
                o.status.success(),
                "{name} {extra:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let der = std::fs::read(&out).unwrap();
            let r = check(&der, Content::Bytes(DOC));
            let s = &r.signers[0];
            assert!(s.signature_intact, "{name} {extra:?}: {:#?}", s.checks);
            assert_eq!(s.data_intact, Some(true), "{name} {extra:?}");
            assert!(s.all_passed(), "{name} {extra:?}: {:#?}", s.checks);
            if extra.contains(&"-cades") {
                assert_eq!(s.signing_cert_bound, Some(true), "{name} {extra:?}");
            }
        }
        // BER (indefinite-length) streaming output of openssl.
        let out = dir.path().join("out.ber");
        let o = Command::new("openssl")
            .args([
                "cms",
                "-sign",
                "-binary",
                "-stream",
                "-nodetach",
                "-outform",
                "DER",
                "-in",
            ])
            .arg(dir.path().join("doc.txt"))
            .arg("-signer")
            .arg(&cert)
            .arg("-inkey")
            .arg(&key)
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let ber = std::fs::read(&out).unwrap();
        let r = check(&ber, Content::None);
        assert!(
            r.signers[0].all_passed(),
            "{name} BER: {:#?}",
            r.signers[0].checks
        );
    }
}

#[test]
fn budget_bounds_the_work() {
    let der = sign(Level::BT, false);
    let opts = Options::default().with_max_items(1);
    // One item: the SignerInfo is checked, its time-stamp token is skipped.
    let r = verify(&der, Content::Bytes(DOC), &opts).unwrap();
    assert_eq!(r.signers.len(), 1);
    assert!(r.signers[0].timestamps.is_empty());
    assert_eq!(r.skipped, 1);
    let opts = Options::default().with_max_items(0);
    let r = verify(&der, Content::Bytes(DOC), &opts).unwrap();
    assert!(r.signers.is_empty());
    assert_eq!(r.skipped, 1);
}
