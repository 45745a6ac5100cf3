//! The output of `sign_pdf_file_to` for inputs larger than the copy's block size (a few
//! MiB, generated): the input is an exact prefix of the output, the `/ByteRange` of the
//! written file hashes to the digest that was signed, and a signing that fails after the
//! input was copied (the TSA of a B-T signature is down) leaves no output, an existing
//! output unchanged, and no temporary file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::path::Path;

use cades_common::{LocalTsa, client_config, closed_port_url, pki};
use kenpo_core::alg::DigestAlgorithm;
use kenpo_pdf::{Budget, Document};
use kenpo_sign::cades::SignOptions;
use kenpo_sign::pades::{PadesOptions, sign_pdf_file_to};
use kenpo_sign::{Level, Profile};

/// A one-page PDF whose content stream holds about `content_len` bytes of drawing
/// operators (a length that is no multiple of 4096: the copy ends on a partial block).
fn big_pdf(content_len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for obj in [
        &b"1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n"[..],
        b"2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n",
        b"3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>\nendobj\n",
    ] {
        offsets.push(out.len());
        out.extend_from_slice(obj);
    }
    let line = b"72 72 m 523 770 l 0.5 w S q Q\n";
    let stream = line.repeat(content_len / line.len());
    offsets.push(out.len());
    out.extend_from_slice(format!("4 0 obj\n<</Length {}>>\nstream\n", stream.len()).as_bytes());
    out.extend_from_slice(&stream);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for o in &offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    ));
    out.extend_from_slice(table.as_bytes());
    out
}

/// The names of our temporary files (`.kenpo-tmp-*.wip`) in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".kenpo-tmp-"))
        .collect()
}

#[test]
fn large_input_is_an_exact_prefix_and_the_byte_range_is_what_was_signed() {
    let dir = tempfile::tempdir().unwrap();
    let signer = pki().signer("hpki-signer");
    let opts = SignOptions::default().with_profile(Profile::Hpki);
    // 9 MiB and a bit: several copy blocks and a partial one; and one of 3 blocks.
    for (name, size) in [("odd", 9 * 1024 * 1024 + 4321), ("small", 3000)] {
        let input = big_pdf(size);
        let doc = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&doc, &input).unwrap();
        let out = dir.path().join(format!("{name}.signed.pdf"));
        let signed = sign_pdf_file_to(&signer, &doc, &out, &opts, &PadesOptions::new()).unwrap();

        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(signed.output_len, bytes.len() as u64, "{name}");
        assert!(bytes.len() > input.len(), "{name}");
        // Compared without printing megabytes on failure.
        let first_diff = input.iter().zip(&bytes).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "{name}: the input is not a prefix");
        assert_eq!(
            signed.document_sha256.map(|d| d.to_hex()),
            Some(DigestAlgorithm::Sha256.digest(&input).to_hex()),
            "{name}: the reported document digest"
        );

        let mut pdf = Document::open(bytes.as_slice(), Budget::default()).unwrap();
        let sigs = pdf.signatures().unwrap();
        assert_eq!(sigs.len(), 1, "{name}");
        let range = sigs[0].byte_range.clone().unwrap();
        let [a, b, c, d] = <[i64; 4]>::try_from(range).unwrap().map(|v| v as usize);
        assert_eq!((a, c + d), (0, bytes.len()), "{name}: whole file covered");
        let mut h = DigestAlgorithm::Sha256.hasher();
        h.update(&bytes[a..a + b]);
        h.update(&bytes[c..c + d]);
        assert_eq!(
            h.finalize(),
            signed.document_digest,
            "{name}: the written /ByteRange is not what was signed"
        );
        assert!(temp_files(dir.path()).is_empty());
    }
}

#[test]
fn a_signing_that_fails_after_the_copy_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let signer = pki().signer("hpki-signer");
    let doc = dir.path().join("in.pdf");
    std::fs::write(&doc, big_pdf(5 * 1024 * 1024 + 17)).unwrap();
    // B-T whose TSA does not answer: it fails once the input has been read and hashed.
    let opts = SignOptions::default()
        .with_profile(Profile::Hpki)
        .with_level(Level::BT)
        .with_tsa(Some(client_config(vec![closed_port_url()])));

    let out = dir.path().join("new.pdf");
    let err = sign_pdf_file_to(&signer, &doc, &out, &opts, &PadesOptions::new()).unwrap_err();
    assert!(!out.exists(), "an output was written: {err}");
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );

    let existing = dir.path().join("existing.pdf");
    std::fs::write(&existing, b"the old output").unwrap();
    sign_pdf_file_to(&signer, &doc, &existing, &opts, &PadesOptions::new()).unwrap_err();
    assert_eq!(std::fs::read(&existing).unwrap(), b"the old output");
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );

    // The same with a TSA that answers: signed, and still no temporary file.
    let tsa = LocalTsa::start("tsa");
    let opts = opts.with_tsa(Some(tsa.client_config()));
    sign_pdf_file_to(&signer, &doc, &existing, &opts, &PadesOptions::new()).unwrap();
    assert!(std::fs::read(&existing).unwrap().starts_with(b"%PDF-1.7"));
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );
}
