// Writes one conformance corpus: the logs of four small services through a real Node logging
// library (pino, winston or bunyan) with the trace context injected by the library's real
// OpenTelemetry instrumentation, and the truth taken from the SDK's own finished spans.
//
//   node gen.js pino|winston|bunyan OUTDIR [--exports]
//
// The services talk HTTP on 127.0.0.1 (one server each, in this process), with W3C
// `traceparent` injected and extracted by the SDK's propagator; the queue hop carries the
// header in the message. Ids come from a seeded generator so a rerun writes the same ids; times
// are the real clock.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const [, , LIB, OUT, ...FLAGS] = process.argv;
if (!['pino', 'winston', 'bunyan'].includes(LIB) || !OUT) {
  console.error('usage: node gen.js pino|winston|bunyan OUTDIR [--exports]');
  process.exit(2);
}
const WITH_EXPORTS = FLAGS.includes('--exports');

// The instrumentation must be registered before the logging library is loaded: it patches the
// module as it is required.
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const Instrumentation = {
  pino: () => new (require('@opentelemetry/instrumentation-pino').PinoInstrumentation)({ disableLogSending: true }),
  winston: () => new (require('@opentelemetry/instrumentation-winston').WinstonInstrumentation)({ disableLogSending: true }),
  bunyan: () => new (require('@opentelemetry/instrumentation-bunyan').BunyanInstrumentation)({ disableLogSending: true }),
}[LIB];
registerInstrumentations({ instrumentations: [Instrumentation()] });

const api = require('@opentelemetry/api');
const { context, propagation, trace, SpanKind, SpanStatusCode, ROOT_CONTEXT } = api;
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

/** Seeded ids (mulberry32), so a rerun gives the same trace and span ids. */
class SeededIds {
  constructor(seed) { this.s = seed >>> 0; }
  word() {
    let t = (this.s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0).toString(16).padStart(8, '0');
  }
  generateTraceId() { return this.word() + this.word() + this.word() + this.word(); }
  generateSpanId() { return this.word() + this.word(); }
}
const ids = new SeededIds({ pino: 101, winston: 202, bunyan: 303 }[LIB]);

fs.mkdirSync(path.join(OUT, 'logs'), { recursive: true });
const exporter = new InMemorySpanExporter();
const truthLines = [];
// The program's own clock at each log call, in ns: the envelopes' outer timestamps come from it.
const epochOffsetNs = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();

/** A stream that writes synchronously, so the file order is the order of the calls. */
function fileStream(file) {
  const fd = fs.openSync(file, 'w');
  const { Writable } = require('stream');
  const w = new Writable({
    write(chunk, _enc, cb) { fs.writeSync(fd, chunk); cb(); },
  });
  w.fd = fd;
  return w;
}

function makeLogger(service, file) {
  if (LIB === 'pino') {
    const pino = require('pino');
    // pino's `name` is how most pino users name their service.
    return pino({ name: service, level: 'debug', base: { pid: 1, hostname: `${service}-7d9f8b6c5-x2x9z` } },
      pino.destination({ dest: file, sync: true }));
  }
  if (LIB === 'winston') {
    const winston = require('winston');
    return winston.createLogger({
      level: 'debug',
      defaultMeta: { service },
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      transports: [new winston.transports.Stream({ stream: fileStream(file) })],
    });
  }
  const bunyan = require('bunyan');
  // bunyan requires `name`: it is the service, as every bunyan user writes it.
  return bunyan.createLogger({
    name: service, hostname: `${service}-7d9f8b6c5-x2x9z`, pid: 1, level: 'debug',
    streams: [{ stream: fileStream(file) }], serializers: bunyan.stdSerializers,
  });
}

/** One service: its own tracer provider (its own `service.name`) and its own log file. */
class Service {
  constructor(name) {
    this.name = name;
    this.file = `logs/${name}.log`;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name }),
      idGenerator: ids,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    this.tracer = provider.getTracer(`conformance-${name}`);
    this.logger = makeLogger(name, path.join(OUT, this.file));
  }

  /** Logs through the library and records what the SDK's context says the line belongs to. */
  log(level, message, fields = {}, namesParent = null) {
    const span = trace.getSpan(context.active());
    const sc = span && span.spanContext();
    truthLines.push({
      file: this.file, service: this.name, level, message,
      trace_id: sc ? sc.traceId : null, span_id: sc ? sc.spanId : null,
      names_parent: namesParent,
      time_ns: (epochOffsetNs + process.hrtime.bigint()).toString(),
    });
    if (LIB === 'winston') this.logger.log(level, message, fields);
    else this.logger[level](fields, message);
  }

  /** Runs `fn` inside a new active span; the span ends when `fn` settles. */
  async span(name, kind, fn, parentCtx = context.active()) {
    const span = this.tracer.startSpan(name, { kind }, parentCtx);
    const ctx = trace.setSpan(parentCtx, span);
    try {
      const out = await context.with(ctx, () => fn(span));
      return out;
    } catch (e) {
      span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      throw e;
    } finally {
      span.end();
    }
  }

  /** An HTTP server on loopback: each request gets a SERVER span from the extracted context. */
  listen(routes) {
    this.server = http.createServer((req, res) => {
      const parentCtx = propagation.extract(ROOT_CONTEXT, req.headers);
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const name = `${req.method} ${req.url}`;
        this.span(name, SpanKind.SERVER, async (span) => {
          span.setAttribute('http.request.method', req.method);
          span.setAttribute('url.path', req.url);
          const [code, reply] = await routes[req.url](JSON.parse(body || '{}'), span);
          span.setAttribute('http.response.status_code', code);
          if (code >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${code}` });
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(reply));
        }, parentCtx);
      });
    });
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = this.server.address().port;
      this.log('info', `listening on 127.0.0.1:${this.port}`);
      resolve();
    }));
  }

  /** An HTTP call with a CLIENT span whose context goes out in `traceparent`. */
  call(target, route, payload) {
    return this.span(`POST ${target.name}${route}`, SpanKind.CLIENT, (span) => new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/json' };
      propagation.inject(context.active(), headers);
      const req = http.request({ host: '127.0.0.1', port: target.port, path: route, method: 'POST', headers }, (res) => {
        let data = '';
        res.on('data', (d) => { data += d; });
        res.on('end', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
          resolve({ status: res.statusCode, body: JSON.parse(data) });
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify(payload));
    }));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A declined card as payment providers' SDKs throw it: an Error with a stack. */
class CardDeclined extends Error {
  constructor(msg) { super(msg); this.name = 'CardDeclined'; }
}

async function main() {
  const gateway = new Service('gateway');
  const checkout = new Service('checkout');
  const payments = new Service('payments');
  const fulfillment = new Service('fulfillment');
  const queue = []; // the broker: messages with their headers

  let declineNext = 0; // how many of the next charges fail
  await payments.listen({
    '/charge': async (req) => {
      payments.log('info', 'charging card', { order_id: req.order_id, amount_cents: req.amount_cents });
      await sleep(3);
      if (declineNext > 0) {
        declineNext -= 1;
        const err = new CardDeclined(`card declined by issuer for order ${req.order_id}`);
        payments.log('error', 'charge failed', LIB === 'winston'
          ? { error: { type: err.name, message: err.message, stack: err.stack } }
          : { err });
        trace.getSpan(context.active()).recordException(err);
        return [502, { error: 'declined' }];
      }
      payments.log('info', 'charge authorized', { order_id: req.order_id, auth_code: 'A1234' });
      return [200, { auth: 'A1234' }];
    },
  });

  await checkout.listen({
    '/orders': async (req) => {
      checkout.log('info', 'order received', { order_id: req.order_id });
      // An in-process hop: nested spans inside checkout.
      const total = await checkout.span('price cart', SpanKind.INTERNAL, async () => {
        checkout.log('debug', 'pricing cart', { items: 3 });
        await checkout.span('load catalog', SpanKind.INTERNAL, async () => {
          await sleep(2);
          checkout.log('debug', 'catalog loaded', { skus: 3 });
        });
        return 4200;
      });
      // A retry: the first attempt may fail, the second is logged as a retry.
      let res;
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        res = await checkout.call(payments, '/charge', { order_id: req.order_id, amount_cents: total });
        if (res.status < 500) break;
        checkout.log('warn', attempt < 2 ? 'payment failed, retrying' : 'payment failed, giving up',
          { attempt, status: res.status });
      }
      if (res.status >= 500) {
        checkout.log('error', 'order failed', { order_id: req.order_id, status: 502 });
        return [502, { error: 'payment failed' }];
      }
      // A queue hop: the producer logs what it sends; the header travels in the message.
      await checkout.span('orders publish', SpanKind.PRODUCER, async () => {
        const headers = {};
        propagation.inject(context.active(), headers);
        const message = { id: `msg-${req.order_id}`, body: { order_id: req.order_id }, headers };
        queue.push(message);
        checkout.log('info', 'message sent', { 'messaging.destination': 'orders', message_id: message.id });
      });
      checkout.log('info', 'order placed', { order_id: req.order_id, status: 201 });
      return [201, { order_id: req.order_id }];
    },
  });

  await gateway.listen({
    '/api/checkout': async (req) => {
      gateway.log('info', 'request received', { 'http.method': 'POST', 'url.path': '/api/checkout' });
      const res = await gateway.call(checkout, '/orders', req);
      if (res.status >= 500) {
        gateway.log('error', 'request failed', { status: res.status });
        return [res.status, res.body];
      }
      gateway.log('info', 'request completed', { status: res.status });
      return [res.status, res.body];
    },
  });

  fulfillment.log('info', 'consumer started', { 'messaging.destination': 'orders' });

  /** The async consumer: runs after the request has ended, from the message's headers only. */
  async function consume() {
    const message = queue.shift();
    const parentCtx = propagation.extract(ROOT_CONTEXT, message.headers);
    const producer = trace.getSpanContext(parentCtx);
    await fulfillment.span('orders process', SpanKind.CONSUMER, async () => {
      fulfillment.log('info', 'message received', {
        message_id: message.id, message_headers: message.headers,
      }, producer.spanId);
      await fulfillment.span('reserve stock', SpanKind.INTERNAL, async () => {
        await sleep(2);
        fulfillment.log('info', 'stock reserved', { order_id: message.body.order_id });
      });
    }, parentCtx);
  }

  /** The client: an untraced caller (a browser), so the gateway starts each trace. */
  function client(orderId) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gateway.port, path: '/api/checkout', method: 'POST' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ order_id: orderId }));
    });
  }

  // Trace 1: the happy path, then the consumer after the response.
  await client('o-1001');
  await sleep(5);
  await context.with(ROOT_CONTEXT, consume);
  // Trace 2: one declined charge, a retry that succeeds, then the consumer.
  declineNext = 1;
  await client('o-1002');
  await sleep(5);
  await context.with(ROOT_CONTEXT, consume);
  // Trace 3: both attempts declined: the request fails end to end.
  declineNext = 2;
  await client('o-1003');

  for (const s of [gateway, checkout, payments]) s.log('info', 'shutting down');
  fulfillment.log('info', 'consumer stopped');
  for (const s of [gateway, checkout, payments]) await new Promise((r) => s.server.close(r));

  const spans = exporter.getFinishedSpans();
  const { writeTruth, writeExports } = require('./truth');
  writeTruth(OUT, `node gen.js ${LIB}`, LIB, spans, truthLines);
  if (WITH_EXPORTS) await writeExports(OUT, spans);
}

main().catch((e) => { console.error(e); process.exit(1); });
