//! The texts of [`Outcome`]s: English ([`en`], the JSON `detail` and `--lang en`) and
//! Japanese ([`ja`], `--lang ja`; `None` only for texts written by lower layers).

use std::fmt::{self, Write};

use kenpo_core::timefmt::rfc3339;

use super::check::{
    ImprintScope, LevelLimit, NotCheckable, OrderFailure, Outcome, TimestampFinding,
    TimestampOutcome, TokenOutcome,
};

/// The English detail of `o`.
pub(super) fn en(o: &Outcome, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    use Outcome as O;
    match o {
        O::Text(t) => f.write_str(t),
        O::Absent => f.write_str("absent"),
        O::Attribute(e) => write!(f, "{e}"),
        O::SignerCertificate(c) => f.write_str(&c.cert().subject_string()),
        O::NoSignerCertificate(sid) => write!(f, "no certificate matches the sid ({sid})"),
        O::Algorithm(name) => f.write_str(name),
        O::AlgorithmError(e) => write!(f, "{e}"),
        O::ContentType(oid) => f.write_str(&kenpo_core::oid::dotted_text(oid)),
        O::ContentTypeMismatch { signed, content } => {
            write!(f, "{signed} but eContentType is {content}")
        }
        O::NotAnOid => f.write_str("not an OBJECT IDENTIFIER"),
        O::ContentTypeInCountersignature => {
            f.write_str("a countersignature must not carry content-type (RFC 5652 §11.4)")
        }
        O::AbsentInCountersignature => f.write_str("absent (countersignature)"),
        O::NotAnOctetString => f.write_str("not an OCTET STRING"),
        O::DigestMatches(a) => write!(f, "{} matches", a.name()),
        O::DigestNotCompared => f.write_str("present; content not available to compare"),
        O::DigestMismatch {
            algorithm,
            signed,
            content,
        } => write!(f, "{} {signed} != content {content}", algorithm.name()),
        O::NotATime => f.write_str("not a UTCTime/GeneralizedTime"),
        O::NamesSigner => f.write_str("names the signer certificate"),
        O::DoesNotNameSigner => {
            f.write_str("does not name the signer certificate (substitution?)")
        }
        O::ProtectionMatches => f.write_str("matches the SignerInfo algorithms"),
        O::ProtectionDiffers => f.write_str(
            "differs from the SignerInfo's digestAlgorithm/signatureAlgorithm (RFC 6211 §3)",
        ),
        O::ProtectionMalformed => f.write_str("malformed CMSAlgorithmProtection"),
        O::ContentNotAvailable => {
            f.write_str("content not available: the signature over it cannot be checked")
        }
        O::SignatureVerified {
            algorithm,
            backend,
            resorted,
        } => {
            write!(f, "{} ({backend})", algorithm.name())?;
            if *resorted {
                f.write_str(" over the DER-sorted signed attributes (received unsorted)")?;
            }
            Ok(())
        }
        O::NotCheckable(NotCheckable::Unsupported(what)) => {
            write!(f, "cannot be checked: {what}")
        }
        O::NotCheckable(NotCheckable::Missing) => {
            f.write_str("cannot be checked (certificate, algorithm or content missing)")
        }
        O::MalformedSignerInfo(e) => write!(f, "malformed SignerInfo: {e}"),
        O::NoSigningCertificateAttribute => f.write_str(
            "warning: no signing-certificate reference (plain CMS or XMLDSig: no CAdES signing-certificate(-v2) attribute, no XAdES SigningCertificate); the certificate is identified only by the SignerInfo's issuer and serial or by the XML KeyInfo",
        ),
        O::UnsupportedAlgorithm(what) => {
            write!(f, "not checked, this build cannot verify it: {what}")
        }
        O::ContentNotGiven => f.write_str("detached content not given"),
        O::ProfileMet(p) => f.write_str(kenpo_sign::profile::profile_name(*p)),
        O::ProfileRefused(why) => f.write_str(why),
        O::Timestamp(t) => {
            if !t.intact {
                write!(
                    f,
                    "{} time-stamp of {} is not valid: ",
                    t.kind.role(),
                    when(t)
                )?;
            }
            timestamp_en(&t.finding, f)
        }
        O::TsaControlTime {
            gen_time,
            control_time,
            validation_time,
        } => write!(
            f,
            "TSA path for the token of {} checked up to {}{}",
            rfc3339(*gen_time),
            rfc3339(*control_time),
            if *validation_time {
                " (validation time)"
            } else {
                " (next archive time-stamp)"
            }
        ),
        O::TimestampOrder(OrderFailure::ContentAfterSignature { content, signature }) => write!(
            f,
            "content time-stamp {} is later than the signature time-stamp {}",
            rfc3339(*content),
            rfc3339(*signature)
        ),
        O::TimestampOrder(OrderFailure::SignatureAfterArchive { signature, archive }) => write!(
            f,
            "signature time-stamp {} is later than the archive time-stamp {}",
            rfc3339(*signature),
            rfc3339(*archive)
        ),
        O::SunsetReached { key, sunset } => write!(
            f,
            "{} sunset {} ({}); no proof of existence before it",
            key.name(),
            rfc3339(*sunset),
            crate::sunset::SUNSET_POLICY
        ),
        O::BeforeSunset { key, sunset, poe } => write!(
            f,
            "{} sunset {}: proof of existence {} is before it",
            key.name(),
            rfc3339(*sunset),
            rfc3339(*poe)
        ),
        O::BestSignatureTime {
            time,
            from_timestamp,
        } => write!(
            f,
            "{} ({})",
            rfc3339(*time),
            if *from_timestamp {
                "earliest valid signature time-stamp"
            } else {
                "validation time: no valid signature time-stamp"
            }
        ),
        O::NoRevocationSource => f.write_str(
            "--revocation require: no CRL or OCSP response supplied or embedded, no cache directory, and offline",
        ),
        O::PathValidated { at, anchor } => {
            write!(f, "validated at {}", rfc3339(*at))?;
            match anchor {
                Some(a) => write!(f, " to {a}"),
                None => Ok(()),
            }
        }
        O::PathFailed { at, error } => write!(f, "at {}: {error}", rfc3339(*at)),
        O::LevelLimited { level, why } => write!(
            f,
            "{level}: {}",
            match why {
                LevelLimit::NoValidSignatureTimestamp =>
                    "no signature time-stamp is valid, so neither B-T nor any level above it",
                LevelLimit::NoValidArchiveTimestamp =>
                    "no archive time-stamp is valid, so not B-LTA",
            }
        ),
        O::Budget { skipped } => write!(
            f,
            "{skipped} item(s) beyond the processing limit were not checked"
        ),
        O::Countersignature {
            signer,
            indication,
            sub_indication,
            covers_parent,
        } => write!(
            f,
            "countersignature by {}: {indication}{}{}",
            if signer.is_empty() { "(unknown signer)" } else { signer },
            sub_indication.map(|s| format!("/{}", s.name())).unwrap_or_default(),
            if *covers_parent {
                ""
            } else {
                "; it does not cover this signature's SignatureValue"
            }
        ),
        O::NotACertificate => f.write_str("not a DER or PEM certificate"),
        O::Validity {
            not_before,
            not_after,
        } => write!(f, "{} .. {}", rfc3339(*not_before), rfc3339(*not_after)),
        O::NamesChecked(n) => write!(f, "{n} names checked"),
        O::CaRemaining(n) => write!(f, "basicConstraints cA, remaining path length {n}"),
        O::Policies(p) if p.is_empty() => f.write_str(
            // RFC 5280 §6.1.5: an empty valid_policy_tree fails only under explicit policy.
            "no certificate policy valid along the whole path (explicit policy not required)",
        ),
        O::Policies(p) => {
            for (i, oid) in p.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{oid}")?;
            }
            Ok(())
        }
        O::RevocationGood(source) => write!(f, "good ({source})"),
        O::RevocationUnknownSoft(why) => write!(f, "unknown (soft mode): {why}"),
        O::LeafUsage => f.write_str("keyUsage, extendedKeyUsage and policy profile"),
    }
}

fn when(t: &TimestampOutcome) -> String {
    t.gen_time
        .map_or_else(|| "unknown time".to_owned(), rfc3339)
}

/// The English findings of a time-stamp token.
pub(super) fn timestamp_en(t: &TimestampFinding, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match &t.token {
        TokenOutcome::Verifies(tsa) => {
            write!(f, "token verifies (TSA {})", tsa.cert().subject_string())?;
        }
        TokenOutcome::Fails(e) => write!(f, "token does not verify: {e}")?,
    }
    match &t.scope {
        ImprintScope::Archive(what) => {
            if !t.tst_readable {
                f.write_str("; TSTInfo unreadable")?;
            }
            let verdict = match t.imprint {
                Some(true) => "imprint matches",
                Some(false) => "imprint does NOT match",
                None => "imprint not checked",
            };
            write!(f, "; {verdict}; {what}")
        }
        scope => f.write_str(match t.imprint {
            Some(true) => "; imprint matches",
            Some(false) => "; imprint does NOT match",
            None if !t.tst_readable => "; TSTInfo unreadable",
            None if *scope == ImprintScope::Countersignature => {
                "; imprint not checked (countersignature)"
            }
            None => "; imprint not checked",
        }),
    }
}

fn timestamp_ja(t: &TimestampFinding, o: &mut String) {
    match &t.token {
        TokenOutcome::Verifies(tsa) => {
            let _ = write!(o, "トークン検証成功 (TSA {})", tsa.cert().subject_string());
        }
        TokenOutcome::Fails(e) => {
            let _ = write!(o, "トークン検証失敗: {e}");
        }
    }
    if !t.tst_readable {
        o.push_str("; TSTInfo を読めません");
    }
    let imprint = match (t.imprint, &t.scope) {
        (Some(true), _) => Some("; インプリント一致"),
        (Some(false), _) => Some("; インプリント不一致"),
        (None, ImprintScope::Archive(_)) => Some("; インプリント未照合"),
        (None, _) if !t.tst_readable => None,
        (None, ImprintScope::Countersignature) => Some("; インプリント未照合 (副署名)"),
        (None, _) => Some("; インプリント未照合"),
    };
    if let Some(i) = imprint {
        o.push_str(i);
    }
    if let ImprintScope::Archive(what) = &t.scope {
        o.push_str("; ");
        o.push_str(what);
    }
}

/// The Japanese detail of `o`, where written.
pub(super) fn ja(o: &Outcome) -> Option<std::borrow::Cow<'_, str>> {
    use Outcome as O;
    let fixed = |s: &'static str| Some(std::borrow::Cow::Borrowed(s));
    let text = match o {
        O::Absent => return fixed("なし"),
        O::AbsentInCountersignature => return fixed("なし (副署名)"),
        O::DigestMatches(a) => format!("{} 一致", a.name()),
        O::DigestNotCompared => return fixed("あり (コンテンツがないため照合していません)"),
        O::DigestMismatch {
            algorithm,
            signed,
            content,
        } => format!(
            "{} 不一致: 署名 {signed} ≠ コンテンツ {content}",
            algorithm.name()
        ),
        O::NoSignerCertificate(sid) => format!("sid ({sid}) に合う証明書がありません"),
        O::NamesSigner => return fixed("署名者証明書を指しています"),
        O::DoesNotNameSigner => {
            return fixed("署名者証明書を指していません (証明書のすり替えの疑い)");
        }
        O::ProtectionMatches => return fixed("SignerInfo のアルゴリズムと一致"),
        O::ProtectionDiffers => {
            return fixed(
                "SignerInfo の digestAlgorithm/signatureAlgorithm と異なります (RFC 6211 §3)",
            );
        }
        O::ContentNotAvailable => {
            return fixed("コンテンツがないため、その上の署名を検証できません");
        }
        O::SignatureVerified {
            algorithm,
            backend,
            resorted,
        } => format!(
            "{} ({backend}) 検証成功{}",
            algorithm.name(),
            if *resorted {
                " (未整列で受け取った署名属性を DER 整列して検証)"
            } else {
                ""
            }
        ),
        O::NotCheckable(NotCheckable::Unsupported(what)) => format!("検証できません: {what}"),
        O::NotCheckable(NotCheckable::Missing) => {
            return fixed(
                "検証できません (証明書・アルゴリズム・コンテンツのいずれかがありません)",
            );
        }
        O::NoSigningCertificateAttribute => {
            return fixed(
                "警告: 署名証明書の参照がありません (CAdES の signing-certificate(-v2) 属性も XAdES の SigningCertificate もない、素の CMS または XMLDSig)。証明書は SignerInfo の発行者とシリアル番号、または XML の KeyInfo だけで特定されています",
            );
        }
        O::UnsupportedAlgorithm(what) => {
            format!("未検証: このビルドでは検証できないアルゴリズムです: {what}")
        }
        O::ContentNotGiven => return fixed("分離署名の対象コンテンツが指定されていません"),
        O::Timestamp(t) => {
            let mut s = String::new();
            if !t.intact {
                let when = t.gen_time.map_or_else(|| "時刻不明".to_owned(), rfc3339);
                let _ = write!(
                    s,
                    "{} の{}は無効です: ",
                    when,
                    super::words::timestamp_kind(t.kind.role(), super::Lang::Ja)
                );
            }
            timestamp_ja(&t.finding, &mut s);
            s
        }
        O::TsaControlTime {
            gen_time,
            control_time,
            validation_time,
        } => format!(
            "{} のトークンの TSA 証明書パスを {} ({}) まで確認",
            rfc3339(*gen_time),
            rfc3339(*control_time),
            if *validation_time {
                "検証時刻"
            } else {
                "次のアーカイブタイムスタンプ"
            }
        ),
        O::TimestampOrder(OrderFailure::ContentAfterSignature { content, signature }) => format!(
            "コンテンツタイムスタンプ {} が署名タイムスタンプ {} より後です",
            rfc3339(*content),
            rfc3339(*signature)
        ),
        O::TimestampOrder(OrderFailure::SignatureAfterArchive { signature, archive }) => format!(
            "署名タイムスタンプ {} がアーカイブタイムスタンプ {} より後です",
            rfc3339(*signature),
            rfc3339(*archive)
        ),
        O::SunsetReached { key, sunset } => format!(
            "{} の有効期限 {} ({}) を過ぎ、それより前の存在証明がありません",
            key.name(),
            rfc3339(*sunset),
            crate::sunset::SUNSET_POLICY
        ),
        O::BeforeSunset { key, sunset, poe } => format!(
            "{} の有効期限 {} より前の存在証明 {} があります",
            key.name(),
            rfc3339(*sunset),
            rfc3339(*poe)
        ),
        O::BestSignatureTime {
            time,
            from_timestamp,
        } => format!(
            "{} ({})",
            rfc3339(*time),
            if *from_timestamp {
                "最も早い有効な署名タイムスタンプ"
            } else {
                "検証時刻: 有効な署名タイムスタンプなし"
            }
        ),
        O::NoRevocationSource => {
            return fixed(
                "--revocation require: CRL・OCSP レスポンスの指定も埋め込みもなく、キャッシュディレクトリもなく、オフラインです",
            );
        }
        O::PathValidated { at, anchor } => match anchor {
            Some(a) => format!("{} 時点で {a} まで検証済み", rfc3339(*at)),
            None => format!("{} 時点で検証済み", rfc3339(*at)),
        },
        O::PathFailed { at, error } => format!("{} 時点: {error}", rfc3339(*at)),
        O::LevelLimited { level, why } => format!(
            "{level}: {}",
            match why {
                LevelLimit::NoValidSignatureTimestamp =>
                    "有効な署名タイムスタンプがないため、B-T 以上になりません",
                LevelLimit::NoValidArchiveTimestamp =>
                    "有効なアーカイブタイムスタンプがないため、B-LTA になりません",
            }
        ),
        O::Budget { skipped } => format!("処理上限を超えた {skipped} 件は検査していません"),
        O::Countersignature {
            signer,
            indication,
            sub_indication,
            covers_parent,
        } => format!(
            "{} による副署名: {indication}{}{}",
            if signer.is_empty() {
                "（署名者不明）"
            } else {
                signer
            },
            sub_indication
                .map(|s| format!("/{}", s.name()))
                .unwrap_or_default(),
            if *covers_parent {
                ""
            } else {
                "。この署名の SignatureValue を対象としていません"
            }
        ),
        O::NotACertificate => return fixed("DER・PEM 形式の証明書ではありません"),
        O::NamesChecked(n) => format!("{n} 個の名前を確認"),
        O::CaRemaining(n) => format!("basicConstraints cA、残りパス長 {n}"),
        O::Policies(p) if p.is_empty() => {
            return fixed("パス全体で有効な証明書ポリシーはありません (明示的ポリシーは不要)");
        }
        O::RevocationGood(source) => format!("失効なし ({source})"),
        O::RevocationUnknownSoft(why) => format!("不明 (ソフトモード): {why}"),
        O::LeafUsage => return fixed("鍵用途・拡張鍵用途・ポリシーのプロファイルを満たします"),
        O::Attribute(e) => format!("属性を読めません: {e}"),
        O::SignerCertificate(c) => format!("署名者証明書: {}", c.cert().subject_string()),
        O::Algorithm(name) => format!("{name} (対応アルゴリズム)"),
        O::AlgorithmError(e) => format!("使用できないアルゴリズム識別子: {e}"),
        O::ContentType(oid) => format!("{} (署名対象と一致)", kenpo_core::oid::dotted_text(oid)),
        O::ContentTypeMismatch { signed, content } => {
            format!("署名された content-type {signed} が eContentType {content} と異なります")
        }
        O::NotAnOid => return fixed("OBJECT IDENTIFIER ではありません"),
        O::ContentTypeInCountersignature => {
            return fixed("副署名は content-type 属性を持ってはいけません (RFC 5652 §11.4)");
        }
        O::NotAnOctetString => return fixed("OCTET STRING ではありません"),
        O::NotATime => return fixed("UTCTime・GeneralizedTime ではありません"),
        O::ProtectionMalformed => return fixed("CMSAlgorithmProtection 属性の形式が不正です"),
        O::MalformedSignerInfo(e) => format!("SignerInfo の形式が不正です: {e}"),
        O::ProfileMet(p) => format!(
            "{} プロファイルを満たします",
            kenpo_sign::profile::profile_name(*p)
        ),
        O::ProfileRefused(why) => format!("プロファイルを満たしません: {why}"),
        O::Validity {
            not_before,
            not_after,
        } => format!(
            "有効期間 {} 〜 {}",
            rfc3339(*not_before),
            rfc3339(*not_after)
        ),
        O::Policies(p) => {
            let names: Vec<String> = p
                .iter()
                .map(|oid| super::words::policy(&oid.to_string(), super::Lang::Ja))
                .collect();
            format!("パス全体で有効な証明書ポリシー: {}", names.join(", "))
        }
        O::Text(_) => return None,
    };
    Some(std::borrow::Cow::Owned(text))
}
