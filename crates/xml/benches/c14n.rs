//! C14N throughput on a generated 50 MB document: prints MB/s for parsing and for each
//! canonicalisation (`cargo bench -p kenpo-xml --bench c14n`); with `xmllint` on the PATH,
//! also its `--exc-c14n` time on the same file in the same run. No assertion on speed.

use std::time::Instant;

use kenpo_xml::{C14nMethod, C14nOptions, Document, Limits};

fn generate(target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root xmlns=\"urn:example:a\" xmlns:p=\"urn:example:p\" xmlns:unused=\"urn:example:u\">\n");
    let mut i = 0u64;
    while s.len() < target {
        s.push_str(&format!(
            "  <p:item id=\"i{i}\" b=\"x &amp; y\" a=\"1\"><name>処方 {i} &lt;text&gt;</name><!-- c --><v  z=\"2\"   y='3'>{}</v><e/></p:item>\n",
            i * 7
        ));
        i += 1;
    }
    s.push_str("</root>\n");
    s
}

fn main() {
    let size: usize = std::env::var("KENPO_XML_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000_000);
    let text = generate(size);
    let mb = text.len() as f64 / 1e6;
    let limits = Limits::default();
    let t = Instant::now();
    let doc = match Document::parse(text.as_bytes(), &limits) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("parse failed: {e}");
            return;
        }
    };
    println!(
        "parse            {:8.1} MB/s ({mb:.1} MB)",
        mb / t.elapsed().as_secs_f64()
    );
    for method in [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
        C14nMethod::Exclusive,
        C14nMethod::ExclusiveWithComments,
    ] {
        let t = Instant::now();
        let mut sink = std::io::sink();
        if let Err(e) = doc.canonicalize_to(method, &C14nOptions::new(), &mut sink) {
            eprintln!("{method:?} failed: {e}");
            continue;
        }
        println!(
            "{:<16} {:8.1} MB/s",
            format!("{method:?}"),
            mb / t.elapsed().as_secs_f64()
        );
    }
    let has_xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    if has_xmllint {
        let dir = std::env::temp_dir().join(format!("kenpo-xml-bench-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() {
            let file = dir.join("doc.xml");
            if std::fs::write(&file, &text).is_ok() {
                let t = Instant::now();
                let ok = std::process::Command::new("xmllint")
                    .arg("--exc-c14n")
                    .arg(&file)
                    .stdout(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if ok {
                    println!(
                        "xmllint --exc-c14n (parse + c14n) {:8.1} MB/s",
                        mb / t.elapsed().as_secs_f64()
                    );
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    } else {
        println!("xmllint not installed: no same-run comparison");
    }
}
