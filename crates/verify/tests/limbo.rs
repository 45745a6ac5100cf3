//! x509-limbo conformance: runs every case through [`PathValidator`] and compares the
//! per-namespace agreement with the committed baseline `tests/baselines/limbo.json`
//! (the counts of agreeing cases may only go up).
//!
//! `cargo test -p kenpo-verify --test limbo -- --nocapture` prints the table;
//! `KENPO_UPDATE_BASELINES=1` rewrites the baseline when results improve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::conformance::{Table, check_baseline, print_table, write_results};

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use der::Decode;
use kenpo_revocation::Checker;
use kenpo_verify::path::{KeyUsages, PathValidator, RevocationMode, ValidationOptions};
use serde_json::{Value, json};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> Option<PathBuf> {
    let d = manifest().join("../../../shared/conformance/x509-limbo");
    if d.join("limbo.json.gz").exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("x509-limbo data missing at {} (CI is set)", d.display());
    } else {
        eprintln!("SKIP: x509-limbo data not found at {}", d.display());
        None
    }
}

fn pems(v: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let items: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    for s in items {
        for label in ["CERTIFICATE", "X509 CRL"] {
            out.extend(kenpo_core::pem::blocks(s.as_bytes(), label).unwrap_or_default());
        }
    }
    out
}

/// Trivial peer-name matching (SAN dNSName with a left-most wildcard, SAN iPAddress).
fn peer_name_ok(leaf: &[u8], kind: &str, value: &str) -> Option<bool> {
    let cert = kenpo_core::cert::CertRef::parse(leaf).ok()?;
    let san = cert
        .extension(const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)
        .and_then(|e| SubjectAltName::from_der(e.value).ok());
    let names = san.map(|s| s.0).unwrap_or_default();
    match kind {
        "DNS" => {
            let want = value.to_ascii_lowercase();
            Some(names.iter().any(|n| match n {
                GeneralName::DnsName(d) => {
                    let d = d.as_str().to_ascii_lowercase();
                    if let Some(rest) = d.strip_prefix("*.") {
                        want.split_once('.')
                            .is_some_and(|(l, r)| !l.is_empty() && r == rest)
                    } else {
                        d == want
                    }
                }
                _ => false,
            }))
        }
        "IP" => {
            let ip: std::net::IpAddr = value.parse().ok()?;
            let bytes = match ip {
                std::net::IpAddr::V4(a) => a.octets().to_vec(),
                std::net::IpAddr::V6(a) => a.octets().to_vec(),
            };
            Some(
                names
                    .iter()
                    .any(|n| matches!(n, GeneralName::IpAddress(o) if o.as_bytes() == bytes)),
            )
        }
        _ => None,
    }
}

enum Outcome {
    Success,
    Failure(String),
    Skipped(String),
}

fn run_case(tc: &Value) -> Outcome {
    let id = tc["id"].as_str().unwrap_or("");
    let features: Vec<&str> = tc["features"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if features.contains(&"pedantic-public-suffix-wildcard") {
        return Outcome::Skipped(
            "public-suffix wildcard rules are web-PKI peer-name matching".into(),
        );
    }
    if id.starts_with("online::") {
        // Real server chains: run them anyway (chain part only).
    }
    let trusted = pems(&tc["trusted_certs"]);
    let inter = pems(&tc["untrusted_intermediates"]);
    let leaf = match pems(&tc["peer_certificate"]).into_iter().next() {
        Some(l) => l,
        None => return Outcome::Skipped("no peer certificate".into()),
    };
    let time = match tc["validation_time"].as_str() {
        Some(t) => {
            match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                Ok(t) => t,
                Err(e) => return Outcome::Skipped(format!("validation_time: {e}")),
            }
        }
        None => time::OffsetDateTime::now_utc(),
    };
    let mut opts = ValidationOptions::at(time);
    opts.revocation_mode = RevocationMode::Off;
    opts.max_signature_checks = 256;
    if let Some(d) = tc["max_chain_depth"].as_u64() {
        opts.max_depth = d as usize;
    }
    for ku in tc["key_usage"].as_array().into_iter().flatten() {
        match ku.as_str() {
            Some("digitalSignature") => opts.required_key_usage.push(KeyUsages::DigitalSignature),
            other => return Outcome::Skipped(format!("key usage {other:?} not mapped")),
        }
    }
    let ekus: Vec<&str> = tc["extended_key_usage"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match ekus.as_slice() {
        [] => {}
        ["serverAuth"] => opts.required_eku = Some(const_oid::db::rfc5280::ID_KP_SERVER_AUTH),
        ["clientAuth"] => opts.required_eku = Some(const_oid::db::rfc5280::ID_KP_CLIENT_AUTH),
        other => return Outcome::Skipped(format!("EKU {other:?} not mapped")),
    }
    if opts.required_eku.is_none() && tc["validation_kind"].as_str() == Some("SERVER") {
        opts.required_eku = Some(const_oid::db::rfc5280::ID_KP_SERVER_AUTH);
    }
    opts.ca_eku_nesting = true;
    opts.strict_conformance = true;
    let crls: Vec<Vec<u8>> = match &tc["crls"] {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|s| kenpo_core::pem::blocks(s.as_bytes(), "X509 CRL").unwrap_or_default())
            .collect(),
        _ => vec![],
    };
    let mut v = PathValidator::new(trusted, opts).with_intermediates(inter);
    if !crls.is_empty() {
        v.options_mut().revocation_mode = RevocationMode::Hard;
        v = v.with_revocation(Arc::new(Checker::new().with_crls(crls).offline(true)));
    }
    match v.validate(&leaf, &[]) {
        Err(e) => Outcome::Failure(format!("{e} [{}]", e.sub_indication())),
        Ok(_) => {
            if tc["validation_kind"].as_str() == Some("SERVER")
                && let Some(pn) = tc["expected_peer_name"].as_object()
            {
                let kind = pn.get("kind").and_then(Value::as_str).unwrap_or("");
                let value = pn.get("value").and_then(Value::as_str).unwrap_or("");
                match peer_name_ok(&leaf, kind, value) {
                    Some(true) => {}
                    Some(false) => {
                        return Outcome::Failure(format!(
                            "peer name {kind}:{value} does not match"
                        ));
                    }
                    None => {
                        return Outcome::Skipped(
                            "peer name matching is not a document-signature concern".into(),
                        );
                    }
                }
            }
            Outcome::Success
        }
    }
}

fn namespace(id: &str) -> String {
    let mut parts = id.split("::");
    let first = parts.next().unwrap_or("");
    if first == "bettertls" {
        format!("{first}::{}", parts.next().unwrap_or(""))
    } else {
        first.to_string()
    }
}

#[test]
fn limbo_conformance() {
    let Some(dir) = data_dir() else { return };
    let mut gz =
        flate2::read::GzDecoder::new(std::fs::File::open(dir.join("limbo.json.gz")).unwrap());
    let mut text = String::new();
    gz.read_to_string(&mut text).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut table: Table = BTreeMap::new();
    let mut results = Vec::new();
    let only = std::env::var("KENPO_LIMBO_ONLY").ok();
    for tc in doc["testcases"].as_array().unwrap() {
        let id = tc["id"].as_str().unwrap_or("");
        if only.as_deref().is_some_and(|o| !id.starts_with(o)) {
            continue;
        }
        let expected = tc["expected_result"].as_str().unwrap_or("");
        let outcome = run_case(tc);
        let (actual, context, verdict) = match &outcome {
            Outcome::Success => (
                "SUCCESS",
                String::new(),
                if expected == "SUCCESS" {
                    "agree"
                } else {
                    "disagree"
                },
            ),
            Outcome::Failure(m) => (
                "FAILURE",
                m.clone(),
                if expected == "FAILURE" {
                    "agree"
                } else {
                    "disagree"
                },
            ),
            Outcome::Skipped(m) => ("SKIPPED", m.clone(), "skip"),
        };
        if verdict == "disagree" && std::env::var_os("KENPO_LIMBO_VERBOSE").is_some() {
            println!("DISAGREE {id}: expected {expected}, got {actual} {context}");
        }
        for ns in [namespace(id), "total".to_string()] {
            let e = table.entry(ns).or_default();
            for k in ["agree", "disagree", "skip"] {
                e.entry(k.to_string()).or_insert(0);
            }
            *e.entry(verdict.to_string()).or_insert(0) += 1;
        }
        results.push(json!({"id": id, "actual_result": actual, "context": context}));
    }
    print_table(&table);
    write_results("limbo", &results, &table);
    if only.is_none() {
        check_baseline("limbo", &table);
    }
}
