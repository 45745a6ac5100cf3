//! Issuing one certificate from its [`Spec`].

use std::sync::Arc;

use const_oid::db::rfc4519;
use der::Encode;
use der::asn1::{BitString, GeneralizedTime, UtcTime};
use kenpo_core::oid;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::entities::{ACCREDITED_SIGNER_POLICY, HOSPITAL_KANJI, Kind, Spec};
use crate::keys::PrivateKey;
use crate::{Config, Error, profile};

/// A certificate issued by the generator, with what its children need.
pub(crate) struct Issued {
    pub name: &'static str,
    pub key: Arc<PrivateKey>,
    pub subject: Name,
    pub key_id: Vec<u8>,
    pub serial: Vec<u8>,
    pub cert_der: Vec<u8>,
}

/// An X.509 `Time`: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
pub(crate) fn x509_time(t: OffsetDateTime) -> Result<Time, Error> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| Error::TimeOutOfRange(t))?;
    let since_epoch = std::time::Duration::from_secs(secs);
    Ok(if t.year() < 2050 {
        Time::UtcTime(UtcTime::from_unix_duration(since_epoch)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_unix_duration(since_epoch)?)
    })
}

/// The serial number of entity `name`: 72 bits from SHA-256 of the name, positive and
/// minimal (first octet in 0x40..=0x7f), so it is fixed across runs and seeds.
pub(crate) fn serial_for(name: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"kenpo-testpki serial v1\0");
    h.update(name.as_bytes());
    let mut serial = h.finalize()[..9].to_vec();
    if let Some(first) = serial.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    serial
}

/// `C=JP, O=org, OU=TEST ONLY, CN=cn`.
fn subject(org: &str, cn: &str) -> Result<Name, Error> {
    profile::name(&[
        (rfc4519::COUNTRY_NAME, "JP"),
        (rfc4519::ORGANIZATION_NAME, org),
        (rfc4519::ORGANIZATIONAL_UNIT_NAME, "TEST ONLY"),
        (rfc4519::COMMON_NAME, cn),
    ])
}

/// The profile-specific extensions (everything but SKI/AKI).
fn profile_extensions(spec: &Spec, config: &Config) -> Result<Vec<Extension>, Error> {
    let issuer = || {
        spec.issuer
            .ok_or_else(|| Error::Table(format!("{} needs an issuer", spec.name)))
    };
    let crl_dp = || profile::crl_distribution_point(&config.crl_url(issuer()?));
    let ca_usages = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
    let signing_usages = KeyUsages::DigitalSignature | KeyUsages::NonRepudiation;
    let mut exts = Vec::new();
    match &spec.kind {
        Kind::Root => {
            exts.push(profile::ca_basic_constraints(None)?);
            exts.push(profile::key_usage(ca_usages)?);
        }
        Kind::SubCa { policy } => {
            exts.push(profile::ca_basic_constraints(Some(0))?);
            exts.push(profile::key_usage(ca_usages)?);
            if let Some((policy, critical)) = policy {
                exts.push(profile::certificate_policy(*policy, *critical)?);
            }
            exts.push(crl_dp()?);
        }
        Kind::Hpki {
            policy,
            usages,
            roles,
            kanji_cn,
        } => {
            exts.push(profile::key_usage(*usages)?);
            exts.push(profile::certificate_policy(*policy, true)?);
            exts.push(profile::san_directory_name(profile::name(&[
                (rfc4519::COUNTRY_NAME, "JP"),
                (rfc4519::ORGANIZATION_NAME, HOSPITAL_KANJI),
                (rfc4519::COMMON_NAME, kanji_cn),
            ])?)?);
            if !roles.is_empty() {
                exts.push(profile::hc_roles(roles)?);
            }
            exts.push(crl_dp()?);
        }
        Kind::Accredited => {
            exts.push(profile::key_usage(signing_usages)?);
            exts.push(profile::certificate_policy(
                ACCREDITED_SIGNER_POLICY,
                false,
            )?);
            exts.push(crl_dp()?);
            exts.push(profile::authority_info_access(
                &config.ocsp_url,
                &config.ca_issuers_url(issuer()?),
            )?);
        }
        Kind::OcspResponder => {
            exts.push(profile::key_usage(KeyUsages::DigitalSignature.into())?);
            exts.push(profile::ext_key_usage(&[oid::KP_OCSP_SIGNING], true)?);
            exts.push(profile::ocsp_nocheck()?);
        }
        Kind::Tsa { eku_critical } => {
            exts.push(profile::key_usage(signing_usages)?);
            if let Some(critical) = eku_critical {
                exts.push(profile::ext_key_usage(&[oid::KP_TIME_STAMPING], *critical)?);
            }
            exts.push(crl_dp()?);
        }
    }
    Ok(exts)
}

/// Issues the certificate of `spec` for `key`, signed by `issuer` (self-signed if `None`).
pub(crate) fn issue(
    spec: &Spec,
    config: &Config,
    now: OffsetDateTime,
    key: Arc<PrivateKey>,
    issuer: Option<&Issued>,
) -> Result<Issued, Error> {
    let subject = subject(spec.org, spec.cn)?;
    let spki = key.spki()?;
    let key_id = profile::key_id(&spki);
    let (issuer_name, issuer_key, issuer_key_id) = match issuer {
        Some(i) => (i.subject.clone(), Arc::clone(&i.key), i.key_id.clone()),
        None => (subject.clone(), Arc::clone(&key), key_id.clone()),
    };
    let digest = spec.digest.unwrap_or(issuer_key.default_digest());
    let signature_algorithm = issuer_key.signature_algorithm(digest)?;

    let mut extensions = vec![
        profile::subject_key_id(&key_id)?,
        profile::authority_key_id(&issuer_key_id)?,
    ];
    extensions.extend(profile_extensions(spec, config)?);

    let serial = serial_for(spec.name);
    let (not_before, not_after) = spec.validity;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial)?,
        signature: signature_algorithm.clone(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(now + not_before)?,
            not_after: x509_time(now + not_after)?,
        },
        subject: subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let signature = issuer_key.sign(digest, &tbs.to_der()?)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(Issued {
        name: spec.name,
        key,
        subject,
        key_id,
        serial,
        cert_der: cert.to_der()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_minimal_and_distinct() {
        let a = serial_for("hpki-signer");
        let b = serial_for("hpki-signer-revoked");
        assert_eq!(a.len(), 9);
        assert!((0x40..=0x7f).contains(&a[0]));
        assert_ne!(a, b);
    }

    #[test]
    fn times_switch_to_generalized_in_2050() -> Result<(), Error> {
        let t2049 = time::macros::datetime!(2049-12-31 23:59:59 UTC);
        let t2050 = time::macros::datetime!(2050-01-01 00:00:00 UTC);
        assert!(matches!(x509_time(t2049)?, Time::UtcTime(_)));
        assert!(matches!(x509_time(t2050)?, Time::GeneralTime(_)));
        assert!(x509_time(time::macros::datetime!(1969-01-01 00:00:00 UTC)).is_err());
        Ok(())
    }
}
