// The truth of a run, from the SDK's finished spans (never from the logs), and the whole-trace
// documents the SDK's own exporters write for the same spans.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

function ns([s, n]) {
  return (BigInt(s) * 1000000000n + BigInt(n)).toString();
}

function rfc3339([s, n]) {
  const base = new Date(s * 1000).toISOString().slice(0, 19);
  return `${base}.${String(n).padStart(9, '0')}Z`;
}

function version(name) {
  // Read the file: some packages do not export `./package.json`.
  for (const dir of require.resolve.paths(name)) {
    const file = path.join(dir, name, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  throw new Error(`${name}: no package.json`);
}

/** A finished span as truth.json writes it. */
function spanTruth(s) {
  return {
    trace_id: s.spanContext().traceId,
    span_id: s.spanContext().spanId,
    parent_span_id: s.parentSpanContext ? s.parentSpanContext.spanId : null,
    service: s.resource.attributes['service.name'],
    name: s.name,
    kind: KINDS[s.kind],
    start: rfc3339(s.startTime),
    end: rfc3339(s.endTime),
    start_ns: ns(s.startTime),
    end_ns: ns(s.endTime),
    status: STATUS[s.status.code],
    status_message: s.status.message || null,
  };
}

/** The versions that ran: the logging library, its instrumentation, the SDK, Node. */
function libraries(lib) {
  const out = {};
  for (const name of [lib, `@opentelemetry/instrumentation-${lib}`, '@opentelemetry/api',
    '@opentelemetry/sdk-trace-base', '@opentelemetry/core']) {
    out[name] = version(name);
  }
  out.node = process.versions.node;
  return out;
}

/** Writes truth.json: every span as the SDK finished it, every line as the program logged it. */
function writeTruth(out, generator, lib, spans, lines) {
  const truth = {
    schema: 'tracegrep.conformance.truth',
    schema_version: 1,
    generator,
    libraries: libraries(lib),
    spans: spans.map(spanTruth),
    lines,
  };
  fs.writeFileSync(path.join(out, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
}

/** POSTs `spans` (one service's) to a Zipkin collector at `url` with the SDK's Zipkin exporter. */
async function exportZipkin(url, spans) {
  const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin');
  const exporter = new ZipkinExporter({ url });
  await new Promise((resolve, reject) => exporter.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error))));
  await exporter.shutdown();
}

/** OTLP/JSON through the SDK's transformer; Zipkin v2 JSON as the exporter POSTs it. */
async function writeExports(out, spans) {
  const dir = path.join(out, 'exports');
  fs.mkdirSync(dir, { recursive: true });
  const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
  const otlp = Buffer.from(JsonTraceSerializer.serializeRequest(spans)).toString('utf8');
  fs.writeFileSync(path.join(dir, 'otlp.json'), `${otlp}\n`);
  fs.writeFileSync(path.join(dir, 'otlp.pretty.json'), `${JSON.stringify(JSON.parse(otlp), null, 2)}\n`);

  // Zipkin: the exporter POSTs to a collector; a loopback server stands in for it and keeps the
  // bodies. Each service's provider exports its own spans, as in production.
  const bodies = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { bodies.push(body); res.writeHead(202); res.end(); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/api/v2/spans`;
  const byService = new Map();
  for (const s of spans) {
    const svc = s.resource.attributes['service.name'];
    if (!byService.has(svc)) byService.set(svc, []);
    byService.get(svc).push(s);
  }
  for (const group of byService.values()) await exportZipkin(url, group);
  await new Promise((r) => server.close(r));
  fs.writeFileSync(path.join(dir, 'zipkin.json'), bodies.map((b) => `${b}\n`).join(''));
  // As saved from the Zipkin UI or `curl …/api/v2/trace/ID | jq .`: one array, indented.
  const all = bodies.flatMap((b) => JSON.parse(b));
  fs.writeFileSync(path.join(dir, 'zipkin.pretty.json'), `${JSON.stringify(all, null, 2)}\n`);
}

module.exports = { writeTruth, writeExports, spanTruth, libraries, exportZipkin };
