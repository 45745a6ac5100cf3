//! Answering OCSP requests (RFC 6960) for the CAs of the test PKI.
//!
//! Every CertID of a request must name the same CA (one response has one signer);
//! otherwise, or when a CertID names no CA of the PKI, the answer is `unauthorized`. An
//! unreadable request is answered `malformedRequest`, an internal failure
//! `internalError`. Successful responses: ResponderID byKey, producedAt = thisUpdate = the
//! service clock, nextUpdate one day later, the request's nonce extension echoed verbatim,
//! the signer's certificate included.

use der::asn1::{BitString, OctetString};
use der::{DateTime, Decode, Encode};
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, ResponderId,
    ResponseData, RevokedInfo, SingleResponse, Version,
};

use super::authority::Authority;
use crate::{Error, Revocation};

/// nextUpdate of every SingleResponse is this long after thisUpdate.
pub(super) const NEXT_UPDATE_AFTER: Duration = Duration::days(1);

const MALFORMED_REQUEST: u8 = 1;
const INTERNAL_ERROR: u8 = 2;
const UNAUTHORIZED: u8 = 6;
const ID_PKIX_OCSP_NONCE: der::asn1::ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;

/// An `OCSPResponse` with only a responseStatus (all but `successful`).
fn status_only(status: u8) -> Vec<u8> {
    vec![0x30, 0x03, 0x0a, 0x01, status]
}

/// The DER `OCSPResponse` answering the DER `OCSPRequest` in `body` at `now`, given the
/// PKI's CAs and current revocations.
pub(super) fn answer(
    body: &[u8],
    authorities: &[Authority],
    revoked: &[Revocation],
    now: OffsetDateTime,
) -> Vec<u8> {
    let Ok(request) = OcspRequest::from_der(body) else {
        return status_only(MALFORMED_REQUEST);
    };
    let list = &request.tbs_request.request_list;
    let Some(first) = list.first() else {
        return status_only(MALFORMED_REQUEST);
    };
    let Some(ca) = authorities.iter().find(|a| a.matches(&first.req_cert)) else {
        return status_only(UNAUTHORIZED);
    };
    if !list.iter().all(|r| ca.matches(&r.req_cert)) {
        return status_only(UNAUTHORIZED);
    }
    match respond(&request, ca, revoked, now) {
        Ok(der) => der,
        Err(_) => status_only(INTERNAL_ERROR),
    }
}

fn generalized(t: OffsetDateTime) -> Result<OcspGeneralizedTime, Error> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| Error::TimeOutOfRange(t))?;
    Ok(DateTime::from_unix_duration(std::time::Duration::from_secs(secs))?.into())
}

/// The CRLReason of code `code`, if it is a valid one.
pub(super) fn crl_reason(code: u8) -> Option<CrlReason> {
    CrlReason::from_der(&[0x0a, 0x01, code]).ok()
}

fn status_of(ca: &Authority, serial: &[u8], revoked: &[Revocation]) -> Result<CertStatus, Error> {
    let name = ca.issued.name;
    if let Some(r) = revoked
        .iter()
        .find(|r| r.issuer == name && r.serial == serial)
    {
        return Ok(CertStatus::Revoked(RevokedInfo {
            revocation_time: generalized(r.time)?,
            revocation_reason: r.reason.and_then(crl_reason),
        }));
    }
    Ok(if ca.serials.iter().any(|s| s == serial) {
        CertStatus::Good(der::asn1::Null)
    } else {
        CertStatus::Unknown(der::asn1::Null)
    })
}

fn respond(
    request: &OcspRequest,
    ca: &Authority,
    revoked: &[Revocation],
    now: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    let (this_update, next_update) = (generalized(now)?, generalized(now + NEXT_UPDATE_AFTER)?);
    let mut responses = Vec::with_capacity(request.tbs_request.request_list.len());
    for r in &request.tbs_request.request_list {
        responses.push(SingleResponse {
            cert_id: r.req_cert.clone(),
            cert_status: status_of(ca, r.req_cert.serial_number.as_bytes(), revoked)?,
            this_update,
            next_update: Some(next_update),
            single_extensions: None,
        });
    }
    let nonce: Vec<_> = request
        .tbs_request
        .request_extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
        .take(1)
        .cloned()
        .collect();
    let responder = &ca.responder;
    let tbs = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(OctetString::new(responder.key_hash.clone())?),
        produced_at: this_update,
        responses,
        response_extensions: (!nonce.is_empty()).then_some(nonce),
    };
    let digest = responder.key.default_digest();
    let signature_algorithm = responder.key.signature_algorithm(digest)?;
    let signature = responder.key.sign(digest, &tbs.to_der()?)?;
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
        certs: Some(vec![responder.cert.clone()]),
    };
    Ok(OcspResponse::successful(basic)?.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_map_to_crl_reason() {
        assert_eq!(crl_reason(1), Some(CrlReason::KeyCompromise));
        assert_eq!(crl_reason(6), Some(CrlReason::CertificateHold));
        assert_eq!(crl_reason(7), None);
        assert_eq!(crl_reason(11), None);
    }

    #[test]
    fn junk_is_malformed() {
        for bad in [
            &b""[..],
            b"\x30\x00",
            b"\x30\x02\x30\x00",
            b"GET / HTTP/1.1",
        ] {
            assert_eq!(
                answer(bad, &[], &[], OffsetDateTime::UNIX_EPOCH),
                [0x30, 3, 0x0a, 1, 1]
            );
        }
    }
}
