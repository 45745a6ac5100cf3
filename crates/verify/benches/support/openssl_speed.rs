//! The reference every kenpo-verify benchmark compares with: RSA-2048 verifications per
//! second from `openssl speed -seconds 2 rsa2048`, run by the benchmark itself.

/// `verify/s` of `openssl speed -seconds 2 rsa2048`, or `None` without the openssl CLI.
pub fn rsa2048_verify_per_s() -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048 bits"))?;
    line.split_whitespace()
        .rev()
        .find_map(|w| w.parse::<f64>().ok())
}
