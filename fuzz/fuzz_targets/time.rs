//! Timestamps and durations: any text or number is read without panicking; a time that reads
//! is printed in range and reads back the same (to the microsecond), and a printed duration
//! reads back within the rounding it was printed with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracegrep::records::duration::{
    duration_from_number, format_duration, format_offset, parse_duration_arg, parse_duration_text,
    DurationUnit,
};
use tracegrep::records::time::{
    epoch_float_to_nanos, epoch_int_to_nanos, format_rfc3339_micros, format_rfc3339_millis,
    parse_time_text,
};

const UNITS: [DurationUnit; 4] = [
    DurationUnit::Nanos,
    DurationUnit::Micros,
    DurationUnit::Millis,
    DurationUnit::Seconds,
];

fn time_round_trip(t: i64) {
    let micros = format_rfc3339_micros(t);
    let _ = format_rfc3339_millis(t);
    assert_eq!(
        parse_time_text(&micros),
        Some(t - t.rem_euclid(1_000)),
        "{t} printed as {micros}"
    );
}

fn duration_round_trip(ns: i64) {
    let text = format_duration(ns);
    let _ = format_offset(ns);
    if ns < 0 {
        return;
    }
    let back = parse_duration_arg(&text).unwrap_or_else(|| panic!("{ns} printed as {text}"));
    // Four significant digits below a minute; then whole seconds, then whole minutes.
    let tolerance = match ns {
        0..=999 => 0,
        1_000..=59_999_999_999 => ns / 1_000,
        60_000_000_000..=3_599_999_999_999 => 500_000_000,
        _ => 30_000_000_000,
    };
    assert!(
        (back - ns).abs() <= tolerance,
        "{ns} printed as {text}, read back as {back}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(t) = parse_time_text(&text) {
        time_round_trip(t);
    }
    for unit in UNITS {
        if let Some(ns) = parse_duration_text(&text, unit) {
            assert!(ns >= 0, "{text:?} read as {ns}");
        }
    }
    if let Some(ns) = parse_duration_arg(&text) {
        assert!(ns >= 0, "{text:?} read as {ns}");
    }
    let mut b = [0u8; 16];
    b[..data.len().min(16)].copy_from_slice(&data[..data.len().min(16)]);
    let wide = i128::from_le_bytes(b);
    let narrow = wide as i64;
    if let Some(t) = epoch_int_to_nanos(wide) {
        time_round_trip(t);
    }
    if let Some(t) = epoch_int_to_nanos(i128::from(narrow)) {
        time_round_trip(t);
    }
    let float = f64::from_bits(narrow as u64);
    if let Some(t) = epoch_float_to_nanos(float) {
        time_round_trip(t);
    }
    for unit in UNITS {
        if let Some(ns) = duration_from_number(float, unit) {
            assert!(ns >= 0);
        }
    }
    duration_round_trip(narrow);
    duration_round_trip(narrow.unsigned_abs().min(i64::MAX as u64) as i64);
    duration_round_trip(narrow & 0xFFFF_FFFF_FFFF);
    let _ = format_rfc3339_micros(narrow);
});
