
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tracegrep' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tracegrep'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tracegrep' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Search a ClickHouse server instead of files: `clickhouse://HOST:8123/DB` reads the OpenTelemetry Collector exporter''s `otel_logs` table in DB (`?table=NAME` for another), `…?table=T&column=C` JSON lines kept in a column, `clickhouse://HOST/?s3=URL` JSON-lines files in object storage (globs, gzip, zstd). `clickhouses://` for TLS. For one trace the server filters on every spelling of the id (and --since/--until) and returns only candidate lines; --all and --stats on the exporter''s table are grouped on the server (docs/clickhouse.md says where they differ from a local run). User and password: TRACEGREP_CLICKHOUSE_USER, TRACEGREP_CLICKHOUSE_PASSWORD; object storage keys: TRACEGREP_S3_ACCESS_KEY_ID, TRACEGREP_S3_SECRET_ACCESS_KEY. URL parameters: timeout= (seconds, 60), max_rows= (10000000), trace_times= (the exporter''s trace id → time table, `otel_traces_trace_id_ts`; empty: not used)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What to print. One trace: the header, waterfall and timeline (`full`, the default), one of them, JSON, a compact text tree, the original lines, or an export (`jaeger`, `otlp`). --all: a table (the default), JSON, JSON Lines, CSV, the trees of the worst traces, or every trace as an export. --stats: tables (the default) or JSON')
            [CompletionResult]::new('--diff', '--diff', [CompletionResultType]::ParameterName, 'Compare the trace with OTHER: a trace id in any spelling, or a file saved with `--format json` (TRACE_ID may be one too). Shows what changed from TRACE_ID to OTHER: both span trees aligned by service and operation (ids folded to `{id}`, repeated siblings matched in order), each span''s durations, change and ratio, spans only in one, errors that appear or disappear, both critical paths, and the spans whose own time explains most of the difference. --format full (the default), json (schema `tracegrep.diff`) or md')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Keep only traces that touch a service whose name contains NAME, ignoring case (`payment` matches `payments`; repeatable: any of them)')
            [CompletionResult]::new('--min-duration', '--min-duration', [CompletionResultType]::ParameterName, 'Keep only traces at least this long (`500ms`, `2s`)')
            [CompletionResult]::new('--longer-than', '--longer-than', [CompletionResultType]::ParameterName, 'Keep only traces at least this long (`500ms`, `2s`)')
            [CompletionResult]::new('--shorter-than', '--shorter-than', [CompletionResultType]::ParameterName, 'Keep only traces at most this long. (`--max-duration` is the CI gate.)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Keep only traces that end after this time: RFC 3339 (`2026-11-20T10:00Z`) or a time ago (`15m`, `2h`, `1d`)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Keep only traces that start before this time (same forms as --since)')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Keep only traces with a line whose field compares so: `FIELD=VALUE`, `!=`, `<`, `<=`, `>`, `>=` (numbers compare as numbers) or `FIELD~REGEX`. `service`, `level`, `status` and `duration` are tracegrep''s reading of the line, whatever the logger wrote: `level=error` matches "error", "ERROR", pino''s 50 and OTel''s severity 17, and `level>=warn` goes by severity; `status>=500` is the HTTP status or gRPC code; `duration>10s` (units, or a bare number of milliseconds) is a duration a line reports. Any other FIELD is a dotted path in the JSON (`http.status`, `user.id`); a leading dot reads the field as logged, even for those four (`.level=30`). Repeatable: each must hold for some line')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Keep only traces with a line matching this regex: its message, else anywhere in its JSON text (errors often keep their words in `error.message` or a stack trace)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the table: by start (oldest first, the default), or by duration, errors, spans or lines (largest first), or worst (failed requests, then traces with errors, each longest first; the default of --format tree). With --stats: by spans (the default), duration (p95, slowest first) or errors (most failed spans first)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Rows to show (default: what fits the terminal; all when piped; 0 for all)')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a report of the traces: `md` (GitHub/GitLab Markdown), `html` (one self-contained page), `json` (schema `tracegrep.report`) or `junit` (one test case per trace). To standard output (instead of the table), to the file given by -o, or to `FMT=PATH`; with every report in a file, no table is printed unless --format is given. Repeatable')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The file for a --report given without `=PATH`')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The file for a --report given without `=PATH`')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Gate: fail when a trace is longer than this: `2s` for every trace, or `''GET /checkout=800ms''` for traces whose root operation is that. Repeatable')
            [CompletionResult]::new('--max-error-rate', '--max-error-rate', [CompletionResultType]::ParameterName, 'Gate: fail when more than this share of traces has errors (`1%`, `0.01`)')
            [CompletionResult]::new('--expect-services', '--expect-services', [CompletionResultType]::ParameterName, 'The services every request should reach: `gateway,orders,payments`, or `@FILE` with one name a line (`#` comments). A name matches as --service does (a service whose name contains it, ignoring case). With --all, traces that miss one are flagged (an INCOMPLETE column and the reports); with one trace, the header names what is missing')
            [CompletionResult]::new('--baseline', '--baseline', [CompletionResultType]::ParameterName, 'Compare this run with an earlier one: the JSON report (`--report json`) of, say, the main branch. Per operation (requests: root service and operation; spans: service and operation, ids folded to `{id}` as --stats does): count, p50/p95/p99 and error rate then and now, operations new and gone. The table, --report md, json and junit show it')
            [CompletionResult]::new('--max-regression', '--max-regression', [CompletionResultType]::ParameterName, 'Gate (with --baseline): fail when the p95 of an operation grew more than this: `20%` for every operation, or `''GET /checkout=50%''` for one (as the table or --stats names it, `SERVICE: OP` too). Repeatable. Noise does not count: only an operation with at least 20 requests or spans in both runs whose p95 grew by more than 2 ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours. `auto` colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of the output in columns (default: the terminal''s, or 100 when piped)')
            [CompletionResult]::new('--idle', '--idle', [CompletionResultType]::ParameterName, 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Number of threads to search with (default: one per core)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Number of threads to search with (default: one per core)')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'The fields the timeline shows after each message: `a,b.c` (dotted paths, in that order, when a line has them), `none`, or `auto` (the default: up to 4 small fields tracegrep does not already show, leaving out ids, time, level, message, service and process noise such as pid, hostname and caller; see docs/timeline-fields.md)')
            [CompletionResult]::new('--trace-field', '--trace-field', [CompletionResultType]::ParameterName, 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names')
            [CompletionResult]::new('--span-field', '--span-field', [CompletionResultType]::ParameterName, 'Read the span id from this field (dotted path)')
            [CompletionResult]::new('--parent-field', '--parent-field', [CompletionResultType]::ParameterName, 'Read the parent span id from this field (dotted path)')
            [CompletionResult]::new('--time-field', '--time-field', [CompletionResultType]::ParameterName, 'Read the timestamp from this field (dotted path)')
            [CompletionResult]::new('--service-field', '--service-field', [CompletionResultType]::ParameterName, 'Read the service name from this field (dotted path)')
            [CompletionResult]::new('--otlp-endpoint', '--otlp-endpoint', [CompletionResultType]::ParameterName, 'Send the spans of the trace (or with --all, of every trace kept) to an OTLP/HTTP receiver (a Collector, Jaeger, Tempo, …) as OTLP/JSON: `POST URL/v1/traces` (a URL that already ends in /v1/traces is used as it is), in batches of up to 1 MiB, retried with backoff on 429, 502, 503, 504 and connection errors. Nothing is printed but a summary on stderr; a failed send is one line on stderr and exit status 2')
            [CompletionResult]::new('--otlp-header', '--otlp-header', [CompletionResultType]::ParameterName, 'A header for --otlp-endpoint (`Authorization=Bearer …`; repeatable). Headers are also read from OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS (`k1=v1,k2=v2`, values URL-encoded), so secrets need not be on the command line; a flag beats the environment')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Print a shell completion script or the man page and exit')
            [CompletionResult]::new('--print-sql', '--print-sql', [CompletionResultType]::ParameterName, 'With --source: print the SQL that would be sent and where, and send nothing')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every trace: a table with one row per trace instead of one trace''s waterfall')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Explore every trace in a full-screen terminal view: the table of --all with a filter prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall to fold, with the critical path, a detail pane of the selected span and its lines, and a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal, so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces appear as they finish). `?` lists the keys')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Explore every trace in a full-screen terminal view: the table of --all with a filter prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall to fold, with the critical path, a detail pane of the selected span and its lines, and a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal, so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces appear as they finish). `?` lists the keys')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Statistics per service and per operation (p50/p95/p99/max, error rate) and the services most often on critical paths, over every trace the filters keep')
            [CompletionResult]::new('--errors', '--errors', [CompletionResultType]::ParameterName, 'Keep only traces with an error line or a failed span anywhere (a callee''s error that was retried counts too; --failed keeps the failed requests)')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Keep only failed requests: the trace''s entry span ended at error level or reports a server error (HTTP 5xx, a gRPC server-error code such as UNAVAILABLE)')
            [CompletionResult]::new('--fail-on-error', '--fail-on-error', [CompletionResultType]::ParameterName, 'Gate: fail (exit 3) when a trace has an error line or a failed span')
            [CompletionResult]::new('--fail-on-orphans', '--fail-on-orphans', [CompletionResultType]::ParameterName, 'Gate: fail when a span''s parent never logged (broken context propagation)')
            [CompletionResult]::new('--fail-on-incomplete', '--fail-on-incomplete', [CompletionResultType]::ParameterName, 'Gate: fail when a request is incomplete: it misses an expected service (--expect-services), lines of its services lost the trace context while it ran (an id field holding `undefined`, `null`, `-`, `0` or zeros), or propagation broke (a parent that never logged, a correlation id under two trace ids, a call whose server side logged under another trace id)')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'With no trace at all in the input, exit 0 instead of 1')
            [CompletionResult]::new('--fail-on-new-errors', '--fail-on-new-errors', [CompletionResultType]::ParameterName, 'Gate (with --baseline): fail when an operation has failed requests or spans and had none in the baseline (a new operation that fails counts too)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print the per-file summary of skipped and damaged lines on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print the per-file summary of skipped and damaged lines on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --otlp-endpoint: send nothing; print each request body that would be sent (one OTLP/JSON object per line) and say on stderr where it would go')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve the logs at PATH to AI agents: a Model Context Protocol server on standard input and output, with tools to find a trace, list and filter traces, compute statistics and read a span''s lines (docs/mcp.md). Every call searches the files again, so it sees lines written since. Diagnostics go to standard error')
            break
        }
        'tracegrep;mcp' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
