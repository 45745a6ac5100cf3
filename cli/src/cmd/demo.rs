//! `kenpo-sign demo`: the main job on built-in defaults, start to finish, on loopback only.
//!
//! 1. make the reproducible test PKI;
//! 2. start the built-in TSA on 127.0.0.1 (OS-chosen port);
//! 3. time-stamp a sample e-application file over HTTP;
//! 4. verify the saved response from disk against the TSA root, as a receiver would;
//! 5. print the verified genTime.
//!
//! Later issues extend the story (sign → B-LTA → verify).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kenpo_tsa::chain::AnchorChain;
use kenpo_tsa::client::{ClientConfig, TsaClient};
use kenpo_tsa::response::TimeStampResponse;
use kenpo_tsa::server::http::{HttpOptions, LocalServer};
use kenpo_tsa::server::{Tsa, TsaConfig};
use kenpo_tsa::{VerifyOptions, verify_token};

use crate::exit::{self, CliError};
use crate::files;

/// Policy OID the demo TSA uses (under the documentation enterprise arc, RFC 5612).
const DEMO_POLICY: &str = "1.3.6.1.4.1.32473.27.3.1";

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep everything (PKI, TSA state, sample file, response) in this directory instead
    /// of a temporary one.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

fn step(n: u8, ja: &str, en: &str) {
    println!("[{n}] {ja} / {en}");
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
            tmp = tempfile::tempdir().map_err(|e| CliError::op("temporary directory", e))?;
            tmp.path()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::op("runtime", e))?;
    rt.block_on(demo(dir))?;
    Ok(exit::OK)
}

async fn demo(dir: &Path) -> Result<(), CliError> {
    step(
        1,
        "テスト用PKIを生成",
        "generating the test PKI (HPKI profile, test-only keys)",
    );
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())
        .map_err(|e| CliError::op("test PKI", e))?;
    let pki_dir = dir.join("pki");
    pki.write_to(&pki_dir)
        .map_err(|e| CliError::op("test PKI", e))?;
    println!(
        "    {} certificates, {} CRLs in {}",
        pki.entities().len(),
        pki.crls().len(),
        pki_dir.display()
    );

    step(
        2,
        "タイムスタンプ局を起動",
        "starting the built-in TSA on 127.0.0.1",
    );
    let policy = const_oid::ObjectIdentifier::new_unwrap(DEMO_POLICY);
    let config = TsaConfig::from_files(
        &pki_dir.join("tsa.pem"),
        &pki_dir.join("tsa.key.pem"),
        &[pki_dir.join("tsa-ca.pem")],
        policy,
        kenpo_core::crypto::default_backend(),
    )
    .map_err(|e| CliError::op("TSA configuration", e))?;
    let tsa = Tsa::open(config, &dir.join("tsa-state")).map_err(|e| CliError::op("TSA", e))?;
    let server = LocalServer::start(Arc::new(tsa), HttpOptions::default())
        .await
        .map_err(|e| CliError::op("TSA server", e))?;
    println!("    listening on {}", server.url());

    step(
        3,
        "申請ファイルにタイムスタンプを付与",
        "time-stamping a sample e-application file",
    );
    let sample = dir.join("kenpo-application.csv");
    let content = "申請種別,被保険者番号,氏名,提出日\n資格取得届,12345678,山田太郎,2026-11-22\n";
    std::fs::write(&sample, content).map_err(|e| CliError::op("sample file", e))?;
    let client =
        TsaClient::new(ClientConfig::new([server.url()])).map_err(|e| CliError::op("client", e))?;
    let stamp = client
        .timestamp_file(&sample)
        .await
        .map_err(|e| CliError::op("time-stamping", e))?;
    let tsr = dir.join("kenpo-application.csv.tsr");
    files::write_atomic(&tsr, &stamp.response_der)?;
    println!(
        "    {} ({} bytes, serial {})",
        tsr.display(),
        stamp.response_der.len(),
        stamp.token.serial_hex()
    );
    server
        .shutdown()
        .await
        .map_err(|e| CliError::op("TSA shutdown", e))?;

    step(
        4,
        "受領側として検証",
        "verifying the saved response as a receiver would",
    );
    let raw = files::read(&tsr)?;
    let resp = TimeStampResponse::parse(&raw).map_err(|e| CliError::Refused(e.to_string()))?;
    let token = resp
        .token
        .ok_or_else(|| CliError::Refused(format!("no token: {}", resp.status)))?;
    let anchors = vec![
        pki.entity("tsa-ca")
            .map_err(|e| CliError::op("PKI", e))?
            .cert_der
            .clone(),
    ];
    let validator = AnchorChain::new(anchors);
    let digest = files::hash_file(&sample, kenpo_core::alg::DigestAlgorithm::Sha256)?;
    let opts = VerifyOptions {
        expected_imprint: Some(&digest),
        validator: Some(&validator),
        ..VerifyOptions::default()
    };
    let verified = verify_token(token, &opts).map_err(|e| CliError::Refused(e.to_string()))?;

    step(5, "結果", "result");
    println!("    検証結果 / verification: OK");
    println!(
        "    genTime (UTC):  {}",
        kenpo_core::timefmt::rfc3339(verified.gen_time())
    );
    println!("    TSA:            {}", verified.tsa_subject());
    println!("    policy:         {}", verified.policy());
    println!("    imprint:        SHA-256 {}", digest.to_hex());
    println!(
        "    chain:          {} certificate(s) to the trusted TSA root",
        verified.path.len()
    );
    Ok(())
}
