//! The fast path of [`crate::records::extract`]: a byte-level walk over one JSON object that
//! jumps over the values of keys the alias table does not name.
//!
//! Most of a log line is values nobody asked for (host names, flags, request bodies). A general
//! parser builds or at least fully tokenises each of them; the skimmer only finds where they
//! end (eight bytes at a time inside strings, bracket matching inside containers) and parses the
//! few values the table names. It keeps the extractor's semantics for the common shapes and
//! gives up ([`Bail`]) on anything unusual — an escaped key, a control character, a line that is
//! not an object, a broken structure — so that serde_json, the reference, decides those lines.

use std::borrow::Cow;

use crate::records::extract::{take_scalar, take_string, Extracted, FoundAlias, Scalar};
use crate::records::fields::{FieldTable, PathInfo};
use crate::records::shape::{with_shape, Node, Shape, START};

/// The skimmer declined the line: the caller runs the full parser, which decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

/// The longest path (keys joined with `.`) the skimmer tracks; deeper keys are never aliases.
const PATH_CAPACITY: usize = 192;

/// How deep skipped containers may nest before the skimmer hands the line over.
const MAX_SKIP_DEPTH: u32 = 64;

/// Skims `line` (which must start with `{` after whitespace) into `out`, at envelope `depth`.
/// Returns where the object ended; text after it is the caller's business, as with serde.
pub fn skim_into<'a>(
    line: &'a [u8],
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'a>,
) -> Result<usize, Bail> {
    // Validated once: every string the walk borrows is then a slice of this `str` between
    // ASCII quotes, so always on character boundaries. Lines with invalid UTF-8 (rare) go to
    // serde, which decides what they hold.
    let text = simdutf8::basic::from_utf8(line).map_err(|_| Bail)?;
    let skim = |shape: Option<&mut Shape>, out: &mut Extracted<'a>| {
        let mut skim = Skimmer {
            bytes: line,
            text,
            top_key: None,
            pos: 0,
            table,
            shape,
            path: [0; PATH_CAPACITY],
            path_len: 0,
            depth,
        };
        skim.whitespace();
        if skim.peek() != Some(b'{') {
            return Err(Bail);
        }
        skim.object(out, true)?;
        Ok(skim.pos)
    };
    // Inner records of envelopes have shapes of their own: only the lines' own keys are learned.
    if depth == 0 {
        with_shape(table, |shape| skim(Some(shape), out))
    } else {
        skim(None, out)
    }
}

struct Skimmer<'a, 't> {
    bytes: &'a [u8],
    text: &'a str,
    /// The current top-level key, where it lies in the line: top-level keys are their own
    /// path, so they are not copied unless the walk descends below them.
    top_key: Option<(usize, usize)>,
    pos: usize,
    table: &'t FieldTable,
    /// The keys learned from earlier lines, asked before a top-level key is read.
    shape: Option<&'t mut Shape>,
    path: [u8; PATH_CAPACITY],
    path_len: usize,
    depth: u8,
}

impl<'a> Skimmer<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Bail> {
        self.whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// An object whose path may hold aliases: keys looked up, values recorded or skipped.
    /// `top`: the line's own object, whose keys the shape predicts.
    fn object(&mut self, out: &mut Extracted<'a>, top: bool) -> Result<(), Bail> {
        self.pos += 1; // `{`
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let base = self.path_len;
        let mut prev = START;
        loop {
            self.whitespace();
            let info = match self.predicted_key(top, prev) {
                Some((node, info)) => {
                    prev = node;
                    // Past the colon and the spaces the guess spelled; more spaces than the
                    // last line had are still whitespace.
                    self.whitespace();
                    info
                }
                None => {
                    if self.peek() != Some(b'"') {
                        return Err(Bail);
                    }
                    let (start, end, escaped) = self.string()?;
                    if escaped {
                        return Err(Bail);
                    }
                    let info = self.push_key(base, start, end);
                    self.expect(b':')?;
                    self.whitespace();
                    if let (true, Some(shape)) = (top, self.shape.as_deref_mut()) {
                        let needle = &self.bytes[start - 1..self.pos];
                        prev = shape.learn(prev, &self.bytes[start..end], needle, info);
                    }
                    info
                }
            };
            match info {
                Some(info) => self.value(info, out)?,
                None => self.skip_value()?,
            }
            self.path_len = base;
            self.top_key = None;
            self.whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// The top-level key at hand if it is the one the shape expects there (then read past up
    /// to its value, and the current top-level key): what the table says of it.
    #[inline]
    fn predicted_key(&mut self, top: bool, prev: Node) -> Option<(Node, Option<PathInfo>)> {
        if !top {
            return None;
        }
        let shape = self.shape.as_deref_mut()?;
        let guess = shape.predict(prev, &self.bytes[self.pos..])?;
        self.top_key = Some((self.pos + 1, self.pos + 1 + guess.key_len));
        self.pos += guess.needle_len;
        Some((guess.node, guess.info))
    }

    /// Appends the key at `start..end` to the path and looks the path up; `None` when nothing
    /// lies there.
    fn push_key(&mut self, base: usize, start: usize, end: usize) -> Option<PathInfo> {
        let key = &self.bytes[start..end];
        if base == 0 {
            let info = self.table.lookup_bytes(key)?;
            self.top_key = Some((start, end));
            return Some(info);
        }
        let len = base + 1 + key.len();
        if len > PATH_CAPACITY {
            return None;
        }
        self.path[base] = b'.';
        self.path[base + 1..len].copy_from_slice(key);
        self.path_len = len;
        self.table.lookup_bytes(&self.path[..len])
    }

    /// Before descending below a top-level key, its path goes into the buffer.
    fn spell_out_top_key(&mut self) -> Result<(), Bail> {
        if let Some((start, end)) = self.top_key.take() {
            let key = &self.bytes[start..end];
            if key.len() > PATH_CAPACITY {
                return Err(Bail);
            }
            self.path[..key.len()].copy_from_slice(key);
            self.path_len = key.len();
        }
        Ok(())
    }

    /// Array elements share the array's path (the .NET `Scopes` array).
    fn array(&mut self, out: &mut Extracted<'a>) -> Result<(), Bail> {
        self.pos += 1; // `[`
        self.whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let element = PathInfo {
            alias: None,
            prefix: true,
            extra: None,
            ..PathInfo::default()
        };
        loop {
            self.whitespace();
            self.value(element, out)?;
            self.whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// A value at a path the table knows: recorded if it is a leaf alias or extra, walked if
    /// aliases lie below it.
    #[inline(always)]
    fn value(&mut self, info: PathInfo, out: &mut Extracted<'a>) -> Result<(), Bail> {
        let wanted = info.alias.is_some() || info.extra.is_some();
        match self.peek() {
            Some(b'{') if info.prefix => {
                self.spell_out_top_key()?;
                self.object(out, false)
            }
            Some(b'[') if info.prefix => {
                self.spell_out_top_key()?;
                self.array(out)
            }
            Some(b'{' | b'[') => self.skip_value(),
            Some(b'"') if wanted => {
                let (start, end, escaped) = self.string()?;
                let text = if escaped {
                    // Only named values are unescaped; serde does it exactly.
                    let quoted = &self.bytes[start - 1..=end];
                    Cow::Owned(serde_json::from_slice::<String>(quoted).map_err(|_| Bail)?)
                } else {
                    Cow::Borrowed(self.text.get(start..end).ok_or(Bail)?)
                };
                let alias = self.alias(info);
                take_string(out, self.table, alias, info.extra, self.depth, text);
                Ok(())
            }
            Some(b'"') => self.string().map(drop),
            Some(_) => {
                let scalar = self.scalar()?;
                if let (true, Some(value)) = (wanted, scalar) {
                    take_scalar(out, self.alias(info), info.extra, value);
                }
                Ok(())
            }
            None => Err(Bail),
        }
    }

    #[inline]
    fn alias(&self, info: PathInfo) -> Option<FoundAlias> {
        FoundAlias::new(info, self.depth)
    }

    /// A number, `true`, `false` or `null` (`None`).
    fn scalar(&mut self) -> Result<Option<Scalar<'a>>, Bail> {
        let rest = &self.bytes[self.pos..];
        let word = match rest.first() {
            Some(b't') => Some((&b"true"[..], Some(Scalar::Bool(true)))),
            Some(b'f') => Some((&b"false"[..], Some(Scalar::Bool(false)))),
            Some(b'n') => Some((&b"null"[..], None)),
            _ => None,
        };
        if let Some((word, value)) = word {
            if !rest.starts_with(word) {
                return Err(Bail);
            }
            self.pos += word.len();
            return Ok(value);
        }
        // Most numbers in logs are small non-negative integers (levels, pids, epoch times):
        // their digits are summed as they are counted.
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if (1..=19).contains(&digits)
            && (digits == 1 || rest[0] != b'0')
            && !matches!(rest.get(digits), Some(b'.' | b'e' | b'E'))
        {
            let value = rest[..digits]
                .iter()
                .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            self.pos += digits;
            return Ok(Some(Scalar::U64(value)));
        }
        let (len, integer) = number_len(rest).ok_or(Bail)?;
        // The line was checked as UTF-8 whole; a number is ASCII, so on character boundaries.
        let text = self.text.get(self.pos..self.pos + len).ok_or(Bail)?;
        self.pos += len;
        Ok(Some(parse_number(text, integer)))
    }

    /// A string starting at the current `"`: returns the bounds of its contents and whether it
    /// holds escapes. Control characters (invalid JSON) hand the line to serde.
    #[inline(always)]
    fn string(&mut self) -> Result<(usize, usize, bool), Bail> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        let bytes = self.bytes;
        loop {
            i += special_byte_offset(&bytes[i.min(bytes.len())..]).ok_or(Bail)?;
            match bytes[i] {
                b'"' => {
                    self.pos = i + 1;
                    return Ok((start, i, escaped));
                }
                b'\\' => {
                    escaped = true;
                    match bytes.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'u')
                            if bytes
                                .get(i + 2..i + 6)
                                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                        {
                            i += 6
                        }
                        _ => return Err(Bail),
                    }
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Jumps over one value of any kind, checking that brackets match.
    fn skip_value(&mut self) -> Result<(), Bail> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{' | b'[') => self.skip_container(),
            Some(_) => self.scalar().map(drop),
            None => Err(Bail),
        }
    }

    fn skip_container(&mut self) -> Result<(), Bail> {
        // One bit per open bracket: 1 for `{`, 0 for `[`.
        let mut stack: u64 = 0;
        let mut depth: u32 = 0;
        let bytes = self.bytes;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => {
                    if depth == MAX_SKIP_DEPTH {
                        return Err(Bail);
                    }
                    stack = (stack << 1) | u64::from(b == b'{');
                    depth += 1;
                }
                b'}' | b']' => {
                    if depth == 0 || (stack & 1 == 1) != (b == b'}') {
                        return Err(Bail);
                    }
                    stack >>= 1;
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(Bail)
    }
}

/// The offset of the first `"`, `\` or control character: sixteen bytes per step in two
/// words, then a word, then the last eight bytes as one word that may overlap bytes already
/// seen (they held none, so its first hit is a new one); byte by byte only in a slice shorter
/// than eight.
#[inline(always)]
fn special_byte_offset(bytes: &[u8]) -> Option<usize> {
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let mut i = 0;
    while i + 16 <= bytes.len() {
        let hits = special_lanes_16(word(i), word(i + 8));
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i + 8 <= bytes.len() {
        let hits = special_lanes(word(i));
        if hits != 0 {
            return Some(i + first_lane(hits));
        }
        i += 8;
    }
    if i == bytes.len() {
        return None;
    }
    if i >= 8 {
        // Fewer than eight bytes left, after at least eight without a hit.
        let last = bytes.len() - 8;
        let hits = special_lanes(word(last));
        return (hits != 0).then(|| last + first_lane(hits));
    }
    bytes
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Bit `i` set: byte `i` of the sixteen in `low` then `high` is `"`, `\\` or below 0x20. One
/// SSE2 comparison per kind (x86-64 always has SSE2), built from the two words so that no
/// pointer is read unchecked.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special_lanes_16(low: u64, high: u64) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
        _mm_setzero_si128, _mm_subs_epu8,
    };
    // SAFETY: SSE2 is part of every x86-64 processor (the target enables it), and these
    // intrinsics only compute on registers.
    unsafe {
        let bytes = _mm_set_epi64x(high as i64, low as i64);
        let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // Saturating `byte - 0x1f` is zero exactly for the bytes up to 0x1f.
        let control = _mm_cmpeq_epi8(
            _mm_subs_epu8(bytes, _mm_set1_epi8(0x1f)),
            _mm_setzero_si128(),
        );
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    }
}

/// [`special_lanes_16`] with two words' lanes where SSE2 is not at hand.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn special_lanes_16(low: u64, high: u64) -> u32 {
    special_lanes_16_in_words(low, high)
}

/// [`special_lanes_16`] without SSE2 (tested against it on x86-64).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn special_lanes_16_in_words(low: u64, high: u64) -> u32 {
    let pack = |hits: u64| {
        (0..8).fold(0u32, |m, lane| {
            m | (((hits >> (lane * 8 + 7)) & 1) as u32) << lane
        })
    };
    pack(special_lanes(low)) | pack(special_lanes(high)) << 8
}

/// The high bit of each byte of `word` that is `"`, `\` or below 0x20.
#[inline(always)]
fn special_lanes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    // A lane is flagged when it is zero (the byte matched) or below 0x20; bytes ≥ 0x80 are
    // masked out by `!word`, so UTF-8 text never flags. Borrows only run upwards, so the
    // lowest flagged lane is always a true one.
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (word.wrapping_sub(ONES * 0x20) & !word))
        & HIGHS
}

/// The index of the lowest flagged lane.
#[inline(always)]
fn first_lane(hits: u64) -> usize {
    (hits.trailing_zeros() / 8) as usize
}

/// The length of the JSON number at the start of `bytes` and whether it is an integer.
fn number_len(bytes: &[u8]) -> Option<(usize, bool)> {
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let int = digits(i);
    if int == 0 || (int > 1 && bytes[i] == b'0') {
        return None;
    }
    i += int;
    let mut integer = true;
    if bytes.get(i) == Some(&b'.') {
        let frac = digits(i + 1);
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
        integer = false;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = bytes.get(i) {
            i += 1;
        }
        let exp = digits(i);
        if exp == 0 {
            return None;
        }
        i += exp;
        integer = false;
    }
    Some((i, integer))
}

/// A number as serde_json reports it: u64, then i64 for negatives, else f64.
fn parse_number(text: &str, integer: bool) -> Scalar<'static> {
    if integer {
        if let Ok(v) = text.parse::<u64>() {
            return Scalar::U64(v);
        }
        if let Ok(v) = text.parse::<i64>() {
            if v != 0 {
                return Scalar::I64(v);
            }
        }
    }
    Scalar::F64(text.parse::<f64>().unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_in_every_lane() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'"', b'\\', b'\n', 0u8, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert_eq!(
                        special_byte_offset(&bytes),
                        Some(at),
                        "{len} {at} {special}"
                    );
                }
            }
            let plain: Vec<u8> = "é€ aZ~\u{7f}".bytes().cycle().take(len).collect();
            assert_eq!(special_byte_offset(&plain), None);
        }
    }

    #[test]
    fn the_first_special_byte_is_found_whatever_follows() {
        let alphabet = [b'a', b'"', b'\\', b'\n', 0x1f, 0xc3, 0xa9, b' ', 0x7f, 0x80];
        let mut random = crate::records::random_u64s(19);
        for _ in 0..20_000 {
            let len = (random() % 48) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    // Mostly plain text, so that hits land in every lane of every step.
                    let r = random();
                    if r.is_multiple_of(6) {
                        alphabet[(r / 6 % alphabet.len() as u64) as usize]
                    } else {
                        b'a'
                    }
                })
                .collect();
            let naive = bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(special_byte_offset(&bytes), naive, "{bytes:?}");
        }
    }

    #[test]
    fn both_sixteen_byte_steps_agree() {
        let alphabet = [
            b'a', b'"', b'\\', b'\n', 0, 0x1f, 0x20, 0x7f, 0x80, 0xff, b'{',
        ];
        let mut random = crate::records::random_u64s(23);
        for _ in 0..20_000 {
            let word = |random: &mut dyn FnMut() -> u64| {
                let bytes: Vec<u8> = (0..8)
                    .map(|_| alphabet[(random() % alphabet.len() as u64) as usize])
                    .collect();
                u64::from_le_bytes(bytes.try_into().unwrap())
            };
            let (low, high) = (word(&mut random), word(&mut random));
            // Only the lowest hit counts: the words' lanes may flag bytes above a true hit.
            assert_eq!(
                special_lanes_16(low, high).trailing_zeros(),
                special_lanes_16_in_words(low, high).trailing_zeros(),
                "{low:x} {high:x}"
            );
        }
    }

    #[test]
    fn integers_are_read_as_serde_reads_them() {
        use crate::records::extract::parse_at_depth;
        use crate::records::fields::FieldOverrides;
        let table = FieldTable::new(&FieldOverrides::default());
        for number in [
            "0",
            "7",
            "30",
            "1705",
            "1795168800100",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "-0",
            "-12",
            "1.5",
            "2e3",
            "10E-2",
        ] {
            let line = format!(r#"{{"level":{number},"pid":{number}}}"#);
            let mut skimmed = Extracted::default();
            skim_into(line.as_bytes(), &table, 0, &mut skimmed).expect("skimmed");
            let mut parsed = Extracted::default();
            parse_at_depth(line.as_bytes(), &table, 0, &mut parsed).expect("parsed");
            assert_eq!(skimmed, parsed, "{number}");
            assert!(skimmed.get(crate::records::fields::Slot::Level).is_some());
        }
        for bad in ["01", "1.", "-", "tru", "nul"] {
            let line = format!(r#"{{"level":{bad}}}"#);
            let mut skimmed = Extracted::default();
            assert_eq!(
                skim_into(line.as_bytes(), &table, 0, &mut skimmed),
                Err(Bail)
            );
        }
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        assert_eq!(number_len(b"12,"), Some((2, true)));
        assert_eq!(number_len(b"-0.5e+3}"), Some((7, false)));
        for bad in [&b"01"[..], b"-", b"1.", b"1e", b".5", b"+1"] {
            assert_eq!(number_len(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_number("18446744073709551615", true),
            Scalar::U64(u64::MAX)
        );
        assert_eq!(parse_number("-3", true), Scalar::I64(-3));
        assert_eq!(parse_number("1.5", false), Scalar::F64(1.5));
    }
}
