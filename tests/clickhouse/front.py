#!/usr/bin/env python3
"""A minimal ClickHouse HTTP-interface front over chdb, for tests only.

chdb (PyPI) embeds the real ClickHouse engine in-process but has no server.
This script serves a subset of ClickHouse's HTTP interface on 127.0.0.1 so
that an HTTP client (tracegrep's ClickHouse source) can be tested against the
real engine: real SQL parser, real MergeTree storage and skip indexes, real
settings enforcement and real exception texts.

    python3 tests/clickhouse/front.py --data DIR [--port 0] [--user U --password P]

Prints exactly one line, "listening on 127.0.0.1:PORT", once it is ready, and
serves until SIGTERM/SIGINT.  See README.md beside this file for the subset of
the interface that is served.  Python 3.11 standard library plus chdb only.
"""

import argparse
import base64
import binascii
import gzip
import http.server
import json
import os
import re
import signal
import socketserver
import sys
import threading
import urllib.parse
import uuid
import zlib

import chdb
import chdb.session

# ---------------------------------------------------------------------------
# What real ClickHouse does, copied from its sources.

# src/Server/HTTP/exceptionCodeToHTTPStatus.cpp, by error-code *name*; the
# names are resolved to numbers by the engine itself (errorCodeToName) at
# start-up, so no code number is hard-coded here.
STATUS_BY_ERROR_NAME = {
    401: ["REQUIRED_PASSWORD"],
    403: ["UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED",
          "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"],
    400: ["BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT",
          "CANNOT_PARSE_ESCAPE_SEQUENCE", "CANNOT_PARSE_QUOTED_STRING",
          "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
          "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4",
          "CANNOT_PARSE_IPV6", "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
          "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
          "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE",
          "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST",
          "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA",
          "TYPE_MISMATCH", "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"],
    404: ["UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER",
          "UNKNOWN_TYPE", "UNKNOWN_STORAGE", "UNKNOWN_DATABASE",
          "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING",
          "UNKNOWN_AGGREGATE_FUNCTION", "UNKNOWN_FORMAT",
          "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE"],
    413: ["QUERY_IS_TOO_LARGE"],
    501: ["NOT_IMPLEMENTED"],
    503: ["SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"],
    411: ["HTTP_LENGTH_REQUIRED"],
    408: ["TIMEOUT_EXCEEDED"],
    415: ["UNSUPPORTED_MEDIA_TYPE"],
}

# URL parameters that the HTTP handler consumes itself; every other parameter
# is a setting (src/Server/HTTPHandler.cpp, "reserved_param_names" and the
# param_ prefix for query parameters).
RESERVED_PARAMS = {
    "query", "database", "default_format", "user", "password", "quota_key",
    "query_id", "stacktrace", "role", "session_id", "session_timeout",
    "session_check", "compress", "decompress", "buffer_size",
    "wait_end_of_query", "http_response_headers", "client_protocol_version",
    "close_session", "default_database",
}

DEFAULT_USER_HINT = (
    "\n\nIf you use ClickHouse Cloud, the password can be reset at "
    "https://clickhouse.cloud/\non the settings page for the corresponding "
    "service.\n\nIf you have installed ClickHouse and forgot password you can "
    "reset it in the configuration file.\nThe password for default user is "
    "typically located at /etc/clickhouse-server/users.d/default-password.xml"
    "\nand deleting this file will reset the password.\nSee also "
    "/etc/clickhouse-server/users.xml on the server where ClickHouse is "
    "installed.\n\n")

GET_READONLY_HINT = (
    "Cannot execute query in readonly mode. For queries over HTTP, method GET "
    "implies readonly. You should use method POST for modifying queries")

# What readonly=1 lets through (the first word of the statement).
READONLY_1_STARTS = {"SELECT", "WITH", "EXPLAIN", "SHOW", "DESC", "DESCRIBE",
                     "EXISTS", "("}

# Formats that chdb's Python layer turns into Python objects instead of bytes.
PYTHON_ONLY_FORMATS = {"dataframe", "arrowtable", "debug"}

NOT_FOUND_TEXT = (
    "There is no handle {path}\n\nUse / or /ping for health checks.\n"
    "Or /replicas_status for more sophisticated health checks.\n\n"
    "Send queries from your program with POST method or GET /?query=...\n")


def content_type_for(fmt):
    """The Content-Type real ClickHouse sends for an output format."""
    f = fmt.lower()
    if f.startswith("tabseparated") or f.startswith("tsv"):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        header = "present" if ("withnames" in f or "withtypes" in f) else "absent"
        return "text/csv; charset=UTF-8; header=" + header
    if f in ("json", "jsoncompact", "jsonstrings", "jsoncompactstrings",
             "jsoncolumns", "jsoncompactcolumns", "jsoncolumnswithmetadata",
             "jsonobjecteachrow"):
        return "application/json; charset=UTF-8"
    if f in ("xml",):
        return "application/xml; charset=UTF-8"
    if f in ("native", "rowbinary", "rowbinarywithnames",
             "rowbinarywithnamesandtypes", "rowbinarywithdefaults", "parquet",
             "arrow", "arrowstream", "orc", "avro", "msgpack", "protobuf",
             "protobufsingle", "capnproto", "npy", "bson", "bsoneachrow"):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


# ---------------------------------------------------------------------------
# A small SQL lexer: enough to find comments, string literals and the
# top-level FORMAT clause.  The engine does all real parsing.

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|\#[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<str>'(?:[^'\\]|\\.|'')*(?:'|\Z))
  | (?P<qid>"(?:[^"\\]|\\.|"")*(?:"|\Z)|`(?:[^`\\]|\\.|``)*(?:`|\Z))
  | (?P<heredoc>\$(?P<tag>[A-Za-z0-9_]*)\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<semi>;)
  | (?P<other>.)
""", re.S | re.X)


def sql_tokens(sql):
    """Yields (kind, text, start) for the significant tokens of sql."""
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        if kind == "tag":
            kind = "heredoc"
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(0), m.start()


def is_blank_sql(sql):
    return next(sql_tokens(sql), None) is None


def output_format_clause(sql):
    """The format named by a top-level `FORMAT x` at the end of a query (it
    may be followed by a SETTINGS clause or a `;`), else None."""
    first = next(sql_tokens(sql), None)
    if first is None or first[1].upper() == "INSERT":
        return None  # an INSERT's FORMAT names its input, and its data may be large
    if not re.search(r"(?i)\bformat\b", sql):
        return None
    toks = []
    depth = 0
    for kind, text, _ in sql_tokens(sql):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        toks.append((kind, text, depth))
    found = None
    for i, (kind, text, depth) in enumerate(toks):
        if depth != 0 or kind != "word" or text.upper() != "FORMAT":
            continue
        if i + 1 >= len(toks) or toks[i + 1][0] not in ("word", "qid"):
            continue
        after = toks[i + 2] if i + 2 < len(toks) else None
        if after is None or after[0] == "semi" or (
                after[0] == "word" and after[1].upper() == "SETTINGS"):
            name = toks[i + 1][1]
            if toks[i + 1][0] == "qid":
                name = name[1:-1]
            found = name
    return found


def sql_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_ident(name):
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


# ---------------------------------------------------------------------------


class QueryError(Exception):
    """An error to return to the client, ClickHouse-style."""

    def __init__(self, code, text, status=None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.status = status


_CODE_RE = re.compile(r"Code: (\d+)\. ")
_NESTED_PREFIX = re.compile(r"^(?:Code: \d+\. DB::Exception: ){2,}")
_NESTED_SUFFIX = re.compile(r"(?: \(version [^()]*\)\. \([A-Z0-9_]+\))+$")


def unnest(text):
    """chdb re-wraps some exceptions ("Code: 73. DB::Exception: Code: 73.
    DB::Exception: ... (UNKNOWN_FORMAT) (version V). (UNKNOWN_FORMAT)"):
    keep the innermost one, as the server shows it."""
    m = _NESTED_PREFIX.match(text)
    if not m:
        return text
    code = _CODE_RE.match(text).group(1)
    inner = _NESTED_SUFFIX.sub("", text[m.end():])
    return f"Code: {code}. DB::Exception: {inner}"


class Engine:
    """Two chdb connections on one data directory, used under one lock.

    `rw` runs ordinary requests.  `ro` was opened with readonly=2, so the
    engine itself refuses writes for requests with readonly=1/2 or the GET
    method, while still accepting the per-request settings (readonly=2 allows
    changing settings, except readonly itself)."""

    def __init__(self, data_dir):
        self.lock = threading.Lock()
        path = os.path.abspath(data_dir)
        os.makedirs(path, exist_ok=True)
        # chdb resolves file()/INTO OUTFILE paths against the working
        # directory: keep them inside the data directory.
        os.chdir(path)
        self.rw = chdb.session.Session(path)
        self.ro = chdb.session.Session(path + "?readonly=2")
        # implicit_select is on in chdb but off in clickhouse-server.
        for s in (self.rw, self.ro):
            s.query("SET implicit_select = 0")
        self.baseline = {}
        for name, s in (("rw", self.rw), ("ro", self.ro)):
            rows = s.query("SELECT name, value FROM system.settings WHERE changed",
                           "JSONEachRow").bytes().decode()
            self.baseline[name] = {
                r["name"]: r["value"] for r in map(json.loads, rows.splitlines())}
        info = json.loads(self.rw.query(
            "SELECT version() AS v, timezone() AS tz", "JSONEachRow").bytes())
        self.version = info["v"]
        self.timezone = info["tz"]
        rows = self.rw.query(
            "SELECT number AS c, errorCodeToName(number) AS n FROM numbers(2000) "
            "WHERE n != ''", "JSONEachRow").bytes().decode()
        self.code_of = {}
        self.name_of = {}
        for r in map(json.loads, rows.splitlines()):
            self.code_of[r["n"]] = int(r["c"])
            self.name_of[int(r["c"])] = r["n"]
        self.status_of = {}
        for status, names in STATUS_BY_ERROR_NAME.items():
            for n in names:
                if n in self.code_of:
                    self.status_of[self.code_of[n]] = status

    def close(self):
        for s in (self.ro, self.rw):
            try:
                s.close()
            except Exception:
                pass

    def status_for(self, code):
        return self.status_of.get(code, 500)

    def error(self, name, message):
        code = self.code_of[name]
        if message.endswith("."):
            message = message[:-1]
        return QueryError(code, f"Code: {code}. DB::Exception: {message}. ({name})")

    def _reset(self, sess, key, names):
        """Puts settings back to the connection's start-up values."""
        base = self.baseline[key]
        parts = []
        for n in names:
            if n == "readonly":
                continue
            if n in base:
                parts.append(f"{sql_ident(n)} = {sql_string(base[n])}")
            else:
                parts.append(f"{sql_ident(n)} = DEFAULT")
        if not parts:
            return
        try:
            sess.query("SET " + ", ".join(parts))
        except Exception:
            for p in parts:  # one unknown name must not block the others
                try:
                    sess.query("SET " + p)
                except Exception:
                    pass

    def _changed_settings(self, sess):
        rows = sess.query("SELECT name, value FROM system.settings WHERE changed",
                          "JSONEachRow").bytes().decode()
        return {r["name"]: r["value"] for r in map(json.loads, rows.splitlines())}

    def run(self, sql, fmt, settings, params, database, readonly, strict):
        """Runs one statement; returns the chdb result object.  Everything it
        changes on the connection (settings, current database) is put back
        before the lock is released.

        readonly: run on the readonly=2 connection and refuse any statement
        that chdb classifies as writing (the engine alone lets INSERT INTO
        FUNCTION through).  strict (readonly=1): also refuse everything but
        SELECT/WITH/EXPLAIN/SHOW/DESC/DESCRIBE/EXISTS, as readonly=1 forbids
        SET, KILL, SYSTEM and temporary tables."""
        key = "ro" if readonly else "rw"
        with self.lock:
            sess = self.rw if key == "rw" else self.ro
            conn = sess._conn._conn  # the pybind connection: classify_query
            applied = [n for n in settings if n != "readonly"]
            changed_db = False
            control = False
            try:
                if applied:
                    sess.query("SET " + ", ".join(
                        f"{sql_ident(n)} = {sql_string(settings[n])}"
                        for n in applied))
                if database:
                    sess.query("USE " + sql_ident(database))
                    changed_db = True
                info = conn.classify_query(sql)
                if info["statement_count"] > 1:
                    raise self.error(
                        "SYNTAX_ERROR",
                        "Syntax error (Multi-statements are not allowed): "
                        + sql.strip()[:200])
                qclass = info["query_class"].name
                control = qclass == "CONTROL"
                if readonly and info["statement_count"] == 1:
                    first = next(sql_tokens(sql))[1].upper()
                    # chdb classes INSERT INTO FUNCTION and INTO OUTFILE as
                    # CONTROL, and its readonly=2 lets them write: refuse them.
                    writes = qclass == "MUTATING" or first == "INSERT" or (
                        qclass == "CONTROL" and first in READONLY_1_STARTS)
                    if writes or (strict and (
                            qclass != "READ_ONLY" or first not in READONLY_1_STARTS)):
                        raise self.error("READONLY", "default: Cannot execute "
                                         "query in readonly mode")
                return sess.query(sql, fmt, params=params or None)
            finally:
                try:
                    self._reset(sess, key, applied)
                    if control:
                        # A SET or USE statement of the request's own must not
                        # outlive it (no session_id support): undo it.
                        changed = self._changed_settings(sess)
                        base = self.baseline[key]
                        extra = [n for n, v in changed.items()
                                 if n not in ("database",) and base.get(n) != v]
                        self._reset(sess, key, extra)
                    if changed_db or control:
                        sess.query("USE default")
                except Exception as e:  # never leave the lock on a bad state silently
                    print(f"front: could not reset connection: {e}", file=sys.stderr)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chdb-front"
    sys_version = ""

    # Set on the class by main().
    engine = None
    expected_user = None
    expected_password = None
    log_requests = False

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.log_requests:
            sys.stderr.write("front: %s %s\n" % (self.address_string(), fmt % args))

    # -- plumbing ---------------------------------------------------------

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            body = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        enc = self.headers.get("Content-Encoding", "").strip().lower()
        if enc in ("", "identity"):
            return body
        if enc in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if enc == "deflate":
            return zlib.decompress(body)
        raise self.engine.error("UNKNOWN_COMPRESSION_METHOD"
                                if "UNKNOWN_COMPRESSION_METHOD" in self.engine.code_of
                                else "BAD_ARGUMENTS",
                                f"Unknown HTTP Content-Encoding: {enc}")

    def _send(self, status, body, headers):
        accept = self.headers.get("Accept-Encoding", "")
        if headers.pop("_compress", False) and body:
            if "gzip" in accept:
                body = gzip.compress(body, 1)
                headers["Content-Encoding"] = "gzip"
            elif "deflate" in accept:
                body = zlib.compress(body, 1)
                headers["Content-Encoding"] = "deflate"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Keep-Alive", "timeout=10")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_error(self, err, query_id):
        text = err.text
        if not text.endswith("\n"):
            text += " (version %s (official build))\n" % self.engine.version
        status = err.status or self.engine.status_for(err.code)
        self._send(status, text.encode(), {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": self.engine.timezone,
            "X-ClickHouse-Server-Display-Name": "chdb-front",
            "X-ClickHouse-Exception-Code": str(err.code),
        })

    # -- authentication -----------------------------------------------------

    def _credentials(self, qs):
        """(user, password, supplied) from X-ClickHouse-* headers, Basic auth,
        or the user/password URL parameters, in that order."""
        h = self.headers
        if h.get("X-ClickHouse-User") is not None or h.get("X-ClickHouse-Key") is not None:
            return h.get("X-ClickHouse-User") or "default", h.get("X-ClickHouse-Key") or "", True
        auth = h.get("Authorization")
        if auth and auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            return user or "default", password, True
        if "user" in qs or "password" in qs:
            return qs.get("user") or "default", qs.get("password", ""), True
        return "default", "", False

    def _authenticate(self, qs):
        user, password, supplied = self._credentials(qs)
        if self.expected_user is None:
            return user
        if user == self.expected_user and password == self.expected_password:
            return user
        hint = DEFAULT_USER_HINT if user == "default" else ""
        name = "AUTHENTICATION_FAILED"
        if not supplied and self.expected_password:
            name = "REQUIRED_PASSWORD"
        raise self.engine.error(
            name, f"{user}: Authentication failed: password is incorrect, or "
                  f"there is no user with such name.{hint}")

    # -- requests -------------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        qs = dict(pairs)
        query_id = qs.get("query_id") or str(uuid.uuid4())
        if path in ("/ping", "/replicas_status") or (
                path == "/" and self.command in ("GET", "HEAD") and "query" not in qs):
            self._read_body()
            return self._send(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
        if path != "/":
            self._read_body()
            return self._send(404, NOT_FOUND_TEXT.format(path=path).encode(),
                              {"Content-Type": "text/plain; charset=UTF-8"})
        try:
            body = self._read_body()
            user = self._authenticate(qs)
            self._query(qs, pairs, body, user, query_id)
        except QueryError as e:
            self._send_error(e, query_id)
        except (OSError, ValueError, EOFError, zlib.error) as e:
            if isinstance(e, (BrokenPipeError, ConnectionResetError)):
                return
            self._send_error(self.engine.error("BAD_ARGUMENTS", str(e)), query_id)

    def _query(self, qs, pairs, body, user, query_id):
        engine = self.engine
        sql = qs.get("query", "")
        if self.command == "POST" and body:
            text = body.decode("utf-8", errors="surrogateescape")
            sql = sql + "\n" + text if sql else text
        if is_blank_sql(sql):
            raise engine.error("SYNTAX_ERROR", "Empty query")

        settings = {}
        params = {}
        for k, v in pairs:
            if k.startswith("param_"):
                params[k[len("param_"):]] = v
            elif k not in RESERVED_PARAMS:
                settings[k] = v
        database = (self.headers.get("X-ClickHouse-Database")
                    or qs.get("database") or "")
        default_format = (self.headers.get("X-ClickHouse-Format")
                          or qs.get("default_format") or "TabSeparated")
        if default_format.lower() in PYTHON_ONLY_FORMATS:
            raise engine.error("UNKNOWN_FORMAT", f"Unknown output format {default_format}")
        readonly = settings.get("readonly", "0") not in ("", "0")
        strict = settings.get("readonly") == "1"
        is_get = self.command in ("GET", "HEAD")
        if is_get:
            readonly = True  # ClickHouse: GET implies readonly=2

        fmt = output_format_clause(sql) or default_format
        try:
            result = engine.run(sql, default_format, settings, params, database,
                                readonly, strict)
        except Exception as e:  # chdb.ChdbError / RuntimeError carry "Code: N."
            text = e.text if isinstance(e, QueryError) else unnest(str(e))
            m = _CODE_RE.search(text)
            code = int(m.group(1)) if m else 1001  # STD_EXCEPTION
            if not m:
                text = f"Code: 1001. DB::Exception: {text}. (STD_EXCEPTION)"
            if code == engine.code_of.get("READONLY"):
                if user != "default":
                    text = text.replace("DB::Exception: default: ",
                                        f"DB::Exception: {user}: ", 1)
                if is_get:
                    text = text.replace("Cannot execute query in readonly mode",
                                        GET_READONLY_HINT, 1)
            raise QueryError(code, text)

        out = result.bytes()
        elapsed_ns = int(result.elapsed() * 1e9)
        summary = {
            "read_rows": str(result.storage_rows_read()),
            "read_bytes": str(result.storage_bytes_read()),
            "written_rows": str(result.rows_written()),
            "written_bytes": str(result.bytes_written()),
            "total_rows_to_read": str(result.storage_rows_read()),
            "result_rows": str(result.rows_read()),
            "result_bytes": str(result.bytes_read()),
            "elapsed_ns": str(elapsed_ns),
        }
        self._send(200, out, {
            "Content-Type": content_type_for(fmt),
            "X-ClickHouse-Format": fmt,
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": engine.timezone,
            "X-ClickHouse-Server-Display-Name": "chdb-front",
            "X-ClickHouse-Summary": json.dumps(summary, separators=(",", ":")),
            "_compress": settings.get("enable_http_compression", "0") not in ("", "0"),
        })


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="chdb data directory (created if missing)")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1; 0 picks a free one")
    ap.add_argument("--user", help="the only user accepted (with --password)")
    ap.add_argument("--password", help="that user's password")
    ap.add_argument("--log", action="store_true", help="log each request to stderr")
    args = ap.parse_args(argv)
    if (args.user is None) != (args.password is None):
        ap.error("--user and --password go together")

    engine = Engine(args.data)
    Handler.engine = engine
    Handler.expected_user = args.user
    Handler.expected_password = args.password
    Handler.log_requests = args.log

    server = Server(("127.0.0.1", args.port), Handler)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        # Wait (a bounded time) for a running query before closing chdb.
        if engine.lock.acquire(timeout=5):
            engine.close()
            engine.lock.release()
        else:
            sys.stdout.flush()
            os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
