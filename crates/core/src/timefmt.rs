//! Time conversions: RFC 3339 text, and `GeneralizedTime` and `Time` encoding (reading
//! ASN.1 times is [`crate::asn1::time`]).

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time: {0}")]
pub struct TimeError(pub String);

/// Formats as RFC 3339 in UTC (`2026-11-22T03:25:00Z`, fractions only when present).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Parses RFC 3339 (`2022-09-08T00:00:00Z`, offsets allowed).
pub fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, TimeError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| TimeError(format!("{s}: {e}")))
}

/// Encodes a DER `GeneralizedTime` TLV with up to `frac_digits` (0–6) fractional digits,
/// trailing zeros removed as DER requires.
pub fn encode_generalized_time(t: OffsetDateTime, frac_digits: u8) -> Vec<u8> {
    let t = t.to_offset(UtcOffset::UTC);
    let mut s = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let digits = usize::from(frac_digits.min(6));
    if digits > 0 {
        let f = format!("{:06}", t.microsecond());
        let f = f[..digits].trim_end_matches('0');
        if !f.is_empty() {
            s.push('.');
            s.push_str(f);
        }
    }
    s.push('Z');
    crate::der_span::tlv(crate::der_span::tag::GENERALIZED_TIME, &[s.as_bytes()])
}

/// The RFC 5280 `Time` encoding of `t` (whole seconds, UTC): UTCTime for 1950–2049,
/// GeneralizedTime otherwise (as signing-time wants, RFC 5652 §11.3).
pub fn encode_x509_time(t: OffsetDateTime) -> Vec<u8> {
    let generalized = encode_generalized_time(t, 0);
    if (1950..2050).contains(&t.to_offset(UtcOffset::UTC).year()) {
        // `YYYYMMDDHHMMSSZ` after tag and length: UTCTime is the same without the century.
        let utc = generalized.get(4..).unwrap_or_default();
        crate::der_span::tlv(crate::der_span::tag::UTC_TIME, &[utc])
    } else {
        generalized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_encoding() {
        let t = parse_rfc3339("2026-11-22T03:25:00.25Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(encode_generalized_time(t, 3)[2..], *b"20261122032500.25Z");
        assert_eq!(encode_generalized_time(t, 0)[2..], *b"20261122032500Z");
    }

    #[test]
    fn x509_time_switches_to_generalized_time_in_2050() {
        use crate::der_span::{tag, tlv};
        for (t, want) in [
            ("2026-11-22T03:25:00.7Z", "261122032500Z"),
            ("2049-12-31T23:59:59Z", "491231235959Z"),
            ("2026-11-22T12:25:00+09:00", "261122032500Z"),
            ("1950-01-01T00:00:00Z", "500101000000Z"),
            ("2050-01-01T00:00:00Z", "20500101000000Z"),
            ("1949-12-31T23:59:59Z", "19491231235959Z"),
        ] {
            let t = parse_rfc3339(t).unwrap_or_else(|e| panic!("{e}"));
            // UTCTime has two year digits, GeneralizedTime four.
            let tag = if want.len() == 13 {
                tag::UTC_TIME
            } else {
                tag::GENERALIZED_TIME
            };
            assert_eq!(encode_x509_time(t), tlv(tag, &[want.as_bytes()]), "{t}");
        }
    }
}
