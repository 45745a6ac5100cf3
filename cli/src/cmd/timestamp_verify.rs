//! `kenpo-sign timestamp-verify TSR_OR_TOKEN --data FILE --trust PEM... [--format text|json]
//! [--max-input-bytes N]`
//!
//! The data is hashed as a stream; the token and certificates are held in memory, each up
//! to `--max-input-bytes`.

use std::path::{Path, PathBuf};

use kenpo_core::cms::SignedDataView;
use kenpo_tsa::AnchorChain;
use kenpo_tsa::{TimeStampResponse, is_response};
use kenpo_tsa::{TstInfo, VerifiedToken, VerifyOptions, verify_token};
use serde::Serialize;

use crate::exit::{self, CliError};
use kenpo_verify::report::Lang;

use crate::{Format, LangArg, files};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A TimeStampResp (`.tsr`) or a bare TimeStampToken, DER or PEM.
    pub token: PathBuf,
    /// The time-stamped data.
    #[arg(long)]
    pub data: PathBuf,
    /// Trust anchors for the TSA certificate (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// Extra certificates to find the TSA certificate when the token does not embed it.
    #[arg(long)]
    pub untrusted: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of text output (default: from the locale).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Time zone of text output.
    #[command(flatten)]
    pub tz: crate::tz::TzArg,
    /// Size limit of the token and certificate files (held in memory; the data is
    /// streamed).
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// The JSON report.
#[derive(Debug, Serialize)]
struct Report {
    valid: bool,
    error: Option<String>,
    gen_time: Option<String>,
    serial: Option<String>,
    policy: Option<String>,
    accuracy_ms: Option<u128>,
    imprint_algorithm: Option<&'static str>,
    tsa: Option<String>,
    path: Vec<String>,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let raw = files::der_or_pem_limited(&args.token, args.limit)?;
    let anchors = files::certificates_limited(&args.trust, args.limit)?;
    let extra = files::certificates_limited(&args.untrusted, args.limit)?;
    let outcome = check(&raw, &args.data, anchors, &extra)?;
    let report = match &outcome {
        Ok(v) => Report {
            valid: true,
            error: None,
            gen_time: Some(kenpo_core::timefmt::rfc3339(v.gen_time())),
            serial: Some(v.serial_hex()),
            policy: Some(v.policy().to_string()),
            accuracy_ms: v.accuracy().map(|a| a.as_duration().as_millis()),
            imprint_algorithm: Some(v.tst_info.imprint.algorithm().name()),
            tsa: Some(v.tsa_subject()),
            path: v
                .path
                .iter()
                .filter_map(|c| {
                    kenpo_core::cert::CertRef::parse(c)
                        .ok()
                        .map(|c| c.subject_string())
                })
                .collect(),
        },
        Err(e) => Report {
            valid: false,
            error: Some(e.clone()),
            gen_time: None,
            serial: None,
            policy: None,
            accuracy_ms: None,
            imprint_algorithm: None,
            tsa: None,
            path: Vec::new(),
        },
    };
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        Format::Text => out!(
            "{}",
            crate::tz::localize(&text(&report, LangArg::resolve(args.lang)), args.tz.tz)
        ),
    }
    Ok(if report.valid { exit::OK } else { exit::FAILED })
}

/// The text report in `lang`.
fn text(r: &Report, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    let l = |j: &'static str, e: &'static str| if ja { j } else { e };
    let mut o = String::new();
    if r.valid {
        o.push_str(&format!("{}: OK\n", l("検証結果", "Verification")));
        let mut show = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                o.push_str(&format!("{k:<10} {v}\n"));
            }
        };
        show(l("時刻:", "genTime:"), &r.gen_time);
        show(l("シリアル:", "serial:"), &r.serial);
        show(l("ポリシー:", "policy:"), &r.policy);
        show("TSA:", &r.tsa);
        if let Some(ms) = r.accuracy_ms {
            o.push_str(&format!("{:<10} ±{ms} ms\n", l("精度:", "accuracy:")));
        }
        for (i, p) in r.path.iter().enumerate() {
            let k = if i == 0 {
                l("証明書パス:", "path:")
            } else {
                ""
            };
            o.push_str(&format!("{k:<10} {p}\n"));
        }
    } else {
        o.push_str(&format!("{}: FAILED\n", l("検証結果", "Verification")));
        o.push_str(&format!(
            "{}    {}\n",
            l("理由:", "reason:"),
            r.error.as_deref().unwrap_or("unknown")
        ));
    }
    o
}

/// Verifies; the outer error is operational (exit 4), the inner one a failed verdict.
fn check(
    raw: &[u8],
    data: &Path,
    anchors: Vec<Vec<u8>>,
    extra: &[Vec<u8>],
) -> Result<Result<VerifiedToken, String>, CliError> {
    let token = if is_response(raw) {
        let resp = match TimeStampResponse::parse(raw) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("not a TimeStampResp: {e}"))),
        };
        match resp.token {
            Some(t) if resp.status.status.is_ok_and(|s| s.is_granted()) => t,
            _ => return Ok(Err(format!("response carries no token: {}", resp.status))),
        }
    } else {
        raw
    };
    // The imprint algorithm decides how the data is hashed.
    let alg = match SignedDataView::parse(token)
        .map_err(|e| e.to_string())
        .and_then(|sd| {
            sd.econtent
                .ok_or_else(|| "token without TSTInfo".to_string())
        })
        .and_then(|c| TstInfo::parse(c).map_err(|e| e.to_string()))
    {
        Ok(t) => t.imprint.algorithm(),
        Err(e) => return Ok(Err(format!("not a time-stamp token: {e}"))),
    };
    let digest = files::hash_file(data, alg)?;
    let validator = AnchorChain::new(anchors);
    let opts = VerifyOptions::default()
        .with_expected_imprint(Some(&digest))
        .with_extra_certs(extra)
        .with_validator(Some(&validator));
    Ok(verify_token(token, &opts).map_err(|e| e.to_string()))
}
