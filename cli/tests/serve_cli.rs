//! `kenpo-sign serve` through the real binary on 127.0.0.1: the verify API answers the
//! `verify --format json` report for real signatures of the test PKI, its errors (400, 401,
//! 404, 405, 413, 415), the OpenAPI description, the page, the token rule, nothing written
//! to disk or logged about an upload, and the page driven in headless Chromium (DevTools
//! protocol over a pipe): a file set on its input gives the verdict and a downloadable
//! report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, MINIMAL_PDF, p, run, text};
use serde_json::{Value, json};

/// A `kenpo-sign serve` child on 127.0.0.1, run in an empty working directory with an
/// empty TMPDIR (both checked empty at the end: uploads never touch the disk).
struct Serve {
    child: Child,
    addr: String,
    cwd: tempfile::TempDir,
    tmp: tempfile::TempDir,
}

impl Serve {
    fn start(extra: &[&str], env: &[(&str, &str)]) -> Self {
        let cwd = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut c = Command::new(BIN);
        c.args(["serve", "--listen", "127.0.0.1:0", "--offline"])
            .args(["--trust", &p("root-ca.pem")])
            .args(["--crl", &p("hpki-sign-ca.crl"), "--crl", &p("root-ca.crl")])
            .args(extra)
            .current_dir(cwd.path())
            .env("TMPDIR", tmp.path())
            .env_remove("KENPO_SERVE_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        child.stdout = Some(out.into_inner());
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no listening line: {line:?}"));
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        Self {
            addr: addr.to_owned(),
            child,
            cwd,
            tmp,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// SIGTERM; the exit code and everything the server printed.
    fn stop(mut self) -> (Option<i32>, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let mut logs = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        let code = self.child.wait().unwrap().code();
        for dir in [self.cwd.path(), self.tmp.path()] {
            let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
            assert!(left.is_empty(), "the server wrote into {}", dir.display());
        }
        (code, logs)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `head` (without its final empty line) and `body` on a new connection and reads
/// the answer to the end (`Connection: close`). Write errors after the head are ignored:
/// a server refusing a large body may stop reading it.
fn http(addr: &str, head: &str, body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

const BOUNDARY: &str = "kenpo-test-boundary-7f3a";

/// A `multipart/form-data` body of `(name, is_file, data)` fields.
fn form(fields: &[(&str, bool, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, file, data) in fields {
        let filename = if *file {
            "; filename=\"秘密の申請書.bin\""
        } else {
            ""
        };
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{filename}\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// `POST /api/v1/verify` with `fields`, plus `headers` (CRLF-separated lines).
fn post_form(s: &Serve, fields: &[(&str, bool, &[u8])], headers: &str) -> Answer {
    let body = form(fields);
    let mut head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}",
        body.len()
    );
    if !headers.is_empty() {
        head.push_str("\r\n");
        head.push_str(headers);
    }
    http(&s.addr, &head, &body)
}

fn get(s: &Serve, path: &str, headers: &str) -> Answer {
    let mut head = format!("GET {path} HTTP/1.1");
    if !headers.is_empty() {
        head.push_str("\r\n");
        head.push_str(headers);
    }
    http(&s.addr, &head, b"")
}

/// A document and its detached and attached CAdES B-B signatures by the test PKI's HPKI
/// signer, in `dir`: (document, detached, attached).
fn signed(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let doc = dir.join("申請書.csv");
    std::fs::write(&doc, "資格取得届,12345678,SECRET-CONTENT-4711\n").unwrap();
    let mut sigs = Vec::new();
    for (name, extra) in [("detached.p7s", None), ("attached.p7m", Some("--attached"))] {
        let out = dir.join(name);
        let mut args = vec![
            "sign".to_owned(),
            doc.to_str().unwrap().to_owned(),
            "--cert".into(),
            p("hpki-signer.pem"),
            "--key".into(),
            p("hpki-signer.key.pem"),
            "--chain".into(),
            p("hpki-sign-ca.pem"),
            "--yes".into(),
            "-o".into(),
            out.to_str().unwrap().to_owned(),
        ];
        args.extend(extra.map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        sigs.push(std::fs::read(out).unwrap());
    }
    let attached = sigs.pop().unwrap();
    (std::fs::read(doc).unwrap(), sigs.pop().unwrap(), attached)
}

/// `kenpo-sign verify --format json` of `sig` (with `content`) under the server's options.
fn cli_verify(dir: &Path, sig: &[u8], content: Option<&[u8]>) -> Value {
    let sig_path = dir.join("cli.p7s");
    std::fs::write(&sig_path, sig).unwrap();
    let mut args = vec![
        "verify".to_owned(),
        sig_path.to_str().unwrap().to_owned(),
        "--trust".into(),
        p("root-ca.pem"),
        "--crl".into(),
        p("hpki-sign-ca.crl"),
        "--crl".into(),
        p("root-ca.crl"),
        "--offline".into(),
        "--format".into(),
        "json".into(),
    ];
    if let Some(c) = content {
        let c_path = dir.join("cli.content");
        std::fs::write(&c_path, c).unwrap();
        args.extend(["--content".into(), c_path.to_str().unwrap().to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)))
}

/// The report without its validation time (the one thing that differs between two calls).
/// `v` without the validation time (each run has its own): the field, the signatures'
/// best-signature-time, and the validation time wherever a check's detail names it.
fn timeless(mut v: Value) -> Value {
    let at = v
        .as_object_mut()
        .unwrap()
        .remove("validation_time")
        .and_then(|t| t.as_str().map(str::to_owned));
    for s in v["signatures"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("best_signature_time");
        for c in s["checks"].as_array_mut().into_iter().flatten() {
            if let (Some(at), Some(d)) = (&at, c["detail"].as_str()) {
                c["detail"] = Value::from(d.replace(at.as_str(), "VALIDATION-TIME"));
            }
        }
    }
    v
}

#[test]
fn the_api_answers_the_verify_json_and_keeps_nothing() {
    let work = tempfile::tempdir().unwrap();
    let (doc, detached, attached) = signed(work.path());
    let s = Serve::start(&[], &[]);

    // A detached signature with its content: the same report as `verify --format json`.
    let a = post_form(
        &s,
        &[("signature", true, &detached), ("content", true, &doc)],
        "",
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let v = a.json();
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    assert_eq!(v["signatures"][0]["level"], "B-B");
    assert!(
        v["signatures"][0]["signer"]["subject"]
            .as_str()
            .unwrap()
            .contains("CN=")
    );
    let cli = cli_verify(work.path(), &detached, Some(&doc));
    assert_eq!(timeless(v), timeless(cli));

    // The same with the text fields, and an attached signature alone.
    let a = post_form(
        &s,
        &[
            ("policy", false, b"default"),
            ("lang", false, b"en"),
            ("signature", true, &attached),
        ],
        "",
    );
    assert_eq!(a.json()["indication"], "TOTAL_PASSED", "{}", a.json());

    // A request may name a built-in policy: this B-B signature misses rule27-sign's
    // signature time-stamp, so it is not passed, and the report says what is unmet.
    let v = post_form(
        &s,
        &[
            ("policy", false, b"rule27-sign"),
            ("signature", true, &attached),
        ],
        "",
    )
    .json();
    assert_eq!(v["indication"], "INDETERMINATE", "{v}");
    assert_eq!(v["policy"], "rule27-sign", "{v}");
    let unmet = v["signatures"][0]["policy_unmet"].as_array().unwrap();
    assert!(
        unmet
            .iter()
            .any(|u| u["requirement"] == "signature-timestamp"),
        "{v}"
    );
    // Never a file on the server.
    let a = post_form(
        &s,
        &[
            ("policy", false, b"/etc/passwd"),
            ("signature", true, &attached),
        ],
        "",
    );
    assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));

    // Tampered content, a tampered signature, and no signature at all: verdicts.
    let mut tampered = doc.clone();
    tampered[0] ^= 1;
    let v = post_form(
        &s,
        &[("signature", true, &detached), ("content", true, &tampered)],
        "",
    )
    .json();
    assert_eq!(v["indication"], "TOTAL_FAILED", "{v}");
    assert_eq!(v["sub_indication"], "HASH_FAILURE");
    let mut bad_sig = attached.clone();
    let at = bad_sig
        .windows(8)
        .position(|w| w == b"SECRET-C")
        .expect("attached content");
    bad_sig[at] ^= 0x20;
    let v = post_form(&s, &[("signature", true, &bad_sig)], "").json();
    assert_eq!(v["indication"], "TOTAL_FAILED", "{v}");
    let v = post_form(&s, &[("signature", true, b"not a signature")], "").json();
    assert_eq!(v["sub_indication"], "FORMAT_FAILURE", "{v}");

    // Bad requests: named causes.
    let a = post_form(&s, &[("content", true, &doc)], "");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("signature"));
    let a = post_form(
        &s,
        &[("signature", true, &detached), ("policy", false, b"rule99")],
        "",
    );
    assert_eq!(a.status, 400);
    assert!(
        a.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown policy")
    );
    let a = post_form(
        &s,
        &[("signature", true, &detached), ("sig", true, b"x")],
        "",
    );
    assert_eq!(a.status, 400, "unknown field");
    let cut = &form(&[("signature", true, &detached)])[..100];
    let a = http(
        &s.addr,
        &format!(
            "POST /api/v1/verify HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}",
            cut.len()
        ),
        cut,
    );
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("cut short"));
    let a = http(
        &s.addr,
        "POST /api/v1/verify HTTP/1.1\r\nContent-Type: application/pkcs7-signature\r\nContent-Length: 3",
        b"abc",
    );
    assert_eq!(a.status, 415);
    assert!(a.json()["error"].is_string());
    let a = get(&s, "/api/v1/verify", "");
    assert_eq!(a.status, 405);
    assert!(a.json()["error"].is_string());
    let a = get(&s, "/nothing-here", "");
    assert_eq!(a.status, 404);

    // The OpenAPI description lists the API.
    let a = get(&s, "/api/v1/openapi.json", "");
    assert_eq!(a.status, 200);
    let api = a.json();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    assert!(api["paths"]["/api/v1/verify"]["post"].is_object());

    // The page: small, self-contained, Japanese unless English is asked for.
    let a = get(&s, "/", "");
    assert_eq!(a.status, 200);
    assert!(a.body.len() < 100 * 1024, "{} bytes", a.body.len());
    let page = String::from_utf8(a.body).unwrap();
    assert!(page.contains("<html lang=\"ja\">") && page.contains("id=\"drop\""));
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("content-security-policy: default-src 'none'")
    );
    let en = String::from_utf8(get(&s, "/?lang=en", "").body).unwrap();
    assert!(en.contains("<html lang=\"en\">"));
    let en = get(&s, "/", "Accept-Language: en-GB,en;q=0.9,ja;q=0.5").body;
    assert!(
        String::from_utf8(en)
            .unwrap()
            .contains("<html lang=\"en\">")
    );

    // Nothing about the uploads in the logs, nothing on disk (checked by `stop`).
    let (code, logs) = s.stop();
    assert_eq!(code, Some(0), "{logs}");
    for secret in ["SECRET-CONTENT", "秘密", "申請書", "12345678"] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
}

/// A PAdES-signed PDF uploaded alone answers what `verify FILE.pdf --format json` says:
/// format PAdES, what the signature covers, whether the PDF changed after signing.
#[test]
fn a_signed_pdf_is_verified_as_pades() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("紹介状.pdf");
    std::fs::write(&doc, MINIMAL_PDF).unwrap();
    let out = work.path().join("signed.pdf");
    let args = [
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &p("hpki-signer.pem"),
        "--key",
        &p("hpki-signer.key.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let pdf = std::fs::read(&out).unwrap();

    let s = Serve::start(&[], &[]);
    let a = post_form(&s, &[("signature", true, &pdf)], "");
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v: Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    assert_eq!(v["signatures"][0]["format"], "PAdES", "{v}");
    assert_eq!(v["signatures"][0]["covers"], "whole-file", "{v}");
    assert_eq!(v["signatures"][0]["modified_after_signing"], false, "{v}");
    assert_eq!(timeless(v), timeless(cli_verify(work.path(), &pdf, None)));

    // One octet of the page changed: the API says so as the CLI does.
    let mut tampered = pdf.clone();
    tampered[MINIMAL_PDF.len() - 40] ^= 1;
    let a = post_form(&s, &[("signature", true, &tampered)], "");
    let v: Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(v["indication"], "TOTAL_FAILED", "{v}");

    // A CAdES signature that carries the PDF (its `%PDF-` within the first KiB) is CMS.
    let p7m = work.path().join("signed.p7m");
    let mut args = args.to_vec();
    args.truncate(args.len() - 2);
    args.extend([
        "--format",
        "cades",
        "--attached",
        "-o",
        p7m.to_str().unwrap(),
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let a = post_form(
        &s,
        &[("signature", true, &std::fs::read(&p7m).unwrap())],
        "",
    );
    let v: Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    assert_eq!(v["signatures"][0]["format"], "CAdES", "{v}");
}

#[test]
fn uploads_over_the_limit_are_refused_while_they_arrive() {
    let work = tempfile::tempdir().unwrap();
    let (doc, detached, _) = signed(work.path());
    let s = Serve::start(&["--max-upload", "8K"], &[]);
    let big = vec![b'x'; 64 * 1024];

    // Announced by Content-Length: refused before the body is read.
    let a = post_form(
        &s,
        &[("signature", true, &detached), ("content", true, &big)],
        "",
    );
    assert_eq!(a.status, 413, "{}", String::from_utf8_lossy(&a.body));
    assert!(a.json()["error"].as_str().unwrap().contains("--max-upload"));

    // Chunked, no length announced: refused once the limit is passed.
    let body = form(&[("signature", true, &detached), ("content", true, &big)]);
    let mut chunked = Vec::new();
    for c in body.chunks(4096) {
        chunked.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        chunked.extend_from_slice(c);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let a = http(
        &s.addr,
        &format!(
            "POST /api/v1/verify HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked"
        ),
        &chunked,
    );
    assert_eq!(a.status, 413);

    // Within the limit: answered.
    let a = post_form(
        &s,
        &[("signature", true, &detached), ("content", true, &doc)],
        "",
    );
    assert_eq!(a.json()["indication"], "TOTAL_PASSED");
    assert_eq!(s.stop().0, Some(0));
}

#[test]
fn other_than_loopback_is_refused_without_a_token() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--trust",
            &p("root-ca.pem"),
        ])
        .env_remove("KENPO_SERVE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve started on 0.0.0.0 without a token");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("KENPO_SERVE_TOKEN") && err.contains("--token"),
        "{err}"
    );
}

#[test]
fn a_token_is_required_on_every_request_when_given() {
    let work = tempfile::tempdir().unwrap();
    let (_, _, attached) = signed(work.path());
    let s = Serve::start(&[], &[("KENPO_SERVE_TOKEN", "s3cret-token")]);
    let fields: &[(&str, bool, &[u8])] = &[("signature", true, &attached)];

    let a = post_form(&s, fields, "");
    assert_eq!(a.status, 401);
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer")
    );
    assert!(a.json()["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(
        post_form(&s, fields, "Authorization: Bearer s3cret-tokeN").status,
        401
    );
    assert_eq!(
        post_form(&s, fields, "Authorization: Bearer s3cret").status,
        401
    );
    assert_eq!(get(&s, "/", "").status, 401);
    assert_eq!(get(&s, "/api/v1/openapi.json", "").status, 401);

    let ok = "Authorization: Bearer s3cret-token";
    let a = post_form(&s, fields, ok);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["indication"], "TOTAL_PASSED");
    assert_eq!(get(&s, "/", ok).status, 200);
    let (code, logs) = s.stop();
    assert_eq!(code, Some(0));
    assert!(!logs.contains("s3cret"), "the token was printed: {logs}");
}

/// Chromium, when installed; required under CI.
fn chromium() -> Option<&'static str> {
    let ok = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var("CI").map_or(true, |v| v != "true"),
        "chromium is required under CI (apt-get install chromium)"
    );
    if !ok {
        eprintln!("SKIP: chromium not found (apt-get install chromium); the page test did not run");
    }
    ok.then_some("chromium")
}

/// Headless Chromium driven over the DevTools protocol on a pipe (fd 3 in, fd 4 out;
/// messages are JSON ended by NUL).
struct Browser {
    child: Child,
    input: std::process::ChildStdin,
    replies: std::sync::mpsc::Receiver<Value>,
    next: u64,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(exe: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let script = format!(
            "exec {exe} --headless --no-sandbox --disable-gpu --no-first-run \
             --disable-extensions --disable-background-networking --user-data-dir='{}' \
             --remote-debugging-pipe 3<&0 4>&1 0</dev/null 1>/dev/null 2>/dev/null",
            profile.path().display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let (tx, replies) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut msg = Vec::new();
            while output.read_until(0, &mut msg).is_ok_and(|n| n > 0) {
                msg.pop_if(|b| *b == 0);
                if let Ok(v) = serde_json::from_slice::<Value>(&msg)
                    && v.get("id").is_some()
                    && tx.send(v).is_err()
                {
                    return;
                }
                msg.clear();
            }
        });
        Self {
            child,
            input,
            replies,
            next: 0,
            session: None,
            _profile: profile,
        }
    }

    /// Sends a command and waits (60 s at most) for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let mut m = json!({ "id": self.next, "method": method, "params": params });
        if let Some(s) = &self.session {
            m["sessionId"] = json!(s);
        }
        let mut line = serde_json::to_vec(&m).unwrap();
        line.push(0);
        self.input.write_all(&line).unwrap();
        self.input.flush().unwrap();
        loop {
            let reply = self
                .replies
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no answer to {method}: {e}"));
            if reply["id"] == json!(self.next) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates `expr` in the page until it gives a non-empty string (60 s at most).
    fn wait_for(&mut self, expr: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = self.call(
                "Runtime.evaluate",
                json!({ "expression": expr, "returnByValue": true }),
            );
            if let Some(s) = r["result"]["value"].as_str()
                && !s.is_empty()
            {
                return s.to_owned();
            }
            assert!(Instant::now() < deadline, "timed out waiting for {expr}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sets the file input `selector` to `file` (fires its change event).
    fn set_file(&mut self, selector: &str, file: &Path) {
        let root = self.call("DOM.getDocument", json!({}))["root"]["nodeId"].clone();
        let node = self.call(
            "DOM.querySelector",
            json!({ "nodeId": root, "selector": selector }),
        )["nodeId"]
            .clone();
        self.call(
            "DOM.setFileInputFiles",
            json!({ "nodeId": node, "files": [file.to_str().unwrap()] }),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const VERDICT: &str = "(function(){var v=document.getElementById('verdict');\
    var e=document.getElementById('error');\
    if(e&&!e.hidden)return 'error|'+e.textContent;\
    return v?v.getAttribute('data-indication')+'|'+v.textContent:''})()";

#[test]
fn the_page_verifies_a_file_set_on_its_input_in_headless_chromium() {
    let Some(exe) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let (doc, detached, _) = signed(work.path());
    let sig_path = work.path().join("upload.p7s");
    std::fs::write(&sig_path, &detached).unwrap();
    let doc_path = work.path().join("upload.csv");
    std::fs::write(&doc_path, &doc).unwrap();
    let other_path = work.path().join("other.csv");
    std::fs::write(&other_path, b"another document\n").unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let s = Serve::start(&[], &[]);

    let mut b = Browser::start(exe);
    b.call(
        "Browser.setDownloadBehavior",
        json!({ "behavior": "allow", "downloadPath": downloads.path().to_str().unwrap() }),
    );
    // Headless Chromium asks for English (Accept-Language en-US): Japanese by the query.
    let url = format!("{}?lang=ja", s.url());
    let target = b.call("Target.createTarget", json!({ "url": url }))["targetId"].clone();
    let session = b.call(
        "Target.attachToTarget",
        json!({ "targetId": target, "flatten": true }),
    )["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    b.session = Some(session);
    b.wait_for("document.readyState==='complete'&&document.getElementById('drop')?'ready':''");
    let title = b.wait_for("document.title");
    assert!(title.contains("電子署名の検証"), "{title}");

    // The content first (nothing happens without a signature), then the signature.
    b.set_file("#content", &doc_path);
    b.set_file("#signature", &sig_path);
    let verdict = b.wait_for(VERDICT);
    assert!(verdict.starts_with("TOTAL_PASSED|合格"), "{verdict}");
    let report = b.wait_for("document.getElementById('report').textContent");
    assert!(
        report.contains("B-B") && report.contains("+09:00"),
        "{report}"
    );

    // The report downloads as one self-contained HTML file.
    b.call(
        "Runtime.evaluate",
        json!({ "expression": "document.getElementById('download').click()" }),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let saved = loop {
        let done: Vec<_> = std::fs::read_dir(downloads.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .collect();
        if let Some(f) = done.first() {
            break std::fs::read_to_string(f).unwrap();
        }
        assert!(Instant::now() < deadline, "no report downloaded");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        saved.contains("合格") && saved.contains("TOTAL_PASSED"),
        "{saved}"
    );
    assert!(
        !saved.contains("<script") && !saved.contains("http://"),
        "{saved}"
    );

    // Another document: verified again at once, and failed.
    b.set_file("#content", &other_path);
    let verdict = b.wait_for(&format!(
        "(function(){{var r={VERDICT};return r.indexOf('TOTAL_PASSED')===0?'':r}})()"
    ));
    assert!(verdict.starts_with("TOTAL_FAILED|不合格"), "{verdict}");
    assert!(verdict.contains("HASH_FAILURE"), "{verdict}");

    let _ = b.call("Browser.close", json!({}));
    drop(b);
    assert_eq!(s.stop().0, Some(0));
}
