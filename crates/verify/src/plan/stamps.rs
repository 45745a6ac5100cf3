//! Reading what protects a signature: its time-stamp tokens (facts only, no verification),
//! the TSA or signer certificate, and that certificate's path.

use kenpo_core::alg::SignatureAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use kenpo_core::oid;
use kenpo_tsa::TstInfo;
use time::OffsetDateTime;

use crate::lt::has;
use crate::path::{PathValidator, RevocationMode, ValidationOptions};

use kenpo_core::oid::{ATTR_CERTIFICATE_VALUES, ATTR_REVOCATION_VALUES};

/// At most this many tokens are read per SignerInfo (hostile input stays bounded).
const MAX_TOKENS: usize = 64;
/// At most this many certificates are chained by name when no path validates.
const MAX_CHAIN: usize = 12;

/// The facts of one time-stamp token, read without verifying it.
#[derive(Debug, Clone)]
pub(crate) struct TokenFacts {
    /// TSTInfo.
    pub tst: TstInfo,
    /// The TSA certificate named by the SignerInfo sid (or ESSCertID(v2)), when found.
    pub tsa_cert: Option<Vec<u8>>,
    /// Certificates embedded in the token.
    pub certs: Vec<Vec<u8>>,
    /// The token's signature algorithm.
    pub sig_alg: Result<SignatureAlgorithm, String>,
}

/// The certificate `si` names among `pools` (sid first, then ESSCertID(v2)).
pub(crate) fn signer_cert<'c>(
    si: &SignerInfoView<'_>,
    pools: &[&'c [Vec<u8>]],
) -> Option<&'c [u8]> {
    let all = || pools.iter().flat_map(|p| p.iter());
    if let Some(c) = all().find(|c| CertRef::parse(c).is_ok_and(|r| si.sid.matches(&r))) {
        return Some(c);
    }
    let attrs = si.signed_attrs.as_ref()?;
    for (attr, v2) in [
        (oid::ATTR_SIGNING_CERTIFICATE_V2, true),
        (oid::ATTR_SIGNING_CERTIFICATE, false),
    ] {
        if let Ok(Some(v)) = attrs.single(attr)
            && let Some(c) = all().find(|c| {
                CertRef::parse(c).is_ok_and(|r| {
                    kenpo_core::ess::first_cert_id_names(v.raw, &r, v2).unwrap_or(false)
                })
            })
        {
            return Some(c);
        }
    }
    None
}

/// Reads a TimeStampToken (a ContentInfo) without verifying it; `extra` are further
/// certificates to look for the TSA certificate in.
pub(crate) fn read_token(token_der: &[u8], extra: &[Vec<u8>]) -> Result<TokenFacts, String> {
    // Some producers wrap the token in an OCTET STRING (seen in German samples of the DSS
    // corpus); read through it.
    let token_der = match kenpo_core::der_span::parse_one(token_der) {
        Ok(t) if t.tag == kenpo_core::der_span::tag::OCTET_STRING => t.value,
        _ => token_der,
    };
    let sd = SignedDataView::parse(token_der).map_err(|e| e.to_string())?;
    if sd.econtent_type != oid::ID_CT_TST_INFO {
        return Err(format!("eContentType {} is not TSTInfo", sd.econtent_type));
    }
    let econtent = sd.econtent.ok_or("TSTInfo content is absent")?;
    let tst = TstInfo::parse(econtent).map_err(|e| e.to_string())?;
    let certs: Vec<Vec<u8>> = sd.x509_certificates().map(<[u8]>::to_vec).collect();
    let si = sd.signer_infos.first().ok_or("token has no SignerInfo")?;
    let tsa_cert = signer_cert(si, &[&certs, extra]).map(<[u8]>::to_vec);
    let sig_alg = SignatureAlgorithm::from_algorithm_identifier(
        &si.signature_algorithm,
        si.digest_alg().ok(),
    )
    .map_err(|e| e.to_string());
    Ok(TokenFacts {
        tst,
        tsa_cert,
        certs,
        sig_alg,
    })
}

/// Which unsigned attribute a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protection {
    /// archive-time-stamp v3 (`0.4.0.1733.2.4`).
    ArchiveTimeStampV3,
    /// archive-time-stamp v2 (`1.2.840.113549.1.9.16.2.48`).
    ArchiveTimeStampV2,
    /// signature-time-stamp (`1.2.840.113549.1.9.16.2.14`).
    SignatureTimeStamp,
    /// No time-stamp: the signer certificate itself.
    SignerCertificate,
    /// A PAdES document time-stamp (the newest of a PDF).
    DocumentTimeStamp,
    /// A XAdES archive time-stamp (`xades141:ArchiveTimeStamp`, the newest of the
    /// signature).
    ArchiveTimeStamp,
}

impl Protection {
    /// Name used in reports (`archive-time-stamp-v3`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::ArchiveTimeStampV3 => "archive-time-stamp-v3",
            Self::ArchiveTimeStampV2 => "archive-time-stamp-v2",
            Self::SignatureTimeStamp => "signature-time-stamp",
            Self::SignerCertificate => "signer-certificate",
            Self::DocumentTimeStamp => "document-time-stamp",
            Self::ArchiveTimeStamp => "archive-time-stamp",
        }
    }
}

/// The tokens of one SignerInfo, by kind, each read or with the reason it could not be.
pub(crate) fn tokens_of(
    si: &SignerInfoView<'_>,
    extra: &[Vec<u8>],
) -> Vec<(Protection, Result<TokenFacts, String>)> {
    let Some(attrs) = &si.unsigned_attrs else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in &attrs.list {
        let kind = match a.oid {
            oid::ATTR_ARCHIVE_TIME_STAMP_V3 => Protection::ArchiveTimeStampV3,
            oid::ATTR_ARCHIVE_TIME_STAMP_V2 => Protection::ArchiveTimeStampV2,
            oid::ATTR_SIGNATURE_TIME_STAMP => Protection::SignatureTimeStamp,
            _ => continue,
        };
        for v in &a.values {
            if out.len() >= MAX_TOKENS {
                return out;
            }
            out.push((kind, read_token(v.raw, extra)));
        }
    }
    out
}

/// Whether a SignerInfo carries long-term validation data (certificate-values or
/// revocation-values), or the SignedData carries revocation data.
pub(crate) fn has_lt_data(sd: &SignedDataView<'_>, si: &SignerInfoView<'_>) -> bool {
    !sd.crls.is_empty() || has(si, ATTR_CERTIFICATE_VALUES) || has(si, ATTR_REVOCATION_VALUES)
}

/// The level the structure shows: B-LTA (archive time-stamp), B-LT (signature
/// time-stamp plus validation data), B-T (signature time-stamp) or B-B.
pub(crate) fn level_of(sd: &SignedDataView<'_>, si: &SignerInfoView<'_>) -> &'static str {
    if has(si, oid::ATTR_ARCHIVE_TIME_STAMP_V3) || has(si, oid::ATTR_ARCHIVE_TIME_STAMP_V2) {
        "B-LTA"
    } else if has(si, oid::ATTR_SIGNATURE_TIME_STAMP) {
        if has_lt_data(sd, si) { "B-LT" } else { "B-T" }
    } else {
        "B-B"
    }
}

/// A certificate path for `leaf`: validated against `anchors` at `at` (revocation not
/// checked) when possible, else chained by names through `pool` and `anchors`, with the
/// reason no path validated.
pub(crate) fn chain_for(
    leaf: &[u8],
    pool: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: OffsetDateTime,
) -> (Vec<Vec<u8>>, Option<String>) {
    let mut opts = ValidationOptions::at(at);
    opts.revocation_mode = RevocationMode::Off;
    let validator = PathValidator::new(anchors.to_vec(), opts).with_intermediates(pool.to_vec());
    let error = match validator.validate(leaf, &[]) {
        Ok(p) => return (p.certs, None),
        Err(e) => e.to_string(),
    };
    let mut chain = vec![leaf.to_vec()];
    while chain.len() < MAX_CHAIN {
        let Some(cur) = chain.last().and_then(|c| CertRef::parse(c).ok()) else {
            break;
        };
        if cur.issuer == cur.subject {
            break;
        }
        let next = pool.iter().chain(anchors).find(|c| {
            CertRef::parse(c).is_ok_and(|n| n.subject == cur.issuer)
                && !chain.iter().any(|have| have == *c)
        });
        match next {
            Some(n) => chain.push(n.clone()),
            None => break,
        }
    }
    (chain, Some(error))
}

/// The first CN of a certificate's subject, else the whole subject string.
pub(crate) fn short_subject(cert: &CertRef<'_>) -> String {
    let s = cert.subject_string();
    s.split(',')
        .find(|p| p.starts_with("CN="))
        .map(str::to_owned)
        .unwrap_or(s)
}
