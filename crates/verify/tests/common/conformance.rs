//! Conformance-harness support: per-namespace tables, the only-up baseline rule and the
//! result files written to `target/kenpo-conformance/`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Counts per namespace: `agree`, `disagree`, `skip`.
pub type Table = BTreeMap<String, BTreeMap<String, u64>>;

/// Fails when any namespace's agreement dropped below the committed baseline;
/// `KENPO_UPDATE_BASELINES=1` rewrites it.
pub fn check_baseline(name: &str, table: &Table) {
    let path = manifest().join(format!("tests/baselines/{name}.json"));
    let mut current = serde_json::Map::new();
    for (ns, counts) in table {
        current.insert(ns.clone(), json!(counts));
    }
    let current = Value::Object(current);
    if std::env::var_os("KENPO_UPDATE_BASELINES").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&current).unwrap() + "\n",
        )
        .unwrap();
        println!("baseline {} rewritten", path.display());
        return;
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        panic!(
            "no baseline at {}; run with KENPO_UPDATE_BASELINES=1 to create it",
            path.display()
        );
    };
    let base: Value = serde_json::from_str(&text).unwrap();
    let mut worse = Vec::new();
    let mut better = false;
    for (ns, counts) in base.as_object().unwrap() {
        let was = counts["agree"].as_u64().unwrap_or(0);
        let now = table
            .get(ns)
            .and_then(|c| c.get("agree"))
            .copied()
            .unwrap_or(0);
        if now < was {
            worse.push(format!("{ns}: agree {was} -> {now}"));
        } else if now > was {
            better = true;
        }
    }
    for ns in table.keys() {
        if base.get(ns).is_none() {
            better = true;
        }
    }
    assert!(worse.is_empty(), "{name} conformance went down: {worse:?}");
    if better {
        println!(
            "{name} results improved: update the baseline with \
             KENPO_UPDATE_BASELINES=1 cargo test -p kenpo-verify --test {name}"
        );
    }
}

/// Writes the harness result file (not committed).
pub fn write_results(name: &str, results: &[Value], table: &Table) {
    let dir = manifest().join("../../target/kenpo-conformance");
    let _ = std::fs::create_dir_all(&dir);
    let doc = json!({"version": 1, "harness": "kenpo-verify", "results": results, "table": table});
    let _ = std::fs::write(
        dir.join(format!("{name}-results.json")),
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    );
}

/// Prints the table (visible with `--nocapture`).
pub fn print_table(table: &Table) {
    println!(
        "{:<36} {:>7} {:>9} {:>6}",
        "namespace", "agree", "disagree", "skip"
    );
    for (ns, c) in table {
        println!(
            "{:<36} {:>7} {:>9} {:>6}",
            ns,
            c.get("agree").unwrap_or(&0),
            c.get("disagree").unwrap_or(&0),
            c.get("skip").unwrap_or(&0)
        );
    }
}
