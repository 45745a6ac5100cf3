//! Policy files: JSON or TOML (`docs/POLICY.md`, schema `docs/schemas/policy.schema.json`).
//! Unknown keys are errors naming the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kenpo_sign::Profile;
use serde::Deserialize;

use super::model::{BaselineLevel, Policy};
use crate::sunset::{KeySize, SunsetOverrides};
use crate::validate::RevocationMode;

/// Why a policy could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file (or a TSA anchor file it names) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid JSON, or a key or value type the format does not have.
    #[error("policy file is not valid policy JSON: {0} (see docs/POLICY.md)")]
    Json(String),
    /// Not valid TOML, or a key or value type the format does not have.
    #[error("policy file is not valid policy TOML: {0} (see docs/POLICY.md)")]
    Toml(String),
    /// A value the format does not allow.
    #[error("policy key `{key}`: `{value}` is not {expected} (see docs/POLICY.md)")]
    Value {
        /// The key.
        key: String,
        /// The value found.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A TSA anchor file holds no certificate.
    #[error("TSA anchor {}: no certificate in the file", path.display())]
    Anchor {
        /// The file.
        path: PathBuf,
    },
}

/// One accepted TSA anchor: a certificate file or a SHA-256 fingerprint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorEntry {
    /// SHA-256 of the anchor certificate (hex, colons and case ignored).
    #[serde(default)]
    sha256: Option<String>,
    /// A certificate file (PEM or DER), relative to the policy file.
    #[serde(default)]
    file: Option<String>,
}

/// The file format, key for key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: String,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    profiles: Option<Vec<String>>,
    #[serde(default)]
    revocation: Option<String>,
    #[serde(default)]
    tsa_anchors: Vec<AnchorEntry>,
    #[serde(default)]
    sunset: BTreeMap<String, String>,
}

fn bad(key: impl Into<String>, value: &str, expected: &'static str) -> PolicyError {
    PolicyError::Value {
        key: key.into(),
        value: value.into(),
        expected,
    }
}

fn profile(v: &str) -> Result<Profile, PolicyError> {
    match v {
        "hpki" => Ok(Profile::Hpki),
        "accredited" => Ok(Profile::Accredited),
        "any" => Ok(Profile::Any),
        _ => Err(bad("profiles", v, "one of hpki, accredited, any")),
    }
}

fn revocation(v: &str) -> Result<RevocationMode, PolicyError> {
    match v {
        "soft" => Ok(RevocationMode::Soft),
        "hard" => Ok(RevocationMode::Hard),
        "require" => Ok(RevocationMode::Require),
        _ => Err(bad("revocation", v, "one of soft, hard, require")),
    }
}

fn fingerprint(v: &str) -> Result<[u8; 32], PolicyError> {
    let clean: String = v.chars().filter(|c| *c != ':').collect();
    let mut out = [0u8; 32];
    hex::decode_to_slice(&clean, &mut out)
        .map_err(|_| bad("tsa_anchors.sha256", v, "64 hexadecimal digits"))?;
    Ok(out)
}

fn anchor(e: &AnchorEntry, base: &Path) -> Result<Vec<[u8; 32]>, PolicyError> {
    match (&e.sha256, &e.file) {
        (Some(f), None) => Ok(vec![fingerprint(f)?]),
        (None, Some(file)) => {
            let path = base.join(file);
            let bytes = std::fs::read(&path).map_err(|source| PolicyError::Read {
                path: path.clone(),
                source,
            })?;
            let certs = kenpo_core::cert::certificates_from_pem_or_der(&bytes).unwrap_or_default();
            if certs.is_empty() {
                return Err(PolicyError::Anchor { path });
            }
            let sha256 = |c| kenpo_core::alg::DigestAlgorithm::Sha256.digest(c);
            Ok(certs
                .iter()
                .filter_map(|c| sha256(c).as_bytes().try_into().ok())
                .collect())
        }
        _ => Err(bad(
            "tsa_anchors",
            "an entry",
            "an entry with exactly one of `sha256` or `file`",
        )),
    }
}

fn date(key: &str, v: &str) -> Result<Option<time::Date>, PolicyError> {
    if v == "none" {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, format)
        .map(Some)
        .map_err(|_| bad(format!("sunset.{key}"), v, "a date YYYY-MM-DD or `none`"))
}

impl PolicyFile {
    fn into_policy(self, base: &Path) -> Result<Policy, PolicyError> {
        let mut p = Policy::named(self.name);
        if let Some(l) = &self.level {
            p.level = BaselineLevel::from_name(l)
                .ok_or_else(|| bad("level", l, "one of B-B, B-T, B-LT, B-LTA"))?;
        }
        if let Some(list) = &self.profiles {
            p.profiles = list.iter().map(|v| profile(v)).collect::<Result<_, _>>()?;
            if p.profiles.is_empty() {
                p.profiles = vec![Profile::Any];
            }
        }
        p.revocation = self.revocation.as_deref().map(revocation).transpose()?;
        for e in &self.tsa_anchors {
            p.tsa_anchors.extend(anchor(e, base)?);
        }
        let mut sunset = SunsetOverrides::new();
        for (k, v) in &self.sunset {
            let key = KeySize::from_name(k).ok_or_else(|| {
                bad(
                    format!("sunset.{k}"),
                    k,
                    "a key name such as RSA-2048 or ECDSA-256",
                )
            })?;
            sunset.set(key, date(k, v)?);
        }
        p.sunset = sunset;
        Ok(p)
    }
}

/// The format of a policy text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Toml,
}

fn parse(text: &str, format: Format, base: &Path) -> Result<Policy, PolicyError> {
    let file: PolicyFile = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?,
        Format::Toml => basic_toml::from_str(text).map_err(|e| PolicyError::Toml(e.to_string()))?,
    };
    file.into_policy(base)
}

impl Policy {
    /// A policy from JSON text; `file` anchors are relative to the current directory.
    pub fn from_json_str(text: &str) -> Result<Self, PolicyError> {
        parse(text, Format::Json, Path::new("."))
    }

    /// A policy from TOML text; `file` anchors are relative to the current directory.
    pub fn from_toml_str(text: &str) -> Result<Self, PolicyError> {
        parse(text, Format::Toml, Path::new("."))
    }

    /// A policy file: JSON when it ends in `.json` or starts with `{`, else TOML; `file`
    /// anchors are relative to the policy file's folder.
    pub fn from_file(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || (!path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
                && text.trim_start().starts_with('{'));
        let base = path.parent().unwrap_or(Path::new("."));
        parse(&text, if json { Format::Json } else { Format::Toml }, base)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let e = Policy::from_toml_str("name = \"x\"\nlevle = \"B-T\"\n").unwrap_err();
        assert!(e.to_string().contains("levle"), "{e}");
        let e = Policy::from_json_str(r#"{"name": "x", "profile": ["hpki"]}"#).unwrap_err();
        assert!(e.to_string().contains("`profile`"), "{e}");
        let e =
            Policy::from_json_str(r#"{"name": "x", "tsa_anchors": [{"sha": "00"}]}"#).unwrap_err();
        assert!(e.to_string().contains("`sha`"), "{e}");
        let e = Policy::from_toml_str("name = \"x\"\n[sunset]\n\"DSA-1024\" = \"2030-01-01\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("sunset.DSA-1024"), "{e}");
    }

    #[test]
    fn values_are_checked() {
        for (text, key) in [
            ("name = \"x\"\nlevel = \"B-X\"\n", "level"),
            ("name = \"x\"\nprofiles = [\"gov\"]\n", "profiles"),
            ("name = \"x\"\nrevocation = \"maybe\"\n", "revocation"),
            (
                "name = \"x\"\n[[tsa_anchors]]\nsha256 = \"abcd\"\n",
                "tsa_anchors.sha256",
            ),
            (
                "name = \"x\"\n[sunset]\n\"RSA-2048\" = \"2031-13-01\"\n",
                "sunset.RSA-2048",
            ),
        ] {
            let e = Policy::from_toml_str(text).unwrap_err();
            assert!(e.to_string().contains(&format!("`{key}`")), "{key}: {e}");
        }
    }

    #[test]
    fn a_full_file_parses() {
        let p = Policy::from_toml_str(
            "name = \"mine\"\nlevel = \"B-LT\"\nprofiles = [\"hpki\"]\nrevocation = \"require\"\n\
             [[tsa_anchors]]\nsha256 = \"AB:\"\n",
        );
        assert!(p.is_err());
        let fp = "ab".repeat(32);
        let p = Policy::from_json_str(&format!(
            r#"{{"name": "mine", "level": "B-LT", "profiles": ["hpki"], "revocation": "require",
                "tsa_anchors": [{{"sha256": "{fp}"}}], "sunset": {{"RSA-2048": "2031-01-01", "RSA-1024": "none"}}}}"#
        ))
        .unwrap();
        assert_eq!(p.name, "mine");
        assert_eq!(p.level, BaselineLevel::BLt);
        assert_eq!(p.profiles, vec![Profile::Hpki]);
        assert_eq!(p.revocation, Some(RevocationMode::Require));
        assert_eq!(p.tsa_anchors, vec![[0xab; 32]]);
        let rsa = KeySize::from_name("RSA-2048").unwrap();
        assert_eq!(
            p.sunset.key_sunset(rsa),
            Some(time::macros::date!(2031 - 01 - 01))
        );
        assert_eq!(
            p.sunset.key_sunset(KeySize::from_name("RSA-1024").unwrap()),
            None
        );
    }
}
