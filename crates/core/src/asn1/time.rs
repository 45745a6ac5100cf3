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
