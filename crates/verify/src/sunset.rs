//! Algorithm sunset dates: the table of `../shared/VALIDATION-POLICY.md` (ETSI TS 119 312
//! v1.5.1 as in the EU DSS crypto constraints) as data, with lookups by digest and key.
//!
//! A sunset date is the day from which material produced with the algorithm is no longer
//! acceptable unless a proof of existence with a stronger algorithm predates it. `None`
//! means the policy sets no date. The crypto backend never decides this (see
//! `docs/ARCHITECTURE.md`): this module is the one place that does.
//!
//! Key rows (bits are the RSA modulus length or the size of the ECDSA curve):
//!
//! | key | sunset |
//! |---|---|
//! | RSA / RSASSA-PSS ≤ 786 bits | 2010-08-01 |
//! | RSA / RSASSA-PSS 787–1899 bits | 2019-10-01 |
//! | RSA / RSASSA-PSS 1900–2999 bits | 2029-01-01 |
//! | RSA / RSASSA-PSS ≥ 3000 bits | none |
//! | ECDSA < 224 bits (160/163/192) | 2012-08-01 |
//! | ECDSA 224–255 bits | 2021-10-01 |
//! | ECDSA ≥ 256 bits | none |

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::{AlgError, DigestAlgorithm, PublicKeyKind};
use time::macros::date;
use time::{Date, OffsetDateTime};

/// The policy the dates come from, named in every planner report.
pub const SUNSET_POLICY: &str = "ETSI TS 119 312 v1.5.1 (EU DSS crypto constraints)";

/// MD5 (id-md5).
const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");
/// SHA-224 (id-sha224).
const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
/// SHA3-256, SHA3-384, SHA3-512.
const SHA3: [Oid; 3] = [
    Oid::new_unwrap("2.16.840.1.101.3.4.2.8"),
    Oid::new_unwrap("2.16.840.1.101.3.4.2.9"),
    Oid::new_unwrap("2.16.840.1.101.3.4.2.10"),
];

/// Errors reading a key for the sunset lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SunsetError {
    /// The digest algorithm is not in the policy table.
    #[error("digest algorithm {0} is not in the sunset table")]
    UnknownDigest(Oid),
    /// The key algorithm (or curve) is not in the policy table.
    #[error("key algorithm {0} is not in the sunset table")]
    UnknownKey(String),
    /// The SubjectPublicKeyInfo could not be read.
    #[error("malformed SubjectPublicKeyInfo: {0}")]
    Malformed(String),
}

/// The family of a public key, for the key rows of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// RSA or RSASSA-PSS (size = modulus bits).
    Rsa,
    /// ECDSA (size = curve bits).
    Ecdsa,
}

/// A key's family and size, read from a `SubjectPublicKeyInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySize {
    /// RSA or ECDSA.
    pub family: KeyFamily,
    /// Modulus or curve size in bits.
    pub bits: usize,
}

impl KeySize {
    /// Short name (`RSA-2048`, `ECDSA-256`).
    pub fn name(&self) -> String {
        match self.family {
            KeyFamily::Rsa => format!("RSA-{}", self.bits),
            KeyFamily::Ecdsa => format!("ECDSA-{}", self.bits),
        }
    }

    /// The sunset date of this key (see the module table).
    pub fn sunset(&self) -> Option<Date> {
        match self.family {
            KeyFamily::Rsa => rsa_sunset(self.bits),
            KeyFamily::Ecdsa => ecdsa_sunset(self.bits),
        }
    }
}

fn rsa_sunset(bits: usize) -> Option<Date> {
    match bits {
        0..=786 => Some(date!(2010 - 08 - 01)),
        787..=1899 => Some(date!(2019 - 10 - 01)),
        1900..=2999 => Some(date!(2029 - 01 - 01)),
        _ => None,
    }
}

fn ecdsa_sunset(bits: usize) -> Option<Date> {
    match bits {
        0..=223 => Some(date!(2012 - 08 - 01)),
        224..=255 => Some(date!(2021 - 10 - 01)),
        _ => None,
    }
}

/// The sunset date of a digest algorithm kenpo-sign computes (SHA-1: 2012-08-01;
/// SHA3-224: 2029-01-01, the date of SHA-224, whose 112-bit collision strength it shares;
/// SHA-256/384/512 and SHA3-256/384/512 have none).
pub fn digest_sunset(alg: DigestAlgorithm) -> Option<Date> {
    match alg {
        DigestAlgorithm::Sha1 => Some(date!(2012 - 08 - 01)),
        DigestAlgorithm::Sha3_224 => Some(date!(2029 - 01 - 01)),
        DigestAlgorithm::Sha256
        | DigestAlgorithm::Sha384
        | DigestAlgorithm::Sha512
        | DigestAlgorithm::Sha3_256
        | DigestAlgorithm::Sha3_384
        | DigestAlgorithm::Sha3_512 => None,
    }
}

/// The sunset date of a digest algorithm by OID, including those kenpo-sign does not
/// compute (MD5 2004-08-01, SHA-224 2029-01-01, SHA3 none).
pub fn digest_oid_sunset(o: &Oid) -> Result<Option<Date>, SunsetError> {
    if let Ok(d) = DigestAlgorithm::from_oid(o) {
        return Ok(digest_sunset(d));
    }
    match *o {
        MD5 => Ok(Some(date!(2004 - 08 - 01))),
        SHA224 => Ok(Some(date!(2029 - 01 - 01))),
        o if SHA3.contains(&o) => Ok(None),
        other => Err(SunsetError::UnknownDigest(other)),
    }
}

/// The name of a digest OID for reports (`SHA-224`, or the dotted OID).
pub fn digest_oid_name(o: &Oid) -> String {
    match DigestAlgorithm::from_oid(o) {
        Ok(d) => d.name().into(),
        Err(_) if *o == MD5 => "MD5".into(),
        Err(_) if *o == SHA224 => "SHA-224".into(),
        Err(_) => o.to_string(),
    }
}

/// The family and size of the key in a DER `SubjectPublicKeyInfo`: RSA and RSASSA-PSS by
/// modulus, ECDSA by named curve (P-192/224/256/384/521, secp256k1, brainpool).
pub fn key_size_from_spki(spki_der: &[u8]) -> Result<KeySize, SunsetError> {
    let (family, bits) = match PublicKeyKind::from_spki_der(spki_der) {
        Ok(PublicKeyKind::Rsa { bits }) => (KeyFamily::Rsa, bits),
        Ok(PublicKeyKind::P256) => (KeyFamily::Ecdsa, 256),
        Ok(PublicKeyKind::P384) => (KeyFamily::Ecdsa, 384),
        // Another curve (named by its OID), or another key algorithm.
        Err(AlgError::UnsupportedSignature(o)) => match curve_bits(&o) {
            Some(bits) => (KeyFamily::Ecdsa, bits),
            None => return Err(SunsetError::UnknownKey(o.to_string())),
        },
        Err(AlgError::Malformed(e)) => return Err(SunsetError::Malformed(e)),
        Err(e) => return Err(SunsetError::Malformed(e.to_string())),
    };
    Ok(KeySize { family, bits })
}

fn curve_bits(curve: &Oid) -> Option<usize> {
    Some(match curve.to_string().as_str() {
        "1.2.840.10045.3.1.1" => 192,
        "1.3.132.0.33" => 224,
        "1.2.840.10045.3.1.7" | "1.3.132.0.10" | "1.3.36.3.3.2.8.1.1.7" => 256,
        "1.3.132.0.34" | "1.3.36.3.3.2.8.1.1.11" => 384,
        "1.3.132.0.35" => 521,
        "1.3.36.3.3.2.8.1.1.13" => 512,
        "1.3.132.0.8" | "1.3.132.0.9" => 160,
        "1.3.132.0.1" | "1.3.132.0.15" => 163,
        _ => return None,
    })
}

/// Midnight UTC at the start of `d`.
pub fn start_of(d: Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}

/// Key sunset dates that replace the table's for named key sizes (a validation policy's
/// `sunset` section, see `docs/POLICY.md`): `RSA-2048` → 2031-01-01 moves the date of
/// 2048-bit RSA keys only; `None` as the date removes it. The overrides apply to the
/// `algorithm-sunset` checks of the signer's key and of TSA keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SunsetOverrides {
    /// Key name as [`KeySize::name`] writes it → its date (`None`: no sunset).
    keys: std::collections::BTreeMap<KeySize, Option<Date>>,
}

impl PartialOrd for KeySize {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeySize {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let family = |f: KeyFamily| match f {
            KeyFamily::Rsa => 0u8,
            KeyFamily::Ecdsa => 1,
        };
        (family(self.family), self.bits).cmp(&(family(other.family), other.bits))
    }
}

impl KeySize {
    /// The key size a name such as `RSA-2048` or `ECDSA-256` ([`KeySize::name`]) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        let (family, bits) = name.split_once('-')?;
        let family = if family.eq_ignore_ascii_case("RSA") {
            KeyFamily::Rsa
        } else if family.eq_ignore_ascii_case("ECDSA") {
            KeyFamily::Ecdsa
        } else {
            return None;
        };
        let bits: usize = bits.parse().ok()?;
        (bits > 0).then_some(Self { family, bits })
    }
}

impl SunsetOverrides {
    /// No override: the table's dates.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the date of keys of exactly `key`'s family and size (`None`: no sunset).
    pub fn set(&mut self, key: KeySize, date: Option<Date>) {
        self.keys.insert(key, date);
    }

    /// The sunset date of `key`: the override, else the table's.
    pub fn key_sunset(&self, key: KeySize) -> Option<Date> {
        match self.keys.get(&key) {
            Some(d) => *d,
            None => key.sunset(),
        }
    }

    /// The key of a SubjectPublicKeyInfo (DER): its size and, when one is set (the
    /// override, else the table's), the instant its sunset begins. `None` when the key
    /// cannot be read.
    pub fn key_sunset_of_spki(&self, spki: &[u8]) -> Option<(KeySize, Option<OffsetDateTime>)> {
        let size = key_size_from_spki(spki).ok()?;
        Some((size, self.key_sunset(size).map(start_of)))
    }

    /// As [`SunsetOverrides::key_sunset_of_spki`] for a certificate (DER).
    pub fn key_sunset_of_cert(&self, cert: &[u8]) -> Option<(KeySize, Option<OffsetDateTime>)> {
        self.key_sunset_of_spki(kenpo_core::cert::CertRef::spki_of(cert).ok()?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use DigestAlgorithm::*;
    use kenpo_core::oid;

    fn rsa(bits: usize) -> Option<Date> {
        let family = KeyFamily::Rsa;
        KeySize { family, bits }.sunset()
    }

    fn ecdsa(bits: usize) -> Option<Date> {
        let family = KeyFamily::Ecdsa;
        KeySize { family, bits }.sunset()
    }

    #[test]
    fn rsa_rows_at_their_boundaries() {
        assert_eq!(rsa(786), Some(date!(2010 - 08 - 01)));
        assert_eq!(rsa(1024), Some(date!(2019 - 10 - 01)));
        assert_eq!(rsa(1899), Some(date!(2019 - 10 - 01)));
        assert_eq!(rsa(1900), Some(date!(2029 - 01 - 01)));
        assert_eq!(rsa(2048), Some(date!(2029 - 01 - 01)));
        assert_eq!(rsa(2999), Some(date!(2029 - 01 - 01)));
        assert_eq!(rsa(3000), None);
        assert_eq!(rsa(3072), None);
    }

    #[test]
    fn ecdsa_rows_at_their_boundaries() {
        assert_eq!(ecdsa(256), None);
        assert_eq!(ecdsa(384), None);
        assert_eq!(ecdsa(224), Some(date!(2021 - 10 - 01)));
        assert_eq!(ecdsa(255), Some(date!(2021 - 10 - 01)));
        assert_eq!(ecdsa(163), Some(date!(2012 - 08 - 01)));
        assert_eq!(ecdsa(160), Some(date!(2012 - 08 - 01)));
    }

    #[test]
    fn digest_rows() {
        assert_eq!(digest_sunset(Sha1), Some(date!(2012 - 08 - 01)));
        assert_eq!(digest_sunset(Sha256), None);
        assert_eq!(digest_sunset(Sha384), None);
        assert_eq!(digest_sunset(Sha512), None);
        assert_eq!(digest_oid_sunset(&SHA224), Ok(Some(date!(2029 - 01 - 01))));
        assert_eq!(digest_oid_sunset(&MD5), Ok(Some(date!(2004 - 08 - 01))));
        assert_eq!(digest_oid_sunset(&oid::SHA256), Ok(None));
        assert_eq!(digest_oid_sunset(&SHA3[0]), Ok(None));
        // SHA-3, now computed: no date, except SHA3-224 with SHA-224's.
        for d in [
            DigestAlgorithm::Sha3_256,
            DigestAlgorithm::Sha3_384,
            DigestAlgorithm::Sha3_512,
        ] {
            assert_eq!(digest_sunset(d), None, "{d:?}");
            assert_eq!(digest_oid_sunset(&d.oid()), Ok(None), "{d:?}");
        }
        assert_eq!(
            digest_oid_sunset(&oid::SHA3_224),
            Ok(Some(date!(2029 - 01 - 01)))
        );
        assert_eq!(
            digest_oid_sunset(&oid::SHA1),
            Ok(Some(date!(2012 - 08 - 01)))
        );
        let unknown = Oid::new_unwrap("1.2.3.4");
        assert_eq!(
            digest_oid_sunset(&unknown),
            Err(SunsetError::UnknownDigest(unknown))
        );
        assert_eq!(digest_oid_name(&SHA224), "SHA-224");
    }

    #[test]
    fn key_sizes_from_test_pki_certificates() {
        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
        for (name, want) in [
            ("tsa", "RSA-2048"),
            ("tsa-rsa3072", "RSA-3072"),
            ("tsa-ecdsa", "ECDSA-256"),
        ] {
            let der = &pki.entity(name).unwrap().cert_der;
            let c = kenpo_core::cert::CertRef::parse(der).unwrap();
            let k = key_size_from_spki(c.spki).unwrap();
            assert_eq!(k.name(), want, "{name}");
        }
        assert!(matches!(
            key_size_from_spki(b"\x30\x00"),
            Err(SunsetError::Malformed(_))
        ));
    }

    #[test]
    fn overrides_replace_only_the_named_size() {
        let rsa2048 = KeySize::from_name("RSA-2048").unwrap();
        assert_eq!(rsa2048.name(), "RSA-2048");
        assert_eq!(KeySize::from_name("ecdsa-256").unwrap().name(), "ECDSA-256");
        assert_eq!(KeySize::from_name("DSA-2048"), None);
        assert_eq!(KeySize::from_name("RSA-x"), None);
        let mut o = SunsetOverrides::new();
        o.set(rsa2048, Some(date!(2031 - 01 - 01)));
        assert_eq!(o.key_sunset(rsa2048), Some(date!(2031 - 01 - 01)));
        let rsa2047 = KeySize::from_name("RSA-2047").unwrap();
        assert_eq!(o.key_sunset(rsa2047), Some(date!(2029 - 01 - 01)));
        o.set(rsa2048, None);
        assert_eq!(o.key_sunset(rsa2048), None);
    }
}
