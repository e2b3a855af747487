"""Writes the polyglot corpus: the story of gen.py and gen.js with each service in the language
of its own, so the W3C context crosses languages: the `traceparent` header one SDK injects is
extracted by another SDK in another process, over HTTP and in the queue message's headers.

    python3 polyglot.py NODE_DIR OUTDIR [--exports]

NODE_DIR holds gen.js with its node_modules. Each service is a process (`node gen.js serve …` or
`python3 gen.py serve …`) with its own SDK, its own seeded id generator and its logging library;
gen.py's driver starts them, runs the three traces, stops them and merges the spans each SDK
finished into truth.json. With --exports, each process's Zipkin exporter (Node's
@opentelemetry/exporter-zipkin, Python's opentelemetry-exporter-zipkin-json) POSTs its own spans
to one loopback collector, so exports/zipkin.json mixes both SDKs' bodies.
"""
import json
import os
import sys

import gen

# service → (language, logging library): every hop crosses a language.
PLAN = {
    "gateway": ("node", "pino"),  # Node → Python over HTTP
    "checkout": ("python", "json-logger"),  # Python → Node over HTTP; the queue's producer
    "payments": ("node", "winston"),
    "fulfillment": ("node", "bunyan"),  # the queue's consumer: Python's header, Node's extract
}
SEED = 707


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit("usage: python3 polyglot.py NODE_DIR OUTDIR [--exports]")
    node_dir, out = (os.path.abspath(a) for a in args)

    def command(i, service, ports):
        lang, lib = PLAN[service]
        seed = SEED * 10 + i
        if lang == "node":
            return ["node", os.path.join(node_dir, "gen.js"), "serve", lib, out, service, str(seed),
                    json.dumps(ports)]
        return gen.serve_command(lib, out, service, seed, ports)

    gen.run_story(out, "python3 polyglot.py", command, "--exports" in sys.argv[1:])


if __name__ == "__main__":
    main()
