"""Writes one conformance corpus from Python: four services, each its own process with its own
OpenTelemetry SDK TracerProvider (its own `service.name`), logging through a real library, calling
each other over HTTP on 127.0.0.1 with W3C `traceparent` injected and extracted by the SDK's
propagator. The truth is the SDK's finished spans (InMemorySpanExporter), never the logs.

    python3 gen.py structlog|json-logger|gcp OUTDIR [--exports]

structlog:   structlog JSONRenderer; a processor adds trace_id/span_id from the current span.
json-logger: python-json-logger's JsonFormatter; opentelemetry-instrumentation-logging adds
             otelTraceID/otelSpanID/otelServiceName to every record.
gcp:         stdlib logging with a formatter writing Google Cloud structured logging fields
             (`logging.googleapis.com/trace`, `logging.googleapis.com/spanId`, `severity`).

Each service is a process (`gen.py serve …`): opentelemetry-instrumentation-logging takes the
service name from the one tracer provider it is given, as in production.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

LIBS = ("structlog", "json-logger", "gcp")
SEEDS = {"structlog": 404, "json-logger": 505, "gcp": 606}


# ---------------------------------------------------------------- one service (a subprocess)


def serve(lib, out, service, seed, peers):
    """Runs one service until /_shutdown; then writes its spans and lines to OUT/parts/."""
    from opentelemetry import propagate, trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.id_generator import IdGenerator
    from opentelemetry.trace import SpanKind, Status, StatusCode

    class SeededIds(IdGenerator):
        """Seeded ids, so a rerun writes the same trace and span ids."""

        def __init__(self, seed):
            self.rng = random.Random(seed)

        def generate_span_id(self):
            return self.rng.getrandbits(64) or 1

        def generate_trace_id(self):
            return self.rng.getrandbits(128) or 1

    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), id_generator=SeededIds(seed)
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer(f"conformance-{service}")
    file = f"logs/{service}.log"
    stream = open(os.path.join(out, file), "w", encoding="utf-8", buffering=1)
    log = make_logger(lib, service, stream, provider)
    lines = []

    def emit(level, message, fields=None, names_parent=None, exc=False):
        ctx = trace.get_current_span().get_span_context()
        lines.append(
            {
                "file": file,
                "service": service,
                "level": level,
                "message": message,
                "trace_id": format(ctx.trace_id, "032x") if ctx.is_valid else None,
                "span_id": format(ctx.span_id, "016x") if ctx.is_valid else None,
                "names_parent": names_parent,
                "time_ns": str(time.time_ns()),
            }
        )
        log(level, message, fields or {}, exc)

    def call(port, path, payload):
        """An HTTP call in a CLIENT span; its context goes out in `traceparent`."""
        with tracer.start_as_current_span(f"POST {path}", kind=SpanKind.CLIENT) as span:
            headers = {"content-type": "application/json"}
            propagate.inject(headers)
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", json.dumps(payload).encode(), headers
            )
            try:
                with urllib.request.urlopen(req) as res:
                    status, body = res.status, json.load(res)
            except urllib.error.HTTPError as e:
                status, body = e.code, json.load(e)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
            return status, body

    state = {"decline": 0, "queue": []}

    def charge(req):
        emit("info", "charging card", {"order_id": req["order_id"], "amount_cents": req["amount_cents"]})
        time.sleep(0.003)
        if state["decline"] > 0:
            state["decline"] -= 1
            try:
                raise CardDeclined(f"card declined by issuer for order {req['order_id']}")
            except CardDeclined as err:
                emit("error", "charge failed", {"order_id": req["order_id"]}, exc=True)
                trace.get_current_span().record_exception(err)
            return 502, {"error": "declined"}
        emit("info", "charge authorized", {"order_id": req["order_id"], "auth_code": "A1234"})
        return 200, {"auth": "A1234"}

    def orders(req):
        emit("info", "order received", {"order_id": req["order_id"]})
        with tracer.start_as_current_span("price cart"):
            emit("debug", "pricing cart", {"items": 3})
            with tracer.start_as_current_span("load catalog"):
                time.sleep(0.002)
                emit("debug", "catalog loaded", {"skus": 3})
        for attempt in (1, 2):
            status, _ = call(peers["payments"], "/charge", {"order_id": req["order_id"], "amount_cents": 4200})
            if status < 500:
                break
            emit("warn", "payment failed, retrying" if attempt < 2 else "payment failed, giving up",
                 {"attempt": attempt, "status": status})
        if status >= 500:
            emit("error", "order failed", {"order_id": req["order_id"], "status": 502})
            return 502, {"error": "payment failed"}
        # The queue hop: the producer logs what it sends; the header travels in the message.
        with tracer.start_as_current_span("orders publish", kind=SpanKind.PRODUCER):
            headers = {}
            propagate.inject(headers)
            message = {"id": f"msg-{req['order_id']}", "body": {"order_id": req["order_id"]}, "headers": headers}
            broker(peers["fulfillment"], "/_enqueue", message)
            emit("info", "message sent", {"messaging.destination": "orders", "message_id": message["id"]})
        emit("info", "order placed", {"order_id": req["order_id"], "status": 201})
        return 201, {"order_id": req["order_id"]}

    def checkout_api(req):
        emit("info", "request received", {"http.method": "POST", "url.path": "/api/checkout"})
        status, body = call(peers["checkout"], "/orders", req)
        if status >= 500:
            emit("error", "request failed", {"status": status})
        else:
            emit("info", "request completed", {"status": status})
        return status, body

    def consume():
        """The async consumer: after the request ended, from the message's headers only."""
        message = state["queue"].pop(0)
        parent = propagate.extract(message["headers"])
        producer = trace.get_current_span(parent).get_span_context()
        with tracer.start_as_current_span("orders process", context=parent, kind=SpanKind.CONSUMER):
            emit("info", "message received",
                 {"message_id": message["id"], "message_headers": message["headers"]},
                 names_parent=format(producer.span_id, "016x"))
            with tracer.start_as_current_span("reserve stock"):
                time.sleep(0.002)
                emit("info", "stock reserved", {"order_id": message["body"]["order_id"]})

    routes = {"/charge": charge, "/orders": orders, "/api/checkout": checkout_api}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # the access log would go to stderr
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            if self.path.startswith("/_"):
                return self.control(body)
            # urllib sends `Traceparent`; the dict getter matches keys exactly, as HTTP does not.
            parent = propagate.extract({k.lower(): v for k, v in self.headers.items()})
            with tracer.start_as_current_span(f"POST {self.path}", context=parent, kind=SpanKind.SERVER) as span:
                span.set_attribute("http.request.method", "POST")
                span.set_attribute("url.path", self.path)
                status, reply = routes[self.path](body)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
            self.reply(status, reply)

        def control(self, body):
            """Untraced control calls from the driver and the broker."""
            if self.path == "/_decline":
                state["decline"] = body["count"]
            elif self.path == "/_enqueue":
                state["queue"].append(body)
            elif self.path == "/_consume":
                consume()
            elif self.path == "/_shutdown":
                emit("info", "consumer stopped" if service == "fulfillment" else "shutting down")
                part = {"spans": [span_truth(s) for s in exporter.get_finished_spans()], "lines": lines,
                        "libraries": python_libraries(lib)}
                with open(os.path.join(out, "parts", f"{service}.json"), "w") as f:
                    json.dump(part, f)
                if body.get("zipkin"):
                    from opentelemetry.exporter.zipkin.json import ZipkinExporter

                    ZipkinExporter(endpoint=body["zipkin"]).export(exporter.get_finished_spans())
                self.reply(200, {})
                threading.Thread(target=self.server.shutdown).start()
                return
            self.reply(200, {})

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    emit("info", "consumer started" if service == "fulfillment" else f"listening on 127.0.0.1:{port}",
         {"messaging.destination": "orders"} if service == "fulfillment" else None)
    print(port, flush=True)
    server.serve_forever()
    stream.close()


class CardDeclined(Exception):
    """A declined card, as payment providers' SDKs raise it."""


def broker(port, path, message):
    """The message broker (not traced): the fulfillment service's queue."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(message).encode(),
                                 {"content-type": "application/json"})
    urllib.request.urlopen(req).read()


def make_logger(lib, service, stream, provider):
    """The library's logger, writing JSON lines to `stream`; returns log(level, msg, fields, exc)."""
    import logging

    if lib == "structlog":
        import structlog
        from opentelemetry import trace

        def add_otel_ids(_logger, _method, event):
            # What structlog users write: the ids of the current span, as hex.
            ctx = trace.get_current_span().get_span_context()
            if ctx.is_valid:
                event["trace_id"] = format(ctx.trace_id, "032x")
                event["span_id"] = format(ctx.span_id, "016x")
            return event

        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                add_otel_ids,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.WriteLoggerFactory(file=stream),
        )
        logger = structlog.get_logger().bind(service=service)

        def log(level, message, fields, exc):
            method = {"warn": "warning"}.get(level, level)
            getattr(logger, method)(message, exc_info=exc, **fields)

        return log

    handler = logging.StreamHandler(stream)
    if lib == "json-logger":
        from opentelemetry.instrumentation.logging import LoggingInstrumentor
        from pythonjsonlogger.json import JsonFormatter

        LoggingInstrumentor().instrument(
            tracer_provider=provider, inject_trace_context=True, enable_log_auto_instrumentation=False
        )
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(otelTraceID)s %(otelSpanID)s "
            "%(otelTraceSampled)s %(otelServiceName)s"
        ))
    else:
        handler.setFormatter(GcpFormatter(service))
    logger = logging.getLogger(f"shop.{service}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def log(level, message, fields, exc):
        method = {"warn": "warning"}.get(level, level)
        getattr(logger, method)(message, exc_info=exc, extra=fields)

    return log


def _gcp_formatter():
    import logging

    class GcpFormatter(logging.Formatter):
        """Cloud Logging structured JSON (what Cloud Run and GKE read from stdout), with the ids of
        the current span in the `logging.googleapis.com/*` fields, as Google's docs show."""

        PROJECT = "demo-project"
        SKIP = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

        def __init__(self, service):
            super().__init__()
            self.service = service

        def format(self, record):
            from opentelemetry import trace

            entry = {
                "severity": {"WARNING": "WARNING", "CRITICAL": "CRITICAL"}.get(record.levelname, record.levelname),
                "message": record.getMessage(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.created * 1_000_000) % 1_000_000:06d}Z",
                "logging.googleapis.com/sourceLocation": {"file": record.pathname.rsplit("/", 1)[-1],
                                                          "line": str(record.lineno), "function": record.funcName},
                "serviceContext": {"service": self.service},
            }
            ctx = trace.get_current_span().get_span_context()
            if ctx.is_valid:
                entry["logging.googleapis.com/trace"] = f"projects/{self.PROJECT}/traces/{ctx.trace_id:032x}"
                entry["logging.googleapis.com/spanId"] = f"{ctx.span_id:016x}"
                entry["logging.googleapis.com/trace_sampled"] = ctx.trace_flags.sampled
            for key, value in vars(record).items():
                if key not in self.SKIP:
                    entry[key] = value
            if record.exc_info:
                # Error Reporting reads the stack from the message's `stack_trace`.
                entry["stack_trace"] = "".join(traceback.format_exception(*record.exc_info))
            return json.dumps(entry)

    return GcpFormatter


GcpFormatter = None  # made on first use (logging is imported lazily)


def span_truth(s):
    """A finished span as truth.json writes it."""

    def rfc3339(ns):
        secs, frac = divmod(ns, 1_000_000_000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"

    return {
        "trace_id": format(s.context.trace_id, "032x"),
        "span_id": format(s.context.span_id, "016x"),
        "parent_span_id": format(s.parent.span_id, "016x") if s.parent else None,
        "service": s.resource.attributes["service.name"],
        "name": s.name,
        "kind": s.kind.name,
        "start": rfc3339(s.start_time),
        "end": rfc3339(s.end_time),
        "start_ns": str(s.start_time),
        "end_ns": str(s.end_time),
        "status": s.status.status_code.name,
        "status_message": s.status.description,
    }


# ---------------------------------------------------------------- the driver


def post(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body or {}).encode(),
                                 {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req) as res:
            return res.status
    except urllib.error.HTTPError as e:
        return e.code


def python_libraries(lib):
    """The versions that ran: the logging library, the SDK, its logging instrumentation, Python."""
    from importlib.metadata import version

    libraries = {name: version(name) for name in (
        {"structlog": "structlog", "json-logger": "python-json-logger", "gcp": "opentelemetry-api"}[lib],
        "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-instrumentation-logging")}
    libraries["python"] = sys.version.split()[0]
    return libraries


def serve_command(lib, out, service, seed, ports):
    """The command that runs one Python service (`gen.py serve …`) with its peers' ports."""
    return [sys.executable, os.path.abspath(__file__), "serve", lib, out, service, str(seed), json.dumps(ports)]


def drive(lib, out, exports):
    run_story(out, f"python3 gen.py {lib}",
              lambda i, service, ports: serve_command(lib, out, service, SEEDS[lib] * 10 + i, ports), exports)


def run_story(out, generator, command, exports):
    """Starts the four services (each a process: `command(i, service, ports)` is its argv, given
    the ports of those already listening), runs the three traces through them, stops them and
    merges what each wrote (OUT/parts/SERVICE.json) into truth.json (and the Zipkin exports)."""
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    os.makedirs(os.path.join(out, "parts"), exist_ok=True)
    ports, procs = {}, {}
    # Started callee first, so each knows where its peers listen.
    for i, service in enumerate(("fulfillment", "payments", "checkout", "gateway")):
        proc = subprocess.Popen(command(i, service, ports), stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            sys.exit(f"{service}: exited before listening ({proc.wait()})")
        ports[service] = int(line)
        procs[service] = proc
    gw, pay, ful = ports["gateway"], ports["payments"], ports["fulfillment"]
    # Trace 1: the happy path, then the consumer after the response.
    post(gw, "/api/checkout", {"order_id": "o-1001"})
    time.sleep(0.005)
    post(ful, "/_consume")
    # Trace 2: one declined charge, a retry that succeeds, then the consumer.
    post(pay, "/_decline", {"count": 1})
    post(gw, "/api/checkout", {"order_id": "o-1002"})
    time.sleep(0.005)
    post(ful, "/_consume")
    # Trace 3: both attempts declined: the request fails end to end.
    post(pay, "/_decline", {"count": 2})
    post(gw, "/api/checkout", {"order_id": "o-1003"})

    zipkin_bodies, zipkin = [], None
    if exports:
        zipkin_bodies, zipkin, capture = zipkin_capture()
    for service in ("gateway", "checkout", "payments", "fulfillment"):
        post(ports[service], "/_shutdown", {"zipkin": zipkin})
        if procs[service].wait() != 0:
            sys.exit(f"{service}: exit {procs[service].returncode}")
    spans, lines, libraries = [], [], {}
    for service in ("gateway", "checkout", "payments", "fulfillment"):
        part = json.load(open(os.path.join(out, "parts", f"{service}.json")))
        spans += part["spans"]
        lines += part["lines"]
        libraries.update(part["libraries"])
        os.remove(os.path.join(out, "parts", f"{service}.json"))
    os.rmdir(os.path.join(out, "parts"))
    truth = {
        "schema": "tracegrep.conformance.truth",
        "schema_version": 1,
        "generator": generator,
        "libraries": libraries,
        "spans": spans,
        "lines": lines,
    }
    with open(os.path.join(out, "truth.json"), "w") as f:
        f.write(json.dumps(truth, indent=1) + "\n")
    if exports:
        capture.shutdown()
        os.makedirs(os.path.join(out, "exports"), exist_ok=True)
        with open(os.path.join(out, "exports", "zipkin.json"), "w") as f:
            f.writelines(b.decode() + "\n" for b in zipkin_bodies)
        merged = [s for b in zipkin_bodies for s in json.loads(b)]
        with open(os.path.join(out, "exports", "zipkin.pretty.json"), "w") as f:
            f.write(json.dumps(merged, indent=2) + "\n")


def zipkin_capture():
    """A loopback stand-in for a Zipkin collector: keeps each POSTed body as sent."""
    bodies = []

    class Capture(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            if self.headers["content-length"] is not None:
                bodies.append(self.rfile.read(int(self.headers["content-length"])))
            else:
                # Node's exporter streams its body: chunked transfer coding, no length.
                body = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                bodies.append(body)
            self.send_response(202)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return bodies, f"http://127.0.0.1:{server.server_address[1]}/api/v2/spans", server


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        _, _, lib, out, service, seed, peers = sys.argv
        if lib == "gcp":
            GcpFormatter = _gcp_formatter()
        serve(lib, out, service, int(seed), json.loads(peers))
    elif len(sys.argv) >= 3 and sys.argv[1] in LIBS:
        drive(sys.argv[1], sys.argv[2], "--exports" in sys.argv[3:])
    else:
        sys.exit("usage: python3 gen.py structlog|json-logger|gcp OUTDIR [--exports]")
