//! Structure, signatures, determinism and profiles of the generated test PKI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{cert, decode, extension, fixed_now, pki, verify};
use const_oid::db::rfc5280 as ids;
use der::Encode;
use der::asn1::{Null, ObjectIdentifier};
use kenpo_core::oid;
use kenpo_testpki::{Config, Error, KeyAlg, hcrole};
use time::Duration;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, BasicConstraints, IssuingDistributionPoint, KeyUsage, KeyUsages,
};
use x509_cert::time::Time;

fn seconds(t: &Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap()
}

#[test]
fn same_config_gives_identical_bytes() {
    let config = Config::at(fixed_now());
    let a = kenpo_testpki::generate(&config).unwrap();
    let b = kenpo_testpki::generate(&config).unwrap();
    assert_eq!(a, b);
    for (x, y) in a.entities().iter().zip(b.entities()) {
        assert_eq!(x.cert_der, y.cert_der, "{}", x.name);
        assert_eq!(x.key_pkcs8_der, y.key_pkcs8_der, "{}", x.name);
    }
    for (x, y) in a.crls().iter().zip(b.crls()) {
        assert_eq!(x.der, y.der, "{}", x.issuer);
    }
    // Sub-second parts and offsets of `now` do not matter.
    let shifted = Config::at(
        (fixed_now() + Duration::milliseconds(700)).to_offset(time::macros::offset!(+9)),
    );
    assert_eq!(
        kenpo_testpki::generate(&shifted).unwrap().entities(),
        a.entities()
    );
}

#[test]
fn other_seed_changes_every_key_but_not_serials() {
    let a = pki();
    let b = kenpo_testpki::generate(&Config {
        seed: 28,
        ..Config::at(fixed_now())
    })
    .unwrap();
    assert_eq!(a.entities().len(), b.entities().len());
    for (x, y) in a.entities().iter().zip(b.entities()) {
        assert_eq!(x.name, y.name);
        assert_ne!(x.key_pkcs8_der, y.key_pkcs8_der, "{}", x.name);
        let (cx, cy) = (x.certificate().unwrap(), y.certificate().unwrap());
        assert_eq!(
            cx.tbs_certificate.serial_number,
            cy.tbs_certificate.serial_number
        );
    }
}

#[test]
fn other_urls_and_time_change_only_what_they_should() {
    let moved = kenpo_testpki::generate(&Config {
        crl_base_url: "http://crl.invalid/".into(),
        ..Config::at(fixed_now() + Duration::days(1))
    })
    .unwrap();
    for (x, y) in pki().entities().iter().zip(moved.entities()) {
        assert_eq!(x.key_pkcs8_der, y.key_pkcs8_der, "keys come from the cache");
        assert_ne!(x.cert_der, y.cert_der);
    }
    let c = cert(&moved, "hpki-signer");
    let ext = extension(&c, ids::ID_CE_CRL_DISTRIBUTION_POINTS).unwrap();
    let dps: Vec<DistributionPoint> = decode(ext.extn_value.as_bytes());
    assert_eq!(uris_of(&dps[0]), ["http://crl.invalid/hpki-sign-ca.crl"]);
}

#[test]
fn entity_list_is_complete_and_ordered() {
    let pki = pki();
    let names: Vec<&str> = pki.entities().iter().map(|e| e.name.as_str()).collect();
    for expected in [
        "root-ca",
        "hpki-sign-ca",
        "hpki-signer",
        "hpki-signer-multirole",
        "hpki-signer-norole",
        "hpki-auth-ca",
        "hpki-auth",
        "accredited-root",
        "accredited-ca",
        "accredited-signer",
        "accredited-signer-ecdsa",
        "accredited-signer-revoked",
        "ocsp-responder",
        "hpki-ocsp-responder",
        "tsa-ca",
        "tsa",
        "tsa-ecdsa",
        "tsa-rsa3072",
        "tsa-expired",
        "tsa-no-eku",
        "tsa-eku-noncritical",
        "hpki-signer-expired",
        "hpki-signer-notyet",
        "hpki-signer-revoked",
        "hpki-signer-wrong-ku",
        "hpki-signer-rsa1024",
        "hpki-signer-sha1",
    ] {
        assert!(names.contains(&expected), "missing {expected}");
    }
    for (i, e) in pki.entities().iter().enumerate() {
        assert!(!e.description.is_empty() && !e.description.contains('\n'));
        if let Some(issuer) = &e.issuer {
            let pos = names.iter().position(|n| n == issuer).unwrap();
            assert!(pos < i, "{} listed before its issuer", e.name);
        }
    }
    assert!(matches!(pki.entity("nope"), Err(Error::UnknownEntity(n)) if n == "nope"));
    assert!(matches!(pki.crl("hpki-signer"), Err(Error::UnknownCrl(_))));
    let crl_issuers: Vec<&str> = pki.crls().iter().map(|c| c.issuer.as_str()).collect();
    assert_eq!(
        crl_issuers,
        [
            "root-ca",
            "hpki-sign-ca",
            "hpki-auth-ca",
            "accredited-root",
            "accredited-ca",
            "tsa-ca"
        ]
    );
}

#[test]
fn every_certificate_and_crl_signature_verifies() {
    let pki = pki();
    for e in pki.entities() {
        let c = e.certificate().unwrap();
        let issuer = match &e.issuer {
            Some(name) => cert(pki, name),
            None => c.clone(),
        };
        assert_eq!(c.tbs_certificate.issuer, issuer.tbs_certificate.subject);
        assert_eq!(c.signature_algorithm, c.tbs_certificate.signature);
        verify(
            &issuer.tbs_certificate.subject_public_key_info,
            c.signature_algorithm.oid,
            &c.tbs_certificate.to_der().unwrap(),
            c.signature.raw_bytes(),
        );
        // The DER we hand out is what we parsed (no re-encoding differences).
        assert_eq!(c.to_der().unwrap(), e.cert_der, "{}", e.name);
    }
    for crl in pki.crls() {
        let list: CertificateList = decode(&crl.der);
        let issuer = cert(pki, &crl.issuer);
        assert_eq!(list.tbs_cert_list.issuer, issuer.tbs_certificate.subject);
        verify(
            &issuer.tbs_certificate.subject_public_key_info,
            list.signature_algorithm.oid,
            &list.tbs_cert_list.to_der().unwrap(),
            list.signature.raw_bytes(),
        );
    }
}

#[test]
fn signature_algorithms_and_key_sizes() {
    let pki = pki();
    let alg = |name: &str| cert(pki, name).signature_algorithm.oid;
    assert_eq!(alg("hpki-signer"), oid::SHA256_WITH_RSA);
    assert_eq!(alg("hpki-signer-sha1"), oid::SHA1_WITH_RSA);
    assert_eq!(alg("accredited-ca"), oid::ECDSA_WITH_SHA384);
    assert_eq!(alg("accredited-signer"), oid::ECDSA_WITH_SHA256);
    assert_eq!(alg("tsa-ecdsa"), oid::SHA256_WITH_RSA);
    let key = |name: &str| pki.entity(name).unwrap().key_alg;
    assert_eq!(key("hpki-signer-rsa1024"), KeyAlg::Rsa(1024));
    assert_eq!(key("tsa-rsa3072"), KeyAlg::Rsa(3072));
    assert_eq!(key("accredited-root"), KeyAlg::P384);
    assert_eq!(key("tsa-ecdsa"), KeyAlg::P256);
    // The SPKI really has the claimed modulus size.
    let spki = cert(pki, "hpki-signer-rsa1024")
        .tbs_certificate
        .subject_public_key_info;
    let rsa_pub = <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(
        &spki.to_der().unwrap(),
    )
    .unwrap();
    assert_eq!(rsa::traits::PublicKeyParts::size(&rsa_pub), 128);
}

#[test]
fn keys_match_certificates() {
    use pkcs8::DecodePrivateKey;
    let pki = pki();
    for e in pki.entities() {
        let spki = e
            .certificate()
            .unwrap()
            .tbs_certificate
            .subject_public_key_info;
        let from_key = match e.key_alg {
            KeyAlg::Rsa(_) => {
                let k = rsa::RsaPrivateKey::from_pkcs8_der(&e.key_pkcs8_der).unwrap();
                spki::EncodePublicKey::to_public_key_der(&k.to_public_key()).unwrap()
            }
            KeyAlg::P256 => {
                let k = p256::SecretKey::from_pkcs8_der(&e.key_pkcs8_der).unwrap();
                spki::EncodePublicKey::to_public_key_der(&k.public_key()).unwrap()
            }
            KeyAlg::P384 => {
                let k = p384::SecretKey::from_pkcs8_der(&e.key_pkcs8_der).unwrap();
                spki::EncodePublicKey::to_public_key_der(&k.public_key()).unwrap()
            }
        };
        assert_eq!(from_key.as_bytes(), spki.to_der().unwrap(), "{}", e.name);
        assert!(e.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(e.key_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    }
}

fn uris_of(dp: &DistributionPoint) -> Vec<String> {
    match &dp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names
            .iter()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn policies(c: &x509_cert::Certificate) -> (bool, Vec<ObjectIdentifier>) {
    let ext = extension(c, ids::ID_CE_CERTIFICATE_POLICIES).unwrap();
    let p: Vec<PolicyInformation> = decode(ext.extn_value.as_bytes());
    (
        ext.critical,
        p.into_iter().map(|p| p.policy_identifier).collect(),
    )
}

fn key_usage(c: &x509_cert::Certificate) -> (bool, KeyUsage) {
    let ext = extension(c, ids::ID_CE_KEY_USAGE).unwrap();
    (ext.critical, decode(ext.extn_value.as_bytes()))
}

#[test]
fn hpki_signer_has_the_hpki_profile() {
    let pki = pki();
    let c = cert(pki, "hpki-signer");
    let tbs = &c.tbs_certificate;
    assert_eq!(tbs.version, x509_cert::Version::V3);
    assert_eq!(
        tbs.subject.to_string(),
        "CN=YAMADA Taro,OU=TEST ONLY,O=Kenpo Test Hospital,C=JP"
    );

    assert_eq!(policies(&c), (true, vec![oid::HPKI_SIGNER_POLICY]));
    let (critical, ku) = key_usage(&c);
    assert!(critical);
    assert_eq!(ku, KeyUsage(KeyUsages::NonRepudiation.into()));

    assert!(extension(&c, ids::ID_CE_BASIC_CONSTRAINTS).is_none());
    assert!(extension(&c, ids::ID_CE_EXT_KEY_USAGE).is_none());
    assert!(extension(&c, ids::ID_PE_AUTHORITY_INFO_ACCESS).is_none());
    assert!(extension(&c, ids::ID_CE_SUBJECT_KEY_IDENTIFIER).is_some());
    let aki = extension(&c, ids::ID_CE_AUTHORITY_KEY_IDENTIFIER).unwrap();
    let aki: x509_cert::ext::pkix::AuthorityKeyIdentifier = decode(aki.extn_value.as_bytes());
    let ca = cert(pki, "hpki-sign-ca");
    let ca_ski = extension(&ca, ids::ID_CE_SUBJECT_KEY_IDENTIFIER).unwrap();
    let ca_ski: der::asn1::OctetString = decode(ca_ski.extn_value.as_bytes());
    assert_eq!(aki.key_identifier, Some(ca_ski));

    let sda = extension(&c, ids::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES).unwrap();
    assert!(!sda.critical);
    assert_eq!(
        hcrole::hc_roles_from_sda(sda.extn_value.as_bytes()).unwrap(),
        ["Medical Doctor"]
    );

    let san = extension(&c, ids::ID_CE_SUBJECT_ALT_NAME).unwrap();
    let names: Vec<GeneralName> = decode(san.extn_value.as_bytes());
    let GeneralName::DirectoryName(dn) = &names[0] else {
        panic!("SAN is not a directoryName: {names:?}")
    };
    let cn =
        dn.0.iter()
            .flat_map(|rdn| rdn.0.iter())
            .find(|atv| atv.oid == const_oid::db::rfc4519::COMMON_NAME)
            .unwrap();
    assert_eq!(der::Tagged::tag(&cn.value), der::Tag::Utf8String);
    assert_eq!(cn.value.value(), "山田太郎".as_bytes());

    let crldp = extension(&c, ids::ID_CE_CRL_DISTRIBUTION_POINTS).unwrap();
    let dps: Vec<DistributionPoint> = decode(crldp.extn_value.as_bytes());
    assert_eq!(
        uris_of(&dps[0]),
        ["http://127.0.0.1:8480/crl/hpki-sign-ca.crl"]
    );
}

#[test]
fn hpki_variants() {
    let pki = pki();
    let roles = |name: &str| {
        extension(&cert(pki, name), ids::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES)
            .map(|e| hcrole::hc_roles_from_sda(e.extn_value.as_bytes()).unwrap())
    };
    let mut multi = roles("hpki-signer-multirole").unwrap();
    multi.sort();
    assert_eq!(multi, ["Medical Doctor", "Pharmacist"]);
    assert_eq!(roles("hpki-signer-norole"), None);

    let auth = cert(pki, "hpki-auth");
    assert_eq!(policies(&auth), (true, vec![oid::HPKI_AUTH_POLICY]));
    assert_eq!(
        key_usage(&auth).1,
        KeyUsage(KeyUsages::DigitalSignature.into())
    );
    let wrong = cert(pki, "hpki-signer-wrong-ku");
    assert_eq!(
        key_usage(&wrong),
        (true, KeyUsage(KeyUsages::DigitalSignature.into()))
    );

    for (ca, policy) in [
        ("hpki-sign-ca", oid::HPKI_SIGN_CA_POLICY),
        ("hpki-auth-ca", oid::HPKI_AUTH_CA_POLICY),
    ] {
        let c = cert(pki, ca);
        assert_eq!(policies(&c), (true, vec![policy]));
        let bc = extension(&c, ids::ID_CE_BASIC_CONSTRAINTS).unwrap();
        assert!(bc.critical);
        let bc: BasicConstraints = decode(bc.extn_value.as_bytes());
        assert!(bc.ca);
        assert_eq!(bc.path_len_constraint, Some(0));
        assert_eq!(
            key_usage(&c),
            (true, KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))
        );
    }
    let root = cert(pki, "root-ca");
    assert!(extension(&root, ids::ID_CE_CERTIFICATE_POLICIES).is_none());
    assert!(extension(&root, ids::ID_CE_CRL_DISTRIBUTION_POINTS).is_none());
}

#[test]
fn accredited_ocsp_and_tsa_profiles() {
    let pki = pki();
    let signer = cert(pki, "accredited-signer");
    assert_eq!(
        key_usage(&signer),
        (
            true,
            KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)
        )
    );
    assert_eq!(
        policies(&signer).1,
        [kenpo_testpki::ACCREDITED_SIGNER_POLICY]
    );
    assert_eq!(
        policies(&cert(pki, "accredited-ca")),
        (false, vec![kenpo_testpki::ACCREDITED_CA_POLICY])
    );
    let aia = extension(&signer, ids::ID_PE_AUTHORITY_INFO_ACCESS).unwrap();
    let aia: Vec<AccessDescription> = decode(aia.extn_value.as_bytes());
    let aia: Vec<(ObjectIdentifier, String)> = aia
        .into_iter()
        .map(|a| match a.access_location {
            GeneralName::UniformResourceIdentifier(u) => (a.access_method, u.to_string()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        aia,
        [
            (ids::ID_AD_OCSP, "http://127.0.0.1:8480/ocsp".to_owned()),
            (
                ids::ID_AD_CA_ISSUERS,
                "http://127.0.0.1:8480/ca/accredited-ca.der".to_owned()
            ),
        ]
    );
    assert!(extension(&signer, ids::ID_CE_CRL_DISTRIBUTION_POINTS).is_some());

    for (name, issuer) in [
        ("ocsp-responder", "accredited-ca"),
        ("hpki-ocsp-responder", "hpki-sign-ca"),
    ] {
        assert_eq!(pki.entity(name).unwrap().issuer.as_deref(), Some(issuer));
        let c = cert(pki, name);
        let eku = extension(&c, ids::ID_CE_EXT_KEY_USAGE).unwrap();
        assert!(eku.critical);
        assert_eq!(
            decode::<Vec<ObjectIdentifier>>(eku.extn_value.as_bytes()),
            [oid::KP_OCSP_SIGNING]
        );
        let nocheck = extension(&c, oid::OCSP_NOCHECK).unwrap();
        assert_eq!(nocheck.extn_value.as_bytes(), Null.to_der().unwrap());
        assert_eq!(
            key_usage(&c).1,
            KeyUsage(KeyUsages::DigitalSignature.into())
        );
    }

    let eku = |name: &str| {
        extension(&cert(pki, name), ids::ID_CE_EXT_KEY_USAGE).map(|e| {
            (
                e.critical,
                decode::<Vec<ObjectIdentifier>>(e.extn_value.as_bytes()),
            )
        })
    };
    for tsa in ["tsa", "tsa-ecdsa", "tsa-rsa3072", "tsa-expired"] {
        assert_eq!(eku(tsa), Some((true, vec![oid::KP_TIME_STAMPING])), "{tsa}");
        assert_eq!(pki.entity(tsa).unwrap().issuer.as_deref(), Some("tsa-ca"));
    }
    assert_eq!(eku("tsa-no-eku"), None);
    assert_eq!(
        eku("tsa-eku-noncritical"),
        Some((false, vec![oid::KP_TIME_STAMPING]))
    );
}

#[test]
fn validity_windows_follow_now() {
    let pki = pki();
    let now = fixed_now().unix_timestamp();
    let day = 86_400;
    let year = 365 * day;
    let window = |name: &str| {
        let v = cert(pki, name).tbs_certificate.validity;
        (seconds(&v.not_before) - now, seconds(&v.not_after) - now)
    };
    assert_eq!(window("root-ca"), (-year, 20 * year));
    assert_eq!(window("tsa-ca"), (-year, 15 * year));
    assert_eq!(window("hpki-signer"), (-30 * day, 2 * year));
    assert_eq!(window("hpki-signer-expired"), (-3 * year, -year));
    assert_eq!(window("hpki-signer-notyet"), (30 * day, 2 * year));
    assert_eq!(window("tsa"), (-30 * day, 5 * year));
    assert_eq!(window("tsa-expired"), (-2 * year, -year));
    assert_eq!(window("ocsp-responder"), (-30 * day, year));
    // Every entity but the negative ones is valid at `now`.
    for e in pki.entities() {
        let (nb, na) = window(&e.name);
        let negative = e.name.ends_with("-expired") || e.name.ends_with("-notyet");
        assert_eq!(nb <= 0 && na > 0, !negative, "{}", e.name);
    }
    // Dates past 2049 are GeneralizedTime (keys are cached, so this is cheap).
    let later = kenpo_testpki::generate(&Config::at(time::macros::datetime!(2035-06-01 00:00 UTC)))
        .unwrap();
    let root = cert(&later, "root-ca").tbs_certificate.validity;
    assert!(matches!(root.not_before, Time::UtcTime(_)));
    assert!(matches!(root.not_after, Time::GeneralTime(_)));
}

#[test]
fn crls_and_revocations() {
    let pki = pki();
    let now = fixed_now().unix_timestamp();
    let revoked = pki.revoked();
    assert_eq!(revoked.len(), 2);
    for r in revoked {
        assert_eq!(r.time, fixed_now() - Duration::days(1));
        assert_eq!(r.reason, Some(1));
        let c = cert(pki, &r.subject);
        assert_eq!(
            c.tbs_certificate.serial_number.as_bytes(),
            r.serial.as_slice()
        );
        assert_eq!(
            pki.entity(&r.subject).unwrap().issuer.as_ref(),
            Some(&r.issuer)
        );
    }
    let subjects: Vec<&str> = revoked.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["hpki-signer-revoked", "accredited-signer-revoked"]
    );

    for crl in pki.crls() {
        let list: CertificateList = decode(&crl.der);
        let tbs = &list.tbs_cert_list;
        assert_eq!(tbs.version, x509_cert::Version::V2);
        assert_eq!(seconds(&tbs.this_update) - now, -3600);
        assert_eq!(seconds(tbs.next_update.as_ref().unwrap()) - now, 7 * 86_400);
        let exts = tbs.crl_extensions.as_deref().unwrap();
        assert!(exts.iter().any(|e| e.extn_id == ids::ID_CE_CRL_NUMBER));
        assert!(
            exts.iter()
                .any(|e| e.extn_id == ids::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        );
        let idp = exts
            .iter()
            .find(|e| e.extn_id == ids::ID_CE_ISSUING_DISTRIBUTION_POINT);
        assert_eq!(idp.is_some(), crl.issuer == "root-ca");

        let expected: Vec<&[u8]> = revoked
            .iter()
            .filter(|r| r.issuer == crl.issuer)
            .map(|r| r.serial.as_slice())
            .collect();
        let listed = tbs.revoked_certificates.as_deref().unwrap_or_default();
        let serials: Vec<&[u8]> = listed.iter().map(|r| r.serial_number.as_bytes()).collect();
        assert_eq!(serials, expected, "{}", crl.issuer);
        for entry in listed {
            assert_eq!(seconds(&entry.revocation_date) - now, -86_400);
            let ext = &entry.crl_entry_extensions.as_deref().unwrap()[0];
            assert_eq!(ext.extn_id, ids::ID_CE_CRL_REASONS);
            let reason: x509_cert::ext::pkix::CrlReason = decode(ext.extn_value.as_bytes());
            assert_eq!(reason, x509_cert::ext::pkix::CrlReason::KeyCompromise);
        }
    }
}

#[test]
fn arl_scope_matches_sub_ca_crldp() {
    let pki = pki();
    let arl: CertificateList = decode(&pki.crl("root-ca").unwrap().der);
    let idp = arl
        .tbs_cert_list
        .crl_extensions
        .as_deref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == ids::ID_CE_ISSUING_DISTRIBUTION_POINT)
        .unwrap();
    assert!(idp.critical);
    let idp: IssuingDistributionPoint = decode(idp.extn_value.as_bytes());
    assert!(idp.only_contains_ca_certs);
    assert!(!idp.only_contains_user_certs);
    let idp_uris = uris_of(&DistributionPoint {
        distribution_point: idp.distribution_point,
        reasons: None,
        crl_issuer: None,
    });
    assert_eq!(idp_uris, ["http://127.0.0.1:8480/crl/root-ca.crl"]);
    for sub in ["hpki-sign-ca", "hpki-auth-ca"] {
        let c = cert(pki, sub);
        let ext = extension(&c, ids::ID_CE_CRL_DISTRIBUTION_POINTS).unwrap();
        let dps: Vec<DistributionPoint> = decode(ext.extn_value.as_bytes());
        assert_eq!(uris_of(&dps[0]), idp_uris, "{sub}");
    }
}

#[test]
fn write_to_writes_every_file() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/pki");
    let files = pki.write_to(&out).unwrap();
    assert_eq!(files.len(), 1 + 3 * pki.entities().len() + pki.crls().len());
    for f in &files {
        assert!(f.is_file(), "{}", f.display());
    }
    assert!(out.join("KEYS-ARE-TEST-ONLY.txt").is_file());
    let signer = pki.entity("hpki-signer").unwrap();
    assert_eq!(
        std::fs::read(out.join("hpki-signer.der")).unwrap(),
        signer.cert_der
    );
    assert_eq!(
        std::fs::read_to_string(out.join("hpki-signer.pem")).unwrap(),
        signer.cert_pem()
    );
    assert_eq!(
        std::fs::read_to_string(out.join("hpki-signer.key.pem")).unwrap(),
        signer.key_pem()
    );
    assert_eq!(
        std::fs::read(out.join("hpki-sign-ca.crl")).unwrap(),
        pki.crl("hpki-sign-ca").unwrap().der
    );
}

/// Keys are derived from `(seed, name)` only, so they must never change silently: other
/// crates' checked-in test vectors may depend on them. If this fails after a dependency
/// update (e.g. `rsa` changing its prime generation), the derivation changed; update the
/// values deliberately and say so in the changelog.
#[test]
fn key_derivation_is_stable_across_versions() {
    use sha2::Digest;
    let pki = pki();
    for (name, expected) in [
        (
            "hpki-signer",
            "10591dd318c8533c47f499cd47fbd3857036616a6aed5314580bed8a7a57ca35",
        ),
        (
            "accredited-root",
            "604b4872f5ed7c2841e87f5bcb426346ad1df984cd9534d0342de1b6e27f0126",
        ),
        (
            "tsa-ecdsa",
            "1b603a7cf2488246c6043f82352e7b266b59f1670e9b3bfe93cadec6b599f119",
        ),
        (
            "hpki-signer-rsa1024",
            "567475877f79eb493db8fba6c4a50344d8ecc57d9213ca3ec4ad5c25985368a3",
        ),
        (
            "tsa-rsa3072",
            "9d31a04a6129f01d855a77708222701ded9a9a1a1580249224bfcebf72901632",
        ),
    ] {
        let spki = cert(pki, name)
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        let hex: String = sha2::Sha256::digest(&spki)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected, "{name}");
    }
}
