
use builtin;
use str;

set edit:completion:arg-completer[tracegrep] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tracegrep'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tracegrep'= {
            cand --source 'Search a ClickHouse server instead of files: `clickhouse://HOST:8123/DB` reads the OpenTelemetry Collector exporter''s `otel_logs` table in DB (`?table=NAME` for another), `…?table=T&column=C` JSON lines kept in a column, `clickhouse://HOST/?s3=URL` JSON-lines files in object storage (globs, gzip, zstd). `clickhouses://` for TLS. For one trace the server filters on every spelling of the id (and --since/--until) and returns only candidate lines; --all and --stats on the exporter''s table are grouped on the server (docs/clickhouse.md says where they differ from a local run). User and password: TRACEGREP_CLICKHOUSE_USER, TRACEGREP_CLICKHOUSE_PASSWORD; object storage keys: TRACEGREP_S3_ACCESS_KEY_ID, TRACEGREP_S3_SECRET_ACCESS_KEY. URL parameters: timeout= (seconds, 60), max_rows= (10000000), trace_times= (the exporter''s trace id → time table, `otel_traces_trace_id_ts`; empty: not used)'
            cand --format 'What to print. One trace: the header, waterfall and timeline (`full`, the default), one of them, JSON, a compact text tree, the original lines, or an export (`jaeger`, `otlp`). --all: a table (the default), JSON, JSON Lines, CSV, the trees of the worst traces, or every trace as an export. --stats: tables (the default) or JSON'
            cand --diff 'Compare the trace with OTHER: a trace id in any spelling, or a file saved with `--format json` (TRACE_ID may be one too). Shows what changed from TRACE_ID to OTHER: both span trees aligned by service and operation (ids folded to `{id}`, repeated siblings matched in order), each span''s durations, change and ratio, spans only in one, errors that appear or disappear, both critical paths, and the spans whose own time explains most of the difference. --format full (the default), json (schema `tracegrep.diff`) or md'
            cand --service 'Keep only traces that touch a service whose name contains NAME, ignoring case (`payment` matches `payments`; repeatable: any of them)'
            cand --min-duration 'Keep only traces at least this long (`500ms`, `2s`)'
            cand --longer-than 'Keep only traces at least this long (`500ms`, `2s`)'
            cand --shorter-than 'Keep only traces at most this long. (`--max-duration` is the CI gate.)'
            cand --since 'Keep only traces that end after this time: RFC 3339 (`2026-11-20T10:00Z`) or a time ago (`15m`, `2h`, `1d`)'
            cand --until 'Keep only traces that start before this time (same forms as --since)'
            cand --where 'Keep only traces with a line whose field compares so: `FIELD=VALUE`, `!=`, `<`, `<=`, `>`, `>=` (numbers compare as numbers) or `FIELD~REGEX`. `service`, `level`, `status` and `duration` are tracegrep''s reading of the line, whatever the logger wrote: `level=error` matches "error", "ERROR", pino''s 50 and OTel''s severity 17, and `level>=warn` goes by severity; `status>=500` is the HTTP status or gRPC code; `duration>10s` (units, or a bare number of milliseconds) is a duration a line reports. Any other FIELD is a dotted path in the JSON (`http.status`, `user.id`); a leading dot reads the field as logged, even for those four (`.level=30`). Repeatable: each must hold for some line'
            cand --grep 'Keep only traces with a line matching this regex: its message, else anywhere in its JSON text (errors often keep their words in `error.message` or a stack trace)'
            cand --sort 'Order of the table: by start (oldest first, the default), or by duration, errors, spans or lines (largest first), or worst (failed requests, then traces with errors, each longest first; the default of --format tree). With --stats: by spans (the default), duration (p95, slowest first) or errors (most failed spans first)'
            cand --limit 'Rows to show (default: what fits the terminal; all when piped; 0 for all)'
            cand --report 'Write a report of the traces: `md` (GitHub/GitLab Markdown), `html` (one self-contained page), `json` (schema `tracegrep.report`) or `junit` (one test case per trace). To standard output (instead of the table), to the file given by -o, or to `FMT=PATH`; with every report in a file, no table is printed unless --format is given. Repeatable'
            cand -o 'The file for a --report given without `=PATH`'
            cand --output 'The file for a --report given without `=PATH`'
            cand --max-duration 'Gate: fail when a trace is longer than this: `2s` for every trace, or `''GET /checkout=800ms''` for traces whose root operation is that. Repeatable'
            cand --max-error-rate 'Gate: fail when more than this share of traces has errors (`1%`, `0.01`)'
            cand --expect-services 'The services every request should reach: `gateway,orders,payments`, or `@FILE` with one name a line (`#` comments). A name matches as --service does (a service whose name contains it, ignoring case). With --all, traces that miss one are flagged (an INCOMPLETE column and the reports); with one trace, the header names what is missing'
            cand --baseline 'Compare this run with an earlier one: the JSON report (`--report json`) of, say, the main branch. Per operation (requests: root service and operation; spans: service and operation, ids folded to `{id}` as --stats does): count, p50/p95/p99 and error rate then and now, operations new and gone. The table, --report md, json and junit show it'
            cand --max-regression 'Gate (with --baseline): fail when the p95 of an operation grew more than this: `20%` for every operation, or `''GET /checkout=50%''` for one (as the table or --stats names it, `SERVICE: OP` too). Repeatable. Noise does not count: only an operation with at least 20 requests or spans in both runs whose p95 grew by more than 2 ms'
            cand --color 'When to use colours. `auto` colours a terminal unless NO_COLOR is set'
            cand --width 'Width of the output in columns (default: the terminal''s, or 100 when piped)'
            cand --idle 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)'
            cand -j 'Number of threads to search with (default: one per core)'
            cand --threads 'Number of threads to search with (default: one per core)'
            cand --fields 'The fields the timeline shows after each message: `a,b.c` (dotted paths, in that order, when a line has them), `none`, or `auto` (the default: up to 4 small fields tracegrep does not already show, leaving out ids, time, level, message, service and process noise such as pid, hostname and caller; see docs/timeline-fields.md)'
            cand --trace-field 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names'
            cand --span-field 'Read the span id from this field (dotted path)'
            cand --parent-field 'Read the parent span id from this field (dotted path)'
            cand --time-field 'Read the timestamp from this field (dotted path)'
            cand --service-field 'Read the service name from this field (dotted path)'
            cand --otlp-endpoint 'Send the spans of the trace (or with --all, of every trace kept) to an OTLP/HTTP receiver (a Collector, Jaeger, Tempo, …) as OTLP/JSON: `POST URL/v1/traces` (a URL that already ends in /v1/traces is used as it is), in batches of up to 1 MiB, retried with backoff on 429, 502, 503, 504 and connection errors. Nothing is printed but a summary on stderr; a failed send is one line on stderr and exit status 2'
            cand --otlp-header 'A header for --otlp-endpoint (`Authorization=Bearer …`; repeatable). Headers are also read from OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS (`k1=v1,k2=v2`, values URL-encoded), so secrets need not be on the command line; a flag beats the environment'
            cand --generate 'Print a shell completion script or the man page and exit'
            cand --print-sql 'With --source: print the SQL that would be sent and where, and send nothing'
            cand --all 'Every trace: a table with one row per trace instead of one trace''s waterfall'
            cand -i 'Explore every trace in a full-screen terminal view: the table of --all with a filter prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall to fold, with the critical path, a detail pane of the selected span and its lines, and a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal, so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces appear as they finish). `?` lists the keys'
            cand --interactive 'Explore every trace in a full-screen terminal view: the table of --all with a filter prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall to fold, with the critical path, a detail pane of the selected span and its lines, and a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal, so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces appear as they finish). `?` lists the keys'
            cand --stats 'Statistics per service and per operation (p50/p95/p99/max, error rate) and the services most often on critical paths, over every trace the filters keep'
            cand --errors 'Keep only traces with an error line or a failed span anywhere (a callee''s error that was retried counts too; --failed keeps the failed requests)'
            cand --failed 'Keep only failed requests: the trace''s entry span ended at error level or reports a server error (HTTP 5xx, a gRPC server-error code such as UNAVAILABLE)'
            cand --fail-on-error 'Gate: fail (exit 3) when a trace has an error line or a failed span'
            cand --fail-on-orphans 'Gate: fail when a span''s parent never logged (broken context propagation)'
            cand --fail-on-incomplete 'Gate: fail when a request is incomplete: it misses an expected service (--expect-services), lines of its services lost the trace context while it ran (an id field holding `undefined`, `null`, `-`, `0` or zeros), or propagation broke (a parent that never logged, a correlation id under two trace ids, a call whose server side logged under another trace id)'
            cand --allow-empty 'With no trace at all in the input, exit 0 instead of 1'
            cand --fail-on-new-errors 'Gate (with --baseline): fail when an operation has failed requests or spans and had none in the baseline (a new operation that fails counts too)'
            cand -f 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
            cand --follow 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
            cand -q 'Do not print the per-file summary of skipped and damaged lines on stderr'
            cand --quiet 'Do not print the per-file summary of skipped and damaged lines on stderr'
            cand --dry-run 'With --otlp-endpoint: send nothing; print each request body that would be sent (one OTLP/JSON object per line) and say on stderr where it would go'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand mcp 'Serve the logs at PATH to AI agents: a Model Context Protocol server on standard input and output, with tools to find a trace, list and filter traces, compute statistics and read a span''s lines (docs/mcp.md). Every call searches the files again, so it sees lines written since. Diagnostics go to standard error'
        }
        &'tracegrep;mcp'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
    ]
    $completions[$command]
}
