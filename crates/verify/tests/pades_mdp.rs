//! PDF modification analysis against DocMDP / FieldMDP permissions (issue 19), and legacy
//! `adbe.pkcs7.sha1`.
//!
//! pyHanko (`$KENPO_PEER_PYTHON`; skipped without it, except under CI) makes the inputs —
//! certification signatures with DocMDP /P 1, 2, 3, approval signatures, a FieldMDP lock,
//! then a second signature, a text field fill, an added annotation, a page content
//! change — and gives its own verdict where it has one (it supports no /P 3). The
//! `adbe.pkcs7.sha1` signature is made here: kenpo's CMS signer over the SHA-1 digest of
//! the byte range as attached content, in an update written by kenpo-pdf.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_verify::report::CheckKind;
use kenpo_verify::validate::{PdfVerification, Verifier, VerifyOptions, verify_pdf};
use kenpo_verify::{Indication, SubIndication};

/// A one-page form: text fields `Name` and `Other` (widgets merged), a content stream
/// and a font; classic cross-reference table.
fn form_pdf() -> Vec<u8> {
    let objs: [&str; 7] = [
        "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R]/DA(/Helv 0 Tf 0 g)/DR<</Font<</Helv 6 0 R>>>>>>>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 5 0 R/Resources<</Font<</F1 6 0 R>>>>/Annots[4 0 R 7 0 R]>>",
        "<</FT/Tx/T(Name)/Type/Annot/Subtype/Widget/Rect[100 700 300 720]/P 3 0 R/DA(/Helv 12 Tf 0 g)/F 4>>",
        "<</Length 37>>stream\nBT /F1 24 Tf 100 600 Td (Hello) Tj ET\nendstream",
        "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        "<</FT/Tx/T(Other)/Type/Annot/Subtype/Widget/Rect[100 650 300 670]/P 3 0 R/DA(/Helv 12 Tf 0 g)/F 4>>",
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

struct World {
    dir: tempfile::TempDir,
    py: String,
}

fn world() -> Option<&'static World> {
    static W: OnceLock<Option<World>> = OnceLock::new();
    W.get_or_init(|| {
        let py = common::peers::peer_python("pyhanko")?;
        let dir = tempfile::tempdir().unwrap();
        common::test_pki().write_to(dir.path()).unwrap();
        std::fs::write(dir.path().join("form.pdf"), form_pdf()).unwrap();
        Some(World { dir, py })
    })
    .as_ref()
}

impl World {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs pyhanko_mdp.py `cmd` from `src` to `dst` (file names in the work directory).
    fn py(&self, cmd: &str, src: &str, dst: &str, args: &[&str]) -> String {
        let o = Command::new(&self.py)
            .arg(common::peers::script("pyhanko_mdp.py"))
            .args([
                self.path("hpki-signer.key.pem"),
                self.path("hpki-signer.pem"),
                self.path("hpki-sign-ca.pem"),
            ])
            .arg(cmd)
            .args([self.path(src), self.path(dst)])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "pyhanko_mdp.py {cmd} {src}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// pyHanko's `docmdp_ok` per signature.
    fn pyhanko_ok(&self, name: &str) -> Vec<bool> {
        let root = self.path("root-ca.pem");
        let out = self.py("judge", name, "unused", &[root.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["docmdp_ok"].as_bool().unwrap())
            .collect()
    }
}

fn verifier() -> Verifier {
    let pki = common::test_pki();
    let mut o = VerifyOptions::default();
    o.anchors = vec![pki.entity("root-ca").unwrap().cert_der.clone()];
    o.crls = pki.crls().iter().map(|c| c.der.clone()).collect();
    o.offline = true;
    Verifier::new(o)
}

fn verify(path: &Path) -> PdfVerification {
    verify_pdf(&verifier(), &std::fs::read(path).unwrap()).unwrap()
}

/// Whether the first signature is reported modified, checking that the verdict follows.
fn first_modified(v: &PdfVerification, what: &str) -> bool {
    let m = v.signatures[0].modified_after_signing;
    let s = &v.report.signatures[0];
    if m {
        assert_eq!(s.indication, Indication::TotalFailed, "{what}");
        assert_eq!(
            s.sub_indication,
            Some(SubIndication::FORMAT_FAILURE),
            "{what}"
        );
        assert!(
            v.signatures[0].modifications.iter().any(|m| !m.permitted),
            "{what}: the refused change is listed"
        );
    } else {
        assert_eq!(
            s.indication,
            Indication::TotalPassed,
            "{what}: {:?}",
            s.checks
        );
    }
    m
}

#[test]
fn certification_levels_against_each_change() {
    let Some(w) = world() else { return };
    // (change, modified under P=1, P=2, P=3)
    let cases: [(&str, [bool; 3]); 4] = [
        ("approve", [true, false, false]),
        ("fill", [true, false, false]),
        ("annot", [true, true, false]),
        ("content", [true, true, true]),
    ];
    for p in 1..=3 {
        let cert = format!("cert-p{p}.pdf");
        w.py("certify", "form.pdf", &cert, &[&p.to_string()]);
        let v = verify(&w.path(&cert));
        assert!(!first_modified(&v, &cert), "{cert}");
        assert_eq!(
            v.signatures[0].permitted_level.name(),
            ["lta-updates", "form-filling", "annotations"][p - 1]
        );
        for (change, expected) in cases {
            let out = format!("cert-p{p}-{change}.pdf");
            let args: &[&str] = match change {
                "approve" => &["Sig2"],
                "fill" => &["Name", "Taro"],
                _ => &[],
            };
            w.py(change, &cert, &out, args);
            let v = verify(&w.path(&out));
            let modified = first_modified(&v, &out);
            assert_eq!(
                modified,
                expected[p - 1],
                "{out}: {:?}",
                v.signatures[0].modifications
            );
            if change == "approve" {
                assert!(!v.signatures[1].modified_after_signing, "{out}");
                assert!(v.signatures[1].covers_whole_file, "{out}");
            }
            // pyHanko agrees where it judges (it does not support DocMDP /P 3).
            if p < 3 {
                assert_eq!(
                    w.pyhanko_ok(&out)[0],
                    !modified,
                    "{out}: pyHanko's docmdp_ok"
                );
            }
        }
    }
}

#[test]
fn approval_signatures_allow_form_filling_not_annotations() {
    let Some(w) = world() else { return };
    w.py("approve", "form.pdf", "approved.pdf", &["Sig1"]);
    for (change, args, expected) in [
        ("fill", &["Name", "Taro"][..], false),
        ("approve", &["Sig2"][..], false),
        ("annot", &[][..], true),
        ("content", &[][..], true),
    ] {
        let out = format!("approved-{change}.pdf");
        w.py(change, "approved.pdf", &out, args);
        let v = verify(&w.path(&out));
        assert_eq!(v.signatures[0].permitted_level.name(), "form-filling");
        assert_eq!(
            first_modified(&v, &out),
            expected,
            "{out}: {:?}",
            v.signatures[0].modifications
        );
        assert_eq!(
            w.pyhanko_ok(&out)[0],
            !expected,
            "{out}: pyHanko's docmdp_ok"
        );
    }
}

#[test]
fn fieldmdp_locked_field_changed_is_modified() {
    let Some(w) = world() else { return };
    w.py("approve", "form.pdf", "locked.pdf", &["Sig1", "Name"]);
    let v = verify(&w.path("locked.pdf"));
    assert!(!first_modified(&v, "locked.pdf"));
    // The locked field filled: modified; another field: allowed.
    w.py("fill", "locked.pdf", "locked-name.pdf", &["Name", "Taro"]);
    let v = verify(&w.path("locked-name.pdf"));
    assert!(
        first_modified(&v, "locked-name.pdf"),
        "{:?}",
        v.signatures[0].modifications
    );
    assert!(!w.pyhanko_ok("locked-name.pdf")[0]);
    w.py(
        "fill",
        "locked.pdf",
        "locked-other.pdf",
        &["Other", "Hanako"],
    );
    let v = verify(&w.path("locked-other.pdf"));
    assert!(
        !first_modified(&v, "locked-other.pdf"),
        "{:?}",
        v.signatures[0].modifications
    );
    assert!(w.pyhanko_ok("locked-other.pdf")[0]);
    // The JSON names the change.
    let j = verify(&w.path("locked-name.pdf")).to_json();
    let mods = j["signatures"][0]["modifications"].as_array().unwrap();
    assert!(
        mods.iter().any(|m| m["permitted"] == false
            && m["level"] == "form-filling"
            && m["change"].as_str().unwrap().contains("'Name'")),
        "{j}"
    );
}

/// An `adbe.pkcs7.sha1` signature: kenpo's CMS signer with the SHA-1 digest of the byte
/// range as attached content, in an update written by kenpo-pdf.
fn sha1_signed(pdf: &[u8]) -> Vec<u8> {
    let mut doc = kenpo_pdf::Document::open(pdf, kenpo_pdf::Budget::default()).unwrap();
    let opts = kenpo_pdf::SignatureOptions::new(kenpo_pdf::SubFilter::AdbePkcs7Sha1, 16 * 1024);
    let mut prepared = kenpo_pdf::prepare_signature(&mut doc, &opts).unwrap();
    let mut h = DigestAlgorithm::Sha1.hasher();
    h.update(pdf);
    h.update(prepared.head());
    h.update(prepared.tail());
    let digest = h.finalize();
    let signer = common::signer("hpki-signer");
    let mut so = kenpo_sign::cades::SignOptions::default();
    so.attached = true;
    let signed = kenpo_sign::cades::sign_bytes(&signer, digest.as_bytes(), &so).unwrap();
    prepared.fill_contents(&signed.der).unwrap();
    prepared.to_vec(pdf)
}

#[test]
fn adbe_pkcs7_sha1_verifies_and_reports_the_sha1_sunset() {
    let pdf = form_pdf();
    let signed = sha1_signed(&pdf);
    let v = verify_pdf(&verifier(), &signed).unwrap();
    let s = &v.report.signatures[0];
    assert_eq!(
        v.signatures[0].sub_filter.as_deref(),
        Some("adbe.pkcs7.sha1")
    );
    let check = |kind: CheckKind| s.checks.iter().filter(move |c| c.kind == kind);
    // The CMS over its content, and the digest against the byte range, both pass.
    assert!(
        check(CheckKind::SignatureValue).all(|c| c.passed),
        "{:?}",
        s.checks
    );
    assert!(
        check(CheckKind::MessageDigest).count() >= 2,
        "{:?}",
        s.checks
    );
    assert!(
        check(CheckKind::MessageDigest).all(|c| c.passed),
        "{:?}",
        s.checks
    );
    // SHA-1's sunset (2012) without an earlier proof of existence: not a pass.
    assert!(
        check(CheckKind::AlgorithmSunset).any(|c| !c.passed),
        "{:?}",
        s.checks
    );
    assert_eq!(s.indication, Indication::Indeterminate, "{:?}", s.checks);
    assert_eq!(
        s.sub_indication,
        Some(SubIndication::CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
    );

    // A byte flipped in the covered range: the digest no longer matches.
    let mut tampered = signed.clone();
    let at = pdf.windows(5).position(|w| w == b"Hello").unwrap();
    tampered[at] ^= 1;
    let v = verify_pdf(&verifier(), &tampered).unwrap();
    let s = &v.report.signatures[0];
    assert_eq!(s.indication, Indication::TotalFailed, "{:?}", s.checks);
    assert_eq!(s.sub_indication, Some(SubIndication::HASH_FAILURE));
}

/// kenpo-pdf's long-term updates (a DSS, then a document time-stamp field) after a DocMDP
/// /P 1 certification change nothing the certification forbids (every change is an LTA
/// update).
#[test]
fn lta_updates_pass_a_p1_certification() {
    let Some(w) = world() else { return };
    w.py("certify", "form.pdf", "lta-p1.pdf", &["1"]);
    let mut pdf = std::fs::read(w.path("lta-p1.pdf")).unwrap();
    let mut doc = kenpo_pdf::Document::open(&pdf[..], kenpo_pdf::Budget::default()).unwrap();
    let mut add = kenpo_pdf::DssAdditions::new();
    add.certs.push(
        common::test_pki()
            .entity("hpki-sign-ca")
            .unwrap()
            .cert_der
            .clone(),
    );
    let appended = kenpo_pdf::add_dss(&mut doc, &add, None).unwrap();
    pdf.extend_from_slice(&appended);
    let mut doc = kenpo_pdf::Document::open(&pdf[..], kenpo_pdf::Budget::default()).unwrap();
    let opts = kenpo_pdf::SignatureOptions::new(kenpo_pdf::SubFilter::EtsiRfc3161, 64);
    let mut prepared = kenpo_pdf::prepare_signature(&mut doc, &opts).unwrap();
    // The token's validity is not what this test is about.
    prepared.fill_contents(&[0x30, 0x00]).unwrap();
    let pdf = prepared.to_vec(&pdf);
    let v = verify_pdf(&verifier(), &pdf).unwrap();
    assert_eq!(v.signatures.len(), 1);
    assert!(
        !v.signatures[0].modified_after_signing,
        "{:?}",
        v.signatures[0].modifications
    );
    assert!(
        v.signatures[0]
            .modifications
            .iter()
            .all(|m| m.change.level() == kenpo_pdf::ModificationLevel::LtaUpdates),
        "{:?}",
        v.signatures[0].modifications
    );
    assert_eq!(v.document_timestamps.len(), 1);
}
