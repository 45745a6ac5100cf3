//! Interoperability with the `openssl` CLI: detached and attached B-B and B-T signatures by
//! RSA PKCS#1, RSA-PSS and ECDSA verify with `openssl cms -verify`, other content does not,
//! `openssl cms -cmsout -print` shows the CAdES attributes, and the embedded signature
//! time-stamp token passes `openssl ts -verify` for the hash of the signature value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::path::Path;

use cades_common::{LocalTsa, hex, openssl, openssl_available, pki};
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cms::SignedDataView;
use kenpo_core::oid;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};

const DOC: &[u8] =
    b"<?xml version=\"1.0\"?>\n<claim>\xe8\xa8\xba\xe7\x99\x82\xe5\xa0\xb1\xe9\x85\xac</claim>\n";

struct Case {
    entity: &'static str,
    profile: Profile,
    alg: SignatureAlgorithm,
    label: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            entity: "hpki-signer",
            profile: Profile::Hpki,
            alg: SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
            label: "rsa-pkcs1",
        },
        Case {
            entity: "hpki-signer",
            profile: Profile::Hpki,
            alg: SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha256,
                salt_len: 32,
            },
            label: "rsa-pss",
        },
        Case {
            entity: "accredited-signer-ecdsa",
            profile: Profile::Accredited,
            alg: SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
            label: "ecdsa",
        },
    ]
}

fn verify_cms(dir: &Path, sig: &str, content: Option<&str>, root_pem: &str) -> (bool, String) {
    let mut args = vec![
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        sig,
        "-CAfile",
        root_pem,
        "-purpose",
        "any",
        "-out",
        "verified.out",
    ];
    if let Some(c) = content {
        args.extend(["-content", c]);
    }
    openssl(dir, &args)
}

#[test]
fn openssl_verifies_bb_and_bt_detached_and_attached() {
    if !openssl_available() {
        return;
    }
    let p = pki();
    let tsa = LocalTsa::start("tsa");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("doc.xml"), DOC).unwrap();
    std::fs::write(d.join("other.xml"), b"<claim>altered</claim>\n").unwrap();
    let tsa_root = p.root_of("tsa");
    std::fs::copy(p.path(&format!("{tsa_root}.pem")), d.join("tsa-root.pem")).unwrap();

    for case in cases() {
        let root = p.root_of(case.entity);
        let root_pem = format!("{root}.pem");
        std::fs::copy(p.path(&root_pem), d.join(&root_pem)).unwrap();
        let signer = p.signer(case.entity);
        for level in [Level::BB, Level::BT] {
            for attached in [false, true] {
                let name = format!(
                    "{}-{}-{}",
                    case.label,
                    if level == Level::BB { "bb" } else { "bt" },
                    if attached { "attached" } else { "detached" }
                );
                let opts = SignOptions::default()
                    .with_level(level)
                    .with_attached(attached)
                    .with_algorithm(Some(case.alg))
                    .with_profile(case.profile)
                    .with_tsa((level == Level::BT).then(|| tsa.client_config()));
                let signed = sign_bytes(&signer, DOC, &opts)
                    .unwrap_or_else(|e| panic!("{name}: signing failed: {e}"));
                let sig_file = format!("{name}.der");
                std::fs::write(d.join(&sig_file), &signed.der).unwrap();

                // Verifies with the right content.
                let content = (!attached).then_some("doc.xml");
                let (ok, out) = verify_cms(d, &sig_file, content, &root_pem);
                assert!(ok, "{name}: openssl cms -verify failed:\n{out}");
                assert_eq!(
                    std::fs::read(d.join("verified.out")).unwrap(),
                    DOC,
                    "{name}"
                );

                // Fails with other content.
                if attached {
                    let mut tampered = signed.der.clone();
                    let at = tampered
                        .windows(DOC.len())
                        .position(|w| w == DOC)
                        .expect("attached content present");
                    tampered[at + 10] ^= 0x01;
                    let bad = format!("{name}-tampered.der");
                    std::fs::write(d.join(&bad), &tampered).unwrap();
                    let (ok, out) = verify_cms(d, &bad, None, &root_pem);
                    assert!(!ok, "{name}: tampered content verified:\n{out}");
                } else {
                    let (ok, out) = verify_cms(d, &sig_file, Some("other.xml"), &root_pem);
                    assert!(!ok, "{name}: other content verified:\n{out}");
                }

                // The structure as openssl prints it.
                let (ok, printed) = openssl(
                    d,
                    &[
                        "cms", "-cmsout", "-print", "-inform", "DER", "-in", &sig_file,
                    ],
                );
                assert!(ok, "{name}: cmsout -print failed:\n{printed}");
                assert!(
                    printed.contains("signingCertificateV2"),
                    "{name}: no signingCertificateV2 in\n{printed}"
                );
                for attr in ["contentType", "messageDigest", "signingTime"] {
                    assert!(printed.contains(attr), "{name}: no {attr} in\n{printed}");
                }
                if level == Level::BT {
                    assert!(
                        printed.contains("timeStampToken"),
                        "{name}: no timeStampToken in\n{printed}"
                    );
                } else {
                    assert!(!printed.contains("timeStampToken"), "{name}");
                }

                // The embedded token verifies for the hash of the signature value.
                if level == Level::BT {
                    let view = SignedDataView::parse(&signed.der).unwrap();
                    let si = &view.signer_infos[0];
                    let token = si
                        .unsigned_attrs
                        .as_ref()
                        .unwrap()
                        .single(oid::ATTR_SIGNATURE_TIME_STAMP)
                        .unwrap()
                        .unwrap()
                        .raw;
                    let token_file = format!("{name}-token.der");
                    std::fs::write(d.join(&token_file), token).unwrap();
                    let imprint = hex(DigestAlgorithm::Sha256.digest(si.signature).as_bytes());
                    let (ok, out) = openssl(
                        d,
                        &[
                            "ts",
                            "-verify",
                            "-digest",
                            &imprint,
                            "-in",
                            &token_file,
                            "-token_in",
                            "-CAfile",
                            "tsa-root.pem",
                        ],
                    );
                    assert!(ok, "{name}: openssl ts -verify failed:\n{out}");
                    // And not for another imprint.
                    let other = hex(DigestAlgorithm::Sha256.digest(b"x").as_bytes());
                    let (ok, _) = openssl(
                        d,
                        &[
                            "ts",
                            "-verify",
                            "-digest",
                            &other,
                            "-in",
                            &token_file,
                            "-token_in",
                            "-CAfile",
                            "tsa-root.pem",
                        ],
                    );
                    assert!(!ok, "{name}: token verified for another imprint");
                }
            }
        }
    }
}

#[test]
fn openssl_verifies_sha384_and_file_output() {
    if !openssl_available() {
        return;
    }
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("doc.xml"), DOC).unwrap();
    let root = p.root_of("accredited-signer");
    let root_pem = format!("{root}.pem");
    std::fs::copy(p.path(&root_pem), d.join(&root_pem)).unwrap();
    let signer = p.signer("accredited-signer");
    for attached in [false, true] {
        let opts = SignOptions::default()
            .with_attached(attached)
            .with_algorithm(Some(SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384)))
            .with_profile(Profile::Accredited);
        let out = d.join(if attached {
            "doc.xml.p7m"
        } else {
            "doc.xml.p7s"
        });
        kenpo_sign::cades::sign_file_to(&signer, &d.join("doc.xml"), &out, &opts).unwrap();
        let sig = out.file_name().unwrap().to_str().unwrap();
        let (ok, text) = verify_cms(d, sig, (!attached).then_some("doc.xml"), &root_pem);
        assert!(ok, "attached={attached}: {text}");
    }
}
