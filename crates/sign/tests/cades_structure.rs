//! Byte-level checks: what was built reads back with `SignedDataView`, every signed
//! attribute occurs exactly once with the right value, certificates are embedded, the
//! signature verifies over the signed attributes, and the B-T unsigned attribute holds the
//! TSA's token bytes exactly as they went over the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use cades_common::{RecordingTsa, client_config, closed_port_url, counting_signer, pki};
use der::Decode;
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{SignedDataView, SignerId};
use kenpo_core::crypto::default_backend;
use kenpo_core::der_span::{parse_one, tag};
use kenpo_core::ess::{SigningCertificateV2, first_cert_id_names};
use kenpo_core::oid;
use kenpo_sign::cades::{SignError, SignOptions, sign_bytes, sign_digest, sign_reader};
use kenpo_sign::{Level, Profile, Signer};
use kenpo_tsa::{VerifyOptions, verify_token};
use time::OffsetDateTime;
use time::macros::datetime;

const DOC: &[u8] = b"<claim>rule 27</claim>";

const SIGNED_ATTRS: [const_oid::ObjectIdentifier; 4] = [
    oid::ATTR_CONTENT_TYPE,
    oid::ATTR_MESSAGE_DIGEST,
    oid::ATTR_SIGNING_TIME,
    oid::ATTR_SIGNING_CERTIFICATE_V2,
];

/// A signing time inside every test certificate's validity (the PKI's reference time).
fn now() -> OffsetDateTime {
    pki().pki.now()
}

/// Checks everything common to our signatures; returns the signature value.
fn check_common(der: &[u8], signer: &dyn Signer, alg: SignatureAlgorithm, content: &[u8]) {
    let view = SignedDataView::parse(der).unwrap();
    assert_eq!(view.version, 1);
    assert_eq!(view.econtent_type, oid::ID_DATA);
    // digestAlgorithms: exactly the signature's digest.
    let algs = view.digest_algorithms.reader().all().unwrap();
    assert_eq!(algs.len(), 1);
    assert_eq!(
        algs[0].raw,
        der::Encode::to_der(&alg.digest().algorithm_identifier()).unwrap()
    );
    // certificates = signer + chain, in order.
    let certs: Vec<&[u8]> = view.x509_certificates().collect();
    let mut expected: Vec<&[u8]> = vec![signer.certificate()];
    expected.extend(signer.chain().iter().map(Vec::as_slice));
    assert_eq!(certs, expected);

    assert_eq!(view.signer_infos.len(), 1);
    let si = &view.signer_infos[0];
    assert_eq!(si.version, 1);
    let cert = CertRef::parse(signer.certificate()).unwrap();
    assert_eq!(
        si.sid,
        SignerId::IssuerSerial {
            issuer: cert.issuer,
            serial: cert.serial
        }
    );
    assert_eq!(si.digest_alg().unwrap(), alg.digest());
    assert_eq!(
        SignatureAlgorithm::from_algorithm_identifier(&si.signature_algorithm, None).unwrap(),
        alg
    );

    // Signed attributes: each exactly once with one value, DER-sorted, nothing else.
    let attrs = si.signed_attrs.as_ref().unwrap();
    for o in SIGNED_ATTRS {
        assert_eq!(attrs.all_of(o).count(), 1, "{o}");
        assert!(attrs.single(o).unwrap().is_some(), "{o}");
    }
    let raws: Vec<&[u8]> = attrs.list.iter().map(|a| a.raw).collect();
    let mut sorted = raws.clone();
    sorted.sort();
    assert_eq!(raws, sorted, "signed attributes are not DER-sorted");
    for a in &attrs.list {
        assert!(
            SIGNED_ATTRS.contains(&a.oid) || a.oid == oid::ATTR_CONTENT_TIME_STAMP,
            "unexpected signed attribute {}",
            a.oid
        );
    }
    let ct = attrs.single(oid::ATTR_CONTENT_TYPE).unwrap().unwrap();
    assert_eq!(ct.raw, der::Encode::to_der(&oid::ID_DATA).unwrap());
    let md = attrs.single(oid::ATTR_MESSAGE_DIGEST).unwrap().unwrap();
    assert_eq!(md.tag, tag::OCTET_STRING);
    assert_eq!(md.value, alg.digest().digest(content).as_bytes());
    let st = attrs.single(oid::ATTR_SIGNING_TIME).unwrap().unwrap();
    assert_eq!(st.tag, tag::UTC_TIME);
    let sc = attrs
        .single(oid::ATTR_SIGNING_CERTIFICATE_V2)
        .unwrap()
        .unwrap();
    assert!(first_cert_id_names(sc.raw, &cert, true).unwrap());
    let scv2 = SigningCertificateV2::from_der_bytes(sc.raw).unwrap();
    assert_eq!(scv2.certs.len(), 1);
    assert!(
        scv2.certs[0].hash_algorithm.is_none(),
        "SHA-256 is the DEFAULT"
    );
    assert!(
        scv2.certs[0].issuer_serial.is_some(),
        "issuerSerial present"
    );

    // The signature verifies over the signed attributes (re-tagged as SET).
    let digest = attrs.digest_as_set(alg.digest());
    default_backend()
        .verify_digest(cert.spki, alg, &digest, si.signature)
        .unwrap();
}

#[test]
fn bb_detached_and_attached_read_back() {
    let p = pki();
    for (entity, alg) in [
        (
            "hpki-signer",
            SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
        ),
        (
            "hpki-signer",
            SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha384,
                salt_len: 48,
            },
        ),
        (
            "accredited-signer-ecdsa",
            SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
        ),
    ] {
        let signer = p.signer(entity);
        for attached in [false, true] {
            let opts = SignOptions::default()
                .with_attached(attached)
                .with_algorithm(Some(alg))
                .with_now(Some(now()));
            let signed = sign_bytes(&signer, DOC, &opts).unwrap();
            check_common(&signed.der, &signer, alg, DOC);
            let view = SignedDataView::parse(&signed.der).unwrap();
            assert_eq!(view.econtent, attached.then_some(DOC));
            let si = &view.signer_infos[0];
            assert!(si.unsigned_attrs.is_none());
            assert_eq!(si.signature, signed.signature_value.as_slice());
            assert_eq!(signed.document_digest, alg.digest().digest(DOC));
            assert_eq!(
                signed.document_sha256,
                Some(DigestAlgorithm::Sha256.digest(DOC))
            );
            assert_eq!(signed.output_len, signed.der.len() as u64);
            assert_eq!(signed.level, Level::BB);
            assert!(signed.timestamp_token.is_none() && signed.timestamp_gen_time.is_none());

            // sign_reader gives the same structure (ECDSA/PSS are randomised: compare
            // everything but the signature).
            let from_reader = sign_reader(&signer, DOC, &opts).unwrap();
            check_common(&from_reader.der, &signer, alg, DOC);
        }
    }
}

#[test]
fn rsa_pkcs1_output_is_deterministic_and_signing_time_is_the_given_time() {
    let p = pki();
    let signer = p.signer("hpki-signer");
    let at = now();
    let opts = SignOptions::default().with_now(Some(at));
    let a = sign_bytes(&signer, DOC, &opts).unwrap();
    let b = sign_reader(&signer, DOC, &opts).unwrap();
    assert_eq!(a.der, b.der);
    let c = sign_digest(&signer, &DigestAlgorithm::Sha256.digest(DOC), &opts).unwrap();
    assert_eq!(a.der, c.der);
    assert_eq!(a.signing_time, at);

    let view = SignedDataView::parse(&a.der).unwrap();
    let attrs = view.signer_infos[0].signed_attrs.clone().unwrap();
    let st = attrs.single(oid::ATTR_SIGNING_TIME).unwrap().unwrap();
    let t = at;
    let expected = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    assert_eq!(st.value, expected.as_bytes());
}

#[test]
fn bt_embeds_the_tsa_token_bytes_exactly() {
    let p = pki();
    let tsa = RecordingTsa::start(None);
    let signer = p.signer("hpki-signer");
    for attached in [false, true] {
        let opts = SignOptions::default()
            .with_level(Level::BT)
            .with_attached(attached)
            .with_profile(Profile::Hpki)
            .with_tsa(Some(client_config(vec![tsa.url()])));
        let signed = sign_bytes(&signer, DOC, &opts).unwrap();
        let alg = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256);
        check_common(&signed.der, &signer, alg, DOC);
        let view = SignedDataView::parse(&signed.der).unwrap();
        let si = &view.signer_infos[0];
        let unsigned = si.unsigned_attrs.as_ref().unwrap();
        assert_eq!(unsigned.list.len(), 1);
        assert_eq!(unsigned.list[0].oid, oid::ATTR_SIGNATURE_TIME_STAMP);
        assert_eq!(unsigned.list[0].values.len(), 1);
        let embedded = unsigned.list[0].values[0].raw;

        let n = tsa.responses.lock().unwrap().len();
        let wire = tsa.token(n - 1);
        assert_eq!(embedded, wire.as_slice(), "embedded token != TSA's bytes");
        assert_eq!(signed.timestamp_token.as_deref(), Some(wire.as_slice()));

        // The token covers SHA-256 of the signature value's octets.
        let imprint = DigestAlgorithm::Sha256.digest(si.signature);
        let token = verify_token(
            embedded,
            &VerifyOptions::default().with_expected_imprint(Some(&imprint)),
        )
        .unwrap();
        assert_eq!(Some(token.gen_time()), signed.timestamp_gen_time);
        assert_eq!(signed.tsa_url.as_deref(), Some(tsa.url().as_str()));
        assert_eq!(signed.level, Level::BT);
        // The signed part is untouched by adding the unsigned attribute.
        let si_raw = parse_one(si.raw).unwrap();
        assert_eq!(si_raw.tag, tag::SEQUENCE);
    }
}

#[test]
fn bt_fails_over_to_the_next_tsa() {
    let p = pki();
    let broken = RecordingTsa::start(Some(503));
    let good = RecordingTsa::start(None);
    let signer = p.signer("hpki-signer");
    let opts = SignOptions::default()
        .with_level(Level::BT)
        .with_tsa(Some(client_config(vec![
            closed_port_url(),
            broken.url(),
            good.url(),
        ])));
    let signed = sign_bytes(&signer, DOC, &opts).unwrap();
    assert_eq!(signed.tsa_url.as_deref(), Some(good.url().as_str()));
    assert_eq!(good.responses.lock().unwrap().len(), 1);
    assert!(broken.responses.lock().unwrap().is_empty());
}

#[test]
fn content_timestamp_is_a_signed_attribute_over_the_document() {
    let p = pki();
    let tsa = RecordingTsa::start(None);
    let signer = p.signer("accredited-signer-ecdsa");
    let opts = SignOptions::default()
        .with_level(Level::BT)
        .with_content_timestamp(true)
        .with_profile(Profile::Accredited)
        .with_tsa(Some(client_config(vec![tsa.url()])));
    let signed = sign_bytes(&signer, DOC, &opts).unwrap();
    let alg = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
    check_common(&signed.der, &signer, alg, DOC);
    let view = SignedDataView::parse(&signed.der).unwrap();
    let attrs = view.signer_infos[0].signed_attrs.clone().unwrap();
    let ct = attrs
        .single(oid::ATTR_CONTENT_TIME_STAMP)
        .unwrap()
        .expect("content time-stamp present");
    assert_eq!(
        ct.raw,
        tsa.token(0).as_slice(),
        "first token is the content one"
    );
    let imprint = DigestAlgorithm::Sha256.digest(DOC);
    let token = verify_token(
        ct.raw,
        &VerifyOptions::default().with_expected_imprint(Some(&imprint)),
    )
    .unwrap();
    assert_eq!(Some(token.gen_time()), signed.content_timestamp_gen_time);
    assert!(signed.content_timestamp_gen_time <= signed.timestamp_gen_time);
    assert_eq!(tsa.responses.lock().unwrap().len(), 2);
}

#[test]
fn refusals_before_key_use() {
    let p = pki();
    let (signer, key) = counting_signer("hpki-signer");

    // Key from another certificate.
    let mut wrong = signer.clone();
    wrong.cert = p.cert("accredited-signer");
    wrong.chain = p.chain("accredited-signer");
    let e = sign_bytes(&wrong, DOC, &SignOptions::default()).unwrap_err();
    assert!(matches!(e, SignError::KeyMismatch), "{e}");
    assert!(e.is_refusal());

    // Algorithms that do not fit.
    for alg in [
        SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
        SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1),
        SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha256,
            salt_len: 20,
        },
    ] {
        let opts = SignOptions::default().with_algorithm(Some(alg));
        let e = sign_bytes(&signer, DOC, &opts).unwrap_err();
        assert!(matches!(e, SignError::Algorithm { .. }), "{alg:?}: {e}");
    }

    // Levels made by extension, B-T without a TSA, profile refusal, not yet valid.
    let e = sign_bytes(&signer, DOC, &SignOptions::default().with_level(Level::BLT)).unwrap_err();
    assert!(matches!(e, SignError::UnsupportedLevel(Level::BLT)), "{e}");
    let e = sign_bytes(&signer, DOC, &SignOptions::default().with_level(Level::BT)).unwrap_err();
    assert!(matches!(e, SignError::NoTsa), "{e}");
    let e = sign_bytes(
        &signer,
        DOC,
        &SignOptions::default()
            .with_profile(Profile::Accredited)
            .with_now(Some(datetime!(2000-01-01 0:00 UTC))),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::NotYetValid { .. }), "{e}");
    let (auth, auth_key) = counting_signer("hpki-auth");
    let e = sign_bytes(
        &auth,
        DOC,
        &SignOptions::default().with_profile(Profile::Hpki),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::Profile(_)), "{e}");
    let e = sign_digest(
        &signer,
        &DigestAlgorithm::Sha256.digest(DOC),
        &SignOptions::default().with_attached(true),
    )
    .unwrap_err();
    assert!(matches!(e, SignError::AttachedWithoutContent), "{e}");

    assert_eq!(key.count(), 0, "the key was used despite a refusal");
    assert_eq!(auth_key.count(), 0);

    // preflight passes for the right inputs without signing.
    let summary =
        kenpo_sign::cades::preflight(&signer, &SignOptions::default().with_profile(Profile::Hpki))
            .unwrap();
    assert_eq!(summary.hc_roles, ["Medical Doctor"]);
    assert_eq!(key.count(), 0);
    sign_bytes(&signer, DOC, &SignOptions::default()).unwrap();
    assert_eq!(key.count(), 1, "one signature, one key use");
}

#[test]
fn embedded_certificates_skip_duplicates() {
    let p = pki();
    let mut signer = p.signer("hpki-signer");
    signer.chain.insert(0, signer.cert.clone());
    signer.chain.push(p.cert("hpki-sign-ca"));
    let signed = sign_bytes(&signer, DOC, &SignOptions::default()).unwrap();
    let view = SignedDataView::parse(&signed.der).unwrap();
    let certs: Vec<&[u8]> = view.x509_certificates().collect();
    assert_eq!(
        certs,
        vec![
            p.cert("hpki-signer").as_slice(),
            p.cert("hpki-sign-ca").as_slice()
        ]
    );
    // x509-cert decodes each embedded certificate.
    for c in certs {
        x509_cert::Certificate::from_der(c).unwrap();
    }
}
