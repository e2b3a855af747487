//! Timestamp spellings, written straight into a line buffer (no allocation per line).

use std::io::Write;

/// 2026-11-20T10:00:00Z in ns since the epoch: where the simulated traffic starts.
pub const EPOCH_START_NS: i64 = 1_795_168_800 * 1_000_000_000;

/// Civil date and time of `ns` (UTC): (year, month, day, hour, minute, second, nanos).
pub fn civil(ns: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, nanos)
}

/// `2026-11-20<sep>10:00:01` then `digits` fraction digits (none when 0).
pub fn datetime(out: &mut Vec<u8>, ns: i64, sep: u8, digits: u32, frac_sep: u8) {
    let (y, mo, d, h, mi, s, n) = civil(ns);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}");
    out.push(sep);
    let _ = write!(out, "{h:02}:{mi:02}:{s:02}");
    if digits > 0 {
        out.push(frac_sep);
        let frac = n / 10u32.pow(9 - digits);
        let _ = write!(out, "{frac:0width$}", width = digits as usize);
    }
}

/// RFC 3339 in UTC with `digits` fraction digits and a `Z`.
pub fn rfc3339(out: &mut Vec<u8>, ns: i64, digits: u32) {
    datetime(out, ns, b'T', digits, b'.');
    out.push(b'Z');
}

/// RFC 3339 shown at a fixed offset of `offset_min` minutes (`+01:00`).
pub fn rfc3339_offset(out: &mut Vec<u8>, ns: i64, digits: u32, offset_min: i64) {
    datetime(out, ns + offset_min * 60_000_000_000, b'T', digits, b'.');
    let sign = if offset_min < 0 { '-' } else { '+' };
    let _ = write!(
        out,
        "{sign}{:02}:{:02}",
        offset_min.abs() / 60,
        offset_min.abs() % 60
    );
}

/// RFC 3339 µs as the truth file spells a start (always UTC, 6 digits).
pub fn rfc3339_string(ns: i64) -> String {
    let mut v = Vec::with_capacity(32);
    rfc3339(&mut v, ns, 6);
    String::from_utf8(v).expect("ASCII")
}

/// Parses what [`rfc3339`] and tracegrep print (`Z` or an offset, any fraction) into ns.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000_000;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' => 0,
        c @ (b'+' | b'-') => {
            let v = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *c == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // days from civil
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec - offset) * 1_000_000_000) + nanos)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        use super::*;
        let mut v = Vec::new();
        rfc3339(&mut v, EPOCH_START_NS + 1_234_567_000, 6);
        assert_eq!(v, b"2026-11-20T10:00:01.234567Z");
        let s = String::from_utf8(v).unwrap();
        assert_eq!(parse_rfc3339(&s), Some(EPOCH_START_NS + 1_234_567_000));
        let mut v = Vec::new();
        rfc3339_offset(&mut v, EPOCH_START_NS, 3, 60);
        assert_eq!(v, b"2026-11-20T11:00:00.000+01:00");
        let s = String::from_utf8(v).unwrap();
        assert_eq!(parse_rfc3339(&s), Some(EPOCH_START_NS));
    }
}
