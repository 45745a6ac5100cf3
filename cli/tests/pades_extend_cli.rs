//! `kenpo-sign extend FILE.pdf --to b-lt|b-lta` (CLI.md "Long-term"): a kenpo-signed B-T
//! PDF → B-LT (DSS) → B-LTA (document time-stamp) → renewed (`--in-place`), a pyHanko-signed
//! B-T PDF too; each output starts with its input; our verify reports the level offline
//! from the DSS alone, and pyHanko validates the B-LTA results offline (LTV validation
//! from the DSS, `allow_fetching=False`) when a python with pyhanko is given
//! (`$KENPO_PEER_PYTHON`). A real `tsa serve` child and kenpo-testpki's revocation service
//! on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{MINIMAL_PDF as MINIMAL, env, f, peer_python, run, text};

/// pyHanko's validation with revocation data only from the DSS (its validation context
/// from the DSS, `allow_fetching=False`, hard-fail revocation): signatures and document
/// time-stamps.
const VALIDATE_LTA: &str = r#"
import sys, json, warnings
warnings.simplefilter("ignore")
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.keys import load_cert_from_pemder
roots = [load_cert_from_pemder(p) for p in sys.argv[2:]]
out = []
with open(sys.argv[1], "rb") as f:
    r = PdfFileReader(f)
    vc = DocumentSecurityStore.read_dss(r).as_validation_context(
        {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"})
    for s in r.embedded_signatures:
        if s.sig_object_type == "/DocTimeStamp":
            st = validate_pdf_timestamp(s, validation_context=vc)
        else:
            st = validate_pdf_signature(s, signer_validation_context=vc, ts_validation_context=vc)
        out.append({"type": s.sig_object_type, "intact": st.intact, "valid": st.valid, "trusted": st.trusted,
                    "coverage": st.coverage.name if st.coverage else None})
print(json.dumps(out))
"#;

const PYHANKO_SIGN: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
from pyhanko.sign import signers, fields, timestamps
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
key, cert, chain, src, dst, tsa = sys.argv[1:7]
s = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
with open(src, "rb") as f:
    w = IncrementalPdfFileWriter(f)
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.sign_pdf(w, meta, signer=s, timestamper=timestamps.HTTPTimeStamper(tsa))
    open(dst, "wb").write(out.getvalue())
"#;

fn pyhanko_lta(py: &str, pdf: &Path) -> serde_json::Value {
    let o = Command::new(py)
        .arg("-c")
        .arg(VALIDATE_LTA)
        .arg(pdf)
        .args([f("root-ca.pem"), f("tsa-ca.pem")])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pyHanko failed on {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Our verify, offline, with no revocation data but the PDF's.
fn verify_json(pdf: &Path) -> (Option<i32>, serde_json::Value) {
    verify_json_under(pdf, "default")
}

/// `verify --offline --format json --policy POLICY`, trusting the two test roots.
fn verify_json_under(pdf: &Path, policy: &str) -> (Option<i32>, serde_json::Value) {
    let o = run(&[
        "verify",
        pdf.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--offline",
        "--policy",
        policy,
        "--format",
        "json",
    ]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code(), v)
}

fn extend(input: &Path, to: &str, out: Option<&Path>) -> std::process::Output {
    let e = env();
    let mut args = vec![
        "extend".to_owned(),
        input.to_str().unwrap().to_owned(),
        "--to".into(),
        to.into(),
        "--tsa".into(),
        e.tsa.url.clone(),
        "--trust".into(),
        f("root-ca.pem"),
        "--trust".into(),
        f("tsa-ca.pem"),
    ];
    match out {
        Some(o) => args.extend(["-o".into(), o.to_str().unwrap().to_owned()]),
        None => args.push("--in-place".into()),
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

fn assert_level(pdf: &Path, level: &str, document_timestamps: usize) {
    let (code, v) = verify_json(pdf);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    for s in v["signatures"].as_array().unwrap() {
        assert_eq!(s["level"], level, "{v}");
        let docs = s["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["type"] == "document" && t["valid"] == true)
            .count();
        assert_eq!(docs, document_timestamps, "{v}");
    }
}

fn assert_prefix(input: &Path, output: &Path) {
    let (a, b) = (
        std::fs::read(input).unwrap(),
        std::fs::read(output).unwrap(),
    );
    assert!(
        b.len() > a.len() && b.starts_with(&a),
        "{} is not a prefix of {}",
        input.display(),
        output.display()
    );
}

/// B-T → B-LT → B-LTA → renewed, each checked by our verify and (B-LTA) pyHanko.
fn lt_chain(work: &Path, bt: &Path, py: Option<&str>) {
    let blt = work.join("blt.pdf");
    let o = extend(bt, "b-lt", Some(&blt));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("level:    B-LT"), "{}", text(&o));
    assert_prefix(bt, &blt);
    assert_level(&blt, "B-LT", 0);
    // B-LT again asks nothing new of a B-LT, but b-lt on a B-LTA is refused below.

    let blta = work.join("blta.pdf");
    let o = extend(&blt, "b-lta", Some(&blta));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("document time-stamp:"), "{}", text(&o));
    assert_prefix(&blt, &blta);
    assert_level(&blta, "B-LTA", 1);
    // Rule 27 (4): the document time-stamp is the archive layer rule27-archive asks for;
    // the B-LT before it does not meet that policy, and rule27-sign is met by both.
    let (code, v) = verify_json_under(&blta, "rule27-archive");
    assert_eq!(
        (
            code,
            v["signatures"][0]["policy_unmet"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0)),
        "{v}"
    );
    let (code, v) = verify_json_under(&blt, "rule27-archive");
    assert_ne!(code, Some(0), "{v}");
    let unmet = v["signatures"][0]["policy_unmet"].to_string();
    assert!(unmet.contains("archive-timestamp"), "{v}");
    assert_eq!(verify_json_under(&blt, "rule27-sign").0, Some(0));

    let o = extend(&blta, "b-lt", Some(&work.join("no.pdf")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!work.join("no.pdf").exists());

    // Renewal in place: the last document time-stamp's data in the DSS, a new one.
    let renewed = work.join("renewed.pdf");
    std::fs::copy(&blta, &renewed).unwrap();
    let o = extend(&renewed, "b-lta", None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_prefix(&blta, &renewed);
    assert_level(&renewed, "B-LTA", 2);

    // plan: the newest document time-stamp protects a B-LTA PDF, the signature
    // time-stamp a B-LT one.
    for (pdf, level, by) in [
        (&renewed, "B-LTA", "document-time-stamp"),
        (&blt, "B-LT", "signature-time-stamp"),
    ] {
        let o = run(&[
            "plan",
            pdf.to_str().unwrap(),
            "--trust",
            &f("tsa-ca.pem"),
            "--trust",
            &f("root-ca.pem"),
            "--format",
            "json",
        ]);
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        let p = &v["files"][0];
        assert_eq!(
            (p["level"].as_str(), p["protected_by"].as_str()),
            (Some(level), Some(by)),
            "{v}"
        );
        assert!(p["deadline"].is_string(), "{v}");
    }

    // inspect says what the PDF holds: a signature, two document time-stamps, the DSS.
    let o = run(&["inspect", renewed.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "pdf", "{v}");
    let types: Vec<&str> = v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["signature", "document-timestamp", "document-timestamp"],
        "{v}"
    );
    assert_eq!(
        v["signatures"][0]["contents"]["kind"], "cms-signed-data",
        "{v}"
    );
    assert!(v["dss"]["certificates"].as_u64().unwrap() >= 3, "{v}");
    assert!(
        v["dss"]["ocsp_responses"].as_u64().unwrap() + v["dss"]["crls"].as_u64().unwrap() >= 2,
        "{v}"
    );
    assert!(v["revisions"].as_array().unwrap().len() >= 6, "{v}");

    if let Some(py) = py {
        for pdf in [&blta, &renewed] {
            let v = pyhanko_lta(py, pdf);
            for s in v.as_array().unwrap() {
                assert_eq!(
                    (
                        s["intact"].as_bool(),
                        s["valid"].as_bool(),
                        s["trusted"].as_bool()
                    ),
                    (Some(true), Some(true), Some(true)),
                    "{}: {v}",
                    pdf.display()
                );
            }
        }
    }
}

/// kenpo-sign's PAdES B-T of `doc` into `bt`.
fn sign_b_t(doc: &Path, bt: &Path) {
    let e = env();
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &f("hpki-signer.pem"),
        "--key",
        &f("hpki-signer.key.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--yes",
        "--tsa",
        &e.tsa.url,
        "--trust",
        &f("tsa-ca.pem"),
        "-o",
        bt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn kenpo_signed_b_t_pdf_extends_to_b_lt_b_lta_and_renews() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let bt = work.path().join("bt.pdf");
    sign_b_t(&doc, &bt);
    lt_chain(
        work.path(),
        &bt,
        peer_python("pyhanko, pyhanko_certvalidator").as_deref(),
    );
}

/// `batch`: a signed PDF is a signed file (verified, B-LTA under `--out` with `--archive`),
/// an unsigned PDF an unsigned one (intake token).
#[test]
fn batch_treats_signed_pdfs_as_signed_files() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("received");
    std::fs::create_dir(&root).unwrap();
    let doc = root.join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let bt = root.join("signed.pdf");
    sign_b_t(&doc, &bt);
    let (out, report) = (work.path().join("out"), work.path().join("r.jsonl"));
    let o = run(&[
        "batch",
        root.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--archive",
        "--tsa",
        &e.tsa.url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("no line for {name}: {lines:?}"))
            .clone()
    };
    let s = line("signed.pdf");
    assert_eq!(
        (
            s["kind"].as_str(),
            s["indication"].as_str(),
            s["level"].as_str()
        ),
        (Some("signed"), Some("TOTAL_PASSED"), Some("B-T")),
        "{s}"
    );
    let archived = out.join("signed.pdf");
    assert_eq!(s["archived"], archived.to_str().unwrap(), "{s}");
    assert_prefix(&bt, &archived);
    assert_level(&archived, "B-LTA", 1);
    let u = line("form.pdf");
    assert_eq!(u["kind"], "unsigned", "{u}");
    assert!(u["intake"]["tsr"].is_string(), "{u}");
    assert!(out.join("form.pdf.tsr").is_file());
}

#[test]
fn pyhanko_signed_b_t_pdf_extends() {
    let Some(py) = peer_python("pyhanko, pyhanko_certvalidator") else {
        return;
    };
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let bt = work.path().join("bt.pdf");
    let o = Command::new(&py)
        .arg("-c")
        .arg(PYHANKO_SIGN)
        .args([
            f("hpki-signer.key.pem"),
            f("hpki-signer.pem"),
            f("hpki-sign-ca.pem"),
            doc.to_str().unwrap().to_owned(),
            bt.to_str().unwrap().to_owned(),
            e.tsa.url.clone(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    lt_chain(work.path(), &bt, Some(&py));
}

#[test]
fn a_b_b_pdf_is_refused_and_nothing_written() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let bb = work.path().join("bb.pdf");
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &f("hpki-signer.pem"),
        "--key",
        &f("hpki-signer.key.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--yes",
        "-o",
        bb.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let before = std::fs::read(&bb).unwrap();
    let o = extend(&bb, "b-lt", None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("signature time-stamp"), "{}", text(&o));
    assert_eq!(std::fs::read(&bb).unwrap(), before);
    // An unsigned PDF neither.
    let o = extend(&doc, "b-lt", Some(&work.path().join("x.pdf")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// TRY_LATER as for CAdES: offline, with only the CRLs the PKI was generated with (issued
/// before the signature time-stamp), a B-T PDF cannot get fresh revocation data; the
/// extension is refused with TRY_LATER and the file is left as it was.
#[test]
fn stale_revocation_data_is_try_later_and_nothing_written() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let bt = work.path().join("bt.pdf");
    sign_b_t(&doc, &bt);
    let before = std::fs::read(&bt).unwrap();
    let o = run(&[
        "extend",
        bt.to_str().unwrap(),
        "--to",
        "b-lt",
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--offline",
        "--crl",
        &f("hpki-sign-ca.crl"),
        "--crl",
        &f("root-ca.crl"),
        "--crl",
        &f("tsa-ca.crl"),
        "--in-place",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("TRY_LATER"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&bt).unwrap(),
        before,
        "the input is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !["form.pdf", "bt.pdf"].contains(&n.to_str().unwrap()))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files: {leftovers:?}");
}

/// `sign DOC.pdf --level b-lta` (CLI.md "PDF and XML documents"): one command gives B-LTA,
/// the input a prefix of the output, verified offline from the DSS alone; with a TSA that
/// does not answer nothing is written.
#[test]
fn sign_level_b_lta_writes_an_extended_pdf_or_nothing() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let out = work.path().join("lta.pdf");
    let sign = |tsa: &str, out: &Path| {
        run(&[
            "sign",
            doc.to_str().unwrap(),
            "--cert",
            &f("hpki-signer.pem"),
            "--key",
            &f("hpki-signer.key.pem"),
            "--chain",
            &f("hpki-sign-ca.pem"),
            "--yes",
            "--tsa",
            tsa,
            "--level",
            "b-lta",
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let o = sign(&e.tsa.url, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("B-LTA"), "{}", text(&o));
    assert_prefix(&doc, &out);
    assert_level(&out, "B-LTA", 1);
    // The document time-stamp is validated as an archive time-stamp: its TSA path (with
    // revocation, from the DSS offline) ends at the TSA root, which it names for policies.
    let (_, v) = verify_json(&out);
    let tsa_root = kenpo_core::alg::DigestAlgorithm::Sha256
        .digest(&std::fs::read(f("tsa-ca.der")).unwrap())
        .to_hex();
    let doc_ts: Vec<_> = v["signatures"][0]["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "document")
        .collect();
    assert_eq!(doc_ts.len(), 1, "{v}");
    assert_eq!(doc_ts[0]["tsa_anchor_sha256"], tsa_root.as_str(), "{v}");

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", dead.local_addr().unwrap());
    drop(dead);
    let failed = work.path().join("failed.pdf");
    let o = sign(&url, &failed);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!failed.exists(), "nothing written on failure");
    let names: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| ["form.pdf", "lta.pdf"].contains(&n.as_str())),
        "no staging files left: {names:?}"
    );
}

/// pyHanko's own long-term and legacy forms, verified by us offline: a PAdES B-LTA
/// (`use_pades_lta`, validation data fetched by pyHanko from the revocation service on
/// 127.0.0.1 into the DSS, then a document time-stamp) is B-LTA from the DSS alone, and an
/// `adbe.pkcs7.detached` signature (B-T) passes as PAdES.
const PYHANKO_FORMS: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
from pyhanko.sign import signers, fields, timestamps
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
form, key, cert, chain, src, dst, tsa = sys.argv[1:8]
roots = [load_cert_from_pemder(p) for p in sys.argv[8:]]
s = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
ts = timestamps.HTTPTimeStamper(tsa)
with open(src, "rb") as f:
    w = IncrementalPdfFileWriter(f)
    if form == "lta":
        vc = ValidationContext(trust_roots=roots, allow_fetching=True)
        meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES,
            use_pades_lta=True, embed_validation_info=True, validation_context=vc)
    else:
        meta = signers.PdfSignatureMetadata(field_name="Sig1",
            subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED)
    out = signers.sign_pdf(w, meta, signer=s, timestamper=ts)
    open(dst, "wb").write(out.getvalue())
"#;

#[test]
fn pyhanko_b_lta_and_adbe_pdfs_verify() {
    let Some(py) = peer_python("pyhanko, pyhanko_certvalidator") else {
        return;
    };
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    for (form, level) in [("lta", "B-LTA"), ("adbe", "B-T")] {
        let out = work.path().join(format!("py-{form}.pdf"));
        let o = Command::new(&py)
            .arg("-c")
            .arg(PYHANKO_FORMS)
            .args([
                form.to_owned(),
                f("hpki-signer.key.pem"),
                f("hpki-signer.pem"),
                f("hpki-sign-ca.pem"),
                doc.to_str().unwrap().to_owned(),
                out.to_str().unwrap().to_owned(),
                e.tsa.url.clone(),
                f("root-ca.pem"),
                f("tsa-ca.pem"),
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{form}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // The B-LTA offline, from its DSS alone; the B-T online (the revocation service on
        // 127.0.0.1), as it carries no validation data.
        let (code, v) = if form == "lta" {
            verify_json(&out)
        } else {
            let o = run(&[
                "verify",
                out.to_str().unwrap(),
                "--trust",
                &f("root-ca.pem"),
                "--trust",
                &f("tsa-ca.pem"),
                "--format",
                "json",
            ]);
            let v: serde_json::Value =
                serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
            (o.status.code(), v)
        };
        assert_eq!(code, Some(0), "{form}: {v}");
        let s = &v["signatures"][0];
        assert_eq!(s["level"], level, "{form}: {v}");
        assert_eq!(s["format"], "PAdES", "{form}: {v}");
        assert_eq!(s["modified_after_signing"], false, "{form}: {v}");
    }
}
