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
            if ja {
                format!(
                    "要求レベル {} に対し、有効な証拠で示せるのは {} まで",
                    required.name(),
                    found.name()
                )
            } else {
                format!(
                    "level {} required, the valid evidence supports {}",
                    required.name(),
                    found.name()
                )
            }
        }
        Requirement::Profile { accepted } => {
            let names: Vec<&str> = accepted.iter().map(|p| profile_name(*p)).collect();
            if ja {
                format!(
                    "署名者証明書が受け入れるプロファイル ({}) のいずれにも該当しない",
                    names.join(", ")
                )
            } else {
                format!(
                    "the signer certificate meets none of the accepted profiles ({})",
                    names.join(", ")
                )
            }
        }
        Requirement::SignatureTimestamp => if ja {
            "署名を対象とする有効な署名タイムスタンプがない"
        } else {
            "no valid signature time-stamp covers the signature"
        }
        .to_owned(),
        Requirement::ValidAtTimestamp { gen_time } => {
            if ja {
                format!(
                    "署名者証明書が署名タイムスタンプの時刻 {} に有効(失効なし)と確認できない",
                    rfc3339(*gen_time)
                )
            } else {
                format!(
                    "the signer certificate is not shown valid and unrevoked at the signature time-stamp's genTime {}",
                    rfc3339(*gen_time)
                )
            }
        }
        Requirement::ArchiveTimestamp => if ja {
            "有効なアーカイブタイムスタンプがない"
        } else {
            "no valid archive time-stamp"
        }
        .to_owned(),
        Requirement::ArchiveChain { gen_time } => {
            if ja {
                format!(
                    "アーカイブタイムスタンプの連鎖が途切れている ({} のものが無効)",
                    when(*gen_time)
                )
            } else {
                format!(
                    "the chain of archive time-stamps is broken (the one of {} is not valid)",
                    when(*gen_time)
                )
            }
        }
        Requirement::TsaAnchor { kind, gen_time } => {
            if ja {
                format!(
                    "{kind} タイムスタンプ ({}) のTSA証明書パスが受け入れるトラストアンカーに至らない",
                    when(*gen_time)
                )
            } else {
                format!(
                    "the TSA path of the {kind} time-stamp of {} does not end at an accepted TSA anchor",
                    when(*gen_time)
                )
            }
        }
    }
}
