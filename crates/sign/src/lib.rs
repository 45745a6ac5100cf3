//! # kenpo-sign — CAdES signing
//!
//! This crate will create CAdES signatures (ETSI EN 319 122-1) for rule 27-1: a document
//! signed with an HPKI or accredited-CA certificate, an RFC 3161 time-stamp over the
//! signature, and the certificate valid at the time-stamp's genTime.
//!
//! Modules: [`signer`] (PEM/PKCS#8, PKCS#12, PKCS#11 via `cryptoki`, external callback —
//! all behind [`Signer`]), [`pades`] (PAdES B-B/B-T: the CAdES engine's detached CMS over
//! a PDF's `/ByteRange`, written as an incremental update by `kenpo_pdf`), [`xades`] (XAdES
//! B-B/B-T, enveloped in an XML document or detached, written by `kenpo_xml`), [`cades`] (B-B, B-T building on
//! `kenpo_core::cms::SignerInfoBuilder` and `kenpo_tsa::client`), [`profile`] (HPKI rules),
//! [`audit`] (JSON-lines audit log).
#![forbid(unsafe_code)]

pub mod audit;
pub mod cades;
pub mod pades;
pub mod profile;
pub mod signer;
pub mod xades;

use kenpo_core::crypto::SigningKey;

/// CAdES baseline levels (ETSI EN 319 122-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// B-B: basic signature.
    BB,
    /// B-T: with a signature time-stamp.
    BT,
    /// B-LT: with validation data.
    BLT,
    /// B-LTA: with archive time-stamps.
    BLTA,
}

/// Which certificates are acceptable for rule-27 signatures (default: [`Profile::Any`],
/// the trust anchors alone decide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// HPKI (保健医療福祉分野PKI) signature certificates only.
    Hpki,
    /// Certificates of accredited certification businesses (認定特定認証事業者).
    Accredited,
    /// Any certificate that validates.
    #[default]
    Any,
}

/// Something that signs: a private key and the certificate chain that goes with it.
pub trait Signer: Send + Sync {
    /// The key that signs digests (software key, PKCS#11 token key, remote key).
    fn key(&self) -> &dyn SigningKey;
    /// The signer's certificate (DER).
    fn certificate(&self) -> &[u8];
    /// Intermediate certificates to embed (DER), signer's issuer first.
    fn chain(&self) -> &[Vec<u8>];
}
