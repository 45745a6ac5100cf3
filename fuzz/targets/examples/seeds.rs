//! Writes the seed corpora of the fuzz targets: `seeds OUTDIR [SHARED]`.
//!
//! `OUTDIR/<target>/` receives
//! * generated inputs: the test PKI's certificates and CRLs, OCSP responses from the test
//!   PKI's revocation service on 127.0.0.1 (good, revoked, unknown, unauthorized),
//!   time-stamp requests and the test TSA's responses (granted tokens and rejections);
//! * files of the shared conformance set when `SHARED` (the `shared/` directory) is given:
//!   PKITS certificates and CRLs, the DSS CAdES signatures, the real HPKI files.
//!
//! Files are named by the SHA-256 of their content (as libFuzzer names corpus entries),
//! so writing twice adds nothing. Used by `scripts/fuzz` and `scripts/fuzz-campaign`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::field_reassign_with_default)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::default_backend;
use kenpo_revocation::OcspRequest;
use kenpo_revocation::fetch::{FetchConfig, Fetcher};
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::TimeStampRequest;
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};

/// Largest file taken from the conformance set (bigger ones slow every fuzz iteration).
const MAX_SEED: u64 = 256 * 1024;

struct Out(PathBuf);

impl Out {
    fn put(&self, target: &str, data: &[u8]) {
        let dir = self.0.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let name = DigestAlgorithm::Sha256.digest(data).to_hex();
        std::fs::write(dir.join(&name[..40]), data).unwrap();
    }

    fn put_all(&self, targets: &[&str], data: &[u8]) {
        for t in targets {
            self.put(t, data);
        }
    }
}

fn generated(out: &Out) {
    let mut config = kenpo_testpki::Config::default();
    let bound = RevocationService::bind("127.0.0.1:0").unwrap();
    bound.config_urls(&mut config);
    let pki = kenpo_testpki::generate(&config).unwrap();
    for e in pki.entities() {
        out.put_all(&["cert", "ber"], &e.cert_der);
        out.put("cert", e.cert_pem().as_bytes());
    }
    for c in pki.crls() {
        out.put_all(&["crl", "ber"], &c.der);
    }

    // Time-stamps: requests, and the test TSA's answers to them.
    let tsa_entity = pki.entity("tsa").unwrap();
    let key = default_backend()
        .load_pkcs8(&tsa_entity.key_pkcs8_der)
        .unwrap();
    let policy = kenpo_testpki::ACCREDITED_SIGNER_POLICY;
    let tsa = Tsa::new(
        TsaConfig::new(tsa_entity.cert_der.clone(), key, policy)
            .with_accuracy(Some(Duration::from_millis(500))),
        SerialStore::in_memory(),
        None,
    )
    .unwrap();
    let data = b"kenpo-sign fuzz seed";
    let mut requests = Vec::new();
    for alg in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Sha1,
    ] {
        let base = TimeStampRequest::new(alg.digest(data));
        requests.push(base.clone().with_cert_req(true));
        requests.push(base.clone().with_policy(Some(policy)));
        requests.push(TimeStampRequest {
            nonce: None,
            ..base
        });
    }
    for req in &requests {
        let der = req.to_der();
        out.put_all(&["tsa_request", "ber"], &der);
        let issued = tsa.respond(&der);
        out.put_all(&["tsa_response", "ber"], &issued.response_der);
        if let Ok(resp) = kenpo_tsa::TimeStampResponse::parse(&issued.response_der)
            && let Some(token) = resp.token
        {
            out.put_all(&["tsa_response", "cms"], token);
        }
    }

    // OCSP: the revocation service's answers.
    let service = bound.start(pki).unwrap();
    let pki = service.pki();
    // Set field by field: stays valid if FetchConfig becomes #[non_exhaustive].
    let mut fc = FetchConfig::default();
    fc.use_system_proxy = false;
    let fetcher = Fetcher::new(fc);
    let url = format!("{}/ocsp", service.base_url());
    for (ee, ca) in [
        ("accredited-signer", "accredited-ca"),
        ("accredited-signer-revoked", "accredited-ca"),
        ("hpki-signer", "hpki-sign-ca"),
        ("hpki-signer", "accredited-ca"),
        ("tsa", "tsa-ca"),
    ] {
        let (ee, ca) = (pki.entity(ee).unwrap(), pki.entity(ca).unwrap());
        let (ee, ca) = (
            CertRef::parse(&ee.cert_der).unwrap(),
            CertRef::parse(&ca.cert_der).unwrap(),
        );
        for (hash, nonce) in [
            (DigestAlgorithm::Sha256, None),
            (DigestAlgorithm::Sha1, Some(vec![0x42; 16])),
        ] {
            let req = OcspRequest::new(&ee, &ca, hash, nonce).unwrap();
            match req.send(&fetcher, &url) {
                Ok(resp) => {
                    out.put_all(&["ocsp", "ber"], resp.der());
                    if let Some(basic) = resp.basic_der() {
                        out.put("ocsp", basic);
                    }
                }
                Err(e) => eprintln!("seeds: OCSP answer not kept: {e}"),
            }
        }
    }
    service.shutdown();
}

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, exts, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x.to_ascii_lowercase().as_str()))
            && e.metadata().is_ok_and(|m| m.len() <= MAX_SEED)
        {
            out.push(p);
        }
    }
}

fn conformance(out: &Out, shared: &Path) {
    let sets: &[(&str, &[&str], &[&str])] = &[
        ("conformance/pkits", &["crt", "cer", "der"], &["cert"]),
        ("conformance/pkits", &["crl"], &["crl"]),
        (
            "conformance/dss-cades",
            &["p7s", "p7m", "pkcs7", "p7b"],
            &["cms"],
        ),
        ("conformance/dss-cades", &["tst", "tsr"], &["tsa_response"]),
        ("conformance/dss-pades", &["pdf"], &["pdf"]),
        ("hpki-real", &["cer", "crt"], &["cert"]),
        ("hpki-real", &["crl"], &["crl"]),
        ("conformance/dss-xades", &["xml"], &["xml"]),
        ("conformance/xml-c14n", &["xml"], &["xml"]),
        ("hpki-real", &["xml"], &["xml"]),
        (
            "hpki-real",
            &["der", "tst", "p7s"],
            &["tsa_response", "cms"],
        ),
    ];
    let mut n = 0usize;
    for (sub, exts, targets) in sets {
        let mut found = Vec::new();
        files(&shared.join(sub), exts, &mut found);
        found.sort();
        for p in found {
            let data = std::fs::read(&p).unwrap();
            out.put_all(targets, &data);
            // The BER reader sees every kind of file; keep its corpus small.
            if n.is_multiple_of(4) {
                out.put("ber", &data);
            }
            n += 1;
        }
    }
    eprintln!("seeds: {n} files from {}", shared.display());
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: seeds OUTDIR [SHARED]");
        std::process::exit(2);
    };
    let out = Out(PathBuf::from(dir));
    generated(&out);
    if let Some(shared) = args.next() {
        conformance(&out, Path::new(&shared));
    }
    for (name, _) in kenpo_fuzz_targets::TARGETS {
        let n = std::fs::read_dir(out.0.join(name)).map_or(0, |d| d.count());
        eprintln!("seeds: {name}: {n} files");
    }
}
