//! Hex digits to numbers: every line of `--all` has a trace id and most a span id, so ids are
//! read eight digits at a time where they can be, without `from_str_radix`'s per-digit checks.

/// The value of each hex digit; 0xFF for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Up to 16 hex digits as a u64; `None` if any byte is not a hex digit.
pub(crate) fn parse_hex_u64(digits: &[u8]) -> Option<u64> {
    match digits.len() {
        16 => hex16(digits),
        8 => hex8(digits).map(u64::from),
        _ => parse_digit_by_digit(digits),
    }
}

/// Up to 32 hex digits as a u128; `None` for anything else.
pub(crate) fn parse_hex_u128(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 32 {
        return None;
    }
    let split = b.len().saturating_sub(16);
    let high = parse_hex_u64(&b[..split])?;
    let low = parse_hex_u64(&b[split..])?;
    Some(u128::from(high) << 64 | u128::from(low))
}

/// Up to 16 hex digits, one at a time. Branch-free in the loop: invalid bytes are caught
/// once at the end.
fn parse_digit_by_digit(digits: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    let mut invalid = 0u8;
    for &b in digits {
        let d = HEX_VALUES[usize::from(b)];
        invalid |= d;
        value = (value << 4) | u64::from(d & 0x0F);
    }
    (digits.len() <= 16 && invalid & 0xF0 == 0).then_some(value)
}

/// Exactly sixteen hex digits (a span id, half a trace id): checked and converted in one
/// SSE2 register (x86-64 always has SSE2).
#[cfg(target_arch = "x86_64")]
fn hex16(digits: &[u8]) -> Option<u64> {
    use std::arch::x86_64::{
        _mm_add_epi8, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi16, _mm_set1_epi8,
        _mm_set_epi64x, _mm_setzero_si128, _mm_slli_epi16, _mm_srli_epi16, _mm_sub_epi8,
        _mm_subs_epu8,
    };
    let word = |at: usize| {
        digits
            .get(at..at + 8)?
            .try_into()
            .ok()
            .map(u64::from_le_bytes)
    };
    let (low, high) = (word(0)?, word(8)?);
    // SAFETY: SSE2 is part of every x86-64 processor (the target enables it), and these
    // intrinsics only compute on registers.
    unsafe {
        let zero = _mm_setzero_si128();
        let bytes = _mm_set_epi64x(high as i64, low as i64);
        // `byte - '0'` is at most 9 for a digit; `(byte | 0x20) - 'a'` at most 5 for a
        // letter of either case, and for no other byte.
        let digit = _mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        let is_digit = _mm_cmpeq_epi8(_mm_subs_epu8(digit, _mm_set1_epi8(9)), zero);
        let letter = _mm_sub_epi8(
            _mm_or_si128(bytes, _mm_set1_epi8(0x20)),
            _mm_set1_epi8(b'a' as i8),
        );
        let is_letter = _mm_cmpeq_epi8(_mm_subs_epu8(letter, _mm_set1_epi8(5)), zero);
        if _mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xFFFF {
            return None;
        }
        let nibbles = _mm_or_si128(
            _mm_and_si128(is_digit, digit),
            _mm_andnot_si128(is_digit, _mm_add_epi8(letter, _mm_set1_epi8(10))),
        );
        // Each 16-bit lane holds two digits, the first (the higher nibble) in its low byte.
        let high_nibble = _mm_slli_epi16(_mm_and_si128(nibbles, _mm_set1_epi16(0x00FF)), 4);
        let pairs = _mm_or_si128(high_nibble, _mm_srli_epi16(nibbles, 8));
        // Eight bytes, the first digits' byte lowest: swapped, it is the most significant.
        let packed = _mm_cvtsi128_si64(_mm_packus_epi16(pairs, zero)) as u64;
        Some(packed.swap_bytes())
    }
}

/// Sixteen hex digits as two words of eight, where SSE2 is not at hand.
#[cfg(not(target_arch = "x86_64"))]
fn hex16(digits: &[u8]) -> Option<u64> {
    Some(u64::from(hex8(&digits[..8])?) << 32 | u64::from(hex8(&digits[8..])?))
}

/// Exactly eight hex digits, all in one 64-bit word: checked and converted lane by lane
/// (each byte a lane), then the eight nibbles packed in three steps.
fn hex8(digits: &[u8]) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = ONES * 0x80;
    let x = u64::from_le_bytes(digits.try_into().ok()?);
    if x & HIGHS != 0 {
        return None;
    }
    // The high bit of each lane says its byte is at least `low`: bytes below 0x80 plus at
    // most 0x7F never carry into the next lane.
    let at_least = |low: u8| x.wrapping_add(ONES * u64::from(0x80 - low)) & HIGHS;
    let between = |low: u8, high: u8| at_least(low) & !at_least(high + 1);
    if between(b'0', b'9') | between(b'A', b'F') | between(b'a', b'f') != HIGHS {
        return None;
    }
    // A digit's value is its low nibble; a letter's (bit 6 set) that plus 9.
    let nibbles = (x & (ONES * 0x0F)) + ((x >> 6) & ONES) * 9;
    // The first digit is the lowest byte: swapped, it is the highest, and neighbours merge.
    let n = nibbles.swap_bytes();
    let pairs = (n | (n >> 4)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF;
    Some(((quads | (quads >> 16)) & 0xFFFF_FFFF) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_digits_at_a_time_read_as_one_at_a_time() {
        let mut next = crate::records::random_u64s(0x9E37_79B9_7F4A_7C15);
        let hex = b"0123456789abcdefABCDEF";
        for _ in 0..200_000 {
            let mut digits: Vec<u8> = (0..16)
                .map(|_| hex[(next() % hex.len() as u64) as usize])
                .collect();
            // Now and then one byte of any value, anywhere.
            if next().is_multiple_of(2) {
                let at = (next() % 16) as usize;
                digits[at] = next() as u8;
            }
            for len in [8, 16] {
                let d = &digits[..len];
                assert_eq!(parse_hex_u64(d), parse_digit_by_digit(d), "{d:?}");
            }
        }
        for b in 0..=255u8 {
            let mut d = *b"00f067aa0ba902b7";
            for at in 0..16 {
                let saved = d[at];
                d[at] = b;
                assert_eq!(parse_hex_u64(&d), parse_digit_by_digit(&d), "{d:?}");
                d[at] = saved;
            }
        }
        assert_eq!(
            parse_hex_u64(b"00f067aa0ba902b7"),
            Some(0x00f0_67aa_0ba9_02b7)
        );
        assert_eq!(parse_hex_u64(b"FFFFFFFFFFFFFFFF"), Some(u64::MAX));
        assert_eq!(parse_hex_u64(b"12345678901234567"), None);
        assert_eq!(
            parse_hex_u128("4bf92f3577b34da6a3ce929d0e0e4736"),
            Some(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736)
        );
    }
}
