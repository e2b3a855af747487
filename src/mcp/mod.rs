//! `tracegrep mcp`: a Model Context Protocol server on standard input and output, built on
//! the official Rust SDK (rmcp). Its tools ask the questions the command line asks, through
//! the same modes ([`calls`]); every call searches the files again, so an agent sees lines
//! written since the server started. Standard output carries only the protocol; a call that
//! fails is a tool error the agent reads, never the end of the server.

pub mod calls;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock as Content, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::{tool, tool_handler, tool_router, ServerHandler, ServiceExt};

use calls::{Answer, FindTrace, ListTraces, Logs, SpanLines, Stats};

/// The server: the logs it searches (its tools are the methods below).
#[derive(Clone)]
pub struct TraceServer {
    logs: Arc<Logs>,
}

/// Runs a call on tokio's blocking pool (a search uses every core through rayon) and turns
/// its answer into a tool result: the text, then the notes the search left, if any; or an
/// error result with the message.
async fn answer(
    logs: &Arc<Logs>,
    call: impl FnOnce(&Logs) -> Answer + Send + 'static,
) -> CallToolResult {
    let logs = Arc::clone(logs);
    let done = tokio::task::spawn_blocking(move || call(&logs)).await;
    match done {
        Ok(Ok((text, notes))) => {
            let mut content = vec![Content::text(text)];
            if !notes.is_empty() {
                content.push(Content::text(format!("notes: {notes}")));
            }
            CallToolResult::success(content)
        }
        Ok(Err(message)) => CallToolResult::error(vec![Content::text(message)]),
        Err(e) => CallToolResult::error(vec![Content::text(format!("the search failed: {e}"))]),
    }
}

#[tool_router]
impl TraceServer {
    /// A server for these logs.
    pub fn new(logs: Logs) -> TraceServer {
        TraceServer {
            logs: Arc::new(logs),
        }
    }

    #[tool(
        description = "Find one distributed trace in the logs by its id, in any spelling (32 hex digits, GUID, W3C traceparent, X-Ray, GCP, Datadog decimal, a correlation/request id, or its first 8+ hex digits), and show it. format=tree (default) is a compact indented tree: a header (id, duration, services, spans, lines, errors), then one line per span: service, operation, duration, @offset from the trace start, marks (* critical path, ERR span failed, err has error lines, async ran after its parent, skew clock skew, ~enclosing/~service/~message/~transaction parent inferred, unlinked parent unknown, ? span not in the logs), with '! LEVEL message' error lines under their span and '×N' for repeated identical spans. format=json is the full tracegrep.trace v1 document (every span with its id, parent and timing, every log line); format=timeline lists every log line in time order. Use span_lines for the lines of one span."
    )]
    async fn find_trace(&self, Parameters(args): Parameters<FindTrace>) -> CallToolResult {
        answer(&self.logs, move |logs| calls::find_trace(logs, args)).await
    }

    #[tool(
        description = "List the traces in the logs, worst first by default (failed requests, then traces with errors, each slowest first), with filters: errors, failed, service, where (line conditions such as 'status>=500', 'level>=warn', 'duration>2s', 'user.id=42'), grep (regex over messages), min_duration/max_duration ('500ms', '2s'), since/until (RFC 3339 or '15m' ago). format=text (default) is a table: trace id, start, duration, services, spans, lines, errors, status, root operation, first error; format=json gives the summaries with their spans; format=tree gives each trace's compact tree. limit defaults to 20 (0 for all); a note says how many matched. Pass a row's trace id to find_trace."
    )]
    async fn list_traces(&self, Parameters(args): Parameters<ListTraces>) -> CallToolResult {
        answer(&self.logs, move |logs| calls::list_traces(logs, args)).await
    }

    #[tool(
        description = "Statistics over the traces the filters keep (same filters as list_traces): per service and per operation, the count, p50/p95/p99/max duration and error rate, and the services most often on critical paths. Sort by spans (default), duration (p95) or errors. format=text or json."
    )]
    async fn stats(&self, Parameters(args): Parameters<Stats>) -> CallToolResult {
        answer(&self.logs, move |logs| calls::stats(logs, args)).await
    }

    #[tool(
        description = "The log lines of one span of one trace, in time order: offset from the trace start, service, level, message, status, duration and where the line is (file:byte offset), with any stack trace under it. span_id is a span id as find_trace(format=json) shows it (16 hex digits). format=json returns the log line objects of the tracegrep.trace v1 schema."
    )]
    async fn span_lines(&self, Parameters(args): Parameters<SpanLines>) -> CallToolResult {
        answer(&self.logs, move |logs| calls::span_lines(logs, args)).await
    }
}

#[tool_handler]
impl ServerHandler for TraceServer {
    fn get_info(&self) -> ServerConfig {
        let paths: Vec<String> = self
            .logs
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("tracegrep", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "tracegrep finds distributed traces in the JSON logs at {} and shows them. Start with list_traces (the worst traces first) or find_trace with an id from an error message; stats gives latencies and error rates per operation; span_lines gives the lines of one span. Each call reads the logs again.",
                paths.join(", ")
            ))
    }
}

/// The options given before `mcp` that every call keeps: the fields to read ids, times and
/// services from, and the timeline's fields. Calls are always `--quiet`: an agent wants the
/// answer, not a count of lines without a trace id per file (unreadable files still say so).
pub fn options_of(cli: &crate::cli::Cli) -> Vec<String> {
    let named = [
        ("--trace-field", &cli.trace_field),
        ("--span-field", &cli.span_field),
        ("--parent-field", &cli.parent_field),
        ("--time-field", &cli.time_field),
        ("--service-field", &cli.service_field),
        ("--fields", &cli.fields),
    ];
    let mut options: Vec<String> = named
        .into_iter()
        .filter_map(|(flag, value)| value.as_ref().map(|v| format!("{flag}={v}")))
        .collect();
    options.push("--quiet".into());
    options
}

/// Serves the logs at `paths` until the client closes standard input.
pub fn serve(paths: Vec<PathBuf>, options: Vec<String>) -> anyhow::Result<()> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    if std::io::stdin().is_terminal() {
        // Started by hand: say what it waits for (an MCP client starts it with pipes).
        eprintln!(
            "tracegrep: an MCP server for {} on standard input and output: register `tracegrep mcp PATH…` with an MCP client (docs/mcp.md); Ctrl-D ends it",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let server = TraceServer::new(Logs { paths, options });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| anyhow::anyhow!("starting the MCP session: {e}"))?;
        running.waiting().await?;
        anyhow::Ok(())
    })
}
