// Writes one conformance corpus: the logs of four small services through a real Node logging
// library (pino, winston or bunyan) with the trace context injected by the library's real
// OpenTelemetry instrumentation, and the truth taken from the SDK's own finished spans.
//
//   node gen.js pino|winston|bunyan OUTDIR [--exports]
//   node gen.js serve pino|winston|bunyan OUTDIR SERVICE SEED PEERS_JSON
//
// `serve` runs one service alone in this process (the polyglot corpus: python/polyglot.py
// starts it next to Python services and drives the story over HTTP); PEERS_JSON maps the services
// it calls to their ports. It prints its port, answers the driver's untraced control calls
// (`/_decline`, `/_enqueue`, `/_consume`, `/_shutdown`) and on `/_shutdown` writes its spans and
// lines to OUTDIR/parts/SERVICE.json.
//
// The services talk HTTP on 127.0.0.1 (one server each, in this process), with W3C
// `traceparent` injected and extracted by the SDK's propagator; the queue hop carries the
// header in the message. Ids come from a seeded generator so a rerun writes the same ids; times
// are the real clock.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const SERVE = process.argv[2] === 'serve';
const [LIB, OUT, ...FLAGS] = process.argv.slice(SERVE ? 3 : 2);
const SERVICES = ['gateway', 'checkout', 'payments', 'fulfillment'];
if (!['pino', 'winston', 'bunyan'].includes(LIB) || !OUT
  || (SERVE && (!SERVICES.includes(FLAGS[0]) || FLAGS.length !== 3))) {
  console.error('usage: node gen.js pino|winston|bunyan OUTDIR [--exports]\n'
    + '       node gen.js serve pino|winston|bunyan OUTDIR SERVICE SEED PEERS_JSON');
  process.exit(2);
}
const WITH_EXPORTS = !SERVE && FLAGS.includes('--exports');

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
const ids = new SeededIds(SERVE ? Number(FLAGS[1]) : { pino: 101, winston: 202, bunyan: 303 }[LIB]);

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

  /**
   * An HTTP server on loopback: each request gets a SERVER span from the extracted context.
   * Paths under `/_` go, untraced, to `control` (the polyglot driver's calls); `announce` false
   * leaves the `listening on` line out (a consumer logs `consumer started` instead).
   */
  listen(routes, { control = null, announce = true } = {}) {
    this.server = http.createServer((req, res) => {
      const parentCtx = propagation.extract(ROOT_CONTEXT, req.headers);
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        if (control && req.url.startsWith('/_')) {
          control(req.url, JSON.parse(body || '{}'), res);
          return;
        }
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
      if (announce) this.log('info', `listening on 127.0.0.1:${this.port}`);
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

/** payments' routes; `state.declineNext` is how many of the next charges fail. */
function paymentsRoutes(payments, state) {
  return {
    '/charge': async (req) => {
      payments.log('info', 'charging card', { order_id: req.order_id, amount_cents: req.amount_cents });
      await sleep(3);
      if (state.declineNext > 0) {
        state.declineNext -= 1;
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
  };
}

/** checkout's routes: calls `payments` ({name, port}); `publish` hands a message to the broker. */
function checkoutRoutes(checkout, payments, publish) {
  return {
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
        await publish(message);
        checkout.log('info', 'message sent', { 'messaging.destination': 'orders', message_id: message.id });
      });
      checkout.log('info', 'order placed', { order_id: req.order_id, status: 201 });
      return [201, { order_id: req.order_id }];
    },
  };
}

/** gateway's routes: calls `checkout` ({name, port}). */
function gatewayRoutes(gateway, checkout) {
  return {
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
  };
}

/** The async consumer: runs after the request has ended, from the message's headers only. */
async function consume(fulfillment, message) {
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

/** An untraced POST (the client, the broker): resolves to the status code. */
function post(port, route, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: route, method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

async function main() {
  const gateway = new Service('gateway');
  const checkout = new Service('checkout');
  const payments = new Service('payments');
  const fulfillment = new Service('fulfillment');
  const queue = []; // the broker: messages with their headers
  const state = { declineNext: 0 };

  await payments.listen(paymentsRoutes(payments, state));
  await checkout.listen(checkoutRoutes(checkout, payments, (message) => queue.push(message)));
  await gateway.listen(gatewayRoutes(gateway, checkout));

  fulfillment.log('info', 'consumer started', { 'messaging.destination': 'orders' });

  // The client is an untraced caller (a browser), so the gateway starts each trace.
  const client = (orderId) => post(gateway.port, '/api/checkout', { order_id: orderId });

  // Trace 1: the happy path, then the consumer after the response.
  await client('o-1001');
  await sleep(5);
  await context.with(ROOT_CONTEXT, () => consume(fulfillment, queue.shift()));
  // Trace 2: one declined charge, a retry that succeeds, then the consumer.
  state.declineNext = 1;
  await client('o-1002');
  await sleep(5);
  await context.with(ROOT_CONTEXT, () => consume(fulfillment, queue.shift()));
  // Trace 3: both attempts declined: the request fails end to end.
  state.declineNext = 2;
  await client('o-1003');

  for (const s of [gateway, checkout, payments]) s.log('info', 'shutting down');
  fulfillment.log('info', 'consumer stopped');
  for (const s of [gateway, checkout, payments]) await new Promise((r) => s.server.close(r));

  const spans = exporter.getFinishedSpans();
  const { writeTruth, writeExports } = require('./truth');
  writeTruth(OUT, `node gen.js ${LIB}`, LIB, spans, truthLines);
  if (WITH_EXPORTS) await writeExports(OUT, spans);
}

/**
 * One service alone (`serve`): its peers are other processes, maybe in other languages. The
 * consumer (`fulfillment`) serves only the control calls: the broker's `/_enqueue` and the
 * driver's `/_consume`.
 */
async function serve() {
  const [service, , peersJson] = FLAGS;
  const peers = JSON.parse(peersJson);
  const peer = (name) => ({ name, port: peers[name] });
  const svc = new Service(service);
  const state = { declineNext: 0, queue: [] };
  const routes = {
    payments: () => paymentsRoutes(svc, state),
    checkout: () => checkoutRoutes(svc, peer('payments'), (m) => post(peers.fulfillment, '/_enqueue', m)),
    gateway: () => gatewayRoutes(svc, peer('checkout')),
    fulfillment: () => ({}),
  }[service]();
  const control = async (route, body, res) => {
    if (route === '/_decline') state.declineNext = body.count;
    else if (route === '/_enqueue') state.queue.push(body);
    else if (route === '/_consume') await context.with(ROOT_CONTEXT, () => consume(svc, state.queue.shift()));
    else if (route === '/_shutdown') {
      svc.log('info', service === 'fulfillment' ? 'consumer stopped' : 'shutting down');
      const { spanTruth, libraries, exportZipkin } = require('./truth');
      const spans = exporter.getFinishedSpans();
      const part = { spans: spans.map(spanTruth), lines: truthLines, libraries: libraries(LIB) };
      fs.mkdirSync(path.join(OUT, 'parts'), { recursive: true });
      fs.writeFileSync(path.join(OUT, 'parts', `${service}.json`), JSON.stringify(part));
      if (body.zipkin) await exportZipkin(body.zipkin, spans);
      res.on('finish', () => process.exit(0));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  };
  await svc.listen(routes, { control, announce: service !== 'fulfillment' });
  if (service === 'fulfillment') svc.log('info', 'consumer started', { 'messaging.destination': 'orders' });
  process.stdout.write(`${svc.port}\n`);
}

(SERVE ? serve() : main()).catch((e) => { console.error(e); process.exit(1); });
