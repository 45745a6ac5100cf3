//! `kenpo-sign demo`: the main job on built-in defaults, start to finish, on loopback only.
//!
//! 1. make the reproducible test PKI and start its revocation service (OCSP, CRLs) and the
//!    built-in TSA on 127.0.0.1 (OS-chosen ports);
//! 2. time-stamp an unsigned submission (intake token);
//! 3. sign an e-application with the HPKI test signer (CAdES B-T, rule 27-1);
//! 4. extend it to B-LTA: validation data and an archive time-stamp (rule 27-2);
//! 5. stop every service and verify the B-LTA file offline, from embedded data only;
//! 6. print the report (Japanese or English from the locale).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kenpo_sign::cades::{SignOptions, sign_file_to};
use kenpo_sign::signer::SoftwareSigner;
use kenpo_sign::{Level, Profile};
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::BlockingTsaClient;
use kenpo_tsa::server::http::{HttpOptions, LocalServer};
use kenpo_tsa::server::{Tsa, TsaConfig};
use kenpo_verify::lt::{ExtendOptions, Target, extend};
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};

use crate::exit::CliError;
use crate::{LangArg, files};

/// Policy OID the demo TSA uses (under the documentation enterprise arc, RFC 5612).
const DEMO_POLICY: &str = crate::cmd::tsa_serve::DEFAULT_POLICY;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep everything (PKI, TSA state, sample files, signatures) in this directory instead
    /// of a temporary one.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Report language (default: from the locale).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

fn step(n: u8, ja: &str, en: &str) {
    outln!("[{n}] {ja} / {en}");
}

fn op<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> CliError {
    move |e| CliError::op(what, e)
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let tmp;
    let dir: &Path = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| CliError::op(format!("cannot create {}", d.display()), e))?;
            d
        }
        None => {
            tmp = tempfile::tempdir().map_err(op("temporary directory"))?;
            tmp.path()
        }
    };
    demo(dir, args.lang)
}

fn demo(dir: &Path, lang: Option<LangArg>) -> Result<u8, CliError> {
    step(
        1,
        "テスト用PKI・失効情報サービス・タイムスタンプ局を起動",
        "test PKI, revocation service (OCSP/CRL) and TSA on 127.0.0.1",
    );
    let bound = RevocationService::bind("127.0.0.1:0").map_err(op("revocation service"))?;
    let mut cfg = kenpo_testpki::Config::default();
    bound.config_urls(&mut cfg);
    let pki = kenpo_testpki::generate(&cfg).map_err(op("test PKI"))?;
    let pki_dir = dir.join("pki");
    pki.write_to(&pki_dir).map_err(op("test PKI"))?;
    let service = bound.start(pki).map_err(op("revocation service"))?;
    outln!("    PKI:        {}", pki_dir.display());
    outln!("    OCSP/CRL:   {}", service.base_url());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(op("runtime"))?;
    let config = TsaConfig::from_files(
        &pki_dir.join("tsa.pem"),
        &pki_dir.join("tsa.key.pem"),
        &[pki_dir.join("tsa-ca.pem")],
        const_oid::ObjectIdentifier::new_unwrap(DEMO_POLICY),
        kenpo_core::crypto::default_backend(),
    )
    .map_err(op("TSA configuration"))?;
    let tsa = Tsa::open(config, &dir.join("tsa-state")).map_err(op("TSA"))?;
    let server = rt
        .block_on(LocalServer::start(Arc::new(tsa), HttpOptions::default()))
        .map_err(op("TSA server"))?;
    outln!("    TSA:        {}", server.url());
    let anchors = files::certificates(&[pki_dir.join("root-ca.pem"), pki_dir.join("tsa-ca.pem")])?;
    let tsa_config = crate::cmd::extend::tsa_config(&[server.url()], &anchors)
        .ok_or_else(|| CliError::op("TSA", "no URL"))?;

    step(
        2,
        "未署名の提出ファイルに受付タイムスタンプ",
        "intake time-stamp for an unsigned submission",
    );
    let unsigned = dir.join("submission.csv");
    std::fs::write(
        &unsigned,
        "申請種別,被保険者番号,氏名\n資格喪失届,87654321,佐藤花子\n",
    )
    .map_err(op("sample file"))?;
    let client = BlockingTsaClient::new(tsa_config.clone()).map_err(op("TSA client"))?;
    let stamp = client
        .timestamp_file(&unsigned)
        .map_err(op("time-stamping"))?;
    let tsr = dir.join("submission.csv.tsr");
    files::write_atomic(&tsr, &stamp.response_der)?;
    outln!(
        "    {} (genTime {})",
        tsr.display(),
        kenpo_core::timefmt::rfc3339(stamp.gen_time())
    );

    step(
        3,
        "HPKI署名 (CAdES B-T, 規程第27条第1項)",
        "HPKI signature, CAdES B-T (rule 27-1)",
    );
    let doc = dir.join("application.csv");
    std::fs::write(
        &doc,
        "申請種別,被保険者番号,氏名,提出日\n資格取得届,12345678,山田太郎,2026-11-22\n",
    )
    .map_err(op("sample file"))?;
    let signer = SoftwareSigner::from_pem_files(
        &pki_dir.join("hpki-signer.pem"),
        &pki_dir.join("hpki-signer.key.pem"),
        &[pki_dir.join("hpki-sign-ca.pem")],
        kenpo_core::crypto::default_backend(),
    )
    .map_err(op("signer"))?;
    let bt = dir.join("application.csv.bt.p7s");
    let signed = sign_file_to(
        &signer,
        &doc,
        &bt,
        &SignOptions::default()
            .with_level(Level::BT)
            .with_profile(Profile::Hpki)
            .with_tsa(Some(tsa_config.clone()))
            .with_revocation(Some(Arc::new(kenpo_revocation::Checker::new()))),
    )
    .map_err(op("signing"))?;
    outln!("    {} ({})", bt.display(), signed.signer_summary.subject);

    step(
        4,
        "長期署名 B-LTA へ拡張 (規程第27条第2項)",
        "extending to B-LTA: validation data + archive time-stamp (rule 27-2)",
    );
    let x = extend(
        &files::read(&bt)?,
        Some(&doc),
        &ExtendOptions::new(Target::BLta, Some(tsa_config), anchors.clone())
            .with_profile(Profile::Hpki),
    )
    .map_err(crate::cmd::extend::extend_error)?;
    let lta = dir.join("application.csv.p7s");
    files::write_atomic(&lta, &x.der)?;
    outln!(
        "    {} (+{} certificates, +{} CRLs, +{} OCSP responses, archive time-stamp {})",
        lta.display(),
        x.added_certificates,
        x.added_crls,
        x.added_ocsp_responses,
        x.archive_time_stamp
            .map(kenpo_core::timefmt::rfc3339)
            .unwrap_or_default()
    );

    step(
        5,
        "全サービス停止後、埋め込み情報だけでオフライン検証",
        "services stopped; offline verification from embedded data only",
    );
    rt.block_on(server.shutdown()).map_err(op("TSA shutdown"))?;
    service.shutdown();
    let report = verify_signature(
        &VerifyRequest::new(&files::read(&lta)?)
            .with_content(Some(&doc))
            .with_anchors(anchors)
            .with_cert_store(Vec::new())
            .with_crls(Vec::new())
            .with_ocsp_responses(Vec::new())
            .with_profile(Profile::Hpki)
            .with_offline(true)
            .with_revocation_cache(None)
            .with_fetch_allow(Vec::new())
            .with_at(None)
            .with_revocation(RevocationMode::Hard)
            .with_policy(kenpo_verify::policy::Policy::default()),
    )
    .map_err(op("verification"))?;

    step(6, "検証レポート", "report");
    out!("{}", report.render_text(LangArg::resolve(lang)));
    Ok(report.exit_code())
}
