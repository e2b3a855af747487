#!/usr/bin/env python3
"""Open tracegrep HTML reports built from hostile log text in headless Chromium and check
that the text stayed text.

    python3 tests/browser/check_hostile.py SPEC.json

SPEC.json: {"screenshot": PATH, "max_width_ratio": R, "reports": [{"path": REPORT.html,
"shown": [TEXT…], "traces": [{"id": TRACE_ID, "spans": N, "shown": [TEXT…]}…]}…]}

Every payload in the test data sets a global of its own (`window.__pwned_<n>`) or calls
alert(); before the page's scripts run, a hook (Chrome DevTools' addScriptToEvaluateOnNewDocument,
which the page's Content-Security-Policy does not govern) counts dialogs, script errors and
unhandled rejections. For each report: the table appears; each trace is opened from its row,
its waterfall has N spans, every span and the first timeline rows are clicked (their fields
show), and the detail's text holds each `shown` TEXT (the hostile text is displayed, escaped);
the page's text holds the report's `shown` TEXTs. After each trace: no payload global is set,
no dialog opened, no script error, the page holds only its own two scripts and no element a
payload would make (img, svg, iframe, object, embed, a link, an `on*` attribute, a style
element), and the page is at most R viewport widths wide (long text wraps or is clipped, it
does not widen the page).

Exit status: 0 ok, 1 a check failed, 2 the browser or driver is missing.
"""

import base64
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import (  # noqa: E402 - the sibling module, found through the path above
    BrowserMissing, Driver, Failure, start_chromedriver, stop_chromedriver, free_port,
)

# Runs before any script of the page, in every document it loads.
HOOK = r"""
window.__hostile = {errors: [], dialogs: []};
window.addEventListener('error', function (e) {
  window.__hostile.errors.push(String(e.message || (e.target && e.target.tagName) || e));
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__hostile.errors.push('unhandled rejection: ' + String(e.reason));
});
['alert', 'confirm', 'prompt', 'print', 'open'].forEach(function (name) {
  window[name] = function () { window.__hostile.dialogs.push(name + ': ' + [].join.call(arguments, ' ')); };
});
"""

# What a payload would leave behind, measured in the page.
PROBE = r"""
var h = window.__hostile || {errors: ['the hook did not run'], dialogs: []};
var pwned = Object.getOwnPropertyNames(window).filter(function (k) { return /^__pwned/.test(k); });
var handlers = Array.prototype.filter.call(document.querySelectorAll('*'), function (e) {
  return Array.prototype.some.call(e.attributes, function (a) { return /^on/i.test(a.name); });
}).map(function (e) { return e.tagName; });
var made = Array.prototype.map.call(
  document.querySelectorAll('img, svg, iframe, frame, object, embed, a, form, base, body style, body link, body meta'),
  function (e) { return e.outerHTML.slice(0, 80); });
var scripts = document.scripts.length;
var de = document.documentElement;
return {pwned: pwned, dialogs: h.dialogs, errors: h.errors, handlers: handlers, made: made,
        scripts: scripts, scrollWidth: de.scrollWidth, viewport: window.innerWidth,
        table: !!document.querySelector('table#traces tbody tr[data-trace-id]')};
"""


def probe(drv, where, max_ratio):
    p = drv.js(PROBE)
    problems = []
    if p["pwned"]:
        problems.append("payloads ran: %s" % ", ".join(sorted(p["pwned"])))
    if p["dialogs"]:
        problems.append("dialogs opened: %r" % p["dialogs"][:5])
    if p["errors"]:
        problems.append("script errors: %r" % p["errors"][:5])
    if p["handlers"]:
        problems.append("%d element(s) with on* attributes: %r" % (len(p["handlers"]), p["handlers"][:5]))
    if p["made"]:
        problems.append("elements made from data: %r" % p["made"][:5])
    if p["scripts"] != 2:
        problems.append("%d script elements (the report has 2)" % p["scripts"])
    if not p["table"]:
        problems.append("the table of traces is gone")
    ratio = p["scrollWidth"] / max(1, p["viewport"])
    if ratio > max_ratio:
        problems.append("the page is %d px wide in a %d px window (%.1fx, at most %.1fx)"
                        % (p["scrollWidth"], p["viewport"], ratio, max_ratio))
    if problems:
        raise Failure("%s: %s" % (where, "; ".join(problems)))
    return ratio


def open_trace(drv, trace):
    tid = trace["id"]
    # Rows are found by comparing attributes in the page: an id with control characters
    # cannot be spelled in a CSS selector.
    clicked = drv.js("""
        var id = arguments[0];
        var row = Array.prototype.filter.call(document.querySelectorAll('#rows tr[data-trace-id]'),
          function (r) { return r.getAttribute('data-trace-id') === id; })[0];
        if (!row) return false;
        row.scrollIntoView({block: 'center'});
        row.click();
        return true;
    """, tid)
    if not clicked:
        raise Failure("no row for trace %r" % tid[:80])
    deadline = time.monotonic() + 10
    while drv.js("return document.getElementById('trace-detail').getAttribute('data-trace-id');") != tid:
        if time.monotonic() > deadline:
            raise Failure("the detail of trace %r did not open" % tid[:80])
        time.sleep(0.05)
    spans = drv.find_all("#trace-detail .waterfall [data-span-id]")
    if len(spans) != trace["spans"]:
        raise Failure("trace %r: %d spans in the waterfall, expected %d" % (tid[:80], len(spans), trace["spans"]))
    # Each span, then the first timeline rows (their raw fields open underneath).
    for span in spans:
        drv.js("arguments[0].click();", {"element-6066-11e4-a52e-4f735466cecf": span})
    for line in drv.find_all("#trace-detail table.timeline tr[data-log]")[:5]:
        drv.js("arguments[0].click();", {"element-6066-11e4-a52e-4f735466cecf": line})
    text = drv.js("return document.getElementById('trace-detail').textContent;")
    missing = [s for s in trace.get("shown", []) if s not in text]
    if missing:
        raise Failure("trace %r: the detail does not show %r" % (tid[:80], [m[:120] for m in missing]))
    return len(spans)


def run(spec):
    chromedriver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for name, path in (("chromedriver", chromedriver), ("chromium", chromium)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserMissing("%s not found at %s" % (name, path))
    max_ratio = float(spec.get("max_width_ratio", 1.0))
    profile = tempfile.mkdtemp(prefix="tracegrep-chromium-")
    proc = drv = None
    try:
        proc, base = start_chromedriver(chromedriver, free_port())
        drv = Driver(base)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            # An alert that slipped past the hook must fail the run, not be dismissed.
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000", "--user-data-dir=" + profile,
            ]},
        }}}
        drv.session = drv.call("POST", "/session", caps, timeout=90)["sessionId"]
        drv.s("POST", "/goog/cdp/execute", {"cmd": "Page.addScriptToEvaluateOnNewDocument",
                                             "params": {"source": HOOK}})
        for report in spec["reports"]:
            name = os.path.basename(report["path"])
            drv.s("POST", "/url", {"url": "file://" + os.path.abspath(report["path"])}, timeout=120)
            drv.wait_for("table [data-trace-id]", "the table of traces in " + name)
            ratio = probe(drv, name + " (table)", max_ratio)
            text = drv.js("return document.body.textContent;")
            missing = [s for s in report.get("shown", []) if s not in text]
            if missing:
                raise Failure("%s: the page does not show %r" % (name, [m[:120] for m in missing]))
            opened = []
            for trace in report["traces"]:
                n = open_trace(drv, trace)
                ratio = max(ratio, probe(drv, "%s, trace %r" % (name, trace["id"][:60]), max_ratio))
                opened.append("%s… (%d spans)" % (trace["id"][:12].encode("unicode_escape").decode(), n))
            try:
                logs = drv.s("POST", "/se/log", {"type": "browser"}) or []
            except Failure:
                logs = []
            severe = [e.get("message", "")[:300] for e in logs if e.get("level") == "SEVERE"]
            if severe:
                raise Failure("%s: browser console errors:\n  %s" % (name, "\n  ".join(severe)))
            print("ok: %s: %d traces opened (%s), no payload ran, widest page %.2f viewports"
                  % (name, len(opened), ", ".join(opened), ratio))
        png = base64.b64decode(drv.s("GET", "/screenshot"))
        with open(spec["screenshot"], "wb") as f:
            f.write(png)
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
    if len(argv) != 2:
        print("usage: check_hostile.py SPEC.json", file=sys.stderr)
        return 1
    try:
        with open(argv[1], encoding="utf-8") as f:
            spec = json.load(f)
        t0 = time.monotonic()
        run(spec)
        print("browser checks took %.1f s" % (time.monotonic() - t0))
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
