//! Token issuance: a DER `TimeStampReq` in, a DER `TimeStampResp` out, never a panic.
//!
//! Every refusal is a `TimeStampResp` with status rejection, one failInfo bit and a
//! statusString naming the cause (RFC 3161 §2.4.2):
//!
//! | cause | failInfo |
//! |---|---|
//! | not DER / not a TimeStampReq / wrong imprint length / version ≠ 1 | badDataFormat |
//! | SHA-1 or unknown imprint hash, hash parameters | badAlg |
//! | reqPolicy neither the TSA policy nor an accepted one | unacceptedPolicy |
//! | request extensions | unacceptedExtension |
//! | HTTP-level refusals (content type, size) | badRequest |
//! | serial store, audit log, signing failure, TSA certificate outside its validity | systemFailure |
//!
//! The token is CMS SignedData (RFC 5652) with attached id-ct-TSTInfo content, one
//! SignerInfo with the signed attributes content-type, signing-time, message-digest and
//! signing-certificate-v2 (ESSCertIDv2, RFC 5816), and — when certReq is set — the TSA
//! certificate (and the configured chain).

use std::sync::atomic::Ordering;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{SignerInfoBuilder, attribute, signed_data};
use kenpo_core::der_span::{tag, tlv};
use kenpo_core::oid;
use time::OffsetDateTime;

use super::Tsa;
use super::audit::AuditEntry;
use crate::asn1::uint_contents;
use crate::request::TimeStampRequest;
use crate::response::encode_response;
use crate::status::{FailInfo, StatusInfo};
use crate::tstinfo::{Accuracy, TstInfo};

/// What happened to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A token was issued.
    Granted {
        /// Its serialNumber (INTEGER contents).
        serial: Vec<u8>,
        /// Its genTime.
        gen_time: OffsetDateTime,
    },
    /// The request was refused.
    Rejected {
        /// The failInfo bit sent.
        fail: FailInfo,
        /// The statusString sent.
        detail: String,
    },
}

impl Outcome {
    /// Whether a token was issued.
    pub fn is_granted(&self) -> bool {
        matches!(self, Self::Granted { .. })
    }
}

/// A response to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The DER `TimeStampResp` to send back.
    pub response_der: Vec<u8>,
    /// Granted or why not.
    pub outcome: Outcome,
}

/// A refusal on the way to a token.
struct Refusal {
    fail: FailInfo,
    detail: String,
}

impl Refusal {
    fn new(fail: FailInfo, detail: impl Into<String>) -> Self {
        Self {
            fail,
            detail: detail.into(),
        }
    }

    fn system(what: &str, e: impl std::fmt::Display) -> Self {
        Self::new(FailInfo::SystemFailure, format!("{what}: {e}"))
    }
}

/// `t` cut to `frac_digits` fractional digits, as genTime encodes it.
fn truncate(t: OffsetDateTime, frac_digits: u8) -> OffsetDateTime {
    let unit = 10u32.pow(9 - u32::from(frac_digits.min(6)));
    t.replace_nanosecond(t.nanosecond() - t.nanosecond() % unit)
        .unwrap_or(t)
}

impl Tsa {
    /// Answers one DER `TimeStampReq` with a DER `TimeStampResp` (see the module docs).
    ///
    /// Granted tokens and rejections are written to the audit log; a token whose audit
    /// record cannot be written is withheld and answered with systemFailure.
    pub fn respond(&self, request_der: &[u8]) -> Issued {
        let req = match TimeStampRequest::parse(request_der) {
            Ok(r) => r,
            Err(e) => return self.reject(e.fail, e.detail, None),
        };
        match self.grant(&req) {
            Ok((token, serial, gen_time, policy)) => {
                let entry = AuditEntry::granted(gen_time, &serial, &req.imprint, policy);
                if let Some(Err(e)) = self.audit.as_ref().map(|a| a.record(&entry)) {
                    return self.reject(
                        FailInfo::SystemFailure,
                        format!("audit log: {e}"),
                        Some(&req),
                    );
                }
                self.issued.fetch_add(1, Ordering::Relaxed);
                Issued {
                    response_der: encode_response(&StatusInfo::granted(), Some(&token)),
                    outcome: Outcome::Granted { serial, gen_time },
                }
            }
            Err(r) => self.reject(r.fail, r.detail, Some(&req)),
        }
    }

    /// A rejection response (also audited), for refusals decided outside [`respond`](Self::respond)
    /// such as a wrong HTTP content type.
    pub fn reject(
        &self,
        fail: FailInfo,
        detail: impl Into<String>,
        req: Option<&TimeStampRequest>,
    ) -> Issued {
        let detail = detail.into();
        if let Some(audit) = &self.audit {
            // The answer is a refusal either way; a failing audit log surfaces on the next grant.
            let _ = audit.record(&AuditEntry::rejected(
                OffsetDateTime::now_utc(),
                fail,
                &detail,
                req,
            ));
        }
        Issued {
            response_der: encode_response(&StatusInfo::rejection(fail, detail.clone()), None),
            outcome: Outcome::Rejected { fail, detail },
        }
    }

    /// The policy for a request: its reqPolicy when offered, else the TSA policy.
    fn policy_for(&self, req: &TimeStampRequest) -> Result<Oid, Refusal> {
        match req.policy {
            None => Ok(self.config.policy),
            Some(p) if p == self.config.policy || self.config.accepted_policies.contains(&p) => {
                Ok(p)
            }
            Some(p) => Err(Refusal::new(
                FailInfo::UnacceptedPolicy,
                format!("policy {p} is not offered"),
            )),
        }
    }

    /// Builds a token: (ContentInfo DER, serial contents, genTime, policy).
    fn grant(
        &self,
        req: &TimeStampRequest,
    ) -> Result<(Vec<u8>, Vec<u8>, OffsetDateTime, Oid), Refusal> {
        let policy = self.policy_for(req)?;
        if req.has_extensions {
            return Err(Refusal::new(
                FailInfo::UnacceptedExtension,
                "request extensions are not supported",
            ));
        }
        let p = &self.prepared;
        let gen_time = truncate(OffsetDateTime::now_utc(), self.config.frac_digits);
        if gen_time < p.not_before || gen_time > p.not_after {
            return Err(Refusal::new(
                FailInfo::SystemFailure,
                "the TSA certificate is not valid now",
            ));
        }
        let serial = self
            .serials
            .next()
            .map_err(|e| Refusal::system("serial number", e))?;
        let serial = uint_contents(&serial.to_be_bytes());
        let tst = TstInfo {
            policy,
            imprint: req.imprint,
            serial: serial.clone(),
            gen_time,
            accuracy: self.config.accuracy.map(Accuracy::from_duration),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa_name: None,
            has_extensions: false,
        }
        .to_der(self.config.frac_digits);
        let token = self
            .sign(&tst, gen_time, req.cert_req)
            .map_err(|e| Refusal::system("signing", e))?;
        Ok((token, serial, gen_time, policy))
    }

    /// Wraps a TSTInfo encoding into a signed ContentInfo.
    fn sign(
        &self,
        tst: &[u8],
        gen_time: OffsetDateTime,
        cert_req: bool,
    ) -> Result<Vec<u8>, String> {
        let p = &self.prepared;
        let digest = p.digest_alg.digest(tst);
        let md = attribute(
            oid::ATTR_MESSAGE_DIGEST,
            &[&tlv(tag::OCTET_STRING, &[digest.as_bytes()])],
        )
        .map_err(|e| e.to_string())?;
        let time = kenpo_core::timefmt::encode_x509_time(gen_time);
        let st = attribute(oid::ATTR_SIGNING_TIME, &[&time]).map_err(|e| e.to_string())?;
        let cert = CertRef::parse(&self.config.cert_der).map_err(|e| e.to_string())?;
        let si = SignerInfoBuilder::new(self.config.key.as_ref(), p.alg, &cert)
            .signed_attr(p.content_type_attr.clone())
            .signed_attr(st)
            .signed_attr(md)
            .signed_attr(p.signing_cert_attr.clone())
            .sign()
            .map_err(|e| e.to_string())?;
        let mut certs: Vec<&[u8]> = Vec::new();
        if cert_req {
            certs.push(&self.config.cert_der);
            if self.config.include_chain {
                certs.extend(self.config.chain.iter().map(Vec::as_slice));
            }
        }
        signed_data(
            oid::ID_CT_TST_INFO,
            Some(tst),
            &[p.digest_alg],
            &certs,
            &[],
            &[&si.der],
        )
        .map_err(|e| e.to_string())
    }
}
