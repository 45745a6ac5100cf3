//! Incremental updates checked by independent PDF readers: `qpdf --check` accepts every
//! output (as well as it accepts the input) and `pdfsig` lists the new signature field.
//! Inputs: a minimal hand-written file, classic xref tables, cross-reference streams and an
//! object-stream file written by qpdf. qpdf/pdfsig missing: skipped, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kenpo_pdf::{
    Budget, Document, DssAdditions, PdfError, SigType, SignatureOptions, SubFilter, XrefKind,
};

const MINIMAL: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n\
trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n";

fn tool(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin").join(name);
    if p.is_file() {
        return Some(p);
    }
    assert!(std::env::var_os("CI").is_none(), "CI: {name} is required");
    eprintln!("skipped: {name} not installed");
    None
}

fn corpus(name: &str) -> Option<Vec<u8>> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/dss-pades")
        .join(name);
    std::fs::read(p).ok()
}

/// qpdf's exit code: 0 clean, 3 warnings, 2 errors.
fn qpdf_check(qpdf: &Path, bytes: &[u8], dir: &Path, name: &str) -> i32 {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(qpdf)
        .arg("--check")
        .arg(&p)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let code = out.status.code().unwrap_or(-1);
    if code != 0 {
        eprintln!(
            "qpdf --check {name}: {code}\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    code
}

fn pdfsig_count(pdfsig: &Path, bytes: &[u8], dir: &Path, name: &str) -> usize {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(pdfsig)
        .arg("-nocert")
        .arg(&p)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Signature #"))
        .count()
}

fn dummy_cms() -> Vec<u8> {
    // A syntactically valid DER SEQUENCE; no reader here checks the signature.
    vec![0x30, 0x06, 0x06, 0x04, 0x2a, 0x03, 0x04, 0x05]
}

fn sign_and_check(qpdf: &Path, pdfsig: &Path, dir: &Path, name: &str, input: &[u8]) {
    let before = qpdf_check(qpdf, input, dir, &format!("{name}.in.pdf"));
    let before_sigs = pdfsig_count(pdfsig, input, dir, &format!("{name}.in.pdf"));
    let mut doc =
        Document::open(input, Budget::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let opts = SignatureOptions::new(SubFilter::EtsiCadesDetached, 4096)
        .with_signing_time("D:20260401093000Z")
        .with_reason("承認");
    let mut p =
        kenpo_pdf::prepare_signature(&mut doc, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    p.fill_contents(&dummy_cms())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut signed = Vec::new();
    p.write_to(input, &mut signed)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        signed.starts_with(input),
        "{name}: input is not kept as a prefix"
    );
    let after = qpdf_check(qpdf, &signed, dir, &format!("{name}.sig.pdf"));
    assert!(
        after == 0 || after == before,
        "{name}: qpdf --check {after} (input: {before})"
    );
    assert_eq!(
        pdfsig_count(pdfsig, &signed, dir, &format!("{name}.sig.pdf")),
        before_sigs + 1,
        "{name}: pdfsig"
    );

    // The same kind of cross-reference section as the input's last one.
    let mut again =
        Document::open(&signed[..], Budget::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(again.last_xref_kind(), doc.last_xref_kind(), "{name}");
    let sig = again.signatures().unwrap_or_default().into_iter().last();
    let sig = sig.unwrap_or_else(|| panic!("{name}: no signature read back"));
    assert_eq!(sig.reason.as_deref(), Some("承認"));
    assert_eq!(sig.m.as_deref(), Some("D:20260401093000Z"));
    assert_eq!(sig.sub_filter.as_deref(), Some("ETSI.CAdES.detached"));

    // A DSS in a further update, merged on a second one.
    let add = |certs: Vec<Vec<u8>>| {
        let mut a = DssAdditions::new();
        a.certs = certs;
        a.ocsps = vec![vec![0x30, 0x00]];
        a
    };
    let had = again
        .dss()
        .unwrap_or_default()
        .map_or((0, 0), |d| (d.certs.len(), d.ocsps.len()));
    let app = kenpo_pdf::add_dss(&mut again, &add(vec![vec![0x30, 0x01, 0x00]]), None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut with_dss = signed.clone();
    with_dss.extend_from_slice(&app);
    let mut d3 =
        Document::open(&with_dss[..], Budget::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let app = kenpo_pdf::add_dss(
        &mut d3,
        &add(vec![vec![0x30, 0x01, 0x00], vec![0x30, 0x01, 0x01]]),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    with_dss.extend_from_slice(&app);
    assert!(with_dss.starts_with(&signed));
    let mut d4 =
        Document::open(&with_dss[..], Budget::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let dss = d4
        .dss()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{name}: no DSS"));
    assert_eq!(
        (dss.certs.len(), dss.ocsps.len()),
        (had.0 + 2, had.1 + 1),
        "{name}: DSS merged without duplicates"
    );
    assert_eq!(
        dss.certs
            .last()
            .map(|r| d4.stream_bytes(*r).unwrap_or_default()),
        Some(vec![0x30, 0x01, 0x01])
    );
    let code = qpdf_check(qpdf, &with_dss, dir, &format!("{name}.dss.pdf"));
    assert!(
        code == 0 || code == before,
        "{name}: qpdf --check with DSS {code}"
    );
    assert_eq!(
        pdfsig_count(pdfsig, &with_dss, dir, &format!("{name}.dss.pdf")),
        before_sigs + 1
    );

    // A document time-stamp on top.
    let mut p = kenpo_pdf::prepare_signature(
        &mut d4,
        &SignatureOptions::new(SubFilter::EtsiRfc3161, 2048),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    p.fill_contents(&dummy_cms())
        .unwrap_or_else(|e| panic!("{e}"));
    let ts = p.to_vec(&with_dss);
    let mut d5 =
        Document::open(&ts[..], Budget::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let sigs = d5.signatures().unwrap_or_default();
    assert_eq!(
        sigs.last().map(|s| s.sig_type),
        Some(SigType::DocTimeStamp),
        "{name}"
    );
    assert_eq!(
        sigs.last().and_then(|s| s.m.clone()),
        None,
        "a document time-stamp has no /M"
    );
    let code = qpdf_check(qpdf, &ts, dir, &format!("{name}.ts.pdf"));
    assert!(
        code == 0 || code == before,
        "{name}: qpdf --check with doc time-stamp {code}"
    );
    assert_eq!(
        d5.revisions().len(),
        doc.revisions().len() + 4,
        "{name}: one revision per update"
    );
}

#[test]
fn outputs_are_accepted_by_qpdf_and_pdfsig() {
    let (Some(qpdf), Some(pdfsig)) = (tool("qpdf"), tool("pdfsig")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        qpdf_check(&qpdf, MINIMAL, dir.path(), "plain.pdf"),
        0,
        "the minimal file itself is clean"
    );
    sign_and_check(&qpdf, &pdfsig, dir.path(), "minimal", MINIMAL);
    // An object-stream file (xref stream) written by qpdf from the minimal one.
    let src = dir.path().join("min.pdf");
    let objstm = dir.path().join("objstm.pdf");
    std::fs::write(&src, MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    let st = Command::new(&qpdf)
        .args(["--object-streams=generate"])
        .arg(&src)
        .arg(&objstm)
        .status();
    assert!(
        st.is_ok_and(|s| s.success()),
        "qpdf could not write the object-stream file"
    );
    let bytes = std::fs::read(&objstm).unwrap_or_default();
    let doc = Document::open(&bytes[..], Budget::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.last_xref_kind(), XrefKind::Stream);
    sign_and_check(&qpdf, &pdfsig, dir.path(), "objstm", &bytes);
    // A table file, a hybrid one (table + /XRefStm) and one ending in a cross-reference stream.
    for (name, kind) in [
        ("pades-bes.pdf", XrefKind::Table),
        ("PAdES-LT.pdf", XrefKind::Table),
        ("pkcs7.pdf", XrefKind::Stream),
    ] {
        let Some(bytes) = corpus(name) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: ../shared/conformance/dss-pades is required"
            );
            continue;
        };
        let doc = Document::open(&bytes[..], Budget::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.last_xref_kind(), kind, "{name}");
        sign_and_check(&qpdf, &pdfsig, dir.path(), name, &bytes);
    }
}

#[test]
fn contents_too_small_is_typed() {
    let mut doc = Document::open(MINIMAL, Budget::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut p = kenpo_pdf::prepare_signature(
        &mut doc,
        &SignatureOptions::new(SubFilter::AdbePkcs7Detached, 4),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        p.fill_contents(&[0; 5]),
        Err(PdfError::ContentsTooSmall {
            need: 5,
            capacity: 4
        })
    ));
    // The signed parts are the whole output but the /Contents token.
    let out = p.to_vec(MINIMAL);
    let br = p.byte_range();
    assert_eq!(br[1] - br[0], (MINIMAL.len() + p.head().len()) as u64);
    assert_eq!(br[3], p.tail().len() as u64);
    assert_eq!(&out[br[1] as usize..br[2] as usize], b"<00000000>");
}

#[test]
fn hostile_inputs_give_typed_errors() {
    // A /Prev loop.
    let looped = b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer<</Size 1/Prev 9>>\nstartxref\n9\n%%EOF\n";
    assert!(matches!(
        Document::open(&looped[..], Budget::default()),
        Err(PdfError::XrefLoop { offset: 9 })
    ));
    // Deep nesting inside the trailer.
    let mut deep = b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer<</A ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 10_000));
    deep.extend_from_slice(b">>\nstartxref\n9\n%%EOF\n");
    assert!(Document::open(&deep[..], Budget::default()).is_err());
    // Encrypted.
    let enc = b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer<</Size 1/Encrypt<</Filter/Standard>>>>\nstartxref\n9\n%%EOF\n";
    assert!(matches!(
        Document::open(&enc[..], Budget::default()),
        Err(PdfError::Encrypted)
    ));
    // An xref table larger than the object budget.
    let big =
        b"%PDF-1.4\nxref\n0 99999999\n0000000000 65535 f \ntrailer<<>>\nstartxref\n9\n%%EOF\n";
    assert!(matches!(
        Document::open(&big[..], Budget::default().with_max_objects(1000)),
        Err(PdfError::Budget { .. })
    ));
    // Truncated files and garbage.
    for n in (0..MINIMAL.len()).step_by(7) {
        let _ = Document::open(&MINIMAL[..n], Budget::default()).and_then(|mut d| d.signatures());
    }
    assert!(matches!(
        Document::open(&b"hello"[..], Budget::default()),
        Err(PdfError::NotPdf)
    ));
}
