//! PAdES signatures checked by an independent validator, pyHanko: B-B and B-T with
//! `ETSI.CAdES.detached`, and `adbe.pkcs7.detached`, made by `sign_pdf_file_to` over a
//! minimal PDF, validate as intact, valid and trusted (test PKI root as anchor) with the
//! whole file covered and no modification; the ETSI ones carry no signing-time attribute,
//! the adbe one does; B-T's time-stamp (TSA on 127.0.0.1) validates; the input is a prefix
//! of the output. A tampered byte inside the signed range breaks integrity.
//!
//! pyHanko comes from `$KENPO_PEER_PYTHON` (a python with pyhanko), else `python3` if it
//! imports pyhanko; missing: skipped with a message, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::path::Path;
use std::process::Command;

use cades_common::{LocalTsa, pki};
use kenpo_pdf::SubFilter;
use kenpo_sign::cades::SignOptions;
use kenpo_sign::pades::{PadesOptions, sign_pdf_file_to};
use kenpo_sign::{Level, Profile};

const MINIMAL: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n\
trailer<</Size 4/Root 1 0 R/ID[<00112233445566778899AABBCCDDEEFF><00112233445566778899AABBCCDDEEFF>]>>\nstartxref\n164\n%%EOF\n";

fn python() -> Option<String> {
    let candidates: Vec<String> = match std::env::var("KENPO_PEER_PYTHON") {
        Ok(p) => vec![p],
        Err(_) => vec!["python3".into()],
    };
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import pyhanko, pyhanko_certvalidator"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: a python with pyhanko is required (KENPO_PEER_PYTHON)"
    );
    eprintln!("SKIP: no python with pyhanko (set KENPO_PEER_PYTHON)");
    None
}

const VALIDATE: &str = r#"
import sys, json
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
roots = [load_cert_from_pemder(p) for p in sys.argv[2:]]
vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
out = []
with open(sys.argv[1], "rb") as f:
    r = PdfFileReader(f)
    for s in r.embedded_signatures:
        st = validate_pdf_signature(s, signer_validation_context=vc, ts_validation_context=vc)
        attrs = [a["type"].native for a in s.signer_info["signed_attrs"]]
        ts = st.timestamp_validity
        out.append({
            "intact": st.intact, "valid": st.valid, "trusted": st.trusted,
            "coverage": st.coverage.name if st.coverage else None,
            "modification": st.modification_level.name if st.modification_level else None,
            "subfilter": s.sig_object.get("/SubFilter"),
            "signed_attrs": attrs,
            "timestamp": None if ts is None else {"intact": ts.intact, "valid": ts.valid, "trusted": ts.trusted},
        })
print(json.dumps(out))
"#;

fn validate(py: &str, pdf: &Path, roots: &[&Path]) -> serde_json::Value {
    let o = Command::new(py)
        .arg("-c")
        .arg(VALIDATE)
        .arg(pdf)
        .args(roots)
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

fn sign(dir: &Path, name: &str, opts: &SignOptions, pdf: &PadesOptions) -> std::path::PathBuf {
    let input = dir.join("in.pdf");
    std::fs::write(&input, MINIMAL).unwrap();
    let out = dir.join(name);
    let signer = pki().signer("hpki-signer");
    let signed = sign_pdf_file_to(&signer, &input, &out, opts, pdf).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(
        bytes.starts_with(MINIMAL),
        "{name}: the input is not kept as a prefix"
    );
    assert_eq!(signed.output_len, bytes.len() as u64);
    out
}

#[test]
fn pyhanko_validates_pades_signatures() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = pki().path(&format!("{}.pem", pki().root_of("hpki-signer")));
    let tsa_root = pki().path(&format!("{}.pem", pki().root_of("tsa")));
    let roots = [root.as_path(), tsa_root.as_path()];
    let tsa = LocalTsa::start("tsa");
    let base = SignOptions::default().with_profile(Profile::Hpki);
    let cases = [
        (
            "bb.pdf",
            base.clone(),
            PadesOptions::new(),
            "/ETSI.CAdES.detached",
            false,
        ),
        (
            "bt.pdf",
            base.clone()
                .with_level(Level::BT)
                .with_tsa(Some(tsa.client_config())),
            PadesOptions::new().with_reason(Some("診療報酬請求".into())),
            "/ETSI.CAdES.detached",
            true,
        ),
        (
            "adbe.pdf",
            base.clone(),
            PadesOptions::new().with_sub_filter(SubFilter::AdbePkcs7Detached),
            "/adbe.pkcs7.detached",
            false,
        ),
    ];
    for (name, opts, pdf, subfilter, stamped) in cases {
        let out = sign(dir.path(), name, &opts, &pdf);
        let v = validate(&py, &out, &roots);
        let s = &v[0];
        assert_eq!(v.as_array().map(Vec::len), Some(1), "{name}: {v}");
        assert_eq!(s["intact"], true, "{name}: {s}");
        assert_eq!(s["valid"], true, "{name}: {s}");
        assert_eq!(s["trusted"], true, "{name}: {s}");
        assert_eq!(s["coverage"], "ENTIRE_FILE", "{name}: {s}");
        assert_eq!(s["modification"], "NONE", "{name}: {s}");
        assert_eq!(s["subfilter"], subfilter, "{name}");
        let has_signing_time = s["signed_attrs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "signing_time");
        assert_eq!(
            has_signing_time,
            subfilter == "/adbe.pkcs7.detached",
            "{name}: signing-time attribute: {s}"
        );
        if stamped {
            assert_eq!(s["timestamp"]["intact"], true, "{name}: {s}");
            assert_eq!(s["timestamp"]["valid"], true, "{name}: {s}");
            assert_eq!(s["timestamp"]["trusted"], true, "{name}: {s}");
        } else {
            assert!(s["timestamp"].is_null(), "{name}: {s}");
        }
    }

    // A byte of the input changed after signing: the signature is no longer intact.
    let out = dir.path().join("bb.pdf");
    let mut bytes = std::fs::read(&out).unwrap();
    let at = MINIMAL.len() - 40; // inside the page dictionary's MediaBox
    bytes[at] = if bytes[at] == b'5' { b'6' } else { b'5' };
    let tampered = dir.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let v = validate(&py, &tampered, &roots);
    assert_eq!(v[0]["intact"], false, "tampered: {v}");
}
