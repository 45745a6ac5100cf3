//! `TimeStampReq` (RFC 3161 §2.4.1): building on the client, strict parsing on the server.
//!
//! ```text
//! TimeStampReq ::= SEQUENCE  {
//!    version          INTEGER  { v1(1) },
//!    messageImprint   MessageImprint,
//!    reqPolicy        TSAPolicyId              OPTIONAL,
//!    nonce            INTEGER                  OPTIONAL,
//!    certReq          BOOLEAN                  DEFAULT FALSE,
//!    extensions       [0] IMPLICIT Extensions  OPTIONAL  }
//! ```

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_core::der_span::{Reader, parse_one, tag, tlv};
use rand_core::RngCore;

use crate::asn1::{check_integer, integer, oid, read_bool, read_oid, read_u64, uint_contents};
use crate::error::FormatError;
use crate::status::FailInfo;

/// Nonce size used by [`TimeStampRequest::new`]: 128 bits (RFC 3161 asks for ≥ 64).
pub const NONCE_BYTES: usize = 16;

/// A time-stamp request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampRequest {
    /// messageImprint: the digest to be time-stamped.
    pub imprint: Digest,
    /// reqPolicy.
    pub policy: Option<Oid>,
    /// nonce, as INTEGER contents (minimal two's complement).
    pub nonce: Option<Vec<u8>>,
    /// certReq: ask the TSA to include its certificate.
    pub cert_req: bool,
    /// Whether the request carried extensions (kenpo-sign's TSA accepts none).
    pub has_extensions: bool,
}

/// Why a request was refused, with the failInfo the TSA must answer with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{fail}: {detail}")]
pub struct RequestError {
    /// failInfo for the rejection response.
    pub fail: FailInfo,
    /// Human-readable reason.
    pub detail: String,
}

impl From<FormatError> for RequestError {
    fn from(e: FormatError) -> Self {
        Self {
            fail: FailInfo::BadDataFormat,
            detail: e.to_string(),
        }
    }
}

impl From<kenpo_core::der_span::SpanError> for RequestError {
    fn from(e: kenpo_core::der_span::SpanError) -> Self {
        FormatError::from(e).into()
    }
}

/// A fresh random nonce as INTEGER contents (positive, minimal).
pub fn random_nonce() -> Vec<u8> {
    let mut bytes = [0u8; NONCE_BYTES];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[0] |= 0x01; // keep the full 128 bits significant
    uint_contents(&bytes)
}

impl TimeStampRequest {
    /// A request for `imprint` with a fresh 128-bit nonce and certReq set.
    pub fn new(imprint: Digest) -> Self {
        Self {
            imprint,
            policy: None,
            nonce: Some(random_nonce()),
            cert_req: true,
            has_extensions: false,
        }
    }

    /// Sets reqPolicy.
    pub fn with_policy(mut self, policy: Option<Oid>) -> Self {
        self.policy = policy;
        self
    }

    /// Sets certReq.
    pub fn with_cert_req(mut self, cert_req: bool) -> Self {
        self.cert_req = cert_req;
        self
    }

    /// DER encoding.
    pub fn to_der(&self) -> Vec<u8> {
        let imprint = crate::asn1::message_imprint(&self.imprint);
        let policy = self.policy.map(oid).unwrap_or_default();
        let nonce = self.nonce.as_deref().map(integer).unwrap_or_default();
        let cert_req: &[u8] = if self.cert_req {
            &[tag::BOOLEAN, 1, 0xff]
        } else {
            &[]
        };
        tlv(
            tag::SEQUENCE,
            &[&[0x02, 0x01, 0x01], &imprint, &policy, &nonce, cert_req],
        )
    }

    /// Parses a DER request, classifying every refusal by its RFC 3161 failInfo.
    pub fn parse(der: &[u8]) -> Result<Self, RequestError> {
        let seq = parse_one(der)?.expect(tag::SEQUENCE)?;
        let mut r = seq.reader();
        let version = read_u64(r.expect(tag::INTEGER)?, "TimeStampReq.version")?;
        if version != 1 {
            return Err(RequestError {
                fail: FailInfo::BadDataFormat,
                detail: format!("version {version}, expected 1"),
            });
        }
        let imprint = parse_imprint(&mut r)?;
        if imprint.algorithm() == DigestAlgorithm::Sha1 {
            return Err(RequestError {
                fail: FailInfo::BadAlg,
                detail: "SHA-1 imprints are not accepted".into(),
            });
        }
        let policy = match r.optional(tag::OID)? {
            Some(t) => Some(read_oid(t, "reqPolicy")?),
            None => None,
        };
        let nonce = match r.optional(tag::INTEGER)? {
            Some(t) => {
                check_integer(t, "nonce")?;
                Some(t.value.to_vec())
            }
            None => None,
        };
        let cert_req = match r.optional(tag::BOOLEAN)? {
            Some(t) => read_bool(t, "certReq")?,
            None => false,
        };
        let has_extensions = r.optional(tag::context(0))?.is_some();
        r.finish()?;
        Ok(Self {
            imprint,
            policy,
            nonce,
            cert_req,
            has_extensions,
        })
    }
}

/// Reads `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`.
/// Reads a MessageImprint; SHA-1 is *read* (old tokens carry it) and refused only where
/// new time-stamps are requested.
pub(crate) fn parse_imprint(r: &mut Reader<'_>) -> Result<Digest, RequestError> {
    let mi = r.expect(tag::SEQUENCE)?;
    let mut m = mi.reader();
    let alg = m.expect(tag::SEQUENCE)?;
    let mut a = alg.reader();
    let alg_oid = read_oid(a.read()?, "hashAlgorithm")?;
    // Parameters: absent or NULL.
    if let Some(p) = (!a.is_empty()).then(|| a.read()).transpose()?
        && (p.tag != tag::NULL || !p.value.is_empty())
    {
        return Err(RequestError {
            fail: FailInfo::BadAlg,
            detail: "hash algorithm parameters".into(),
        });
    }
    a.finish()?;
    let alg = DigestAlgorithm::from_oid(&alg_oid).map_err(|_| RequestError {
        fail: FailInfo::BadAlg,
        detail: format!("unsupported hash algorithm {alg_oid}"),
    })?;
    let hashed = m.expect(tag::OCTET_STRING)?;
    m.finish()?;
    Digest::from_bytes(alg, hashed.value).ok_or_else(|| RequestError {
        fail: FailInfo::BadDataFormat,
        detail: format!("{}-byte imprint for {}", hashed.value.len(), alg.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip_and_nonce_size() {
        let d = DigestAlgorithm::Sha384.digest(b"doc");
        let req = TimeStampRequest::new(d).with_policy(Some(Oid::new_unwrap("1.2.3.4")));
        let nonce = req.nonce.clone().unwrap_or_default();
        assert!(nonce.len() >= 8 && nonce.len() <= NONCE_BYTES + 1);
        let back = TimeStampRequest::parse(&req.to_der()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, req);
        assert_ne!(random_nonce(), random_nonce());
    }

    #[test]
    fn refusals_carry_the_right_fail_info() {
        let sha1 = TimeStampRequest {
            imprint: DigestAlgorithm::Sha1.digest(b"x"),
            ..TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"x"))
        };
        assert_eq!(
            TimeStampRequest::parse(&sha1.to_der()).map_err(|e| e.fail),
            Err(FailInfo::BadAlg)
        );
        assert_eq!(
            TimeStampRequest::parse(b"garbage").map_err(|e| e.fail),
            Err(FailInfo::BadDataFormat)
        );
        let mut der = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"x")).to_der();
        let n = der.len();
        der[n - 4] ^= 0x01; // corrupt a byte inside the structure, lengths intact
        assert!(TimeStampRequest::parse(&der[..n - 1]).is_err());
    }
}
