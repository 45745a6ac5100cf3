//! NIST PKITS conformance: every case of `pkits.json` through [`PathValidator`] with the
//! PKITS trust anchor, the supplied CRLs (hard revocation mode unless the case disables
//! revocation) and the case's initial policy parameters. Per-section agreement is compared
//! with the committed baseline `tests/baselines/pkits.json` (only-up rule).
//!
//! `cargo test -p kenpo-verify --test pkits -- --nocapture` prints the table;
//! `KENPO_UPDATE_BASELINES=1` rewrites the baseline when results improve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::conformance::{Table, check_baseline, print_table, write_results};

use std::collections::BTreeMap;
use std::path::PathBuf;

use const_oid::ObjectIdentifier as Oid;
use kenpo_revocation::Checker;
use kenpo_verify::path::{PathValidator, RevocationMode, ValidationOptions};
use serde_json::{Value, json};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> Option<PathBuf> {
    let d = manifest().join("../../../shared/conformance/pkits");
    if d.join("pkits.json").exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("PKITS data missing at {} (CI is set)", d.display());
    } else {
        eprintln!("SKIP: PKITS data not found at {}", d.display());
        None
    }
}

fn section(id: &str) -> String {
    let names = [
        ("401", "4.1 signature verification"),
        ("402", "4.2 validity periods"),
        ("403", "4.3 name chaining"),
        ("404", "4.4 basic certificate revocation"),
        ("405", "4.5 self-issued certificates"),
        ("406", "4.6 basic constraints"),
        ("407", "4.7 key usage"),
        ("408", "4.8 certificate policies"),
        ("409", "4.9 require explicit policy"),
        ("410", "4.10 policy mappings"),
        ("411", "4.11 inhibit policy mapping"),
        ("412", "4.12 inhibit any policy"),
        ("413", "4.13 name constraints"),
        ("414", "4.14 distribution points"),
        ("415", "4.15 delta CRLs"),
        ("416", "4.16 private certificate extensions"),
    ];
    let p = &id[..id.len().min(3)];
    names
        .iter()
        .find(|(k, _)| *k == p)
        .map_or_else(|| format!("section {p}"), |(_, n)| n.to_string())
}

fn run_case(dir: &std::path::Path, tc: &Value) -> Result<(), String> {
    let read = |sub: &str, name: &str| std::fs::read(dir.join(sub).join(name)).unwrap();
    let anchor = read("certs", "TrustAnchorRootCertificate.crt");
    let leaf = read("certs", tc["cert"].as_str().unwrap());
    let others: Vec<Vec<u8>> = tc["other_certs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|n| read("certs", n))
        .collect();
    let mut crls = vec![read("crls", "TrustAnchorRootCRL.crl")];
    crls.extend(
        tc["crls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|n| read("crls", n)),
    );
    let at = time::macros::datetime!(2022-01-01 00:00 UTC);
    let mut opts = ValidationOptions::at(at);
    // PKITS (2011 edition) still has RSA-2048/SHA-256, but keep legacy algorithms allowed.
    opts.algorithms.sha1_sunset = None;
    opts.algorithms.weak_rsa_sunset = None;
    opts.revocation_mode = if tc["revocation"].as_bool() == Some(false) {
        RevocationMode::Off
    } else {
        RevocationMode::Hard
    };
    let params = &tc["params"];
    if let Some(set) = params["user_initial_policy_set"].as_array() {
        opts.initial_policy_set = Some(
            set.iter()
                .filter_map(Value::as_str)
                .map(|s| Oid::new(s).unwrap())
                .collect(),
        );
    }
    opts.explicit_policy = params["initial_explicit_policy"].as_bool().unwrap_or(false);
    opts.inhibit_policy_mapping = params["initial_policy_mapping_inhibit"]
        .as_bool()
        .unwrap_or(false);
    opts.inhibit_any_policy = params["initial_any_policy_inhibit"]
        .as_bool()
        .unwrap_or(false);
    let checker = Checker::new()
        .with_crls(crls)
        .with_crl_signer_candidates(others.clone())
        .with_trust_anchors(vec![anchor.clone()])
        .offline(true);
    // CRL signers other than the issuer (separate CRL keys, indirect CRLs) get full path
    // validation by the validator itself.
    let v = PathValidator::new(vec![anchor], opts)
        .with_intermediates(others)
        .with_checker(checker);
    v.validate(&leaf, &[])
        .map(|_| ())
        .map_err(|e| format!("{e} [{}]", e.sub_indication()))
}

#[test]
fn pkits_conformance() {
    let Some(dir) = data_dir() else { return };
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pkits.json")).unwrap()).unwrap();
    let mut table: Table = BTreeMap::new();
    let mut results = Vec::new();
    let mut wrong_kind = Vec::new();
    for tc in &cases {
        let id = tc["id"].as_str().unwrap_or("");
        let expect_ok = tc.get("error").is_none();
        let dsa = ["40104", "40105"].contains(&id);
        let r = if dsa {
            Err("SKIPPED: DSA signatures are not supported".to_string())
        } else {
            run_case(&dir, tc)
        };
        let verdict = if dsa {
            "skip"
        } else if r.is_ok() == expect_ok {
            "agree"
        } else {
            "disagree"
        };
        if verdict == "disagree" && std::env::var_os("KENPO_PKITS_VERBOSE").is_some() {
            println!(
                "DISAGREE {id} {}: expected {}, got {:?}",
                tc["name"].as_str().unwrap_or(""),
                if expect_ok { "success" } else { "failure" },
                r
            );
        }
        // A revocation failure must be the right one: revoked, or status unknown/stale.
        let want = match tc["error"]["class"].as_str() {
            Some("RevokedError") => Some("[REVOKED]"),
            Some("InsufficientRevinfoError" | "StaleRevinfoError") => Some("[TRY_LATER]"),
            _ => None,
        };
        if let (Some(want), Err(e)) = (want, &r)
            && (e.ends_with("[REVOKED]") || e.ends_with("[TRY_LATER]"))
            && !e.ends_with(want)
        {
            wrong_kind.push(format!("{id}: expected {want}, got {e}"));
        }
        for ns in [section(id), "total".to_string()] {
            let e = table.entry(ns).or_default();
            for k in ["agree", "disagree", "skip"] {
                e.entry(k.to_string()).or_insert(0);
            }
            *e.entry(verdict.to_string()).or_insert(0) += 1;
        }
        results.push(json!({"id": id, "name": tc["name"], "actual_result": if dsa { "SKIPPED" } else if r.is_ok() { "SUCCESS" } else { "FAILURE" }, "context": r.err().unwrap_or_default()}));
    }
    print_table(&table);
    write_results("pkits", &results, &table);
    check_baseline("pkits", &table);
    assert!(wrong_kind.is_empty(), "{wrong_kind:#?}");
}
