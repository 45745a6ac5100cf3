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

/// Bytes per second of `openssl speed -seconds 1 -bytes BLOCK sha256` (SHA-NI where the CPU
/// has it), or `None` without the openssl CLI.
#[allow(dead_code)] // used by the batch benchmark only
pub fn sha256_bytes_per_s(block: usize) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            "1",
            "-bytes",
            &block.to_string(),
            "sha256",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The last line: `sha256   1775610.85k` (thousands of bytes per second).
    let line = text.lines().rev().find(|l| l.starts_with("sha256"))?;
    let k = line.split_whitespace().nth(1)?.strip_suffix('k')?;
    k.parse::<f64>().ok().map(|v| v * 1000.0)
}
