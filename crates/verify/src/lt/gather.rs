//! Gathering validation data for a certification path: the certificates, and for every
//! non-anchor certificate one OCSP response (preferred where the certificate names a
//! responder) or CRL, issued no earlier than a given time.

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_core::timefmt::rfc3339;
use kenpo_revocation::{CheckReport, Checker, Evidence, RevocationStatus};
use time::OffsetDateTime;

use super::ExtendError;

/// Validation data to embed.
#[derive(Debug, Default, Clone)]
pub(super) struct Gathered {
    /// Certificates (DER), in discovery order, without duplicates.
    pub(super) certs: Vec<Vec<u8>>,
    /// CRLs (DER), without duplicates.
    pub(super) crls: Vec<Vec<u8>>,
    /// OCSPResponse (DER), without duplicates.
    pub(super) ocsp: Vec<Vec<u8>>,
}

impl Gathered {
    fn push(list: &mut Vec<Vec<u8>>, item: &[u8]) {
        if !list.iter().any(|x| x == item) {
            list.push(item.to_vec());
        }
    }

    /// Adds a certificate unless present.
    pub(super) fn cert(&mut self, der: &[u8]) {
        Self::push(&mut self.certs, der);
    }

    /// Adds everything of `other`.
    pub(super) fn merge(&mut self, other: Gathered) {
        for c in &other.certs {
            Self::push(&mut self.certs, c);
        }
        for c in &other.crls {
            Self::push(&mut self.crls, c);
        }
        for o in &other.ocsp {
            Self::push(&mut self.ocsp, o);
        }
    }

    fn evidence(&mut self, e: &Evidence) {
        match e {
            Evidence::Crl { crl, .. } => Self::push(&mut self.crls, crl.der()),
            Evidence::Ocsp {
                response,
                responder_cert,
                ..
            } => {
                Self::push(&mut self.ocsp, &full_ocsp_response(response.der()));
                if let Some(c) = responder_cert {
                    Self::push(&mut self.certs, c);
                }
            }
        }
    }
}

/// An `OCSPResponse` for `der`, which is either one already or a bare
/// `BasicOCSPResponse` (as some callers supply): the latter is wrapped as a successful
/// response (`responseBytes` of type id-pkix-ocsp-basic); its bytes are kept verbatim.
fn full_ocsp_response(der: &[u8]) -> Vec<u8> {
    use kenpo_core::der_span::{parse_one, tag, tlv};
    let is_full = parse_one(der)
        .ok()
        .and_then(|t| t.reader().peek_tag())
        .is_some_and(|t| t == 0x0a);
    if is_full {
        return der.to_vec();
    }
    // id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
    const BASIC: [u8; 11] = [
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01,
    ];
    let bytes = tlv(tag::SEQUENCE, &[&BASIC, &tlv(tag::OCTET_STRING, &[der])]);
    tlv(
        tag::SEQUENCE,
        &[&[0x0a, 0x01, 0x00], &tlv(tag::context(0), &[&bytes])],
    )
}

/// When the evidence was issued: CRL thisUpdate; OCSP: the earliest thisUpdate of its
/// answers (producedAt when it has none).
fn issued(e: &Evidence) -> Option<OffsetDateTime> {
    match e {
        Evidence::Crl { crl, .. } => Some(crl.this_update()),
        Evidence::Ocsp { response, .. } => response.basic.as_ref().map(|b| {
            b.responses
                .iter()
                .map(|r| r.this_update)
                .min()
                .unwrap_or(b.produced_at)
        }),
    }
}

fn whole_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

fn source(e: &Evidence) -> &str {
    match e {
        Evidence::Crl { source, .. } | Evidence::Ocsp { source, .. } => source,
    }
}

/// Revocation sources in order of preference: OCSP (the certificate's AIA responder and
/// supplied responses) before CRLs, as ETSI EN 319 122-1 B-LT suggests where OCSP is offered.
pub(super) struct Sources {
    /// Supplied OCSP responses and online OCSP/CRL DPs, without supplied CRLs.
    pub(super) ocsp_first: Arc<Checker>,
    /// Everything: supplied and embedded CRLs and OCSP, online fetches.
    pub(super) all: Arc<Checker>,
}

/// What makes a piece of revocation data acceptable for embedding.
#[derive(Debug, Clone, Copy)]
pub(super) struct Freshness {
    /// The status is asked at this time (the time-stamp's genTime).
    pub(super) at: OffsetDateTime,
    /// The data must be issued at or after this time; `None` accepts any data that
    /// answers for `at`.
    pub(super) issued_after: Option<OffsetDateTime>,
}

impl Sources {
    /// Validation data for `path` (leaf first, anchor last): every certificate, and for
    /// each non-anchor certificate a revocation answer for `fresh.at`.
    pub(super) fn for_path(
        &self,
        path: &[Vec<u8>],
        fresh: Freshness,
    ) -> Result<Gathered, ExtendError> {
        let mut g = Gathered::default();
        for c in path {
            g.cert(c);
        }
        for pair in path.windows(2) {
            let [cert, issuer] = pair else { continue };
            let e = self.evidence(cert, issuer, fresh)?;
            g.evidence(&e);
        }
        Ok(g)
    }

    fn evidence(
        &self,
        cert: &[u8],
        issuer: &[u8],
        fresh: Freshness,
    ) -> Result<Evidence, ExtendError> {
        let name = CertRef::parse(cert)
            .map(|c| c.subject_string())
            .unwrap_or_else(|_| "certificate".into());
        let mut stale: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for checker in [&self.ocsp_first, &self.all] {
            let report: CheckReport = checker.check(cert, issuer, fresh.at);
            match (&report.status, report.evidence) {
                (RevocationStatus::Revoked { time, .. }, _) => {
                    return Err(ExtendError::NotValid {
                        indication: crate::Indication::TotalFailed,
                        sub_indication: Some(crate::SubIndication::REVOKED),
                        reason: format!(
                            "{name} was revoked {} (status asked for {})",
                            rfc3339(*time),
                            rfc3339(fresh.at)
                        ),
                    });
                }
                (RevocationStatus::Good { .. }, Some(e)) => {
                    match (issued(&e), fresh.issued_after) {
                        // RFC 5280 times have whole seconds: data from the second of genTime
                        // counts as issued after it.
                        (Some(t), Some(min)) if t < whole_second(min) => stale.push(format!(
                            "{} issued {} (before {})",
                            source(&e),
                            rfc3339(t),
                            rfc3339(min)
                        )),
                        _ => return Ok(e),
                    }
                }
                (RevocationStatus::Unknown { reason }, _) => unknown.push(reason.clone()),
                (RevocationStatus::Good { source }, None) => {
                    unknown.push(format!("{source}: no data to embed"));
                }
            }
        }
        if !stale.is_empty() {
            return Err(ExtendError::TryLater(format!(
                "no revocation data for {name} issued after the time-stamp yet: {}",
                stale.join("; ")
            )));
        }
        Err(ExtendError::RevocationUnavailable(format!(
            "{name}: {}",
            unknown.join("; ")
        )))
    }
}
