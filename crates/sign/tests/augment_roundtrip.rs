//! `kenpo_core::cms::augment` on real output: a CAdES B-T signature made by `sign_bytes`
//! (detached and attached) and an RFC 3161 token from the kenpo TSA are extended with
//! certificates, CRLs, an OCSP response and an unsigned attribute; the signer's signature
//! and the embedded token still verify, the signature time-stamp is byte-identical, and
//! `openssl cms -verify` still accepts the augmented signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use cades_common::{LocalTsa, openssl, openssl_available, pki};
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{Augmentation, SignedDataView, attribute, augment};
use kenpo_core::crypto::default_backend;
use kenpo_core::der_span::tag;
use kenpo_core::oid;
use kenpo_sign::cades::{SignOptions, Signed, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_tsa::TimeStampResponse;
use kenpo_tsa::{TimeStampRequest, VerifyOptions, verify_token};

const DOC: &[u8] = b"<claim>rule 27: B-LT</claim>\n";

/// `OCSPResponse { responseStatus tryLater }`: a complete, real OCSPResponse encoding
/// (its content is opaque to augmentation).
const OCSP_TRY_LATER: [u8; 5] = [0x30, 0x03, 0x0a, 0x01, 0x03];

/// A fresh token from the local TSA over `data` (the token ContentInfo only).
fn token_over(tsa: &LocalTsa, data: &[u8]) -> Vec<u8> {
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(data)).with_cert_req(true);
    let issued = tsa.tsa.respond(&req.to_der());
    let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
    resp.token.unwrap().to_vec()
}

/// Everything B-LT would add: the whole chain up to the roots (signer and TSA), every CRL
/// of the test PKI, an OCSP response, and an archive-time-stamp-like unsigned attribute.
fn lt_augmentation(signed: &Signed, archive_token: &[u8]) -> Augmentation {
    let p = pki();
    let mut certificates = vec![p.cert("hpki-signer")];
    certificates.extend(p.chain("hpki-signer"));
    certificates.push(p.cert(&p.root_of("hpki-signer")));
    certificates.push(p.cert("tsa"));
    certificates.push(p.cert(&p.root_of("tsa")));
    let archive = attribute(oid::ATTR_ARCHIVE_TIME_STAMP_V3, &[archive_token]).unwrap();
    assert!(signed.timestamp_token.is_some());
    Augmentation {
        certificates,
        crls: p.pki.crls().iter().map(|c| c.der.clone()).collect(),
        ocsp_responses: vec![OCSP_TRY_LATER.to_vec()],
        unsigned_attrs: vec![(0, vec![archive])],
    }
}

/// The signer's signature over the (untouched) signed attributes still verifies.
fn assert_signature_verifies(der: &[u8], signer_cert: &[u8], alg: SignatureAlgorithm) {
    let view = SignedDataView::parse(der).unwrap();
    let si = &view.signer_infos[0];
    let digest = si
        .signed_attrs
        .as_ref()
        .unwrap()
        .digest_as_set(alg.digest());
    let cert = CertRef::parse(signer_cert).unwrap();
    default_backend()
        .verify_digest(cert.spki, alg, &digest, si.signature)
        .unwrap();
}

fn sign_bt(tsa: &LocalTsa, attached: bool) -> Signed {
    let opts = SignOptions::default()
        .with_level(Level::BT)
        .with_attached(attached)
        .with_profile(Profile::Hpki)
        .with_tsa(Some(tsa.client_config()));
    sign_bytes(&pki().signer("hpki-signer"), DOC, &opts).unwrap()
}

#[test]
fn augmented_bt_signature_still_verifies_and_keeps_its_time_stamp() {
    let p = pki();
    let tsa = LocalTsa::start("tsa");
    let alg = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256);
    for attached in [false, true] {
        let signed = sign_bt(&tsa, attached);
        let before = SignedDataView::parse(&signed.der).unwrap();
        let archive_token = token_over(&tsa, &signed.der);
        let aug = lt_augmentation(&signed, &archive_token);
        let after_der = augment(&signed.der, &aug).unwrap();
        let after = SignedDataView::parse(&after_der).unwrap();

        assert_eq!(after.version, 5, "OCSP as other RevocationInfoChoice");
        assert_eq!(after.encap_content_info.raw, before.encap_content_info.raw);
        let (sb, sa) = (&before.signer_infos[0], &after.signer_infos[0]);
        assert_eq!(
            sa.signed_attrs.as_ref().unwrap().raw,
            sb.signed_attrs.as_ref().unwrap().raw
        );
        assert_eq!(sa.signature_field.raw, sb.signature_field.raw);
        assert_signature_verifies(&after_der, &p.cert("hpki-signer"), alg);

        // Old certificates kept, new ones added once each; CRLs and the OCSP response in.
        for c in before.x509_certificates() {
            assert!(after.x509_certificates().any(|x| x == c));
        }
        for c in &aug.certificates {
            assert_eq!(after.x509_certificates().filter(|x| x == c).count(), 1);
        }
        assert_eq!(after.crls.len(), p.pki.crls().len() + 1);
        assert_eq!(
            after
                .crls
                .iter()
                .filter(|t| t.tag == tag::context(1))
                .count(),
            1
        );

        // The signature time-stamp is the first unsigned attribute, byte-identical, and
        // still verifies over the signature value; the new attribute follows it.
        let old = sb.unsigned_attrs.as_ref().unwrap();
        let new = sa.unsigned_attrs.as_ref().unwrap();
        assert_eq!(new.list.len(), old.list.len() + 1);
        assert_eq!(new.list[0].raw, old.list[0].raw);
        assert_eq!(new.list[0].oid, oid::ATTR_SIGNATURE_TIME_STAMP);
        let token = new.list[0].values[0].raw;
        assert_eq!(Some(token), signed.timestamp_token.as_deref());
        let imprint = DigestAlgorithm::Sha256.digest(sa.signature);
        let verified = verify_token(
            token,
            &VerifyOptions::default().with_expected_imprint(Some(&imprint)),
        )
        .unwrap();
        assert_eq!(Some(verified.gen_time()), signed.timestamp_gen_time);
        assert_eq!(new.list[1].oid, oid::ATTR_ARCHIVE_TIME_STAMP_V3);
        assert_eq!(new.list[1].values[0].raw, archive_token.as_slice());
    }
}

#[test]
fn tsa_token_gets_an_unsigned_attribute_and_still_verifies() {
    let p = pki();
    let tsa = LocalTsa::start("tsa");
    let token = token_over(&tsa, DOC);
    let imprint = DigestAlgorithm::Sha256.digest(DOC);
    let opts = VerifyOptions::default().with_expected_imprint(Some(&imprint));
    let before = verify_token(&token, &opts).unwrap();
    let extra = attribute(oid::ATTR_SIGNATURE_TIME_STAMP, &[&token_over(&tsa, b"x")]).unwrap();
    let aug = Augmentation {
        certificates: vec![p.cert(&p.root_of("tsa"))],
        unsigned_attrs: vec![(0, vec![extra.clone()])],
        ..Augmentation::default()
    };
    let augmented = augment(&token, &aug).unwrap();
    let after = verify_token(&augmented, &opts).unwrap();
    assert_eq!(after.tst_info, before.tst_info);
    assert_eq!(after.tsa_cert, before.tsa_cert);
    assert_eq!(after.embedded_certs.len(), before.embedded_certs.len() + 1);
    let view = SignedDataView::parse(&augmented).unwrap();
    let unsigned = view.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    assert_eq!(unsigned.list.len(), 1);
    assert_eq!(unsigned.list[0].raw, extra.as_slice());
    assert_eq!(view.version, SignedDataView::parse(&token).unwrap().version);
}

#[test]
fn openssl_still_verifies_augmented_signatures() {
    if !openssl_available() {
        return;
    }
    let p = pki();
    let tsa = LocalTsa::start("tsa");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("doc.xml"), DOC).unwrap();
    let root_pem = format!("{}.pem", p.root_of("hpki-signer"));
    std::fs::copy(p.path(&root_pem), d.join(&root_pem)).unwrap();
    for attached in [false, true] {
        let signed = sign_bt(&tsa, attached);
        let aug = lt_augmentation(&signed, &token_over(&tsa, &signed.der));
        let der = augment(&signed.der, &aug).unwrap();
        let name = if attached {
            "lt-attached.der"
        } else {
            "lt-detached.der"
        };
        std::fs::write(d.join(name), &der).unwrap();
        let mut args = vec![
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            name,
            "-CAfile",
            &root_pem,
            "-purpose",
            "any",
            "-out",
            "verified.out",
        ];
        if !attached {
            args.extend(["-content", "doc.xml"]);
        }
        let (ok, out) = openssl(d, &args);
        assert!(ok, "{name}: openssl cms -verify failed:\n{out}");
        assert_eq!(
            std::fs::read(d.join("verified.out")).unwrap(),
            DOC,
            "{name}"
        );
        // openssl reads the added CRLs and the `other` RevocationInfoChoice back.
        let (ok, printed) = openssl(
            d,
            &["cms", "-cmsout", "-print", "-inform", "DER", "-in", name],
        );
        assert!(ok, "{name}: openssl cms -cmsout -print failed:\n{printed}");
        assert!(
            printed.contains("1.3.6.1.5.5.7.16.2") || printed.contains("d.other"),
            "{printed}"
        );
    }
}
