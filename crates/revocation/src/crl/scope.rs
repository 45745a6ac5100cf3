//! Scope of a CRL (RFC 5280 §5.2.5, §6.3.3 (b) and (d)): which certificates and which
//! revocation reasons a CRL covers, for one distribution point of a certificate.

use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{Tlv, parse_one, tag};

use super::{Crl, CrlError};
use crate::asn1;
use crate::names::{
    self, ALL_REASONS, DistributionPoint, DistributionPointName, GeneralName, ReasonMask,
};

/// Why a CRL does not cover a certificate (RFC 5280 §6.3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeMismatch {
    /// The CRL issuer is neither the certificate's issuer nor the cRLIssuer of the
    /// certificate's distribution point.
    #[error("CRL issuer \"{crl}\" is not the certificate issuer \"{cert}\"")]
    Issuer {
        /// The CRL's issuer.
        crl: String,
        /// The certificate's issuer (or the distribution point's cRLIssuer).
        cert: String,
    },
    /// A delta CRL (deltaCRLIndicator): usable only together with its complete CRL.
    #[error("a delta CRL is usable only together with a complete CRL")]
    DeltaCrl,
    /// Entries name other certificate issuers (certificateIssuer, RFC 5280 §5.3.3) but the
    /// CRL is not marked indirectCRL.
    #[error("CRL entries name other certificate issuers but the CRL is not an indirect CRL")]
    IndirectCrl,
    /// The certificate's distribution point names this CRL's issuer as cRLIssuer, but the
    /// CRL does not assert indirectCRL in its issuingDistributionPoint.
    #[error("the distribution point names \"{crl}\" as cRLIssuer but its CRL is not indirect")]
    NotIndirect {
        /// The CRL's issuer.
        crl: String,
    },
    /// IDP onlyContainsAttributeCerts.
    #[error("the CRL only covers attribute certificates")]
    OnlyAttributeCerts,
    /// IDP onlyContainsUserCerts and the certificate is a CA.
    #[error(
        "the CRL only covers end-entity certificates (onlyContainsUserCerts) and the certificate is a CA"
    )]
    OnlyUserCerts,
    /// IDP onlyContainsCACerts and the certificate is not a CA.
    #[error(
        "the CRL only covers CA certificates (onlyContainsCACerts) and the certificate is not a CA"
    )]
    OnlyCaCerts,
    /// The CRL covers only some revocation reasons for the certificate (IDP onlySomeReasons,
    /// or the reasons of the distribution point): other CRLs must cover the rest.
    #[error(
        "the CRL only covers some revocation reasons (0x{0:03x}); CRLs for the other reasons are needed"
    )]
    OnlySomeReasons(ReasonMask),
    /// None of the certificate's distribution points matches the IDP's distributionPoint.
    #[error(
        "no CRL distribution point of the certificate matches the CRL's issuingDistributionPoint ({idp})"
    )]
    DistributionPoint {
        /// The IDP names, for the message.
        idp: String,
    },
    /// The certificate's cRLDistributionPoints extension could not be read.
    #[error("the certificate's cRLDistributionPoints is malformed: {0}")]
    MalformedCertificateDp(String),
}

/// issuingDistributionPoint (RFC 5280 §5.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuingDistributionPoint {
    /// distributionPoint.
    pub distribution_point: Option<DistributionPointName>,
    /// onlyContainsUserCerts.
    pub only_contains_user_certs: bool,
    /// onlyContainsCACerts.
    pub only_contains_ca_certs: bool,
    /// onlySomeReasons.
    pub only_some_reasons: Option<ReasonMask>,
    /// indirectCRL.
    pub indirect_crl: bool,
    /// onlyContainsAttributeCerts.
    pub only_contains_attribute_certs: bool,
}

impl IssuingDistributionPoint {
    /// Parses the extension value (the IssuingDistributionPoint SEQUENCE).
    pub fn from_der(value: &[u8]) -> Result<Self, CrlError> {
        let seq = parse_one(value)?.expect(tag::SEQUENCE)?;
        let mut r = seq.reader();
        let boolean = |t: Option<Tlv<'_>>| -> Result<bool, CrlError> {
            t.map_or(Ok(false), |t| {
                asn1::read_bool(t).map_err(CrlError::Malformed)
            })
        };
        let distribution_point = match r.optional(0xa0)? {
            Some(f) => Some(
                DistributionPointName::from_field(f)
                    .map_err(|e| CrlError::Malformed(format!("issuingDistributionPoint: {e}")))?,
            ),
            None => None,
        };
        let idp = Self {
            distribution_point,
            only_contains_user_certs: boolean(r.optional(0x81)?)?,
            only_contains_ca_certs: boolean(r.optional(0x82)?)?,
            only_some_reasons: r.optional(0x83)?.map(|b| names::reason_mask(b.value)),
            indirect_crl: boolean(r.optional(0x84)?)?,
            only_contains_attribute_certs: boolean(r.optional(0x85)?)?,
        };
        r.finish()?;
        let only = [
            idp.only_contains_user_certs,
            idp.only_contains_ca_certs,
            idp.only_contains_attribute_certs,
        ];
        if only.iter().filter(|b| **b).count() > 1 {
            return Err(CrlError::Malformed(
                "issuingDistributionPoint asserts more than one onlyContains… flag".into(),
            ));
        }
        Ok(idp)
    }
}
/// The distribution points of `cert` as RFC 5280 §6.3.3 processes them: those of its
/// cRLDistributionPoints or, without the extension, one whose cRLIssuer is the certificate
/// issuer (represented with every field absent).
pub fn effective_distribution_points(
    cert: &CertRef<'_>,
) -> Result<Vec<DistributionPoint>, ScopeMismatch> {
    let dps = names::crl_distribution_points(cert)
        .map_err(|e| ScopeMismatch::MalformedCertificateDp(e.to_string()))?;
    if dps.is_empty() {
        return Ok(vec![DistributionPoint {
            name: None,
            reasons: None,
            crl_issuer: None,
        }]);
    }
    Ok(dps)
}

/// The directory names of a GeneralNames list.
fn directory_names(names: &[GeneralName]) -> impl Iterator<Item = &[u8]> {
    names.iter().filter_map(|n| match n {
        GeneralName::DirectoryName(d) => Some(d.as_slice()),
        _ => None,
    })
}

impl Crl {
    /// Whether this CRL alone covers `cert` for every reason (RFC 5280 §6.3.3 (b), (d)): not
    /// a delta CRL, and in scope for all reasons for one of the certificate's distribution
    /// points ([`Crl::distribution_point_scope`]). A CRL without issuingDistributionPoint
    /// covers every certificate of its issuer.
    pub fn check_scope(&self, cert: &CertRef<'_>) -> Result<(), CrlError> {
        if self.delta {
            return Err(CrlError::NotInScope(ScopeMismatch::DeltaCrl));
        }
        let dps = effective_distribution_points(cert).map_err(CrlError::NotInScope)?;
        let mut partial: ReasonMask = 0;
        let mut first_error = None;
        for dp in &dps {
            match self.distribution_point_scope(cert, dp) {
                Ok(mask) if mask == ALL_REASONS => return Ok(()),
                Ok(mask) => partial |= mask,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(CrlError::NotInScope(if partial != 0 {
            ScopeMismatch::OnlySomeReasons(partial)
        } else {
            first_error.unwrap_or(ScopeMismatch::DistributionPoint { idp: String::new() })
        }))
    }

    /// RFC 5280 §6.3.3 (b) and (d) for one distribution point `dp` of `cert` (see
    /// [`effective_distribution_points`]): checks the CRL issuer (the certificate issuer, or
    /// the distribution point's cRLIssuer for an indirect CRL), the issuingDistributionPoint
    /// (names, onlyContains… flags) and returns the reasons covered (interim_reasons_mask).
    /// The deltaCRLIndicator is not looked at (see [`Crl::check_scope`]).
    pub fn distribution_point_scope(
        &self,
        cert: &CertRef<'_>,
        dp: &DistributionPoint,
    ) -> Result<ReasonMask, ScopeMismatch> {
        let indirect = self.idp.as_ref().is_some_and(|i| i.indirect_crl);
        if self.indirect_entries && !indirect {
            return Err(ScopeMismatch::IndirectCrl);
        }
        // (b)(2)(ii)–(iv), first: they do not depend on the distribution point.
        if let Some(idp) = &self.idp {
            if idp.only_contains_attribute_certs {
                return Err(ScopeMismatch::OnlyAttributeCerts);
            }
            let ca = asn1::is_ca(cert);
            if idp.only_contains_user_certs && ca {
                return Err(ScopeMismatch::OnlyUserCerts);
            }
            if idp.only_contains_ca_certs && !ca {
                return Err(ScopeMismatch::OnlyCaCerts);
            }
        }
        // (b)(1): the CRL issuer.
        match &dp.crl_issuer {
            Some(issuers) => {
                if !directory_names(issuers).any(|n| names::names_equal(n, self.issuer())) {
                    return Err(ScopeMismatch::Issuer {
                        crl: self.issuer_string(),
                        cert: issuers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                if !indirect {
                    return Err(ScopeMismatch::NotIndirect {
                        crl: self.issuer_string(),
                    });
                }
            }
            None => {
                if !names::names_equal(self.issuer(), cert.issuer) {
                    return Err(ScopeMismatch::Issuer {
                        crl: self.issuer_string(),
                        cert: kenpo_core::asn1::name::name_string(cert.issuer),
                    });
                }
            }
        }
        let Some(idp) = &self.idp else {
            return Ok(dp.reasons.unwrap_or(ALL_REASONS) & ALL_REASONS);
        };
        // (b)(2)(i): distribution point names.
        if let Some(idp_name) = &idp.distribution_point {
            let idp_names = idp_name.resolve(self.issuer());
            let dp_names = match (&dp.name, &dp.crl_issuer) {
                (Some(name), issuers) => {
                    // A relative name is relative to the cRLIssuer when there is one.
                    let base = issuers
                        .as_deref()
                        .and_then(|i| directory_names(i).next())
                        .unwrap_or(cert.issuer);
                    name.resolve(base)
                }
                (None, Some(issuers)) => issuers.clone(),
                (None, None) => vec![GeneralName::DirectoryName(cert.issuer.to_vec())],
            };
            if !dp_names
                .iter()
                .any(|n| idp_names.iter().any(|i| i.matches(n)))
            {
                return Err(ScopeMismatch::DistributionPoint {
                    idp: idp_names
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        // (d): the reasons covered.
        let mask = match (idp.only_some_reasons, dp.reasons) {
            (Some(a), Some(b)) => a & b,
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => ALL_REASONS,
        };
        Ok(mask & ALL_REASONS)
    }
}
