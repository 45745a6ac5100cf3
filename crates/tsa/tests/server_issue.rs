//! Token issuance by `kenpo_tsa::server::Tsa`: granted tokens verify (RSA and ECDSA keys,
//! every crypto backend for signing and verifying), and every refusal is a proper
//! TimeStampResp with exactly the right failInfo.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cms::SignedDataView;
use kenpo_core::crypto::{CryptoBackend, backends, default_backend};
use kenpo_core::der_span::{parse_one, tag, tlv};
use kenpo_core::oid;
use kenpo_tsa::server::{AuditLog, Outcome, SerialStore, ServerError, Tsa, TsaConfig};
use kenpo_tsa::{
    FailInfo, PkiStatus, TimeStampRequest, TimeStampResponse, VerifiedToken, VerifyOptions,
    verify_token,
};
use time::OffsetDateTime;

const POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.1");
const OTHER_POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.2");

fn config(entity: &str, backend: &dyn CryptoBackend) -> TsaConfig {
    let pki = common::pki();
    let key = backend.load_pkcs8(&pki.key(entity)).unwrap();
    TsaConfig::new(pki.cert(entity), key, POLICY).with_accuracy(Some(Duration::from_millis(500)))
}

fn tsa(entity: &str) -> Tsa {
    Tsa::new(
        config(entity, default_backend()),
        SerialStore::in_memory(),
        None,
    )
    .unwrap()
}

/// Responds and returns the verified token, checking the response is granted.
fn grant(tsa: &Tsa, req: &TimeStampRequest, verifier: &dyn CryptoBackend) -> VerifiedToken {
    let issued = tsa.respond(&req.to_der());
    let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
    assert_eq!(
        resp.status.status,
        Ok(PkiStatus::Granted),
        "{}",
        resp.status
    );
    let token = resp.token.expect("granted response carries a token");
    let extra = [common::pki().cert("tsa"), common::pki().cert("tsa-ecdsa")];
    let opts = VerifyOptions::default()
        .with_expected_imprint(Some(&req.imprint))
        .with_expected_nonce(req.nonce.as_deref())
        .with_required_policy(Some(req.policy.unwrap_or(POLICY)))
        .with_extra_certs(&extra)
        .with_backend(verifier);
    let v = verify_token(token, &opts).unwrap_or_else(|e| panic!("token does not verify: {e}"));
    match issued.outcome {
        Outcome::Granted { serial, gen_time } => {
            assert_eq!(serial, v.tst_info.serial);
            assert_eq!(gen_time.unix_timestamp(), v.gen_time().unix_timestamp());
        }
        other => panic!("outcome {other:?}"),
    }
    v
}

/// Responds and checks a rejection with exactly `fail`.
fn expect_rejection(tsa: &Tsa, der: &[u8], fail: FailInfo) -> String {
    let issued = tsa.respond(der);
    let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
    assert_eq!(resp.status.status, Ok(PkiStatus::Rejection));
    assert_eq!(resp.status.fail_info, vec![fail], "{}", resp.status);
    assert!(resp.status.other_fail_bits.is_empty());
    assert_eq!(resp.token, None);
    assert_eq!(resp.status.text.len(), 1, "statusString names the cause");
    match issued.outcome {
        Outcome::Rejected { fail: f, detail } => {
            assert_eq!(f, fail);
            assert_eq!(detail, resp.status.text[0]);
            detail
        }
        other => panic!("outcome {other:?}"),
    }
}

fn sha256_req(data: &[u8]) -> TimeStampRequest {
    TimeStampRequest::new(DigestAlgorithm::Sha256.digest(data))
}

/// A TimeStampReq with an arbitrary hash algorithm OID and hash value.
fn raw_request(alg: &str, hash: &[u8]) -> Vec<u8> {
    let alg = tlv(
        tag::SEQUENCE,
        &[&Oid::new_unwrap(alg).to_der().unwrap(), &[0x05, 0x00]],
    );
    let imprint = tlv(tag::SEQUENCE, &[&alg, &tlv(tag::OCTET_STRING, &[hash])]);
    tlv(tag::SEQUENCE, &[&[0x02, 0x01, 0x01], &imprint])
}

/// `req` with a `[0] Extensions` field appended.
fn with_extensions(req: &TimeStampRequest) -> Vec<u8> {
    let der = req.to_der();
    let outer = parse_one(&der).unwrap();
    let ext = tlv(
        tag::SEQUENCE,
        &[
            &Oid::new_unwrap("1.2.3.4").to_der().unwrap(),
            &tlv(tag::OCTET_STRING, &[b"x"]),
        ],
    );
    let exts = tlv(tag::context(0), &[&ext]);
    tlv(tag::SEQUENCE, &[outer.value, &exts])
}

#[test]
fn tokens_verify_for_rsa_and_ecdsa_keys_with_every_backend() {
    for signer in backends() {
        for (entity, alg) in [
            ("tsa", SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256)),
            (
                "tsa-ecdsa",
                SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
            ),
        ] {
            let tsa = Tsa::new(config(entity, signer), SerialStore::in_memory(), None).unwrap();
            for verifier in backends() {
                let req = sha256_req(format!("{entity} {}", verifier.name()).as_bytes());
                let before = OffsetDateTime::now_utc();
                let v = grant(&tsa, &req, verifier);
                let after = OffsetDateTime::now_utc();
                let ctx = format!(
                    "{entity} signed by {}, verified by {}",
                    signer.name(),
                    verifier.name()
                );
                assert_eq!(v.signature_algorithm, alg, "{ctx}");
                assert_eq!(v.tsa_cert, common::pki().cert(entity), "{ctx}");
                assert_eq!(
                    v.embedded_certs,
                    vec![common::pki().cert(entity)],
                    "certReq → TSA certificate: {ctx}"
                );
                assert_eq!(v.policy(), POLICY);
                assert_eq!(v.tst_info.nonce, req.nonce, "nonce echoed: {ctx}");
                assert_eq!(
                    v.accuracy().map(|a| a.as_duration()),
                    Some(Duration::from_millis(500))
                );
                assert!(
                    !v.tst_info.ordering
                        && v.tst_info.tsa_name.is_none()
                        && !v.tst_info.has_extensions
                );
                // genTime: UTC, within a second of now (kept to milliseconds).
                assert_eq!(v.gen_time().offset(), time::UtcOffset::UTC);
                assert!(
                    v.gen_time() >= before - Duration::from_millis(1) && v.gen_time() <= after,
                    "{ctx}"
                );
                assert!((after - v.gen_time()) < Duration::from_secs(1));
                assert_eq!(
                    v.gen_time().nanosecond() % 1_000_000,
                    0,
                    "millisecond precision"
                );
            }
        }
    }
}

#[test]
fn signed_attributes_and_digest_algorithms_follow_the_signature_algorithm() {
    let pki = common::pki();
    for (entity, alg) in [
        ("tsa", SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384)),
        (
            "tsa",
            SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha256,
                salt_len: 32,
            },
        ),
        (
            "tsa-ecdsa",
            SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
        ),
    ] {
        let mut cfg = config(entity, default_backend());
        cfg.signature_algorithm = Some(alg);
        let tsa = Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();
        let req = sha256_req(b"attrs");
        let v = grant(&tsa, &req, default_backend());
        assert_eq!(v.signature_algorithm, alg);
        let der = tsa.respond(&req.to_der()).response_der;
        let token = TimeStampResponse::parse(&der)
            .unwrap()
            .token
            .unwrap()
            .to_vec();
        let sd = SignedDataView::parse(&token).unwrap();
        assert_eq!(sd.version, 3);
        let si = &sd.signer_infos[0];
        assert_eq!(si.digest_alg().unwrap(), alg.digest());
        let attrs = si.signed_attrs.as_ref().unwrap();
        for a in [
            oid::ATTR_CONTENT_TYPE,
            oid::ATTR_MESSAGE_DIGEST,
            oid::ATTR_SIGNING_TIME,
            oid::ATTR_SIGNING_CERTIFICATE_V2,
        ] {
            assert!(attrs.single(a).unwrap().is_some(), "{a} present once");
        }
        // ESSCertIDv2 with SHA-256 (the DEFAULT) and issuerSerial.
        let ess = kenpo_core::ess::SigningCertificateV2::from_der_bytes(
            attrs
                .single(oid::ATTR_SIGNING_CERTIFICATE_V2)
                .unwrap()
                .unwrap()
                .raw,
        )
        .unwrap();
        assert_eq!(ess.certs.len(), 1);
        assert_eq!(ess.certs[0].hash_algorithm, None);
        assert!(ess.certs[0].issuer_serial.is_some());
        let cert = pki.cert(entity);
        assert!(
            ess.certs[0]
                .matches(&kenpo_core::cert::CertRef::parse(&cert).unwrap())
                .unwrap()
        );
    }
}

#[test]
fn nonce_is_echoed_exactly_or_absent() {
    let tsa = tsa("tsa");
    for nonce in [
        vec![0x00, 0x80],
        vec![0x01],
        vec![0x7f; 32],
        vec![0x00, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07],
    ] {
        let mut req = sha256_req(b"nonce");
        req.nonce = Some(nonce.clone());
        assert_eq!(
            grant(&tsa, &req, default_backend()).tst_info.nonce,
            Some(nonce)
        );
    }
    let mut req = sha256_req(b"no nonce");
    req.nonce = None;
    assert_eq!(grant(&tsa, &req, default_backend()).tst_info.nonce, None);
}

#[test]
fn certificates_only_on_cert_req_and_chain_when_configured() {
    let pki = common::pki();
    let mut cfg = config("tsa", default_backend());
    cfg.chain = vec![pki.cert("tsa-ca")];
    let with_chain = Tsa::new(cfg.clone(), SerialStore::in_memory(), None).unwrap();
    cfg.include_chain = false;
    let without_chain = Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();

    let req = sha256_req(b"certs");
    assert_eq!(
        grant(&with_chain, &req, default_backend()).embedded_certs,
        vec![pki.cert("tsa"), pki.cert("tsa-ca")]
    );
    assert_eq!(
        grant(&without_chain, &req, default_backend()).embedded_certs,
        vec![pki.cert("tsa")]
    );
    let no_certs = req.clone().with_cert_req(false);
    // Found through VerifyOptions::extra_certs only.
    let v = grant(&with_chain, &no_certs, default_backend());
    assert!(v.embedded_certs.is_empty());
    assert_eq!(v.tsa_cert, pki.cert("tsa"));
}

#[test]
fn gen_time_precision_follows_accuracy() {
    let cfg = config("tsa", default_backend()).with_accuracy(Some(Duration::from_secs(2)));
    assert_eq!(cfg.frac_digits, 0);
    let tsa = Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();
    let v = grant(&tsa, &sha256_req(b"coarse"), default_backend());
    assert_eq!(v.gen_time().nanosecond(), 0);
    assert_eq!(v.accuracy().map(|a| a.seconds), Some(2));

    let cfg = config("tsa", default_backend()).with_accuracy(None);
    let tsa = Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();
    assert_eq!(
        grant(&tsa, &sha256_req(b"none"), default_backend()).accuracy(),
        None
    );
}

#[test]
fn serials_are_unique_and_increasing_under_concurrency() {
    let tsa = Arc::new(tsa("tsa"));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let tsa = Arc::clone(&tsa);
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        let issued =
                            tsa.respond(&sha256_req(format!("{t}/{i}").as_bytes()).to_der());
                        match issued.outcome {
                            Outcome::Granted { serial, .. } => serial,
                            other => panic!("{other:?}"),
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        let serials: Vec<u128> = t
            .join()
            .unwrap()
            .iter()
            .map(|s| s.iter().fold(0u128, |a, &b| (a << 8) | u128::from(b)))
            .collect();
        assert!(
            serials.windows(2).all(|w| w[0] < w[1]),
            "increasing within a thread: {serials:?}"
        );
        all.extend(serials);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 100, "unique");
    assert_eq!(tsa.issued(), 100);
    assert_eq!(all[0], 1, "in-memory serials start at 1");
}

#[test]
fn policy_selection() {
    let mut cfg = config("tsa", default_backend());
    cfg.accepted_policies = vec![OTHER_POLICY];
    let tsa = Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();
    let req = sha256_req(b"policy");
    assert_eq!(grant(&tsa, &req, default_backend()).policy(), POLICY);
    assert_eq!(
        grant(
            &tsa,
            &req.clone().with_policy(Some(POLICY)),
            default_backend()
        )
        .policy(),
        POLICY
    );
    assert_eq!(
        grant(
            &tsa,
            &req.clone().with_policy(Some(OTHER_POLICY)),
            default_backend()
        )
        .policy(),
        OTHER_POLICY
    );
    let unknown = req.with_policy(Some(Oid::new_unwrap("1.2.3.4.5")));
    let detail = expect_rejection(&tsa, &unknown.to_der(), FailInfo::UnacceptedPolicy);
    assert!(detail.contains("1.2.3.4.5"), "{detail}");
}

#[test]
fn malformed_requests_get_rejections_with_the_right_fail_info() {
    let tsa = tsa("tsa");
    let good = sha256_req(b"x");
    let good_der = good.to_der();
    let mut v2 = good_der.clone();
    v2[4] = 2; // version INTEGER 1 → 2
    let mut trailing = good_der.clone();
    trailing.push(0);
    let sha1 = TimeStampRequest {
        imprint: DigestAlgorithm::Sha1.digest(b"x"),
        ..good.clone()
    };
    let md5 = raw_request("1.2.840.113549.2.5", &[0u8; 16]);
    let unknown_alg = raw_request("1.2.3.4", &[0u8; 32]);
    let short = raw_request("2.16.840.1.101.3.4.2.1", &[0u8; 31]);
    let long = raw_request("2.16.840.1.101.3.4.2.3", &[0u8; 65]);
    let cases: Vec<(&str, Vec<u8>, FailInfo)> = vec![
        (
            "garbage",
            b"this is not DER".to_vec(),
            FailInfo::BadDataFormat,
        ),
        ("empty", Vec::new(), FailInfo::BadDataFormat),
        (
            "truncated",
            good_der[..good_der.len() - 3].to_vec(),
            FailInfo::BadDataFormat,
        ),
        ("trailing byte", trailing, FailInfo::BadDataFormat),
        ("version 2", v2, FailInfo::BadDataFormat),
        (
            "a bare OCTET STRING",
            tlv(tag::OCTET_STRING, &[b"abc"]),
            FailInfo::BadDataFormat,
        ),
        ("SHA-1", sha1.to_der(), FailInfo::BadAlg),
        ("MD5", md5, FailInfo::BadAlg),
        ("unknown hash OID", unknown_alg, FailInfo::BadAlg),
        ("31-byte SHA-256 imprint", short, FailInfo::BadDataFormat),
        ("65-byte SHA-512 imprint", long, FailInfo::BadDataFormat),
        (
            "unknown policy",
            good.clone().with_policy(Some(OTHER_POLICY)).to_der(),
            FailInfo::UnacceptedPolicy,
        ),
        (
            "extensions",
            with_extensions(&good),
            FailInfo::UnacceptedExtension,
        ),
    ];
    for (name, der, fail) in cases {
        let detail = expect_rejection(&tsa, &der, fail);
        assert!(!detail.is_empty(), "{name}");
    }
    // And the TSA keeps issuing.
    grant(&tsa, &good, default_backend());
    assert_eq!(tsa.issued(), 1);
}

#[test]
fn no_panic_on_any_truncation_or_byte_flip() {
    let tsa = tsa("tsa-ecdsa");
    let mut req = sha256_req(b"mutate").with_policy(Some(POLICY));
    req.nonce = Some(vec![0x12, 0x34, 0x56, 0x78, 0x9a]);
    let der = req.to_der();
    let mut granted = 0;
    let mut inputs: Vec<Vec<u8>> = (0..der.len()).map(|n| der[..n].to_vec()).collect();
    for i in 0..der.len() {
        for bit in [0x01u8, 0x80, 0xff] {
            let mut m = der.clone();
            m[i] ^= bit;
            inputs.push(m);
        }
    }
    for m in &inputs {
        let issued = tsa.respond(m);
        let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
        match resp.status.status {
            Ok(PkiStatus::Granted) => granted += 1,
            Ok(PkiStatus::Rejection) => assert_eq!(resp.status.fail_info.len(), 1),
            other => panic!("status {other:?}"),
        }
    }
    assert!(
        granted > 0,
        "flips inside the hash value still give valid requests"
    );
}

#[test]
fn construction_checks_key_eku_validity_and_algorithm() {
    let pki = common::pki();
    let b = default_backend();
    let cfg = |cert: &str, key: &str| {
        TsaConfig::new(pki.cert(cert), b.load_pkcs8(&pki.key(key)).unwrap(), POLICY)
    };
    let err = |c: TsaConfig| Tsa::new(c, SerialStore::in_memory(), None).unwrap_err();

    assert!(matches!(
        err(cfg("tsa", "tsa-ecdsa")),
        ServerError::KeyMismatch
    ));
    let e = err(cfg("tsa-no-eku", "tsa-no-eku"));
    assert!(matches!(e, ServerError::NotTsaCertificate(_)), "{e}");
    let e = err(cfg("tsa-expired", "tsa-expired"));
    assert!(matches!(e, ServerError::CertificateNotValid { .. }), "{e}");
    let mut c = cfg("tsa", "tsa");
    c.signature_algorithm = Some(SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256));
    assert!(matches!(err(c), ServerError::Algorithm(_)));
    let mut c = cfg("tsa", "tsa");
    c.signature_algorithm = Some(SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1));
    assert!(matches!(err(c), ServerError::Algorithm(_)));
    let mut c = cfg("tsa", "tsa");
    c.chain = vec![b"not a certificate".to_vec()];
    assert!(matches!(err(c), ServerError::Certificate { .. }));
}

#[test]
fn from_files_reads_pem_and_reports_the_failing_file() {
    let pki = common::pki();
    let b = default_backend();
    let cfg = TsaConfig::from_files(
        &pki.path("tsa.pem"),
        &pki.path("tsa.key.pem"),
        &[pki.path("tsa-ca.pem")],
        POLICY,
        b,
    )
    .unwrap();
    assert_eq!(cfg.cert_der, pki.cert("tsa"));
    assert_eq!(cfg.chain, vec![pki.cert("tsa-ca")]);
    assert_eq!(cfg.accuracy, Some(Duration::from_secs(1)));
    Tsa::new(cfg, SerialStore::in_memory(), None).unwrap();

    let missing = pki.path("does-not-exist.pem");
    let e = TsaConfig::from_files(&missing, &pki.path("tsa.key.pem"), &[], POLICY, b).unwrap_err();
    assert!(
        matches!(&e, ServerError::Read { path, .. } if *path == missing),
        "{e}"
    );
    let e = TsaConfig::from_files(
        &pki.path("tsa.key.pem"),
        &pki.path("tsa.key.pem"),
        &[],
        POLICY,
        b,
    )
    .unwrap_err();
    assert!(matches!(e, ServerError::Certificate { .. }), "{e}");
    let e = TsaConfig::from_files(&pki.path("tsa.pem"), &pki.path("tsa.pem"), &[], POLICY, b)
        .unwrap_err();
    assert!(
        matches!(&e, ServerError::Key { what, .. } if what.contains("tsa.pem")),
        "{e}"
    );
}

#[test]
fn audit_log_has_one_line_per_token_and_per_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let tsa = Tsa::new(
        config("tsa", default_backend()),
        SerialStore::in_memory(),
        Some(AuditLog::open(&path).unwrap()),
    )
    .unwrap();
    let mut tokens = Vec::new();
    for i in 0..3 {
        let req = sha256_req(format!("audit {i}").as_bytes());
        tokens.push((grant(&tsa, &req, default_backend()), req));
    }
    let sha1 = TimeStampRequest {
        imprint: DigestAlgorithm::Sha1.digest(b"x"),
        ..sha256_req(b"x")
    };
    expect_rejection(&tsa, &sha1.to_der(), FailInfo::BadAlg);
    let unknown = sha256_req(b"p").with_policy(Some(OTHER_POLICY));
    expect_rejection(&tsa, &unknown.to_der(), FailInfo::UnacceptedPolicy);

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    for (line, (v, req)) in lines.iter().zip(&tokens) {
        assert_eq!(line["outcome"], "granted");
        assert_eq!(line["serial"], v.serial_hex());
        assert_eq!(line["imprint_alg"], "SHA-256");
        assert_eq!(line["imprint"], req.imprint.to_hex());
        assert_eq!(line["policy"], POLICY.to_string());
        let t = kenpo_core::timefmt::parse_rfc3339(line["time"].as_str().unwrap()).unwrap();
        assert_eq!(t, v.gen_time());
    }
    assert_eq!(lines[3]["outcome"], "rejected");
    assert_eq!(lines[3]["fail_info"], "badAlg");
    assert!(lines[3].get("serial").is_none());
    assert_eq!(lines[4]["fail_info"], "unacceptedPolicy");
    assert_eq!(lines[4]["policy"], OTHER_POLICY.to_string());
    assert_eq!(lines[4]["imprint"], unknown.imprint.to_hex());
}

#[test]
fn state_directory_keeps_serials_and_audit_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut last = Vec::new();
    for round in 0..3 {
        let tsa = Tsa::open(config("tsa", default_backend()), dir.path()).unwrap();
        for i in 0..4 {
            let v = grant(
                &tsa,
                &sha256_req(format!("{round}/{i}").as_bytes()),
                default_backend(),
            );
            let serial = v.tst_info.serial.clone();
            assert!(
                (serial.len(), &serial) > (last.len(), &last),
                "serial {serial:02x?} after {last:02x?} (round {round})"
            );
            last = serial;
        }
        // A second TSA on the same directory is refused while the first runs.
        let e = Tsa::open(config("tsa", default_backend()), dir.path()).unwrap_err();
        assert!(
            matches!(
                e,
                ServerError::Serial(kenpo_tsa::server::SerialError::Locked { .. })
            ),
            "{e}"
        );
    }
    assert_eq!(last, vec![12], "clean shutdowns leave no gaps");
    let audit = std::fs::read_to_string(dir.path().join(kenpo_tsa::server::AUDIT_FILE)).unwrap();
    assert_eq!(audit.lines().count(), 12);
}
