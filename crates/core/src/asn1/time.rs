//! `UTCTime` and `GeneralizedTime` in the DER profile.
//!
//! Both must end in `Z` and include seconds (X.690 §11.7, §11.8). A UTCTime year `YY` of
//! 50 or more is `19YY`, otherwise `20YY` (RFC 5280 §4.1.2.5.1). A GeneralizedTime may
//! carry fractional seconds only where the field allows them ([`generalized_time`], e.g.
//! RFC 3161 genTime or OCSP times), and then without trailing zeros; an X.509 `Time`
//! ([`x509_time`]: validity, CRL dates, signing-time) must not (RFC 5280 §4.1.2.5.2,
//! RFC 5652 §11.3).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::der_span::{Tlv, tag};

/// A time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeReadError {
    /// The TLV is not a time of the kind the field needs.
    #[error("expected {expected}, found tag 0x{found:02x}")]
    WrongTag {
        /// What the field holds.
        expected: &'static str,
        /// The tag seen.
        found: u8,
    },
    /// The contents are not a DER time.
    #[error("invalid {kind} {text:?}")]
    Invalid {
        /// `UTCTime` or `GeneralizedTime`.
        kind: &'static str,
        /// The contents, as text.
        text: String,
    },
}

/// An X.509 `Time` (UTCTime or GeneralizedTime, no fractional seconds).
pub fn x509_time(t: Tlv<'_>) -> Result<OffsetDateTime, TimeReadError> {
    match t.tag {
        tag::UTC_TIME => utc_time(t.value),
        tag::GENERALIZED_TIME => parse(t.value, false),
        found => Err(TimeReadError::WrongTag {
            expected: "UTCTime or GeneralizedTime",
            found,
        }),
    }
}

/// A `GeneralizedTime` TLV, fractional seconds allowed (without trailing zeros).
pub fn generalized_time(t: Tlv<'_>) -> Result<OffsetDateTime, TimeReadError> {
    match t.tag {
        tag::GENERALIZED_TIME => parse(t.value, true),
        found => Err(TimeReadError::WrongTag {
            expected: "GeneralizedTime",
            found,
        }),
    }
}

/// UTCTime contents `YYMMDDHHMMSSZ`.
fn utc_time(v: &[u8]) -> Result<OffsetDateTime, TimeReadError> {
    if v.len() != 13 {
        return Err(invalid("UTCTime", v));
    }
    let century: &[u8] = if v[0] < b'5' { b"20" } else { b"19" };
    parse(&[century, v].concat(), false).map_err(|_| invalid("UTCTime", v))
}

/// GeneralizedTime contents `YYYYMMDDHHMMSS[.f+]Z`.
fn parse(v: &[u8], fractions: bool) -> Result<OffsetDateTime, TimeReadError> {
    let bad = || invalid("GeneralizedTime", v);
    if v.len() < 15 || v.last() != Some(&b'Z') {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| digits(&v[r]).ok_or_else(bad);
    let month = Month::try_from(n(4..6)? as u8).map_err(|_| bad())?;
    let date = Date::from_calendar_date(n(0..4)? as i32, month, n(6..8)? as u8);
    let nanos = match &v[14..v.len() - 1] {
        [] => 0,
        [b'.', f @ ..] if fractions && !f.is_empty() && f.len() <= 9 && f.last() != Some(&b'0') => {
            digits(f).ok_or_else(bad)? * 10u32.pow(9 - f.len() as u32)
        }
        _ => return Err(bad()),
    };
    let time = Time::from_hms_nano(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8, nanos);
    match (date, time) {
        (Ok(d), Ok(t)) => Ok(PrimitiveDateTime::new(d, t).assume_utc()),
        _ => Err(bad()),
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn invalid(kind: &'static str, v: &[u8]) -> TimeReadError {
    TimeReadError::Invalid {
        kind,
        text: String::from_utf8_lossy(v).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::rfc3339;

    fn tlv(tag: u8, value: &[u8]) -> Tlv<'_> {
        Tlv {
            tag,
            value,
            raw: value,
            offset: 0,
        }
    }

    fn x509(tag: u8, v: &[u8]) -> Result<String, TimeReadError> {
        x509_time(tlv(tag, v)).map(rfc3339)
    }

    fn gen_frac(v: &[u8]) -> Result<String, TimeReadError> {
        generalized_time(tlv(tag::GENERALIZED_TIME, v)).map(rfc3339)
    }

    #[test]
    fn utc_time_century_rule_and_strictness() {
        let u = |v: &[u8]| x509(tag::UTC_TIME, v);
        assert_eq!(u(b"220908000000Z").as_deref(), Ok("2022-09-08T00:00:00Z"));
        assert_eq!(u(b"491231235959Z").as_deref(), Ok("2049-12-31T23:59:59Z"));
        assert_eq!(u(b"500101000000Z").as_deref(), Ok("1950-01-01T00:00:00Z"));
        assert_eq!(u(b"990908000000Z").as_deref(), Ok("1999-09-08T00:00:00Z"));
        for bad in [
            &b"9909080000Z"[..],  // no seconds
            b"220908000000",      // no Z
            b"220908000000+0900", // offset, not Z
            b"220908000000.5Z",   // fractions
            b"221308000000Z",     // month 13
            b"220230000000Z",     // 30 February
            b"220908240000Z",     // hour 24
            b"22090800000aZ",     // not a digit
            b"",
        ] {
            assert!(u(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn generalized_time_fractions_only_where_allowed() {
        let g = |v: &[u8]| x509(tag::GENERALIZED_TIME, v);
        assert_eq!(g(b"20500101000000Z").as_deref(), Ok("2050-01-01T00:00:00Z"));
        assert_eq!(g(b"19491231235959Z").as_deref(), Ok("1949-12-31T23:59:59Z"));
        // RFC 5280 §4.1.2.5.2 / RFC 5652 §11.3: no fractional seconds in an X.509 Time.
        assert!(g(b"20261122032500.25Z").is_err());
        assert_eq!(
            gen_frac(b"20261122032500.25Z").as_deref(),
            Ok("2026-11-22T03:25:00.25Z")
        );
        assert_eq!(
            gen_frac(b"20261122032500.123456789Z").as_deref(),
            Ok("2026-11-22T03:25:00.123456789Z")
        );
        for bad in [
            &b"20261122032500.250Z"[..],   // DER: no trailing 0
            b"20261122032500.Z",           // empty fraction
            b"20261122032500,5Z",          // comma
            b"20261122032500.1234567891Z", // finer than nanoseconds
            b"20261322032500Z",            // month 13
            b"2026112203250Z",             // short seconds
            b"202611220325Z",              // no seconds
            b"20261122032500",             // no Z
            b"20261122032500+0900",        // offset
        ] {
            assert!(gen_frac(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
            assert!(g(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn wrong_tags() {
        assert_eq!(
            x509(tag::INTEGER, b"1"),
            Err(TimeReadError::WrongTag {
                expected: "UTCTime or GeneralizedTime",
                found: 2
            })
        );
        assert!(generalized_time(tlv(tag::UTC_TIME, b"220908000000Z")).is_err());
    }
}
