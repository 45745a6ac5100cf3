//! The openssl CLI as an independent implementation: `openssl cms -sign` signatures and an
//! `openssl ocsp` responder; plus adding a signature time-stamp to a signature made
//! elsewhere. Tests skip without the CLI, and fail under CI.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use kenpo_core::cert::CertRef;
use kenpo_core::cms::SignedDataView;
use kenpo_core::cms::build::signed_data;
use kenpo_sign::cades::{add_unsigned_attrs, time_stamp_token};
use kenpo_testpki::TestPki;
use kenpo_tsa::client::{BlockingTsaClient, ClientConfig};
use time::OffsetDateTime;

/// Whether the openssl CLI is there (required under CI).
pub fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "openssl is required under CI"
    );
    if !ok {
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

/// `openssl cms -sign -binary` of `content` by entity `signer` of the PKI written to
/// `dir`, its issuing CA added with `-certfile`; `extra` e.g. `-nodetach`, `-cades`.
/// Returns the DER signature.
pub fn cms_sign(
    dir: &Path,
    pki: &TestPki,
    signer: &str,
    content: &Path,
    extra: &[&str],
) -> Vec<u8> {
    let issuer = pki.entity(signer).unwrap().issuer.clone().unwrap();
    // A name of its own per call: tests running in parallel sign into the same directory.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let out = dir.join(format!(
        "{signer}-{}.p7s",
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    let f = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    let mut args = vec![
        "cms".to_owned(),
        "-sign".into(),
        "-binary".into(),
        "-in".into(),
        content.to_str().unwrap().into(),
        "-signer".into(),
        f(&format!("{signer}.pem")),
        "-inkey".into(),
        f(&format!("{signer}.key.pem")),
        "-certfile".into(),
        f(&format!("{issuer}.pem")),
        "-outform".into(),
        "DER".into(),
        "-out".into(),
        out.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let o = Command::new("openssl").args(&args).output().unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(out).unwrap()
}

/// `YYMMDDHHMMSSZ` as in OpenSSL's index.txt.
fn index_time(t: OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// One line of an OpenSSL CA database for entity `name` (revoked per `pki.revoked()`).
fn index_line(pki: &TestPki, name: &str) -> String {
    let der = pki.entity(name).unwrap().cert_der.clone();
    let c = CertRef::parse(&der).unwrap();
    match pki.revoked().iter().find(|r| r.subject == name) {
        Some(r) => format!(
            "R\t{}\t{},keyCompromise\t{}\tunknown\t/CN={name}\n",
            index_time(c.not_after),
            index_time(r.time),
            c.serial_hex()
        ),
        None => format!(
            "V\t{}\t\t{}\tunknown\t/CN={name}\n",
            index_time(c.not_after),
            c.serial_hex()
        ),
    }
}

/// An `openssl ocsp` responder process, killed on drop.
pub struct OcspResponder(Child);

impl OcspResponder {
    /// Starts `openssl ocsp -index … -port <port> -rsigner <responder> -CA <ca>` in `dir`
    /// (where `pki` is written) for the certificates of `names`.
    pub fn start(
        dir: &Path,
        pki: &TestPki,
        names: &[&str],
        port: u16,
        responder: &str,
        ca: &str,
    ) -> Self {
        let index: String = names.iter().map(|n| index_line(pki, n)).collect();
        std::fs::write(dir.join("index.txt"), index).unwrap();
        let child = Command::new("openssl")
            .args([
                "ocsp",
                "-index",
                "index.txt",
                // OpenSSL 3.0's -port takes only a number (every interface); the client
                // talks to 127.0.0.1.
                "-port",
                &port.to_string(),
                "-ignore_err",
                "-rsigner",
                &format!("{responder}.pem"),
                "-rkey",
                &format!("{responder}.key.pem"),
                "-CA",
                &format!("{ca}.pem"),
                "-ndays",
                "1",
            ])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Adds a signature time-stamp (from the TSA at `tsa_url`, over the first SignerInfo's
/// signature value) to a CMS signature, copying everything else verbatim (B-B → B-T).
pub fn add_signature_timestamp(sig: &[u8], tsa_url: &str) -> Vec<u8> {
    let sd = SignedDataView::parse(sig).unwrap();
    let si = &sd.signer_infos[0];
    let client = BlockingTsaClient::new(ClientConfig::new(vec![tsa_url.to_owned()])).unwrap();
    let ts = client.timestamp_data(si.signature).unwrap();
    let attr = time_stamp_token(kenpo_core::oid::ATTR_SIGNATURE_TIME_STAMP, &ts.token_der).unwrap();
    let new_si = add_unsigned_attrs(si.raw, &[&attr]).unwrap();
    let certs: Vec<&[u8]> = sd.certificates.iter().map(|c| c.raw).collect();
    let crls: Vec<&[u8]> = sd.crls.iter().map(|c| c.raw).collect();
    signed_data(
        sd.econtent_type,
        sd.econtent,
        &[si.digest_alg().unwrap()],
        &certs,
        &crls,
        &[&new_si],
    )
    .unwrap()
}

/// `openssl ts -reply` as a TSA on 127.0.0.1: each request to `/tsa` is answered by the
/// openssl CLI, signing as entity `tsa` of `pki` (written to `dir`, which also holds the
/// serial file), ESSCertIDv2 with SHA-256, policy 1.2.392.200001.27.99. The server stops
/// when the returned value is dropped; requests are answered one at a time (openssl keeps
/// its serial number in a file).
pub fn openssl_tsa(dir: &Path, pki: &TestPki, tsa: &str) -> super::net::Server {
    let issuer = pki.entity(tsa).unwrap().issuer.clone().unwrap();
    let d = dir.to_str().unwrap();
    let config = format!(
        "[ tsa ]\ndefault_tsa = tsa_config\n\n[ tsa_config ]\n\
         serial = {d}/openssl-tsa-serial\ncrypto_device = builtin\n\
         signer_cert = {d}/{tsa}.pem\ncerts = {d}/{issuer}.pem\nsigner_key = {d}/{tsa}.key.pem\n\
         signer_digest = sha256\ndefault_policy = 1.2.392.200001.27.99\n\
         digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
         ess_cert_id_chain = no\ness_cert_id_alg = sha256\n"
    );
    std::fs::write(dir.join("openssl-tsa.cnf"), config).unwrap();
    std::fs::write(dir.join("openssl-tsa-serial"), "01\n").unwrap();
    let dir = dir.to_owned();
    let one_at_a_time = std::sync::Mutex::new(0u32);
    super::net::Server::start(move |path, body| {
        if path != "/tsa" {
            return super::net::Reply::Status(404);
        }
        let mut n = one_at_a_time.lock().unwrap();
        *n += 1;
        let (query, reply) = (format!("q{n}.tsq"), format!("r{n}.tsr"));
        std::fs::write(dir.join(&query), body).unwrap();
        let o = Command::new("openssl")
            .args(["ts", "-reply", "-config", "openssl-tsa.cnf", "-queryfile"])
            .args([&query, "-out", &reply])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "openssl ts -reply: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        super::net::Reply::Ok(
            std::fs::read(dir.join(&reply)).unwrap(),
            "application/timestamp-reply",
        )
    })
}
