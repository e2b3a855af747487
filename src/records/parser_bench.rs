//! Benchmarks only (feature `parser-bench`): `TRACEGREP_PARSER` picks what extracts each line,
//! so scripts/bench-parsers.sh can compare parsers behind the same interface in one binary.
//!
//! - `skim` (or unset): the normal path, the skimmer with serde_json for what it declines;
//! - `serde`: serde_json's deserializer driving the extractor's visitor for every line;
//! - `sonic`: sonic-rs's (SIMD) deserializer driving the same visitor;
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
    None,
}

fn chosen() -> Parser {
    static CHOICE: OnceLock<Parser> = OnceLock::new();
    *CHOICE.get_or_init(|| match std::env::var("TRACEGREP_PARSER").as_deref() {
        Ok("serde") => Parser::Serde,
        Ok("sonic") => Parser::Sonic,
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
        Parser::None => Some(Ok(())),
    }
}
