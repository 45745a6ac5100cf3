//! `TSTInfo` (RFC 3161 §2.4.2), read and written by hand so that genTime may carry
//! fractional seconds (which `der`'s `GeneralizedTime` rejects).
//!
//! ```text
//! TSTInfo ::= SEQUENCE  {
//!    version          INTEGER  { v1(1) },
//!    policy           TSAPolicyId,
//!    messageImprint   MessageImprint,
//!    serialNumber     INTEGER,
//!    genTime          GeneralizedTime,
//!    accuracy         Accuracy                 OPTIONAL,
//!    ordering         BOOLEAN             DEFAULT FALSE,
//!    nonce            INTEGER                  OPTIONAL,
//!    tsa              [0] GeneralName          OPTIONAL,
//!    extensions       [1] IMPLICIT Extensions  OPTIONAL   }
//! Accuracy ::= SEQUENCE {
//!    seconds  INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
//! ```

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::Digest;
use kenpo_core::der_span::{parse_one, tag, tlv};
use kenpo_core::timefmt;
use time::OffsetDateTime;

use crate::asn1::{check_integer, integer, integer_u64, oid, read_bool, read_oid, read_u64};
use crate::error::FormatError;
use crate::request::parse_imprint;

/// Accuracy of genTime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Accuracy {
    /// Whole seconds.
    pub seconds: u64,
    /// Milliseconds (0–999).
    pub millis: u16,
    /// Microseconds (0–999).
    pub micros: u16,
}

impl Accuracy {
    /// From a duration (sub-microsecond part dropped).
    pub fn from_duration(d: std::time::Duration) -> Self {
        let micros_total = d.as_micros();
        Self {
            seconds: d.as_secs(),
            millis: ((micros_total / 1000) % 1000) as u16,
            micros: (micros_total % 1000) as u16,
        }
    }

    /// As a duration.
    pub fn as_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
            + std::time::Duration::from_micros(
                u64::from(self.millis) * 1000 + u64::from(self.micros),
            )
    }

    fn to_der(self) -> Vec<u8> {
        let s = if self.seconds > 0 {
            integer_u64(self.seconds)
        } else {
            Vec::new()
        };
        let ms = if self.millis > 0 {
            let mut v = integer_u64(u64::from(self.millis));
            v[0] = tag::context_primitive(0);
            v
        } else {
            Vec::new()
        };
        let us = if self.micros > 0 {
            let mut v = integer_u64(u64::from(self.micros));
            v[0] = tag::context_primitive(1);
            v
        } else {
            Vec::new()
        };
        tlv(tag::SEQUENCE, &[&s, &ms, &us])
    }
}

/// A TSTInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    /// policy.
    pub policy: Oid,
    /// messageImprint.
    pub imprint: Digest,
    /// serialNumber as INTEGER contents.
    pub serial: Vec<u8>,
    /// genTime (UTC).
    pub gen_time: OffsetDateTime,
    /// accuracy.
    pub accuracy: Option<Accuracy>,
    /// ordering.
    pub ordering: bool,
    /// nonce as INTEGER contents.
    pub nonce: Option<Vec<u8>>,
    /// tsa GeneralName encoding (the `[0]` field's contents), kept opaque.
    pub tsa_name: Option<Vec<u8>>,
    /// Whether extensions were present.
    pub has_extensions: bool,
}

impl TstInfo {
    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(&self.serial)
    }

    /// Parses a DER TSTInfo.
    pub fn parse(der: &[u8]) -> Result<Self, FormatError> {
        let seq = parse_one(der)?.expect(tag::SEQUENCE)?;
        let mut r = seq.reader();
        let version = read_u64(r.expect(tag::INTEGER)?, "TSTInfo.version")?;
        if version != 1 {
            return Err(FormatError::new(
                "TSTInfo.version",
                format!("{version}, expected 1"),
            ));
        }
        let policy = read_oid(r.read()?, "TSTInfo.policy")?;
        let imprint = parse_imprint(&mut r)
            .map_err(|e| FormatError::new("TSTInfo.messageImprint", e.detail))?;
        let serial = r.expect(tag::INTEGER)?;
        check_integer(serial, "TSTInfo.serialNumber")?;
        let gen_time = kenpo_core::asn1::time::generalized_time(r.expect(tag::GENERALIZED_TIME)?)
            .map_err(|e| FormatError::new("TSTInfo.genTime", e))?;
        let accuracy = match r.optional(tag::SEQUENCE)? {
            Some(a) => {
                let mut ar = a.reader();
                let seconds = match ar.optional(tag::INTEGER)? {
                    Some(t) => read_u64(t, "Accuracy.seconds")?,
                    None => 0,
                };
                let mut sub = |n: u8, field| -> Result<u16, FormatError> {
                    match ar.optional(tag::context_primitive(n))? {
                        Some(t) => match read_u64(t, field)? {
                            v @ 1..=999 => Ok(v as u16),
                            v => Err(FormatError::new(field, format!("{v} outside 1..999"))),
                        },
                        None => Ok(0),
                    }
                };
                let millis = sub(0, "Accuracy.millis")?;
                let micros = sub(1, "Accuracy.micros")?;
                ar.finish()?;
                Some(Accuracy {
                    seconds,
                    millis,
                    micros,
                })
            }
            None => None,
        };
        let ordering = match r.optional(tag::BOOLEAN)? {
            Some(t) => read_bool(t, "TSTInfo.ordering")?,
            None => false,
        };
        let nonce = match r.optional(tag::INTEGER)? {
            Some(t) => {
                check_integer(t, "TSTInfo.nonce")?;
                Some(t.value.to_vec())
            }
            None => None,
        };
        let tsa_name = r.optional(tag::context(0))?.map(|t| t.value.to_vec());
        let has_extensions = r.optional(tag::context(1))?.is_some();
        r.finish()?;
        Ok(Self {
            policy,
            imprint,
            serial: serial.value.to_vec(),
            gen_time,
            accuracy,
            ordering,
            nonce,
            tsa_name,
            has_extensions,
        })
    }

    /// DER encoding, genTime with up to `frac_digits` fractional digits.
    pub fn to_der(&self, frac_digits: u8) -> Vec<u8> {
        let imprint = crate::asn1::message_imprint(&self.imprint);
        let accuracy = self
            .accuracy
            .filter(|a| *a != Accuracy::default())
            .map(Accuracy::to_der)
            .unwrap_or_default();
        let ordering: &[u8] = if self.ordering {
            &[tag::BOOLEAN, 1, 0xff]
        } else {
            &[]
        };
        let nonce = self.nonce.as_deref().map(integer).unwrap_or_default();
        let tsa = self
            .tsa_name
            .as_deref()
            .map(|n| tlv(tag::context(0), &[n]))
            .unwrap_or_default();
        tlv(
            tag::SEQUENCE,
            &[
                &[0x02, 0x01, 0x01],
                &oid(self.policy),
                &imprint,
                &integer(&self.serial),
                &timefmt::encode_generalized_time(self.gen_time, frac_digits),
                &accuracy,
                ordering,
                &nonce,
                &tsa,
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenpo_core::alg::DigestAlgorithm;

    #[test]
    fn tst_info_round_trip() {
        let t = TstInfo {
            policy: Oid::new_unwrap("1.2.392.200081.1.1"),
            imprint: DigestAlgorithm::Sha256.digest(b"doc"),
            serial: vec![0x01, 0x02],
            gen_time: OffsetDateTime::from_unix_timestamp(1_795_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
                + time::Duration::milliseconds(120),
            accuracy: Some(Accuracy {
                seconds: 1,
                millis: 500,
                micros: 0,
            }),
            ordering: false,
            nonce: Some(vec![0x7f, 0x01]),
            tsa_name: None,
            has_extensions: false,
        };
        let der = t.to_der(3);
        // Old tokens with SHA-1 imprints are read; only new requests refuse SHA-1.
        let legacy = TstInfo {
            imprint: DigestAlgorithm::Sha1.digest(b"doc"),
            ..t.clone()
        };
        assert_eq!(
            TstInfo::parse(&legacy.to_der(0)).map(|x| x.imprint),
            Ok(legacy.imprint)
        );
        assert_eq!(TstInfo::parse(&der), Ok(t.clone()));
        let coarse = TstInfo::parse(&t.to_der(0)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(coarse.gen_time.millisecond(), 0);
    }
}
