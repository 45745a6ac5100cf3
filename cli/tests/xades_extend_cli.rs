//! `kenpo-sign extend FILE.xml --to b-lt|b-lta` (CLI.md "PDF and XML documents"): a
//! signxml XAdES B-B (`$KENPO_PEER_PYTHON`; skipped without it, a failure under CI) →
//! B-LT → B-LTA → renewed in place; each output is its input with one run of text
//! inserted, verifies offline at its level, and signxml still verifies it. A changed
//! document is refused (exit 1) and nothing is written. A real `tsa serve` child and
//! kenpo-testpki's revocation service on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{env, f, peer_python, run, text, xmlsec1};

const SIGNXML: &str = r#"
import sys
from lxml import etree
from signxml import SignatureMethod, DigestAlgorithm
from signxml.xades import XAdESSigner, XAdESVerifier
if sys.argv[1] == "sign":
    key, cert, out = sys.argv[2:5]
    root = etree.fromstring("<prescription><patient>山田 花子</patient></prescription>".encode())
    s = XAdESSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256)
    signed = s.sign(root, key=open(key, "rb").read(), cert=open(cert, "rb").read())
    open(out, "wb").write(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
else:
    path, cert = sys.argv[2:4]
    XAdESVerifier().verify(open(path, "rb").read(), x509_cert=open(cert, "rb").read())
"#;

fn signxml(py: &str, args: &[&str]) {
    let o = Command::new(py)
        .args(["-c", SIGNXML])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "signxml {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn extend(input: &Path, to: &str, out: Option<&Path>) -> std::process::Output {
    let mut args = vec![
        "extend".to_owned(),
        input.to_str().unwrap().to_owned(),
        "--to".into(),
        to.into(),
        "--tsa".into(),
        env().tsa.url.clone(),
        "--trust".into(),
        f("root-ca.pem"),
        "--trust".into(),
        f("tsa-ca.pem"),
        "--cert-store".into(),
        f("hpki-sign-ca.pem"),
    ];
    match out {
        Some(o) => args.extend(["-o".into(), o.to_str().unwrap().to_owned()]),
        None => args.push("--in-place".into()),
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

/// `verify --offline --format json`: the level from what the document carries.
fn assert_level(xml: &Path, level: &str) {
    assert_level_with(xml, level, &[]);
}

/// [`assert_level`] with `--content` files.
fn assert_level_with(xml: &Path, level: &str, contents: &[&Path]) {
    let mut args = vec!["verify", xml.to_str().unwrap()];
    for c in contents {
        args.extend(["--content", c.to_str().unwrap()]);
    }
    let o = run(&[
        args.as_slice(),
        &[
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "--offline",
            "--format",
            "json",
        ],
    ]
    .concat());
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(
        (&v["indication"], &v["signatures"][0]["level"]),
        (&"TOTAL_PASSED".into(), &level.into()),
        "{v:#}"
    );
    assert_eq!(v["signatures"][0]["format"], "XAdES");
}

/// `after` is `before` with one run of bytes inserted.
fn assert_only_inserted(before: &Path, after: &Path) {
    let (a, b) = (
        std::fs::read(before).unwrap(),
        std::fs::read(after).unwrap(),
    );
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    assert!(b.len() > a.len(), "nothing inserted");
    let mut back = b.clone();
    back.drain(head..head + (b.len() - a.len()));
    assert!(
        back == a,
        "{} is not {} with one insertion",
        after.display(),
        before.display()
    );
}

#[test]
fn a_signxml_xades_is_extended_to_b_lt_b_lta_and_renewed_in_place() {
    let Some(py) = peer_python("signxml, lxml") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bb = dir.path().join("bb.xml");
    signxml(
        &py,
        &[
            "sign",
            &f("hpki-signer.key.pem"),
            &f("hpki-signer.pem"),
            bb.to_str().unwrap(),
        ],
    );

    let blt = dir.path().join("blt.xml");
    let o = extend(&bb, "b-lt", Some(&blt));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("level:    B-LT"), "{}", text(&o));
    assert!(text(&o).contains("signature time-stamp:"), "{}", text(&o));
    assert_only_inserted(&bb, &blt);
    assert_level(&blt, "B-LT");

    let blta = dir.path().join("blta.xml");
    let o = extend(&blt, "b-lta", Some(&blta));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("archive time-stamp:"), "{}", text(&o));
    assert_only_inserted(&blt, &blta);
    assert_level(&blta, "B-LTA");

    // b-lt on a B-LTA is refused, nothing written.
    let no = dir.path().join("no.xml");
    let o = extend(&blta, "b-lt", Some(&no));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!no.exists());

    // Renewal in place.
    let renewed = dir.path().join("renewed.xml");
    std::fs::copy(&blta, &renewed).unwrap();
    let o = extend(&renewed, "b-lta", None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_only_inserted(&blta, &renewed);
    assert_only_inserted(&bb, &renewed);
    assert_level(&renewed, "B-LTA");
    for x in [&blt, &blta, &renewed] {
        signxml(&py, &["verify", x.to_str().unwrap(), &f("hpki-signer.pem")]);
    }

    // A changed document is not preserved: exit 1 with the reason, nothing written.
    let changed = dir.path().join("changed.xml");
    let doc = std::fs::read_to_string(&blt).unwrap();
    std::fs::write(&changed, doc.replacen("山田 花子", "山田 太郎", 1)).unwrap();
    let out = dir.path().join("changed-lta.xml");
    let o = extend(&changed, "b-lta", Some(&out));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("HASH_FAILURE"), "{}", text(&o));
    assert!(!out.exists());
    // In place, the refused file is left as it was.
    let o = extend(&changed, "b-lta", None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&changed).unwrap(),
        doc.replacen("山田 花子", "山田 太郎", 1)
    );
}

/// An e-Gov-like XAdES B-B whose first reference is a detached attachment named by file
/// name, signed by xmlsec1 (SignedProperties by its Id).
const DETACHED_TEMPLATE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kousei xmlns="urn:example:egov"><item>申請書</item><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="attachment.txt"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference><ds:Reference URI="#sp" Type="http://uri.etsi.org/01903#SignedProperties"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#sig"><xades:SignedProperties Id="sp"><xades:SignedSignatureProperties><xades:SigningTime>2026-12-08T00:00:00Z</xades:SigningTime></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature></kousei>"##;

#[test]
fn a_xades_with_a_detached_attachment_is_extended_with_content() {
    if !xmlsec1() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let attachment = dir.path().join("attachment.txt");
    std::fs::write(&attachment, "添付ファイル\n").unwrap();
    let tmpl = dir.path().join("tmpl.xml");
    std::fs::write(&tmpl, DETACHED_TEMPLATE).unwrap();
    let bb = dir.path().join("bb.xml");
    let o = Command::new("xmlsec1")
        .current_dir(dir.path())
        .args(["--sign", "--privkey-pem"])
        .arg(format!(
            "{},{}",
            f("hpki-signer.key.pem"),
            f("hpki-signer.pem")
        ))
        .args([
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            "--output",
        ])
        .arg(&bb)
        .arg(&tmpl)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "xmlsec1: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Without the attachment the signature cannot be validated: refused, nothing written.
    let lta = dir.path().join("lta.xml");
    let o = extend(&bb, "b-lta", Some(&lta));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!lta.exists());

    let mut args: Vec<String> = vec![
        "extend".into(),
        bb.to_str().unwrap().into(),
        "--content".into(),
        attachment.to_str().unwrap().into(),
        "--to".into(),
        "b-lta".into(),
        "--tsa".into(),
        env().tsa.url.clone(),
    ];
    for (flag, v) in [
        ("--trust", "root-ca.pem"),
        ("--trust", "tsa-ca.pem"),
        ("--cert-store", "hpki-sign-ca.pem"),
    ] {
        args.extend([flag.into(), f(v)]);
    }
    args.extend(["-o".into(), lta.to_str().unwrap().into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("level:    B-LTA"), "{}", text(&o));
    assert_only_inserted(&bb, &lta);
    assert_level_with(&lta, "B-LTA", &[&attachment]);
}

/// `sign DOC.xml --level b-lta` (CLI.md "PDF and XML documents"): one command signs B-T
/// and extends it, enveloped and detached; the enveloped output verifies at B-LTA offline,
/// the detached one with `--content`. With a TSA that does not answer nothing is written.
#[test]
fn sign_level_b_lta_signs_and_extends_xml_or_writes_nothing() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, "<claim><item>001</item></claim>\n").unwrap();
    let sign = |tsa: &str, form: &str, out: &Path| {
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
            "--xml-form",
            form,
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let enveloped = work.path().join("enveloped.xml");
    let o = sign(&e.tsa.url, "enveloped", &enveloped);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("B-LTA"), "{}", text(&o));
    assert_level(&enveloped, "B-LTA");
    let detached = work.path().join("detached.xml");
    let o = sign(&e.tsa.url, "detached", &detached);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_level_with(&detached, "B-LTA", &[&doc]);

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", dead.local_addr().unwrap());
    drop(dead);
    let failed = work.path().join("failed.xml");
    let o = sign(&url, "enveloped", &failed);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!failed.exists(), "nothing written on failure");
    let mut names: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["claim.xml", "detached.xml", "enveloped.xml"],
        "no staging files left"
    );
}
