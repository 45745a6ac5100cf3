//! Issuing the CRLs of the test PKI.

use const_oid::db::rfc5280 as ids;
use der::asn1::{Any, BitString, Uint};
use der::{Encode, Tag};
use time::{Duration, OffsetDateTime};
use x509_cert::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::serial_number::SerialNumber;

use crate::cert::{Issued, x509_time};
use crate::{Config, Error, Revocation, profile};

/// thisUpdate is this long before the reference time.
pub(crate) const THIS_UPDATE_BEFORE: Duration = Duration::hours(1);
/// nextUpdate is this long after the reference time.
pub(crate) const NEXT_UPDATE_AFTER: Duration = Duration::days(7);

/// The times and number of one CRL.
pub(crate) struct CrlTimes {
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// cRLNumber.
    pub number: u64,
}

/// Builds and signs the v2 CRL of `issuer` listing the `revoked` entries issued by it.
///
/// CRL extensions: authorityKeyIdentifier, cRLNumber (= thisUpdate in Unix seconds, so it
/// grows with the reference time) and, for an ARL, a critical issuingDistributionPoint
/// with the CRL's own URL as fullName and onlyContainsCACerts.
pub(crate) fn issue_crl(
    issuer: &Issued,
    config: &Config,
    now: OffsetDateTime,
    revoked: &[&Revocation],
    arl: bool,
) -> Result<Vec<u8>, Error> {
    let this_update = now - THIS_UPDATE_BEFORE;
    let number = u64::try_from(this_update.unix_timestamp())
        .map_err(|_| Error::TimeOutOfRange(this_update))?;
    let times = CrlTimes {
        this_update,
        next_update: now + NEXT_UPDATE_AFTER,
        number,
    };
    issue_crl_at(issuer, config, &times, revoked, arl)
}

/// As [`issue_crl`] with the given thisUpdate, nextUpdate and cRLNumber (for services
/// issuing fresh CRLs on request).
pub(crate) fn issue_crl_at(
    issuer: &Issued,
    config: &Config,
    times: &CrlTimes,
    revoked: &[&Revocation],
    arl: bool,
) -> Result<Vec<u8>, Error> {
    let digest = issuer.key.default_digest();
    let signature_algorithm = issuer.key.signature_algorithm(digest)?;

    let mut entries = Vec::with_capacity(revoked.len());
    for r in revoked {
        let crl_entry_extensions = match r.reason {
            Some(code) => Some(vec![profile::ext(
                ids::ID_CE_CRL_REASONS,
                false,
                &Any::new(Tag::Enumerated, [code])?,
            )?]),
            None => None,
        };
        entries.push(RevokedCert {
            serial_number: SerialNumber::new(&r.serial)?,
            revocation_date: x509_time(r.time)?,
            crl_entry_extensions,
        });
    }

    let mut extensions = vec![
        profile::authority_key_id(&issuer.key_id)?,
        profile::ext(
            ids::ID_CE_CRL_NUMBER,
            false,
            &Uint::new(&times.number.to_be_bytes())?,
        )?,
    ];
    if arl {
        extensions.push(profile::issuing_distribution_point(
            &config.crl_url(issuer.name),
            true,
        )?);
    }

    let tbs = TbsCertList {
        version: Version::V2,
        signature: signature_algorithm.clone(),
        issuer: issuer.subject.clone(),
        this_update: x509_time(times.this_update)?,
        next_update: Some(x509_time(times.next_update)?),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(extensions),
    };
    let signature = issuer.key.sign(digest, &tbs.to_der()?)?;
    let crl = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(crl.to_der()?)
}
