//! The words of the reports in either language: verdicts, what each sub-indication means,
//! time-stamp types, HPKI hcRole qualifications and the certificate policies known by name.

use super::Lang;
use crate::{Indication, SubIndication};

/// The verdict as a reader says it: `合格` / `不合格` / `判定不能` in Japanese (the ETSI name
/// is written beside it by the renderers), the ETSI name in English.
pub fn indication(i: Indication, lang: Lang) -> &'static str {
    match (lang, i) {
        (Lang::Ja, Indication::TotalPassed) => "合格",
        (Lang::Ja, Indication::TotalFailed) => "不合格",
        (Lang::Ja, Indication::Indeterminate) => "判定不能",
        (Lang::En, i) => i.name(),
    }
}

/// The verdict with its ETSI name and sub-indication: `合格 (TOTAL_PASSED)`,
/// `不合格 (TOTAL_FAILED / HASH_FAILURE)`; in English `TOTAL_FAILED / HASH_FAILURE`.
pub fn verdict(i: Indication, sub: Option<SubIndication>, lang: Lang) -> String {
    let etsi = super::verdict(i.name(), sub);
    match lang {
        Lang::Ja => format!("{} ({etsi})", indication(i, lang)),
        Lang::En => etsi,
    }
}

/// What a sub-indication means, in one sentence (EN 319 102-1 table 5).
pub fn explain(s: SubIndication, lang: Lang) -> &'static str {
    use SubIndication as S;
    let (ja, en) = match s {
        S::FORMAT_FAILURE => (
            "署名の形式が正しくないか、署名として読めません。",
            "The signature is not well formed or cannot be read as a signature.",
        ),
        S::HASH_FAILURE => (
            "署名された文書のハッシュ値が一致しません (文書が改変されています)。",
            "The hash of the signed document does not match: the document was altered.",
        ),
        S::SIG_CRYPTO_FAILURE => (
            "署名値を署名者の公開鍵で検証できません。",
            "The signature value does not verify with the signer's public key.",
        ),
        S::REVOKED => (
            "署名者の証明書は失効しています。",
            "The signer's certificate is revoked.",
        ),
        S::SIG_CONSTRAINTS_FAILURE => (
            "署名が検証ポリシーの制約を満たしていません。",
            "The signature does not meet the constraints of the validation policy.",
        ),
        S::CHAIN_CONSTRAINTS_FAILURE => (
            "証明書パスが検証ポリシーの制約を満たしていません。",
            "The certification path does not meet the constraints of the validation policy.",
        ),
        S::CERTIFICATE_CHAIN_GENERAL_FAILURE => (
            "証明書パスの検証が失敗しました。",
            "The certification path failed to validate.",
        ),
        S::CRYPTO_CONSTRAINTS_FAILURE => (
            "使われた暗号アルゴリズムまたは鍵長が、求められる安全性を満たしていません。",
            "An algorithm or key size used is not secure enough.",
        ),
        S::EXPIRED => (
            "署名者の証明書は、存在証明のある時刻より前に有効期限が切れています。",
            "The signer's certificate expired before any proof that the signature existed.",
        ),
        S::NOT_YET_VALID => (
            "署名時点で署名者の証明書はまだ有効期間に入っていません。",
            "The signer's certificate was not yet valid when the signature was made.",
        ),
        S::POLICY_PROCESSING_ERROR => (
            "検証ポリシーを処理できません。",
            "The validation policy could not be processed.",
        ),
        S::SIGNATURE_POLICY_NOT_AVAILABLE => (
            "署名ポリシーを入手できません。",
            "The signature policy is not available.",
        ),
        S::TIMESTAMP_ORDER_FAILURE => (
            "タイムスタンプの時刻の順序が正しくありません。",
            "The time-stamps are not in the required order.",
        ),
        S::NO_SIGNING_CERTIFICATE_FOUND => (
            "署名者の証明書が見つかりません。",
            "The signer's certificate was not found.",
        ),
        S::NO_CERTIFICATE_CHAIN_FOUND => (
            "信頼できる認証局までの証明書パスが見つかりません (トラストアンカーか中間証明書が足りません)。",
            "No certification path to a trust anchor was found (a trust anchor or an intermediate is missing).",
        ),
        S::REVOKED_NO_POE => (
            "証明書は失効しており、失効前に署名が存在した証明がありません。",
            "The certificate is revoked and there is no proof the signature existed before.",
        ),
        S::REVOKED_CA_NO_POE => (
            "パス上の CA 証明書が失効しており、失効前に署名が存在した証明がありません。",
            "A CA certificate on the path is revoked with no proof of existence before.",
        ),
        S::OUT_OF_BOUNDS_NO_POE => (
            "証明書の有効期間外で、有効期間内に署名が存在した証明がありません。",
            "The certificate is outside its validity and there is no proof of existence within it.",
        ),
        S::OUT_OF_BOUNDS_NOT_REVOKED => (
            "証明書は有効期間外ですが、失効はしていません。",
            "The certificate is outside its validity but not revoked.",
        ),
        S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE => (
            "アルゴリズムの安全性が失われた時点より前に署名が存在した証明がありません。",
            "There is no proof the signature existed before its algorithm stopped being secure.",
        ),
        S::NO_POE => (
            "署名がある時刻に存在したことの証明 (タイムスタンプ) がありません。",
            "There is no proof (time-stamp) that the signature existed at the time required.",
        ),
        S::TRY_LATER => (
            "失効情報がまだ入手できません。後で再検証してください。",
            "Revocation information is not available yet; verify again later.",
        ),
        S::SIGNED_DATA_NOT_FOUND => (
            "署名された文書が見つかりません (分離署名には --content で文書を指定してください)。",
            "The signed data was not found (give a detached signature's document with --content).",
        ),
    };
    lang.pick(ja, en)
}

/// The type of a time-stamp: `署名タイムスタンプ`, `アーカイブタイムスタンプ` …
pub fn timestamp_kind(kind: &str, lang: Lang) -> &'static str {
    match (lang, kind) {
        (Lang::Ja, "signature") => "署名タイムスタンプ",
        (Lang::Ja, "archive") => "アーカイブタイムスタンプ",
        (Lang::Ja, "content") => "コンテンツタイムスタンプ",
        (Lang::Ja, "document") => "文書タイムスタンプ",
        (Lang::Ja, _) => "タイムスタンプ",
        (Lang::En, "signature") => "signature time-stamp",
        (Lang::En, "archive") => "archive time-stamp",
        (Lang::En, "content") => "content time-stamp",
        (Lang::En, "document") => "document time-stamp",
        (Lang::En, _) => "time-stamp",
    }
}

/// HPKI hcRole qualifications (the codeDataFreeText of the HPKI certificate policy's
/// hcRole list, as the certificates carry it) and their Japanese names.
const HC_ROLES: &[(&str, &str)] = &[
    ("Medical Doctor", "医師"),
    ("Dentist", "歯科医師"),
    ("Pharmacist", "薬剤師"),
    ("Nurse", "看護師"),
    ("Assistant Nurse", "准看護師"),
    ("Midwife", "助産師"),
    ("Public Health Nurse", "保健師"),
    ("Clinical Laboratory Technician", "臨床検査技師"),
    ("Medical Technologist", "臨床検査技師"),
    ("Radiological Technologist", "診療放射線技師"),
    ("Physical Therapist", "理学療法士"),
    ("Occupational Therapist", "作業療法士"),
    ("Orthoptist", "視能訓練士"),
    ("Speech Therapist", "言語聴覚士"),
    ("Speech-Language-Hearing Therapist", "言語聴覚士"),
    ("Dental Hygienist", "歯科衛生士"),
    ("Dental Technician", "歯科技工士"),
    ("Clinical Engineer", "臨床工学技士"),
    ("Prosthetist and Orthotist", "義肢装具士"),
    ("Emergency Medical Technician", "救急救命士"),
    ("Emergency Life-Saving Technician", "救急救命士"),
    ("Registered Dietitian", "管理栄養士"),
    ("Dietitian", "栄養士"),
    ("Certified Social Worker", "社会福祉士"),
    ("Certified Care Worker", "介護福祉士"),
    ("Psychiatric Social Worker", "精神保健福祉士"),
    ("Certified Public Psychologist", "公認心理師"),
    ("Care Manager", "介護支援専門員"),
    ("Medical Doctor Director", "医療機関の管理者 (医師)"),
    ("Director of Hospital", "病院長"),
    ("Director of Clinic", "診療所長"),
    ("Director of Pharmacy", "薬局の管理者"),
];

/// The Japanese name of an hcRole qualification (`Medical Doctor` → `医師`), when known
/// (case and spacing are ignored).
pub fn hc_role_ja(role: &str) -> Option<&'static str> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let r = norm(role);
    HC_ROLES
        .iter()
        .find(|(en, _)| norm(en) == r)
        .map(|(_, ja)| *ja)
}

/// A qualification as shown: `医師 (Medical Doctor)` in Japanese where known, else as carried.
pub fn hc_role(role: &str, lang: Lang) -> String {
    match (lang, hc_role_ja(role)) {
        (Lang::Ja, Some(ja)) => format!("{ja} ({role})"),
        _ => role.to_owned(),
    }
}

/// The name of a certificate policy OID, when it is a known one (HPKI).
pub fn policy_name(oid: &str, lang: Lang) -> Option<&'static str> {
    use kenpo_core::oid as o;
    let p = |ja, en| Some(lang.pick(ja, en));
    match oid {
        s if s == o::HPKI_SIGNER_POLICY.to_string() => {
            p("HPKI 署名用証明書", "HPKI signature certificate")
        }
        s if s == o::HPKI_SIGN_CA_POLICY.to_string() => p("HPKI 署名用認証局", "HPKI signing CA"),
        s if s == o::HPKI_AUTH_POLICY.to_string() => {
            p("HPKI 認証用証明書", "HPKI authentication certificate")
        }
        s if s == o::HPKI_AUTH_CA_POLICY.to_string() => {
            p("HPKI 認証用認証局", "HPKI authentication CA")
        }
        s if s.starts_with(o::HPKI_SIGNATURE_POLICY_ARC) => {
            p("HPKI 署名用ポリシー", "HPKI signature policy")
        }
        s if s.starts_with(o::HPKI_AUTH_POLICY_ARC) => {
            p("HPKI 認証用ポリシー", "HPKI authentication policy")
        }
        _ => None,
    }
}

/// A policy OID with its name: `HPKI 署名用証明書 (1.2.392.100495.1.5.1.1.0.1)`; an unknown
/// OID is marked as such, never shown bare.
pub fn policy(oid: &str, lang: Lang) -> String {
    let name = policy_name(oid, lang).unwrap_or(lang.pick("名称不明のポリシー", "unnamed policy"));
    format!("{name} ({oid})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_said_in_japanese_with_the_etsi_name() {
        assert_eq!(
            verdict(Indication::TotalPassed, None, Lang::Ja),
            "合格 (TOTAL_PASSED)"
        );
        assert_eq!(
            verdict(
                Indication::Indeterminate,
                Some(SubIndication::NO_POE),
                Lang::Ja
            ),
            "判定不能 (INDETERMINATE / NO_POE)"
        );
        assert_eq!(
            verdict(
                Indication::TotalFailed,
                Some(SubIndication::HASH_FAILURE),
                Lang::En
            ),
            "TOTAL_FAILED / HASH_FAILURE"
        );
    }

    #[test]
    fn roles_and_policies_have_names() {
        assert_eq!(hc_role_ja("Medical Doctor"), Some("医師"));
        assert_eq!(hc_role_ja("medical  doctor"), Some("医師"));
        assert_eq!(hc_role("Pharmacist", Lang::Ja), "薬剤師 (Pharmacist)");
        assert_eq!(hc_role("Wizard", Lang::Ja), "Wizard");
        assert_eq!(
            policy("1.2.392.100495.1.5.1.1.0.1", Lang::Ja),
            "HPKI 署名用証明書 (1.2.392.100495.1.5.1.1.0.1)"
        );
        assert!(policy("1.2.3", Lang::En).starts_with("unnamed policy"));
    }
}
