//! Timestamp parsing and formatting.
//!
//! Producers disagree on how to write time (RFC 3339 variants, epoch numbers in four units,
//! floats), so everything is normalised to [`Nanos`]. Parsers walk bytes, never `&str`
//! indices, so arbitrary non-ASCII log text cannot hit a char-boundary panic, and they do
//! not allocate. Results outside 2000..=2100 are rejected because they almost always mean
//! a wrong unit guess or a field that is not a timestamp at all.

use std::cell::Cell;
use std::io::Write;

/// Nanoseconds since the Unix epoch, UTC.
pub type Nanos = i64;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat};

use crate::records::float_epoch::shortest_seconds;

const NS_PER_SEC: i128 = 1_000_000_000;
/// 2000-01-01T00:00:00Z.
const MIN_NS: i128 = 946_684_800 * NS_PER_SEC;
/// 2101-01-01T00:00:00Z, exclusive: the whole of 2100 stays in range.
const END_NS: i128 = 4_133_980_800 * NS_PER_SEC;
/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Parses a timestamp written as text: RFC 3339 / ISO 8601 with 0–9 fraction digits
/// (`2026-11-20T10:00:01.9621689Z`), `Z`/`z`/`±hh:mm`/`±hhmm`/`±hh` offsets, lowercase `t`,
/// a space instead of `T`, comma decimals (`2020-05-24 18:17:33,774`), no zone (taken as
/// UTC), `2026-11-20 10:00:00,123+0000`; and strings of digits (optionally with a fraction)
/// that are epoch numbers, with the unit told by the integer digit count (see
/// [`epoch_int_to_nanos`]). Surrounding ASCII whitespace is ignored; fraction digits past
/// the ninth are truncated. Returns None for anything else, or a result outside years
/// 2000..=2100.
pub fn parse_time_text(s: &str) -> Option<Nanos> {
    let b = s.as_bytes().trim_ascii();
    if b.get(4) == Some(&b'-') {
        parse_rfc3339(b)
    } else {
        parse_epoch(b)
    }
}

/// An integer epoch value whose unit is told by its number of digits: ≤11 digits seconds,
/// 12–14 ms, 15–17 µs, 18–20 ns. None if out of 2000..=2100.
pub fn epoch_int_to_nanos(v: i128) -> Option<Nanos> {
    let digits = v.checked_ilog10().map_or(1, |d| d as usize + 1);
    // unit_ns caps the input at 20 digits, so the product stays far below i128::MAX.
    in_range(v.checked_mul(unit_ns(digits)?)?)
}

/// A float epoch value (zap `ts`: 1534362222.643982 seconds; or ms/µs/ns by the magnitude
/// of the integer part). None if out of range or not finite.
///
/// The float is re-read from its shortest round-trip decimal form, which is what the
/// producer most likely wrote, so `1534362222.643982` yields exactly `…643982000` ns
/// instead of inheriting the ~100 ns binary representation error of f64 at this
/// magnitude. When the raw JSON token is available, [`parse_time_text`] on it is exact.
pub fn epoch_float_to_nanos(v: f64) -> Option<Nanos> {
    // Also rejects NaN; the upper bound keeps the decimal form short and exponent-free.
    if !(1.0..1e21).contains(&v) {
        return None;
    }
    if let Some((seconds, nanos)) = shortest_seconds(v) {
        return in_range(i128::from(seconds) * NS_PER_SEC + i128::from(nanos));
    }
    let mut buf = [0u8; 64];
    let mut w = &mut buf[..];
    write!(w, "{v}").ok()?;
    let len = 64 - w.len();
    parse_epoch(buf.get(..len)?)
}

/// Formats nanos as RFC 3339 UTC with exactly 6 fraction digits and `Z`
/// (e.g. `2026-11-20T10:00:01.234567Z`); used in JSON output. Sub-µs digits are truncated
/// so a value never rolls into the next second.
pub fn format_rfc3339_micros(t: Nanos) -> String {
    format_rfc3339(t, 6)
}

/// Formats nanos as RFC 3339 UTC with exactly 3 fraction digits and `Z`, for headers.
/// Sub-ms digits are truncated.
pub fn format_rfc3339_millis(t: Nanos) -> String {
    format_rfc3339(t, 3)
}

/// Appends what [`format_rfc3339_micros`] returns, without chrono's formatting machinery
/// (a trace document has a time per span: this was a tenth of writing one). Only the
/// calendar date is chrono's; instants before 1970 or past 9999 are left to chrono whole.
pub fn push_rfc3339_micros(out: &mut Vec<u8>, t: Nanos) {
    const NS_PER_DAY: i64 = 86_400_000_000_000;
    let (days, in_day) = (t.div_euclid(NS_PER_DAY), t.rem_euclid(NS_PER_DAY));
    let date = i32::try_from(days + UNIX_EPOCH_DAYS_FROM_CE)
        .ok()
        .filter(|_| t >= 0)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .filter(|d| d.year() <= 9999);
    let Some(date) = date else {
        out.extend_from_slice(format_rfc3339_micros(t).as_bytes());
        return;
    };
    let micros = in_day / 1_000;
    let (secs, micro) = (micros / 1_000_000, micros % 1_000_000);
    let mut buf = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for b in buf[at..at + width].iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    // The filters above keep every part non-negative and within its width.
    put(0, 4, date.year() as u64);
    put(5, 2, u64::from(date.month()));
    put(8, 2, u64::from(date.day()));
    put(11, 2, (secs / 3600) as u64);
    put(14, 2, (secs / 60 % 60) as u64);
    put(17, 2, (secs % 60) as u64);
    put(20, 6, micro as u64);
    out.extend_from_slice(&buf);
}

fn format_rfc3339(t: Nanos, digits: u32) -> String {
    let format = if digits == 3 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    // chrono truncates the digits it does not print, so a value never rolls over.
    DateTime::from_timestamp_nanos(t).to_rfc3339_opts(format, true)
}

fn in_range(ns: i128) -> Option<Nanos> {
    (MIN_NS..END_NS)
        .contains(&ns)
        .then(|| Nanos::try_from(ns).ok())
        .flatten()
}

/// Nanoseconds per unit for an epoch integer part with this many digits.
fn unit_ns(digits: usize) -> Option<i128> {
    match digits {
        1..=11 => Some(1_000_000_000),
        12..=14 => Some(1_000_000),
        15..=17 => Some(1_000),
        18..=20 => Some(1),
        _ => None,
    }
}

/// `digits[.digits]` as an epoch number; exact decimal arithmetic, no float round trip.
fn parse_epoch(b: &[u8]) -> Option<Nanos> {
    let (int, frac): (&[u8], &[u8]) = match b.iter().position(|&c| c == b'.') {
        // A '.' must be followed by digits; the digit check below rejects a second '.'.
        Some(i) => (b.get(..i)?, b.get(i + 1..).filter(|f| !f.is_empty())?),
        None => (b, &[]),
    };
    let unit = unit_ns(int.len())?;
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let whole = int
        .iter()
        .fold(0i128, |a, &c| a * 10 + i128::from(c - b'0'));
    let (f, scale) = frac.iter().take(9).fold((0i64, 1i64), |(f, p), &c| {
        (f * 10 + i64::from(c - b'0'), p * 10)
    });
    // Below 10⁹ each, so the product fits an i64, whose division is far cheaper than i128's.
    let unit64 = unit as i64;
    in_range(whole * unit + i128::from(f * unit64 / scale))
}

fn parse_rfc3339(b: &[u8]) -> Option<Nanos> {
    // Lines come in time order, so most share the minute of the line before: its date and
    // hour are compared, not parsed and checked against the calendar again.
    let prefix: [u8; 16] = b.get(..16)?.try_into().ok()?;
    let minute = match LAST_MINUTE.get() {
        (text, seconds) if text == prefix => seconds,
        _ => {
            let seconds = minute_of(b)?;
            LAST_MINUTE.set((prefix, seconds));
            seconds
        }
    };
    if b.get(16) != Some(&b':') {
        return None;
    }
    let sec = num(b, 17, 2)?;
    // 60 is a leap second; it simply rolls into the next minute.
    if sec > 60 {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut frac_ns = 0i128;
    if let Some((b'.' | b',', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        let (digits, after) = tail.split_at_checked(n)?;
        if digits.is_empty() {
            return None;
        }
        let (f, p) = digits.iter().take(9).fold((0i64, 1i64), |(f, p), &c| {
            (f * 10 + i64::from(c - b'0'), p * 10)
        });
        // At most 10⁹ × 10⁹: i64 arithmetic, far cheaper than i128's division.
        frac_ns = i128::from(f * NS_PER_SEC as i64 / p);
        rest = after;
    }
    let secs = minute + sec - parse_offset(rest)?;
    in_range(i128::from(secs) * NS_PER_SEC + frac_ns)
}

thread_local! {
    /// The last minute [`parse_rfc3339`] read: its text (`YYYY-MM-DDTHH:MM`) and its start in
    /// seconds since the epoch (UTC, before the offset).
    static LAST_MINUTE: Cell<([u8; 16], i64)> = const { Cell::new(([0; 16], 0)) };
}

/// The start of the minute `YYYY-MM-DDTHH:MM` at the start of `b`, in seconds since the epoch;
/// `None` unless it is a real date and time.
fn minute_of(b: &[u8]) -> Option<i64> {
    let at = |i: usize, c: u8| (b.get(i) == Some(&c)).then_some(());
    let year = num(b, 0, 4)?;
    at(4, b'-')?;
    let month = num(b, 5, 2)?;
    at(7, b'-')?;
    let day = num(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = num(b, 11, 2)?;
    at(13, b':')?;
    let min = num(b, 14, 2)?;
    // chrono validates the calendar (month lengths, leap years).
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    if hour > 23 || min > 59 {
        return None;
    }
    let days = i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
    Some(days * 86_400 + hour * 3600 + min * 60)
}

/// Offset east of UTC in seconds; an empty zone means UTC (the caller's documented choice).
fn parse_offset(b: &[u8]) -> Option<i64> {
    let (sign, rest) = match b {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match rest {
        [_, _] => (num(rest, 0, 2)?, 0),
        [_, _, _, _] => (num(rest, 0, 2)?, num(rest, 2, 2)?),
        [_, _, b':', _, _] => (num(rest, 0, 2)?, num(rest, 3, 2)?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// Exactly `len` ASCII digits at `at`.
fn num(b: &[u8], at: usize, len: usize) -> Option<i64> {
    b.get(at..at.checked_add(len)?)?
        .iter()
        .try_fold(0i64, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_reads_the_same_whatever_was_read_before_it() {
        let texts = [
            "2026-11-20T10:00:01.5Z",
            "2026-11-20T10:00:59,25+01:00",
            "2026-11-20T10:00:60Z",
            "2026-11-20T10:00:61Z",
            "2026-11-20T10:00",
            "2026-11-20T10:00:",
            "2026-11-20T10:00:1",
            "2026-11-20 10:00:02.000001-0530",
            "2026-11-20t10:01:00z",
            "2026-02-29T10:00:00Z",
            "2028-02-29T10:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20X10:00:00Z",
        ];
        let fresh = |t: &str| {
            LAST_MINUTE.set(([0; 16], 0));
            parse_time_text(t)
        };
        let expected: Vec<Option<Nanos>> = texts.iter().map(|t| fresh(t)).collect();
        assert_eq!(expected[0], Some(1_795_168_801_500_000_000));
        assert_eq!(
            expected[1],
            Some(1_795_168_859_250_000_000 - 3_600_000_000_000)
        );
        assert_eq!(expected[3], None);
        assert_eq!(expected[9], None, "2026 is not a leap year");
        assert!(expected[10].is_some());
        for order in [texts.to_vec(), texts.iter().rev().copied().collect()] {
            for t in order.iter().chain(order.iter()) {
                let at = texts.iter().position(|x| x == t).unwrap_or_default();
                assert_eq!(parse_time_text(t), expected[at], "{t}");
            }
        }
    }

    #[test]
    fn times_pushed_as_bytes_read_as_chrono_formats_them() {
        let mut instants = vec![
            0,
            -1,
            -86_400_000_000_001,
            1_795_168_800_042_386_999,
            946_684_800_000_000_000,
            4_133_980_799_999_999_999,
            9_223_372_036_854_775_000,
            i64::MAX,
            i64::MIN,
        ];
        let mut next = crate::records::random_u64s(0x9E37_79B9_7F4A_7C15);
        for _ in 0..10_000 {
            instants.push((next() % 5_000_000_000_000_000_000) as i64);
        }
        for t in instants {
            let mut out = Vec::new();
            push_rfc3339_micros(&mut out, t);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format_rfc3339_micros(t),
                "{t}"
            );
        }
    }

    #[test]
    fn text_shapes() {
        let rows: &[(&str, Option<Nanos>)] = &[
            // RFC 3339 / ISO 8601 from the producers in log-formats.md §2 and §9.
            ("2026-11-20T10:00:01.739899814Z", Some(1795168801739899814)), // slog, kubelet
            (
                "2026-11-20T11:00:01.739899814+01:00",
                Some(1795168801739899814),
            ),
            ("2026-11-20t10:00:01.739899814z", Some(1795168801739899814)),
            (
                "2026-11-20T10:00:01.7398998149999Z",
                Some(1795168801739899814),
            ), // >9 digits
            ("2013-01-04T18:46:23.851Z", Some(1357325183851000000)), // bunyan
            ("2016-06-07T03:44:57.8532799Z", Some(1465271097853279900)), // CLEF 7 digits
            ("2016-10-06T00:17:09.669794202Z", Some(1475713029669794202)), // CRI
            ("2020-04-11T11:07:02.194+09:00", Some(1586570822194000000)), // logstash
            ("2018-08-15T21:23:42.643+0200", Some(1534361022643000000)), // zap dev T
            ("2018-08-15T21:23:42.643+02", Some(1534361022643000000)),
            ("2026-11-20T10:00:01.9621689+00", Some(1795168801962168900)),
            ("2018-08-15T17:23:42.643-02:00", Some(1534361022643000000)),
            ("2020-05-24 18:17:33,774", Some(1590344253774000000)), // Powertools / asctime
            ("2026-11-20 10:00:00,123+0000", Some(1795168800123000000)),
            ("2026-11-20 10:00:00.123-00:00", Some(1795168800123000000)),
            ("2000-01-01T00:00:00Z", Some(946684800000000000)), // zerolog whole seconds
            ("  2000-01-01T00:00:00Z\r\n", Some(946684800000000000)),
            ("2024-02-29T23:59:59.5Z", Some(1709251199500000000)),
            ("2100-12-31T23:59:59.999999999Z", Some(4133980799999999999)),
            // Epoch digit strings: pino/CloudWatch ms, journald/Jaeger/Zipkin µs, OTLP ns.
            ("1795168802144", Some(1795168802144000000)),
            ("1432826855000", Some(1432826855000000000)),
            ("1795168801965191816", Some(1795168801965191816)),
            ("1544712660300000000", Some(1544712660300000000)),
            ("1714557600123456", Some(1714557600123456000)),
            ("1502787600000000", Some(1502787600000000000)),
            ("1795168801.8230474", Some(1795168801823047400)),
            ("1534362222.643982", Some(1534362222643982000)),
            ("1714557600123.456", Some(1714557600123456000)),
            ("946684800", Some(946684800000000000)),
            // Rejected.
            ("2026-13-20T10:00:00Z", None),
            ("2026-02-30T10:00:00Z", None),
            ("2023-02-29T10:00:00Z", None),
            ("2026-11-20T24:00:00Z", None),
            ("2026-11-20T10:60:00Z", None),
            ("2026-11-20T10:00:00.Z", None),
            ("2026-11-20T10:00:00+25:00", None),
            ("2026-11-20T10:00:00+01:0", None),
            ("2026-11-20T10:00:00 UTC", None),
            ("2026-11-20T10:00Z", None),
            ("2026-11-20", None),
            ("2026-11-20X10:00:00Z", None),
            ("1999-12-31T23:59:59Z", None),
            ("2101-01-01T00:00:00Z", None),
            ("2026-1é-20T10:00:00Z", None),
            ("2026-11-20T10:00:00Zé", None),
            ("", None),
            ("0", None),
            ("junk", None),
            ("€€€€-", None),
            ("1795168802.", None),
            (".5", None),
            ("-1795168802", None),
            ("1.2.3", None),
            ("123456789012345678901", None),
            ("99999999999999999999", None),
            ("17951688021440000000000000000000000000000000", None),
        ];
        for &(s, want) in rows {
            assert_eq!(parse_time_text(s), want, "{s:?}");
        }
    }

    #[test]
    fn truncated_and_non_ascii_input_never_panics() {
        let samples = [
            "2026-11-20T11:00:01.739899814+01:00",
            "2026-11-2é 10:00:00,1µ+0000",
            "1795168801.8230474",
        ];
        for s in samples {
            for (i, _) in s.char_indices() {
                let (head, tail) = s.split_at(i);
                let _ = (parse_time_text(head), parse_time_text(tail));
            }
        }
    }

    #[test]
    fn epoch_ints() {
        let rows: &[(i128, Option<Nanos>)] = &[
            (1795168802, Some(1795168802000000000)),          // zerolog s
            (1531171074631, Some(1531171074631000000)),       // pino ms
            (1729181197748657, Some(1729181197748657000)),    // Jaeger µs
            (1544712660300000000, Some(1544712660300000000)), // OTLP ns
            (946684800, Some(946684800000000000)),
            (946684799, None),
            (4133980800, None),
            (0, None),
            (-1795168802, None),
            (99_999_999_999_999_999_999, None),
            (i128::MAX, None),
            (i128::MIN, None),
        ];
        for &(v, want) in rows {
            assert_eq!(epoch_int_to_nanos(v), want, "{v}");
        }
    }

    #[test]
    fn epoch_floats() {
        let rows: &[(f64, Option<Nanos>)] = &[
            (1534362222.643982, Some(1534362222643982000)), // zap ts
            (1581385157.14429, Some(1581385157144290000)),  // OTel non-OTLP
            (1795168801.8230474, Some(1795168801823047400)),
            (1714557600123.456, Some(1714557600123456000)), // ms with fraction
            (1714557600123456.0, Some(1714557600123456000)),
            (1.7145576001234568e18, Some(1714557600123456800)),
            (0.0, None),
            (-1534362222.0, None),
            (1e300, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (f64::MIN_POSITIVE, None),
        ];
        for &(v, want) in rows {
            assert_eq!(epoch_float_to_nanos(v), want, "{v}");
        }
    }

    #[test]
    fn formatting() {
        let rows: &[(Nanos, &str, &str)] = &[
            (
                1795168801739899814,
                "2026-11-20T10:00:01.739899Z",
                "2026-11-20T10:00:01.739Z",
            ),
            (
                946684800000000000,
                "2000-01-01T00:00:00.000000Z",
                "2000-01-01T00:00:00.000Z",
            ),
            (
                1709251199999999999,
                "2024-02-29T23:59:59.999999Z",
                "2024-02-29T23:59:59.999Z",
            ),
            (0, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000Z"),
            (
                -1,
                "1969-12-31T23:59:59.999999Z",
                "1969-12-31T23:59:59.999Z",
            ),
            (
                i64::MIN,
                "1677-09-21T00:12:43.145224Z",
                "1677-09-21T00:12:43.145Z",
            ),
            (
                i64::MAX,
                "2262-04-11T23:47:16.854775Z",
                "2262-04-11T23:47:16.854Z",
            ),
        ];
        for &(t, micros, millis) in rows {
            assert_eq!(format_rfc3339_micros(t), micros);
            assert_eq!(format_rfc3339_millis(t), millis);
        }
    }

    #[test]
    fn format_parse_round_trip_across_range() {
        let (lo, hi) = (MIN_NS as i64, END_NS as i64 - 1);
        let step = (hi - lo) / 20_011; // odd step to hit many days, months and leap years
        for t in (lo..=hi).step_by(step as usize).chain([hi]) {
            let micros = t - t.rem_euclid(1_000);
            assert_eq!(parse_time_text(&format_rfc3339_micros(t)), Some(micros));
        }
    }
}
