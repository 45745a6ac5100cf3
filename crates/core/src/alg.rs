//! Digest and signature algorithms, and their mapping to and from `AlgorithmIdentifier`.
//!
//! kenpo-sign reads SHA-1 and RSA < 2048 (old material must stay verifiable) but the
//! algorithm *policy* — what is acceptable at which date — is decided by the verifier,
//! never here.

use const_oid::ObjectIdentifier as Oid;
use der::asn1::Null;
use der::{Decode, Encode, Sequence};
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;

use crate::oid;

/// Errors about algorithms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgError {
    /// The digest algorithm OID is not supported.
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(Oid),
    /// The signature algorithm OID (or its parameters) is not supported.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignature(Oid),
    /// RSASSA-PSS parameters that kenpo-sign does not accept (e.g. MGF hash ≠ message hash).
    #[error("unsupported RSASSA-PSS parameters: {0}")]
    UnsupportedPssParams(&'static str),
    /// Parameters could not be decoded.
    #[error("malformed algorithm parameters: {0}")]
    Malformed(String),
    /// The public key type does not match the signature algorithm.
    #[error("public key type does not fit the signature algorithm")]
    KeyMismatch,
}

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// SHA-1: only for verifying legacy material.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SHA3-224 (FIPS 202): verification of material made with it.
    Sha3_224,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
}

impl DigestAlgorithm {
    /// The algorithm's OID.
    pub fn oid(self) -> Oid {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
            Self::Sha3_224 => oid::SHA3_224,
            Self::Sha3_256 => oid::SHA3_256,
            Self::Sha3_384 => oid::SHA3_384,
            Self::Sha3_512 => oid::SHA3_512,
        }
    }

    /// Looks an OID up.
    pub fn from_oid(o: &Oid) -> Result<Self, AlgError> {
        Ok(match *o {
            oid::SHA1 => Self::Sha1,
            oid::SHA256 => Self::Sha256,
            oid::SHA384 => Self::Sha384,
            oid::SHA512 => Self::Sha512,
            oid::SHA3_224 => Self::Sha3_224,
            oid::SHA3_256 => Self::Sha3_256,
            oid::SHA3_384 => Self::Sha3_384,
            oid::SHA3_512 => Self::Sha3_512,
            other => return Err(AlgError::UnsupportedDigest(other)),
        })
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha3_224 => 28,
            Self::Sha256 | Self::Sha3_256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
            Self::Sha512 | Self::Sha3_512 => 64,
        }
    }

    /// Conventional name (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
            Self::Sha3_224 => "SHA3-224",
            Self::Sha3_256 => "SHA3-256",
            Self::Sha3_384 => "SHA3-384",
            Self::Sha3_512 => "SHA3-512",
        }
    }

    /// Parses a name as used on command lines (`sha256`, `SHA-256`, `SHA3-256`,
    /// `sha3_256`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            "sha3224" => Some(Self::Sha3_224),
            "sha3256" => Some(Self::Sha3_256),
            "sha3384" => Some(Self::Sha3_384),
            "sha3512" => Some(Self::Sha3_512),
            _ => None,
        }
    }

    /// `AlgorithmIdentifier` with absent parameters (RFC 5754 §2).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// A fresh incremental hasher.
    pub fn hasher(self) -> Hasher {
        match self {
            Self::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Self::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Self::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Self::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            Self::Sha3_224 => Hasher::Sha3_224(sha3::Sha3_224::new()),
            Self::Sha3_256 => Hasher::Sha3_256(sha3::Sha3_256::new()),
            Self::Sha3_384 => Hasher::Sha3_384(sha3::Sha3_384::new()),
            Self::Sha3_512 => Hasher::Sha3_512(sha3::Sha3_512::new()),
        }
    }

    /// Hashes `data` in one go.
    pub fn digest(self, data: &[u8]) -> Digest {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
}

/// An incremental hasher for one [`DigestAlgorithm`].
#[derive(Clone)]
pub enum Hasher {
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-384.
    Sha384(sha2::Sha384),
    /// SHA-512.
    Sha512(sha2::Sha512),
    /// SHA3-224.
    Sha3_224(sha3::Sha3_224),
    /// SHA3-256.
    Sha3_256(sha3::Sha3_256),
    /// SHA3-384.
    Sha3_384(sha3::Sha3_384),
    /// SHA3-512.
    Sha3_512(sha3::Sha3_512),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hasher({})", self.algorithm().name())
    }
}

impl Hasher {
    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> DigestAlgorithm {
        match self {
            Self::Sha1(_) => DigestAlgorithm::Sha1,
            Self::Sha256(_) => DigestAlgorithm::Sha256,
            Self::Sha384(_) => DigestAlgorithm::Sha384,
            Self::Sha512(_) => DigestAlgorithm::Sha512,
            Self::Sha3_224(_) => DigestAlgorithm::Sha3_224,
            Self::Sha3_256(_) => DigestAlgorithm::Sha3_256,
            Self::Sha3_384(_) => DigestAlgorithm::Sha3_384,
            Self::Sha3_512(_) => DigestAlgorithm::Sha3_512,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
            Self::Sha3_224(h) => h.update(data),
            Self::Sha3_256(h) => h.update(data),
            Self::Sha3_384(h) => h.update(data),
            Self::Sha3_512(h) => h.update(data),
        }
    }

    /// Finishes and returns the digest.
    pub fn finalize(self) -> Digest {
        let alg = self.algorithm();
        let mut bytes = [0u8; 64];
        match self {
            Self::Sha1(h) => bytes[..20].copy_from_slice(&h.finalize()),
            Self::Sha256(h) => bytes[..32].copy_from_slice(&h.finalize()),
            Self::Sha384(h) => bytes[..48].copy_from_slice(&h.finalize()),
            Self::Sha512(h) => bytes.copy_from_slice(&h.finalize()),
            Self::Sha3_224(h) => bytes[..28].copy_from_slice(&h.finalize()),
            Self::Sha3_256(h) => bytes[..32].copy_from_slice(&h.finalize()),
            Self::Sha3_384(h) => bytes[..48].copy_from_slice(&h.finalize()),
            Self::Sha3_512(h) => bytes.copy_from_slice(&h.finalize()),
        }
        Digest { alg, bytes }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A digest value together with its algorithm.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    alg: DigestAlgorithm,
    bytes: [u8; 64],
}

impl Digest {
    /// Wraps digest bytes computed elsewhere (e.g. a message imprint); `None` when the
    /// length does not fit the algorithm.
    pub fn from_bytes(alg: DigestAlgorithm, value: &[u8]) -> Option<Self> {
        if value.len() != alg.output_len() {
            return None;
        }
        let mut bytes = [0u8; 64];
        bytes[..value.len()].copy_from_slice(value);
        Some(Self { alg, bytes })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.alg
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.alg.output_len()]
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

/// Decodes a DER `AlgorithmIdentifier` (the whole TLV). The usual shapes, a common OID
/// (see [`crate::oid::from_content`]) with NULL or absent parameters, are read by their
/// encoding; anything else goes through the decoder. The result is the decoder's.
pub fn algorithm_identifier_from_der(raw: &[u8]) -> Result<AlgorithmIdentifierOwned, der::Error> {
    // SEQUENCE { OID, [NULL] } with short lengths.
    if let [0x30, len, 0x06, oid_len, rest @ ..] = raw
        && usize::from(*len) == raw.len() - 2
        && usize::from(*oid_len) <= rest.len()
    {
        let (oid_bytes, params) = rest.split_at(usize::from(*oid_len));
        let parameters = match params {
            [] => Some(None),
            [0x05, 0x00] => Some(Some(der::Any::from(der::asn1::Null))),
            _ => None,
        };
        if let (Some(parameters), Ok(oid)) = (parameters, crate::oid::from_content(oid_bytes)) {
            return Ok(AlgorithmIdentifierOwned { oid, parameters });
        }
    }
    <AlgorithmIdentifierOwned as der::Decode>::from_der(raw)
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.alg.name(), self.to_hex())
    }
}

/// A signature algorithm: padding/scheme plus the digest it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(DigestAlgorithm),
    /// RSASSA-PSS with MGF1 over the same digest and the given salt length.
    RsaPss {
        /// Message digest (and MGF1 digest).
        digest: DigestAlgorithm,
        /// Salt length in bytes.
        salt_len: u16,
    },
    /// ECDSA (signature DER-encoded as `Ecdsa-Sig-Value`).
    Ecdsa(DigestAlgorithm),
}

/// RSASSA-PSS-params (RFC 4055 §3.1).
///
/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///   hashAlgorithm      [0] HashAlgorithm    DEFAULT sha1,
///   maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
///   saltLength         [2] INTEGER          DEFAULT 20,
///   trailerField       [3] TrailerField     DEFAULT trailerFieldBC }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct PssParams {
    /// hashAlgorithm.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub hash: Option<AlgorithmIdentifierOwned>,
    /// maskGenAlgorithm.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub mask_gen: Option<AlgorithmIdentifierOwned>,
    /// saltLength.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub salt_len: Option<u16>,
    /// trailerField.
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub trailer: Option<u8>,
}

impl SignatureAlgorithm {
    /// The digest this algorithm signs.
    pub fn digest(&self) -> DigestAlgorithm {
        match *self {
            Self::RsaPkcs1(d) | Self::Ecdsa(d) => d,
            Self::RsaPss { digest, .. } => digest,
        }
    }

    /// Short name (`RSA-PKCS1-SHA256`, `RSA-PSS-SHA256`, `ECDSA-SHA384`).
    pub fn name(&self) -> &'static str {
        use DigestAlgorithm::*;
        match *self {
            Self::RsaPkcs1(Sha1) => "RSA-PKCS1-SHA1",
            Self::RsaPkcs1(Sha256) => "RSA-PKCS1-SHA256",
            Self::RsaPkcs1(Sha384) => "RSA-PKCS1-SHA384",
            Self::RsaPkcs1(Sha512) => "RSA-PKCS1-SHA512",
            Self::RsaPss { digest: Sha1, .. } => "RSA-PSS-SHA1",
            Self::RsaPss { digest: Sha256, .. } => "RSA-PSS-SHA256",
            Self::RsaPss { digest: Sha384, .. } => "RSA-PSS-SHA384",
            Self::RsaPss { digest: Sha512, .. } => "RSA-PSS-SHA512",
            Self::Ecdsa(Sha1) => "ECDSA-SHA1",
            Self::Ecdsa(Sha256) => "ECDSA-SHA256",
            Self::Ecdsa(Sha384) => "ECDSA-SHA384",
            Self::Ecdsa(Sha512) => "ECDSA-SHA512",
            Self::RsaPkcs1(Sha3_224) => "RSA-PKCS1-SHA3-224",
            Self::RsaPkcs1(Sha3_256) => "RSA-PKCS1-SHA3-256",
            Self::RsaPkcs1(Sha3_384) => "RSA-PKCS1-SHA3-384",
            Self::RsaPkcs1(Sha3_512) => "RSA-PKCS1-SHA3-512",
            Self::RsaPss {
                digest: Sha3_224, ..
            } => "RSA-PSS-SHA3-224",
            Self::RsaPss {
                digest: Sha3_256, ..
            } => "RSA-PSS-SHA3-256",
            Self::RsaPss {
                digest: Sha3_384, ..
            } => "RSA-PSS-SHA3-384",
            Self::RsaPss {
                digest: Sha3_512, ..
            } => "RSA-PSS-SHA3-512",
            Self::Ecdsa(Sha3_224) => "ECDSA-SHA3-224",
            Self::Ecdsa(Sha3_256) => "ECDSA-SHA3-256",
            Self::Ecdsa(Sha3_384) => "ECDSA-SHA3-384",
            Self::Ecdsa(Sha3_512) => "ECDSA-SHA3-512",
        }
    }

    /// Reads an `AlgorithmIdentifier` used as a signature algorithm.
    ///
    /// `digest_hint` is the CMS `digestAlgorithm` of the same SignerInfo: CMS allows
    /// plain `rsaEncryption` as signatureAlgorithm, in which case the digest comes from it.
    pub fn from_algorithm_identifier(
        ai: &AlgorithmIdentifierOwned,
        digest_hint: Option<DigestAlgorithm>,
    ) -> Result<Self, AlgError> {
        use DigestAlgorithm::*;
        // Parameters sit outside the signed bytes: accept only what the standards allow
        // (RSA PKCS#1: NULL or absent, RFC 4055; ECDSA: absent, RFC 5758).
        let null_or_absent = ai
            .parameters
            .as_ref()
            .is_none_or(|p| der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty());
        let ok = match ai.oid {
            oid::SHA1_WITH_RSA
            | oid::SHA256_WITH_RSA
            | oid::SHA384_WITH_RSA
            | oid::SHA512_WITH_RSA
            | oid::SHA3_224_WITH_RSA
            | oid::SHA3_256_WITH_RSA
            | oid::SHA3_384_WITH_RSA
            | oid::SHA3_512_WITH_RSA
            | oid::RSA_ENCRYPTION => null_or_absent,
            oid::ECDSA_WITH_SHA1
            | oid::ECDSA_WITH_SHA256
            | oid::ECDSA_WITH_SHA384
            | oid::ECDSA_WITH_SHA512
            | oid::ECDSA_WITH_SHA3_224
            | oid::ECDSA_WITH_SHA3_256
            | oid::ECDSA_WITH_SHA3_384
            | oid::ECDSA_WITH_SHA3_512 => ai.parameters.is_none(),
            _ => true,
        };
        if !ok {
            return Err(AlgError::Malformed(format!(
                "unexpected parameters for {}",
                ai.oid
            )));
        }
        Ok(match ai.oid {
            oid::SHA1_WITH_RSA => Self::RsaPkcs1(Sha1),
            oid::SHA256_WITH_RSA => Self::RsaPkcs1(Sha256),
            oid::SHA384_WITH_RSA => Self::RsaPkcs1(Sha384),
            oid::SHA512_WITH_RSA => Self::RsaPkcs1(Sha512),
            oid::RSA_ENCRYPTION => {
                Self::RsaPkcs1(digest_hint.ok_or(AlgError::UnsupportedSignature(ai.oid))?)
            }
            oid::ECDSA_WITH_SHA1 => Self::Ecdsa(Sha1),
            oid::ECDSA_WITH_SHA256 => Self::Ecdsa(Sha256),
            oid::ECDSA_WITH_SHA384 => Self::Ecdsa(Sha384),
            oid::ECDSA_WITH_SHA512 => Self::Ecdsa(Sha512),
            oid::SHA3_224_WITH_RSA => Self::RsaPkcs1(Sha3_224),
            oid::SHA3_256_WITH_RSA => Self::RsaPkcs1(Sha3_256),
            oid::SHA3_384_WITH_RSA => Self::RsaPkcs1(Sha3_384),
            oid::SHA3_512_WITH_RSA => Self::RsaPkcs1(Sha3_512),
            oid::ECDSA_WITH_SHA3_224 => Self::Ecdsa(Sha3_224),
            oid::ECDSA_WITH_SHA3_256 => Self::Ecdsa(Sha3_256),
            oid::ECDSA_WITH_SHA3_384 => Self::Ecdsa(Sha3_384),
            oid::ECDSA_WITH_SHA3_512 => Self::Ecdsa(Sha3_512),
            oid::RSASSA_PSS => Self::from_pss_params(ai)?,
            other => return Err(AlgError::UnsupportedSignature(other)),
        })
    }

    fn from_pss_params(ai: &AlgorithmIdentifierOwned) -> Result<Self, AlgError> {
        let any = ai
            .parameters
            .as_ref()
            .ok_or(AlgError::UnsupportedPssParams("parameters absent"))?;
        let der = any
            .to_der()
            .map_err(|e| AlgError::Malformed(e.to_string()))?;
        let p = PssParams::from_der(&der).map_err(|e| AlgError::Malformed(e.to_string()))?;
        let digest = match &p.hash {
            Some(h) => DigestAlgorithm::from_oid(&h.oid)?,
            None => DigestAlgorithm::Sha1,
        };
        let mgf_digest = match &p.mask_gen {
            None => DigestAlgorithm::Sha1,
            Some(m) if m.oid == oid::MGF1 => {
                let inner = m
                    .parameters
                    .as_ref()
                    .ok_or(AlgError::UnsupportedPssParams("MGF1 without hash"))?;
                let inner = inner
                    .decode_as::<AlgorithmIdentifierOwned>()
                    .map_err(|e| AlgError::Malformed(e.to_string()))?;
                DigestAlgorithm::from_oid(&inner.oid)?
            }
            Some(_) => {
                return Err(AlgError::UnsupportedPssParams(
                    "mask generation is not MGF1",
                ));
            }
        };
        if mgf_digest != digest {
            return Err(AlgError::UnsupportedPssParams(
                "MGF1 digest differs from message digest",
            ));
        }
        if p.trailer.unwrap_or(1) != 1 {
            return Err(AlgError::UnsupportedPssParams("trailer field is not 1"));
        }
        Ok(Self::RsaPss {
            digest,
            salt_len: p.salt_len.unwrap_or(20),
        })
    }

    /// The `AlgorithmIdentifier` to put into certificates, CMS and tokens.
    ///
    /// RSA PKCS#1 v1.5 carries NULL parameters (RFC 4055), ECDSA none (RFC 5758).
    pub fn algorithm_identifier(&self) -> Result<AlgorithmIdentifierOwned, AlgError> {
        use DigestAlgorithm::*;
        let null = || der::Any::encode_from(&Null).map_err(|e| AlgError::Malformed(e.to_string()));
        Ok(match *self {
            Self::RsaPkcs1(d) => AlgorithmIdentifierOwned {
                oid: match d {
                    Sha1 => oid::SHA1_WITH_RSA,
                    Sha256 => oid::SHA256_WITH_RSA,
                    Sha384 => oid::SHA384_WITH_RSA,
                    Sha512 => oid::SHA512_WITH_RSA,
                    Sha3_224 => oid::SHA3_224_WITH_RSA,
                    Sha3_256 => oid::SHA3_256_WITH_RSA,
                    Sha3_384 => oid::SHA3_384_WITH_RSA,
                    Sha3_512 => oid::SHA3_512_WITH_RSA,
                },
                parameters: Some(null()?),
            },
            Self::Ecdsa(d) => AlgorithmIdentifierOwned {
                oid: match d {
                    Sha1 => oid::ECDSA_WITH_SHA1,
                    Sha256 => oid::ECDSA_WITH_SHA256,
                    Sha384 => oid::ECDSA_WITH_SHA384,
                    Sha512 => oid::ECDSA_WITH_SHA512,
                    Sha3_224 => oid::ECDSA_WITH_SHA3_224,
                    Sha3_256 => oid::ECDSA_WITH_SHA3_256,
                    Sha3_384 => oid::ECDSA_WITH_SHA3_384,
                    Sha3_512 => oid::ECDSA_WITH_SHA3_512,
                },
                parameters: None,
            },
            Self::RsaPss { digest, salt_len } => {
                let hash = AlgorithmIdentifierOwned {
                    oid: digest.oid(),
                    parameters: None,
                };
                let mgf = AlgorithmIdentifierOwned {
                    oid: oid::MGF1,
                    parameters: Some(
                        der::Any::encode_from(&hash)
                            .map_err(|e| AlgError::Malformed(e.to_string()))?,
                    ),
                };
                let params = PssParams {
                    hash: Some(hash),
                    mask_gen: Some(mgf),
                    salt_len: Some(salt_len),
                    trailer: None,
                };
                AlgorithmIdentifierOwned {
                    oid: oid::RSASSA_PSS,
                    parameters: Some(
                        der::Any::encode_from(&params)
                            .map_err(|e| AlgError::Malformed(e.to_string()))?,
                    ),
                }
            }
        })
    }
}

/// The kind and size of a public key, read from a `SubjectPublicKeyInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKeyKind {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// ECDSA on NIST P-256.
    P256,
    /// ECDSA on NIST P-384.
    P384,
}

impl PublicKeyKind {
    /// Reads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self, AlgError> {
        if let Some(bits) = rsa_encryption_bits(spki_der) {
            return Ok(Self::Rsa { bits });
        }
        let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
            .map_err(|e| AlgError::Malformed(e.to_string()))?;
        Self::from_spki(&spki)
    }

    /// Reads a parsed `SubjectPublicKeyInfo`.
    pub fn from_spki(spki: &spki::SubjectPublicKeyInfoRef<'_>) -> Result<Self, AlgError> {
        match spki.algorithm.oid {
            oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
                let key = spki
                    .subject_public_key
                    .as_bytes()
                    .ok_or(AlgError::Malformed(
                        "RSA key bit string has unused bits".into(),
                    ))?;
                let rsa = RsaPublicKeyRef::from_der(key)
                    .map_err(|e| AlgError::Malformed(e.to_string()))?;
                let n = rsa.modulus.as_bytes();
                let bits = match n.first() {
                    Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
                    None => 0,
                };
                Ok(Self::Rsa { bits })
            }
            oid::EC_PUBLIC_KEY => {
                let curve: Oid = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .ok_or(AlgError::Malformed("EC key without curve".into()))?
                    .decode_as()
                    .map_err(|e: der::Error| AlgError::Malformed(e.to_string()))?;
                match curve {
                    oid::SECP256R1 => Ok(Self::P256),
                    oid::SECP384R1 => Ok(Self::P384),
                    other => Err(AlgError::UnsupportedSignature(other)),
                }
            }
            other => Err(AlgError::UnsupportedSignature(other)),
        }
    }

    /// Whether `alg` can be used with a key of this kind.
    pub fn fits(&self, alg: &SignatureAlgorithm) -> bool {
        matches!(
            (self, alg),
            (
                Self::Rsa { .. },
                SignatureAlgorithm::RsaPkcs1(_) | SignatureAlgorithm::RsaPss { .. }
            ) | (Self::P256 | Self::P384, SignatureAlgorithm::Ecdsa(_))
        )
    }

    /// The signature algorithm kenpo-sign uses by default with this key.
    pub fn default_signature_algorithm(&self) -> SignatureAlgorithm {
        match self {
            Self::Rsa { .. } => SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
            Self::P256 => SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
            Self::P384 => SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha384),
        }
    }

    /// Short name (`RSA-2048`, `P-256`).
    pub fn name(&self) -> String {
        match self {
            Self::Rsa { bits } => format!("RSA-{bits}"),
            Self::P256 => "P-256".into(),
            Self::P384 => "P-384".into(),
        }
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017).
#[derive(Debug, Clone, Copy, Sequence)]
pub struct RsaPublicKeyRef<'a> {
    /// n.
    pub modulus: der::asn1::UintRef<'a>,
    /// e.
    pub public_exponent: der::asn1::UintRef<'a>,
}

/// The modulus size of an `rsaEncryption` key with NULL parameters in strict DER (minimal
/// lengths, positive minimal integers, nothing left over), read in place; `None` for any
/// other key or encoding, which the decoder then reads (and, if need be, rejects).
pub fn rsa_encryption_bits(spki_der: &[u8]) -> Option<usize> {
    use crate::der_span::{Tlv, parse_one, tag};
    const RSA_ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    fn minimal(t: &Tlv<'_>) -> bool {
        let n = t.value.len();
        let len_octets = if n < 0x80 {
            1
        } else {
            1 + (usize::BITS - n.leading_zeros()).div_ceil(8) as usize
        };
        t.raw.len() == 1 + len_octets + n
    }
    fn positive_integer<'a>(t: &Tlv<'a>) -> Option<&'a [u8]> {
        let v = t.value;
        let ok = t.tag == tag::INTEGER
            && minimal(t)
            && match v {
                [first, ..] if first & 0x80 != 0 => false,
                [0, second, ..] => second & 0x80 != 0,
                [0] | [] => false,
                _ => true,
            };
        ok.then(|| v.strip_prefix(&[0]).unwrap_or(v))
    }
    let spki = parse_one(spki_der).ok()?;
    if spki.tag != tag::SEQUENCE || !minimal(&spki) {
        return None;
    }
    let mut r = spki.reader();
    let alg = r.read().ok()?;
    let key = r.read().ok()?;
    if alg.raw != RSA_ALG || key.tag != tag::BIT_STRING || !minimal(&key) || !r.is_empty() {
        return None;
    }
    let rsa = parse_one(key.value.strip_prefix(&[0])?).ok()?;
    if rsa.tag != tag::SEQUENCE || !minimal(&rsa) {
        return None;
    }
    let mut r = rsa.reader();
    let n = positive_integer(&r.read().ok()?)?;
    positive_integer(&r.read().ok()?)?;
    if !r.is_empty() {
        return None;
    }
    let first = n.first()?;
    Some(n.len() * 8 - first.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the decoder alone says of an SPKI (the reference for the in-place read).
    fn decoded(spki_der: &[u8]) -> Result<PublicKeyKind, AlgError> {
        spki::SubjectPublicKeyInfoRef::from_der(spki_der)
            .map_err(|e| AlgError::Malformed(e.to_string()))
            .and_then(|s| PublicKeyKind::from_spki(&s))
    }

    #[test]
    fn rsa_keys_read_in_place_equal_decoded_ones() {
        use crate::der_span::{tag, tlv};
        let alg = tlv(
            tag::SEQUENCE,
            &[&oid::RSA_ENCRYPTION.to_der().unwrap(), &[5, 0]],
        );
        let spki = |modulus: &[u8], exponent: &[u8], extra: &[u8]| {
            let key = tlv(
                tag::SEQUENCE,
                &[
                    &tlv(tag::INTEGER, &[modulus]),
                    &tlv(tag::INTEGER, &[exponent]),
                    extra,
                ],
            );
            tlv(tag::SEQUENCE, &[&alg, &tlv(tag::BIT_STRING, &[&[0], &key])])
        };
        let mut cases = Vec::new();
        for bytes in [1usize, 64, 127, 128, 255, 256, 384, 512] {
            for top in [0x01u8, 0x7f, 0x80, 0xff] {
                let mut m = vec![0xa5; bytes];
                m[0] = top;
                let mut padded = vec![0];
                padded.extend_from_slice(&m);
                cases.push(spki(&m, &[1, 0, 1], &[]));
                cases.push(spki(&padded, &[1, 0, 1], &[]));
                cases.push(spki(&padded, &[0, 1, 0, 1], &[]));
                cases.push(spki(&padded, &[1, 0, 1], &[5, 0]));
                cases.push(spki(&[&[0, 0][..], &m].concat(), &[3], &[]));
            }
        }
        cases.push(spki(&[], &[3], &[]));
        cases.push(spki(&[0], &[3], &[]));
        // A non-minimal length on the outer SEQUENCE, and bytes after it.
        let good = spki(&[&[0][..], &[0xc3; 256]].concat(), &[1, 0, 1], &[]);
        let mut long = vec![0x30, 0x83, 0x00];
        long.extend_from_slice(&good[2..]);
        cases.push(long);
        cases.push([&good[..], &[0]].concat());
        let mut in_place = 0;
        for c in &cases {
            let fast = rsa_encryption_bits(c);
            let reference = decoded(c);
            match (fast, &reference) {
                (Some(bits), Ok(PublicKeyKind::Rsa { bits: b })) => {
                    assert_eq!(bits, *b, "{c:02x?}");
                    in_place += 1;
                }
                (Some(bits), r) => panic!("in place {bits} bits, decoder {r:?}: {c:02x?}"),
                (None, _) => {}
            }
            assert_eq!(PublicKeyKind::from_spki_der(c), reference, "{c:02x?}");
        }
        assert!(in_place >= 32, "only {in_place} keys took the in-place way");
    }

    #[test]
    fn signature_algorithm_names() {
        use DigestAlgorithm::*;
        let pss = |digest| SignatureAlgorithm::RsaPss {
            digest,
            salt_len: 32,
        };
        assert_eq!(SignatureAlgorithm::RsaPkcs1(Sha1).name(), "RSA-PKCS1-SHA1");
        assert_eq!(
            SignatureAlgorithm::RsaPkcs1(Sha256).name(),
            "RSA-PKCS1-SHA256"
        );
        assert_eq!(pss(Sha512).name(), "RSA-PSS-SHA512");
        assert_eq!(SignatureAlgorithm::Ecdsa(Sha384).name(), "ECDSA-SHA384");
        // Every combination: the kind, then the digest's name without its dash.
        for d in [Sha1, Sha256, Sha384, Sha512] {
            let digest = d.name().replace('-', "");
            for (alg, kind) in [
                (SignatureAlgorithm::RsaPkcs1(d), "RSA-PKCS1"),
                (pss(d), "RSA-PSS"),
                (SignatureAlgorithm::Ecdsa(d), "ECDSA"),
            ] {
                assert_eq!(alg.name(), format!("{kind}-{digest}"));
            }
        }
    }

    #[test]
    fn algorithm_identifiers_read_by_bytes_equal_decoded_ones() {
        let oids = [
            oid::SHA256,
            oid::SHA1,
            oid::SHA256_WITH_RSA,
            oid::ECDSA_WITH_SHA384,
            oid::RSA_ENCRYPTION,
            Oid::new_unwrap("1.2.392.200001.99.1"),
        ];
        for o in oids {
            for parameters in [None, Some(der::Any::from(Null))] {
                let raw = AlgorithmIdentifierOwned { oid: o, parameters }
                    .to_der()
                    .unwrap_or_default();
                let decoded = AlgorithmIdentifierOwned::from_der(&raw);
                assert_eq!(algorithm_identifier_from_der(&raw), decoded, "{o}");
                assert!(decoded.is_ok());
                // Truncated or padded encodings are refused as the decoder refuses them.
                assert!(algorithm_identifier_from_der(&raw[..raw.len() - 1]).is_err());
                let mut padded = raw.clone();
                padded.push(0);
                assert!(algorithm_identifier_from_der(&padded).is_err());
            }
        }
        // Other parameters (RSA-PSS) go through the decoder.
        let pss = SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha256,
            salt_len: 32,
        }
        .algorithm_identifier()
        .unwrap_or_else(|e| panic!("{e}"));
        let raw = pss.to_der().unwrap_or_default();
        assert_eq!(algorithm_identifier_from_der(&raw), Ok(pss));
    }

    #[test]
    fn sha3_known_answers_and_names() {
        // FIPS 202 example values for "abc".
        for (alg, hex_prefix) in [
            (
                DigestAlgorithm::Sha3_224,
                "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
            ),
            (
                DigestAlgorithm::Sha3_256,
                "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
            ),
            (
                DigestAlgorithm::Sha3_384,
                "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b2",
            ),
            (
                DigestAlgorithm::Sha3_512,
                "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e",
            ),
        ] {
            let d = alg.digest(b"abc");
            assert_eq!(d.as_bytes().len(), alg.output_len());
            assert!(
                d.to_hex().starts_with(hex_prefix),
                "{alg:?}: {}",
                d.to_hex()
            );
            assert_eq!(DigestAlgorithm::from_oid(&alg.oid()), Ok(alg));
            assert_eq!(DigestAlgorithm::from_name(alg.name()), Some(alg));
        }
        // The signature algorithm OIDs of the NIST arc round-trip.
        for d in [
            DigestAlgorithm::Sha3_224,
            DigestAlgorithm::Sha3_256,
            DigestAlgorithm::Sha3_384,
            DigestAlgorithm::Sha3_512,
        ] {
            for alg in [
                SignatureAlgorithm::RsaPkcs1(d),
                SignatureAlgorithm::Ecdsa(d),
            ] {
                let ai = alg.algorithm_identifier().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    SignatureAlgorithm::from_algorithm_identifier(&ai, None),
                    Ok(alg)
                );
                assert!(alg.name().ends_with(d.name()), "{}", alg.name());
            }
        }
    }

    #[test]
    fn digest_known_answer() {
        let d = DigestAlgorithm::Sha256.digest(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            DigestAlgorithm::from_name("SHA-384"),
            Some(DigestAlgorithm::Sha384)
        );
    }

    #[test]
    fn signature_algorithm_identifiers_round_trip() {
        for alg in [
            SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
            SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha512),
            SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha256,
                salt_len: 32,
            },
            SignatureAlgorithm::RsaPss {
                digest: DigestAlgorithm::Sha384,
                salt_len: 48,
            },
            SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha384),
        ] {
            let ai = alg.algorithm_identifier().unwrap_or_else(|e| panic!("{e}"));
            let der = ai.to_der().unwrap_or_default();
            let back = AlgorithmIdentifierOwned::from_der(&der).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                SignatureAlgorithm::from_algorithm_identifier(&back, None),
                Ok(alg)
            );
        }
    }

    #[test]
    fn parameters_outside_the_signature_are_checked() {
        let junk = der::Any::new(der::Tag::OctetString, [1u8, 2].as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        for o in [oid::SHA256_WITH_RSA, oid::ECDSA_WITH_SHA256] {
            let ai = AlgorithmIdentifierOwned {
                oid: o,
                parameters: Some(junk.clone()),
            };
            assert!(
                SignatureAlgorithm::from_algorithm_identifier(&ai, None).is_err(),
                "{o}"
            );
        }
        let ecdsa_null = AlgorithmIdentifierOwned {
            oid: oid::ECDSA_WITH_SHA256,
            parameters: Some(der::Any::from(Null)),
        };
        assert!(SignatureAlgorithm::from_algorithm_identifier(&ecdsa_null, None).is_err());
        let rsa_absent = AlgorithmIdentifierOwned {
            oid: oid::SHA256_WITH_RSA,
            parameters: None,
        };
        assert!(SignatureAlgorithm::from_algorithm_identifier(&rsa_absent, None).is_ok());
    }

    #[test]
    fn rsa_encryption_needs_digest_hint() {
        let ai = AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: None,
        };
        assert!(SignatureAlgorithm::from_algorithm_identifier(&ai, None).is_err());
        assert_eq!(
            SignatureAlgorithm::from_algorithm_identifier(&ai, Some(DigestAlgorithm::Sha384)),
            Ok(SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384))
        );
    }
}
