//! Payload decoding: the application's JSON inside a line's envelopes, parsed into typed
//! fields; damaged lines (NUL runs, invalid UTF-8) are read as far as they can be and counted.

use crate::diag::Diagnostics;
use crate::records::envelope::Envelope;
use crate::records::extract::{extract_into, Extracted, Utf8};
use crate::records::fields::FieldTable;
use crate::records::{Decoded, LineView};

/// Parses the application's line inside its envelopes into typed fields; the envelope's time
/// and workload stand in when the line carries none. `None` (and counted) when the payload is
/// not JSON. The flag says the line had invalid UTF-8 and was decoded lossily.
pub fn decode_payload(
    table: &FieldTable,
    env: &Envelope<'_>,
    diag: &mut Diagnostics,
) -> Option<(Decoded, bool)> {
    view_payload(table, env, diag, |view, damaged| (view.decode(), damaged))
}

/// Parses the application's line inside its envelopes and hands a borrowed [`LineView`] to
/// `f`, with whether the line had invalid UTF-8. `None` (and counted) when it is not JSON.
pub fn view_payload<R>(
    table: &FieldTable,
    env: &Envelope<'_>,
    diag: &mut Diagnostics,
    f: impl FnOnce(&LineView<'_>, bool) -> R,
) -> Option<R> {
    let line = env.payload;
    // A text prefix before the object (a shipper's timestamp, a wrapper's level) is skipped.
    let Some(brace) = memchr::memchr(b'{', line) else {
        match count_nul(line) {
            nul if nul == line.len() => diag.nul_bytes += nul as u64,
            nul => {
                diag.nul_bytes += nul as u64;
                diag.not_json += 1;
            }
        }
        return None;
    };
    if brace > 0 {
        // NUL bytes before the object: the end of a damaged region (a crash, a full disk).
        diag.nul_bytes += count_nul(&line[..brace]) as u64;
    }
    let mut json = &line[brace..];
    let mut extracted = Extracted::default();
    let mut parsed = extract_into(json, table, &mut extracted);
    if parsed.is_err() {
        // A line cut by a damaged region ("{half a line\0\0\0{a whole one}"): the object
        // after the last NUL is the readable one.
        if let Some(last_nul) = memchr::memrchr(0, json) {
            if let Some(open) = memchr::memchr(b'{', &json[last_nul..]) {
                diag.nul_bytes += count_nul(json) as u64;
                json = &json[last_nul + open..];
                extracted = Extracted::default();
                parsed = extract_into(json, table, &mut extracted);
            }
        }
    }
    match parsed {
        // Skipped values are not validated by the parser; the line is checked whole here, so
        // damaged lines are counted wherever the damage is. Most lines are ASCII, which is
        // much cheaper to confirm than UTF-8.
        Ok(utf8) => {
            let checked = utf8 == Utf8::Checked && json.len() == line.len();
            let damaged = !checked && !line.is_ascii() && std::str::from_utf8(line).is_err();
            Some(f(&LineView::new(&extracted, env), damaged))
        }
        Err(_) => {
            // Damage inside the object (invalid UTF-8, NUL bytes inside a string, which JSON
            // forbids raw): read the line decoded lossily and without its NUL bytes.
            let bad_utf8 = std::str::from_utf8(json).is_err();
            let nul = count_nul(json);
            if bad_utf8 || nul > 0 {
                let mut repaired = String::from_utf8_lossy(json).into_owned();
                repaired.retain(|c| c != '\0');
                let mut extracted = Extracted::default();
                if extract_into(repaired.as_bytes(), table, &mut extracted).is_ok() {
                    diag.nul_bytes += nul as u64;
                    return Some(f(&LineView::new(&extracted, env), bad_utf8));
                }
                if bad_utf8 {
                    diag.invalid_utf8 += 1;
                }
            }
            diag.not_json += 1;
            None
        }
    }
}

fn count_nul(bytes: &[u8]) -> usize {
    memchr::memchr_iter(0, bytes).count()
}
