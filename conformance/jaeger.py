#!/usr/bin/env python3
"""Converts an OTLP/JSON export (the SDK's own serialisation) into Jaeger's query JSON: what
jaeger-query's `/api/traces` answers and Jaeger UI's "Download JSON" saves.

    python3 jaeger.py EXPORTS_DIR     # reads otlp.json, writes jaeger.json and jaeger.pretty.json

Converted, not captured: no Jaeger query service runs here. The mapping follows Jaeger's own
path for OTLP data: the collector's OTLP -> Jaeger model translator
(pkg/translator/jaeger/traces_to_jaegerproto.go: the parent as the first CHILD_OF reference,
links as FOLLOWS_FROM, `span.kind`, `otel.status_code`, `error: true` and
`otel.status_description` from the status, the scope as `otel.scope.name`/`otel.scope.version`,
`service.name` as the process's serviceName and the other resource attributes as process tags,
events as logs with an `event` field), then jaeger's model/converter/json/from_domain.go (ids
as TraceID.String()/SpanID.String(), microsecond times, no `flags` (the translator sets none
and the field is omitempty), processes keyed `p1`, `p2`, ... in the
order the spans first name them, empty lists as `[]`, absent warnings as null), wrapped in the
query API's `{"data": [...], "total": 0, "limit": 0, "offset": 0, "errors": null}`. One trace
object per trace id, in the order the trace ids first appear.
"""
import json
import os
import sys

KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
JS_MAX_SAFE = (1 << 53) - 1


def trace_id(hex32):
    """Jaeger's TraceID.String(): the high half without leading zeros, or only the low half."""
    high, low = int(hex32[:16], 16), int(hex32[16:], 16)
    return f"{low:016x}" if high == 0 else f"{high:x}{low:016x}"


def span_id(hex16):
    return f"{int(hex16, 16):016x}"


def tag(key, value):
    """An OTLP AnyValue as a Jaeger tag (maps and arrays as their JSON text, as AsString does)."""
    if "stringValue" in value:
        return {"key": key, "type": "string", "value": value["stringValue"]}
    if "boolValue" in value:
        return {"key": key, "type": "bool", "value": value["boolValue"]}
    if "intValue" in value:
        n = int(value["intValue"])
        return {"key": key, "type": "int64", "value": n if -JS_MAX_SAFE <= n <= JS_MAX_SAFE else str(n)}
    if "doubleValue" in value:
        return {"key": key, "type": "float64", "value": float(value["doubleValue"])}
    inner = value.get("arrayValue") or value.get("kvlistValue") or {}
    return {"key": key, "type": "string", "value": json.dumps(inner, separators=(",", ":"))}


def micros(nanos):
    return int(nanos) // 1000


def span_tags(span, scope):
    tags = []
    if scope.get("name"):
        tags.append({"key": "otel.scope.name", "type": "string", "value": scope["name"]})
    if scope.get("version"):
        tags.append({"key": "otel.scope.version", "type": "string", "value": scope["version"]})
    tags += [tag(a["key"], a["value"]) for a in span.get("attributes", [])]
    if span.get("kind") in KINDS:
        tags.append({"key": "span.kind", "type": "string", "value": KINDS[span["kind"]]})
    status = span.get("status", {})
    code = status.get("code", 0)
    if code == 2:
        tags.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
        tags.append({"key": "error", "type": "bool", "value": True})
    elif code == 1:
        tags.append({"key": "otel.status_code", "type": "string", "value": "OK"})
    if status.get("message"):
        tags.append({"key": "otel.status_description", "type": "string", "value": status["message"]})
    if span.get("traceState"):
        tags.append({"key": "w3c.tracestate", "type": "string", "value": span["traceState"]})
    return tags


def convert(otlp):
    traces = {}  # trace id -> (spans, process keys, processes)
    for rs in otlp.get("resourceSpans", []):
        attrs = rs.get("resource", {}).get("attributes", [])
        service = next(
            (a["value"].get("stringValue") for a in attrs if a["key"] == "service.name"),
            "OTLPResourceNoServiceName",
        )
        process = {
            "serviceName": service,
            "tags": [tag(a["key"], a["value"]) for a in attrs if a["key"] != "service.name"],
        }
        for ss in rs.get("scopeSpans", []):
            scope = ss.get("scope", {})
            for span in ss.get("spans", []):
                tid = trace_id(span["traceId"])
                spans, keys, processes = traces.setdefault(tid, ([], {}, {}))
                pkey = json.dumps(process, sort_keys=True)
                if pkey not in keys:
                    keys[pkey] = f"p{len(keys) + 1}"
                    processes[keys[pkey]] = process
                refs = []
                if span.get("parentSpanId"):
                    refs.append({"refType": "CHILD_OF", "traceID": tid, "spanID": span_id(span["parentSpanId"])})
                for link in span.get("links", []):
                    refs.append({"refType": "FOLLOWS_FROM", "traceID": trace_id(link["traceId"]), "spanID": span_id(link["spanId"])})
                logs = []
                for event in span.get("events", []):
                    fields = [{"key": "event", "type": "string", "value": event["name"]}] if event.get("name") else []
                    fields += [tag(a["key"], a["value"]) for a in event.get("attributes", [])]
                    logs.append({"timestamp": micros(event["timeUnixNano"]), "fields": fields})
                start = micros(span["startTimeUnixNano"])
                out = {"traceID": tid, "spanID": span_id(span["spanId"])}
                out.update({
                    "operationName": span["name"],
                    "references": refs,
                    "startTime": start,
                    "duration": (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) // 1000,
                    "tags": span_tags(span, scope),
                    "logs": logs,
                    "processID": keys[pkey],
                    "warnings": None,
                })
                spans.append(out)
    data = [
        {"traceID": tid, "spans": spans, "processes": dict(sorted(procs.items(), key=lambda kv: int(kv[0][1:]))), "warnings": None}
        for tid, (spans, _, procs) in traces.items()
    ]
    return {"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}


def go_json(value, indent=None):
    """JSON as Go's encoding/json writes it (HTML characters escaped); indented like
    json.MarshalIndent / jq when `indent` is given."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def main():
    exports = sys.argv[1]
    with open(os.path.join(exports, "otlp.json"), encoding="utf-8") as f:
        doc = convert(json.load(f))
    with open(os.path.join(exports, "jaeger.json"), "w", encoding="utf-8") as f:
        f.write(go_json(doc) + "\n")
    with open(os.path.join(exports, "jaeger.pretty.json"), "w", encoding="utf-8") as f:
        f.write(go_json(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
