//! # kenpo-testpki
//!
//! A complete, reproducible **test-only** PKI modelled on the real HPKI
//! (保健医療福祉分野PKI) profile, for the tests of every kenpo-sign crate and for
//! `kenpo-sign testpki` / `kenpo-sign demo`.
//!
//! [`generate`] builds three hierarchies from a [`Config`]:
//!
//! * **HPKI**: `root-ca` (MHLW-style root, no policies) → `hpki-sign-ca` (critical policy
//!   `1.2.392.100495.1.5.1.1.3.1`) → `hpki-signer` (critical policy `…1.1.0.1`, keyUsage
//!   critical nonRepudiation only, hcRole "Medical Doctor", kanji subjectAltName, CRL only)
//!   and negative variants; `root-ca` → `hpki-auth-ca` → `hpki-auth` (authentication branch);
//! * **accredited certification business** (認定特定認証事業者): `accredited-root` (P-384) →
//!   `accredited-ca` (P-256) → `accredited-signer*` (AIA with OCSP) and `ocsp-responder`;
//! * **time stamping**: `tsa-ca` → `tsa` (critical EKU timeStamping) and variants.
//!
//! plus v2 CRLs of every CA (the root's is an ARL with a critical issuingDistributionPoint,
//! as MHLW's is). See [`TestPki::entities`] for the full list with descriptions.
//!
//! The same `Config` always yields byte-identical certificates, keys and CRLs: keys come
//! from a ChaCha20 RNG seeded from `(seed, entity name)`, signatures are deterministic
//! (RSASSA-PKCS1-v1_5, RFC 6979 ECDSA), serial numbers are derived from entity names and all
//! times from [`Config::now`]. Generated keys are cached per process, so building the PKI
//! again with other URLs or another time is cheap.
//!
//! **All private keys are for tests only and are effectively public.**
//!
//! ```no_run
//! # fn main() -> Result<(), kenpo_testpki::Error> {
//! let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())?;
//! let signer = pki.entity("hpki-signer")?;
//! assert_eq!(signer.issuer.as_deref(), Some("hpki-sign-ca"));
//! let crl = pki.crl("hpki-sign-ca")?;
//! # let _ = crl;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod cert;
mod config;
mod crl;
mod entities;
mod error;
pub mod hcrole;
mod keys;
mod pem;
mod profile;
pub mod service;
mod write;

use std::path::{Path, PathBuf};

use time::{OffsetDateTime, UtcOffset};

pub use config::{
    Config, DEFAULT_CA_ISSUERS_BASE_URL, DEFAULT_CRL_BASE_URL, DEFAULT_OCSP_URL, DEFAULT_SEED,
};
pub use entities::{ACCREDITED_CA_POLICY, ACCREDITED_SIGNER_POLICY};
pub use error::Error;
pub use keys::KeyAlg;

/// One certificate holder of the test PKI: a CA, signer, TSA or OCSP responder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Stable name, e.g. `hpki-signer`; also the base of its file names.
    pub name: String,
    /// One line of English saying what the entity is for.
    pub description: String,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
    /// The private key as PKCS#8 `PrivateKeyInfo` DER (TEST ONLY).
    pub key_pkcs8_der: Vec<u8>,
    /// Name of the issuing entity; `None` for self-signed roots.
    pub issuer: Option<String>,
    /// Key algorithm and size.
    pub key_alg: KeyAlg,
}

impl Entity {
    /// The certificate as PEM (`CERTIFICATE`).
    pub fn cert_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.cert_der)
    }

    /// The private key as PKCS#8 PEM (`PRIVATE KEY`). TEST ONLY.
    pub fn key_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.key_pkcs8_der)
    }

    /// The certificate parsed with `x509-cert`.
    pub fn certificate(&self) -> Result<x509_cert::Certificate, Error> {
        Ok(der::Decode::from_der(&self.cert_der)?)
    }
}

/// A CRL issued by one of the CAs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl {
    /// Name of the issuing entity (the CRL is published as `<issuer>.crl`).
    pub issuer: String,
    /// The CRL (DER).
    pub der: Vec<u8>,
}

/// A revoked certificate, as listed on its issuer's CRL (for OCSP responders in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Name of the issuing CA entity.
    pub issuer: String,
    /// Name of the revoked entity.
    pub subject: String,
    /// Serial number: big-endian, minimal, exactly as in the certificate.
    pub serial: Vec<u8>,
    /// revocationDate.
    pub time: OffsetDateTime,
    /// CRLReason code (RFC 5280 §5.3.1), e.g. 1 = keyCompromise.
    pub reason: Option<u8>,
}

/// The generated test PKI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestPki {
    config: Config,
    now: OffsetDateTime,
    entities: Vec<Entity>,
    crls: Vec<Crl>,
    revoked: Vec<Revocation>,
}

impl TestPki {
    /// The entity called `name`, or [`Error::UnknownEntity`].
    pub fn entity(&self, name: &str) -> Result<&Entity, Error> {
        self.entities
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| Error::UnknownEntity(name.to_owned()))
    }

    /// All entities in a stable order, issuers before what they issue.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// All CRLs in a stable order.
    pub fn crls(&self) -> &[Crl] {
        &self.crls
    }

    /// The CRL issued by entity `issuer`, or [`Error::UnknownCrl`].
    pub fn crl(&self, issuer: &str) -> Result<&Crl, Error> {
        self.crls
            .iter()
            .find(|c| c.issuer == issuer)
            .ok_or_else(|| Error::UnknownCrl(issuer.to_owned()))
    }

    /// Every revoked certificate (each is also on its issuer's CRL).
    pub fn revoked(&self) -> &[Revocation] {
        &self.revoked
    }

    /// The configuration this PKI was generated from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The reference time actually used: [`Config::now`] in UTC, truncated to the second.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// Writes the PKI to `dir` (created if missing) and returns the files written:
    /// `<name>.pem`, `<name>.der`, `<name>.key.pem` per entity, `<issuer>.crl` (DER) per CRL,
    /// and `KEYS-ARE-TEST-ONLY.txt`. Private keys are created with mode 0600 (Unix).
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        write::write_to(self, dir)
    }
}

/// Generates the test PKI described by `config`.
pub fn generate(config: &Config) -> Result<TestPki, Error> {
    let now = config
        .now
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|_| Error::TimeOutOfRange(config.now))?;
    let specs = entities::specs();
    let key_list: Vec<_> = specs.iter().map(|s| (s.name, s.key)).collect();
    keys::prewarm(config.seed, &key_list)?;

    let mut issued: Vec<cert::Issued> = Vec::with_capacity(specs.len());
    let mut entities = Vec::with_capacity(specs.len());
    let mut revoked = Vec::new();
    for spec in &specs {
        let key = keys::key_for(config.seed, spec.name, spec.key)?;
        let issuer = match spec.issuer {
            None => None,
            Some(name) => Some(find(&issued, name)?),
        };
        let cert = cert::issue(spec, config, now, key, issuer)?;
        if let (Some((offset, reason)), Some(issuer)) = (spec.revoked, spec.issuer) {
            revoked.push(Revocation {
                issuer: issuer.to_owned(),
                subject: spec.name.to_owned(),
                serial: cert.serial.clone(),
                time: now + offset,
                reason: Some(reason),
            });
        }
        entities.push(Entity {
            name: spec.name.to_owned(),
            description: spec.description.to_owned(),
            cert_der: cert.cert_der.clone(),
            key_pkcs8_der: cert.key.pkcs8_der()?,
            issuer: spec.issuer.map(str::to_owned),
            key_alg: spec.key,
        });
        issued.push(cert);
    }

    let mut crls = Vec::with_capacity(entities::CRL_ISSUERS.len());
    for (name, arl) in entities::CRL_ISSUERS {
        let issuer = find(&issued, name)?;
        let on_this_crl: Vec<&Revocation> = revoked.iter().filter(|r| r.issuer == *name).collect();
        crls.push(Crl {
            issuer: (*name).to_owned(),
            der: crl::issue_crl(issuer, config, now, &on_this_crl, *arl)?,
        });
    }

    Ok(TestPki {
        config: config.clone(),
        now,
        entities,
        crls,
        revoked,
    })
}

fn find<'a>(issued: &'a [cert::Issued], name: &str) -> Result<&'a cert::Issued, Error> {
    issued
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| Error::Table(format!("issuer {name} is not issued before its subjects")))
}
