//! Time conversions: ASN.1 `UTCTime`/`GeneralizedTime` (with fractional seconds, which
//! RFC 3161 allows in genTime) and RFC 3339 text.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time: {0}")]
pub struct TimeError(pub String);

/// Converts an X.509 `Time`.
pub fn from_x509_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

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

fn digits(b: &[u8]) -> Result<u32, TimeError> {
    b.iter().try_fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            Ok(acc * 10 + u32::from(c - b'0'))
        } else {
            Err(TimeError("non-digit in time".into()))
        }
    })
}

/// Parses `GeneralizedTime` contents in the DER profile `YYYYMMDDHHMMSS[.f+]Z`.
pub fn parse_generalized_time(v: &[u8]) -> Result<OffsetDateTime, TimeError> {
    let bad = || TimeError(String::from_utf8_lossy(v).into_owned());
    if v.len() < 15 || v.last() != Some(&b'Z') {
        return Err(bad());
    }
    let year = digits(&v[0..4])? as i32;
    let month = Month::try_from(digits(&v[4..6])? as u8).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, digits(&v[6..8])? as u8).map_err(|_| bad())?;
    let (h, m, s) = (digits(&v[8..10])?, digits(&v[10..12])?, digits(&v[12..14])?);
    let frac = &v[14..v.len() - 1];
    let nanos = match frac {
        [] => 0,
        [b'.', rest @ ..] if !rest.is_empty() && rest.len() <= 9 && rest.last() != Some(&b'0') => {
            digits(rest)? * 10u32.pow(9 - rest.len() as u32)
        }
        _ => return Err(bad()),
    };
    let time = Time::from_hms_nano(h as u8, m as u8, s as u8, nanos).map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_with_fractions() {
        let t = parse_generalized_time(b"20261122032500.25Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rfc3339(t), "2026-11-22T03:25:00.25Z");
        assert_eq!(encode_generalized_time(t, 3)[2..], *b"20261122032500.25Z");
        assert_eq!(encode_generalized_time(t, 0)[2..], *b"20261122032500Z");
        assert!(
            parse_generalized_time(b"20261122032500.250Z").is_err(),
            "DER forbids trailing 0"
        );
        assert!(parse_generalized_time(b"20261322032500Z").is_err());
        assert!(parse_generalized_time(b"2026112203250Z").is_err());
    }
}
