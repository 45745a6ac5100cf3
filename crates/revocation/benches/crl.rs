//! Benchmark: parse a 100,000-entry CRL (ms), verify its signature (ms), and look serials
//! up (lookups/s). Run with `cargo bench -p kenpo-revocation --bench crl`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/bigcrl.rs"]
mod bigcrl;

use std::hint::black_box;
use std::time::{Duration, Instant};

use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::Crl;

const N: usize = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let der = bigcrl::build(&pki, "hpki-sign-ca", "hpki-sign-ca", N, &[]);
    let ca_der = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let ca = CertRef::parse(&ca_der).unwrap();

    let runs = 15;
    let mut parse = Vec::with_capacity(runs);
    let mut crl = None;
    for _ in 0..runs {
        let input = der.clone();
        let start = Instant::now();
        let parsed = Crl::from_der(black_box(input)).unwrap();
        parse.push(start.elapsed());
        crl = Some(parsed);
    }
    let crl = crl.unwrap();
    assert_eq!(crl.len(), N);

    let mut verify = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        crl.verify_signature(black_box(&ca)).unwrap();
        verify.push(start.elapsed());
    }

    // Half present, half absent serials, precomputed.
    let serials: Vec<Vec<u8>> = (0..4096)
        .map(|i| bigcrl::serial_of((i * 7919) % (2 * N)))
        .collect();
    let lookups = 2_000_000usize;
    let start = Instant::now();
    let mut found = 0usize;
    for i in 0..lookups {
        if crl
            .entry(black_box(&serials[i % serials.len()]))
            .unwrap()
            .is_some()
        {
            found += 1;
        }
    }
    let took = start.elapsed();
    assert!(found > lookups / 4 && found < lookups * 3 / 4, "{found}");

    println!(
        "CRL with {N} entries, {:.2} MiB",
        der.len() as f64 / (1024.0 * 1024.0)
    );
    println!(
        "parse (index every entry): median {:.1} ms, min {:.1} ms over {runs} runs",
        ms(median(parse.clone())),
        ms(*parse.iter().min().unwrap())
    );
    println!(
        "signature verify (SHA-256 over tbsCertList + RSA-2048): median {:.2} ms",
        ms(median(verify))
    );
    println!(
        "lookups: {:.2} M/s ({:.0} ns each, {lookups} lookups, half of them absent)",
        lookups as f64 / took.as_secs_f64() / 1e6,
        took.as_nanos() as f64 / lookups as f64
    );
}
