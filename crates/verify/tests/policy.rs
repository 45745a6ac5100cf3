//! Declared validation policies (issue 18 item 4), end to end: signatures made with the
//! test PKI and a real TSA on 127.0.0.1, B-LT/B-LTA extended against kenpo-testpki's
//! revocation service, verified under `default`, `rule27-sign`, `rule27-archive` and policy
//! files (JSON and TOML).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::verdicts::{assert_met, assert_unmet, explain, flip_token_signature};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kenpo_core::oid;
use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_testpki::TestPki;
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{ExtendError, ExtendOptions, Target, extend};
use kenpo_verify::policy::{BaselineLevel, Policy, Requirement};
use kenpo_verify::report::Report;
use kenpo_verify::validate::{POLICY_NAME, RevocationMode, Verifier, VerifyOptions};
use kenpo_verify::{Indication, SubIndication};

const DOC: &[u8] = b"kenpo e-application 2026-12 (policy test)";

struct World {
    pki: TestPki,
    _service: RevocationService,
    tsa: String,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (pki, service) = common::served_pki();
        let tsa = common::serve_tsa(&pki, "tsa-rsa3072");
        World {
            pki,
            _service: service,
            tsa,
        }
    })
}

fn anchors(w: &World) -> Vec<Vec<u8>> {
    ["root-ca", "tsa-ca", "accredited-root"]
        .iter()
        .map(|n| w.pki.entity(n).unwrap().cert_der.clone())
        .collect()
}

fn content_file() -> &'static Path {
    static F: OnceLock<tempfile::TempPath> = OnceLock::new();
    F.get_or_init(|| {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, DOC).unwrap();
        f.into_temp_path()
    })
}

fn sign(w: &World, name: &str, level: Level) -> Vec<u8> {
    let s = common::signer_of(&w.pki, name);
    let opts = SignOptions::default()
        .with_level(level)
        .with_tsa((level != Level::BB).then(|| ClientConfig::new([w.tsa.clone()])));
    sign_bytes(&s, DOC, &opts).unwrap().der
}

fn extend_to(w: &World, sig: &[u8], to: Target) -> Vec<u8> {
    let opts = ExtendOptions::new(to, Some(ClientConfig::new([w.tsa.clone()])), anchors(w));
    extend(sig, Some(content_file()), &opts).unwrap().der
}

/// Offline with the CAs' current CRLs, under `policy` (its revocation mode applied).
fn verify(w: &World, sig: &[u8], policy: Policy) -> Report {
    let opts = VerifyOptions::default()
        .with_anchors(anchors(w))
        .with_crls(w.pki.crls().iter().map(|c| c.der.clone()).collect())
        .with_offline(true)
        .with_policy(policy);
    Verifier::new(opts)
        .verify(sig, Some(content_file()))
        .unwrap()
}

#[test]
fn bb_passes_default_but_fails_rule27_sign() {
    let w = world();
    let bb = sign(w, "hpki-signer", Level::BB);
    let r = verify(w, &bb, Policy::default());
    assert_met(&r, POLICY_NAME);
    assert_eq!(r.signatures[0].level, "B-B");

    let r = verify(w, &bb, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "signature-timestamp");
    assert_unmet(&r, "rule27-sign", "level");
    assert_eq!(
        r.signatures[0].policy_unmet[0],
        Requirement::Level {
            required: BaselineLevel::BT,
            found: BaselineLevel::BB
        }
    );
    // EN 319 102-1 §5.2.8: the signature does not meet the policy's constraints.
    assert_eq!(r.indication, Indication::Indeterminate);
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::SIG_CONSTRAINTS_FAILURE)
    );
    assert_eq!(r.exit_code(), 3);
}

#[test]
fn bt_passes_rule27_sign_and_fails_it_with_a_corrupted_time_stamp() {
    let w = world();
    let bt = sign(w, "hpki-signer", Level::BT);
    let r = verify(w, &bt, Policy::rule27_sign());
    assert_met(&r, "rule27-sign");
    let s = &r.signatures[0];
    assert!(s.signer_profiles.contains(&kenpo_sign::Profile::Hpki));
    assert_eq!(s.signer_validated_at, s.timestamps[0].gen_time);

    let broken = flip_token_signature(&bt, oid::ATTR_SIGNATURE_TIME_STAMP);
    let r = verify(w, &broken, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "signature-timestamp");
    // The same file under the default policy: a B-B signature valid now.
    assert_met(&verify(w, &broken, Policy::default()), POLICY_NAME);

    // The accredited profile is accepted too.
    let acc = sign(w, "accredited-signer", Level::BT);
    assert_met(&verify(w, &acc, Policy::rule27_sign()), "rule27-sign");
}

#[test]
fn a_signer_revoked_before_the_time_stamp_misses_valid_at_timestamp() {
    let w = world();
    let bt = sign(w, "hpki-signer-revoked", Level::BT);
    let r = verify(w, &bt, Policy::rule27_sign());
    assert_unmet(&r, "rule27-sign", "valid-at-timestamp");
    // The EN 319 102-1 finding (revocation) stands: it says more than the policy.
    assert_eq!(r.signatures[0].signer_validated_at, None);
    assert_ne!(
        r.sub_indication,
        Some(SubIndication::SIG_CONSTRAINTS_FAILURE),
        "{}",
        explain(&r)
    );
}

#[test]
fn rule27_archive_needs_an_unbroken_b_lta() {
    let w = world();
    let bt = sign(w, "hpki-signer", Level::BT);
    let r = verify(w, &bt, Policy::rule27_archive());
    assert_unmet(&r, "rule27-archive", "archive-timestamp");
    assert_unmet(&r, "rule27-archive", "level");

    let lta = extend_to(w, &bt, Target::BLta);
    let r = verify(w, &lta, Policy::rule27_archive());
    assert_met(&r, "rule27-archive");
    assert_eq!(r.signatures[0].level, "B-LTA");

    let broken = flip_token_signature(&lta, oid::ATTR_ARCHIVE_TIME_STAMP_V3);
    let r = verify(w, &broken, Policy::rule27_archive());
    assert_unmet(&r, "rule27-archive", "archive-chain");
    // Still rule27-sign: the signature time-stamp is intact.
    assert_met(&verify(w, &broken, Policy::rule27_sign()), "rule27-sign");
}

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policies")
}

#[test]
fn shipped_policy_files_equal_the_built_ins() {
    for (file, builtin) in [
        ("rule27-sign.toml", Policy::rule27_sign()),
        ("rule27-sign.json", Policy::rule27_sign()),
        ("rule27-archive.toml", Policy::rule27_archive()),
        ("rule27-archive.json", Policy::rule27_archive()),
    ] {
        let p = Policy::from_file(&policies_dir().join(file)).unwrap();
        assert_eq!(p, builtin, "{file}");
        assert_eq!(Policy::from_arg(builtin.name.as_str()).unwrap(), builtin);
    }
    assert_eq!(Policy::from_arg("default").unwrap(), Policy::default());
    // The schema is JSON.
    let schema =
        std::fs::read_to_string(policies_dir().join("../schemas/policy.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn policy_files_in_json_and_toml_decide() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    // HPKI only, in TOML: the accredited signer misses the profile.
    let toml = dir.path().join("hpki-only.toml");
    std::fs::write(
        &toml,
        "name = \"hpki-only\"\nlevel = \"B-T\"\nprofiles = [\"hpki\"]\nrevocation = \"hard\"\n",
    )
    .unwrap();
    let p = Policy::from_file(&toml).unwrap();
    assert_eq!(p.revocation, Some(RevocationMode::Hard));
    let acc = sign(w, "accredited-signer", Level::BT);
    let r = verify(w, &acc, p.clone());
    assert_unmet(&r, "hpki-only", "profile");
    assert_met(
        &verify(w, &sign(w, "hpki-signer", Level::BT), p),
        "hpki-only",
    );

    // TSA anchors in JSON: the TSA's root by file passes, another fingerprint does not.
    let tsa_ca = dir.path().join("tsa-ca.pem");
    std::fs::write(&tsa_ca, w.pki.entity("tsa-ca").unwrap().cert_pem()).unwrap();
    let json = dir.path().join("tsa.json");
    std::fs::write(
        &json,
        r#"{"name": "our-tsa", "level": "B-T", "tsa_anchors": [{"file": "tsa-ca.pem"}]}"#,
    )
    .unwrap();
    let bt = sign(w, "hpki-signer", Level::BT);
    assert_met(
        &verify(w, &bt, Policy::from_file(&json).unwrap()),
        "our-tsa",
    );
    let other = Policy::from_json_str(&format!(
        r#"{{"name": "other-tsa", "level": "B-T", "tsa_anchors": [{{"sha256": "{}"}}]}}"#,
        "00".repeat(32)
    ))
    .unwrap();
    let r = verify(w, &bt, other);
    assert_unmet(&r, "other-tsa", "tsa-anchor");
    assert_unmet(&r, "other-tsa", "signature-timestamp");

    // Unknown key: an error naming it.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nlevel = \"B-T\"\ntsa_anchor = []\n").unwrap();
    let e = Policy::from_file(&bad).unwrap_err();
    assert!(e.to_string().contains("tsa_anchor"), "{e}");
}

#[test]
fn sunset_overrides_feed_the_time_stamp_checks() {
    let w = world();
    let bt = sign(w, "hpki-signer", Level::BT);
    // RSA-3072 (the TSA's key) given a sunset already passed: its time-stamp no longer
    // proves anything, so the policy's B-T is not met.
    let p = Policy::from_toml_str(
        "name = \"short-3072\"\nlevel = \"B-T\"\n[sunset]\n\"RSA-3072\" = \"2020-01-01\"\n",
    )
    .unwrap();
    let r = verify(w, &bt, p);
    assert_unmet(&r, "short-3072", "signature-timestamp");
    assert!(explain(&r).contains("RSA-3072 sunset"), "{}", explain(&r));
}

#[test]
fn extend_refuses_a_signature_that_fails_the_policy() {
    let w = world();
    let tsa = Some(ClientConfig::new([w.tsa.clone()]));
    // The accredited signer under an HPKI-only policy: refused before anything is asked.
    let acc = sign(w, "accredited-signer", Level::BT);
    let mut hpki = Policy::rule27_sign();
    hpki.profiles = vec![kenpo_sign::Profile::Hpki];
    let opts = ExtendOptions::new(Target::BLta, tsa.clone(), anchors(w)).with_policy(Some(hpki));
    let e = extend(&acc, Some(content_file()), &opts).unwrap_err();
    assert!(matches!(e, ExtendError::Policy { .. }), "{e}");
    assert!(e.is_refusal());
    assert!(e.to_string().contains("[profile]"), "{e}");

    // B-LT under rule27-archive: the result would not be B-LTA.
    let bt = sign(w, "hpki-signer", Level::BT);
    let opts = ExtendOptions::new(Target::BLt, tsa.clone(), anchors(w))
        .with_policy(Some(Policy::rule27_archive()));
    let e = extend(&bt, Some(content_file()), &opts).unwrap_err();
    assert!(e.to_string().contains("[archive-timestamp]"), "{e}");

    // B-LTA under rule27-archive: preserved.
    let opts = ExtendOptions::new(Target::BLta, tsa, anchors(w))
        .with_policy(Some(Policy::rule27_archive()));
    let x = extend(&bt, Some(content_file()), &opts).unwrap();
    assert_eq!(x.level, "B-LTA");
}

/// The JSON Schema accepts every shipped policy file (TOML read as its JSON equivalent)
/// and refuses an unknown key, checked with Python's `jsonschema` where it is installed.
#[test]
fn the_schema_validates_the_shipped_files() {
    let script = r#"
import json, sys, tomllib, pathlib, jsonschema
d = pathlib.Path(sys.argv[1])
schema = json.loads((d / "../schemas/policy.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
n = 0
for f in sorted(d.iterdir()):
    doc = json.loads(f.read_text()) if f.suffix == ".json" else tomllib.loads(f.read_text())
    v.validate(doc)
    n += 1
bad = {"name": "x", "levle": "B-T"}
assert not v.is_valid(bad)
assert not v.is_valid({"name": "x", "sunset": {"DSA-1024": "2030-01-01"}})
assert not v.is_valid({"name": "x", "tsa_anchors": [{"sha256": "00", "file": "a"}]})
print(n)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(policies_dir())
        .output();
    let Ok(out) = out else {
        eprintln!("SKIP: python3 not found");
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("No module named 'jsonschema'") || err.contains("No module named 'tomllib'") {
        eprintln!("SKIP: python3 jsonschema/tomllib not installed");
        return;
    }
    assert!(out.status.success(), "{err}");
    let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(n >= 5, "{n} files checked");
}
