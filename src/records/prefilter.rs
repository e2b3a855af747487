//! The prefilter of the one-trace search: every spelling of the wanted id searched for at
//! once over raw bytes (Aho-Corasick, which uses SIMD "Teddy" for a handful of literals). A
//! hit only says "maybe": the line it is on is parsed and its id fields decide.

use aho_corasick::{packed, AhoCorasick, MatchKind};

use crate::records::walk::Visit;

/// The multi-literal searcher: SIMD Teddy when the CPU has it, else an automaton.
#[derive(Debug, Clone)]
pub(crate) enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    pub(crate) fn new(needles: &[&[u8]]) -> Result<Finder, SearchError> {
        // Teddy is chosen by hand: the automaton's own heuristics prefer a rare-byte memchr
        // prefilter, which on hex-heavy logs stops at nearly every id (measured 6x slower).
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(needles)
            .build();
        if let Some(searcher) = packed {
            return Ok(Finder::Packed(searcher));
        }
        Ok(Finder::Automaton(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(needles)?,
        ))
    }

    /// Start of the first needle found in `hay`.
    pub(crate) fn find_start(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Finder::Packed(s) => s.find(hay).map(|m| m.start()),
            Finder::Automaton(a) => a.find(hay).map(|m| m.start()),
        }
    }
}

/// Why a search could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The id gives nothing to search for.
    #[error("the trace id is empty")]
    EmptyId,
    /// The automaton could not be built.
    #[error("cannot build the search: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

impl Visit for Finder {
    /// The line of the next hit.
    fn next_line(&self, hay: &[u8], pos: usize, limit: usize) -> Option<usize> {
        let hit = pos + self.find_start(&hay[pos..limit])?;
        Some(memchr::memrchr(b'\n', &hay[pos..hit]).map_or(pos, |i| pos + i + 1))
    }
}
