//! `PKIStatusInfo` (RFC 3161 §2.4.2, from RFC 4210).
//!
//! ```text
//! PKIStatusInfo ::= SEQUENCE {
//!    status        PKIStatus,
//!    statusString  PKIFreeText     OPTIONAL,
//!    failInfo      PKIFailureInfo  OPTIONAL  }
//! ```

use kenpo_core::der_span::{Tlv, tag, tlv};

use crate::asn1::{integer_u64, read_u64};
use crate::error::FormatError;

/// PKIStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PkiStatus {
    /// 0: a token is present.
    Granted,
    /// 1: a token is present, with modifications.
    GrantedWithMods,
    /// 2: refused; failInfo says why.
    Rejection,
    /// 3: not yet available.
    Waiting,
    /// 4: revocation imminent.
    RevocationWarning,
    /// 5: revocation has occurred.
    RevocationNotification,
}

impl PkiStatus {
    /// The numeric value.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// From the numeric value.
    pub fn from_code(v: u64) -> Option<Self> {
        Some(match v {
            0 => Self::Granted,
            1 => Self::GrantedWithMods,
            2 => Self::Rejection,
            3 => Self::Waiting,
            4 => Self::RevocationWarning,
            5 => Self::RevocationNotification,
            _ => return None,
        })
    }

    /// The RFC 3161 name (`granted`, `grantedWithMods`, `rejection`, `waiting`,
    /// `revocationWarning`, `revocationNotification`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::GrantedWithMods => "grantedWithMods",
            Self::Rejection => "rejection",
            Self::Waiting => "waiting",
            Self::RevocationWarning => "revocationWarning",
            Self::RevocationNotification => "revocationNotification",
        }
    }

    /// Whether a token accompanies this status.
    pub fn is_granted(self) -> bool {
        matches!(self, Self::Granted | Self::GrantedWithMods)
    }
}

/// PKIFailureInfo bits that RFC 3161 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FailInfo {
    /// 0: unrecognised or unsupported algorithm.
    BadAlg,
    /// 2: transaction not permitted or supported.
    BadRequest,
    /// 5: the data submitted has the wrong format.
    BadDataFormat,
    /// 14: the TSA's time source is not available.
    TimeNotAvailable,
    /// 15: the requested TSA policy is not supported.
    UnacceptedPolicy,
    /// 16: the requested extension is not supported.
    UnacceptedExtension,
    /// 17: the additional information requested is not available.
    AddInfoNotAvailable,
    /// 25: the request cannot be handled due to system failure.
    SystemFailure,
}

impl FailInfo {
    /// All bits RFC 3161 defines.
    pub const ALL: [FailInfo; 8] = [
        Self::BadAlg,
        Self::BadRequest,
        Self::BadDataFormat,
        Self::TimeNotAvailable,
        Self::UnacceptedPolicy,
        Self::UnacceptedExtension,
        Self::AddInfoNotAvailable,
        Self::SystemFailure,
    ];

    /// The bit number.
    pub fn bit(self) -> usize {
        match self {
            Self::BadAlg => 0,
            Self::BadRequest => 2,
            Self::BadDataFormat => 5,
            Self::TimeNotAvailable => 14,
            Self::UnacceptedPolicy => 15,
            Self::UnacceptedExtension => 16,
            Self::AddInfoNotAvailable => 17,
            Self::SystemFailure => 25,
        }
    }

    /// RFC name (`badAlg`).
    pub fn name(self) -> &'static str {
        match self {
            Self::BadAlg => "badAlg",
            Self::BadRequest => "badRequest",
            Self::BadDataFormat => "badDataFormat",
            Self::TimeNotAvailable => "timeNotAvailable",
            Self::UnacceptedPolicy => "unacceptedPolicy",
            Self::UnacceptedExtension => "unacceptedExtension",
            Self::AddInfoNotAvailable => "addInfoNotAvailable",
            Self::SystemFailure => "systemFailure",
        }
    }
}

impl std::fmt::Display for FailInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded or to-be-encoded PKIStatusInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusInfo {
    /// status (unknown values are kept as `Err(code)`).
    pub status: Result<PkiStatus, u64>,
    /// statusString entries.
    pub text: Vec<String>,
    /// failInfo bits RFC 3161 defines.
    pub fail_info: Vec<FailInfo>,
    /// failInfo bits set that RFC 3161 does not define.
    pub other_fail_bits: Vec<usize>,
}

impl StatusInfo {
    /// `granted`.
    pub fn granted() -> Self {
        Self {
            status: Ok(PkiStatus::Granted),
            text: Vec::new(),
            fail_info: Vec::new(),
            other_fail_bits: Vec::new(),
        }
    }

    /// `rejection` with one failInfo bit and an explanatory text.
    pub fn rejection(fail: FailInfo, text: impl Into<String>) -> Self {
        Self {
            status: Ok(PkiStatus::Rejection),
            text: vec![text.into()],
            fail_info: vec![fail],
            other_fail_bits: Vec::new(),
        }
    }

    /// Encodes as DER.
    pub fn to_der(&self) -> Vec<u8> {
        let code = match self.status {
            Ok(s) => s.code(),
            Err(c) => c,
        };
        let status = integer_u64(code);
        let text = if self.text.is_empty() {
            Vec::new()
        } else {
            let items: Vec<Vec<u8>> = self
                .text
                .iter()
                .map(|t| tlv(tag::UTF8_STRING, &[t.as_bytes()]))
                .collect();
            tlv(
                tag::SEQUENCE,
                &items.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            )
        };
        let bits: Vec<usize> = self
            .fail_info
            .iter()
            .map(|f| f.bit())
            .chain(self.other_fail_bits.iter().copied())
            .collect();
        let fail = match bits.iter().max() {
            None => Vec::new(),
            Some(&max) => {
                let mut bytes = vec![0u8; max / 8 + 1];
                for b in &bits {
                    bytes[b / 8] |= 0x80 >> (b % 8);
                }
                let unused = (7 - max % 8) as u8;
                tlv(tag::BIT_STRING, &[&[unused], &bytes])
            }
        };
        tlv(tag::SEQUENCE, &[&status, &text, &fail])
    }

    /// Decodes a PKIStatusInfo TLV.
    pub fn parse(t: Tlv<'_>) -> Result<Self, FormatError> {
        let t = t.expect(tag::SEQUENCE)?;
        let mut r = t.reader();
        let code = read_u64(r.expect(tag::INTEGER)?, "PKIStatusInfo.status")?;
        let mut text = Vec::new();
        if let Some(seq) = r.optional(tag::SEQUENCE)? {
            for s in seq.reader().all()? {
                let s = s.expect(tag::UTF8_STRING)?;
                text.push(String::from_utf8_lossy(s.value).into_owned());
            }
        }
        let mut fail_info = Vec::new();
        let mut other_fail_bits = Vec::new();
        if let Some(bs) = r.optional(tag::BIT_STRING)? {
            let (unused, bytes) = bs
                .value
                .split_first()
                .ok_or_else(|| FormatError::new("failInfo", "empty"))?;
            if *unused > 7 || (bytes.is_empty() && *unused != 0) {
                return Err(FormatError::new("failInfo", "bad unused-bits count"));
            }
            for (i, byte) in bytes.iter().enumerate() {
                for j in 0..8 {
                    if byte & (0x80 >> j) != 0 {
                        let bit = i * 8 + j;
                        match FailInfo::ALL.iter().find(|f| f.bit() == bit) {
                            Some(f) => fail_info.push(*f),
                            None => other_fail_bits.push(bit),
                        }
                    }
                }
            }
        }
        r.finish()?;
        Ok(Self {
            status: PkiStatus::from_code(code).ok_or(code),
            text,
            fail_info,
            other_fail_bits,
        })
    }
}

impl std::fmt::Display for StatusInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Ok(s) => f.write_str(s.name())?,
            Err(c) => write!(f, "unknown status {c}")?,
        }
        if !self.fail_info.is_empty() {
            let names: Vec<&str> = self.fail_info.iter().map(|x| x.name()).collect();
            write!(f, " ({})", names.join(", "))?;
        }
        if !self.text.is_empty() {
            write!(f, ": {}", self.text.join("; "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenpo_core::der_span::parse_one;

    #[test]
    fn rejection_round_trips_with_minimal_bit_string() {
        let s = StatusInfo::rejection(FailInfo::UnacceptedPolicy, "policy 1.2.3 not offered");
        let der = s.to_der();
        // bit 15 → two bytes, 0 unused bits, last bit of the second byte.
        assert!(der.windows(5).any(|w| w == [0x03, 0x03, 0x00, 0x00, 0x01]));
        let back = StatusInfo::parse(parse_one(&der).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, s);
        let bad_alg = StatusInfo::rejection(FailInfo::BadAlg, "x").to_der();
        assert!(bad_alg.windows(4).any(|w| w == [0x03, 0x02, 0x07, 0x80]));
    }
}
