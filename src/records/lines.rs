//! The scan of every line, for views of all traces: no prefilter, each line decoded once.
//!
//! Lines are walked with memchr, envelopes peeled and split lines joined as in the one-trace
//! search ([`crate::records::scan`]); each line with a trace id is handed to a sink as a
//! [`Decoded`] with where it lives. Lines without an id and lines that are not JSON are
//! counted in [`Diagnostics`].

use crate::diag::Diagnostics;
use crate::records::block::{Block, BlockScan, LineSink};
use crate::records::continuation::Continuations;
use crate::records::envelope::unwrap_line;
use crate::records::fields::FieldTable;
use crate::records::geometry::{join_pieces, trim_line};
use crate::records::payload::view_payload;
use crate::records::walk::{walk_lines, EveryLine};
use crate::records::whole::{decode_whole_trace, is_whole_trace};
use crate::records::{AnyLine, LineFields, LineRef, LineView};

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

    /// The fields it reads.
    pub fn table(&self) -> &FieldTable {
        &self.table
    }
}

impl<K: LineSink> BlockScan<K> for LineScan {
    /// The records a stack trace may still continue, one per stream.
    type State = Continuations;

    /// Decodes the lines of a block (see [`Block`]) and hands each line with a trace id to
    /// `sink` as a borrowed view; returns where the next call for the same source must start.
    fn scan_block(
        &self,
        block: &Block<'_>,
        fallback: Option<&str>,
        stacks: &mut Continuations,
        diag: &mut Diagnostics,
        sink: &mut K,
    ) -> usize {
        let hay = block.bytes;
        walk_lines(block, &EveryLine, |v| {
            let start = v.first;
            let offset = block.base_offset + start as u64;
            let raw = trim_line(&hay[start..v.end], offset);
            if raw.is_empty() {
                stacks.blank();
                return v.next;
            }
            diag.candidate_lines += 1;
            let line = LineRef {
                source: block.source,
                offset,
            };
            let visit =
                |view: &LineView<'_>, lossy: bool| diag_lines(view, lossy, line, fallback, sink);
            let not_json = diag.not_json;
            let (counts, pod) = if v.piece {
                match join_pieces(&hay[start..v.end], offset) {
                    Some((joined, first_env)) => {
                        let pod = first_env.pod;
                        let mut env = first_env;
                        env.payload = joined.strip_suffix(b"\n").unwrap_or(&joined);
                        let counts = view_payload(&self.table, &env, diag, visit);
                        if counts.is_none() && stacks.continues(pod, env.payload) {
                            diag.not_json = not_json;
                        }
                        (counts, pod)
                    }
                    None => {
                        diag.not_json += 1;
                        (None, None)
                    }
                }
            } else {
                let env = unwrap_line(raw);
                let payload = env.payload.trim_ascii_start();
                if is_whole_trace(payload) {
                    // One line, many spans or log records (OTLP, Jaeger, Zipkin).
                    match decode_whole_trace(payload) {
                        Some(docs) => {
                            stacks.record(env.pod);
                            for d in &docs {
                                let ids = d.ids();
                                diag.matched_lines += 1;
                                sink.line(&AnyLine::Decoded(d), &ids, line, fallback);
                            }
                        }
                        None => diag.not_json += 1,
                    }
                    return v.next;
                }
                let counts = view_payload(&self.table, &env, diag, visit);
                // A stack trace after a record is its continuation, not damage.
                if counts.is_none() && stacks.continues(env.pod, env.payload) {
                    diag.not_json = not_json;
                }
                (counts, env.pod)
            };
            if let Some((lossy, has_trace)) = counts {
                stacks.record(pod);
                diag.invalid_utf8 += u64::from(lossy);
                if has_trace {
                    diag.matched_lines += 1;
                } else {
                    diag.no_trace_id += 1;
                }
            }
            v.next
        })
    }
}

/// Hands a line with a trace id to the sink; returns (damaged, has a trace id).
fn diag_lines(
    view: &LineView<'_>,
    lossy: bool,
    line: LineRef,
    fallback: Option<&str>,
    sink: &mut impl LineSink,
) -> (bool, bool) {
    // The ids are decoded once here and handed on.
    let ids = view.ids();
    let has_trace = ids.trace.is_some();
    if has_trace {
        sink.line(&AnyLine::View(view), &ids, line, fallback);
    } else {
        sink.untraced(view, line, fallback);
    }
    (lossy, has_trace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::fields::FieldOverrides;
    use crate::records::LineIds;

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
        let block = Block::of_stream(text.as_bytes(), 0, 0, false);
        let mut sink = |d: &AnyLine<'_>, _: &LineIds, _: LineRef, _: Option<&str>| {
            seen.push(d.message_text().unwrap_or_default().into_owned())
        };
        scan.scan_block(&block, None, &mut Default::default(), &mut diag, &mut sink);
        assert_eq!(seen, ["a", "joined"]);
        assert_eq!(diag.not_json, 1);
        assert_eq!(diag.no_trace_id, 1);
    }

    /// Counts of (not JSON, JSON without a trace id) for a text scanned as one block.
    fn damage(text: &str) -> (u64, u64) {
        let scan = LineScan::new(FieldTable::new(&FieldOverrides::default()));
        let mut diag = Diagnostics::default();
        let block = Block::of_stream(text.as_bytes(), 0, 0, false);
        let mut sink = |_: &AnyLine<'_>, _: &LineIds, _: LineRef, _: Option<&str>| {};
        scan.scan_block(&block, None, &mut Default::default(), &mut diag, &mut sink);
        (diag.not_json, diag.no_trace_id)
    }

    #[test]
    fn a_stack_trace_after_a_record_is_not_damage() {
        let java = concat!(
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"failed\"}\n",
            "java.lang.IllegalStateException: boom\n",
            "\tat com.example.A.run(A.java:1)\n",
            "Caused by: java.io.IOException: closed\n",
            "\t... 3 more\n",
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"next\"}\n",
        );
        assert_eq!(damage(java), (0, 0));
        // Text that does not open a stack trace is damage, and ends what a record had open.
        let banner = concat!(
            "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"a\"}\n",
            "=== app v1.2 starting ===\n",
            "\tat com.example.A.run(A.java:1)\n",
        );
        assert_eq!(damage(banner), (2, 0));
        // Before any record, a stack frame continues nothing; two blank lines end a trace.
        assert_eq!(damage("\tat com.example.A.run(A.java:1)\n"), (1, 0));
        let blanks = concat!(
            "{\"msg\":\"panic\"}\n",
            "goroutine 1 [running]:\n",
            "\n",
            "goroutine 2 [chan receive]:\n",
            "\n",
            "\n",
            "main.main()\n",
        );
        assert_eq!(damage(blanks), (1, 1));
        // A truncated record is damage even right after a record.
        let cut = concat!("{\"msg\":\"a\"}\n", "{\"msg\":\"b\",\"trace_id\n");
        assert_eq!(damage(cut), (1, 1));
    }

    #[test]
    fn interleaved_pods_keep_their_own_stack_traces() {
        let kubectl = concat!(
            "[pod/payments-5b8c9d7f6-q4w7e/payments] {\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"x\"}\n",
            "[pod/payments-5b8c9d7f6-q4w7e/payments] com.example.TimeoutException: late\n",
            "[pod/checkout-7d9f8b6c5-k8m2p/checkout] {\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"msg\":\"y\"}\n",
            "[pod/payments-5b8c9d7f6-q4w7e/payments] \tat com.example.Client.call(Client.java:9)\n",
            // checkout's own stack trace must open with a frame or an exception: this does not.
            "[pod/checkout-7d9f8b6c5-k8m2p/checkout] hello from checkout\n",
        );
        assert_eq!(damage(kubectl), (1, 0));
        let stern = concat!(
            "checkout-fraud-6b9f7c8d5-t5v8w fraud {\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n",
            "checkout-fraud-6b9f7c8d5-t5v8w fraud com.example.ModelTimeoutException: slow\n",
            "checkout-fraud-6b9f7c8d5-t5v8w fraud \tat com.example.Model.score(Model.java:77)\n",
        );
        assert_eq!(damage(stern), (0, 0));
    }
}
