#!/usr/bin/env python3
"""Check a tracegrep HTML report in headless Chromium, driven over the WebDriver protocol.

    python3 tests/browser/check_report.py REPORT.html TRACE_ID EXPECTED_SPAN_COUNT SCREENSHOT.png [CHECKS.json]

Opens the report, clicks the trace's row, counts the spans in its waterfall, checks that the
XSS payloads of the test data stayed text, and saves a screenshot. Standard library only, so
it runs wherever Debian's chromium and chromium-driver packages are installed, without pip.

With CHECKS.json ({"durations": [[ms, text]…], "offsets": [[ms, text]…], "failed_gates": N,
"stack_frame": TEXT, "baseline": [[change, operation, p95 change]…]}; each key optional), also checks that the page formats durations and offsets as the CLI does
(the pairs come from the Rust formatters), that no duration on the page is in another unit
style, that the "failed gates" card and the list's heading both say N, that no service is drawn
in the error red and the opened trace's services have a colour each, and that the opened trace's fields show TEXT on a line of its own (a stack
trace is pretty-printed, not a JSON blob with literal \n\t).

Prints the load timings the report records (window.__tracegrepTiming). A trace beyond the first
page of the table is reached by typing its id into the filter box.

Exit status: 0 ok, 1 a check failed, 2 the browser or driver is missing.
Environment: CHROMEDRIVER (default /usr/bin/chromedriver), CHROMIUM (default /usr/bin/chromium).
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# The W3C key under which WebDriver returns element references.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
WAIT_S = 10.0


class Failure(Exception):
    """A check failed; the message says which."""


class BrowserMissing(Exception):
    """chromedriver or chromium is not installed (exit 2, not a test failure)."""


def free_port():
    # Bind to port 0 and release it: racy in theory, good enough for one local driver.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def css_string(value):
    """Quote a value for a CSS attribute selector, so odd ids cannot break the selector."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


class Driver:
    """The few WebDriver endpoints this test needs."""

    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            # WebDriver errors come back as JSON bodies; surface their message, not just the code.
            try:
                value = json.loads(e.read()).get("value") or {}
                msg = "%s: %s" % (value.get("error"), (value.get("message") or "").splitlines()[0])
            except Exception:  # noqa: BLE001 - any unreadable body is reported as the bare code
                msg = str(e)
            raise Failure("WebDriver %s %s failed: %s" % (method, path, msg)) from None

    def s(self, method, path, body=None, timeout=60):
        return self.call(method, "/session/%s%s" % (self.session, path), body, timeout)

    def find_all(self, css):
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def wait_for(self, css, what):
        deadline = time.monotonic() + WAIT_S
        while True:
            found = self.find_all(css)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise Failure("timed out after %.0f s waiting for %s (%s)" % (WAIT_S, what, css))
            time.sleep(0.05)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})


def start_chromedriver(path, port):
    # A process group of its own, so that cleanup can also reach the Chromium it launches.
    proc = subprocess.Popen([path, "--port=%d" % port], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure("chromedriver exited at start with status %d" % proc.returncode)
        try:
            with urllib.request.urlopen(base + "/status", timeout=1) as resp:
                if json.loads(resp.read()).get("value", {}).get("ready"):
                    return proc, base
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    stop_chromedriver(proc)
    raise Failure("chromedriver did not become ready on port %d" % port)


def stop_chromedriver(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


def hue_of(rgb):
    """Hue (degrees) and saturation (0-1) of a CSS rgb()/rgba() colour."""
    parts = [float(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    r, g, b = (x / 255 for x in parts)
    hi, lo = max(r, g, b), min(r, g, b)
    if hi == lo:
        return 0.0, 0.0
    d = hi - lo
    sat = d / (1 - abs(hi + lo - 1)) if 0 < hi + lo < 2 else 0.0
    if hi == r:
        h = ((g - b) / d) % 6
    elif hi == g:
        h = (b - r) / d + 2
    else:
        h = (r - g) / d + 4
    return h * 60, sat


def check_baseline(drv, want):
    """The "Compared with baseline" card: its rows (change, operation, p95 change) as expected."""
    rows = drv.js("""
        var card = document.querySelector('.card.baseline');
        if (!card) return null;
        return Array.prototype.map.call(card.querySelectorAll('tbody tr'), function (tr) {
          var td = tr.querySelectorAll('td');
          return [td[0].textContent, td[1].textContent, td[5].textContent];
        });
    """)
    if rows is None:
        raise Failure("no baseline card")
    if rows != want:
        raise Failure("baseline rows %r, expected %r" % (rows, want))
    print("baseline: %d rows as expected" % len(rows))


def check_polish(drv, checks):
    """The checks of CHECKS.json, on the page with the trace opened."""
    fmt = drv.js("""
        var f = window.__tracegrepFormat, c = arguments[0];
        return {d: c.durations.map(function (p) { return f.duration(p[0]); }),
                o: c.offsets.map(function (p) { return f.offset(p[0]); })};
    """, checks)
    for (ms, want), got in zip(checks["durations"], fmt["d"]):
        if got != want:
            raise Failure("duration %r ms: the page says %r, the CLI %r" % (ms, got, want))
    for (ms, want), got in zip(checks["offsets"], fmt["o"]):
        if got != want:
            raise Failure("offset %r ms: the page says %r, the CLI %r" % (ms, got, want))
    print("durations: %d and offsets: %d formatted as the CLI does"
          % (len(checks["durations"]), len(checks["offsets"])))

    text = drv.js("return document.body.innerText;")
    odd = re.findall(r"\d(?: ms| s)\b", text)
    if odd:
        raise Failure("durations in another style on the page: %r" % odd[:5])

    gates = drv.js("""
        var card = Array.prototype.filter.call(document.querySelectorAll('.stat'), function (s) {
          return s.querySelector('span').textContent === 'failed gates';
        })[0];
        var h = Array.prototype.filter.call(document.querySelectorAll('h2'), function (h) {
          return /^Failed gates/.test(h.textContent);
        })[0];
        return [card ? card.querySelector('b').textContent : null, h ? h.textContent : null];
    """)
    want = str(checks["failed_gates"])
    if gates[0] != want or not (gates[1] or "").startswith("Failed gates (%s)" % want):
        raise Failure("failed gates: card %r, list %r, expected %s" % (gates[0], gates[1], want))
    print("failed gates: card %s, list %r" % (gates[0], gates[1]))

    colours = drv.js("""
        var out = [];
        document.querySelectorAll('.svc').forEach(function (e) { out.push([e.textContent, getComputedStyle(e).color]); });
        document.querySelectorAll('.bar:not(.err)').forEach(function (e) {
          out.push(['bar', getComputedStyle(e).backgroundColor]);
        });
        return out;
    """)
    for name, rgb in colours:
        if "(" not in rgb or rgb.startswith("rgba(0, 0, 0, 0"):
            continue
        hue, sat = hue_of(rgb)
        if sat > 0.2 and (hue >= 330 or hue <= 30):
            raise Failure("service %r is drawn in a red (%s, hue %.0f)" % (name, rgb, hue))
    if len(colours) < 3:
        raise Failure("too few service colours to check: %r" % colours)
    chips = drv.js("""
        return Array.prototype.map.call(document.querySelectorAll('#trace-detail .chips .svc'),
          function (e) { return [e.textContent, getComputedStyle(e).color]; });
    """)
    if len(set(c for _, c in chips)) != len(chips):
        raise Failure("services of the opened trace share a colour: %r" % chips)
    print("service colours: %d elements, none red; the trace's %d services each their own"
          % (len(colours), len(chips)))

    pres = drv.js("""
        return Array.prototype.map.call(document.querySelectorAll('#trace-detail .inspector pre'),
          function (p) { return p.textContent; });
    """)
    frame = checks["stack_frame"]
    shown = [p for p in pres if any(line.strip() == frame for line in p.split("\n"))]
    if not shown or any("\\n\\tat" in p for p in pres):
        raise Failure("the stack trace is not shown as lines in the fields: %r" % [p[:300] for p in pres])
    print("fields: the stack trace is pretty-printed, %r on a line of its own" % frame)


def run(report, trace_id, expected_spans, screenshot, checks=None):
    chromedriver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for name, path in (("chromedriver", chromedriver), ("chromium", chromium)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserMissing("%s not found at %s (apt-get install chromium chromium-driver)" % (name, path))
    if not os.path.isfile(report):
        raise Failure("report not found: %s" % report)

    profile = tempfile.mkdtemp(prefix="tracegrep-chromium-")
    proc = None
    drv = None
    try:
        proc, base = start_chromedriver(chromedriver, free_port())
        drv = Driver(base)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            # Browser console output, read at the end to catch script errors in the report.
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                "--user-data-dir=" + profile,
            ]},
        }}}
        drv.session = drv.call("POST", "/session", caps, timeout=90)["sessionId"]

        url = "file://" + os.path.abspath(report)
        t_nav = time.monotonic()
        drv.s("POST", "/url", {"url": url}, timeout=120)
        drv.wait_for("table [data-trace-id]", "the table of traces")
        wall_ms = (time.monotonic() - t_nav) * 1000
        # The report records performance.now() (ms since navigation start) at script start,
        # after JSON.parse, once the table is built and at the next frame after it.
        timing = None
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            timing = drv.js("return [performance.now(), window.__tracegrepTiming || null];")
            if not timing[1] or "painted_ms" in timing[1]:
                break
            time.sleep(0.02)
        t = timing[1]
        if t and "painted_ms" in t:
            print("table painted %.0f ms after navigation start (script start %.0f ms, JSON.parse %.0f ms, "
                  "table built %.0f ms, then layout+paint %.0f ms); navigate-to-table %.0f ms wall clock"
                  % (t["painted_ms"], t["script_ms"], t["parse_ms"] - t["script_ms"],
                     t["table_ms"] - t["parse_ms"], t["painted_ms"] - t["table_ms"], wall_ms))
        else:
            # A report without the timing hook: "now" overstates the time a little.
            print("table present %.0f ms after navigation start; navigate-to-table %.0f ms wall clock"
                  % (timing[0], wall_ms))

        row_css = "table [data-trace-id=%s]" % css_string(trace_id)
        if not drv.find_all(row_css):
            # Big reports render the first page of rows only; narrow the list by the id.
            boxes = drv.find_all("input[type=search]")
            if boxes:
                print("row not in the first page of the table; filtering by the trace id")
                drv.s("POST", "/element/%s/value" % boxes[0], {"text": trace_id})
        row = drv.wait_for(row_css, "the trace's row in the table")

        drv.s("POST", "/element/%s/click" % row, {})
        drv.wait_for("#trace-detail[data-trace-id=%s]" % css_string(trace_id), "the trace detail panel")

        if checks and "baseline" in checks:
            check_baseline(drv, checks["baseline"])
        if checks and "durations" in checks:
            check_polish(drv, checks)

        spans = drv.find_all("#trace-detail .waterfall [data-span-id]")
        print("waterfall spans: found %d, expected %d" % (len(spans), expected_spans))
        if len(spans) != expected_spans:
            raise Failure("span count mismatch: found %d, expected %d" % (len(spans), expected_spans))
        # Exercise the span inspector (the code path that renders log lines and fields).
        for span in spans[:3]:
            if drv.s("GET", "/element/%s/displayed" % span):
                drv.s("POST", "/element/%s/click" % span, {})

        # Payloads in the test data try <script> and <img onerror>; neither may become markup.
        xss = drv.js("""
            var bad = Array.prototype.filter.call(document.querySelectorAll('img'), function (i) {
              var s = i.getAttribute('src');
              return s === 'x' || /\\/x$/.test(i.src || '');
            });
            var handlers = Array.prototype.filter.call(document.querySelectorAll('*'), function (e) {
              return Array.prototype.some.call(e.attributes, function (a) { return /^on/i.test(a.name); });
            });
            return {clean: window.__xss === undefined, xss: String(window.__xss),
                    imgs: bad.length, handlers: handlers.length};
        """)
        if not xss["clean"]:
            raise Failure("XSS: window.__xss is set (%s): a payload executed" % xss["xss"])
        if xss["imgs"]:
            raise Failure("XSS: %d <img src=x> element(s) were created from data" % xss["imgs"])
        if xss["handlers"]:
            raise Failure("XSS: %d element(s) carry on* event-handler attributes" % xss["handlers"])

        title = drv.s("GET", "/title")
        if "tracegrep" not in title:
            raise Failure("page title %r does not contain 'tracegrep'" % title)

        png = base64.b64decode(drv.s("GET", "/screenshot"))
        with open(screenshot, "wb") as f:
            f.write(png)

        # Script errors in the page fail the check; an endpoint that is unavailable does not.
        try:
            logs = drv.s("POST", "/se/log", {"type": "browser"}) or []
        except Failure:
            logs = []
        severe = [e.get("message", "") for e in logs if e.get("level") == "SEVERE"]
        if severe:
            raise Failure("browser console errors:\n  " + "\n  ".join(severe))

        print("ok: %s: trace %s opened, %d spans, no XSS, title %r, screenshot %s (%d bytes)"
              % (report, trace_id, len(spans), title, screenshot, len(png)))
    finally:
        if drv is not None and drv.session:
            try:
                drv.s("DELETE", "", timeout=20)
            except Exception:  # noqa: BLE001 - cleanup must go on to kill the driver
                pass
        if proc is not None:
            stop_chromedriver(proc)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv):
    if len(argv) not in (5, 6):
        print("usage: check_report.py REPORT.html TRACE_ID EXPECTED_SPAN_COUNT SCREENSHOT.png [CHECKS.json]",
              file=sys.stderr)
        return 1
    try:
        expected = int(argv[3])
    except ValueError:
        print("EXPECTED_SPAN_COUNT must be an integer, got %r" % argv[3], file=sys.stderr)
        return 1
    try:
        checks = None
        if len(argv) == 6:
            with open(argv[5], encoding="utf-8") as f:
                checks = json.load(f)
        run(argv[1], argv[2], expected, argv[4], checks)
    except BrowserMissing as e:
        print("browser missing: %s" % e)
        return 2
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    except (OSError, KeyError, TypeError, ValueError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
