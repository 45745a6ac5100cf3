//! XMLDSig interop: signatures made by xmlsec1 (libxmlsec, `/usr/bin/xmlsec1`) and by
//! Python's signxml (`$KENPO_PEER_PYTHON`, else `python3` if it imports signxml) with the
//! test PKI's keys, verified by `kenpo-sign verify`. Without the peer the test is
//! skipped, except under CI where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{p, peer_python, run, text, xmlsec1};
use serde_json::Value;

/// An e-Gov-like enveloped template: the document (exclusive C14N, enveloped transform)
/// and a detached attachment referenced by file name, as kousei.xml references its files.
fn template(method: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kousei xmlns="urn:example:egov"><item Id="a">申請書</item><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#{method}"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference><Reference URI="attachment.txt"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature></kousei>
"#
    )
}

/// `kenpo-sign verify FILE --format json` with the test PKI's root of `family` and CRLs.
fn verify(file: &Path, family: &str, contents: &[&Path]) -> Value {
    let (root, ca) = match family {
        "hpki" => ("root-ca", "hpki-sign-ca"),
        _ => ("accredited-root", "accredited-ca"),
    };
    let mut args: Vec<String> = vec!["verify".into(), file.to_str().unwrap().into()];
    for c in contents {
        args.extend(["--content".into(), c.to_str().unwrap().into()]);
    }
    for (flag, v) in [
        ("--trust", format!("{root}.pem")),
        ("--cert-store", format!("{ca}.pem")),
        ("--crl", format!("{ca}.crl")),
        ("--crl", format!("{root}.crl")),
    ] {
        args.extend([flag.into(), p(&v)]);
    }
    args.extend(["--offline".into(), "--format".into(), "json".into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)))
}

#[test]
fn xmlsec1_signatures_verify_rsa_and_ecdsa_with_a_detached_attachment() {
    if !xmlsec1() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let attachment = dir.path().join("attachment.txt");
    std::fs::write(&attachment, "添付ファイル\n").unwrap();
    for (method, key, family) in [
        ("rsa-sha256", "hpki-signer", "hpki"),
        ("ecdsa-sha256", "accredited-signer-ecdsa", "accredited"),
    ] {
        let tmpl = dir.path().join(format!("{method}-tmpl.xml"));
        let signed = dir.path().join(format!("{method}.xml"));
        std::fs::write(&tmpl, template(method)).unwrap();
        let o = Command::new("xmlsec1")
            .current_dir(dir.path())
            .args(["--sign", "--privkey-pem"])
            .arg(format!(
                "{},{}",
                p(&format!("{key}.key.pem")),
                p(&format!("{key}.pem"))
            ))
            .arg("--output")
            .arg(&signed)
            .arg(&tmpl)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "xmlsec1: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r = verify(&signed, family, &[&attachment]);
        assert_eq!(r["indication"], "TOTAL_PASSED", "{method}: {r:#}");
        assert_eq!(r["signatures"][0]["format"], "XMLDSig");
        // The attachment is required and must be the one signed.
        let r = verify(&signed, family, &[]);
        assert_eq!(r["sub_indication"], "SIGNED_DATA_NOT_FOUND", "{r:#}");
        let other = dir.path().join("other").join("attachment.txt");
        std::fs::create_dir_all(other.parent().unwrap()).unwrap();
        std::fs::write(&other, "差し替え\n").unwrap();
        let r = verify(&signed, family, &[&other]);
        assert_eq!(r["sub_indication"], "HASH_FAILURE", "{r:#}");
    }
    // Several contents are for XML signatures only.
    let o = run(&[
        "verify",
        p("hpki-signer.pem").as_str(),
        "--content",
        "a",
        "--content",
        "b",
        "--trust",
        p("root-ca.pem").as_str(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
}

const SIGNXML: &str = r#"
import sys
from lxml import etree
from signxml import XMLSigner, SignatureMethod, DigestAlgorithm, CanonicalizationMethod
key, cert, out = sys.argv[1:4]
root = etree.fromstring("<kousei><item>申請書</item></kousei>".encode())
signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                   c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
signed = signer.sign(root, key=open(key, "rb").read(), cert=open(cert, "rb").read())
open(out, "wb").write(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
"#;

#[test]
fn signxml_enveloped_signature_verifies() {
    let Some(py) = peer_python("signxml, lxml") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signxml.xml");
    let o = Command::new(&py)
        .args([
            "-c",
            SIGNXML,
            &p("hpki-signer.key.pem"),
            &p("hpki-signer.pem"),
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "signxml: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = verify(&out, "hpki", &[]);
    assert_eq!(r["indication"], "TOTAL_PASSED", "{r:#}");
    assert_eq!(r["signatures"][0]["format"], "XMLDSig");
    // A changed document fails.
    let changed = std::fs::read_to_string(&out)
        .unwrap()
        .replace("申請書", "申請者");
    std::fs::write(&out, changed).unwrap();
    assert_eq!(verify(&out, "hpki", &[])["sub_indication"], "HASH_FAILURE");
}

#[test]
fn extending_a_plain_xmldsig_signature_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("signed.xml");
    std::fs::write(&xml, template("rsa-sha256")).unwrap();
    let out = dir.path().join("out.xml");
    let o = run(&[
        "extend",
        xml.to_str().unwrap(),
        "--to",
        "b-lt",
        "--trust",
        p("root-ca.pem").as_str(),
        "--offline",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("plain XMLDSig"), "{}", text(&o));
    assert!(!out.exists());
}
