//! The CAs of a [`TestPki`] as the service sees them: keys, names, the serial numbers they
//! issued, their OCSP responders and CRL numbers.

use std::sync::{Arc, Mutex, PoisonError};

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::Encode;
use sha2::Digest;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_ocsp::CertId;

use crate::cert::Issued;
use crate::crl::THIS_UPDATE_BEFORE;
use crate::entities::{self, CRL_ISSUERS, Kind};
use crate::keys::{self, PrivateKey};
use crate::{Error, TestPki, profile};

/// Who signs the OCSP responses of one CA.
pub(super) struct Responder {
    /// The signing key.
    pub key: Arc<PrivateKey>,
    /// The signer's certificate, included in every response.
    pub cert: Certificate,
    /// SHA-1 of the signer's subjectPublicKey (ResponderID byKey).
    pub key_hash: Vec<u8>,
}

/// One CA of the test PKI.
pub(super) struct Authority {
    /// What CRL issuing needs (name, key, subject, key identifier, certificate).
    pub issued: Issued,
    /// DER of the CA's subject name (hashed in CertIDs).
    pub subject_der: Vec<u8>,
    /// The CA's subjectPublicKey bits (hashed in CertIDs).
    pub key_bits: Vec<u8>,
    /// `Some(is_arl)` when the CA publishes a CRL.
    pub crl: Option<bool>,
    /// The OCSP signer.
    pub responder: Responder,
    /// Serial numbers (minimal big-endian) of the certificates this CA issued.
    pub serials: Vec<Vec<u8>>,
    /// The last cRLNumber used (starts at the static CRL's).
    crl_number: Mutex<u64>,
}

impl Authority {
    /// Whether `id` names this CA (issuerNameHash and issuerKeyHash, with a supported hash).
    pub fn matches(&self, id: &CertId) -> bool {
        let (Some(name), Some(key)) = (
            digest(&id.hash_algorithm.oid, &self.subject_der),
            digest(&id.hash_algorithm.oid, &self.key_bits),
        ) else {
            return false;
        };
        name == id.issuer_name_hash.as_bytes() && key == id.issuer_key_hash.as_bytes()
    }

    /// The next cRLNumber for a CRL issued at `this_update`: its Unix time, or one more
    /// than the last number if that is not larger, so numbers always increase.
    pub fn next_crl_number(&self, this_update: OffsetDateTime) -> u64 {
        let mut last = self
            .crl_number
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let secs = u64::try_from(this_update.unix_timestamp()).unwrap_or(0);
        *last = secs.max(last.saturating_add(1));
        *last
    }
}

/// The hash of `data` with the CertID hash algorithm `alg`, if supported.
fn digest(alg: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    Some(match *alg {
        rfc5912::ID_SHA_1 => sha1::Sha1::digest(data).to_vec(),
        rfc5912::ID_SHA_256 => sha2::Sha256::digest(data).to_vec(),
        rfc5912::ID_SHA_384 => sha2::Sha384::digest(data).to_vec(),
        rfc5912::ID_SHA_512 => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

/// The static name of entity `name` in the built-in table.
fn static_name(name: &str) -> Result<&'static str, Error> {
    entities::specs()
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.name)
        .ok_or_else(|| Error::UnknownEntity(name.to_owned()))
}

/// The delegated OCSP responder of CA `ca`, if the table has one.
fn delegated_responder(ca: &str) -> Option<&'static str> {
    entities::specs()
        .iter()
        .find(|s| matches!(s.kind, Kind::OcspResponder) && s.issuer == Some(ca))
        .map(|s| s.name)
}

fn key_of(pki: &TestPki, name: &str) -> Result<Arc<PrivateKey>, Error> {
    let entity = pki.entity(name)?;
    keys::key_for(pki.config().seed, name, entity.key_alg)
}

fn responder(pki: &TestPki, name: &'static str) -> Result<Responder, Error> {
    let cert = pki.entity(name)?.certificate()?;
    let key_hash = profile::key_id(&cert.tbs_certificate.subject_public_key_info);
    Ok(Responder {
        key: key_of(pki, name)?,
        cert,
        key_hash,
    })
}

/// Every entity of `pki` that issues certificates, in table order.
pub(super) fn authorities(pki: &TestPki) -> Result<Vec<Authority>, Error> {
    let static_crl_number = u64::try_from((pki.now() - THIS_UPDATE_BEFORE).unix_timestamp())
        .map_err(|_| Error::TimeOutOfRange(pki.now()))?;
    let mut out = Vec::new();
    for ca in pki.entities() {
        let issued_by_ca: Vec<_> = pki
            .entities()
            .iter()
            .filter(|e| e.issuer.as_deref() == Some(ca.name.as_str()))
            .collect();
        if issued_by_ca.is_empty() {
            continue;
        }
        let name = static_name(&ca.name)?;
        let cert = ca.certificate()?;
        let tbs = &cert.tbs_certificate;
        let mut serials = Vec::with_capacity(issued_by_ca.len());
        for e in issued_by_ca {
            serials.push(
                e.certificate()?
                    .tbs_certificate
                    .serial_number
                    .as_bytes()
                    .to_vec(),
            );
        }
        let key = key_of(pki, name)?;
        let responder = match delegated_responder(name) {
            Some(r) => responder(pki, r)?,
            None => Responder {
                key: Arc::clone(&key),
                cert: cert.clone(),
                key_hash: profile::key_id(&tbs.subject_public_key_info),
            },
        };
        out.push(Authority {
            issued: Issued {
                name,
                key,
                subject: tbs.subject.clone(),
                key_id: profile::key_id(&tbs.subject_public_key_info),
                serial: tbs.serial_number.as_bytes().to_vec(),
                cert_der: ca.cert_der.clone(),
            },
            subject_der: tbs.subject.to_der()?,
            key_bits: tbs
                .subject_public_key_info
                .subject_public_key
                .raw_bytes()
                .to_vec(),
            crl: CRL_ISSUERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, arl)| *arl),
            responder,
            serials,
            crl_number: Mutex::new(static_crl_number),
        });
    }
    Ok(out)
}
