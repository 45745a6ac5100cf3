//! Streaming: a 64 MiB document signed attached and detached through `sign_file_to`;
//! the message-digest is SHA-256 of the file and the attached output carries the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::io::Write;

use cades_common::{files_in, openssl, openssl_available, pki};
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::SignedDataView;
use kenpo_core::oid;
use kenpo_sign::Profile;
use kenpo_sign::cades::{SignOptions, sign_file_to, sign_reader};
use sha2::Digest as _;

const SIZE: usize = 64 * 1024 * 1024;

/// Writes a 64 MiB file of non-repeating content and returns its SHA-256.
fn big_file(path: &std::path::Path) -> [u8; 32] {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut h = sha2::Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    for i in 0..(SIZE >> 20) {
        for (j, b) in block.iter_mut().enumerate() {
            *b = (j as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(i as u32) as u8
                ^ (j >> 8) as u8;
        }
        h.update(&block);
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
    h.finalize().into()
}

fn message_digest(der: &[u8]) -> Vec<u8> {
    let view = SignedDataView::parse(der).unwrap();
    let attrs = view.signer_infos[0].signed_attrs.clone().unwrap();
    attrs
        .single(oid::ATTR_MESSAGE_DIGEST)
        .unwrap()
        .unwrap()
        .value
        .to_vec()
}

#[test]
fn sixty_four_mib_attached_and_detached() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("scan.pdf");
    let sha = big_file(&doc);
    let signer = p.signer("hpki-signer");

    // Detached.
    let p7s = dir.path().join("scan.pdf.p7s");
    let opts = SignOptions::default().with_profile(Profile::Hpki);
    let signed = sign_file_to(&signer, &doc, &p7s, &opts).unwrap();
    let der = std::fs::read(&p7s).unwrap();
    assert_eq!(der, signed.der);
    assert!(der.len() < 16 * 1024, "detached signature holds no content");
    assert_eq!(message_digest(&der), sha);
    assert_eq!(signed.document_digest.as_bytes(), sha);
    assert_eq!(signed.document_len, Some(SIZE as u64));

    // Attached: streamed to the file, not returned.
    let p7m = dir.path().join("scan.pdf.p7m");
    let opts = opts.with_attached(true);
    let signed = sign_file_to(&signer, &doc, &p7m, &opts).unwrap();
    assert!(signed.der.is_empty());
    let out = std::fs::read(&p7m).unwrap();
    assert_eq!(out.len() as u64, signed.output_len);
    let view = SignedDataView::parse(&out).unwrap();
    let content = view.econtent.unwrap();
    assert_eq!(content.len(), SIZE);
    assert_eq!(<[u8; 32]>::from(sha2::Sha256::digest(content)), sha);
    assert_eq!(message_digest(&out), sha);
    drop(view);
    drop(out);

    // Same signed attributes whichever way the document came in (RSA PKCS#1 is
    // deterministic, so with the same signing time the SignerInfo is byte-identical).
    let at = p.pki.now();
    let fixed = SignOptions::default().with_now(Some(at));
    let from_file = sign_file_to(&signer, &doc, &p7s, &fixed).unwrap();
    let from_reader = sign_reader(&signer, std::fs::File::open(&doc).unwrap(), &fixed).unwrap();
    assert_eq!(from_file.der, from_reader.der);
    assert_eq!(from_reader.document_sha256.unwrap().as_bytes(), sha);

    // openssl agrees on both (when available).
    if openssl_available() {
        let root = format!("{}.pem", p.root_of("hpki-signer"));
        std::fs::copy(p.path(&root), dir.path().join(&root)).unwrap();
        for (sig, content) in [("scan.pdf.p7s", Some("scan.pdf")), ("scan.pdf.p7m", None)] {
            let mut args = vec![
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                sig,
                "-CAfile",
                &root,
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ];
            if let Some(c) = content {
                args.extend(["-content", c]);
            }
            let (ok, text) = openssl(dir.path(), &args);
            assert!(ok, "{sig}: {text}");
        }
    }
    let mut expected = vec![
        "scan.pdf".to_owned(),
        "scan.pdf.p7m".to_owned(),
        "scan.pdf.p7s".to_owned(),
    ];
    expected.extend(
        files_in(dir.path())
            .into_iter()
            .filter(|f| f.ends_with(".pem")),
    );
    expected.sort();
    assert_eq!(files_in(dir.path()), expected, "temporary files left");
}

#[test]
fn sha384_document_digest_and_sha256_for_the_audit() {
    let signer = pki().signer("hpki-signer");
    let data = vec![0xabu8; 3 * 256 * 1024 + 17];
    let opts = SignOptions::default().with_algorithm(Some(
        kenpo_core::alg::SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384),
    ));
    // A reader that hands out odd-sized pieces.
    struct Dribble<'a>(&'a [u8]);
    impl std::io::Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(4099);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let signed = sign_reader(&signer, Dribble(&data), &opts).unwrap();
    assert_eq!(
        signed.document_digest,
        DigestAlgorithm::Sha384.digest(&data)
    );
    assert_eq!(
        signed.document_sha256,
        Some(DigestAlgorithm::Sha256.digest(&data))
    );
    assert_eq!(
        message_digest(&signed.der),
        DigestAlgorithm::Sha384.digest(&data).as_bytes()
    );
}
