# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tracegrep_global_optspecs
    string join \n source= print-sql format= diff= all i/interactive stats errors failed service= min-duration= shorter-than= since= until= where= grep= sort= limit= report= o/output= fail-on-error max-duration= max-error-rate= fail-on-orphans expect-services= fail-on-incomplete allow-empty baseline= max-regression= fail-on-new-errors color= width= f/follow idle= q/quiet j/threads= fields= trace-field= span-field= parent-field= time-field= service-field= otlp-endpoint= otlp-header= dry-run generate= h/help V/version
end

function __fish_tracegrep_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tracegrep_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tracegrep_using_subcommand
    set -l cmd (__fish_tracegrep_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tracegrep -n "__fish_tracegrep_needs_command" -l source -d 'Search a ClickHouse server instead of files: `clickhouse://HOST:8123/DB` reads the OpenTelemetry Collector exporter\'s `otel_logs` table in DB (`?table=NAME` for another), `…?table=T&column=C` JSON lines kept in a column, `clickhouse://HOST/?s3=URL` JSON-lines files in object storage (globs, gzip, zstd). `clickhouses://` for TLS. For one trace the server filters on every spelling of the id (and --since/--until) and returns only candidate lines; --all and --stats on the exporter\'s table are grouped on the server (docs/clickhouse.md says where they differ from a local run). User and password: TRACEGREP_CLICKHOUSE_USER, TRACEGREP_CLICKHOUSE_PASSWORD; object storage keys: TRACEGREP_S3_ACCESS_KEY_ID, TRACEGREP_S3_SECRET_ACCESS_KEY. URL parameters: timeout= (seconds, 60), max_rows= (10000000), trace_times= (the exporter\'s trace id → time table, `otel_traces_trace_id_ts`; empty: not used)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l format -d 'What to print. One trace: the header, waterfall and timeline (`full`, the default), one of them, JSON, a compact text tree, the original lines, or an export (`jaeger`, `otlp`). --all: a table (the default), JSON, JSON Lines, CSV, the trees of the worst traces, or every trace as an export. --stats: tables (the default) or JSON' -r -f -a "full\t'Header, waterfall and timeline'
waterfall\t'Header and waterfall'
timeline\t'The timeline alone'
json\t'One JSON document (schema `tracegrep.trace` v1, see docs/json-schema.md)'
raw\t'The matching lines as they are, prefixed with their file name'
table\t'--all: a table of traces'
jsonl\t'--all: one trace document per line (schema `tracegrep.trace` v1, without `logs`)'
csv\t'--all: comma-separated values, one trace per row'
jaeger\t'Jaeger UI\'s JSON (`{"data": [trace, …]}`, what its "Upload JSON" loads): one trace, or with --all every trace in one document. Log lines are span logs (docs/exports.md)'
otlp\t'OTLP/JSON, one `{"resourceSpans": […]}` object per line (under 1 MiB each), as the OpenTelemetry Collector\'s otlpjsonfile receiver and otel-tui read it: one trace, or with --all every trace. Log lines are span events (docs/exports.md)'
md\t'--diff: Markdown, for a pull request or an issue'
tree\t'A compact indented text tree: one line per span, the error lines under their spans, no colour, the same at any width (to paste into an issue or a prompt). With --all: the worst traces (--limit, default 10), each as a tree'"
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l diff -d 'Compare the trace with OTHER: a trace id in any spelling, or a file saved with `--format json` (TRACE_ID may be one too). Shows what changed from TRACE_ID to OTHER: both span trees aligned by service and operation (ids folded to `{id}`, repeated siblings matched in order), each span\'s durations, change and ratio, spans only in one, errors that appear or disappear, both critical paths, and the spans whose own time explains most of the difference. --format full (the default), json (schema `tracegrep.diff`) or md' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l service -d 'Keep only traces that touch a service whose name contains NAME, ignoring case (`payment` matches `payments`; repeatable: any of them)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l min-duration -l longer-than -d 'Keep only traces at least this long (`500ms`, `2s`)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l shorter-than -d 'Keep only traces at most this long. (`--max-duration` is the CI gate.)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l since -d 'Keep only traces that end after this time: RFC 3339 (`2026-11-20T10:00Z`) or a time ago (`15m`, `2h`, `1d`)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l until -d 'Keep only traces that start before this time (same forms as --since)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l where -d 'Keep only traces with a line whose field compares so: `FIELD=VALUE`, `!=`, `<`, `<=`, `>`, `>=` (numbers compare as numbers) or `FIELD~REGEX`. `service`, `level`, `status` and `duration` are tracegrep\'s reading of the line, whatever the logger wrote: `level=error` matches "error", "ERROR", pino\'s 50 and OTel\'s severity 17, and `level>=warn` goes by severity; `status>=500` is the HTTP status or gRPC code; `duration>10s` (units, or a bare number of milliseconds) is a duration a line reports. Any other FIELD is a dotted path in the JSON (`http.status`, `user.id`); a leading dot reads the field as logged, even for those four (`.level=30`). Repeatable: each must hold for some line' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l grep -d 'Keep only traces with a line matching this regex: its message, else anywhere in its JSON text (errors often keep their words in `error.message` or a stack trace)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l sort -d 'Order of the table: by start (oldest first, the default), or by duration, errors, spans or lines (largest first), or worst (failed requests, then traces with errors, each longest first; the default of --format tree). With --stats: by spans (the default), duration (p95, slowest first) or errors (most failed spans first)' -r -f -a "start\t'Oldest first'
duration\t'Longest first'
errors\t'Most error lines and failed spans first'
spans\t'Most spans first'
lines\t'Most lines first'
worst\t'Failed requests first, then traces with errors, each longest first'"
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l limit -d 'Rows to show (default: what fits the terminal; all when piped; 0 for all)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l report -d 'Write a report of the traces: `md` (GitHub/GitLab Markdown), `html` (one self-contained page), `json` (schema `tracegrep.report`) or `junit` (one test case per trace). To standard output (instead of the table), to the file given by -o, or to `FMT=PATH`; with every report in a file, no table is printed unless --format is given. Repeatable' -r -f -a "md\t'Markdown for GitHub and GitLab: summary, worst traces, Mermaid gantt charts'
html\t'One self-contained HTML page: sortable table, interactive waterfalls'
json\t'JSON, schema `tracegrep.report` v1 (docs/json-schema.md)'
junit\t'JUnit XML: one test case per trace, failed when a gate fails for it'"
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s o -l output -d 'The file for a --report given without `=PATH`' -r -F
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l max-duration -d 'Gate: fail when a trace is longer than this: `2s` for every trace, or `\'GET /checkout=800ms\'` for traces whose root operation is that. Repeatable' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l max-error-rate -d 'Gate: fail when more than this share of traces has errors (`1%`, `0.01`)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l expect-services -d 'The services every request should reach: `gateway,orders,payments`, or `@FILE` with one name a line (`#` comments). A name matches as --service does (a service whose name contains it, ignoring case). With --all, traces that miss one are flagged (an INCOMPLETE column and the reports); with one trace, the header names what is missing' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l baseline -d 'Compare this run with an earlier one: the JSON report (`--report json`) of, say, the main branch. Per operation (requests: root service and operation; spans: service and operation, ids folded to `{id}` as --stats does): count, p50/p95/p99 and error rate then and now, operations new and gone. The table, --report md, json and junit show it' -r -F
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l max-regression -d 'Gate (with --baseline): fail when the p95 of an operation grew more than this: `20%` for every operation, or `\'GET /checkout=50%\'` for one (as the table or --stats names it, `SERVICE: OP` too). Repeatable. Noise does not count: only an operation with at least 20 requests or spans in both runs whose p95 grew by more than 2 ms' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l color -d 'When to use colours. `auto` colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l width -d 'Width of the output in columns (default: the terminal\'s, or 100 when piped)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l idle -d 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s j -l threads -d 'Number of threads to search with (default: one per core)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l fields -d 'The fields the timeline shows after each message: `a,b.c` (dotted paths, in that order, when a line has them), `none`, or `auto` (the default: up to 4 small fields tracegrep does not already show, leaving out ids, time, level, message, service and process noise such as pid, hostname and caller; see docs/timeline-fields.md)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l trace-field -d 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l span-field -d 'Read the span id from this field (dotted path)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l parent-field -d 'Read the parent span id from this field (dotted path)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l time-field -d 'Read the timestamp from this field (dotted path)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l service-field -d 'Read the service name from this field (dotted path)' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l otlp-endpoint -d 'Send the spans of the trace (or with --all, of every trace kept) to an OTLP/HTTP receiver (a Collector, Jaeger, Tempo, …) as OTLP/JSON: `POST URL/v1/traces` (a URL that already ends in /v1/traces is used as it is), in batches of up to 1 MiB, retried with backoff on 429, 502, 503, 504 and connection errors. Nothing is printed but a summary on stderr; a failed send is one line on stderr and exit status 2' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l otlp-header -d 'A header for --otlp-endpoint (`Authorization=Bearer …`; repeatable). Headers are also read from OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS (`k1=v1,k2=v2`, values URL-encoded), so secrets need not be on the command line; a flag beats the environment' -r
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l generate -d 'Print a shell completion script or the man page and exit' -r -f -a "bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'
powershell\t'PowerShell completions'
elvish\t'elvish completions'
man\t'The man page (roff)'"
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l print-sql -d 'With --source: print the SQL that would be sent and where, and send nothing'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l all -d 'Every trace: a table with one row per trace instead of one trace\'s waterfall'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s i -l interactive -d 'Explore every trace in a full-screen terminal view: the table of --all with a filter prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall to fold, with the critical path, a detail pane of the selected span and its lines, and a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal, so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces appear as they finish). `?` lists the keys'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l stats -d 'Statistics per service and per operation (p50/p95/p99/max, error rate) and the services most often on critical paths, over every trace the filters keep'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l errors -d 'Keep only traces with an error line or a failed span anywhere (a callee\'s error that was retried counts too; --failed keeps the failed requests)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l failed -d 'Keep only failed requests: the trace\'s entry span ended at error level or reports a server error (HTTP 5xx, a gRPC server-error code such as UNAVAILABLE)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l fail-on-error -d 'Gate: fail (exit 3) when a trace has an error line or a failed span'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l fail-on-orphans -d 'Gate: fail when a span\'s parent never logged (broken context propagation)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l fail-on-incomplete -d 'Gate: fail when a request is incomplete: it misses an expected service (--expect-services), lines of its services lost the trace context while it ran (an id field holding `undefined`, `null`, `-`, `0` or zeros), or propagation broke (a parent that never logged, a correlation id under two trace ids, a call whose server side logged under another trace id)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l allow-empty -d 'With no trace at all in the input, exit 0 instead of 1'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l fail-on-new-errors -d 'Gate (with --baseline): fail when an operation has failed requests or spans and had none in the baseline (a new operation that fails counts too)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s f -l follow -d 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s q -l quiet -d 'Do not print the per-file summary of skipped and damaged lines on stderr'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -l dry-run -d 'With --otlp-endpoint: send nothing; print each request body that would be sent (one OTLP/JSON object per line) and say on stderr where it would go'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -s V -l version -d 'Print version'
complete -c tracegrep -n "__fish_tracegrep_needs_command" -a "mcp" -d 'Serve the logs at PATH to AI agents: a Model Context Protocol server on standard input and output, with tools to find a trace, list and filter traces, compute statistics and read a span\'s lines (docs/mcp.md). Every call searches the files again, so it sees lines written since. Diagnostics go to standard error'
complete -c tracegrep -n "__fish_tracegrep_using_subcommand mcp" -s h -l help -d 'Print help'
