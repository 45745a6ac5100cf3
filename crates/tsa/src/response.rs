//! `TimeStampResp` (RFC 3161 §2.4.2).
//!
//! ```text
//! TimeStampResp ::= SEQUENCE  {
//!    status          PKIStatusInfo,
//!    timeStampToken  TimeStampToken  OPTIONAL  }
//! ```
//! The token is kept as the exact span received: it is what gets embedded into signatures.

use kenpo_core::der_span::{parse_one, tag, tlv};

use crate::error::FormatError;
use crate::status::StatusInfo;

/// A parsed response; `token` borrows the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampResponse<'a> {
    /// status.
    pub status: StatusInfo,
    /// timeStampToken: the ContentInfo encoding, exactly as received.
    pub token: Option<&'a [u8]>,
}

impl<'a> TimeStampResponse<'a> {
    /// Parses a DER TimeStampResp.
    pub fn parse(der: &'a [u8]) -> Result<Self, FormatError> {
        let seq = parse_one(der)?.expect(tag::SEQUENCE)?;
        let mut r = seq.reader();
        let status = StatusInfo::parse(r.read()?)?;
        let token = r.optional(tag::SEQUENCE)?.map(|t| t.raw);
        r.finish()?;
        Ok(Self { status, token })
    }
}

/// Encodes a TimeStampResp from a status and an optional token encoding.
pub fn encode_response(status: &StatusInfo, token: Option<&[u8]>) -> Vec<u8> {
    tlv(
        tag::SEQUENCE,
        &[&status.to_der(), token.unwrap_or_default()],
    )
}

/// Heuristic: true when `der` looks like a whole TimeStampResp rather than a bare token.
///
/// A response starts with SEQUENCE { SEQUENCE { INTEGER …; a token (ContentInfo) starts
/// with SEQUENCE { OBJECT IDENTIFIER.
pub fn is_response(der: &[u8]) -> bool {
    parse_one(der)
        .ok()
        .and_then(|t| t.reader().read().ok())
        .is_some_and(|first| first.tag == tag::SEQUENCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::FailInfo;

    #[test]
    fn rejection_without_token() {
        let der = encode_response(&StatusInfo::rejection(FailInfo::BadAlg, "md5"), None);
        let r = TimeStampResponse::parse(&der).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.token, None);
        assert_eq!(r.status.fail_info, vec![FailInfo::BadAlg]);
        assert!(is_response(&der));
    }
}
