//! Benchmarks only (feature `parser-bench`): `TRACEGREP_PARSER` picks what extracts each line,
//! so scripts/bench-parsers.sh can compare parsers behind the same interface in one binary.
//!
//! - `skim` (or unset): the normal path, the skimmer with serde_json for what it declines;
//! - `serde`: serde_json's deserializer driving the extractor's visitor for every line;
//! - `sonic`: sonic-rs's (SIMD) deserializer driving the same visitor;
//! - `simd`: simd-json's deserializer driving the same visitor. simd-json parses in place, so
//!   each line is first copied into a buffer, and strings are copied out of it afterwards
//!   (they cannot borrow from the mapped file as with the others);
//! - `none`: no extraction at all, every line counts as having no trace id: the cost of
//!   everything around the parser (reading, line splitting, envelopes, UTF-8 checks).

use std::sync::OnceLock;

use crate::records::extract::{parse_at_depth, parse_with, Extracted, NotJson};
use crate::records::fields::FieldTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parser {
    Skim,
    Serde,
    Sonic,
    Simd,
    None,
}

fn chosen() -> Parser {
    static CHOICE: OnceLock<Parser> = OnceLock::new();
    *CHOICE.get_or_init(|| match std::env::var("TRACEGREP_PARSER").as_deref() {
        Ok("serde") => Parser::Serde,
        Ok("sonic") => Parser::Sonic,
        Ok("simd") => Parser::Simd,
        Ok("none") => Parser::None,
        _ => Parser::Skim,
    })
}

/// Extracts `line` with the chosen parser; `None` leaves it to the normal path.
pub(crate) fn extract<'a>(
    line: &'a [u8],
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'a>,
) -> Option<Result<(), NotJson>> {
    match chosen() {
        Parser::Skim => None,
        Parser::Serde => Some(parse_at_depth(line, table, depth, out)),
        Parser::Sonic => Some(parse_with(
            &mut sonic_rs::Deserializer::from_slice(line),
            table,
            depth,
            out,
        )),
        Parser::Simd => Some(simd(line, table, depth, out)),
        Parser::None => Some(Ok(())),
    }
}

fn simd(
    line: &[u8],
    table: &FieldTable,
    depth: u8,
    out: &mut Extracted<'_>,
) -> Result<(), NotJson> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        buffer.extend_from_slice(line);
        let mut de = simd_json::Deserializer::from_slice(buffer).map_err(|_| NotJson::Invalid)?;
        let mut inner = Extracted::default();
        parse_with(&mut de, table, depth, &mut inner)?;
        let unwrapped = inner.unwrapped;
        out.absorb(inner);
        out.unwrapped |= unwrapped;
        Ok(())
    })
}
