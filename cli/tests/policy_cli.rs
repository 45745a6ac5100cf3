//! `--policy default|rule27-sign|rule27-archive|FILE` on `verify`, `batch` and `extend`
//! through the real binary, with a `kenpo-sign tsa serve` child and kenpo-testpki's
//! revocation service on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{BIN, env, f, run, text};

fn doc(dir: &Path, name: &str) -> PathBuf {
    let d = dir.join(name);
    std::fs::write(&d, format!("保険者番号,氏名\n06270001,{name}\n")).unwrap();
    d
}

fn sign(doc: &Path, level: &str) -> PathBuf {
    let out = PathBuf::from(format!("{}.p7s", doc.display()));
    let o = std::process::Command::new(BIN)
        .args(["sign", doc.to_str().unwrap()])
        .args([
            "--cert",
            &f("hpki-signer.pem"),
            "--key",
            &f("hpki-signer.key.pem"),
        ])
        .args(["--chain", &f("hpki-sign-ca.pem"), "--tsa", &env().tsa.url])
        .args(["--trust", &f("root-ca.pem"), "--trust", &f("tsa-ca.pem")])
        .args(["--level", level, "--profile", "hpki", "--yes", "-o"])
        .arg(&out)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    out
}

fn verify(sig: &Path, content: &Path, policy: &str, format: &str) -> std::process::Output {
    run(&[
        "verify",
        sig.to_str().unwrap(),
        "--content",
        content.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--policy",
        policy,
        "--format",
        format,
        "--lang",
        "en",
    ])
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn unmet(v: &serde_json::Value) -> Vec<String> {
    v["signatures"][0]["policy_unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["requirement"].as_str().unwrap().to_owned())
        .collect()
}

fn shipped(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/policies")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn verify_exit_code_and_report_follow_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let a = doc(dir.path(), "a.csv");
    let bb = sign(&a, "b-b");

    let o = verify(&bb, &a, "default", "json");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    assert!(unmet(&v).is_empty());
    assert!(
        v["policy"]
            .as_str()
            .unwrap()
            .starts_with("kenpo-sign default")
    );

    // B-B under rule27-sign: INDETERMINATE, the requirement named in JSON and text.
    let o = verify(&bb, &a, "rule27-sign", "json");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["policy"], "rule27-sign");
    assert_eq!(v["indication"], "INDETERMINATE");
    assert_eq!(v["sub_indication"], "SIG_CONSTRAINTS_FAILURE");
    assert!(unmet(&v).contains(&"signature-timestamp".to_owned()), "{v}");
    let o = verify(&bb, &a, "rule27-sign", "text");
    assert_eq!(o.status.code(), Some(3));
    let t = text(&o);
    assert!(
        t.contains("Policy requirements not met (rule27-sign)"),
        "{t}"
    );
    assert!(
        t.contains("[signature-timestamp] no valid signature time-stamp covers the signature"),
        "{t}"
    );

    // B-T: rule27-sign met, by name and by the shipped files (TOML and JSON); not
    // rule27-archive.
    let b = doc(dir.path(), "b.csv");
    let bt = sign(&b, "b-t");
    for policy in [
        "rule27-sign".to_owned(),
        shipped("rule27-sign.toml"),
        shipped("rule27-sign.json"),
    ] {
        let o = verify(&bt, &b, &policy, "json");
        assert_eq!(o.status.code(), Some(0), "{policy}: {}", text(&o));
        assert_eq!(json(&o)["policy"], "rule27-sign");
    }
    let o = verify(&bt, &b, &shipped("rule27-archive.toml"), "json");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(unmet(&json(&o)).contains(&"archive-timestamp".to_owned()));

    // A policy file with an unknown key: a usage error naming it.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\nlevel = \"B-T\"\nprofile = [\"hpki\"]\n",
    )
    .unwrap();
    let o = verify(&bt, &b, bad.to_str().unwrap(), "json");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown field `profile`"), "{}", text(&o));
    // A policy file that is not there: operational.
    let o = verify(
        &bt,
        &b,
        dir.path().join("none.toml").to_str().unwrap(),
        "json",
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
}

#[test]
fn batch_counts_files_per_policy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    std::fs::create_dir(&root).unwrap();
    sign(&doc(&root, "a.csv"), "b-b");
    sign(&doc(&root, "b.csv"), "b-t");
    let report = dir.path().join("report.jsonl");
    let o = run(&[
        "batch",
        root.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--policy",
        "rule27-sign",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let lines = std::fs::read_to_string(&report).unwrap();
    let summary: serde_json::Value = serde_json::from_str(lines.lines().last().unwrap()).unwrap();
    let s = &summary["summary"];
    assert_eq!(s["policy"]["name"], "rule27-sign", "{summary}");
    assert_eq!(s["policy"]["met"], 1, "{summary}");
    assert_eq!(s["policy"]["unmet"], 1, "{summary}");
    assert_eq!(s["TOTAL_PASSED"], 1, "{summary}");
    assert_eq!(s["INDETERMINATE"], 1, "{summary}");
    let line_of = |name: &str| -> serde_json::Value {
        let l = lines.lines().find(|l| l.contains(name)).unwrap();
        serde_json::from_str(l).unwrap()
    };
    assert_eq!(line_of("a.csv.p7s")["policy_met"], false);
    assert_eq!(line_of("b.csv.p7s")["policy_met"], true);
}

#[test]
fn extend_refuses_what_would_not_meet_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let a = doc(dir.path(), "a.csv");
    let bt = sign(&a, "b-t");
    let out = dir.path().join("a.blt.p7s");
    let extend = |to: &str, policy: &str| {
        run(&[
            "extend",
            bt.to_str().unwrap(),
            "--content",
            a.to_str().unwrap(),
            "--to",
            to,
            "--tsa",
            &env().tsa.url,
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "--policy",
            policy,
            "-o",
            out.to_str().unwrap(),
        ])
    };
    // A B-LT is not what rule27-archive preserves: refused, nothing written.
    let o = extend("b-lt", "rule27-archive");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("does not meet the validation policy rule27-archive"));
    assert!(text(&o).contains("[archive-timestamp]"), "{}", text(&o));
    assert!(!out.exists());
    // To B-LTA it is.
    let o = extend("b-lta", "rule27-archive");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = verify(&out, &a, "rule27-archive", "json");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
