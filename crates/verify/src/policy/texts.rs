//! English and Japanese texts of unmet [`Requirement`]s.

use kenpo_core::timefmt::rfc3339;
use kenpo_sign::profile::profile_name;

use super::evaluate::Requirement;
use crate::report::Lang;

fn when(t: Option<time::OffsetDateTime>) -> String {
    t.map_or_else(|| "-".to_owned(), rfc3339)
}

/// The text of `r` in `lang`.
pub(super) fn text(r: &Requirement, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    match r {
        Requirement::Level { required, found } => {
            let (r, f) = (required.name(), found.name());
            if ja {
                format!("要求レベル {r} に対し、有効な証拠で示せるのは {f} まで")
            } else {
                format!("level {r} required, the valid evidence supports {f}")
            }
        }
        Requirement::Profile { accepted } => {
            let names: Vec<&str> = accepted.iter().map(|p| profile_name(*p)).collect();
            let names = names.join(", ");
            if ja {
                format!("署名者証明書が受け入れるプロファイル ({names}) のいずれにも該当しない")
            } else {
                format!("the signer certificate meets none of the accepted profiles ({names})")
            }
        }
        Requirement::SignatureTimestamp => lang
            .pick(
                "署名を対象とする有効な署名タイムスタンプがない",
                "no valid signature time-stamp covers the signature",
            )
            .to_owned(),
        Requirement::ValidAtTimestamp { gen_time } => {
            let t = rfc3339(*gen_time);
            if ja {
                format!("署名者証明書が署名タイムスタンプの時刻 {t} に有効(失効なし)と確認できない")
            } else {
                format!(
                    "the signer certificate is not shown valid and unrevoked at the signature time-stamp's genTime {t}"
                )
            }
        }
        Requirement::ArchiveTimestamp => lang
            .pick(
                "有効なアーカイブタイムスタンプがない",
                "no valid archive time-stamp",
            )
            .to_owned(),
        Requirement::ArchiveChain { gen_time } => {
            let t = when(*gen_time);
            if ja {
                format!("アーカイブタイムスタンプの連鎖が途切れている ({t} のものが無効)")
            } else {
                format!("the chain of archive time-stamps is broken (the one of {t} is not valid)")
            }
        }
        Requirement::TsaAnchor { kind, gen_time } => {
            let t = when(*gen_time);
            if ja {
                format!(
                    "{kind} タイムスタンプ ({t}) のTSA証明書パスが受け入れるトラストアンカーに至らない"
                )
            } else {
                format!(
                    "the TSA path of the {kind} time-stamp of {t} does not end at an accepted TSA anchor"
                )
            }
        }
    }
}
