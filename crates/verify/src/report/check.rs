//! Typed checks: what was checked ([`CheckKind`]) and what was found ([`Outcome`]).
//!
//! Validation records findings as these values; text is written only when a report is
//! printed or serialised: [`CheckKind::name`] is the contract name of the JSON report
//! (`signature`, `timestamp:archive-v3`, `path:revocation[0]` …), English details come
//! from the [`fmt::Display`] of [`Outcome`] (written in `report/detail.rs`), Japanese ones from
//! [`Outcome::render`] with [`super::Lang::Ja`] (falling back to English where no
//! Japanese text is written yet). Verdict logic matches on these values, never on text.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::{AlgError, DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cms::CmsError;
use kenpo_core::shared_cert::SharedCert;
use kenpo_sign::Profile;
use time::OffsetDateTime;

use super::{Lang, Text};
use crate::path::PathError;
use crate::sunset::KeySize;
use crate::validate::evidence::TimestampKind;

/// What a check is about. Its [`CheckKind::name`] is the `name` of the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckKind {
    /// `format`: the input is not a usable signature.
    Format,
    /// `certificate`: the input of `verify-cert` is not a certificate.
    Certificate,
    /// `signer-certificate`: the signer certificate was found.
    SignerCertificate,
    /// `digest-algorithm`: the signer's digest algorithm.
    DigestAlgorithm,
    /// `signature-algorithm`: the signer's signature algorithm.
    SignatureAlgorithm,
    /// `content-type`: the content-type signed attribute.
    ContentType,
    /// `message-digest`: the message-digest signed attribute against the content.
    MessageDigest,
    /// `signing-time`: the claimed signing time is readable.
    SigningTime,
    /// `signing-certificate` / `signing-certificate-v2`: the ESS attribute names the
    /// certificate used.
    SigningCertificate {
        /// signing-certificate-v2 (else v1).
        v2: bool,
    },
    /// `cms-algorithm-protection`: RFC 6211 attribute against the algorithms used.
    AlgorithmProtection,
    /// `content`: the content a signature without signed attributes covers.
    Content,
    /// `signature`: the signature value.
    SignatureValue,
    /// `counter-signature`: a countersignature that could not be read.
    CounterSignature,
    /// `signing-certificate-binding`: how the signer certificate is bound.
    SigningCertificateBinding,
    /// `algorithm-support`: an algorithm this build cannot check.
    AlgorithmSupport,
    /// `signed-data`: the signed data is available.
    SignedData,
    /// `profile`: the signer certificate meets the profile.
    Profile,
    /// `timestamp:<kind>`: one time-stamp.
    Timestamp(TimestampKind),
    /// `timestamp:tsa-control-time`: a TSA path and its control time.
    TsaControlTime,
    /// `timestamp-order`: time-stamps in the order EN 319 102-1 requires.
    TimestampOrder,
    /// `algorithm-sunset`: the signer's key at the best-signature-time.
    AlgorithmSunset,
    /// `best-signature-time`.
    BestSignatureTime,
    /// `revocation-data`: some revocation data source exists.
    RevocationData,
    /// `path`: the signer's certification path.
    Path,
    /// `path:<step>`: one step of the certification path's validation.
    PathStep(PathStep),
    /// `level`: the baseline level is below what the attributes claim.
    Level,
    /// `budget`: items beyond the processing limit.
    Budget,
}

/// One step of a certification path validation (index 0 = the leaf).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathStep {
    /// `signature[k]`: the certificate's signature and algorithms.
    Signature(usize),
    /// `validity[k]`: the validity period contains the validation time.
    Validity(usize),
    /// `name-constraints[k]`.
    NameConstraints(usize),
    /// `ca[k]`: basicConstraints of a CA.
    Ca(usize),
    /// `policies`: the policies valid along the path.
    Policies,
    /// `revocation[k]`.
    Revocation(usize),
    /// `leaf-usage`: key usage and profile of the leaf.
    LeafUsage,
}

impl PathStep {
    /// The step's name (`validity[0]`, `policies` …).
    pub fn name(self) -> Cow<'static, str> {
        self.name_in(Lang::En)
    }

    fn name_in(self, lang: Lang) -> Cow<'static, str> {
        let ((en, ja), k) = match self {
            Self::Signature(k) => (("signature", "証明書署名"), k),
            Self::Validity(k) => (("validity", "有効期間"), k),
            Self::NameConstraints(k) => (("name-constraints", "名前制約"), k),
            Self::Ca(k) => (("ca", "CA制約"), k),
            Self::Revocation(k) => (("revocation", "失効確認"), k),
            Self::Policies => return Cow::Borrowed(lang.pick("証明書ポリシー", "policies")),
            Self::LeafUsage => return Cow::Borrowed(lang.pick("鍵用途", "leaf-usage")),
        };
        Cow::Owned(format!("{}[{k}]", lang.pick(ja, en)))
    }
}

impl CheckKind {
    /// The contract name of the check (the JSON report's `name`).
    pub fn name(self) -> Cow<'static, str> {
        self.name_in(Lang::En)
    }

    /// The check's name in Japanese, for the text report.
    pub fn name_ja(self) -> Cow<'static, str> {
        self.name_in(Lang::Ja)
    }

    fn name_in(self, lang: Lang) -> Cow<'static, str> {
        let (en, ja) = match self {
            Self::Format => ("format", "形式"),
            Self::Certificate => ("certificate", "証明書"),
            Self::SignerCertificate => ("signer-certificate", "署名者証明書"),
            Self::DigestAlgorithm => ("digest-algorithm", "ダイジェストアルゴリズム"),
            Self::SignatureAlgorithm => ("signature-algorithm", "署名アルゴリズム"),
            Self::ContentType => ("content-type", "コンテンツタイプ"),
            Self::MessageDigest => ("message-digest", "メッセージダイジェスト"),
            Self::SigningTime => ("signing-time", "署名時刻"),
            Self::SigningCertificate { v2: false } => ("signing-certificate", "署名証明書属性"),
            Self::SigningCertificate { v2: true } => ("signing-certificate-v2", "署名証明書属性v2"),
            Self::AlgorithmProtection => ("cms-algorithm-protection", "アルゴリズム保護"),
            Self::Content => ("content", "署名対象コンテンツ"),
            Self::SignatureValue => ("signature", "署名値"),
            Self::CounterSignature => ("counter-signature", "副署名"),
            Self::SigningCertificateBinding => {
                ("signing-certificate-binding", "署名者証明書の結び付け")
            }
            Self::AlgorithmSupport => ("algorithm-support", "アルゴリズム対応"),
            Self::SignedData => ("signed-data", "署名対象データ"),
            Self::Profile => ("profile", "プロファイル"),
            Self::Timestamp(k) => match k {
                TimestampKind::Signature => ("timestamp:signature", "署名タイムスタンプ"),
                TimestampKind::Content => ("timestamp:content", "コンテンツタイムスタンプ"),
                TimestampKind::ArchiveV2 => ("timestamp:archive-v2", "アーカイブタイムスタンプv2"),
                TimestampKind::ArchiveV3 => ("timestamp:archive-v3", "アーカイブタイムスタンプv3"),
                TimestampKind::Archive => ("timestamp:archive", "アーカイブタイムスタンプ"),
                TimestampKind::Document => ("timestamp:document", "文書タイムスタンプ"),
            },
            Self::TsaControlTime => ("timestamp:tsa-control-time", "TSA証明書パスの確認時刻"),
            Self::TimestampOrder => ("timestamp-order", "タイムスタンプの順序"),
            Self::AlgorithmSunset => ("algorithm-sunset", "アルゴリズム有効期限"),
            Self::BestSignatureTime => ("best-signature-time", "最良署名時刻"),
            Self::RevocationData => ("revocation-data", "失効情報"),
            Self::Path => ("path", "証明書パス"),
            Self::PathStep(s) => {
                let path = lang.pick("証明書パス:", "path:");
                return Cow::Owned([path, &s.name_in(lang)].concat());
            }
            Self::Level => ("level", "レベル"),
            Self::Budget => ("budget", "処理上限"),
        };
        Cow::Borrowed(lang.pick(ja, en))
    }
}

/// Why a signature value could not be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotCheckable {
    /// An algorithm this build cannot check (named).
    Unsupported(String),
    /// The certificate, an algorithm or the content is missing.
    Missing,
}

/// Why a baseline level is below what the attributes claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelLimit {
    /// Signature time-stamps are present but none is valid.
    NoValidSignatureTimestamp,
    /// Archive time-stamps are present but none is valid.
    NoValidArchiveTimestamp,
}

/// Two time-stamps out of the order EN 319 102-1 §5.6.2.4 requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFailure {
    /// A content time-stamp is later than a signature time-stamp.
    ContentAfterSignature {
        /// The latest valid content time-stamp.
        content: OffsetDateTime,
        /// The earliest valid signature time-stamp.
        signature: OffsetDateTime,
    },
    /// A signature time-stamp is later than an archive time-stamp.
    SignatureAfterArchive {
        /// The latest valid signature time-stamp.
        signature: OffsetDateTime,
        /// The earliest valid archive time-stamp.
        archive: OffsetDateTime,
    },
}

/// What the token of a time-stamp gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    /// The token verifies; signed by this TSA certificate.
    Verifies(Arc<SharedCert>),
    /// It does not verify, and why.
    Fails(String),
}

/// What a time-stamp's imprint was compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImprintScope {
    /// What the format says it covers (signature value, content, document).
    Direct,
    /// An archive time-stamp of a countersignature: only verified as a token.
    Countersignature,
    /// An archive time-stamp: what its imprint covers, as the format describes it.
    Archive(String),
}

/// The findings on one time-stamp token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampFinding {
    /// The token's signature and structure.
    pub token: TokenOutcome,
    /// The TSTInfo could be read.
    pub tst_readable: bool,
    /// The imprint matches (`None`: not checked).
    pub imprint: Option<bool>,
    /// What the imprint covers.
    pub scope: ImprintScope,
}

/// A time-stamp as a report check: which one, when, whether valid, and its findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampOutcome {
    /// Which kind.
    pub kind: TimestampKind,
    /// genTime, when readable.
    pub gen_time: Option<OffsetDateTime>,
    /// Valid (token, imprint and TSA path).
    pub intact: bool,
    /// What was found.
    pub finding: TimestampFinding,
}

/// What a check found, with its data (rendered only at output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A text written by a lower layer (error messages of parsers and crypto).
    Text(Text),
    /// A required attribute or field is absent.
    Absent,
    /// An attribute could not be read (occurs twice, malformed …).
    Attribute(Box<CmsError>),
    /// The signer certificate: its subject.
    SignerCertificate(Arc<SharedCert>),
    /// No certificate matches the signer identifier (described).
    NoSignerCertificate(String),
    /// An algorithm, named.
    Algorithm(&'static str),
    /// An algorithm identifier that cannot be used.
    AlgorithmError(Box<AlgError>),
    /// The content type signed equals the content's.
    ContentType(Oid),
    /// The content type signed differs from the content's.
    ContentTypeMismatch {
        /// Signed.
        signed: Box<Oid>,
        /// The content's.
        content: Box<Oid>,
    },
    /// The value is not an OBJECT IDENTIFIER.
    NotAnOid,
    /// A countersignature carries content-type.
    ContentTypeInCountersignature,
    /// No content-type in a countersignature (as it must be).
    AbsentInCountersignature,
    /// The value is not an OCTET STRING.
    NotAnOctetString,
    /// The message digest equals the content's.
    DigestMatches(DigestAlgorithm),
    /// The message digest is present; the content is not available to compare.
    DigestNotCompared,
    /// The message digest differs from the content's (hex values).
    DigestMismatch {
        /// Algorithm.
        algorithm: DigestAlgorithm,
        /// Signed digest, hex.
        signed: Box<str>,
        /// The content's digest, hex.
        content: Box<str>,
    },
    /// The value is not a UTCTime/GeneralizedTime.
    NotATime,
    /// The ESS attribute names the signer certificate.
    NamesSigner,
    /// The ESS attribute names another certificate.
    DoesNotNameSigner,
    /// RFC 6211 algorithms equal the ones used.
    ProtectionMatches,
    /// RFC 6211 algorithms differ from the ones used.
    ProtectionDiffers,
    /// RFC 6211 attribute malformed.
    ProtectionMalformed,
    /// The content a signature without signed attributes covers is not available.
    ContentNotAvailable,
    /// The signature value verifies.
    SignatureVerified {
        /// Algorithm.
        algorithm: SignatureAlgorithm,
        /// Crypto backend.
        backend: &'static str,
        /// Only over the DER-sorted signed attributes (received unsorted).
        resorted: bool,
    },
    /// The signature value cannot be checked.
    NotCheckable(NotCheckable),
    /// A countersignature that is not a SignerInfo.
    MalformedSignerInfo(Box<CmsError>),
    /// Warning: no signing-certificate(-v2) attribute.
    NoSigningCertificateAttribute,
    /// Not checked: this build cannot verify the algorithm (named).
    UnsupportedAlgorithm(String),
    /// The detached content was not given.
    ContentNotGiven,
    /// The certificate meets the profile.
    ProfileMet(Profile),
    /// The certificate does not meet the profile (why).
    ProfileRefused(String),
    /// A time-stamp.
    Timestamp(Box<TimestampOutcome>),
    /// A TSA path validated up to a control time.
    TsaControlTime {
        /// The token's genTime.
        gen_time: OffsetDateTime,
        /// Up to when the path was checked.
        control_time: OffsetDateTime,
        /// The control time is the validation time (else the next archive time-stamp).
        validation_time: bool,
    },
    /// Time-stamps out of order.
    TimestampOrder(OrderFailure),
    /// The key's sunset is reached without proof of existence before it.
    SunsetReached {
        /// The key.
        key: KeySize,
        /// Its sunset.
        sunset: OffsetDateTime,
    },
    /// A proof of existence before the key's sunset.
    BeforeSunset {
        /// The key.
        key: KeySize,
        /// Its sunset.
        sunset: OffsetDateTime,
        /// The proof of existence.
        poe: OffsetDateTime,
    },
    /// The best-signature-time.
    BestSignatureTime {
        /// The time.
        time: OffsetDateTime,
        /// From a valid signature time-stamp (else the validation time).
        from_timestamp: bool,
    },
    /// `--revocation require` without any revocation data source.
    NoRevocationSource,
    /// The path validated.
    PathValidated {
        /// At this time.
        at: OffsetDateTime,
        /// To this anchor (subject), when reported.
        anchor: Option<String>,
    },
    /// The path did not validate.
    PathFailed {
        /// At this time.
        at: OffsetDateTime,
        /// Why.
        error: Box<PathError>,
    },
    /// The level is below what the attributes claim.
    LevelLimited {
        /// The level reached.
        level: &'static str,
        /// Why not higher.
        why: LevelLimit,
    },
    /// An XAdES countersignature (`xades:CounterSignature`) of this signature, verified on
    /// its own; its result does not change this signature's.
    Countersignature {
        /// Its signer's subject (empty when no certificate was found).
        signer: String,
        /// Its own indication.
        indication: crate::Indication,
        /// Its own sub-indication.
        sub_indication: Option<crate::SubIndication>,
        /// Whether one of its references covers this signature's `SignatureValue`.
        covers_parent: bool,
    },
    /// Items beyond the processing limit were not checked.
    Budget {
        /// How many.
        skipped: usize,
    },
    /// Not a DER or PEM certificate.
    NotACertificate,
    /// A certificate's validity period.
    Validity {
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// How many names were checked against name constraints.
    NamesChecked(usize),
    /// A CA certificate and the path length remaining under it.
    CaRemaining(usize),
    /// The policies valid along the path (none: empty).
    Policies(Arc<[Oid]>),
    /// Good revocation status (from where).
    RevocationGood(Text),
    /// Unknown revocation status, tolerated in soft mode (why).
    RevocationUnknownSoft(Text),
    /// The leaf's key usage, extended key usage and policy profile.
    LeafUsage,
}

impl Outcome {
    /// A warning (a failed check that does not change the verdict).
    pub fn is_warning(&self) -> bool {
        matches!(self, Self::NoSigningCertificateAttribute)
    }

    /// The detail in `lang` (Japanese falls back to English where not written yet).
    pub fn render(&self, lang: super::Lang) -> Cow<'_, str> {
        match lang {
            super::Lang::En => self.text(),
            super::Lang::Ja => super::detail::ja(self).unwrap_or_else(|| self.text()),
        }
    }

    /// The detail in English.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(t) => Cow::Borrowed(t.as_str()),
            other => Cow::Owned(other.to_string()),
        }
    }
}

impl From<Text> for Outcome {
    fn from(t: Text) -> Self {
        Self::Text(t)
    }
}

impl From<String> for Outcome {
    fn from(s: String) -> Self {
        Self::Text(s.into())
    }
}

impl From<&'static str> for Outcome {
    fn from(s: &'static str) -> Self {
        Self::Text(s.into())
    }
}

impl fmt::Display for TimestampFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::detail::timestamp_en(self, f)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::detail::en(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckReport, Lang};
    use time::macros::datetime;

    #[test]
    fn names_are_the_contract_names() {
        let cases = [
            (CheckKind::SignatureValue, "signature"),
            (
                CheckKind::SigningCertificate { v2: true },
                "signing-certificate-v2",
            ),
            (CheckKind::AlgorithmProtection, "cms-algorithm-protection"),
            (
                CheckKind::Timestamp(TimestampKind::ArchiveV3),
                "timestamp:archive-v3",
            ),
            (CheckKind::TsaControlTime, "timestamp:tsa-control-time"),
            (
                CheckKind::PathStep(PathStep::Revocation(12)),
                "path:revocation[12]",
            ),
            (CheckKind::PathStep(PathStep::LeafUsage), "path:leaf-usage"),
        ];
        for (kind, name) in cases {
            assert_eq!(kind.name(), name);
            assert_ne!(kind.name_ja(), name, "{name} has a Japanese name");
        }
    }

    #[test]
    fn details_are_written_only_at_output_in_either_language() {
        let c = CheckReport::new(
            CheckKind::MessageDigest,
            true,
            Outcome::DigestMatches(DigestAlgorithm::Sha256),
        );
        assert_eq!(c.detail(), "SHA-256 matches");
        assert_eq!(c.outcome.render(Lang::Ja), "SHA-256 一致");
        assert_eq!(
            c.to_json().to_string(),
            r#"{"detail":"SHA-256 matches","name":"message-digest","passed":true}"#
        );
        let t = Outcome::TsaControlTime {
            gen_time: datetime!(2026-01-02 03:04:05 UTC),
            control_time: datetime!(2026-02-03 04:05:06 UTC),
            validation_time: false,
        };
        assert_eq!(
            t.text(),
            "TSA path for the token of 2026-01-02T03:04:05Z checked up to 2026-02-03T04:05:06Z (next archive time-stamp)"
        );
        // A lower layer's text stays as it is in either language.
        assert_eq!(Outcome::from("no issuer").render(Lang::Ja), "no issuer");
        assert_eq!(
            Outcome::NotAnOid.render(Lang::Ja),
            "OBJECT IDENTIFIER ではありません"
        );
        // A lower layer's text is borrowed, not copied.
        let text = Outcome::from("no issuer");
        assert!(matches!(text.text(), Cow::Borrowed("no issuer")));
    }

    #[test]
    fn the_warning_is_known_by_its_value() {
        let w = Outcome::NoSigningCertificateAttribute;
        assert!(w.is_warning());
        assert!(w.text().starts_with("warning: "));
        assert!(w.render(Lang::Ja).starts_with("警告: "));
        assert!(!Outcome::from("warning: a text is not a warning").is_warning());
    }

    #[test]
    fn a_time_stamp_failure_names_the_time_stamp_then_why() {
        let finding = TimestampFinding {
            token: TokenOutcome::Fails("bad signature".into()),
            tst_readable: true,
            imprint: None,
            scope: ImprintScope::Countersignature,
        };
        let o = Outcome::Timestamp(Box::new(TimestampOutcome {
            kind: TimestampKind::ArchiveV2,
            gen_time: None,
            intact: false,
            finding,
        }));
        assert_eq!(
            o.text(),
            "archive time-stamp of unknown time is not valid: token does not verify: bad signature; imprint not checked (countersignature)"
        );
    }

    /// One value of every variant (those holding a certificate from the real MEDIS signer,
    /// where it is present).
    fn every_outcome() -> Vec<Outcome> {
        let t = datetime!(2026-01-02 03:04:05 UTC);
        let finding = |token| TimestampFinding {
            token,
            tst_readable: false,
            imprint: Some(false),
            scope: ImprintScope::Archive("the signature and its certificates".into()),
        };
        let key = KeySize {
            family: crate::sunset::KeyFamily::Rsa,
            bits: 2048,
        };
        let cms = || {
            Box::new(CmsError::Malformed {
                field: "x",
                detail: "y".into(),
            })
        };
        let mut v = vec![
            Outcome::from("lower layer"),
            Outcome::Absent,
            Outcome::Attribute(cms()),
            Outcome::NoSignerCertificate("issuer/serial".into()),
            Outcome::Algorithm("SHA-256"),
            Outcome::AlgorithmError(Box::new(AlgError::UnsupportedDigest(Oid::new_unwrap(
                "1.2.3",
            )))),
            Outcome::ContentType(Oid::new_unwrap("1.2.840.113549.1.7.1")),
            Outcome::ContentTypeMismatch {
                signed: Box::new(Oid::new_unwrap("1.2.3")),
                content: Box::new(Oid::new_unwrap("1.2.4")),
            },
            Outcome::NotAnOid,
            Outcome::ContentTypeInCountersignature,
            Outcome::AbsentInCountersignature,
            Outcome::NotAnOctetString,
            Outcome::DigestMatches(DigestAlgorithm::Sha256),
            Outcome::DigestNotCompared,
            Outcome::DigestMismatch {
                algorithm: DigestAlgorithm::Sha256,
                signed: "aa".into(),
                content: "bb".into(),
            },
            Outcome::NotATime,
            Outcome::NamesSigner,
            Outcome::DoesNotNameSigner,
            Outcome::ProtectionMatches,
            Outcome::ProtectionDiffers,
            Outcome::ProtectionMalformed,
            Outcome::ContentNotAvailable,
            Outcome::NotCheckable(NotCheckable::Unsupported("Ed448".into())),
            Outcome::NotCheckable(NotCheckable::Missing),
            Outcome::MalformedSignerInfo(cms()),
            Outcome::NoSigningCertificateAttribute,
            Outcome::UnsupportedAlgorithm("Ed448".into()),
            Outcome::ContentNotGiven,
            Outcome::ProfileMet(Profile::Hpki),
            Outcome::ProfileRefused("no hcRole".into()),
            Outcome::Timestamp(Box::new(TimestampOutcome {
                kind: TimestampKind::ArchiveV3,
                gen_time: Some(t),
                intact: false,
                finding: finding(TokenOutcome::Fails("bad".into())),
            })),
            Outcome::TsaControlTime {
                gen_time: t,
                control_time: t,
                validation_time: true,
            },
            Outcome::TimestampOrder(OrderFailure::ContentAfterSignature {
                content: t,
                signature: t,
            }),
            Outcome::TimestampOrder(OrderFailure::SignatureAfterArchive {
                signature: t,
                archive: t,
            }),
            Outcome::SunsetReached { key, sunset: t },
            Outcome::BeforeSunset {
                key,
                sunset: t,
                poe: t,
            },
            Outcome::BestSignatureTime {
                time: t,
                from_timestamp: false,
            },
            Outcome::NoRevocationSource,
            Outcome::PathValidated {
                at: t,
                anchor: Some("CN=Root".into()),
            },
            Outcome::PathFailed {
                at: t,
                error: Box::new(PathError::Malformed {
                    index: 0,
                    reason: "bad".into(),
                }),
            },
            Outcome::LevelLimited {
                level: "B-LT",
                why: LevelLimit::NoValidArchiveTimestamp,
            },
            Outcome::Budget { skipped: 3 },
            Outcome::Countersignature {
                signer: "CN=Counter".into(),
                indication: crate::Indication::TotalPassed,
                sub_indication: None,
                covers_parent: true,
            },
            Outcome::NotACertificate,
            Outcome::Validity {
                not_before: t,
                not_after: t,
            },
            Outcome::NamesChecked(2),
            Outcome::CaRemaining(1),
            Outcome::Policies(Arc::from(vec![])),
            Outcome::Policies(Arc::from(vec![Oid::new_unwrap(
                "1.2.392.100495.1.5.1.1.0.1",
            )])),
            Outcome::RevocationGood("CRL".into()),
            Outcome::RevocationUnknownSoft("no CRL".into()),
            Outcome::LeafUsage,
        ];
        let real = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/hpki-real/medis-test-signer-ee.cer"
        );
        if let Some(c) = std::fs::read(real)
            .ok()
            .and_then(|d| SharedCert::parse(&d).ok())
        {
            let c = Arc::new(c);
            v.push(Outcome::SignerCertificate(c.clone()));
            v.push(Outcome::Timestamp(Box::new(TimestampOutcome {
                kind: TimestampKind::Signature,
                gen_time: None,
                intact: true,
                finding: finding(TokenOutcome::Verifies(c)),
            })));
        }
        v
    }

    /// Adding a variant without a sample (and a Japanese text) fails to compile here.
    fn has_sample(o: &Outcome) -> bool {
        use Outcome as O;
        match o {
            O::Text(_)
            | O::Absent
            | O::Attribute(_)
            | O::SignerCertificate(_)
            | O::NoSignerCertificate(_)
            | O::Algorithm(_)
            | O::AlgorithmError(_)
            | O::ContentType(_)
            | O::ContentTypeMismatch { .. }
            | O::NotAnOid
            | O::ContentTypeInCountersignature
            | O::AbsentInCountersignature
            | O::NotAnOctetString
            | O::DigestMatches(_)
            | O::DigestNotCompared
            | O::DigestMismatch { .. }
            | O::NotATime
            | O::NamesSigner
            | O::DoesNotNameSigner
            | O::ProtectionMatches
            | O::ProtectionDiffers
            | O::ProtectionMalformed
            | O::ContentNotAvailable
            | O::SignatureVerified { .. }
            | O::NotCheckable(_)
            | O::MalformedSignerInfo(_)
            | O::NoSigningCertificateAttribute
            | O::UnsupportedAlgorithm(_)
            | O::ContentNotGiven
            | O::ProfileMet(_)
            | O::ProfileRefused(_)
            | O::Timestamp(_)
            | O::TsaControlTime { .. }
            | O::TimestampOrder(_)
            | O::SunsetReached { .. }
            | O::BeforeSunset { .. }
            | O::BestSignatureTime { .. }
            | O::NoRevocationSource
            | O::PathValidated { .. }
            | O::PathFailed { .. }
            | O::LevelLimited { .. }
            | O::Budget { .. }
            | O::Countersignature { .. }
            | O::NotACertificate
            | O::Validity { .. }
            | O::NamesChecked(_)
            | O::CaRemaining(_)
            | O::Policies(_)
            | O::RevocationGood(_)
            | O::RevocationUnknownSoft(_)
            | O::LeafUsage => true,
        }
    }

    #[test]
    fn every_outcome_renders_in_both_languages_and_in_japanese_where_fixed() {
        let mut all = every_outcome();
        all.push(Outcome::SignatureVerified {
            algorithm: SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
            backend: "rustcrypto",
            resorted: true,
        });
        for o in &all {
            assert!(has_sample(o));
            let en = o.render(Lang::En);
            let ja = o.render(Lang::Ja);
            assert!(!en.trim().is_empty(), "{o:?}");
            assert!(!ja.trim().is_empty(), "{o:?}");
            if !matches!(o, Outcome::Text(_)) {
                assert!(!ja.is_ascii(), "Japanese text for {o:?}: {ja}");
            }
        }
    }

    /// Checks are made by the dozen per file: recording one must not cost more than the
    /// texts it replaced.
    #[test]
    fn a_check_stays_small() {
        assert!(
            size_of::<CheckReport>() <= 72,
            "{}",
            size_of::<CheckReport>()
        );
    }
}
