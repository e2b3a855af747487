//! Duration parsing and formatting.
//!
//! Durations arrive as Go `time.Duration` strings, Rust `tracing` `time.busy` values,
//! GCP `0.012345s`, or bare numbers whose unit only the field name knows. All are
//! normalised to integer nanoseconds with exact decimal arithmetic (no float round trip
//! for text), working on bytes so that `µ`/`μ` and any other non-ASCII input are safe.

/// The unit a bare number in a duration field is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    /// Nanoseconds (OTLP, ECS `event.duration`).
    Nanos,
    /// Microseconds (Jaeger, Zipkin).
    Micros,
    /// Milliseconds (pino-http `responseTime`, Lambda, zerolog).
    Millis,
    /// Seconds (zap duration fields).
    Seconds,
}

impl DurationUnit {
    fn nanos(self) -> i64 {
        match self {
            DurationUnit::Nanos => 1,
            DurationUnit::Micros => 1_000,
            DurationUnit::Millis => 1_000_000,
            DurationUnit::Seconds => 1_000_000_000,
        }
    }
}

const SUFFIXES: &[(&str, i64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000), // U+00B5 MICRO SIGN: Go and Rust tracing
    ("μs", 1_000), // U+03BC GREEK SMALL LETTER MU: what people type
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a duration written as text: Go `time.Duration` strings (`12.345ms`, `850µs`
/// (U+00B5) and `850μs` (U+03BC) and `850us`, `1.072939928s`, `1m2.5s`, `2h3m`, `0s`),
/// GCP `0.012345s`, tower-http `12 ms`, Rust tracing `120ms`/`1.5µs`, `250ms`; a bare number
/// string uses `default_unit`. Spaces are allowed around components (`1h 2m`). Fractions
/// are rounded to the nearest nanosecond. Returns nanoseconds (i64), None for junk or
/// negatives or overflow. No allocation.
pub fn parse_duration_text(s: &str, default_unit: DurationUnit) -> Option<i64> {
    let mut rest = s.as_bytes().trim_ascii();
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    let mut first = true;
    while !rest.is_empty() {
        let (int, frac, after) = split_number(rest)?;
        let after = after.trim_ascii_start();
        let n = after
            .iter()
            .position(|&c| c.is_ascii_digit() || c == b'.' || c == b' ')
            .unwrap_or(after.len());
        let (suffix, after) = after.split_at_checked(n)?;
        let unit = if suffix.is_empty() {
            // A bare number only makes sense as the whole value (`1m30` is ambiguous).
            if !(first && after.is_empty()) {
                return None;
            }
            default_unit.nanos()
        } else {
            SUFFIXES.iter().find(|(u, _)| u.as_bytes() == suffix)?.1
        };
        total = total.checked_add(component(int, frac, unit)?)?;
        rest = after.trim_ascii_start();
        first = false;
    }
    i64::try_from(total).ok()
}

/// The units [`parse_duration_arg`] accepts, for error messages.
pub const DURATION_UNITS: &str = "ns, us, ms, s, m, h";

/// Parses a duration a person typed on the command line (`500ms`, `2s`, `1m30s`): unlike a
/// log's duration field, a bare number has no unit to assume (`--idle 5` read as milliseconds
/// was a surprise), so it is refused, except `0`, which is the same in every unit.
pub fn parse_duration_arg(s: &str) -> Option<i64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return t.bytes().all(|b| b == b'0' || b == b'.').then_some(0);
    }
    // Every component has a unit here, so the default is never used.
    parse_duration_text(t, DurationUnit::Seconds)
}

/// Splits `digits[.digits]` off the front; at least one digit overall, as in Go.
fn split_number(b: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int, rest) = b.split_at_checked(digits(b))?;
    let (frac, rest) = match rest.split_first() {
        Some((b'.', tail)) => tail.split_at_checked(digits(tail))?,
        _ => (&[][..], rest),
    };
    (!int.is_empty() || !frac.is_empty()).then_some((int, frac, rest))
}

/// `int.frac` units in nanoseconds, exact up to the final rounding.
fn component(int: &[u8], frac: &[u8], unit: i64) -> Option<i128> {
    let unit = i128::from(unit);
    let whole = int.iter().try_fold(0i128, |a, &c| {
        a.checked_mul(10)?.checked_add(i128::from(c - b'0'))
    })?;
    // 18 digits resolve 1 ns even in hours and keep f * unit far below i128::MAX.
    let (f, p) = frac.iter().take(18).fold((0i128, 1i128), |(f, p), &c| {
        (f * 10 + i128::from(c - b'0'), p * 10)
    });
    whole
        .checked_mul(unit)?
        .checked_add((2 * f * unit + p) / (2 * p))
}

/// A numeric duration in the given unit as nanoseconds (rounded to nearest); None if
/// negative, NaN or overflowing.
pub fn duration_from_number(v: f64, unit: DurationUnit) -> Option<i64> {
    let ns = (v * unit.nanos() as f64).round();
    // 2^63 is exact in f64 and is the first value that does not fit in i64; NaN fails both.
    (v >= 0.0 && ns < 9_223_372_036_854_775_808.0).then_some(ns as i64)
}

/// Human duration for display, 4 significant digits max, like Jaeger: `850µs`, `12.35ms`,
/// `1.073s`, `2m03s`, `0s`. Uses `µs`. Below 1µs it is exact (`999ns`); from one minute
/// on it is `XmYYs`, from one hour `XhYYm`. Rounding picks the next unit when it would
/// reach it (`999.96µs` → `1ms`); negatives get a leading `-`.
pub fn format_duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let n = ns.unsigned_abs();
    if n == 0 {
        return "0s".to_owned();
    }
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    for (unit, name, limit) in [
        (1_000, "µs", 1_000),
        (1_000_000, "ms", 1_000),
        (1_000_000_000, "s", 60),
    ] {
        // Enough decimals for 4 significant digits, then drop trailing zeros.
        let int_digits = (n / unit).checked_ilog10().unwrap_or(0) + 1;
        let mut decimals = 4u32.saturating_sub(int_digits);
        let p = 10u128.pow(decimals);
        let scaled = div_round(u128::from(n) * p, u128::from(unit));
        let (int, mut frac) = (scaled / p, scaled % p);
        if int >= limit {
            continue;
        }
        while decimals > 0 && frac % 10 == 0 {
            frac /= 10;
            decimals -= 1;
        }
        return match decimals {
            0 => format!("{sign}{int}{name}"),
            d => format!("{sign}{int}.{frac:0w$}{name}", w = d as usize),
        };
    }
    let secs = div_round(u128::from(n), 1_000_000_000);
    if secs < 3_600 {
        return format!("{sign}{}m{:02}s", secs / 60, secs % 60);
    }
    let mins = div_round(u128::from(n), 60_000_000_000);
    format!("{sign}{}h{:02}m", mins / 60, mins % 60)
}

fn div_round(a: u128, b: u128) -> u128 {
    (a + b / 2) / b
}

/// Offset for the timeline, signed and as compact as the waterfall's durations: below a
/// minute as [`format_duration`] writes it (`+850µs`, `+60.51ms`, `+1.073s`, `+15.95s`); then
/// minutes and seconds to a tenth (`+1m15.9s`: a minute into a trace, a tenth of a second
/// still tells lines apart), and from an hour on whole seconds (`+1h02m15s`). At most 9
/// columns below 100 hours.
pub fn format_offset(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    let n = ns.unsigned_abs();
    // From here format_duration would round up to a minute: the minutes form takes over.
    const NEAR_MINUTE: u64 = 59_995_000_000;
    if n < NEAR_MINUTE {
        return format!("{sign}{}", format_duration(n as i64));
    }
    let tenths = div_round(u128::from(n), 100_000_000);
    if tenths < 36_000 {
        let (m, s) = (tenths / 600, tenths % 600);
        return format!("{sign}{m}m{}.{}s", s / 10, s % 10);
    }
    let secs = div_round(u128::from(n), 1_000_000_000);
    format!(
        "{sign}{}h{:02}m{:02}s",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::DurationUnit::*;
    use super::*;

    #[test]
    fn text() {
        let rows: &[(&str, DurationUnit, Option<i64>)] = &[
            // Go time.Duration strings (zap/slog/logrus render them this way).
            ("12.345ms", Nanos, Some(12_345_000)),
            ("850µs", Nanos, Some(850_000)), // U+00B5
            ("850μs", Nanos, Some(850_000)), // U+03BC
            ("850us", Nanos, Some(850_000)),
            ("1.072939928s", Nanos, Some(1_072_939_928)),
            ("1m2.5s", Nanos, Some(62_500_000_000)),
            ("2h3m", Nanos, Some(7_380_000_000_000)),
            ("1h2m3.5s", Nanos, Some(3_723_500_000_000)),
            ("0s", Nanos, Some(0)),
            ("42ns", Nanos, Some(42)),
            (".5s", Nanos, Some(500_000_000)),
            ("5.s", Nanos, Some(5_000_000_000)),
            ("0.012345s", Nanos, Some(12_345_000)), // GCP
            ("12 ms", Nanos, Some(12_000_000)),     // tower-http
            ("120ms", Nanos, Some(120_000_000)),    // Rust tracing time.busy
            ("5ms", Nanos, Some(5_000_000)),        // Rust tracing time.idle
            ("1.5µs", Nanos, Some(1_500)),          // Rust tracing
            ("250ms", Nanos, Some(250_000_000)),    // ad hoc latency field
            ("1h 2m", Nanos, Some(3_720_000_000_000)),
            (" 250ms\n", Nanos, Some(250_000_000)),
            ("1.0000000004s", Nanos, Some(1_000_000_000)), // rounds down
            ("1.0000000005s", Nanos, Some(1_000_000_001)), // rounds half up
            ("0.0000000000000000000001h", Nanos, Some(0)),
            ("2562047h47m16.854775807s", Nanos, Some(i64::MAX)),
            // Bare numbers take the field's unit (Jaeger µs, pino ms, zap s, ECS ns).
            ("1503", Micros, Some(1_503_000)),
            ("10", Millis, Some(10_000_000)),
            ("201.67", Millis, Some(201_670_000)), // Lambda REPORT
            ("0.25", Seconds, Some(250_000_000)),
            ("150000", Nanos, Some(150_000)),
            ("0", Seconds, Some(0)),
            // Rejected.
            ("", Nanos, None),
            ("   ", Nanos, None),
            ("ms", Nanos, None),
            (".", Nanos, None),
            (".s", Nanos, None),
            ("-5ms", Nanos, None),
            ("+5ms", Nanos, None),
            ("5 ms 3", Nanos, None),
            ("1m30", Nanos, None),
            ("12 34", Millis, None),
            ("5sec", Nanos, None),
            ("5 µ s", Nanos, None),
            ("1.2.3s", Nanos, None),
            ("5ms junk", Nanos, None),
            ("µs", Nanos, None),
            ("5\u{00b5}", Nanos, None),
            ("2562047h47m16.854775808s", Nanos, None),
            ("9223372036854775808", Nanos, None),
            ("99999999999999999999999999999999999999999h", Nanos, None),
            ("1e3ms", Nanos, None),
            ("NaN", Seconds, None),
        ];
        for &(s, unit, want) in rows {
            assert_eq!(parse_duration_text(s, unit), want, "{s:?}");
        }
    }

    #[test]
    fn truncated_and_non_ascii_input_never_panics() {
        for s in ["1h2m3.5µs", "12 μs ", "é1.5€s"] {
            for (i, _) in s.char_indices() {
                let (head, tail) = s.split_at(i);
                let _ = (
                    parse_duration_text(head, Millis),
                    parse_duration_text(tail, Millis),
                );
            }
        }
    }

    #[test]
    fn numbers() {
        let rows: &[(f64, DurationUnit, Option<i64>)] = &[
            (10.0, Millis, Some(10_000_000)),      // pino-http responseTime
            (201.67, Millis, Some(201_670_000)),   // Lambda durationMs
            (0.000_123, Seconds, Some(123_000)),   // zap duration field
            (1503.0, Micros, Some(1_503_000)),     // Jaeger
            (150000.0, Micros, Some(150_000_000)), // Zipkin
            (1.5e9, Nanos, Some(1_500_000_000)),   // ECS event.duration
            (0.1, Seconds, Some(100_000_000)),
            (0.0000000004, Seconds, Some(0)),
            (0.0000000006, Seconds, Some(1)),
            (0.0, Seconds, Some(0)),
            (-0.0, Seconds, Some(0)),
            (-1.0, Millis, None),
            (-1e-12, Seconds, None),
            (f64::NAN, Seconds, None),
            (f64::INFINITY, Nanos, None),
            (f64::NEG_INFINITY, Nanos, None),
            (9.3e18, Nanos, None),
            (1e10, Seconds, None),
        ];
        for &(v, unit, want) in rows {
            assert_eq!(duration_from_number(v, unit), want, "{v} {unit:?}");
        }
    }

    #[test]
    fn human() {
        let rows: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (1_500, "1.5µs"),
            (12_345, "12.35µs"),
            (850_000, "850µs"),
            (999_949, "999.9µs"),
            (999_960, "1ms"),
            (12_345_678, "12.35ms"),
            (120_000_000, "120ms"),
            (1_072_939_928, "1.073s"),
            (59_994_000_000, "59.99s"),
            (59_996_000_000, "1m00s"),
            (62_500_000_000, "1m03s"),
            (123_000_000_000, "2m03s"),
            (3_599_600_000_000, "1h00m"),
            (7_380_000_000_000, "2h03m"),
            (-3_000_000, "-3ms"),
            (i64::MAX, "2562047h47m"),
            (i64::MIN, "-2562047h47m"),
        ];
        for &(ns, want) in rows {
            assert_eq!(format_duration(ns), want, "{ns}");
        }
    }

    #[test]
    fn offsets() {
        let rows: &[(i64, &str)] = &[
            (0, "+0s"),
            (500_000, "+500µs"),
            (12_345_000, "+12.35ms"),
            (60_513_000, "+60.51ms"),
            (1_072_939_928, "+1.073s"),
            (15_950_000_000, "+15.95s"),
            (59_994_000_000, "+59.99s"),
            (59_996_000_000, "+1m0.0s"),
            (75_945_234_000, "+1m15.9s"),
            (3_599_949_000_000, "+59m59.9s"),
            (3_599_950_000_000, "+1h00m00s"),
            (3_735_400_000_000, "+1h02m15s"),
            (-3_000_000, "-3ms"),
            (-400, "-400ns"),
            (i64::MAX, "+2562047h47m17s"),
            (i64::MIN, "-2562047h47m17s"),
        ];
        for &(ns, want) in rows {
            assert_eq!(format_offset(ns), want, "{ns}");
        }
    }

    #[test]
    fn a_typed_duration_needs_a_unit() {
        assert_eq!(parse_duration_arg("500ms"), Some(500_000_000));
        assert_eq!(parse_duration_arg(" 1m30s "), Some(90_000_000_000));
        assert_eq!(parse_duration_arg("0"), Some(0));
        assert_eq!(parse_duration_arg("0.0"), Some(0));
        assert_eq!(parse_duration_arg("5"), None);
        assert_eq!(parse_duration_arg("1.5"), None);
        assert_eq!(parse_duration_arg("1m30"), None);
        assert_eq!(parse_duration_arg(""), None);
    }
}
