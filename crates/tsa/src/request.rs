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
use kenpo_core::der_span::{MAX_DEPTH, Reader, SpanError, Tlv, parse_one, tag, tlv};
use rand_core::RngCore;

use crate::asn1::{check_integer, integer, oid, read_oid, read_u64, uint_contents};
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
    ///
    /// Only DER is accepted (X.690 §10): definite lengths in their shortest form, nothing
    /// after the request, minimal INTEGERs and OID sub-identifiers, BOOLEAN TRUE as `FF`
    /// and certReq FALSE (the DEFAULT) left out. A BER-only encoding is refused with
    /// badDataFormat and a detail starting with "not DER".
    pub fn parse(der: &[u8]) -> Result<Self, RequestError> {
        let seq = parse_one(der)?.expect(tag::SEQUENCE)?;
        check_der(&seq, 0)?;
        let mut r = seq.reader();
        let version = r.expect(tag::INTEGER)?;
        der_integer(version, "version")?;
        let version = read_u64(version, "TimeStampReq.version")?;
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
                der_integer(t, "nonce")?;
                Some(t.value.to_vec())
            }
            None => None,
        };
        let cert_req = match r.optional(tag::BOOLEAN)? {
            Some(t) => match t.value {
                [0xff] => true,
                [0x00] => {
                    return Err(not_der(
                        "certReq FALSE is the DEFAULT and must be left out".into(),
                    ));
                }
                [b] => {
                    return Err(not_der(format!(
                        "certReq BOOLEAN TRUE must be FF, got {b:02X}"
                    )));
                }
                v => {
                    return Err(RequestError {
                        fail: FailInfo::BadDataFormat,
                        detail: format!(
                            "malformed certReq: BOOLEAN with {} content octets, expected 1",
                            v.len()
                        ),
                    });
                }
            },
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

/// A badDataFormat refusal for an encoding that is valid BER but not DER.
fn not_der(detail: String) -> RequestError {
    RequestError {
        fail: FailInfo::BadDataFormat,
        detail: format!("not DER: {detail}"),
    }
}

/// An INTEGER in its shortest two's-complement form.
fn der_integer(t: Tlv<'_>, field: &str) -> Result<(), RequestError> {
    check_integer(t, "INTEGER").map_err(|_| {
        not_der(format!(
            "{field} INTEGER is empty or not in its shortest form"
        ))
    })
}

/// Walks every TLV below `t` and checks the DER rules the span reader leaves to its
/// callers: length octets in their shortest form and OID sub-identifiers without padding.
/// (Indefinite lengths, high tags and truncation are refused by the reader itself.)
fn check_der(t: &Tlv<'_>, depth: usize) -> Result<(), RequestError> {
    if depth > MAX_DEPTH {
        return Err(SpanError::TooDeep.into());
    }
    let header = t.raw.len() - t.value.len();
    let len = t.value.len();
    let shortest = if len < 0x80 {
        2
    } else {
        2 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    };
    if header != shortest {
        return Err(not_der(format!(
            "the length of the value at offset {} takes {} octets where {} suffice",
            t.offset,
            header - 1,
            shortest - 1
        )));
    }
    if t.tag == tag::OID {
        let padded = t
            .value
            .iter()
            .enumerate()
            .any(|(i, &b)| b == 0x80 && (i == 0 || t.value[i - 1] & 0x80 == 0));
        if padded {
            return Err(not_der(format!(
                "the OBJECT IDENTIFIER at offset {} has a sub-identifier padded with 80",
                t.offset
            )));
        }
    }
    if t.tag & CONSTRUCTED != 0 {
        let mut r = t.reader();
        while !r.is_empty() {
            check_der(&r.read()?, depth + 1)?;
        }
    }
    Ok(())
}

/// The constructed bit of an identifier octet.
const CONSTRUCTED: u8 = 0x20;

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
    fn long_form_lengths_in_their_shortest_form_are_der() {
        // A 300-octet nonce: the nonce takes 82 01 2C, the SEQUENCE 82 01 xx.
        let mut req = TimeStampRequest::new(DigestAlgorithm::Sha512.digest(b"long"));
        let mut nonce = vec![0x5a; 300];
        nonce[0] = 0x01;
        req.nonce = Some(nonce);
        let der = req.to_der();
        assert_eq!(&der[..2], &[tag::SEQUENCE, 0x82]);
        let back = TimeStampRequest::parse(&der).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, req);
        // 0x80..=0xFF octets take one length octet.
        req.nonce = Some(vec![0x01; 0x80]);
        assert!(TimeStampRequest::parse(&req.to_der()).is_ok());
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
