//! One pass over a JSON line that picks out only the fields the alias table names.
//!
//! The walker is a serde visitor: keys are compared as they stream past, values of unknown keys
//! are skipped without being built, and strings without escapes are borrowed from the line. A
//! string in an envelope field (`log`, `message`, `MESSAGE`, `body`) that holds a JSON object is
//! parsed as the inner record, whose fields beat the outer ones.

use std::borrow::Cow;
use std::fmt;
use std::mem::ManuallyDrop;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::records::fields::{FieldTable, PathInfo, Role, Slot, SLOT_COUNT};
use crate::records::skim::skim_into;

/// How deep JSON carried inside strings is unwrapped.
const MAX_ENVELOPE_DEPTH: u8 = 3;

/// A leaf value as the line spelled it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string, borrowed when it had no escapes.
    Str(Cow<'a, str>),
    /// A non-negative integer (keeps every digit of 64-bit ids).
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// A number with a fraction or exponent, or above u64.
    F64(f64),
    /// A boolean.
    Bool(bool),
}

impl Scalar<'_> {
    /// Detaches the value from the line it was borrowed from.
    pub fn into_owned(self) -> Scalar<'static> {
        match self {
            Scalar::Str(s) => Scalar::Str(Cow::Owned(s.into_owned())),
            Scalar::U64(v) => Scalar::U64(v),
            Scalar::I64(v) => Scalar::I64(v),
            Scalar::F64(v) => Scalar::F64(v),
            Scalar::Bool(v) => Scalar::Bool(v),
        }
    }

    /// The value as text, for fields read as strings.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Scalar::Str(s) => Cow::Borrowed(s.as_ref()),
            Scalar::U64(v) => Cow::Owned(v.to_string()),
            Scalar::I64(v) => Cow::Owned(v.to_string()),
            Scalar::F64(v) => Cow::Owned(v.to_string()),
            Scalar::Bool(v) => Cow::Borrowed(if *v { "true" } else { "false" }),
        }
    }
}

/// The best value seen so far for one slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'a> {
    /// The alias that supplied it (its syntax decides how to decode the value).
    pub role: Role,
    /// The alias's rank, lowered by envelope depth so inner records win.
    pub rank: i32,
    /// The full path it was found at.
    pub path_is_clef_time: bool,
    /// The value.
    pub value: Scalar<'a>,
}

/// The fields of one line that the table names, best alias per slot.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Extracted<'a> {
    /// Dropped by hand (see the `Drop` impl), and only when some value was copied out of the
    /// line: most lines borrow every value, and the drop glue that visited each of the 28
    /// slots of every line was 1.6 % of `--all`'s instructions.
    slots: ManuallyDrop<[Option<Found<'a>>; SLOT_COUNT]>,
    /// Bit `i`: slot `i` holds a value.
    filled: u32,
    /// Some value offered was an owned string (unescaped, or from an envelope's payload).
    owns: bool,
    /// Values of the table's extra paths, by index (empty unless extras were asked for).
    pub extras: Vec<(u8, Scalar<'a>)>,
    /// Whether a JSON envelope string was unwrapped.
    pub unwrapped: bool,
}

impl<'a> Extracted<'a> {
    /// The value found for a slot, if any.
    pub fn get(&self, slot: Slot) -> Option<&Found<'a>> {
        self.slots[slot as usize].as_ref()
    }

    /// Whether any slot of `mask` (made by [`slot_mask`]) holds a value: one test for fields
    /// most lines lack (a name, a duration, a call kind), read on every line of `--all`.
    #[inline]
    pub fn has_any(&self, mask: u32) -> bool {
        self.filled & mask != 0
    }

    #[inline(always)]
    fn offer(&mut self, role: Role, rank: i32, clef_time: bool, value: Scalar<'a>) {
        self.offer_at(role.slot() as usize, role, rank, clef_time, value);
    }

    /// [`Extracted::offer`] with the role's slot already known.
    #[inline(always)]
    fn offer_at(&mut self, at: usize, role: Role, rank: i32, clef_time: bool, value: Scalar<'a>) {
        let found = Found {
            role,
            rank,
            path_is_clef_time: clef_time,
            value,
        };
        let slot = &mut self.slots[at];
        if self.filled & 1 << at == 0 {
            self.filled |= 1 << at;
            // A slot holds a value exactly when its bit is set: this one is empty, and there
            // is nothing to drop (the drop's call kept the value in memory, not registers).
            std::mem::forget(slot.replace(found));
        } else if slot.as_ref().is_some_and(|f| rank < f.rank) {
            *slot = Some(found);
        }
    }

    /// Takes the values of `inner`, copied out of the text it borrowed from, where its ranks
    /// beat the ones held.
    pub(crate) fn absorb(&mut self, mut inner: Extracted<'_>) {
        for (i, v) in std::mem::take(&mut inner.extras) {
            self.extras.push((i, v.into_owned()));
        }
        self.owns = true;
        let mut bits = std::mem::take(&mut inner.filled);
        while bits != 0 {
            let at = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(found) = inner.slots[at].take() {
                self.offer(
                    found.role,
                    found.rank,
                    found.path_is_clef_time,
                    found.value.into_owned(),
                );
            }
        }
    }
}

// Every slot fits a bit of `filled`.
const _: () = assert!(SLOT_COUNT <= 32);

/// The bits of `slots` in [`Extracted::has_any`]'s mask.
pub const fn slot_mask(slots: &[Slot]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < slots.len() {
        mask |= 1 << slots[i] as u32;
        i += 1;
    }
    mask
}

impl Drop for Extracted<'_> {
    /// Drops the filled slots when one may hold an owned string; borrowed values and empty
    /// slots need nothing.
    fn drop(&mut self) {
        if !self.owns {
            return;
        }
        let mut bits = self.filled;
        while bits != 0 {
            let at = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            self.slots[at] = None;
        }
    }
}

/// Why a line yielded no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotJson {
    /// The line is not a JSON object (text, truncated, garbage).
    Invalid,
}

/// Extracts the named fields of one line (without its newline). The line must start with `{`
/// once leading whitespace is skipped; trailing text after the object is tolerated.
pub fn extract<'a>(line: &'a [u8], table: &FieldTable) -> Result<Extracted<'a>, NotJson> {
    let mut out = Extracted::default();
    extract_into(line, table, &mut out)?;
    Ok(out)
}

/// Whether all of a line was found to be UTF-8 while its fields were extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8 {
    /// The whole line is UTF-8 (the skimmer checks it before it starts).
    Checked,
    /// Only what the parser read was checked (serde_json skips values it is not asked for).
    Unknown,
}

/// Like [`extract`], into a record the caller made (`Extracted` is about a kilobyte: filling
/// it in place saves moving it per line). Says whether the whole line was checked as UTF-8.
pub fn extract_into<'a>(
    line: &'a [u8],
    table: &FieldTable,
    out: &mut Extracted<'a>,
) -> Result<Utf8, NotJson> {
    extract_at_depth(line, table, 0, out)
}

/// The skimmer first; serde_json, the reference parser, for what the skimmer declines.
#[inline(always)]
fn extract_at_depth<'a>(
    line: &'a [u8],
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'a>,
) -> Result<Utf8, NotJson> {
    if skim_into(line, table, depth, out).is_ok() {
        return Ok(Utf8::Checked);
    }
    *out = Extracted::default();
    parse_at_depth(line, table, depth, out).map(|()| Utf8::Unknown)
}

/// The reference path: serde_json walks the whole line.
pub fn parse_at_depth<'a>(
    line: &'a [u8],
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'a>,
) -> Result<(), NotJson> {
    parse_with(
        &mut serde_json::Deserializer::from_slice(line),
        table,
        depth,
        out,
    )
}

/// Runs the visitor over any serde deserializer (serde_json; others in benches/parsers.rs).
pub fn parse_with<'a, D: Deserializer<'a>>(
    de: D,
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'a>,
) -> Result<(), NotJson> {
    let mut path = String::with_capacity(64);
    Node {
        table,
        out,
        path: &mut path,
        alias: None,
        extra: None,
        descend: true,
        depth,
    }
    .deserialize(de)
    .map_err(|_| NotJson::Invalid)
}

/// Extracts from a string that held JSON (an envelope's payload).
fn extract_inner(text: &str, table: &FieldTable, depth: u8) -> Option<Extracted<'static>> {
    let mut inner = Extracted::default();
    extract_at_depth(text.as_bytes(), table, depth, &mut inner).ok()?;
    let mut owned = Extracted::default();
    owned.unwrapped = true;
    owned.absorb(inner);
    Some(owned)
}

/// The alias a value was found under, ranked for its envelope depth.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoundAlias {
    role: Role,
    slot: u8,
    rank: i32,
    clef_time: bool,
}

impl FoundAlias {
    /// The alias of a path the table describes as `info`, found in a record `depth`
    /// envelopes deep.
    #[inline(always)]
    pub(crate) fn new(info: PathInfo, depth: u8) -> Option<FoundAlias> {
        info.alias.map(|alias| FoundAlias {
            role: alias.role,
            slot: info.slot,
            rank: i32::from(alias.rank) - i32::from(depth) * DEPTH_RANK_STEP,
            clef_time: info.clef_time,
        })
    }
}

/// Offers a value to the extra it feeds and the slot its alias fills.
#[inline(always)]
pub(crate) fn take_scalar<'a>(
    out: &mut Extracted<'a>,
    alias: Option<FoundAlias>,
    extra: Option<u8>,
    value: Scalar<'a>,
) {
    if let Some(i) = extra {
        out.extras.push((i, value.clone()));
    }
    if let Some(a) = alias {
        out.offer_at(usize::from(a.slot), a.role, a.rank, a.clef_time, value);
    }
}

/// Offers a string; an envelope field holding a JSON object is unwrapped instead.
#[inline(always)]
pub(crate) fn take_string<'a>(
    out: &mut Extracted<'a>,
    table: &FieldTable,
    alias: Option<FoundAlias>,
    extra: Option<u8>,
    depth: u8,
    text: Cow<'a, str>,
) {
    if let Some(FoundAlias {
        role: Role::Envelope,
        ..
    }) = alias
    {
        if unwrap_envelope(out, table, depth, &text) {
            return;
        }
    }
    out.owns |= matches!(text, Cow::Owned(_));
    take_scalar(out, alias, extra, Scalar::Str(text));
}

/// Takes the record an envelope string holds, if it holds one (out of line: most values
/// are not envelopes, and the walk's hot path stays small).
#[inline(never)]
fn unwrap_envelope(out: &mut Extracted<'_>, table: &FieldTable, depth: u8, text: &str) -> bool {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') && depth < MAX_ENVELOPE_DEPTH {
        if let Some(inner) = extract_inner(trimmed, table, depth + 1) {
            out.unwrapped = true;
            out.absorb(inner);
            return true;
        }
    }
    false
}

/// A value at some path: recorded if the path is an alias, descended into if aliases lie below.
struct Node<'t, 'o, 'a> {
    table: &'t FieldTable,
    out: &'o mut Extracted<'a>,
    path: &'o mut String,
    alias: Option<FoundAlias>,
    extra: Option<u8>,
    descend: bool,
    depth: u8,
}

impl<'t, 'o, 'a> Node<'t, 'o, 'a> {
    fn record(self, value: Scalar<'a>) {
        take_scalar(self.out, self.alias, self.extra, value);
    }
}

/// Envelope ranks sit this far below their depth's ranks, so inner fields win.
pub(crate) const DEPTH_RANK_STEP: i32 = 10_000;

impl<'de, 't, 'o> DeserializeSeed<'de> for Node<'t, 'o, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 't, 'o> Visitor<'de> for Node<'t, 'o, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.record(Scalar::Bool(v));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.record(Scalar::U64(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.record(Scalar::I64(v));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.record(Scalar::F64(v));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.string(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.string(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.string(Cow::Owned(v));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.descend {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        // Elements share the array's path: `Scopes[0].TraceId` is `Scopes.TraceId`.
        while seq
            .next_element_seed(Node {
                table: self.table,
                out: &mut *self.out,
                path: &mut *self.path,
                alias: None,
                extra: None,
                descend: true,
                depth: self.depth,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !self.descend {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let base = self.path.len();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if base > 0 {
                self.path.push('.');
            }
            self.path.push_str(&key);
            let info = self.table.lookup(self.path).unwrap_or_default();
            let alias = FoundAlias::new(info, self.depth);
            let (descend, extra) = (info.prefix, info.extra);
            if alias.is_some() || descend || extra.is_some() {
                map.next_value_seed(Node {
                    table: self.table,
                    out: &mut *self.out,
                    path: &mut *self.path,
                    alias,
                    extra,
                    descend,
                    depth: self.depth,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            self.path.truncate(base);
        }
        Ok(())
    }
}

impl<'de> Node<'_, '_, 'de> {
    fn string(self, v: Cow<'de, str>) {
        take_string(self.out, self.table, self.alias, self.extra, self.depth, v);
    }
}

/// An object key, borrowed from the line when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::fields::FieldOverrides;

    fn text<'a>(e: &'a Extracted<'_>, slot: Slot) -> Option<Cow<'a, str>> {
        e.get(slot).map(|f| f.value.as_text())
    }

    #[test]
    fn flat_nested_and_arrays() {
        let t = FieldTable::new(&FieldOverrides::default());
        let line = br#"{"dd":{"trace_id":11803532876627986230,"span_id":"1"},"x":{"y":[1,2]},"Scopes":[{"SpanId":"00f067aa0ba902b7"}],"msg":"a\"b"}"#;
        let e = extract(line, &t).unwrap();
        assert_eq!(
            e.get(Slot::Trace).unwrap().value,
            Scalar::U64(11803532876627986230)
        );
        assert_eq!(text(&e, Slot::Span).as_deref(), Some("1"));
        assert_eq!(text(&e, Slot::Message).as_deref(), Some("a\"b"));
        let line = br#"{"dd.trace_id":"5","dd.span_id":"6","trace_id":"abc"}"#;
        let e = extract(line, &t).unwrap();
        assert_eq!(text(&e, Slot::Trace).as_deref(), Some("abc"));
    }

    #[test]
    fn envelope_inner_record_wins() {
        let t = FieldTable::new(&FieldOverrides::default());
        let line = br#"{"log":"{\"msg\":\"inner\",\"trace_id\":\"ab\"}\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z","msg":"outer"}"#;
        let e = extract(line, &t).unwrap();
        assert!(e.unwrapped);
        assert_eq!(text(&e, Slot::Message).as_deref(), Some("inner"));
        assert_eq!(text(&e, Slot::Trace).as_deref(), Some("ab"));
        assert!(e.get(Slot::Time).is_some());
    }

    /// The skimmer and serde_json agree on every fixture line and on damaged copies of them
    /// (cut short, a byte changed), wherever both accept the line.
    #[test]
    fn the_skimmer_agrees_with_serde() {
        let t = FieldTable::new(&FieldOverrides::default())
            .with_extra_paths(&["http.status".into(), "user.id".into()]);
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for entry in walkdir::WalkDir::new(fixtures).into_iter().flatten() {
            let Ok(text) = std::fs::read(entry.path()) else {
                continue;
            };
            for line in text.split(|&b| b == b'\n') {
                if let Some(brace) = line.iter().position(|&b| b == b'{') {
                    lines.push(line[brace..].to_vec());
                }
            }
        }
        assert!(lines.len() > 200, "{} fixture lines", lines.len());
        let mut skimmed = 0;
        let mut check = |line: &[u8]| {
            let mut fast = Extracted::default();
            let mut slow = Extracted::default();
            let fast_ok = skim_into(line, &t, 0, &mut fast).is_ok();
            let slow_ok = parse_at_depth(line, &t, 0, &mut slow).is_ok();
            if fast_ok && slow_ok {
                assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                skimmed += 1;
            }
        };
        for (n, line) in lines.iter().enumerate() {
            check(line);
            for cut in (0..line.len()).step_by(7) {
                check(&line[..cut]);
            }
            let mut damaged = line.clone();
            for (i, byte) in [b'"', b'\\', b'}', b',', b':', b'\n', b'0']
                .iter()
                .enumerate()
            {
                let at = (n * 31 + i * 17) % damaged.len().max(1);
                if let Some(b) = damaged.get_mut(at) {
                    *b = *byte;
                }
                check(&damaged);
            }
        }
        assert!(
            skimmed > lines.len(),
            "the skimmer accepted only {skimmed} lines"
        );
    }

    #[test]
    fn bad_lines_are_errors_not_panics() {
        let t = FieldTable::new(&FieldOverrides::default());
        for line in [
            &b"{\"a\":"[..],
            b"plain text",
            b"",
            b"{\"msg\":\"\xff\"}",
            b"[1,2",
        ] {
            assert!(extract(line, &t).is_err(), "{line:?}");
        }
    }
}
