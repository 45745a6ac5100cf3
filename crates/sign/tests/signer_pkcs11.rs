//! Pkcs11Signer against SoftHSM2: each test creates a token, imports test keys and
//! certificates, signs, and checks the signatures with the crypto backends and with OpenSSL.
//!
//! SoftHSM2 reads `SOFTHSM2_CONF` once per process, and this crate forbids `unsafe` (so no
//! `std::env::set_var`): every test re-runs itself (`current_exe TEST --exact`) in a child
//! process whose environment points SoftHSM2 at a private token directory in a tempdir.
//!
//! Needs SoftHSM2 (`softhsm2-util`, `libsofthsm2.so`), OpenSC's `pkcs11-tool` and
//! `openssl`; skipped with a message when one is missing, except under CI (`CI` set).
//! `KENPO_SOFTHSM2_MODULE` overrides the module path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use kenpo_core::alg::{Digest, DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{backend_by_name, backends};
use kenpo_sign::Signer;
use kenpo_sign::signer::{Pkcs11Signer, SignerError};
use kenpo_testpki::{Config, Entity, TestPki};

const CHILD_ENV: &str = "KENPO_TEST_SOFTHSM_DIR";
const MODULE_ENV: &str = "KENPO_SOFTHSM2_MODULE";
const TOKEN: &str = "kenpo-test";
const SO_PIN: &str = "1234";
const PIN: &str = "5678";

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn entity(name: &str) -> &'static Entity {
    pki().entity(name).unwrap()
}

fn module_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(MODULE_ENV) {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn tool_runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok()
}

/// The SoftHSM2 module, or `None` (test skipped) when the tools are missing outside CI.
fn prerequisites() -> Option<PathBuf> {
    let mut missing = Vec::new();
    let module = module_path();
    if module.is_none() {
        missing.push("libsofthsm2.so (package softhsm2)".to_owned());
    }
    for (tool, arg, package) in [
        ("softhsm2-util", "--version", "softhsm2"),
        ("pkcs11-tool", "--help", "opensc"),
        ("openssl", "version", "openssl"),
    ] {
        if !tool_runs(tool, arg) {
            missing.push(format!("{tool} (package {package})"));
        }
    }
    if missing.is_empty() {
        return module;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "PKCS#11 tests need: {}",
        missing.join(", ")
    );
    eprintln!("SKIPPED: missing {}", missing.join(", "));
    None
}

/// Runs `body` in a child process with its own SoftHSM2 token directory.
fn in_softhsm(test_name: &str, body: fn(&Hsm)) {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        let hsm = Hsm {
            module: module_path().expect("module"),
            dir: PathBuf::from(dir),
        };
        body(&hsm);
        return;
    }
    let Some(module) = prerequisites() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let tokens = tmp.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = tmp.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD_ENV, tmp.path())
        .env(MODULE_ENV, &module)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "{test_name} failed in the SoftHSM2 child process"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child process did not run {test_name}"
    );
}

/// A SoftHSM2 instance private to one child process.
struct Hsm {
    module: PathBuf,
    dir: PathBuf,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Hsm {
    fn file(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn init_token(&self, label: &str) {
        run(Command::new("softhsm2-util").args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            PIN,
        ]));
    }

    /// Imports `e`'s key (PKCS#8 PEM) as a private and public key object.
    fn import_key(&self, token: &str, e: &Entity, label: &str, id: &str) {
        let key = self.file(&format!("{label}.key.pem"), e.key_pem());
        run(Command::new("softhsm2-util")
            .arg("--import")
            .arg(&key)
            .args(["--token", token, "--label", label, "--id", id, "--pin", PIN]));
    }

    fn pkcs11_tool(&self, token: &str) -> Command {
        let mut c = Command::new("pkcs11-tool");
        c.arg("--module")
            .arg(&self.module)
            .args(["--token-label", token, "--login", "--pin", PIN]);
        c
    }

    fn write_cert(&self, token: &str, cert_der: &[u8], label: &str, id: &str) {
        let f = self.file(&format!("{label}-{id}.cert.der"), cert_der);
        run(self
            .pkcs11_tool(token)
            .arg("--write-object")
            .arg(&f)
            .args(["--type", "cert", "--label", label, "--id", id]));
    }

    fn delete_public_key(&self, token: &str, label: &str) {
        run(self.pkcs11_tool(token).args([
            "--delete-object",
            "--type",
            "pubkey",
            "--label",
            label,
        ]));
    }

    fn open(&self, key_label: &str) -> Result<Pkcs11Signer, SignerError> {
        Pkcs11Signer::open(&self.module, TOKEN, key_label, PIN)
    }

    /// Verifies with `openssl pkeyutl -verify` against the certificate's public key.
    fn openssl_verify(
        &self,
        cert_der: &[u8],
        alg: SignatureAlgorithm,
        d: &Digest,
        sig: &[u8],
    ) -> bool {
        let cert = self.file("verify.cert.der", cert_der);
        let pubkey = self.dir.join("verify.pub.pem");
        run(Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&cert)
            .args(["-pubkey", "-noout", "-out"])
            .arg(&pubkey));
        let dig = self.file("verify.digest.bin", d.as_bytes());
        let sigf = self.file("verify.sig.bin", sig);
        let md = match alg.digest() {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
            DigestAlgorithm::Sha1 => "sha1",
            DigestAlgorithm::Sha3_224 => "sha3-224",
            DigestAlgorithm::Sha3_256 => "sha3-256",
            DigestAlgorithm::Sha3_384 => "sha3-384",
            DigestAlgorithm::Sha3_512 => "sha3-512",
        };
        let mut cmd = Command::new("openssl");
        cmd.args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&pubkey)
            .arg("-sigfile")
            .arg(&sigf)
            .arg("-in")
            .arg(&dig)
            .args(["-pkeyopt", &format!("digest:{md}")]);
        if let SignatureAlgorithm::RsaPss { salt_len, .. } = alg {
            cmd.args([
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                &format!("rsa_pss_saltlen:{salt_len}"),
                "-pkeyopt",
                &format!("rsa_mgf1_md:{md}"),
            ]);
        }
        let out = cmd.output().unwrap();
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully")
    }
}

fn spki_of(cert: &[u8]) -> Vec<u8> {
    CertRef::parse(cert).unwrap().spki.to_vec()
}

/// Signs with `alg` and checks the signature with every backend (aws-lc first) and OpenSSL.
fn sign_and_check(hsm: &Hsm, signer: &Pkcs11Signer, alg: SignatureAlgorithm) {
    let d = alg
        .digest()
        .digest(format!("rezept {}", alg.name()).as_bytes());
    let sig = signer
        .key()
        .sign_digest(alg, &d)
        .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
    let spki = spki_of(signer.certificate());
    backend_by_name("aws-lc-rs")
        .expect("aws-lc backend")
        .verify_digest(&spki, alg, &d, &sig)
        .unwrap_or_else(|e| panic!("aws-lc verifies {}: {e}", alg.name()));
    for b in backends() {
        b.verify_digest(&spki, alg, &d, &sig)
            .unwrap_or_else(|e| panic!("{} verifies {}: {e}", b.name(), alg.name()));
    }
    assert!(
        hsm.openssl_verify(signer.certificate(), alg, &d, &sig),
        "openssl pkeyutl -verify rejects {}",
        alg.name()
    );
    // OpenSSL really checks: a tampered signature fails.
    let mut bad = sig.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(!hsm.openssl_verify(signer.certificate(), alg, &d, &bad));
}

fn setup_signers(hsm: &Hsm) {
    hsm.init_token(TOKEN);
    let rsa = entity("hpki-signer");
    hsm.import_key(TOKEN, rsa, "signer", "01");
    hsm.write_cert(TOKEN, &rsa.cert_der, "signer", "01");
    // The issuer on the token becomes the chain.
    hsm.write_cert(
        TOKEN,
        &entity("hpki-sign-ca").cert_der,
        "HPKI Sign CA",
        "a1",
    );
    let ec = entity("accredited-signer-ecdsa");
    hsm.import_key(TOKEN, ec, "ecdsa", "03");
    hsm.write_cert(TOKEN, &ec.cert_der, "ecdsa", "03");
}

#[test]
fn softhsm_rsa_signatures_verify_with_aws_lc_and_openssl() {
    in_softhsm(
        "softhsm_rsa_signatures_verify_with_aws_lc_and_openssl",
        |hsm| {
            setup_signers(hsm);
            let signer = hsm.open("signer").unwrap();
            let e = entity("hpki-signer");
            assert_eq!(signer.certificate(), e.cert_der.as_slice());
            assert_eq!(signer.chain(), &[entity("hpki-sign-ca").cert_der.clone()]);
            assert_eq!(
                signer.key().public_key_spki(),
                spki_of(&e.cert_der).as_slice()
            );
            assert_eq!(signer.token_label(), TOKEN);
            assert_eq!(signer.key_label(), "signer");
            assert_eq!(
                signer.key().default_algorithm(),
                SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256)
            );
            for alg in [
                SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
                SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384),
                SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha512),
                SignatureAlgorithm::RsaPss {
                    digest: DigestAlgorithm::Sha256,
                    salt_len: 32,
                },
                SignatureAlgorithm::RsaPss {
                    digest: DigestAlgorithm::Sha512,
                    salt_len: 64,
                },
            ] {
                sign_and_check(hsm, &signer, alg);
            }
            // PKCS#1 v1.5 is deterministic: the token and the software key agree byte for byte.
            let alg = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256);
            let d = alg.digest().digest(b"same");
            let soft = backend_by_name("aws-lc-rs")
                .unwrap()
                .load_pkcs8(&e.key_pkcs8_der)
                .unwrap();
            assert_eq!(
                signer.key().sign_digest(alg, &d).unwrap(),
                soft.sign_digest(alg, &d).unwrap()
            );
            // Policy at signing time: no SHA-1, no ECDSA with an RSA key.
            let sha1 = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1);
            let err = signer
                .key()
                .sign_digest(sha1, &DigestAlgorithm::Sha1.digest(b"x"))
                .unwrap_err();
            assert!(err.to_string().contains("SHA-1"), "{err}");
            let ecdsa = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
            assert!(signer.key().sign_digest(ecdsa, &d).is_err());
        },
    );
}

#[test]
fn softhsm_ecdsa_signatures_verify_with_aws_lc_and_openssl() {
    in_softhsm(
        "softhsm_ecdsa_signatures_verify_with_aws_lc_and_openssl",
        |hsm| {
            setup_signers(hsm);
            let ec = entity("accredited-signer-ecdsa");
            // Public key object present: compared with the certificate.
            let signer = hsm.open("ecdsa").unwrap();
            assert_eq!(signer.certificate(), ec.cert_der.as_slice());
            assert!(signer.chain().is_empty());
            for alg in [
                SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
                SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha384),
            ] {
                sign_and_check(hsm, &signer, alg);
            }
            drop(signer);

            // No public key object (as on some cards): checked with a test signature.
            hsm.import_key(TOKEN, ec, "ecdsa-nopub", "04");
            hsm.delete_public_key(TOKEN, "ecdsa-nopub");
            hsm.write_cert(TOKEN, &ec.cert_der, "ecdsa-nopub", "04");
            let signer = hsm.open("ecdsa-nopub").unwrap();
            sign_and_check(
                hsm,
                &signer,
                SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
            );
            drop(signer);

            // ... and a certificate of another key is caught by that test signature.
            let other = entity("tsa-ecdsa");
            let err = Pkcs11Signer::open_with_certificate(
                &hsm.module,
                TOKEN,
                "ecdsa-nopub",
                PIN,
                other.cert_der.clone(),
                vec![],
            )
            .unwrap_err();
            assert!(matches!(err, SignerError::KeyMismatch), "{err:?}");
        },
    );
}

#[test]
fn softhsm_bad_input_is_named() {
    in_softhsm("softhsm_bad_input_is_named", |hsm| {
        setup_signers(hsm);

        let err = Pkcs11Signer::open(&hsm.module, TOKEN, "signer", "0000").unwrap_err();
        assert!(matches!(err, SignerError::WrongPin { .. }), "{err:?}");
        assert!(err.to_string().contains("wrong PIN"), "{err}");

        let err = hsm.open("nobody").unwrap_err();
        assert!(matches!(err, SignerError::KeyNotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("\"nobody\""), "{err}");

        let err = Pkcs11Signer::open(&hsm.module, "no-such-card", "signer", PIN).unwrap_err();
        match &err {
            SignerError::TokenNotFound { label, available } => {
                assert_eq!(label, "no-such-card");
                assert!(available.iter().any(|l| l == TOKEN), "{available:?}");
            }
            other => panic!("{other:?}"),
        }

        let err =
            Pkcs11Signer::open(&hsm.dir.join("nothing.so"), TOKEN, "signer", PIN).unwrap_err();
        assert!(matches!(err, SignerError::Module { .. }), "{err:?}");
        assert!(err.to_string().contains("nothing.so"), "{err}");

        // A key without a certificate object: named, then supplied by the caller.
        let rsa = entity("hpki-signer");
        hsm.import_key(TOKEN, rsa, "nocert", "05");
        let err = hsm.open("nocert").unwrap_err();
        assert!(
            matches!(err, SignerError::CertificateNotFound { .. }),
            "{err:?}"
        );
        let signer = Pkcs11Signer::open_with_certificate(
            &hsm.module,
            TOKEN,
            "nocert",
            PIN,
            rsa.cert_der.clone(),
            vec![entity("hpki-sign-ca").cert_der.clone()],
        )
        .unwrap();
        assert_eq!(signer.chain().len(), 1);
        sign_and_check(
            hsm,
            &signer,
            SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
        );
        drop(signer);

        // A certificate that is not the key's.
        let err = Pkcs11Signer::open_with_certificate(
            &hsm.module,
            TOKEN,
            "nocert",
            PIN,
            entity("accredited-signer").cert_der.clone(),
            vec![],
        )
        .unwrap_err();
        assert!(matches!(err, SignerError::KeyMismatch), "{err:?}");

        // Expired certificate and RSA-1024 key on the token.
        for (name, label, id) in [
            ("hpki-signer-expired", "expired", "06"),
            ("hpki-signer-rsa1024", "weak", "07"),
        ] {
            let e = entity(name);
            hsm.import_key(TOKEN, e, label, id);
            hsm.write_cert(TOKEN, &e.cert_der, label, id);
        }
        let err = hsm.open("expired").unwrap_err();
        assert!(matches!(err, SignerError::Expired { .. }), "{err:?}");
        let err = hsm.open("weak").unwrap_err();
        assert!(matches!(err, SignerError::WeakKey(_)), "{err:?}");
    });
}

#[test]
fn softhsm_module_is_shared_and_reinitialised() {
    in_softhsm("softhsm_module_is_shared_and_reinitialised", |hsm| {
        setup_signers(hsm);
        let a = hsm.open("signer").unwrap();
        let b = hsm.open("ecdsa").unwrap();
        // Signing from several threads at once is serialised per session.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let alg = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
                    let d = alg.digest().digest(b"thread");
                    b.key().sign_digest(alg, &d).unwrap();
                    let alg = a.key().default_algorithm();
                    a.key().sign_digest(alg, &d).unwrap();
                });
            }
        });
        drop(a);
        // The other signer still works after the first is dropped.
        let alg = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
        b.key()
            .sign_digest(alg, &alg.digest().digest(b"x"))
            .unwrap();
        drop(b);
        // With every signer gone the module is finalised; a token created afterwards is
        // found on the next open.
        hsm.init_token("second");
        let ec = entity("accredited-signer-ecdsa");
        hsm.import_key("second", ec, "k", "09");
        hsm.write_cert("second", &ec.cert_der, "k", "09");
        let c = Pkcs11Signer::open(&hsm.module, "second", "k", PIN).unwrap();
        c.key()
            .sign_digest(alg, &alg.digest().digest(b"y"))
            .unwrap();
    });
}

/// SoftHSM2 refuses every way cryptoki 0.12 can re-authenticate for a
/// `CKA_ALWAYS_AUTHENTICATE` key: the error must say why.
#[test]
fn softhsm_always_authenticate_key_failure_is_explained() {
    in_softhsm(
        "softhsm_always_authenticate_key_failure_is_explained",
        |hsm| {
            hsm.init_token(TOKEN);
            let ec = entity("accredited-signer-ecdsa");
            let key = hsm.file("always.key.der", &ec.key_pkcs8_der);
            run(hsm
                .pkcs11_tool(TOKEN)
                .arg("--write-object")
                .arg(&key)
                .args([
                    "--type",
                    "privkey",
                    "--label",
                    "always",
                    "--id",
                    "0a",
                    "--always-auth",
                    "--usage-sign",
                ]));
            hsm.write_cert(TOKEN, &ec.cert_der, "always", "0a");
            match hsm.open("always") {
                // A module that accepts it must produce a correct signature.
                Ok(signer) => {
                    sign_and_check(
                        hsm,
                        &signer,
                        SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
                    );
                }
                Err(err) => {
                    eprintln!("always-authenticate key refused as expected: {err}");
                    assert!(matches!(err, SignerError::Pkcs11(_)), "{err:?}");
                    assert!(err.to_string().contains("CKA_ALWAYS_AUTHENTICATE"), "{err}");
                }
            }
        },
    );
}
