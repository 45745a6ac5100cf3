//! RFC 5280 §6.3.3 CRL processing through the [`Checker`] on NIST PKITS data: the
//! end-entity certificate of every case of PKITS 4.4.19–21 (separate CRL-signing keys),
//! 4.14 (distribution points, reason partitions, indirect CRLs with cRLIssuer and
//! certificateIssuer) and 4.15 (delta CRLs), checked against its issuer with the case's
//! CRLs and certificates. Skipped when the data is absent, a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kenpo_core::cert::CertRef;
use kenpo_revocation::names::names_equal;
use kenpo_revocation::{Checker, RevocationStatus};
use time::OffsetDateTime;

use common::pkits;

const AT: OffsetDateTime = time::macros::datetime!(2022-01-01 00:00 UTC);

/// What PKITS expects for the end entity's revocation status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Good,
    Revoked,
    Unknown,
}
use Expect::{Good, Revoked, Unknown};

type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Expect,
);

/// (PKITS id, end entity, other certificates, CRLs besides the trust anchor's, expected).
const CASES: &[Case] = &[
    (
        "40419",
        "ValidSeparateCertificateandCRLKeysTest19EE",
        &[
            "SeparateCertificateandCRLKeysCertificateSigningCACert",
            "SeparateCertificateandCRLKeysCRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCRL"],
        Good,
    ),
    (
        "40420",
        "InvalidSeparateCertificateandCRLKeysTest20EE",
        &[
            "SeparateCertificateandCRLKeysCertificateSigningCACert",
            "SeparateCertificateandCRLKeysCRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCRL"],
        Revoked,
    ),
    (
        "40421",
        "InvalidSeparateCertificateandCRLKeysTest21EE",
        &[
            "SeparateCertificateandCRLKeysCA2CertificateSigningCACert",
            "SeparateCertificateandCRLKeysCA2CRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCA2CRL"],
        Unknown,
    ),
    (
        "41401",
        "ValiddistributionPointTest1EE",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        Good,
    ),
    (
        "41402",
        "InvaliddistributionPointTest2EE",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        Revoked,
    ),
    (
        "41403",
        "InvaliddistributionPointTest3EE",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        Unknown,
    ),
    (
        "41404",
        "ValiddistributionPointTest4EE",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        Good,
    ),
    (
        "41405",
        "ValiddistributionPointTest5EE",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        Good,
    ),
    (
        "41406",
        "InvaliddistributionPointTest6EE",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        Revoked,
    ),
    (
        "41407",
        "ValiddistributionPointTest7EE",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        Good,
    ),
    (
        "41408",
        "InvaliddistributionPointTest8EE",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        Unknown,
    ),
    (
        "41409",
        "InvaliddistributionPointTest9EE",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        Unknown,
    ),
    (
        "41410",
        "ValidNoissuingDistributionPointTest10EE",
        &["NoissuingDistributionPointCACert"],
        &["NoissuingDistributionPointCACRL"],
        Good,
    ),
    (
        "41411",
        "InvalidonlyContainsUserCertsTest11EE",
        &["onlyContainsUserCertsCACert"],
        &["onlyContainsUserCertsCACRL"],
        Unknown,
    ),
    (
        "41412",
        "InvalidonlyContainsCACertsTest12EE",
        &["onlyContainsCACertsCACert"],
        &["onlyContainsCACertsCACRL"],
        Unknown,
    ),
    (
        "41413",
        "ValidonlyContainsCACertsTest13EE",
        &["onlyContainsCACertsCACert"],
        &["onlyContainsCACertsCACRL"],
        Good,
    ),
    (
        "41414",
        "InvalidonlyContainsAttributeCertsTest14EE",
        &["onlyContainsAttributeCertsCACert"],
        &["onlyContainsAttributeCertsCACRL"],
        Unknown,
    ),
    (
        "41415",
        "InvalidonlySomeReasonsTest15EE",
        &["onlySomeReasonsCA1Cert"],
        &[
            "onlySomeReasonsCA1compromiseCRL",
            "onlySomeReasonsCA1otherreasonsCRL",
        ],
        Revoked,
    ),
    (
        "41416",
        "InvalidonlySomeReasonsTest16EE",
        &["onlySomeReasonsCA1Cert"],
        &[
            "onlySomeReasonsCA1compromiseCRL",
            "onlySomeReasonsCA1otherreasonsCRL",
        ],
        Revoked,
    ),
    (
        "41417",
        "InvalidonlySomeReasonsTest17EE",
        &["onlySomeReasonsCA2Cert"],
        &["onlySomeReasonsCA2CRL1", "onlySomeReasonsCA2CRL2"],
        Unknown,
    ),
    (
        "41418",
        "ValidonlySomeReasonsTest18EE",
        &["onlySomeReasonsCA3Cert"],
        &[
            "onlySomeReasonsCA3compromiseCRL",
            "onlySomeReasonsCA3otherreasonsCRL",
        ],
        Good,
    ),
    (
        "41419",
        "ValidonlySomeReasonsTest19EE",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        Good,
    ),
    (
        "41420",
        "InvalidonlySomeReasonsTest20EE",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        Revoked,
    ),
    (
        "41421",
        "InvalidonlySomeReasonsTest21EE",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        Revoked,
    ),
    (
        "41422",
        "ValidIDPwithindirectCRLTest22EE",
        &["indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        Good,
    ),
    (
        "41423",
        "InvalidIDPwithindirectCRLTest23EE",
        &["indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        Revoked,
    ),
    (
        "41424",
        "ValidIDPwithindirectCRLTest24EE",
        &["indirectCRLCA1Cert", "indirectCRLCA2Cert"],
        &["indirectCRLCA1CRL"],
        Good,
    ),
    (
        "41425",
        "ValidIDPwithindirectCRLTest25EE",
        &["indirectCRLCA1Cert", "indirectCRLCA2Cert"],
        &["indirectCRLCA1CRL"],
        Good,
    ),
    (
        "41426",
        "InvalidIDPwithindirectCRLTest26EE",
        &["indirectCRLCA1Cert", "indirectCRLCA2Cert"],
        &["indirectCRLCA1CRL"],
        Unknown,
    ),
    (
        "41427",
        "InvalidcRLIssuerTest27EE",
        &["GoodCACert", "indirectCRLCA2Cert"],
        &["GoodCACRL"],
        Unknown,
    ),
    (
        "41428",
        "ValidcRLIssuerTest28EE",
        &["indirectCRLCA3Cert", "indirectCRLCA3cRLIssuerCert"],
        &["indirectCRLCA3CRL", "indirectCRLCA3cRLIssuerCRL"],
        Good,
    ),
    (
        "41429",
        "ValidcRLIssuerTest29EE",
        &["indirectCRLCA3Cert", "indirectCRLCA3cRLIssuerCert"],
        &["indirectCRLCA3CRL", "indirectCRLCA3cRLIssuerCRL"],
        Good,
    ),
    (
        "41430",
        "ValidcRLIssuerTest30EE",
        &["indirectCRLCA4Cert", "indirectCRLCA4cRLIssuerCert"],
        &["indirectCRLCA4cRLIssuerCRL"],
        Good,
    ),
    (
        "41431",
        "InvalidcRLIssuerTest31EE",
        &["indirectCRLCA5Cert", "indirectCRLCA6Cert"],
        &["indirectCRLCA5CRL"],
        Revoked,
    ),
    (
        "41432",
        "InvalidcRLIssuerTest32EE",
        &["indirectCRLCA5Cert", "indirectCRLCA6Cert"],
        &["indirectCRLCA5CRL"],
        Revoked,
    ),
    (
        "41433",
        "ValidcRLIssuerTest33EE",
        &["indirectCRLCA5Cert", "indirectCRLCA6Cert"],
        &["indirectCRLCA5CRL"],
        Good,
    ),
    (
        "41434",
        "InvalidcRLIssuerTest34EE",
        &["indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        Revoked,
    ),
    (
        "41435",
        "InvalidcRLIssuerTest35EE",
        &["indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        Unknown,
    ),
    (
        "41501",
        "InvaliddeltaCRLIndicatorNoBaseTest1EE",
        &["deltaCRLIndicatorNoBaseCACert"],
        &["deltaCRLIndicatorNoBaseCACRL"],
        Unknown,
    ),
    (
        "41502",
        "ValiddeltaCRLTest2EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Good,
    ),
    (
        "41503",
        "InvaliddeltaCRLTest3EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Revoked,
    ),
    (
        "41504",
        "InvaliddeltaCRLTest4EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Revoked,
    ),
    (
        "41505",
        "ValiddeltaCRLTest5EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Good,
    ),
    (
        "41506",
        "InvaliddeltaCRLTest6EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Revoked,
    ),
    (
        "41507",
        "ValiddeltaCRLTest7EE",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        Good,
    ),
    (
        "41508",
        "ValiddeltaCRLTest8EE",
        &["deltaCRLCA2Cert"],
        &["deltaCRLCA2CRL", "deltaCRLCA2deltaCRL"],
        Good,
    ),
    (
        "41509",
        "InvaliddeltaCRLTest9EE",
        &["deltaCRLCA2Cert"],
        &["deltaCRLCA2CRL", "deltaCRLCA2deltaCRL"],
        Revoked,
    ),
    (
        "41510",
        "InvaliddeltaCRLTest10EE",
        &["deltaCRLCA3Cert"],
        &["deltaCRLCA3CRL", "deltaCRLCA3deltaCRL"],
        Unknown,
    ),
];

fn status(d: &pkits::Data, case: &Case) -> RevocationStatus {
    let (_, ee, others, crls, _) = case;
    let ee = d.cert(ee);
    let others: Vec<Vec<u8>> = others.iter().map(|n| d.cert(n)).collect();
    let issuer_name = CertRef::parse(&ee).unwrap().issuer.to_vec();
    let issuer = others
        .iter()
        .find(|c| names_equal(CertRef::parse(c).unwrap().subject, &issuer_name))
        .expect("the issuer is among the case's certificates")
        .clone();
    let mut all_crls = vec![d.crl("TrustAnchorRootCRL")];
    all_crls.extend(crls.iter().map(|n| d.crl(n)));
    let checker = Checker::new()
        .with_crls(all_crls)
        .with_crl_signer_candidates(others)
        .with_trust_anchors(vec![d.anchor()])
        .offline(true);
    checker.check_on_path(&ee, &issuer, &d.anchor(), AT).status
}

fn kind(s: &RevocationStatus) -> Expect {
    match s {
        RevocationStatus::Good { .. } => Good,
        RevocationStatus::Revoked { .. } => Revoked,
        RevocationStatus::Unknown { .. } => Unknown,
    }
}

#[test]
fn every_revocation_case_gives_the_expected_status() {
    let Some(d) = pkits::data() else { return };
    let mut wrong = Vec::new();
    for case in CASES {
        let s = status(&d, case);
        if kind(&s) != case.4 {
            wrong.push(format!(
                "{} {}: expected {:?}, got {s:?}",
                case.0, case.1, case.4
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn case(id: &str) -> &'static Case {
    CASES.iter().find(|c| c.0 == id).unwrap()
}

#[test]
fn revocation_details_come_from_the_right_crl() {
    let Some(d) = pkits::data() else { return };
    // 4.15.4: listed on the delta CRL only, revoked 2010-06-01.
    match status(&d, case("41504")) {
        RevocationStatus::Revoked { time, source, .. } => {
            assert_eq!(time, time::macros::datetime!(2010-06-01 08:30 UTC));
            assert!(source.contains("with delta"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    // 4.14.16: certificateHold on the "other reasons" partition.
    match status(&d, case("41416")) {
        RevocationStatus::Revoked { reason, .. } => assert_eq!(reason, Some(6)),
        other => panic!("{other:?}"),
    }
    // 4.14.31: listed under certificateIssuer indirectCRL CA6 on CA5's CRL.
    match status(&d, case("41431")) {
        RevocationStatus::Revoked { reason, source, .. } => {
            assert_eq!(reason, Some(1));
            assert!(source.starts_with("supplied CRL #2"), "{source}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_statuses_say_why() {
    let Some(d) = pkits::data() else { return };
    let reason = |id: &str| match status(&d, case(id)) {
        RevocationStatus::Unknown { reason } => reason,
        other => panic!("{id}: {other:?}"),
    };
    // 4.14.17: the two CRLs together do not cover every reason.
    assert!(reason("41417").contains("only some revocation reasons"));
    // 4.15.10: the complete CRL is stale and the delta does not apply to it.
    let r = reason("41510");
    assert!(r.contains("BaseCRLNumber") && r.contains("stale"), "{r}");
    // 4.15.1: a delta CRL without its complete CRL.
    assert!(reason("41501").contains("delta CRL"));
    // 4.14.35: the distribution point names a CRL issuer whose CRL is not at hand.
    assert!(reason("41435").contains("none issued by"));
}

#[test]
fn good_answers_list_every_crl_used() {
    let Some(d) = pkits::data() else { return };
    let (_, ee, others, crls, _) = case("41419");
    let ee = d.cert(ee);
    let ca = d.cert(others[0]);
    let checker = Checker::new()
        .with_crls(crls.iter().map(|n| d.crl(n)).collect())
        .offline(true);
    let report = checker.check(&ee, &ca, AT);
    assert!(
        matches!(report.status, RevocationStatus::Good { .. }),
        "{report:?}"
    );
    // Two reason partitions: one as evidence, the other as more evidence.
    assert!(report.evidence.is_some());
    assert_eq!(report.more_evidence.len(), 1);
}
