//! `kenpo-sign sign DOC.xml` (CLI.md "PDF and XML documents"): an XML document is signed
//! as XAdES B-B or B-T (a `tsa serve` process on 127.0.0.1), enveloped (the input kept in
//! place before the signature) or detached, and `kenpo-sign verify` accepts it; a changed
//! byte fails; --attached and --pdf-subfilter are refused for XML (`--level b-lt|b-lta`:
//! xades_extend_cli.rs). Peers:
//! xmlsec1 (required under CI) checks the enveloped signature's core validation and
//! signxml's XAdESVerifier (`$KENPO_PEER_PYTHON`; skipped without, except under CI)
//! verifies the XAdES signatures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Server, p, peer_python, run, text, xmlsec1};
use serde_json::Value;

const CLAIM: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claim xmlns=\"urn:example:claim\">\n  <item>application 001</item>\n  <name>健保 太郎</name>\n</claim>\n";

/// The key options of the HPKI test signer.
fn key_args() -> Vec<String> {
    [
        "--cert",
        &p("hpki-signer.pem"),
        "--key",
        &p("hpki-signer.key.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--profile",
        "hpki",
        "--yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `kenpo-sign sign DOC ARGS…` with the HPKI test signer.
fn sign(doc: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["sign".into(), doc.to_str().unwrap().into()];
    args.extend(key_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&argv)
}

/// `kenpo-sign verify FILE --format json`, trusting the test PKI's roots (the TSA's too).
fn verify(file: &Path, content: Option<&Path>) -> Value {
    let mut args: Vec<String> = vec!["verify".into(), file.to_str().unwrap().into()];
    if let Some(c) = content {
        args.extend(["--content".into(), c.to_str().unwrap().into()]);
    }
    for (flag, v) in [
        ("--trust", "root-ca.pem"),
        ("--trust", "tsa-ca.pem"),
        ("--trust", "accredited-root.pem"),
        ("--crl", "hpki-sign-ca.crl"),
        ("--crl", "root-ca.crl"),
        ("--crl", "tsa-ca.crl"),
        ("--crl", "accredited-ca.crl"),
        ("--crl", "accredited-root.crl"),
    ] {
        args.extend([flag.into(), p(v)]);
    }
    args.extend(["--offline".into(), "--format".into(), "json".into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

fn assert_passed(r: &Value, level: &str) {
    assert_eq!(r["indication"], "TOTAL_PASSED", "{r:#}");
    assert_eq!(r["signatures"][0]["format"], "XAdES", "{r:#}");
    assert_eq!(r["signatures"][0]["level"], level, "{r:#}");
}

/// Where the signature starts in an enveloped output: every input byte before it is
/// unchanged, and the input's end tag follows the signature.
fn assert_enveloped_in_place(input: &[u8], output: &[u8]) {
    let at = output
        .windows(b"<ds:Signature ".len())
        .rposition(|w| w == b"<ds:Signature ")
        .expect("a ds:Signature");
    assert_eq!(
        &output[..at],
        &input[..at],
        "the input is kept before the signature"
    );
    let end = output
        .windows(b"</ds:Signature>".len())
        .rposition(|w| w == b"</ds:Signature>")
        .unwrap()
        + b"</ds:Signature>".len();
    assert_eq!(&output[end..], &input[at..], "and after it");
}

#[test]
fn enveloped_and_detached_xades_verify_and_a_changed_byte_fails() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, CLAIM).unwrap();

    // B-B enveloped, default output DOC.signed.xml.
    let o = sign(&doc, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("XAdES (enveloped)"), "{}", text(&o));
    let bb = work.path().join("claim.signed.xml");
    let out = std::fs::read(&bb).unwrap();
    assert_enveloped_in_place(CLAIM.as_bytes(), &out);
    assert_passed(&verify(&bb, None), "B-B");
    // The default output exists now: refused without --force.
    let o = sign(&doc, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // One flipped byte in the document body: the document reference fails.
    let flipped = String::from_utf8(out)
        .unwrap()
        .replacen("application 001", "application 002", 1);
    let bad = work.path().join("flipped.xml");
    std::fs::write(&bad, flipped).unwrap();
    let r = verify(&bad, None);
    assert_eq!(r["indication"], "TOTAL_FAILED", "{r:#}");
    assert_eq!(r["sub_indication"], "HASH_FAILURE", "{r:#}");

    // B-T enveloped and detached.
    let server = Server::start(&work.path().join("tsa-state"));
    let tsa_ca = p("tsa-ca.pem");
    let bt = work.path().join("bt.xml");
    let o = sign(
        &doc,
        &[
            "--tsa",
            &server.url,
            "--trust",
            &tsa_ca,
            "-o",
            bt.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("genTime:"), "{}", text(&o));
    let out = std::fs::read(&bt).unwrap();
    assert_enveloped_in_place(CLAIM.as_bytes(), &out);
    let r = verify(&bt, None);
    assert_passed(&r, "B-T");
    assert_eq!(
        r["signatures"][0]["timestamps"][0]["type"], "signature",
        "{r:#}"
    );

    let det = work.path().join("claim.sig.xml");
    let o = sign(
        &doc,
        &[
            "--xml-form",
            "detached",
            "--tsa",
            &server.url,
            "--trust",
            &tsa_ca,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("XAdES (detached)"), "{}", text(&o));
    let sig = std::fs::read_to_string(&det).unwrap();
    assert!(sig.contains("URI=\"claim.xml\""), "{sig}");
    assert_eq!(
        std::fs::read(&doc).unwrap(),
        CLAIM.as_bytes(),
        "the content is untouched"
    );
    assert_passed(&verify(&det, Some(&doc)), "B-T");
    // Without the content it cannot be checked; with another content it fails.
    let r = verify(&det, None);
    assert_eq!(r["sub_indication"], "SIGNED_DATA_NOT_FOUND", "{r:#}");
    let other_dir = work.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = other_dir.join("claim.xml");
    std::fs::write(&other, CLAIM.replace("001", "002")).unwrap();
    assert_eq!(verify(&det, Some(&other))["sub_indication"], "HASH_FAILURE");

    // A content time-stamp (AllDataObjectsTimeStamp, a signed property) as for CAdES.
    let ct = work.path().join("ct.xml");
    let o = sign(
        &doc,
        &[
            "--content-timestamp",
            "--tsa",
            &server.url,
            "--trust",
            &tsa_ca,
            "-o",
            ct.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        std::fs::read_to_string(&ct)
            .unwrap()
            .contains("AllDataObjectsTimeStamp")
    );
    let r = verify(&ct, None);
    assert_passed(&r, "B-T");
    let kinds: Vec<&str> = r["signatures"][0]["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"content") && kinds.contains(&"signature"),
        "{r:#}"
    );

    // An ECDSA key signs with ecdsa-sha256 (r‖s).
    let ec = work.path().join("ec.xml");
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &p("accredited-signer-ecdsa.pem"),
        "--key",
        &p("accredited-signer-ecdsa.key.pem"),
        "--chain",
        &p("accredited-ca.pem"),
        "--yes",
        "-o",
        ec.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        std::fs::read_to_string(&ec)
            .unwrap()
            .contains("#ecdsa-sha256")
    );
    assert_passed(&verify(&ec, None), "B-B");
    drop(server);
}

#[test]
fn bom_prefixes_existing_ids_and_an_empty_root_are_signed_in_place() {
    let work = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8]); 4] = [
        (
            "bom.xml",
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<a>\r\n<b>x</b></a>\r\n"
                .as_bytes(),
        ),
        (
            "prefixed.xml",
            b"<?xml version='1.0'?>\n<p:doc xmlns:p=\"urn:p\" xmlns:ds=\"urn:not-dsig\" xmlns:q=\"urn:q\" Id=\"id-doc\"><q:e Id=\"x\" q:a=\"1\">t &amp; &lt;u&gt;</q:e><ds:Signature/><!-- c --></p:doc>\n<!-- after -->\n",
        ),
        ("empty.xml", b"<r/>"),
        ("empty-attrs.xml", b"<x:r xmlns:x=\"urn:x\" a='1' />\n"),
    ];
    for (name, input) in cases {
        let doc = work.path().join(name);
        std::fs::write(&doc, input).unwrap();
        let out = work.path().join(format!("{name}.signed"));
        let o = sign(&doc, &["-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
        let bytes = std::fs::read(&out).unwrap();
        if name.starts_with("empty") {
            // `<r/>` becomes `<r>SIGNATURE</r>`: everything before the `/>` is kept.
            let slash = input.iter().rposition(|&b| b == b'/').unwrap();
            assert_eq!(&bytes[..slash], &input[..slash], "{name}");
            assert_eq!(bytes[slash], b'>', "{name}");
        } else {
            assert_enveloped_in_place(input, &bytes);
        }
        assert_passed(&verify(&out, None), "B-B");
        if name == "bom.xml" {
            assert!(bytes.starts_with("\u{feff}".as_bytes()));
        }
    }
}

#[test]
fn attached_and_pdf_options_are_refused_for_xml() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, CLAIM).unwrap();
    let out = work.path().join("out.xml");
    let o_arg = out.to_str().unwrap();
    for extra in [&["--attached"][..], &["--pdf-subfilter", "adbe"][..]] {
        let mut args = extra.to_vec();
        args.extend(["-o", o_arg]);
        let o = sign(&doc, &args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(!out.exists(), "nothing written");
    }
    // --xml-form on a document that is not signed as XML is a usage error.
    let csv = work.path().join("a.csv");
    std::fs::write(&csv, "a,b\n").unwrap();
    let o = sign(&csv, &["--xml-form", "detached", "-o", o_arg]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // --format cades still makes a CMS of an XML document.
    let p7s = work.path().join("claim.xml.p7s");
    let o = sign(&doc, &["--format", "cades", "-o", p7s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read(&p7s).unwrap().first(), Some(&0x30));
    // A malformed XML document forced as XAdES: an error, nothing written.
    let o = sign(&csv, &["--format", "xades", "-o", o_arg]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("--format cades"), "{}", text(&o));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn xmlsec1_verifies_our_enveloped_signature() {
    if !xmlsec1() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, CLAIM).unwrap();
    let out = work.path().join("signed.xml");
    let o = sign(&doc, &["-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let xmlsec = |file: &Path| {
        Command::new("xmlsec1")
            .args(["--verify", "--trusted-pem"])
            .arg(p("root-ca.pem"))
            .arg("--untrusted-pem")
            .arg(p("hpki-sign-ca.pem"))
            .args([
                "--id-attr:Id",
                "http://www.w3.org/2000/09/xmldsig#:KeyInfo",
                "--id-attr:Id",
                "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            ])
            .arg(file)
            .output()
            .unwrap()
    };
    let o = xmlsec(&out);
    assert!(
        o.status.success(),
        "xmlsec1: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let changed =
        std::fs::read_to_string(&out)
            .unwrap()
            .replacen("application 001", "application 002", 1);
    std::fs::write(&out, changed).unwrap();
    assert!(!xmlsec(&out).status.success(), "xmlsec1 sees the change");
}

const SIGNXML_VERIFY: &str = r#"
import sys
from signxml.xades import XAdESVerifier
data = open(sys.argv[1], "rb").read()
cert = open(sys.argv[2]).read()
results = XAdESVerifier().verify(data, x509_cert=cert)
print(len(results))
"#;

#[test]
fn signxml_xades_verifier_accepts_ours() {
    let Some(py) = peer_python("signxml, lxml") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, CLAIM).unwrap();
    let server = Server::start(&work.path().join("tsa-state"));
    let tsa_ca = p("tsa-ca.pem");
    for (name, extra) in [
        ("bb.xml", &[][..]),
        (
            "bt.xml",
            &["--tsa", server.url.as_str(), "--trust", &tsa_ca][..],
        ),
    ] {
        let out = work.path().join(name);
        let mut args = extra.to_vec();
        args.extend(["-o", out.to_str().unwrap()]);
        let o = sign(&doc, &args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let o = Command::new(&py)
            .args(["-c", SIGNXML_VERIFY])
            .arg(&out)
            .arg(p("hpki-signer.pem"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "signxml on {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "3");
    }
}

#[test]
fn a_pkcs12_key_signs_xml() {
    if !common::openssl_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let p12 = work.path().join("signer.p12");
    let o = Command::new("openssl")
        .args(["pkcs12", "-export", "-inkey"])
        .arg(p("hpki-signer.key.pem"))
        .arg("-in")
        .arg(p("hpki-signer.pem"))
        .arg("-certfile")
        .arg(p("hpki-sign-ca.pem"))
        .args(["-passout", "pass:secret", "-out"])
        .arg(&p12)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, CLAIM).unwrap();
    let out = work.path().join("p12.xml");
    let o = common::run_env(
        &[
            "sign",
            doc.to_str().unwrap(),
            "--pkcs12",
            p12.to_str().unwrap(),
            "--yes",
            "-o",
            out.to_str().unwrap(),
        ],
        &[("KENPO_PASSWORD", "secret")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_passed(&verify(&out, None), "B-B");
}
