//! zap's `ts` (epoch seconds as a float: `1795168800.035699`) read as the decimal its
//! producer wrote: the shortest decimal that reads back as the same float, which is what
//! `{v}` prints. Found here with integers alone, for the floats of every zap line (seconds
//! with ten digits before the point); formatting and re-reading each took a tenth of a
//! line's work.

/// The shortest decimal of `v` as whole seconds and nanoseconds, when `v` counts seconds
/// with ten digits before the point (years 2001 to 2242) and that decimal is the one `{v}`
/// prints. `None` leaves `v` to `Display`: outside that range, and in the rare cases where
/// two decimals are equally close or one lies exactly half a step from `v`.
pub(crate) fn shortest_seconds(v: f64) -> Option<(i64, i64)> {
    // [10⁹, 2³³): ten digits before the point, and at most 2⁵³ · 10⁹ below 2⁸⁴ in the
    // arithmetic below.
    if !(1e9..8_589_934_592.0).contains(&v) {
        return None;
    }
    let bits = v.to_bits();
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // v = mantissa / 2^shift; the exponent field is at least 1053 here, so shift is 20 to 23.
    let shift = 1075 - u32::try_from((bits >> 52) & 0x7FF).ok()?;
    // A decimal c / 10^k reads back as v when it lies within half a step (2^-shift) of v:
    // |c · 2^(shift+1) − 2 · mantissa · 10^k| < 10^k.
    let unit = 1u128 << (shift + 1);
    let twice = u128::from(mantissa) << 1;
    let mut scale = 1u128;
    for k in 0..=9u32 {
        let target = twice * scale;
        let below = target >> (shift + 1);
        let from_below = target & (unit - 1);
        let from_above = unit - from_below;
        let (c, off) = match from_below.cmp(&from_above) {
            std::cmp::Ordering::Less => (below, from_below),
            std::cmp::Ordering::Greater => (below + 1, from_above),
            std::cmp::Ordering::Equal => return None,
        };
        match off.cmp(&scale) {
            std::cmp::Ordering::Less => {
                // Below 2⁶⁴: ten digits and at most nine more.
                let (c, scale) = (u64::try_from(c).ok()?, u64::try_from(scale).ok()?);
                let whole = i64::try_from(c / scale).ok()?;
                let nanos = i64::try_from(c % scale * 10u64.pow(9 - k)).ok()?;
                return Some((whole, nanos));
            }
            std::cmp::Ordering::Equal => return None,
            std::cmp::Ordering::Greater => {}
        }
        scale *= 10;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `{v}` prints, as whole seconds and nanoseconds (the slow path's reading).
    fn by_display(v: f64) -> (i64, i64) {
        let text = format!("{v}");
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let digits = format!("{frac:0<9}");
        (
            whole.parse().expect("digits"),
            digits[..9].parse().expect("digits"),
        )
    }

    #[test]
    fn the_shortest_decimal_is_the_one_display_prints() {
        let mut next = crate::records::random_u64s(0x2545_F491_4F6C_DD1D);
        let mut zap = vec![1e9, 1_534_362_222.643_982, 1_795_168_800.035_699, 8.5e9];
        let mut other = Vec::new();
        for _ in 0..100_000 {
            // As zap writes them: nanoseconds since the epoch over 10⁹, with a microsecond
            // or nanosecond clock.
            let nanos = 1_000_000_000_000_000_000 + next() % 7_000_000_000_000_000_000;
            zap.push(nanos as f64 / 1e9);
            zap.push((nanos / 1000 * 1000) as f64 / 1e9);
            // Any float from 2³⁰ up, and its neighbours.
            let any = f64::from_bits(0x41D0_0000_0000_0000 + next() % (3 << 52));
            other.extend([any, any.next_up(), any.next_down()]);
        }
        let mut unanswered = 0;
        for (i, v) in zap.iter().chain(&other).enumerate() {
            match shortest_seconds(*v) {
                Some(found) => assert_eq!(found, by_display(*v), "{v}"),
                None if (1e9..8_589_934_592.0).contains(v) && i < zap.len() => unanswered += 1,
                None => {}
            }
        }
        assert!(unanswered < zap.len() / 100, "{unanswered} left to Display");
    }
}
