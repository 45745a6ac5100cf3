//! CAdES B-LT / B-LTA extension and renewal (issue 5), end to end with real local services:
//! a TSA per TSA entity and kenpo-testpki's revocation service (OCSP, fresh CRLs) on
//! 127.0.0.1. Validation afterwards is offline, from embedded data only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::OnceLock;

use kenpo_core::cms::SignedDataView;
use kenpo_core::oid;
use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_testpki::TestPki;
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{ExtendError, ExtendOptions, Target, extend};
use kenpo_verify::report::Report;
use kenpo_verify::validate::{VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};
use time::{Duration, OffsetDateTime};

const DOC: &[u8] = b"kenpo e-application 2026-11 (long-term test)";

/// One PKI pointed at one revocation service, and TSAs: `tsa-short` (RSA-2048, 3 years),
/// `tsa-rsa3072` (5 years, no algorithm sunset) and `tsa` (RSA-2048, 5 years).
struct World {
    pki: TestPki,
    service: RevocationService,
    tsa_short: String,
    tsa_long: String,
    tsa_2048: String,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (pki, service) = common::served_pki();
        let tsa_short = common::serve_tsa(&pki, "tsa-short");
        let tsa_long = common::serve_tsa(&pki, "tsa-rsa3072");
        let tsa_2048 = common::serve_tsa(&pki, "tsa");
        World {
            pki,
            service,
            tsa_short,
            tsa_long,
            tsa_2048,
        }
    })
}

fn anchors(w: &World) -> Vec<Vec<u8>> {
    ["root-ca", "tsa-ca", "accredited-root"]
        .iter()
        .map(|n| w.pki.entity(n).unwrap().cert_der.clone())
        .collect()
}

fn sign_bt(w: &World, name: &str, attached: bool) -> Vec<u8> {
    let s = common::signer_of(&w.pki, name);
    let opts = SignOptions::default()
        .with_level(Level::BT)
        .with_attached(attached)
        .with_tsa(Some(ClientConfig::new([w.tsa_short.clone()])));
    sign_bytes(&s, DOC, &opts).unwrap().der
}

fn content_file() -> &'static std::path::Path {
    static F: OnceLock<tempfile::TempPath> = OnceLock::new();
    F.get_or_init(|| {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, DOC).unwrap();
        f.into_temp_path()
    })
}

fn options(w: &World, to: Target, tsa: &str) -> ExtendOptions {
    ExtendOptions::new(to, Some(ClientConfig::new([tsa.to_owned()])), anchors(w))
}

fn verify_offline(w: &World, sig: &[u8], at: Option<OffsetDateTime>) -> Report {
    verify_signature(
        &VerifyRequest::new(sig)
            .with_content(Some(content_file()))
            .with_anchors(anchors(w))
            .with_cert_store(Vec::new())
            .with_crls(Vec::new())
            .with_ocsp_responses(Vec::new())
            .with_profile(kenpo_sign::Profile::Hpki)
            .with_offline(true)
            .with_revocation_cache(None)
            .with_fetch_allow(Vec::new())
            .with_at(at)
            .with_revocation(kenpo_verify::validate::RevocationMode::Hard)
            .with_policy(kenpo_verify::policy::Policy::default()),
    )
    .unwrap()
}

fn explain(r: &Report) -> String {
    r.signatures
        .iter()
        .flat_map(|s| s.checks.iter())
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name(), c.detail()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The spans of everything signed or hashed, and the unsigned attributes, of SignerInfo 0.
fn signed_spans(der: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
    let sd = SignedDataView::parse(der).unwrap();
    let si = &sd.signer_infos[0];
    (
        sd.encap_content_info.raw.to_vec(),
        si.signed_attrs.as_ref().unwrap().raw.to_vec(),
        si.signature_field.raw.to_vec(),
        si.unsigned_attrs
            .as_ref()
            .map(|u| u.list.iter().map(|a| a.raw.to_vec()).collect())
            .unwrap_or_default(),
    )
}

fn count_attr(der: &[u8], attr: const_oid::ObjectIdentifier) -> usize {
    let sd = SignedDataView::parse(der).unwrap();
    sd.signer_infos[0]
        .unsigned_attrs
        .as_ref()
        .map_or(0, |u| u.all_of(attr).count())
}

#[test]
fn bt_to_blt_embeds_fresh_data_and_verifies_offline() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", false);
    // Offline without data, B-T cannot be validated (hard revocation mode).
    let before = verify_offline(w, &bt, None);
    assert_ne!(
        before.indication,
        Indication::TotalPassed,
        "{}",
        explain(&before)
    );

    let x = extend(
        &bt,
        Some(content_file()),
        &options(w, Target::BLt, &w.tsa_short),
    )
    .unwrap();
    assert_eq!(x.level, "B-LT");
    assert!(x.added_certificates >= 3, "{x:?}");
    assert!(x.added_crls + x.added_ocsp_responses >= 3, "{x:?}");

    let r = verify_offline(w, &x.der, None);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert_eq!(r.signatures[0].level, "B-LT");

    // Byte preservation: everything signed, and the earlier unsigned attributes.
    let (c0, s0, v0, u0) = signed_spans(&bt);
    let (c1, s1, v1, u1) = signed_spans(&x.der);
    assert_eq!((c0, s0, v0), (c1, s1, v1));
    assert_eq!(u0, u1[..u0.len()].to_vec());
}

#[test]
fn blta_renewed_in_time_survives_expiry_and_later_revocation() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer-multirole", false);
    let lta = extend(
        &bt,
        Some(content_file()),
        &options(w, Target::BLta, &w.tsa_short),
    )
    .unwrap();
    assert_eq!(lta.level, "B-LTA");
    assert!(lta.archive_time_stamp.is_some());
    assert_eq!(count_attr(&lta.der, oid::ATTR_ARCHIVE_TIME_STAMP_V3), 1);

    // The signer is revoked after signing; then the archive is renewed with the long-lived TSA.
    w.service
        .revoke("hpki-signer-multirole", OffsetDateTime::now_utc(), Some(1))
        .unwrap();
    let renewed = extend(
        &lta.der,
        Some(content_file()),
        &options(w, Target::BLta, &w.tsa_long),
    )
    .unwrap();
    assert_eq!(count_attr(&renewed.der, oid::ATTR_ARCHIVE_TIME_STAMP_V3), 2);
    let (c0, s0, v0, u0) = signed_spans(&lta.der);
    let (c1, s1, v1, u1) = signed_spans(&renewed.der);
    assert_eq!((c0, s0, v0), (c1, s1, v1));
    assert_eq!(
        u0,
        u1[..u0.len()].to_vec(),
        "earlier unsigned attributes kept byte for byte"
    );

    // Four years on: the signer certificate (2 y) and the first TSA certificate (3 y) have
    // expired and the signer is revoked; the second TSA certificate (5 y) is still valid.
    let later = OffsetDateTime::now_utc() + Duration::days(4 * 365);
    let signer_not_after = w
        .pki
        .entity("hpki-signer-multirole")
        .unwrap()
        .certificate()
        .unwrap();
    let not_after = signer_not_after
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration();
    let not_after = OffsetDateTime::from_unix_timestamp(not_after.as_secs() as i64).unwrap();
    assert!(not_after < later);

    let r = verify_offline(w, &renewed.der, Some(later));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert_eq!(r.signatures[0].level, "B-LTA");
    assert_eq!(
        r.signatures[0]
            .timestamps
            .iter()
            .filter(|t| t.kind == "archive" && t.valid)
            .count(),
        2
    );

    // The same signature as B-T alone does not survive.
    let r = verify_offline(w, &bt, Some(later));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    // Nor the B-LTA without its renewal: the first TSA certificate has expired.
    let r = verify_offline(w, &lta.der, Some(later));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));

    // Renewed in time but with an RSA-2048 TSA key: after its 2029-01-01 sunset (ETSI TS
    // 119 312) the newest archive time-stamp no longer proves anything.
    let weak = extend(
        &lta.der,
        Some(content_file()),
        &options(w, Target::BLta, &w.tsa_2048),
    )
    .unwrap();
    let r = verify_offline(w, &weak.der, Some(later));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert!(explain(&r).contains("RSA-2048 sunset"), "{}", explain(&r));
}

#[test]
fn renewal_repeats() {
    let w = world();
    let mut sig = sign_bt(w, "hpki-signer", true);
    for round in 1..=3 {
        let x = extend(&sig, None, &options(w, Target::BLta, &w.tsa_long)).unwrap();
        assert_eq!(count_attr(&x.der, oid::ATTR_ARCHIVE_TIME_STAMP_V3), round);
        let r = verify_offline(w, &x.der, None);
        assert_eq!(
            r.indication,
            Indication::TotalPassed,
            "round {round}: {}",
            explain(&r)
        );
        let (c0, s0, v0, u0) = signed_spans(&sig);
        let (c1, s1, v1, u1) = signed_spans(&x.der);
        assert_eq!((c0, s0, v0), (c1, s1, v1));
        assert_eq!(u0, u1[..u0.len()].to_vec());
        sig = x.der;
    }
}

#[test]
fn stale_revocation_data_is_try_later() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", false);
    // Offline, with the CRLs issued when the PKI was generated (before the time-stamp).
    let mut opts = options(w, Target::BLt, &w.tsa_short);
    opts.offline = true;
    opts.crls = w.pki.crls().iter().map(|c| c.der.clone()).collect();
    match extend(&bt, Some(content_file()), &opts) {
        Err(ExtendError::TryLater(why)) => assert!(why.contains("issued"), "{why}"),
        other => panic!("expected TRY_LATER, got {other:?}"),
    }
}

#[test]
fn invalid_signature_is_refused_with_the_reason() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", false);
    let mut tampered = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut tampered, b"another document").unwrap();
    match extend(
        &bt,
        Some(tampered.path()),
        &options(w, Target::BLta, &w.tsa_short),
    ) {
        Err(e @ ExtendError::NotValid { .. }) => {
            assert!(e.is_refusal());
            let ExtendError::NotValid { sub_indication, .. } = e else {
                unreachable!()
            };
            assert_eq!(sub_indication, Some(SubIndication::HASH_FAILURE));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn tsa_down_is_an_operational_error() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", true);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let mut opts = options(w, Target::BLta, &url);
    if let Some(c) = opts.tsa.as_mut() {
        c.timeout = std::time::Duration::from_secs(5);
    }
    match extend(&bt, None, &opts) {
        Err(e @ ExtendError::Tsa(_)) => assert!(!e.is_refusal()),
        other => panic!("expected a TSA error, got {other:?}"),
    }
}

#[test]
fn blt_of_a_blta_is_refused() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", true);
    let lta = extend(&bt, None, &options(w, Target::BLta, &w.tsa_long)).unwrap();
    assert!(matches!(
        extend(&lta.der, None, &options(w, Target::BLt, &w.tsa_long)),
        Err(ExtendError::AlreadyArchived)
    ));
}

#[test]
fn unknown_unsigned_attributes_are_kept() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", true);
    // An attribute nobody knows (OID under the documentation arc), added before extension.
    let unknown = kenpo_core::cms::build::attribute(
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.27.99"),
        &[&[0x0c, 0x03, b'a', b'b', b'c']],
    )
    .unwrap();
    let with_unknown = kenpo_core::cms::augment(
        &bt,
        &kenpo_core::cms::Augmentation {
            unsigned_attrs: vec![(0, vec![unknown.clone()])],
            ..Default::default()
        },
    )
    .unwrap();
    let x = extend(&with_unknown, None, &options(w, Target::BLta, &w.tsa_long)).unwrap();
    let (_, _, _, attrs) = signed_spans(&x.der);
    assert!(attrs.contains(&unknown), "unknown attribute dropped");
    assert_eq!(
        verify_offline(w, &x.der, None).indication,
        Indication::TotalPassed
    );
}

/// Replaces the value of the `n`-th archive-time-stamp-v3 of SignerInfo 0 by `token`,
/// keeping everything else (a substituted archive time-stamp).
fn substitute_archive(der: &[u8], n: usize, token: &[u8]) -> Vec<u8> {
    let sd = SignedDataView::parse(der).unwrap();
    let old = sd.signer_infos[0]
        .unsigned_attrs
        .as_ref()
        .unwrap()
        .all_of(oid::ATTR_ARCHIVE_TIME_STAMP_V3)
        .nth(n)
        .unwrap()
        .values[0]
        .raw;
    assert_eq!(old.len(), token.len(), "same-length substitute");
    let at = der.windows(old.len()).position(|w| w == old).unwrap();
    let mut out = der.to_vec();
    out[at..at + old.len()].copy_from_slice(token);
    out
}

#[test]
fn corrupt_or_substituted_archive_time_stamp_is_named() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", true);
    let lta = extend(&bt, None, &options(w, Target::BLta, &w.tsa_long))
        .unwrap()
        .der;
    let token = {
        let sd = SignedDataView::parse(&lta).unwrap();
        sd.signer_infos[0]
            .unsigned_attrs
            .as_ref()
            .unwrap()
            .all_of(oid::ATTR_ARCHIVE_TIME_STAMP_V3)
            .next()
            .unwrap()
            .values[0]
            .raw
            .to_vec()
    };
    // Corrupt: one byte of the TSA's signature value flipped.
    let mut corrupt = token.clone();
    let last = corrupt.len() - 300;
    corrupt[last] ^= 0x01;
    // Substituted: the archive time-stamp of another signature of the same length.
    let other = sign_bt(w, "accredited-signer", true);
    let other_lta = extend(&other, None, &options(w, Target::BLta, &w.tsa_long))
        .unwrap()
        .der;
    let other_token = {
        let sd = SignedDataView::parse(&other_lta).unwrap();
        sd.signer_infos[0]
            .unsigned_attrs
            .as_ref()
            .unwrap()
            .all_of(oid::ATTR_ARCHIVE_TIME_STAMP_V3)
            .next()
            .unwrap()
            .values[0]
            .raw
            .to_vec()
    };
    let mut cases = vec![("corrupt", substitute_archive(&lta, 0, &corrupt))];
    if other_token.len() == token.len() {
        cases.push(("substituted", substitute_archive(&lta, 0, &other_token)));
    }
    for (what, der) in cases {
        let r = verify_offline(w, &der, None);
        let failed: Vec<_> = r.signatures[0]
            .checks
            .iter()
            .filter(|c| c.name() == "timestamp:archive-v3" && !c.passed)
            .collect();
        assert_eq!(failed.len(), 1, "{what}: {}", explain(&r));
        assert!(
            r.signatures[0]
                .timestamps
                .iter()
                .any(|t| t.kind == "archive" && !t.valid),
            "{what}"
        );
    }
}

#[test]
fn legacy_values_attributes_are_added_on_request() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", true);
    let mut opts = options(w, Target::BLt, &w.tsa_long);
    opts.legacy_values = true;
    let x = extend(&bt, None, &opts).unwrap();
    assert_eq!(count_attr(&x.der, oid::ATTR_CERTIFICATE_VALUES), 1);
    assert_eq!(count_attr(&x.der, oid::ATTR_REVOCATION_VALUES), 1);
    // The certificate-values attribute lists every certificate embedded in SignedData.
    let sd = SignedDataView::parse(&x.der).unwrap();
    let attrs = sd.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    let values = attrs
        .all_of(oid::ATTR_CERTIFICATE_VALUES)
        .next()
        .unwrap()
        .values[0];
    let listed = values.reader().all().unwrap().len();
    assert!(listed >= 3 && listed <= sd.certificates.len(), "{listed}");
    let r = verify_offline(w, &x.der, None);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert_eq!(r.signatures[0].level, "B-LT");
}

/// Where `part` (a slice of `buf`) starts in `buf`.
fn offset_in(buf: &[u8], part: &[u8]) -> usize {
    let at = part.as_ptr() as usize - buf.as_ptr() as usize;
    assert!(at + part.len() <= buf.len());
    at
}

/// The first time-stamp token of unsigned attribute `attr` of SignerInfo 0, as its offset
/// and length in `der`.
fn token_span(der: &[u8], attr: const_oid::ObjectIdentifier) -> (usize, usize) {
    let sd = SignedDataView::parse(der).unwrap();
    let attrs = sd.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    let token = attrs.all_of(attr).next().unwrap().values[0].raw;
    (offset_in(der, token), token.len())
}

/// `der` with one octet of the signature value of the token of attribute `attr` flipped.
fn flip_token_signature(der: &[u8], attr: const_oid::ObjectIdentifier) -> Vec<u8> {
    let (at, len) = token_span(der, attr);
    let token = &der[at..at + len];
    let tsd = SignedDataView::parse(token).unwrap();
    let value = tsd.signer_infos[0].signature;
    let pos = at + offset_in(token, value) + value.len() / 2;
    let mut out = der.to_vec();
    out[pos] ^= 0x01;
    out
}

/// `der` with one octet of the signature time-stamp's imprint (the hash of the signature
/// value, inside the TSTInfo) flipped.
fn flip_signature_token_imprint(der: &[u8]) -> Vec<u8> {
    let sd = SignedDataView::parse(der).unwrap();
    let imprint = kenpo_core::alg::DigestAlgorithm::Sha256.digest(sd.signer_infos[0].signature);
    let (at, len) = token_span(der, oid::ATTR_SIGNATURE_TIME_STAMP);
    let token = &der[at..at + len];
    let i = token
        .windows(32)
        .position(|w| w == imprint.as_bytes())
        .expect("a SHA-256 imprint of the signature value");
    let mut out = der.to_vec();
    out[at + i + 5] ^= 0x01;
    out
}

/// `der` with one octet of the archive time-stamp's ats-hash-index-v3 (an unsigned
/// attribute of the token, covered by its imprint) flipped: the imprint no longer matches.
fn flip_hash_index(der: &[u8]) -> Vec<u8> {
    let (at, len) = token_span(der, oid::ATTR_ARCHIVE_TIME_STAMP_V3);
    let token = &der[at..at + len];
    let tsd = SignedDataView::parse(token).unwrap();
    let index = tsd.signer_infos[0]
        .unsigned_attrs
        .as_ref()
        .unwrap()
        .all_of(oid::ATTR_ATS_HASH_INDEX_V3)
        .next()
        .unwrap()
        .values[0]
        .raw;
    let pos = at + offset_in(token, index) + index.len() - 2;
    let mut out = der.to_vec();
    out[pos] ^= 0x01;
    out
}

/// The report names the failed time-stamp of `kind` (`signature`, `archive`): a failed
/// check saying which one and why, and `valid: false` in the time-stamp list.
fn assert_named_failure(r: &Report, kind: &str, why: &str) {
    let s = &r.signatures[0];
    let ts = s
        .timestamps
        .iter()
        .find(|t| t.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} time-stamp: {:?}", s.timestamps));
    assert!(
        !ts.valid,
        "{kind} time-stamp reported valid: {}",
        explain(r)
    );
    let when = kenpo_core::timefmt::rfc3339(ts.gen_time.unwrap());
    let named = s.checks.iter().any(|c| {
        !c.passed
            && c.name().starts_with("timestamp:")
            && c.detail()
                .contains(&format!("{kind} time-stamp of {when} is not valid"))
            && c.detail().contains(why)
    });
    assert!(
        named,
        "no failed check names the {kind} time-stamp ({why}): {}",
        explain(r)
    );
}

/// Offline with the CA's current CRLs supplied (a B-T carries no validation data), trusting
/// `anchors`.
fn verify_with_crls(w: &World, sig: &[u8], anchors: Vec<Vec<u8>>) -> Report {
    verify_signature(
        &VerifyRequest::new(sig)
            .with_content(Some(content_file()))
            .with_anchors(anchors)
            .with_cert_store(Vec::new())
            .with_crls(w.pki.crls().iter().map(|c| c.der.clone()).collect())
            .with_ocsp_responses(Vec::new())
            .with_profile(kenpo_sign::Profile::Hpki)
            .with_offline(true)
            .with_revocation_cache(None)
            .with_at(None)
            .with_revocation(kenpo_verify::validate::RevocationMode::Soft)
            .with_fetch_allow(Vec::new())
            .with_policy(kenpo_verify::policy::Policy::default()),
    )
    .unwrap()
}

#[test]
fn failing_signature_time_stamp_gives_no_t_or_lt_level() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", false);
    let r = verify_with_crls(w, &bt, anchors(w));
    assert_eq!(r.signatures[0].level, "B-T", "{}", explain(&r));

    let flipped = flip_token_signature(&bt, oid::ATTR_SIGNATURE_TIME_STAMP);
    let r = verify_with_crls(w, &flipped, anchors(w));
    assert_eq!(r.signatures[0].level, "B-B", "{}", explain(&r));
    assert_named_failure(&r, "signature", "does not verify");

    let r = verify_with_crls(w, &flip_signature_token_imprint(&bt), anchors(w));
    assert_eq!(r.signatures[0].level, "B-B", "{}", explain(&r));
    assert_named_failure(&r, "signature", "does not verify");

    // An untrusted TSA: the token's own signature is fine, its TSA chain is not.
    let signer_root = vec![w.pki.entity("root-ca").unwrap().cert_der.clone()];
    let r = verify_with_crls(w, &bt, signer_root);
    assert_eq!(r.signatures[0].level, "B-B", "{}", explain(&r));
    assert_named_failure(&r, "signature", "not valid");

    // B-LT data on top of a failing signature time-stamp: still B-B.
    let blt = extend(
        &bt,
        Some(content_file()),
        &options(w, Target::BLt, &w.tsa_short),
    )
    .unwrap();
    assert_eq!(
        verify_offline(w, &blt.der, None).signatures[0].level,
        "B-LT"
    );
    let r = verify_offline(
        w,
        &flip_token_signature(&blt.der, oid::ATTR_SIGNATURE_TIME_STAMP),
        None,
    );
    assert_eq!(r.signatures[0].level, "B-B", "{}", explain(&r));
    assert_named_failure(&r, "signature", "does not verify");
}

#[test]
fn failing_archive_time_stamp_gives_no_lta_level() {
    let w = world();
    let bt = sign_bt(w, "hpki-signer", false);
    let lta = extend(
        &bt,
        Some(content_file()),
        &options(w, Target::BLta, &w.tsa_short),
    )
    .unwrap();
    let r = verify_offline(w, &lta.der, None);
    assert_eq!(r.signatures[0].level, "B-LTA", "{}", explain(&r));

    let r = verify_offline(
        w,
        &flip_token_signature(&lta.der, oid::ATTR_ARCHIVE_TIME_STAMP_V3),
        None,
    );
    assert_eq!(r.signatures[0].level, "B-LT", "{}", explain(&r));
    assert_named_failure(&r, "archive", "does not verify");

    let r = verify_offline(w, &flip_hash_index(&lta.der), None);
    assert_eq!(r.signatures[0].level, "B-LT", "{}", explain(&r));
    assert_named_failure(&r, "archive", "imprint does NOT match");
}
