//! The table of entities of the test PKI, in issuing order (issuers first).

use der::asn1::ObjectIdentifier;
use der::flagset::FlagSet;
use kenpo_core::oid;
use time::Duration;
use x509_cert::ext::pkix::KeyUsages;

use crate::keys::{KeyAlg, SigDigest};

/// Policy asserted (non-critical) by `accredited-ca`: `1.3.6.1.4.1.32473.27.1`.
///
/// Under the enterprise number reserved for documentation (RFC 5612). (`2.999.…` would be
/// the natural example arc, but const-oid 0.9 cannot encode a second arc above 39.)
pub const ACCREDITED_CA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.27.1");
/// Policy of the `accredited-signer*` end-entity certificates: `1.3.6.1.4.1.32473.27.1.1`.
pub const ACCREDITED_SIGNER_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.27.1.1");

/// CRLReason keyCompromise.
pub(crate) const KEY_COMPROMISE: u8 = 1;

/// The certificate profile of an entity.
pub(crate) enum Kind {
    /// Self-signed root CA: basicConstraints cA, keyCertSign+cRLSign, no policies.
    Root,
    /// Subordinate CA, pathLen 0, CRLDP to its issuer's CRL, optional (policy, critical).
    SubCa {
        policy: Option<(ObjectIdentifier, bool)>,
    },
    /// HPKI end entity: critical policy, critical keyUsage, kanji SAN directoryName,
    /// hcRole (omitted when `roles` is empty), CRLDP; no basicConstraints/EKU/AIA.
    Hpki {
        policy: ObjectIdentifier,
        usages: FlagSet<KeyUsages>,
        roles: &'static [&'static str],
        kanji_cn: &'static str,
    },
    /// Accredited-business signer: KU digitalSignature+nonRepudiation, policy
    /// [`ACCREDITED_SIGNER_POLICY`], AIA (OCSP + caIssuers) and CRLDP.
    Accredited,
    /// OCSP responder: KU digitalSignature, critical EKU OCSPSigning, ocsp-nocheck.
    OcspResponder,
    /// Time-stamping unit: KU digitalSignature+nonRepudiation, CRLDP, and an EKU
    /// timeStamping that is absent (`None`) or has the given criticality.
    Tsa { eku_critical: Option<bool> },
}

/// One entity of the test PKI.
pub(crate) struct Spec {
    pub name: &'static str,
    pub description: &'static str,
    pub issuer: Option<&'static str>,
    pub key: KeyAlg,
    /// Subject organizationName (the subject is `C=JP, O=.., OU=TEST ONLY, CN=..`).
    pub org: &'static str,
    /// Subject commonName.
    pub cn: &'static str,
    pub kind: Kind,
    /// notBefore and notAfter relative to the reference time.
    pub validity: (Duration, Duration),
    /// Digest the issuer signs this certificate with, if not its default.
    pub digest: Option<SigDigest>,
    /// Revocation (time relative to the reference time, CRLReason code) on the issuer's CRL.
    pub revoked: Option<(Duration, u8)>,
}

/// CRL issuers, in output order, with whether the CRL is an ARL (critical
/// issuingDistributionPoint with onlyContainsCACerts, like the MHLW root's ARL).
pub(crate) const CRL_ISSUERS: &[(&str, bool)] = &[
    ("root-ca", true),
    ("hpki-sign-ca", false),
    ("hpki-auth-ca", false),
    ("accredited-root", false),
    ("accredited-ca", false),
    ("tsa-ca", false),
];

const fn days(n: i64) -> Duration {
    Duration::days(n)
}

const fn years(n: i64) -> Duration {
    Duration::days(365 * n)
}

const RSA2048: KeyAlg = KeyAlg::Rsa(2048);
const CA_ORG: &str = "kenpo-sign test";
const HOSPITAL: &str = "Kenpo Test Hospital";
/// organizationName of the kanji SAN directoryName (健保テスト病院).
pub(crate) const HOSPITAL_KANJI: &str = "健保テスト病院";
const DOCTOR: &[&str] = &["Medical Doctor"];

fn hpki_signer(kanji_cn: &'static str, roles: &'static [&'static str]) -> Kind {
    Kind::Hpki {
        policy: oid::HPKI_SIGNER_POLICY,
        usages: KeyUsages::NonRepudiation.into(),
        roles,
        kanji_cn,
    }
}

/// An end entity under `hpki-sign-ca` with the hpki-signer profile.
fn signer(name: &'static str, description: &'static str, cn: &'static str) -> Spec {
    Spec {
        name,
        description,
        issuer: Some("hpki-sign-ca"),
        key: RSA2048,
        org: HOSPITAL,
        cn,
        kind: hpki_signer("山田太郎", DOCTOR),
        validity: (-days(30), years(2)),
        digest: None,
        revoked: None,
    }
}

fn ca(
    name: &'static str,
    description: &'static str,
    issuer: Option<&'static str>,
    key: KeyAlg,
    cn: &'static str,
    kind: Kind,
    validity: (Duration, Duration),
) -> Spec {
    Spec {
        name,
        description,
        issuer,
        key,
        org: CA_ORG,
        cn,
        kind,
        validity,
        digest: None,
        revoked: None,
    }
}

fn tsa(name: &'static str, description: &'static str, cn: &'static str) -> Spec {
    Spec {
        name,
        description,
        issuer: Some("tsa-ca"),
        key: RSA2048,
        org: CA_ORG,
        cn,
        kind: Kind::Tsa {
            eku_critical: Some(true),
        },
        validity: (-days(30), years(5)),
        digest: None,
        revoked: None,
    }
}

fn ocsp_responder(
    name: &'static str,
    description: &'static str,
    issuer: &'static str,
    cn: &'static str,
) -> Spec {
    Spec {
        name,
        description,
        issuer: Some(issuer),
        key: RSA2048,
        org: CA_ORG,
        cn,
        kind: Kind::OcspResponder,
        validity: (-days(30), years(1)),
        digest: None,
        revoked: None,
    }
}

fn accredited(name: &'static str, description: &'static str, key: KeyAlg) -> Spec {
    Spec {
        name,
        description,
        issuer: Some("accredited-ca"),
        key,
        org: "Kenpo Test Clinic",
        cn: "TANAKA Jiro",
        kind: Kind::Accredited,
        validity: (-days(30), years(2)),
        digest: None,
        revoked: None,
    }
}

/// All entities, issuers before the certificates they issue.
pub(crate) fn specs() -> Vec<Spec> {
    let ca_validity = (-years(1), years(10));
    vec![
        // ---- HPKI branch ------------------------------------------------------------------
        ca(
            "root-ca",
            "MHLW-style HPKI root CA (self-signed, no certificatePolicies)",
            None,
            RSA2048,
            "Test HPKI Root CA",
            Kind::Root,
            (-years(1), years(20)),
        ),
        ca(
            "hpki-sign-ca",
            "HPKI signature CA (critical policy 1.2.392.100495.1.5.1.1.3.1), under root-ca",
            Some("root-ca"),
            RSA2048,
            "Test HPKI Sign CA forNonRepudiation",
            Kind::SubCa {
                policy: Some((oid::HPKI_SIGN_CA_POLICY, true)),
            },
            ca_validity,
        ),
        ca(
            "hpki-auth-ca",
            "HPKI authentication CA (critical policy 1.2.392.100495.1.5.1.2.3.1), under root-ca",
            Some("root-ca"),
            RSA2048,
            "Test HPKI Auth CA",
            Kind::SubCa {
                policy: Some((oid::HPKI_AUTH_CA_POLICY, true)),
            },
            ca_validity,
        ),
        signer(
            "hpki-signer",
            "HPKI signer (Medical Doctor): KU nonRepudiation only, hcRole, kanji SAN",
            "YAMADA Taro",
        ),
        Spec {
            kind: hpki_signer("佐藤花子", &["Medical Doctor", "Pharmacist"]),
            ..signer(
                "hpki-signer-multirole",
                "HPKI signer with two hcRole entries (Medical Doctor, Pharmacist)",
                "SATO Hanako",
            )
        },
        Spec {
            kind: hpki_signer("鈴木一郎", &[]),
            ..signer(
                "hpki-signer-norole",
                "HPKI signer without subjectDirectoryAttributes (no hcRole; legal)",
                "SUZUKI Ichiro",
            )
        },
        Spec {
            issuer: Some("hpki-auth-ca"),
            kind: Kind::Hpki {
                policy: oid::HPKI_AUTH_POLICY,
                usages: KeyUsages::DigitalSignature.into(),
                roles: DOCTOR,
                kanji_cn: "山田太郎",
            },
            ..signer(
                "hpki-auth",
                "HPKI authentication certificate (policy ...1.5.1.2.0.1): not for signatures",
                "YAMADA Taro",
            )
        },
        ocsp_responder(
            "hpki-ocsp-responder",
            "OCSP responder for hpki-sign-ca",
            "hpki-sign-ca",
            "Test HPKI OCSP Responder",
        ),
        Spec {
            validity: (-years(3), -years(1)),
            ..signer(
                "hpki-signer-expired",
                "HPKI signer, expired (now-3y .. now-1y)",
                "YAMADA Taro (expired)",
            )
        },
        Spec {
            validity: (days(30), years(2)),
            ..signer(
                "hpki-signer-notyet",
                "HPKI signer, not yet valid (now+30d .. now+2y)",
                "YAMADA Taro (not yet valid)",
            )
        },
        Spec {
            revoked: Some((-days(1), KEY_COMPROMISE)),
            ..signer(
                "hpki-signer-revoked",
                "HPKI signer revoked on hpki-sign-ca's CRL (now-1d, keyCompromise)",
                "YAMADA Taro (revoked)",
            )
        },
        Spec {
            kind: Kind::Hpki {
                policy: oid::HPKI_SIGNER_POLICY,
                usages: KeyUsages::DigitalSignature.into(),
                roles: DOCTOR,
                kanji_cn: "山田太郎",
            },
            ..signer(
                "hpki-signer-wrong-ku",
                "HPKI signer with keyUsage digitalSignature only (no nonRepudiation)",
                "YAMADA Taro (wrong key usage)",
            )
        },
        Spec {
            key: KeyAlg::Rsa(1024),
            ..signer(
                "hpki-signer-rsa1024",
                "HPKI signer with a weak RSA-1024 key",
                "YAMADA Taro (RSA-1024)",
            )
        },
        Spec {
            digest: Some(SigDigest::Sha1),
            ..signer(
                "hpki-signer-sha1",
                "HPKI signer whose certificate is signed with sha1WithRSAEncryption",
                "YAMADA Taro (SHA-1)",
            )
        },
        // ---- accredited certification business (認定特定認証事業者) branch -------------------
        ca(
            "accredited-root",
            "Root CA of an accredited certification business (P-384, self-signed)",
            None,
            KeyAlg::P384,
            "Test Accredited Root CA",
            Kind::Root,
            (-years(1), years(20)),
        ),
        ca(
            "accredited-ca",
            "Accredited signing CA (P-256, non-critical example policy), under accredited-root",
            Some("accredited-root"),
            KeyAlg::P256,
            "Test Accredited Signing CA",
            Kind::SubCa {
                policy: Some((ACCREDITED_CA_POLICY, false)),
            },
            ca_validity,
        ),
        accredited(
            "accredited-signer",
            "Accredited-business signer (RSA-2048): KU dS+nR, AIA OCSP+caIssuers, CRLDP",
            RSA2048,
        ),
        accredited(
            "accredited-signer-ecdsa",
            "Accredited-business signer with a P-256 key",
            KeyAlg::P256,
        ),
        Spec {
            cn: "TANAKA Jiro (revoked)",
            revoked: Some((-days(1), KEY_COMPROMISE)),
            ..accredited(
                "accredited-signer-revoked",
                "Accredited-business signer revoked on accredited-ca's CRL (now-1d, keyCompromise)",
                RSA2048,
            )
        },
        ocsp_responder(
            "ocsp-responder",
            "OCSP responder for accredited-ca",
            "accredited-ca",
            "Test Accredited OCSP Responder",
        ),
        // ---- time-stamping hierarchy -------------------------------------------------------
        ca(
            "tsa-ca",
            "Self-signed root of the time-stamping hierarchy",
            None,
            RSA2048,
            "Test TSA Root CA",
            Kind::Root,
            (-years(1), years(15)),
        ),
        tsa(
            "tsa",
            "TSA (RSA-2048): critical EKU timeStamping only",
            "Test TSA",
        ),
        Spec {
            key: KeyAlg::P256,
            ..tsa("tsa-ecdsa", "TSA with a P-256 key", "Test TSA (ECDSA)")
        },
        Spec {
            key: KeyAlg::Rsa(3072),
            ..tsa(
                "tsa-rsa3072",
                "TSA with an RSA-3072 key (algorithm-sunset tests)",
                "Test TSA (RSA-3072)",
            )
        },
        Spec {
            validity: (-years(2), -years(1)),
            ..tsa(
                "tsa-expired",
                "TSA, expired (now-2y .. now-1y)",
                "Test TSA (expired)",
            )
        },
        Spec {
            kind: Kind::Tsa { eku_critical: None },
            ..tsa(
                "tsa-no-eku",
                "TSA without extendedKeyUsage (negative)",
                "Test TSA (no EKU)",
            )
        },
        Spec {
            kind: Kind::Tsa {
                eku_critical: Some(false),
            },
            ..tsa(
                "tsa-eku-noncritical",
                "TSA with a non-critical EKU timeStamping (negative per RFC 3161)",
                "Test TSA (EKU not critical)",
            )
        },
        // Last, so that adding it changed no other entity.
        Spec {
            validity: (-days(30), years(3)),
            ..tsa(
                "tsa-short",
                "TSA valid now-30d .. now+3y: expires between the signers and the other TSAs",
                "Test TSA (short-lived)",
            )
        },
    ]
}
