//! Signer-certificate profiles for rule-27 signatures, and what the certificate says about
//! its holder.
//!
//! [`check_profile`] decides whether a certificate may sign under a [`Profile`] and returns
//! a [`SignerInfoSummary`] (subject, hcRole qualifications, policies, validity, key usage)
//! that the CLI shows before signing and the verification report reuses.
//!
//! | profile | rules |
//! |---|---|
//! | [`Profile::Hpki`] | a certificate policy under `1.2.392.100495.1.5.1.1.` (HPKI signature); none under `1.2.392.100495.1.5.1.2.` (HPKI authentication); keyUsage present with nonRepudiation (HPKI signer certificates carry nothing else); not a CA; a readable hcRole (zero, one or several qualifications) |
//! | [`Profile::Accredited`] | keyUsage present with nonRepudiation or digitalSignature; a certificatePolicies extension; not a CA |
//! | [`Profile::Any`] | none (the certificate must still parse) |
//!
//! ## hcRole (ISO/TS 17090)
//!
//! HPKI certificates name the holder's qualifications in `subjectDirectoryAttributes`
//! (2.5.29.9):
//!
//! ```text
//! SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute
//! Attribute   ::= SEQUENCE { type OBJECT IDENTIFIER,   -- hcRole 1.0.17090.0.1
//!                            values SET OF HCActorData }
//! HCActorData ::= SET OF HCActor
//! HCActor     ::= SEQUENCE { codedData [0] EXPLICIT CodedData }
//! CodedData   ::= SET { codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,
//!                       codeDataValue         [1] EXPLICIT DirectoryString OPTIONAL,
//!                       codeDataFreeText      [2] EXPLICIT DirectoryString OPTIONAL }
//! ```
//!
//! Each structure has its own type here ([`HcActor`], [`CodedData`]), read from spans of
//! the extension with [`kenpo_core::der_span`].

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use kenpo_core::alg::{DigestAlgorithm, PublicKeyKind};
use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{Reader, SpanError, Tlv, parse_one, tag};
use kenpo_core::oid;
use serde::Serialize;
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, CertificatePolicies, KeyUsage, KeyUsages};

use crate::Profile;

/// subjectDirectoryAttributes (RFC 5280 §4.2.1.8).
const SUBJECT_DIRECTORY_ATTRIBUTES: Oid =
    const_oid::db::rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES;

/// Why a certificate may not sign under a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The certificate cannot be parsed.
    #[error("signer certificate cannot be read: {0}")]
    Certificate(String),
    /// An extension the profile relies on is malformed.
    #[error("malformed {extension} extension: {detail}")]
    MalformedExtension {
        /// Extension name.
        extension: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// HPKI: the certificate carries an HPKI *authentication* policy
    /// (`1.2.392.100495.1.5.1.2.`); such certificates must not sign rule-27 documents.
    #[error(
        "HPKI authentication certificate (policy {policy}) cannot make signatures; use the HPKI signature certificate"
    )]
    AuthenticationCertificate {
        /// The authentication policy found.
        policy: String,
    },
    /// HPKI: no certificate policy under the HPKI signature arc `1.2.392.100495.1.5.1.1.`.
    #[error("not an HPKI signature certificate: no policy under 1.2.392.100495.1.5.1.1. (found: {})", list_or_none(.policies))]
    NoHpkiSignaturePolicy {
        /// The policies the certificate does carry.
        policies: Vec<String>,
    },
    /// Accredited: no certificatePolicies extension.
    #[error("the certificate has no certificatePolicies extension")]
    NoCertificatePolicies,
    /// The certificate has no keyUsage extension.
    #[error("the certificate has no keyUsage extension")]
    KeyUsageMissing,
    /// HPKI: keyUsage lacks nonRepudiation (contentCommitment).
    #[error("keyUsage does not allow nonRepudiation (has: {})", list_or_none(.key_usage))]
    NoNonRepudiation {
        /// The key usages present.
        key_usage: Vec<String>,
    },
    /// Accredited: keyUsage allows neither nonRepudiation nor digitalSignature.
    #[error("keyUsage allows neither nonRepudiation nor digitalSignature (has: {})", list_or_none(.key_usage))]
    NoSigningKeyUsage {
        /// The key usages present.
        key_usage: Vec<String>,
    },
    /// The certificate is a CA certificate (basicConstraints cA = TRUE).
    #[error("the certificate is a CA certificate, not a signer certificate")]
    CaCertificate,
    /// HPKI: the hcRole attribute cannot be read.
    #[error("malformed hcRole attribute: {0}")]
    MalformedHcRole(String),
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `hpki`, `accredited`, `any` (as on the command line).
pub fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Hpki => "hpki",
        Profile::Accredited => "accredited",
        Profile::Any => "any",
    }
}

/// What the signer certificate says, for the confirmation step and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerInfoSummary {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// SHA-256 fingerprint of the certificate, lower-case hex.
    pub fingerprint_sha256: String,
    /// hcRole qualifications (free text, e.g. `Medical Doctor`), in certificate order;
    /// empty when the certificate has none (legal: staff without a licence).
    pub hc_roles: Vec<String>,
    /// Certificate policy OIDs, dotted.
    pub policy_oids: Vec<String>,
    /// notBefore.
    #[serde(serialize_with = "ser_time")]
    pub not_before: OffsetDateTime,
    /// notAfter.
    #[serde(serialize_with = "ser_time")]
    pub not_after: OffsetDateTime,
    /// keyUsage bits by their RFC 5280 names (`nonRepudiation`, `digitalSignature`, …);
    /// `None` when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    /// Public key kind (`RSA-2048`, `P-256`); empty when not recognised.
    pub key: String,
}

fn ser_time<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&kenpo_core::timefmt::rfc3339(*t))
}

/// Checks `cert_der` against `profile` and summarises it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())?;
/// # let cert_der = &pki.entity("hpki-signer")?.cert_der;
/// use kenpo_sign::{Profile, profile::check_profile};
/// let summary = check_profile(Profile::Hpki, cert_der)?;
/// assert_eq!(summary.hc_roles, ["Medical Doctor"]);
/// # Ok(()) }
/// ```
pub fn check_profile(profile: Profile, cert_der: &[u8]) -> Result<SignerInfoSummary, ProfileError> {
    let cert = CertRef::parse(cert_der).map_err(|e| ProfileError::Certificate(e.to_string()))?;
    check_profile_cert(profile, &cert)
}

/// [`check_profile`] for an already parsed certificate.
pub fn check_profile_cert(
    profile: Profile,
    cert: &CertRef<'_>,
) -> Result<SignerInfoSummary, ProfileError> {
    let policies = policy_oids(cert)?;
    let key_usage = key_usage(cert)?;
    let roles = match (profile, hc_roles(cert)) {
        (_, Ok(r)) => r,
        (Profile::Hpki, Err(e)) => return Err(e),
        // Other profiles do not rely on hcRole: an unreadable one is simply not shown.
        (_, Err(_)) => Vec::new(),
    };
    let policy_strings: Vec<String> = policies.iter().map(ToString::to_string).collect();
    let ku_names = key_usage.map(key_usage_names);

    match profile {
        Profile::Hpki => {
            if let Some(p) = policies.iter().find(|p| oid::is_hpki_auth_policy(p)) {
                return Err(ProfileError::AuthenticationCertificate {
                    policy: p.to_string(),
                });
            }
            if !policies.iter().any(oid::is_hpki_signature_policy) {
                return Err(ProfileError::NoHpkiSignaturePolicy {
                    policies: policy_strings,
                });
            }
            let ku = key_usage.ok_or(ProfileError::KeyUsageMissing)?;
            if !ku.0.contains(KeyUsages::NonRepudiation) {
                return Err(ProfileError::NoNonRepudiation {
                    key_usage: key_usage_names(ku),
                });
            }
            refuse_ca(cert)?;
        }
        Profile::Accredited => {
            let ku = key_usage.ok_or(ProfileError::KeyUsageMissing)?;
            if !(ku.0.contains(KeyUsages::NonRepudiation)
                || ku.0.contains(KeyUsages::DigitalSignature))
            {
                return Err(ProfileError::NoSigningKeyUsage {
                    key_usage: key_usage_names(ku),
                });
            }
            if cert
                .extension(const_oid::db::rfc5280::ID_CE_CERTIFICATE_POLICIES)
                .is_none()
            {
                return Err(ProfileError::NoCertificatePolicies);
            }
            refuse_ca(cert)?;
        }
        Profile::Any => {}
    }

    Ok(SignerInfoSummary {
        subject: cert.subject_string(),
        issuer: cert.issuer_string(),
        serial: cert.serial_hex(),
        fingerprint_sha256: DigestAlgorithm::Sha256.digest(cert.raw).to_hex(),
        hc_roles: roles.iter().map(HcActor::display).collect(),
        policy_oids: policy_strings,
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        key_usage: ku_names,
        key: PublicKeyKind::from_spki_der(cert.spki)
            .map(|k| k.name())
            .unwrap_or_default(),
    })
}

fn refuse_ca(cert: &CertRef<'_>) -> Result<(), ProfileError> {
    match cert.extension(const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS) {
        None => Ok(()),
        Some(ext) => {
            let bc = BasicConstraints::from_der(ext.value).map_err(|e| {
                ProfileError::MalformedExtension {
                    extension: "basicConstraints",
                    detail: e.to_string(),
                }
            })?;
            if bc.ca {
                Err(ProfileError::CaCertificate)
            } else {
                Ok(())
            }
        }
    }
}

/// The certificate policy OIDs of `cert` (empty without the extension).
pub fn policy_oids(cert: &CertRef<'_>) -> Result<Vec<Oid>, ProfileError> {
    match cert.extension(const_oid::db::rfc5280::ID_CE_CERTIFICATE_POLICIES) {
        None => Ok(Vec::new()),
        Some(ext) => {
            let cp = CertificatePolicies::from_der(ext.value).map_err(|e| {
                ProfileError::MalformedExtension {
                    extension: "certificatePolicies",
                    detail: e.to_string(),
                }
            })?;
            Ok(cp.0.iter().map(|p| p.policy_identifier).collect())
        }
    }
}

/// The keyUsage extension of `cert`, if present.
pub fn key_usage(cert: &CertRef<'_>) -> Result<Option<KeyUsage>, ProfileError> {
    cert.extension(const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .map(|ext| {
            KeyUsage::from_der(ext.value).map_err(|e| ProfileError::MalformedExtension {
                extension: "keyUsage",
                detail: e.to_string(),
            })
        })
        .transpose()
}

/// RFC 5280 names of the bits set in `ku`, in bit order.
pub fn key_usage_names(ku: KeyUsage) -> Vec<String> {
    const NAMES: [(KeyUsages, &str); 9] = [
        (KeyUsages::DigitalSignature, "digitalSignature"),
        (KeyUsages::NonRepudiation, "nonRepudiation"),
        (KeyUsages::KeyEncipherment, "keyEncipherment"),
        (KeyUsages::DataEncipherment, "dataEncipherment"),
        (KeyUsages::KeyAgreement, "keyAgreement"),
        (KeyUsages::KeyCertSign, "keyCertSign"),
        (KeyUsages::CRLSign, "cRLSign"),
        (KeyUsages::EncipherOnly, "encipherOnly"),
        (KeyUsages::DecipherOnly, "decipherOnly"),
    ];
    NAMES
        .iter()
        .filter(|(bit, _)| ku.0.contains(*bit))
        .map(|(_, name)| (*name).to_owned())
        .collect()
}

// ---- hcRole --------------------------------------------------------------------------

/// `HCActor ::= SEQUENCE { codedData [0] EXPLICIT CodedData }`: one qualification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HcActor {
    /// The coded qualification.
    pub coded_data: CodedData,
}

/// `CodedData ::= SET { codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,
/// codeDataValue [1] EXPLICIT DirectoryString OPTIONAL,
/// codeDataFreeText [2] EXPLICIT DirectoryString OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedData {
    /// Coding scheme ([`oid::HPKI_HC_ROLE_SCHEME`] in HPKI).
    pub coding_scheme_reference: Oid,
    /// The code, when given.
    pub code_data_value: Option<String>,
    /// The qualification as text, e.g. `Medical Doctor`.
    pub code_data_free_text: Option<String>,
}

impl HcActor {
    /// Reads one `HCActor` SEQUENCE.
    pub fn parse(t: Tlv<'_>) -> Result<Self, ProfileError> {
        let mut r = t.expect(tag::SEQUENCE).map_err(hc)?.reader();
        let wrapper = r.expect(tag::context(0)).map_err(hc)?;
        r.finish().map_err(hc)?;
        let mut w = wrapper.reader();
        let coded = w.expect(tag::SET).map_err(hc)?;
        w.finish().map_err(hc)?;
        Ok(Self {
            coded_data: CodedData::parse(coded)?,
        })
    }

    /// What to show: the free text, else the code, else `<scheme OID>`.
    pub fn display(&self) -> String {
        let c = &self.coded_data;
        c.code_data_free_text
            .clone()
            .or_else(|| c.code_data_value.clone())
            .unwrap_or_else(|| format!("<{}>", c.coding_scheme_reference))
    }
}

impl CodedData {
    /// Reads the `CodedData` SET (components in any order; unknown ones are skipped).
    pub fn parse(t: Tlv<'_>) -> Result<Self, ProfileError> {
        let mut scheme = None;
        let mut value = None;
        let mut free_text = None;
        for field in t.expect(tag::SET).map_err(hc)?.reader().all().map_err(hc)? {
            let explicit = || -> Result<Tlv<'_>, ProfileError> {
                let mut r = field.reader();
                let inner = r.read().map_err(hc)?;
                r.finish().map_err(hc)?;
                Ok(inner)
            };
            match field.tag {
                t if t == tag::context(0) => {
                    let o = explicit()?.expect(tag::OID).map_err(hc)?;
                    scheme = Some(
                        Oid::from_der(o.raw)
                            .map_err(|e| ProfileError::MalformedHcRole(e.to_string()))?,
                    );
                }
                t if t == tag::context(1) => value = Some(directory_string(explicit()?)?),
                t if t == tag::context(2) => free_text = Some(directory_string(explicit()?)?),
                _ => {}
            }
        }
        Ok(Self {
            coding_scheme_reference: scheme.ok_or_else(|| {
                ProfileError::MalformedHcRole("CodedData without codingSchemeReference".into())
            })?,
            code_data_value: value,
            code_data_free_text: free_text,
        })
    }
}

fn hc(e: SpanError) -> ProfileError {
    ProfileError::MalformedHcRole(e.to_string())
}

/// A DirectoryString as text (see [`kenpo_core::asn1::string::directory_string`]).
fn directory_string(t: Tlv<'_>) -> Result<String, ProfileError> {
    kenpo_core::asn1::string::directory_string(t)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| ProfileError::MalformedHcRole(e.to_string()))
}

/// The hcRole qualifications of `cert`, in certificate order (empty when there is no
/// subjectDirectoryAttributes extension or no hcRole attribute in it).
pub fn hc_roles(cert: &CertRef<'_>) -> Result<Vec<HcActor>, ProfileError> {
    let Some(ext) = cert.extension(SUBJECT_DIRECTORY_ATTRIBUTES) else {
        return Ok(Vec::new());
    };
    hc_roles_from_sda(ext.value)
}

/// The hcRole qualifications in a DER `SubjectDirectoryAttributes` value.
pub fn hc_roles_from_sda(sda_der: &[u8]) -> Result<Vec<HcActor>, ProfileError> {
    let sda = parse_one(sda_der)
        .and_then(|t| t.expect(tag::SEQUENCE))
        .map_err(hc)?;
    let mut out = Vec::new();
    for attr in sda.reader().all().map_err(hc)? {
        let mut r: Reader<'_> = attr.expect(tag::SEQUENCE).map_err(hc)?.reader();
        let t = r.expect(tag::OID).map_err(hc)?;
        let attr_type =
            Oid::from_der(t.raw).map_err(|e| ProfileError::MalformedHcRole(e.to_string()))?;
        let values = r.expect(tag::SET).map_err(hc)?;
        r.finish().map_err(hc)?;
        if attr_type != oid::HC_ROLE {
            continue;
        }
        // values: SET OF HCActorData; HCActorData ::= SET OF HCActor.
        for actor_data in values.reader().all().map_err(hc)? {
            for actor in actor_data
                .expect(tag::SET)
                .map_err(hc)?
                .reader()
                .all()
                .map_err(hc)?
            {
                out.push(HcActor::parse(actor)?);
            }
        }
    }
    Ok(out)
}
