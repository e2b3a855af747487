//! The scan of every line, for views of all traces: no prefilter, each line decoded once.
//!
//! Lines are walked with memchr, envelopes peeled and split lines joined as in the one-trace
//! search ([`crate::records::scan`]); each line with a trace id is handed to a sink as a
//! [`Decoded`] with where it lives. Lines without an id and lines that are not JSON are
//! counted in [`Diagnostics`].

use crate::diag::Diagnostics;
use crate::records::envelope::unwrap_line;
use crate::records::fields::FieldTable;
use crate::records::scan::{
    block_limit, is_piece, join_pieces, line_end, run_end, run_start, skip_foreign_pieces,
    trim_line, view_payload, Block,
};
use crate::records::whole::{decode_whole_trace, is_whole_trace};
use crate::records::{AnyLine, LineFields, LineIds, LineRef, LineView};

/// Decodes every line of blocks.
#[derive(Debug, Clone)]
pub struct LineScan {
    table: FieldTable,
}

impl LineScan {
    /// A scan reading the fields `table` names.
    pub fn new(table: FieldTable) -> LineScan {
        LineScan { table }
    }

    /// Decodes the lines of a block (see [`Block`]) and hands each to `sink` as a borrowed
    /// view; returns where the next call for the same source must start.
    pub fn scan_block(
        &self,
        block: &Block<'_>,
        diag: &mut Diagnostics,
        mut sink: impl FnMut(&AnyLine<'_>, &LineIds, LineRef),
    ) -> usize {
        let hay = block.bytes;
        let to = block.to.min(hay.len());
        let mut pos = skip_foreign_pieces(hay, block.from);
        let limit = block_limit(hay, pos, to, block.more_follows);
        while pos < limit {
            let start = pos;
            let piece = is_piece(hay, start, start);
            let last = if piece { run_end(hay, start) } else { start };
            let end = line_end(hay, last);
            pos = end.saturating_add(1);
            let offset = block.base_offset + start as u64;
            let raw = trim_line(&hay[start..end], offset);
            if raw.is_empty() {
                continue;
            }
            diag.candidate_lines += 1;
            let line = LineRef {
                source: block.source,
                offset,
            };
            let visit = |view: &LineView<'_>, lossy: bool| diag_lines(view, lossy, line, &mut sink);
            let counts = if piece {
                let first = run_start(hay, start, start);
                match join_pieces(&hay[first..end], offset) {
                    Some((joined, mut env)) => {
                        env.payload = joined.strip_suffix(b"\n").unwrap_or(&joined);
                        view_payload(&self.table, &env, diag, visit)
                    }
                    None => {
                        diag.not_json += 1;
                        None
                    }
                }
            } else {
                let env = unwrap_line(raw);
                let payload = env.payload.trim_ascii_start();
                if is_whole_trace(payload) {
                    // One line, many spans or log records (OTLP, Jaeger, Zipkin).
                    match decode_whole_trace(payload) {
                        Some(docs) => {
                            for d in &docs {
                                let ids = d.ids();
                                diag.matched_lines += 1;
                                sink(&AnyLine::Decoded(d), &ids, line);
                            }
                        }
                        None => diag.not_json += 1,
                    }
                    continue;
                }
                view_payload(&self.table, &env, diag, visit)
            };
            if let Some((lossy, has_trace)) = counts {
                diag.invalid_utf8 += u64::from(lossy);
                if has_trace {
                    diag.matched_lines += 1;
                } else {
                    diag.no_trace_id += 1;
                }
            }
        }
        limit
    }
}

/// Hands a line with a trace id to the sink; returns (damaged, has a trace id).
fn diag_lines(
    view: &LineView<'_>,
    lossy: bool,
    line: LineRef,
    sink: &mut impl FnMut(&AnyLine<'_>, &LineIds, LineRef),
) -> (bool, bool) {
    // The ids are decoded once here and handed on.
    let ids = view.ids();
    let has_trace = ids.trace.is_some();
    if has_trace {
        sink(&AnyLine::View(view), &ids, line);
    }
    (lossy, has_trace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::fields::FieldOverrides;

    #[test]
    fn every_line_with_an_id_reaches_the_sink() {
        let text = concat!(
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"a\"}\n",
            "not json\n",
            "{\"msg\":\"no id\"}\n",
            "\n",
            "2026-11-20T10:00:01Z stdout P {\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\n",
            "2026-11-20T10:00:01Z stdout F \"msg\":\"joined\"}\n",
        );
        let scan = LineScan::new(FieldTable::new(&FieldOverrides::default()));
        let mut diag = Diagnostics::default();
        let mut seen = Vec::new();
        let block = Block {
            bytes: text.as_bytes(),
            from: 0,
            to: text.len(),
            base_offset: 0,
            source: 0,
            more_follows: false,
        };
        scan.scan_block(&block, &mut diag, |d, _, _| {
            seen.push(d.message_text().unwrap_or_default().into_owned())
        });
        assert_eq!(seen, ["a", "joined"]);
        assert_eq!(diag.not_json, 1);
        assert_eq!(diag.no_trace_id, 1);
    }
}
