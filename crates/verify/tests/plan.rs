//! The renewal planner (`kenpo_verify::plan`) on signatures made with the test PKI: B-T
//! with RSA-2048, P-256 and RSA-3072 TSAs (local TSAs on 127.0.0.1), B-B, no path to an
//! anchor, junk input, statuses around the deadline, sorting and the JSON fields. Expected
//! dates are computed here from the certificates with x509-cert, not with the planner's
//! own certificate reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Mutex;

use common::{signer, test_pki};
use kenpo_core::crypto::default_backend;
use kenpo_sign::Level;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_testpki::KeyAlg;
use kenpo_tsa::client::ClientConfig;
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};
use kenpo_verify::plan::{
    ConstraintKind, PlanOptions, PlanReport, PlanStatus, Protection, plan_bytes,
};
use kenpo_verify::report::Lang;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const DOC: &[u8] = b"<claim>renewal</claim>";
const RSA2048_SUNSET: OffsetDateTime = datetime!(2029-01-01 00:00 UTC);

/// A std-only HTTP TSA on 127.0.0.1 signing with test-PKI entity `name`.
fn start_tsa(name: &str) -> String {
    static URLS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let mut urls = URLS.lock().unwrap();
    if let Some((_, u)) = urls.iter().find(|(n, _)| n == name) {
        return u.clone();
    }
    let e = test_pki().entity(name).unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let policy = const_oid::ObjectIdentifier::new_unwrap("1.2.392.200001.27.1");
    let tsa = Tsa::new(
        TsaConfig::new(e.cert_der.clone(), key, policy),
        SerialStore::in_memory(),
        None,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let der = tsa.respond(&body).response_der;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                der.len()
            );
            let _ = conn.write_all(&[head.as_bytes(), &der].concat());
        }
    });
    urls.push((name.to_owned(), url.clone()));
    url
}

fn sign(tsa: Option<&str>) -> Vec<u8> {
    let opts = SignOptions::default()
        .with_level(if tsa.is_some() { Level::BT } else { Level::BB })
        .with_attached(true)
        .with_tsa(tsa.map(|t| ClientConfig::new(vec![start_tsa(t)])))
        .with_now(Some(test_pki().now()));
    sign_bytes(&signer("hpki-signer"), DOC, &opts).unwrap().der
}

fn not_after(name: &str) -> OffsetDateTime {
    let c = test_pki().entity(name).unwrap().certificate().unwrap();
    let d = c.tbs_certificate.validity.not_after.to_unix_duration();
    OffsetDateTime::UNIX_EPOCH + d
}

fn key_sunset(name: &str) -> Option<OffsetDateTime> {
    match test_pki().entity(name).unwrap().key_alg {
        KeyAlg::Rsa(b) if (1900..3000).contains(&b) => Some(RSA2048_SUNSET),
        _ => None,
    }
}

/// min(notAfter of each entity, their key sunsets) − 90 days.
fn expected_due(entities: &[&str], key_of: &str) -> (OffsetDateTime, time::Date) {
    let mut dates: Vec<OffsetDateTime> = entities.iter().map(|e| not_after(e)).collect();
    dates.extend(key_sunset(key_of));
    let deadline = dates.into_iter().min().unwrap();
    (deadline, (deadline - Duration::days(90)).date())
}

fn opts(at: OffsetDateTime) -> PlanOptions {
    let anchor = |n: &str| test_pki().entity(n).unwrap().cert_der.clone();
    PlanOptions::new(at)
        .with_anchors(vec![anchor("root-ca"), anchor("tsa-ca")])
        .with_cert_store(Vec::new())
        .with_margin_days(90)
}

#[test]
fn b_t_with_rsa_2048_tsa_is_due_before_the_sunset() {
    let sig = sign(Some("tsa"));
    let p = plan_bytes("bt.p7s", &sig, true, &opts(test_pki().now()));
    let (deadline, due) = expected_due(&["tsa", "tsa-ca"], "tsa");
    assert_eq!(p.status, PlanStatus::Ok, "{p:?}");
    assert_eq!(p.level, Some("B-T"));
    assert_eq!(p.protected_by, Some(Protection::SignatureTimeStamp));
    assert!(p.path_validated, "{:?}", p.notes);
    assert_eq!(p.deadline, Some(deadline));
    assert_eq!(p.due, Some(due));
    assert_eq!(
        deadline, RSA2048_SUNSET,
        "RSA-2048 sunset precedes the 5-year TSA cert"
    );
    let reason = p.reason.clone().unwrap();
    assert!(reason.starts_with("RSA-2048 sunset 2029-01-01"), "{reason}");
    assert!(reason.contains("ETSI TS 119 312"), "{reason}");
    let gen_time = p.gen_time.unwrap();
    assert!((gen_time - test_pki().now()).abs() < Duration::minutes(10));
    // Both certificates of the path and the three algorithm rules were considered.
    let expiries = p
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::CertificateExpiry)
        .count();
    assert_eq!(expiries, 2, "{:?}", p.constraints);
    assert!(
        p.constraints
            .iter()
            .any(|c| c.description.contains("messageImprint"))
    );
    assert!(
        p.constraints
            .iter()
            .any(|c| c.description.contains("signature digest"))
    );
}

#[test]
fn ecdsa_and_rsa_3072_tsas_have_no_key_sunset() {
    for tsa in ["tsa-ecdsa", "tsa-rsa3072"] {
        let sig = sign(Some(tsa));
        let p = plan_bytes("bt.p7s", &sig, true, &opts(test_pki().now()));
        let (deadline, due) = expected_due(&[tsa, "tsa-ca"], tsa);
        assert_eq!(
            deadline,
            not_after(tsa),
            "{tsa}: the TSA certificate decides"
        );
        assert_eq!(p.due, Some(due), "{tsa}: {p:?}");
        let reason = p.reason.clone().unwrap();
        assert!(
            reason.starts_with("TSA certificate CN=Test TSA"),
            "{tsa}: {reason}"
        );
        let key = p
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::SignatureAlgorithm)
            .unwrap();
        assert_eq!(key.date, None, "{tsa}: {}", key.description);
    }
}

#[test]
fn b_b_is_bounded_by_the_signer_certificate() {
    let sig = sign(None);
    let p = plan_bytes("bb.p7s", &sig, true, &opts(test_pki().now()));
    let (deadline, due) = expected_due(&["hpki-signer", "hpki-sign-ca", "root-ca"], "hpki-signer");
    assert_eq!(deadline, not_after("hpki-signer"));
    assert_eq!(p.level, Some("B-B"));
    assert_eq!(p.protected_by, Some(Protection::SignerCertificate));
    assert_eq!(p.gen_time, None);
    assert_eq!(p.due, Some(due), "{p:?}");
    assert!(
        p.reason
            .as_deref()
            .unwrap()
            .starts_with("signer certificate"),
        "{:?}",
        p.reason
    );
}

#[test]
fn statuses_follow_the_planning_time() {
    let sig = sign(Some("tsa"));
    let at = |t| plan_bytes("bt.p7s", &sig, true, &opts(t));
    let soon = at(RSA2048_SUNSET - Duration::days(30));
    assert_eq!(soon.status, PlanStatus::DueSoon);
    let early = at(RSA2048_SUNSET - Duration::days(400));
    assert_eq!(early.status, PlanStatus::Ok);
    let late = at(RSA2048_SUNSET + Duration::days(1));
    assert_eq!(late.status, PlanStatus::Overdue);
    let report = PlanReport::new(vec![early, late], &opts(test_pki().now()));
    assert_eq!(report.exit_code(), 1, "something overdue");
    let after_expiry = at(not_after("tsa") + Duration::days(1));
    assert_eq!(after_expiry.status, PlanStatus::Overdue);
}

#[test]
fn no_path_still_uses_the_certificates_found() {
    let sig = sign(Some("tsa"));
    let mut o = opts(test_pki().now());
    o.anchors.clear();
    let p = plan_bytes("bt.p7s", &sig, true, &o);
    assert!(!p.path_validated);
    assert!(
        p.notes.iter().any(|n| n.contains("no path")),
        "{:?}",
        p.notes
    );
    assert_eq!(p.deadline, Some(RSA2048_SUNSET));
    assert!(
        p.constraints
            .iter()
            .any(|c| c.description.starts_with("TSA certificate"))
    );
}

#[test]
fn junk_is_an_error_or_unsigned_and_never_panics() {
    let o = opts(test_pki().now());
    let p = plan_bytes("junk.p7s", b"\x30\x82\xff\xffjunk", true, &o);
    assert_eq!(p.status, PlanStatus::Error);
    assert!(p.message.is_some());
    let p = plan_bytes("notes.txt", b"hello", false, &o);
    assert_eq!(p.status, PlanStatus::Unsigned);
    let sig = sign(Some("tsa"));
    let mut huge = opts(test_pki().now());
    huge.margin_days = i64::MAX;
    let p = plan_bytes("bt.p7s", &sig, true, &huge);
    let clamped = RSA2048_SUNSET - Duration::days(kenpo_verify::plan::MAX_MARGIN_DAYS);
    assert_eq!(p.due, Some(clamped.date()), "margins are clamped");
    for cut in (0..sig.len()).step_by(97) {
        let p = plan_bytes("cut.p7s", &sig[..cut], true, &o);
        assert_eq!(p.status, PlanStatus::Error, "cut at {cut}");
    }
}

#[test]
fn report_is_sorted_with_the_json_fields() {
    let o = opts(test_pki().now());
    let files = vec![
        plan_bytes("junk.p7s", b"junk", true, &o),
        plan_bytes("ecdsa.p7s", &sign(Some("tsa-ecdsa")), true, &o),
        plan_bytes("rsa.p7s", &sign(Some("tsa")), true, &o),
    ];
    let r = PlanReport::new(files, &o);
    let order: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(order, ["rsa.p7s", "ecdsa.p7s", "junk.p7s"]);
    assert_eq!(r.exit_code(), 0);
    let j = r.to_json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["earliest_due"], j["files"][0]["due"]);
    assert_eq!(j["files"][0]["status"], "ok");
    for key in [
        "path",
        "status",
        "level",
        "protected_by",
        "gen_time",
        "certificate",
        "path_validated",
        "deadline",
        "due",
        "reason",
        "constraints",
        "notes",
        "message",
    ] {
        assert!(j["files"][0].get(key).is_some(), "{key} missing");
    }
    assert_eq!(j["files"][2]["status"], "error");
    assert!(j["files"][0]["constraints"][0]["date"].is_string());
    let ja = r.render_text(Lang::Ja);
    assert!(ja.contains("更新期限"), "{ja}");
    let en = r.render_text(Lang::En);
    assert!(en.contains("[ok] rsa.p7s"), "{en}");
}

#[test]
fn inspect_agrees_with_the_planner_and_survives_damage() {
    let sig = sign(Some("tsa"));
    let plan = plan_bytes("bt.p7s", &sig, true, &opts(test_pki().now()));
    let found = kenpo_verify::inspect::inspect(&sig).unwrap();
    let j = found.to_json();
    assert_eq!(j["kind"], "cms-signed-data");
    assert_eq!(j["level"], "B-T");
    let ts = &j["signer_infos"][0]["timestamps"][0];
    assert_eq!(ts["kind"], "signature-time-stamp");
    assert_eq!(
        ts["gen_time"].as_str(),
        plan.gen_time.map(kenpo_core::timefmt::rfc3339).as_deref()
    );
    assert!(found.render_text().contains("signing-certificate-v2"));
    // Truncated or bit-flipped input: an error or a dump, never a panic.
    for cut in (0..sig.len()).step_by(61) {
        assert!(
            kenpo_verify::inspect::inspect(&sig[..cut]).is_err(),
            "cut {cut}"
        );
    }
    for i in (0..sig.len()).step_by(29) {
        let mut bad = sig.clone();
        bad[i] ^= 0x5a;
        let _ = kenpo_verify::inspect::inspect(&bad);
        let p = plan_bytes("bad.p7s", &bad, true, &opts(test_pki().now()));
        assert!(p.status != PlanStatus::Unsigned, "byte {i}");
    }
}

#[test]
fn the_dss_corpus_plans_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/dss-cades");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "DSS corpus required under CI"
        );
        eprintln!("SKIP: DSS corpus not found at {}", dir.display());
        return;
    }
    let inputs = kenpo_verify::plan::collect_inputs(&[dir]).unwrap();
    let report = kenpo_verify::plan::plan_inputs(&inputs, &opts(test_pki().now()));
    assert_eq!(report.files.len(), inputs.len());
    // Content files (png, pdf, txt …) are not picked up; signature files are.
    assert!(report.files.iter().all(|f| !f.path.ends_with(".png")));
    let planned = report.files.iter().filter(|f| f.due.is_some()).count();
    assert!(
        planned >= 100,
        "{planned} of {} planned",
        report.files.len()
    );
    for f in &report.files {
        assert!(
            f.due.is_some() || f.message.is_some(),
            "{}: neither a due date nor a message",
            f.path
        );
    }
}
