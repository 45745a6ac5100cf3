//! Builders for the X.509 extensions used by the test PKI.
//!
//! Each function returns a ready [`Extension`] with the criticality chosen by the caller
//! or fixed by the profile, so the entity table decides everything explicitly.

use const_oid::db::rfc4519;
use const_oid::db::rfc5280 as ids;
use der::asn1::{Ia5String, Null, ObjectIdentifier, OctetString};
use der::flagset::FlagSet;
use der::{Encode, Tag};
use kenpo_core::oid;
use sha1::{Digest, Sha1};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityKeyIdentifier, BasicConstraints, IssuingDistributionPoint,
    KeyUsage, KeyUsages,
};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::{Error, hcrole};

/// An extension with DER-encoded `value`.
pub(crate) fn ext<T: Encode>(
    extn_id: ObjectIdentifier,
    critical: bool,
    value: &T,
) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// RFC 5280 method-1 key identifier: SHA-1 of the subjectPublicKey BIT STRING contents.
pub(crate) fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

/// subjectKeyIdentifier (non-critical).
pub(crate) fn subject_key_id(key_id: &[u8]) -> Result<Extension, Error> {
    ext(
        ids::ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &OctetString::new(key_id)?,
    )
}

/// authorityKeyIdentifier with keyIdentifier only (non-critical).
pub(crate) fn authority_key_id(key_id: &[u8]) -> Result<Extension, Error> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id)?),
        ..Default::default()
    };
    ext(ids::ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &aki)
}

/// basicConstraints critical cA=TRUE with an optional pathLenConstraint.
pub(crate) fn ca_basic_constraints(path_len: Option<u8>) -> Result<Extension, Error> {
    let bc = BasicConstraints {
        ca: true,
        path_len_constraint: path_len,
    };
    ext(ids::ID_CE_BASIC_CONSTRAINTS, true, &bc)
}

/// keyUsage (always critical here, as in HPKI).
pub(crate) fn key_usage(usages: FlagSet<KeyUsages>) -> Result<Extension, Error> {
    ext(ids::ID_CE_KEY_USAGE, true, &KeyUsage(usages))
}

/// extKeyUsage with the given purposes.
pub(crate) fn ext_key_usage(
    purposes: &[ObjectIdentifier],
    critical: bool,
) -> Result<Extension, Error> {
    ext(ids::ID_CE_EXT_KEY_USAGE, critical, &purposes.to_vec())
}

/// certificatePolicies with one policy and no qualifiers.
pub(crate) fn certificate_policy(
    policy: ObjectIdentifier,
    critical: bool,
) -> Result<Extension, Error> {
    let policies = vec![PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: None,
    }];
    ext(ids::ID_CE_CERTIFICATE_POLICIES, critical, &policies)
}

fn uri(url: &str) -> Result<GeneralName, Error> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(url)?))
}

/// cRLDistributionPoints with one distribution point holding one HTTP URI (non-critical).
pub(crate) fn crl_distribution_point(url: &str) -> Result<Extension, Error> {
    let dps = vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
        reasons: None,
        crl_issuer: None,
    }];
    ext(ids::ID_CE_CRL_DISTRIBUTION_POINTS, false, &dps)
}

/// authorityInfoAccess with an OCSP URL and a caIssuers URL (non-critical).
pub(crate) fn authority_info_access(ocsp: &str, ca_issuers: &str) -> Result<Extension, Error> {
    let aia = vec![
        AccessDescription {
            access_method: ids::ID_AD_OCSP,
            access_location: uri(ocsp)?,
        },
        AccessDescription {
            access_method: ids::ID_AD_CA_ISSUERS,
            access_location: uri(ca_issuers)?,
        },
    ];
    ext(ids::ID_PE_AUTHORITY_INFO_ACCESS, false, &aia)
}

/// id-pkix-ocsp-nocheck (value NULL, non-critical).
pub(crate) fn ocsp_nocheck() -> Result<Extension, Error> {
    ext(oid::OCSP_NOCHECK, false, &Null)
}

/// subjectAltName with one directoryName (non-critical).
pub(crate) fn san_directory_name(name: Name) -> Result<Extension, Error> {
    ext(
        ids::ID_CE_SUBJECT_ALT_NAME,
        false,
        &vec![GeneralName::DirectoryName(name)],
    )
}

/// subjectDirectoryAttributes carrying hcRole with one HCActor per role (non-critical).
pub(crate) fn hc_roles(roles: &[&str]) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: ids::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES,
        critical: false,
        extn_value: OctetString::new(hcrole::sda_with_hc_roles(roles)?)?,
    })
}

/// issuingDistributionPoint (critical) with a fullName URI, optionally onlyContainsCACerts.
///
/// Encoded under the correct OID 2.5.29.28 (x509-cert 0.2.5's `AsExtension` impl for
/// `IssuingDistributionPoint` uses a wrong OID, so it is not used).
pub(crate) fn issuing_distribution_point(
    url: &str,
    only_ca_certs: bool,
) -> Result<Extension, Error> {
    let idp = IssuingDistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
        only_contains_user_certs: false,
        only_contains_ca_certs: only_ca_certs,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    ext(ids::ID_CE_ISSUING_DISTRIBUTION_POINT, true, &idp)
}

/// A `Name` from `(attribute type, value)` pairs, most significant first; one attribute per
/// RDN. `countryName` is a PrintableString, everything else a UTF8String (so kanji work).
pub(crate) fn name(parts: &[(ObjectIdentifier, &str)]) -> Result<Name, Error> {
    let mut rdns = Vec::with_capacity(parts.len());
    for (oid, value) in parts {
        let tag = if *oid == rfc4519::COUNTRY_NAME {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        let atv = AttributeTypeAndValue {
            oid: *oid,
            value: der::asn1::Any::new(tag, value.as_bytes())?,
        };
        rdns.push(RelativeDistinguishedName::try_from(vec![atv])?);
    }
    Ok(RdnSequence(rdns))
}
