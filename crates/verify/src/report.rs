//! Validation reports: the JSON of the `verify` / `verify-cert` contract
//! (`/work/shared/CLI.md`, schema in `docs/report-schema.md`), bilingual text, exit codes.

use std::borrow::Cow;

use kenpo_core::timefmt::rfc3339;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Indication, SubIndication};

mod check;
mod detail;
pub mod html;
mod names;
mod text;
pub mod words;
pub use check::{
    CheckKind, ImprintScope, LevelLimit, NotCheckable, OrderFailure, Outcome, PathStep,
    TimestampFinding, TimestampOutcome, TokenOutcome,
};
pub use names::{AltName, alt_names};
pub use text::Text;

/// Version of the JSON report schema (`schema_version`), see `docs/report-schema.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// How the text (and HTML) report is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextOptions {
    /// List every check (else only those that did not pass).
    pub verbose: bool,
    /// The planner's renewal due date of the file ([`crate::plan`]), shown with the
    /// preservation state.
    pub renewal_due: Option<time::Date>,
}

impl TextOptions {
    /// Options: `verbose`, no renewal date.
    pub fn new(verbose: bool) -> Self {
        Self {
            verbose,
            renewal_due: None,
        }
    }
}

/// Language of the text report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Japanese labels.
    Ja,
    /// English labels.
    En,
}

impl Lang {
    /// From the environment: the first set of `LC_ALL`, `LC_MESSAGES`, `LANG`; a value
    /// starting with `ja` gives [`Lang::Ja`], anything else (or nothing) [`Lang::En`].
    pub fn from_locale() -> Self {
        let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty());
        Self::from_locale_value(value.as_deref().unwrap_or(""))
    }

    /// From a locale string such as `ja_JP.UTF-8`.
    pub fn from_locale_value(v: &str) -> Self {
        if v.to_ascii_lowercase().starts_with("ja") {
            Self::Ja
        } else {
            Self::En
        }
    }

    /// `ja` or `en`, whichever is this language's.
    pub fn pick(self, ja: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Ja => ja,
            Self::En => en,
        }
    }
}

/// One check and what it found, typed ([`CheckKind`], [`Outcome`]); its name and detail
/// are written only when the report is printed or serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// What was checked.
    pub kind: CheckKind,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub outcome: Outcome,
}

impl CheckReport {
    /// A check.
    pub fn new(kind: CheckKind, passed: bool, outcome: impl Into<Outcome>) -> Self {
        Self {
            kind,
            passed,
            outcome: outcome.into(),
        }
    }

    /// The contract name (`message-digest`, `signature`, `path`, `path:revocation[0]` …).
    pub fn name(&self) -> Cow<'static, str> {
        self.kind.name()
    }

    /// What was found, in English (the JSON `detail`).
    pub fn detail(&self) -> Cow<'_, str> {
        self.outcome.text()
    }

    /// A failed check that is only a warning (it does not change the verdict).
    pub fn is_warning(&self) -> bool {
        self.outcome.is_warning()
    }

    fn to_json(&self) -> Value {
        json!({ "name": self.name(), "passed": self.passed, "detail": self.detail() })
    }
}

/// Who signed, as the signer certificate says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerReport {
    /// Subject (RFC 4514); empty when no signer certificate was found.
    pub subject: String,
    /// hcRole qualifications (e.g. `Medical Doctor`).
    pub hc_roles: Vec<String>,
    /// Certificate policy OIDs, dotted.
    pub policy_oids: Vec<String>,
    /// The directoryNames of its subjectAltName (HPKI: the holder's name and organisation
    /// in kanji); JSON `alt_names` (their RFC 4514 texts).
    pub alt_names: Vec<AltName>,
}

impl SignerReport {
    /// The holder's name to show first: the (kanji) commonName of the subjectAltName,
    /// when there is one.
    pub fn display_name(&self) -> Option<&str> {
        self.alt_names.iter().find_map(|a| a.common_name.as_deref())
    }

    /// The organisation of the subjectAltName, when it names one.
    pub fn organization(&self) -> Option<&str> {
        self.alt_names
            .iter()
            .find_map(|a| a.organization.as_deref())
    }
}

/// One embedded time-stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampReport {
    /// `signature`, `archive`, `content` or `document` (a PDF document time-stamp over the
    /// signature's revision).
    pub kind: &'static str,
    /// genTime, when readable.
    pub gen_time: Option<OffsetDateTime>,
    /// The token, its imprint and its TSA chain (at genTime) verify.
    pub valid: bool,
    /// SHA-256 of the trust anchor its TSA path ended at, when the path validated.
    pub tsa_anchor_sha256: Option<[u8; 32]>,
}

/// The verdict on one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// Main indication.
    pub indication: Indication,
    /// Sub-indication (none when passed).
    pub sub_indication: Option<SubIndication>,
    /// `B-B`, `B-T`, `B-LT` or `B-LTA`.
    pub level: &'static str,
    /// The signature's form: `CAdES`, `PAdES`, `XAdES` or `XMLDSig` (the JSON `format`).
    pub format: &'static str,
    /// The signer.
    pub signer: SignerReport,
    /// The claimed signing-time attribute.
    pub signing_time: Option<OffsetDateTime>,
    /// Best-signature-time: earliest valid signature time-stamp, else the validation time.
    pub best_signature_time: OffsetDateTime,
    /// Embedded time-stamps.
    pub timestamps: Vec<TimestampReport>,
    /// Every check made, in order.
    pub checks: Vec<CheckReport>,
    /// The profiles (`hpki`, `accredited`) the signer certificate meets, whatever profile
    /// the verification required.
    pub signer_profiles: Vec<kenpo_sign::Profile>,
    /// The time the signer's path (with revocation) validated at (the best-signature-time),
    /// `None` when it did not validate.
    pub signer_validated_at: Option<OffsetDateTime>,
    /// The requirements of the validation policy this signature does not meet (empty: it
    /// meets them), see [`crate::policy`].
    pub policy_unmet: Vec<crate::policy::Requirement>,
}

/// The report of `verify` on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Worst indication over all signatures.
    pub indication: Indication,
    /// Sub-indication of the worst signature.
    pub sub_indication: Option<SubIndication>,
    /// One entry per signature.
    pub signatures: Vec<SignatureReport>,
    /// Name of the validation policy used.
    pub policy: String,
    /// Validation time.
    pub validation_time: OffsetDateTime,
    /// JSON schema version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
}

fn t(v: OffsetDateTime) -> Value {
    Value::String(rfc3339(v))
}

fn opt_t(v: Option<OffsetDateTime>) -> Value {
    v.map_or(Value::Null, t)
}

fn sub(v: Option<SubIndication>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.name().into()))
}

fn exit_for(ind: Indication) -> u8 {
    match ind {
        Indication::TotalPassed => 0,
        Indication::TotalFailed => 1,
        Indication::Indeterminate => 3,
    }
}

impl SignatureReport {
    fn to_json(&self) -> Value {
        json!({
            "indication": self.indication.name(),
            "sub_indication": sub(self.sub_indication),
            "level": self.level,
            "format": self.format,
            "signer": {
                "subject": self.signer.subject,
                "hc_roles": self.signer.hc_roles,
                "policy_oids": self.signer.policy_oids,
                "alt_names": self.signer.alt_names.iter().map(|a| a.text.as_str()).collect::<Vec<_>>(),
            },
            "signing_time": opt_t(self.signing_time),
            "best_signature_time": t(self.best_signature_time),
            "timestamps": self.timestamps.iter().map(|ts| json!({
                "type": ts.kind,
                "gen_time": opt_t(ts.gen_time),
                "valid": ts.valid,
                "tsa_anchor_sha256": ts.tsa_anchor_sha256.map(hex::encode),
            })).collect::<Vec<_>>(),
            "checks": self.checks.iter().map(CheckReport::to_json).collect::<Vec<_>>(),
            "signer_profiles": self.signer_profiles.iter()
                .map(|p| kenpo_sign::profile::profile_name(*p)).collect::<Vec<_>>(),
            "policy_unmet": self.policy_unmet.iter().map(|r| json!({
                "requirement": r.code(),
                "detail": r.text(Lang::En),
            })).collect::<Vec<_>>(),
        })
    }
}

/// `{before}{label}: {value}` and a newline.
fn field(o: &mut String, before: &str, label: &str, value: impl std::fmt::Display) {
    o.push_str(&format!("{before}{label}: {value}\n"));
}

fn push_checks(out: &mut String, checks: &[CheckReport], lang: Lang, indent: &str) {
    for c in checks {
        let mark = if c.passed {
            lang.pick("合格", "ok")
        } else {
            lang.pick("不合格", "FAILED")
        };
        match lang {
            Lang::En => out.push_str(&format!("{indent}[{mark}] {}: {}\n", c.name(), c.detail())),
            Lang::Ja => out.push_str(&format!(
                "{indent}[{mark}] {} ({}): {}\n",
                c.kind.name_ja(),
                c.name(),
                c.outcome.render(lang)
            )),
        }
    }
}

/// The signer as shown: `神楽坂　三十四 (医療情報大学病院) — CN=…` or the subject.
pub fn signer_line(s: &SignerReport) -> String {
    let subject = if s.subject.is_empty() {
        "-"
    } else {
        s.subject.as_str()
    };
    match (s.display_name(), s.organization()) {
        (Some(n), Some(org)) => format!("{n} ({org}) — {subject}"),
        (Some(n), None) => format!("{n} — {subject}"),
        _ => subject.to_owned(),
    }
}

/// The qualifications as shown (`医師 (Medical Doctor)` in Japanese), or `-`.
pub fn roles_line(roles: &[String], lang: Lang) -> String {
    let v: Vec<String> = roles.iter().map(|r| words::hc_role(r, lang)).collect();
    list_or_dash(&v)
}

/// The certificate policies with their names, or `-`.
pub fn policies_line(oids: &[String], lang: Lang) -> String {
    let v: Vec<String> = oids.iter().map(|o| words::policy(o, lang)).collect();
    list_or_dash(&v)
}

/// The preservation state: the level, for B-LTA the latest valid archive time-stamp, and
/// the renewal due date when the planner gave one.
pub fn preservation_line(s: &SignatureReport, lang: Lang, due: Option<time::Date>) -> String {
    let state = preservation_state(s, lang, due.is_none());
    match due {
        Some(d) => format!(
            "{state}; {} {d}",
            lang.pick("次回更新期限", "next renewal due")
        ),
        None => state,
    }
}

fn preservation_state(s: &SignatureReport, lang: Lang, see_plan: bool) -> String {
    let latest = s
        .timestamps
        .iter()
        .filter(|t| matches!(t.kind, "archive" | "document") && t.valid)
        .filter_map(|t| t.gen_time)
        .max();
    match latest {
        Some(at) => format!(
            "{}; {} {}{}",
            s.level,
            lang.pick(
                "最新のアーカイブタイムスタンプ",
                "latest archive time-stamp"
            ),
            rfc3339(at),
            if see_plan {
                lang.pick(
                    " (次の更新時期は kenpo-sign plan で確認)",
                    " (next renewal: see kenpo-sign plan)",
                )
            } else {
                ""
            }
        ),
        // `kenpo-sign extend` preserves CAdES, PAdES and XAdES (not plain XMLDSig).
        None if s.level.starts_with("B-") && matches!(s.format, "CAdES" | "PAdES" | "XAdES") => {
            format!(
                "{}; {}",
                s.level,
                lang.pick(
                    "アーカイブタイムスタンプなし (長期保存には kenpo-sign extend で B-LTA に)",
                    "no archive time-stamp (kenpo-sign extend makes it B-LTA for long-term keeping)"
                )
            )
        }
        None if s.level.starts_with("B-") => format!(
            "{}; {}",
            s.level,
            lang.pick("アーカイブタイムスタンプなし", "no archive time-stamp")
        ),
        None => s.level.to_owned(),
    }
}

fn push_short(o: &mut String, s: &SignatureReport, lang: Lang, due: Option<time::Date>) {
    let l = |ja, en| lang.pick(ja, en);
    field(o, "  ", l("署名者", "Signer"), signer_line(&s.signer));
    let roles = roles_line(&s.signer.hc_roles, lang);
    field(o, "  ", l("資格", "Qualifications"), roles);
    let from_ts = s
        .timestamps
        .iter()
        .any(|t| t.kind == "signature" && t.valid && t.gen_time == Some(s.best_signature_time));
    let from = if from_ts {
        l("署名タイムスタンプによる", "from the signature time-stamp")
    } else {
        l(
            "有効な署名タイムスタンプがないため検証時刻",
            "validation time: no valid signature time-stamp",
        )
    };
    let signed = format!("{} ({from})", rfc3339(s.best_signature_time));
    field(o, "  ", l("署名日時", "Signed"), signed);
    let state = preservation_line(s, lang, due);
    field(o, "  ", l("保存状態", "Preservation"), state);
}

fn push_unmet(o: &mut String, s: &SignatureReport, lang: Lang, policy: &str) {
    o.push_str(&format!(
        "  {} ({policy}):\n",
        lang.pick("検証ポリシーの未充足要件", "Policy requirements not met"),
    ));
    for r in &s.policy_unmet {
        o.push_str(&format!("    [{}] {}\n", r.code(), r.text(lang)));
    }
}

fn push_details(o: &mut String, s: &SignatureReport, lang: Lang, policy: &str) {
    let l = |ja, en| lang.pick(ja, en);
    let policies = policies_line(&s.signer.policy_oids, lang);
    field(
        o,
        "  ",
        l("証明書ポリシー", "Certificate policies"),
        policies,
    );
    let claimed = s.signing_time.map_or("-".into(), rfc3339);
    field(
        o,
        "  ",
        l("署名時刻(自己申告)", "Signing time (claimed)"),
        claimed,
    );
    let best = rfc3339(s.best_signature_time);
    field(o, "  ", l("最良署名時刻", "Best signature time"), best);
    if s.timestamps.is_empty() {
        field(o, "  ", l("タイムスタンプ", "Time-stamps"), "-");
    } else {
        o.push_str(&format!("  {}:\n", l("タイムスタンプ", "Time-stamps")));
        for ts in &s.timestamps {
            let kind = match lang {
                Lang::Ja => format!("{} ({})", words::timestamp_kind(ts.kind, lang), ts.kind),
                Lang::En => ts.kind.to_owned(),
            };
            o.push_str(&format!(
                "    {kind} {} {}\n",
                ts.gen_time.map_or("-".into(), rfc3339),
                if ts.valid {
                    l("有効", "valid")
                } else {
                    l("無効", "INVALID")
                }
            ));
        }
    }
    if !s.policy_unmet.is_empty() {
        push_unmet(o, s, lang, policy);
    }
    o.push_str(&format!("  {}:\n", l("各検査", "Checks")));
    push_checks(o, &s.checks, lang, "    ");
}

fn verdict(ind: &str, sub: Option<SubIndication>) -> String {
    match sub {
        Some(s) => format!("{ind} / {}", s.name()),
        None => ind.to_string(),
    }
}

fn list_or_dash(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

impl Report {
    /// The JSON of the CLI contract (plus `schema_version`, `policy`, `validation_time`).
    pub fn to_json(&self) -> Value {
        json!({
            "schema_version": self.schema_version,
            "indication": self.indication.name(),
            "sub_indication": sub(self.sub_indication),
            "policy": self.policy,
            "validation_time": t(self.validation_time),
            "signatures": self.signatures.iter().map(SignatureReport::to_json).collect::<Vec<_>>(),
        })
    }

    /// A human-readable report in `lang`, listing every check with what it found (the
    /// short report, then the details: [`Report::render_text_with`] with `verbose`).
    pub fn render_text(&self, lang: Lang) -> String {
        self.render_text_with(lang, TextOptions::new(true))
    }

    /// A human-readable report in `lang`: the short report first (verdict and what it
    /// means, signer with kanji name, qualification and organisation, when signed, level and
    /// preservation state), then with `verbose` every check; without it only the checks
    /// that did not pass.
    pub fn render_text_with(&self, lang: Lang, opts: TextOptions) -> String {
        let verbose = opts.verbose;
        let l = |ja, en| lang.pick(ja, en);
        let mut o = String::new();
        let overall = words::verdict(self.indication, self.sub_indication, lang);
        field(&mut o, "", l("総合判定", "Overall"), overall);
        if let Some(sub) = self.sub_indication {
            o.push_str(&format!("  {}\n", words::explain(sub, lang)));
        }
        for (i, s) in self.signatures.iter().enumerate() {
            o.push_str(&format!(
                "\n{} {}: {} ({})\n",
                l("署名", "Signature"),
                i + 1,
                words::verdict(s.indication, s.sub_indication, lang),
                s.level
            ));
            if let Some(sub) = s.sub_indication
                && Some(sub) != self.sub_indication
            {
                o.push_str(&format!("  {}\n", words::explain(sub, lang)));
            }
            push_short(&mut o, s, lang, opts.renewal_due);
            if verbose {
                push_details(&mut o, s, lang, &self.policy);
            } else {
                let failed: Vec<CheckReport> =
                    s.checks.iter().filter(|c| !c.passed).cloned().collect();
                if !s.policy_unmet.is_empty() {
                    push_unmet(&mut o, s, lang, &self.policy);
                }
                if !failed.is_empty() {
                    o.push_str(&format!(
                        "  {}:\n",
                        l("合格しなかった検査", "Checks not passed")
                    ));
                    push_checks(&mut o, &failed, lang, "    ");
                }
            }
        }
        field(&mut o, "\n", l("検証ポリシー", "Policy"), &self.policy);
        let at = rfc3339(self.validation_time);
        field(&mut o, "", l("検証時刻", "Validation time"), at);
        if !verbose {
            o.push_str(l(
                "(すべての検査は --verbose で表示します)\n",
                "(every check: --verbose)\n",
            ));
        }
        o
    }

    /// 0 when every signature is TOTAL_PASSED, 1 when any is TOTAL_FAILED, else 3.
    pub fn exit_code(&self) -> u8 {
        if self.signatures.is_empty() {
            return exit_for(self.indication);
        }
        let worst = self
            .signatures
            .iter()
            .map(|s| s.indication)
            .chain(std::iter::once(self.indication))
            .max_by_key(|i| i.severity())
            .unwrap_or(self.indication);
        exit_for(worst)
    }
}

/// Main indication of a certificate validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertIndication {
    /// The certificate validated.
    Passed,
    /// It failed for good (revoked, bad signature, profile refusal).
    Failed,
    /// No conclusion (no chain, revocation unknown, expired …).
    Indeterminate,
}

impl CertIndication {
    /// `PASSED`, `FAILED` or `INDETERMINATE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Failed => "FAILED",
            Self::Indeterminate => "INDETERMINATE",
        }
    }
}

/// The report of `verify-cert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertReport {
    /// Main indication.
    pub indication: CertIndication,
    /// Sub-indication (none when passed).
    pub sub_indication: Option<SubIndication>,
    /// hcRole qualifications of the certificate.
    pub hc_roles: Vec<String>,
    /// Certificate policy OIDs, dotted.
    pub policy_oids: Vec<String>,
    /// Subjects of the validated path, end entity first, trust anchor last (empty when no
    /// path validated).
    pub path: Vec<String>,
    /// Every check made, in order.
    pub checks: Vec<CheckReport>,
}

impl CertReport {
    /// The JSON of the CLI contract.
    pub fn to_json(&self) -> Value {
        json!({
            "schema_version": SCHEMA_VERSION,
            "indication": self.indication.name(),
            "sub_indication": sub(self.sub_indication),
            "hc_roles": self.hc_roles,
            "policy_oids": self.policy_oids,
            "path": self.path,
            "checks": self.checks.iter().map(CheckReport::to_json).collect::<Vec<_>>(),
        })
    }

    /// A human-readable report in `lang`.
    pub fn render_text(&self, lang: Lang) -> String {
        let l = |ja, en| lang.pick(ja, en);
        let mut o = String::new();
        let overall = verdict(self.indication.name(), self.sub_indication);
        field(&mut o, "", l("総合判定", "Overall"), overall);
        let roles = roles_line(&self.hc_roles, lang);
        field(&mut o, "", l("資格", "Qualifications"), roles);
        let policies = policies_line(&self.policy_oids, lang);
        field(
            &mut o,
            "",
            l("証明書ポリシー", "Certificate policies"),
            policies,
        );
        o.push_str(&format!("{}:\n", l("証明書パス", "Certification path")));
        for (i, s) in self.path.iter().enumerate() {
            o.push_str(&format!("  {i}: {s}\n"));
        }
        o.push_str(&format!("{}:\n", l("各検査", "Checks")));
        push_checks(&mut o, &self.checks, lang, "  ");
        o
    }

    /// 0 PASSED, 1 FAILED, 3 INDETERMINATE.
    pub fn exit_code(&self) -> u8 {
        match self.indication {
            CertIndication::Passed => 0,
            CertIndication::Failed => 1,
            CertIndication::Indeterminate => 3,
        }
    }
}
