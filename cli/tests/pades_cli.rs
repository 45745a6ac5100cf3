//! `kenpo-sign sign DOC.pdf` and `kenpo-sign timestamp DOC.pdf --embed` (CLI.md "PDF and
//! XML documents"): a PDF is signed as PAdES (incremental update: the input is a prefix of
//! the output), `--pdf-subfilter adbe` gives adbe.pkcs7.detached, `--format cades` still
//! makes a .p7s, `--attached` and b-lt are refused for PDF; B-T and the document
//! time-stamp use a `tsa serve` process on 127.0.0.1. pyHanko validates the outputs
//! (`$KENPO_PEER_PYTHON`, else `python3` with pyhanko; skipped without, except under CI);
//! `qpdf --check` accepts them when installed (required under CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{MINIMAL_PDF as MINIMAL, Server, p, peer_python, run, text};

const VALIDATE: &str = r#"
import sys, json
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
roots = [load_cert_from_pemder(p) for p in sys.argv[2:]]
vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
out = []
with open(sys.argv[1], "rb") as f:
    r = PdfFileReader(f)
    for s in r.embedded_signatures:
        if s.sig_object_type == "/DocTimeStamp":
            st = validate_pdf_timestamp(s, validation_context=vc)
            out.append({"type": "doc-ts", "intact": st.intact, "valid": st.valid, "trusted": st.trusted,
                        "coverage": st.coverage.name if st.coverage else None})
        else:
            st = validate_pdf_signature(s, signer_validation_context=vc, ts_validation_context=vc)
            out.append({"type": "sig", "intact": st.intact, "valid": st.valid, "trusted": st.trusted,
                        "coverage": st.coverage.name if st.coverage else None,
                        "subfilter": s.sig_object.get("/SubFilter"),
                        "timestamp": st.timestamp_validity is not None})
print(json.dumps(out))
"#;

fn pyhanko(py: &str, pdf: &Path) -> serde_json::Value {
    let roots = [p("root-ca.pem"), p("tsa-ca.pem")];
    let o = Command::new(py)
        .arg("-c")
        .arg(VALIDATE)
        .arg(pdf)
        .args(&roots)
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

fn qpdf_ok(pdf: &Path) {
    if !Path::new("/usr/bin/qpdf").is_file() {
        assert!(std::env::var_os("CI").is_none(), "CI: qpdf is required");
        return;
    }
    let o = Command::new("/usr/bin/qpdf")
        .arg("--check")
        .arg(pdf)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "qpdf --check {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn sign_and_timestamp_pdf() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let d = doc.to_str().unwrap();
    let (cert, key, chain) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
    );
    let key_args = [
        "--cert",
        cert.as_str(),
        "--key",
        key.as_str(),
        "--chain",
        chain.as_str(),
        "--profile",
        "hpki",
        "--yes",
    ];
    let py = peer_python("pyhanko, pyhanko_certvalidator");

    // B-B, default output DOC with .signed.pdf.
    let mut args = vec!["sign", d];
    args.extend(key_args);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("PAdES (ETSI.CAdES.detached)"),
        "{}",
        text(&o)
    );
    let bb = work.path().join("form.signed.pdf");
    let bytes = std::fs::read(&bb).unwrap();
    assert!(bytes.starts_with(MINIMAL), "the input is kept in place");
    qpdf_ok(&bb);
    if let Some(py) = &py {
        let v = pyhanko(py, &bb);
        assert_eq!(v[0]["intact"], true, "{v}");
        assert_eq!(v[0]["valid"], true, "{v}");
        assert_eq!(v[0]["trusted"], true, "{v}");
        assert_eq!(v[0]["coverage"], "ENTIRE_FILE", "{v}");
    }
    // The default output exists now: refused without --force.
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // B-T and adbe.pkcs7.detached, then a document time-stamp on top.
    let server = Server::start(&work.path().join("tsa-state"));
    let tsa_ca = p("tsa-ca.pem");
    let bt = work.path().join("bt.pdf");
    let mut args = vec!["sign", d];
    args.extend(key_args);
    args.extend([
        "--tsa",
        server.url.as_str(),
        "--trust",
        tsa_ca.as_str(),
        "--pdf-subfilter",
        "adbe",
        "-o",
        bt.to_str().unwrap(),
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("genTime:"), "{}", text(&o));
    let lta = work.path().join("bt-ts.pdf");
    let o = run(&[
        "timestamp",
        bt.to_str().unwrap(),
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "--embed",
        "-o",
        lta.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (signed, stamped) = (std::fs::read(&bt).unwrap(), std::fs::read(&lta).unwrap());
    assert!(
        stamped.starts_with(&signed),
        "the time-stamped PDF keeps the signed one in place"
    );
    qpdf_ok(&lta);
    if let Some(py) = &py {
        let v = pyhanko(py, &lta);
        assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
        assert_eq!(v[0]["type"], "sig", "{v}");
        assert_eq!(v[0]["subfilter"], "/adbe.pkcs7.detached", "{v}");
        assert_eq!(v[0]["timestamp"], true, "{v}");
        assert_eq!(v[0]["intact"], true, "{v}");
        assert_eq!(v[0]["valid"], true, "{v}");
        assert_eq!(v[1]["type"], "doc-ts", "{v}");
        assert_eq!(v[1]["intact"], true, "{v}");
        assert_eq!(v[1]["valid"], true, "{v}");
        assert_eq!(v[1]["trusted"], true, "{v}");
        assert_eq!(v[1]["coverage"], "ENTIRE_FILE", "{v}");
    }
    drop(server);

    // --format cades on a PDF makes a .p7s; --attached and b-lt are refused for PDF.
    let p7s = work.path().join("form.pdf.p7s");
    let mut args = vec!["sign", d];
    args.extend(key_args);
    args.extend(["--format", "cades", "-o", p7s.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(&p7s).unwrap().first(),
        Some(&0x30),
        "a CMS file"
    );
    // `--attached` is refused for a PDF (`--level b-lt|b-lta`: pades_extend_cli.rs).
    {
        let out = work.path().join("refused.pdf");
        let mut args = vec!["sign", d];
        args.extend(key_args);
        args.extend(["--attached", "-o", out.to_str().unwrap()]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(!out.exists(), "nothing written");
    }
    // --embed on a non-PDF is a usage error.
    let csv = work.path().join("a.csv");
    std::fs::write(&csv, "x").unwrap();
    let o = run(&[
        "timestamp",
        csv.to_str().unwrap(),
        "--tsa",
        "http://127.0.0.1:9/",
        "--embed",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `kenpo-sign verify` of the JSON output, as a value.
fn verify_json(pdf: &Path) -> (Option<i32>, serde_json::Value) {
    let (root, tsa_ca) = (p("root-ca.pem"), p("tsa-ca.pem"));
    let crls = [p("hpki-sign-ca.crl"), p("root-ca.crl"), p("tsa-ca.crl")];
    let o = run(&[
        "verify",
        pdf.to_str().unwrap(),
        "--trust",
        &root,
        "--trust",
        &tsa_ca,
        "--crl",
        &crls[0],
        "--crl",
        &crls[1],
        "--crl",
        &crls[2],
        "--offline",
        "--format",
        "json",
    ]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code(), v)
}

const PYHANKO_SIGN: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
from pyhanko.sign import signers, fields, timestamps
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
key, cert, chain, src, dst = sys.argv[1:6]
tsa = sys.argv[6] if len(sys.argv) > 6 else None
s = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
ts = timestamps.HTTPTimeStamper(tsa) if tsa else None
with open(src, "rb") as f:
    w = IncrementalPdfFileWriter(f)
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.sign_pdf(w, meta, signer=s, timestamper=ts)
    open(dst, "wb").write(out.getvalue())
"#;

#[test]
fn verify_pdf_signatures() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("form.pdf");
    std::fs::write(&doc, MINIMAL).unwrap();
    let d = doc.to_str().unwrap();
    let (cert, key, chain) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
    );
    let server = Server::start(&work.path().join("tsa-state"));
    let tsa_ca = p("tsa-ca.pem");

    // kenpo-sign's own B-T: passes, PAdES, whole file, not modified.
    let bt = work.path().join("bt.pdf");
    let o = run(&[
        "sign",
        d,
        "--cert",
        &cert,
        "--key",
        &key,
        "--chain",
        &chain,
        "--yes",
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "-o",
        bt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (code, v) = verify_json(&bt);
    let s = &v["signatures"][0];
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    assert_eq!(s["level"], "B-T", "{v}");
    // The claimed signing time comes from /M (the CMS has no signing-time attribute).
    assert!(s["signing_time"].is_string(), "{v}");
    assert_eq!(
        (
            s["format"].as_str(),
            s["covers"].as_str(),
            s["modified_after_signing"].as_bool()
        ),
        (Some("PAdES"), Some("whole-file"), Some(false))
    );

    // A document time-stamp after it: the signature covers its revision, is not modified,
    // and lists the document time-stamp.
    let ts = work.path().join("bt-ts.pdf");
    let o = run(&[
        "timestamp",
        bt.to_str().unwrap(),
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "--embed",
        "-o",
        ts.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (code, v) = verify_json(&ts);
    let s = &v["signatures"][0];
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        (s["covers"].as_str(), s["modified_after_signing"].as_bool()),
        (Some("revision"), Some(false)),
        "{v}"
    );
    let doc_ts: Vec<_> = s["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "document")
        .collect();
    assert_eq!(doc_ts.len(), 1, "{v}");
    assert_eq!(doc_ts[0]["valid"], true, "{v}");
    // Without the TSA's anchor the document time-stamp is not valid.
    let o = run(&[
        "verify",
        ts.to_str().unwrap(),
        "--trust",
        &p("root-ca.pem"),
        "--offline",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let doc_ts: Vec<_> = v["signatures"][0]["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "document")
        .collect();
    assert_eq!(doc_ts[0]["valid"], false, "{v}");

    // An update after signing that changes the page: modified, TOTAL_FAILED.
    let signed = std::fs::read(&bt).unwrap();
    let text_of = String::from_utf8_lossy(&signed);
    let prev: u64 = text_of
        .rsplit("startxref")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut changed = signed.clone();
    let at = changed.len();
    changed.extend_from_slice(b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]>>endobj\n");
    let xref = changed.len();
    changed.extend_from_slice(format!("xref\n3 1\n{at:010} 00000 n \ntrailer<</Size 20/Root 1 0 R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    let modified = work.path().join("modified.pdf");
    std::fs::write(&modified, &changed).unwrap();
    let (code, v) = verify_json(&modified);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["signatures"][0]["modified_after_signing"], true, "{v}");
    assert_eq!(
        v["signatures"][0]["sub_indication"], "FORMAT_FAILURE",
        "{v}"
    );

    // A tampered byte inside the signed range: TOTAL_FAILED.
    let mut tampered = signed.clone();
    tampered[MINIMAL.len() - 40] ^= 1;
    let t = work.path().join("tampered.pdf");
    std::fs::write(&t, &tampered).unwrap();
    let (code, v) = verify_json(&t);
    assert_eq!(code, Some(1), "{v}");

    // pyHanko's B-B and B-T verify.
    if let Some(py) = peer_python("pyhanko, pyhanko_certvalidator") {
        for (name, tsa) in [
            ("py-bb.pdf", None),
            ("py-bt.pdf", Some(server.url.as_str())),
        ] {
            let out = work.path().join(name);
            let mut cmd = Command::new(&py);
            cmd.arg("-c")
                .arg(PYHANKO_SIGN)
                .args([&key, &cert, &chain, d, out.to_str().unwrap()]);
            if let Some(u) = tsa {
                cmd.arg(u);
            }
            let o = cmd.output().unwrap();
            assert!(
                o.status.success(),
                "pyHanko signing: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let (code, v) = verify_json(&out);
            assert_eq!(code, Some(0), "{name}: {v}");
            let s = &v["signatures"][0];
            assert_eq!(
                s["level"],
                if tsa.is_some() { "B-T" } else { "B-B" },
                "{name}: {v}"
            );
            assert_eq!(
                (s["format"].as_str(), s["covers"].as_str()),
                (Some("PAdES"), Some("whole-file")),
                "{name}"
            );
        }
    }
}
