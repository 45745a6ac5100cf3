//! `--tz ZONE`: the zone in which text reports show times.
//!
//! Reports are built with RFC 3339 UTC times (`2026-12-06T14:28:17Z`), which JSON keeps.
//! Text output shows each of them in the chosen zone, readably:
//! `2026-12-06 23:28:17 +09:00` (Japan time unless `--tz` says otherwise).

use time::{OffsetDateTime, UtcOffset};

/// The offset text reports show times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub UtcOffset);

/// Japan Standard Time, +09:00 (no daylight saving).
pub const JAPAN: Zone = Zone(match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
});

impl Default for Zone {
    fn default() -> Self {
        JAPAN
    }
}

/// The `--tz` flag, flattened into the commands that print text reports.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct TzArg {
    /// Time zone of the times in text output: UTC, JST (= Asia/Tokyo, +09:00) or an offset
    /// such as +09:00 or -05:00. JSON times stay RFC 3339 UTC.
    #[arg(long = "tz", value_name = "ZONE", default_value = "+09:00", value_parser = parse)]
    pub tz: Zone,
}

/// Parses a zone: `UTC`, `Z`, `GMT`, `JST`, `Japan`, `Asia/Tokyo`, `±HH:MM`, `±HHMM`, `±HH`.
pub fn parse(s: &str) -> Result<Zone, String> {
    let bad = || {
        format!("unknown time zone {s:?}: write UTC, JST (Asia/Tokyo) or an offset such as +09:00")
    };
    match s.trim().to_ascii_lowercase().as_str() {
        "utc" | "z" | "gmt" | "+00:00" | "-00:00" => return Ok(Zone(UtcOffset::UTC)),
        "jst" | "japan" | "asia/tokyo" => return Ok(JAPAN),
        _ => {}
    }
    let t = s.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1i8, t.get(1..).unwrap_or_default()),
        Some(b'-') => (-1i8, t.get(1..).unwrap_or_default()),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return Err(bad());
    }
    let h: i8 = digits
        .get(..2)
        .and_then(|d| d.parse().ok())
        .ok_or_else(bad)?;
    let m: i8 = match digits.get(2..4) {
        Some(d) => d.parse().map_err(|_| bad())?,
        None => 0,
    };
    if h > 23 || m > 59 {
        return Err(bad());
    }
    UtcOffset::from_hms(sign * h, sign * m, 0)
        .map(Zone)
        .map_err(|_| bad())
}

/// `2026-12-06 23:28:17 +09:00` (fractions of a second kept when present).
pub fn format(t: OffsetDateTime, zone: Zone) -> String {
    let t = t.to_offset(zone.0);
    let (oh, om, _) = zone.0.as_hms();
    let sign = if zone.0.is_negative() { '-' } else { '+' };
    let nanos = t.nanosecond();
    let frac = if nanos == 0 {
        String::new()
    } else {
        let f = format!(".{nanos:09}");
        f.trim_end_matches('0').to_owned()
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{frac} {sign}{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        oh.unsigned_abs(),
        om.unsigned_abs()
    )
}

/// Length of an RFC 3339 time starting at `b[0]` (`YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM)`),
/// or `None`.
fn rfc3339_len(b: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < SHAPE.len() + 1 {
        return None;
    }
    for (c, s) in b.iter().zip(SHAPE) {
        let ok = match s {
            b'd' => c.is_ascii_digit(),
            b'T' => *c == b'T' || *c == b't',
            other => c == other,
        };
        if !ok {
            return None;
        }
    }
    let mut i = SHAPE.len();
    if b.get(i) == Some(&b'.') {
        let digits = b
            .get(i + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        i += 1 + digits;
    }
    match b.get(i)? {
        b'Z' | b'z' => Some(i + 1),
        b'+' | b'-' => {
            let off = b.get(i + 1..i + 6)?;
            let shape_ok = off[0].is_ascii_digit()
                && off[1].is_ascii_digit()
                && off[2] == b':'
                && off[3].is_ascii_digit()
                && off[4].is_ascii_digit();
            shape_ok.then_some(i + 6)
        }
        _ => None,
    }
}

/// `text` with every RFC 3339 time in it shown in `zone` ([`format()`]); anything else is
/// kept as it is.
pub fn localize(text: &str, zone: Zone) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if boundary
            && b[i].is_ascii_digit()
            && let Some(len) = rfc3339_len(&b[i..])
            && let Some(s) = text.get(i..i + len)
            && let Ok(t) = kenpo_core::timefmt::parse_rfc3339(s)
        {
            out.push_str(text.get(copied..i).unwrap_or_default());
            out.push_str(&format(t, zone));
            i += len;
            copied = i;
            continue;
        }
        i += 1;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones() {
        assert_eq!(parse("UTC"), Ok(Zone(UtcOffset::UTC)));
        assert_eq!(parse("Asia/Tokyo"), Ok(JAPAN));
        assert_eq!(parse("+09:00"), Ok(JAPAN));
        assert_eq!(parse("+0900"), Ok(JAPAN));
        assert_eq!(
            parse("-05"),
            Ok(Zone(
                UtcOffset::from_hms(-5, 0, 0).unwrap_or(UtcOffset::UTC)
            ))
        );
        assert!(parse("Mars/Olympus").is_err());
        assert!(parse("+25:00").is_err());
        assert!(parse("+9").is_err());
    }

    #[test]
    fn rewrites_every_rfc3339_time_and_nothing_else() {
        let text = "Validation time: 2026-12-06T14:28:17Z\n\
                    expired at 2026-12-06T14:28:17.5Z (x 2026-12-06T14:28:17+01:00)\n\
                    serial 12026-12-06T14:28:17Z and 2026-12-06 kept";
        assert_eq!(
            localize(text, JAPAN),
            "Validation time: 2026-12-06 23:28:17 +09:00\n\
             expired at 2026-12-06 23:28:17.5 +09:00 (x 2026-12-06 22:28:17 +09:00)\n\
             serial 12026-12-06T14:28:17Z and 2026-12-06 kept"
        );
        assert_eq!(
            localize("2026-12-06T14:28:17Z", Zone(UtcOffset::UTC)),
            "2026-12-06 14:28:17 +00:00"
        );
        assert_eq!(
            localize("日本語 2026-01-01T00:00:00Z。", JAPAN),
            "日本語 2026-01-01 09:00:00 +09:00。"
        );
    }
}
