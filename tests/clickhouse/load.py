#!/usr/bin/env python3
"""Loads JSON-lines logs into a ClickHouse server (the test front, or a real server) through
its HTTP interface, for tracegrep's ClickHouse source tests:

    python3 tests/clickhouse/load.py --url http://127.0.0.1:PORT --schema
    python3 tests/clickhouse/load.py --url … --otel-logs 'ABS/GLOB/*.jsonl'
    python3 tests/clickhouse/load.py --url … --raw-lines 'ABS/GLOB/*.jsonl' [--raw-table logs.raw]

--schema creates the exporter's tables from schema.sql. --otel-logs fills otel.otel_logs the
way a collector's filelog receiver with a JSON parser would: the common trace, span, time,
level, service and message keys go to the exporter's columns, every other top-level key to
LogAttributes. Ids are normalised as the exporter writes them (32 lowercase hex digits; a
64-bit id padded with zeros; Datadog's decimal converted). Lines whose id it cannot read keep
an empty TraceId, as an OTel log record without trace context does. --raw-lines fills a
table of whole lines (`line String`). The files are read by the server (`file()`), so the
glob must be an absolute path on the server's machine.
"""
import argparse
import os
import re
import sys
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def post(url, sql):
    req = urllib.request.Request(url, data=sql.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"load.py: {e.code}: {e.read().decode().strip()}\n{sql[:500]}")


def statements(path):
    text = open(path, encoding="utf-8").read()
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", text) if s.strip()]


def sql_string(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def first(*exprs):
    """The first non-empty of several string expressions."""
    return "multiIf(" + ", ".join(f"{e} != '', {e}" for e in exprs) + ", '')"


def text_at(*path):
    keys = ", ".join(sql_string(k) for k in path)
    # Strings as they are, numbers and booleans as written (a Datadog id is a number).
    return f"if(JSONType(line, {keys}) = 'String', JSONExtractString(line, {keys}), " \
           f"if(JSONType(line, {keys}) IN ('Int64', 'UInt64', 'Double', 'Bool'), JSONExtractRaw(line, {keys}), ''))"


def hex_id(expr, width):
    """A hex id as the exporter writes it: lowercase, no dashes, `width` digits (shorter ids
    padded with zeros), or '' when it is not one."""
    clean = f"lower(replaceAll({expr}, '-', ''))"
    return (f"if(match({clean}, '^[0-9a-f]{{1,{width}}}$') AND length({clean}) >= {width // 2}, "
            f"leftPad({clean}, {width}, '0'), '')")


def decimal_id(expr):
    return f"if(match({expr}, '^[0-9]{{1,20}}$') AND {expr} != '0', leftPad(lower(hex(toUInt64OrZero({expr}))), 32, '0'), '')"


TRACE = [("traceId",), ("trace_id",), ("trace.id",), ("trace", "id"), ("mdc", "traceId"),
         ("TraceId",), ("logging.googleapis.com/trace",), ("trace",)]
SPAN = [("spanId",), ("span_id",), ("span.id",), ("span", "id"), ("mdc", "spanId"), ("SpanId",)]
TIME = [("time",), ("timestamp",), ("@timestamp",), ("ts",), ("Timestamp",)]
LEVEL = [("level",), ("severity",), ("log.level",), ("levelname",), ("severityText",), ("@l",)]
SERVICE = [("service",), ("service.name",), ("service", "name"), ("app",), ("name",)]
BODY = [("msg",), ("message",), ("event",), ("body",), ("@m",)]
TAKEN = sorted({p[0] for p in TRACE + SPAN + TIME + LEVEL + SERVICE + BODY if len(p) == 1})


def otel_logs_sql(glob):
    trace_text = first(*(text_at(*p) for p in TRACE))
    gcp = f"replaceRegexpOne({trace_text}, '^projects/[^/]+/traces/', '')"
    traceparent = text_at("traceparent")
    dd = first(text_at("dd.trace_id"), text_at("dd", "trace_id"))
    trace = first(hex_id(gcp, 32),
                  f"if(length({traceparent}) >= 55, {hex_id(f'substring({traceparent}, 4, 32)', 32)}, '')",
                  decimal_id(dd))
    span = first(hex_id(first(*(text_at(*p) for p in SPAN)), 16),
                 f"if(length({traceparent}) >= 55, {hex_id(f'substring({traceparent}, 37, 16)', 16)}, '')")
    time_text = first(*(text_at(*p) for p in TIME))
    epoch = f"toFloat64OrZero({time_text})"
    time = (f"if(match({time_text}, '^[0-9.]+$'), "
            f"fromUnixTimestamp64Nano(toInt64(multiIf({epoch} > 1e17, {epoch}, {epoch} > 1e14, {epoch} * 1e3, "
            f"{epoch} > 1e11, {epoch} * 1e6, {epoch} * 1e9))), "
            f"parseDateTime64BestEffortOrZero({time_text}, 9, 'UTC'))")
    level = first(*(text_at(*p) for p in LEVEL))
    severity = ("multiIf(lower(level) IN ('trace', '10'), 1, lower(level) IN ('debug', '20'), 5, "
                "lower(level) IN ('info', '30', 'information'), 9, lower(level) IN ('warn', 'warning', '40'), 13, "
                "lower(level) IN ('error', '50', 'err'), 17, lower(level) IN ('fatal', 'critical', '60'), 21, 0)")
    service = first(*(text_at(*p) for p in SERVICE), "replaceRegexpOne(_file, '\\\\..*$', '')")
    body = first(*(text_at(*p) for p in BODY))
    taken = "[" + ", ".join(sql_string(k) for k in TAKEN) + "]"
    attributes = (f"mapFromArrays(arrayMap(x -> x.1, kv), arrayMap(x -> if(startsWith(x.2, '\"'), "
                  f"JSONExtractString(concat('{{\"v\":', x.2, '}}'), 'v'), x.2), kv))")
    return f"""INSERT INTO otel.otel_logs (Timestamp, TraceId, SpanId, TraceFlags, SeverityText,
    SeverityNumber, ServiceName, Body, ResourceAttributes, ScopeName, LogAttributes)
SELECT {time} AS ts, {trace} AS tid, {span} AS sid, 1, level, {severity}, {service} AS svc,
    {body}, map('service.name', svc), 'tracegrep-test-loader', {attributes}
FROM (
    SELECT line, _file, {level} AS level,
        arrayFilter(x -> NOT has({taken}, x.1) AND x.2 NOT LIKE '{{%' AND x.2 NOT LIKE '[%',
                    JSONExtractKeysAndValuesRaw(line)) AS kv
    FROM file({sql_string(glob)}, 'LineAsString', 'line String')
    WHERE isValidJSON(line)
)"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--schema", action="store_true")
    ap.add_argument("--otel-logs", action="append", default=[])
    ap.add_argument("--raw-lines", action="append", default=[])
    ap.add_argument("--raw-table", default="logs.raw")
    ap.add_argument("--print", action="store_true", help="print the SQL instead of sending it")
    a = ap.parse_args()
    sqls = []
    if a.schema:
        sqls += statements(os.path.join(HERE, "schema.sql"))
    for glob in a.otel_logs:
        sqls.append(otel_logs_sql(glob))
    if a.raw_lines:
        db = a.raw_table.split(".")[0] if "." in a.raw_table else "default"
        sqls.append(f"CREATE DATABASE IF NOT EXISTS {db}")
        sqls.append(f"CREATE TABLE IF NOT EXISTS {a.raw_table} (line String) ENGINE = MergeTree ORDER BY tuple()")
        for glob in a.raw_lines:
            sqls.append(f"INSERT INTO {a.raw_table} SELECT line FROM file({sql_string(glob)}, 'LineAsString', 'line String')")
    for sql in sqls:
        if a.print:
            print(sql + ";\n")
        else:
            post(a.url, sql)


main()
