//! Writes one conformance corpus from Rust: four services logging through `tracing` with
//! `tracing-subscriber`'s JSON formatter, their spans made by `tracing-opentelemetry` on the real
//! OpenTelemetry SDK (`opentelemetry_sdk`), calling each other over HTTP on 127.0.0.1 (a
//! `tiny_http` server per service, `ureq` clients) with W3C `traceparent` injected and extracted
//! by the SDK's `TraceContextPropagator`. The truth is the SDK's finished spans
//! (`InMemorySpanExporter`), never the logs.
//!
//!     tracegrep-conformance-rust otel-ids|span-fields OUTDIR [--exports]
//!
//! otel-ids:    the JSON formatter wrapped in a `FormatEvent` that adds the current span's OTel
//!              `trace_id`/`span_id` (read from `tracing-opentelemetry`'s `OtelData`) at the root
//!              of each line: what most Rust services that log OTel ids do.
//! span-fields: the plain JSON formatter; every span declares `trace_id`, `span_id` and
//!              `parent_span_id` fields and records the OTel ids into them when it starts, so
//!              they appear in `span` and `spans[]`.
//!
//! Each service has its own tracer provider (its own `service.name`) and its own subscriber,
//! installed as the thread default on the threads that do that service's work, so one process
//! runs the four services as four would run. Ids come from seeded generators, so a rerun writes
//! the same ids; times are the real clock.
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanId, Status, TraceContextExt, TraceId, TracerProvider as _};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, InMemorySpanExporter, SdkTracerProvider, SpanData};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value};
use tracing::field::Empty;
use tracing::{Dispatch, Event, Span, Subscriber};
use tracing_opentelemetry::{OpenTelemetrySpanExt, OtelData};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

const LOCK: &str = include_str!("../Cargo.lock");

#[derive(Clone, Copy, PartialEq)]
enum Lib {
    OtelIds,
    SpanFields,
}

/// Seeded ids (splitmix64), so a rerun gives the same trace and span ids.
#[derive(Debug)]
struct SeededIds(Mutex<u64>);

impl SeededIds {
    fn next(&self) -> u64 {
        let mut s = self.0.lock().unwrap();
        *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)).max(1)
    }
}

impl IdGenerator for SeededIds {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from(((self.next() as u128) << 64) | self.next() as u128)
    }
    fn new_span_id(&self) -> SpanId {
        SpanId::from(self.next())
    }
}

/// The JSON formatter, with the current span's OTel ids added at the root of the line.
struct WithOtelIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithOtelIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let ids = ctx.lookup_current().and_then(|span| {
            let ext = span.extensions();
            let otel = ext.get::<OtelData>()?;
            Some((otel.trace_id()?, otel.span_id()?))
        });
        match ids {
            Some((trace, span)) if trace != TraceId::INVALID => {
                let body = line.trim_end().strip_suffix('}').unwrap_or(&line);
                writeln!(
                    writer,
                    "{body},\"trace_id\":\"{trace}\",\"span_id\":\"{span}\"}}"
                )
            }
            _ => writer.write_str(&line),
        }
    }
}

/// One log call as the program made it: what the SDK's context says the line belongs to.
struct TruthLine(Value);

/// The broker: messages with their headers.
struct Message {
    id: String,
    order_id: String,
    headers: HashMap<String, String>,
}

/// One service: its own provider, subscriber, exporter and log file.
struct Service {
    name: &'static str,
    lib: Lib,
    dispatch: Dispatch,
    provider: SdkTracerProvider,
    exporter: InMemorySpanExporter,
    resource: Resource,
    lines: Arc<Mutex<Vec<TruthLine>>>,
    /// span id → parent span id, as the program set them (for the lines that name a parent).
    parents: Mutex<HashMap<String, String>>,
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Service {
    fn new(
        name: &'static str,
        lib: Lib,
        seed: u64,
        out: &str,
        lines: Arc<Mutex<Vec<TruthLine>>>,
    ) -> Arc<Self> {
        let exporter = InMemorySpanExporter::default();
        let resource = Resource::builder().with_service_name(name).build();
        let provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_id_generator(SeededIds(Mutex::new(seed)))
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer(format!("conformance-{name}"));
        let file = File::create(format!("{out}/logs/{name}.log")).expect("log file");
        let fmt = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Mutex::new(file));
        let json = tracing_subscriber::fmt::format().json();
        let fmt: Box<dyn Layer<_> + Send + Sync> = match lib {
            Lib::OtelIds => fmt
                .fmt_fields(JsonFields::new())
                .event_format(WithOtelIds(json))
                .boxed(),
            Lib::SpanFields => fmt.fmt_fields(JsonFields::new()).event_format(json).boxed(),
        };
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(tracer))
            .with(fmt.with_filter(LevelFilter::DEBUG));
        Arc::new(Service {
            name,
            lib,
            dispatch: Dispatch::new(subscriber),
            provider,
            exporter,
            resource,
            lines,
            parents: Mutex::new(HashMap::new()),
        })
    }

    /// Runs `f` with this service's subscriber as the thread's default.
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// Records a log call in the truth: the span the SDK's context holds at the call.
    fn note(&self, level: &str, message: &str, names_parent: Option<String>) {
        let cx = Span::current().context();
        let sc = cx.span().span_context().clone();
        let (trace, span) = if sc.is_valid() {
            (
                Some(sc.trace_id().to_string()),
                Some(sc.span_id().to_string()),
            )
        } else {
            (None, None)
        };
        // In span-fields, a line names the parent its span recorded.
        let names_parent = names_parent.or_else(|| match (self.lib, &span) {
            (Lib::SpanFields, Some(id)) => self.parents.lock().unwrap().get(id).cloned(),
            _ => None,
        });
        self.lines.lock().unwrap().push(TruthLine(json!({
            "file": format!("logs/{}.log", self.name),
            "service": self.name,
            "level": level,
            "message": message,
            "trace_id": trace,
            "span_id": span,
            "names_parent": names_parent,
            "time_ns": now_ns().to_string(),
        })));
    }

    /// Starts the OTel side of a new tracing span: its parent (a remote context, else the
    /// current span), and in span-fields its ids recorded as fields.
    fn start(&self, span: Span, remote: Option<Context>) -> Span {
        let parent = match remote {
            Some(cx) => {
                span.set_parent(cx.clone())
                    .expect("set_parent before start");
                cx
            }
            None => Span::current().context(),
        };
        let sc = span.context().span().span_context().clone();
        let psc = parent.span().span_context().clone();
        if psc.is_valid() {
            self.parents
                .lock()
                .unwrap()
                .insert(sc.span_id().to_string(), psc.span_id().to_string());
        }
        if self.lib == Lib::SpanFields {
            span.record("trace_id", sc.trace_id().to_string());
            span.record("span_id", sc.span_id().to_string());
            if psc.is_valid() {
                span.record("parent_span_id", psc.span_id().to_string());
            }
        }
        span
    }
}

/// A tracing span with the OTel name and kind as `tracing-opentelemetry` reads them, and the id
/// fields span-fields records.
macro_rules! otel_span {
    ($svc:expr, $name:literal, $otel:expr, $kind:literal, $remote:expr) => {
        $svc.start(
            tracing::info_span!(
                $name,
                otel.name = %$otel,
                otel.kind = $kind,
                trace_id = Empty,
                span_id = Empty,
                parent_span_id = Empty
            ),
            $remote,
        )
    };
}

/// Logs through tracing and records the call in the truth. Each service logs under a target of
/// its own, as a crate of its own would (`checkout::orders`): one binary plays four services here.
macro_rules! log {
    ($svc:expr, $lvl:ident, $msg:expr $(, $($f:tt)+)?) => {{
        let msg: String = $msg.to_string();
        $svc.note(stringify!($lvl), &msg, None);
        match $svc.name {
            "gateway" => tracing::$lvl!(target: "gateway::http", $($($f)+ ,)? "{}", msg),
            "checkout" => tracing::$lvl!(target: "checkout::orders", $($($f)+ ,)? "{}", msg),
            "payments" => tracing::$lvl!(target: "payments::charge", $($($f)+ ,)? "{}", msg),
            _ => tracing::$lvl!(target: "fulfillment::consumer", $($($f)+ ,)? "{}", msg),
        }
    }};
}

/// A declined card, caused by the issuer's answer: an error with a source chain.
#[derive(Debug)]
struct CardDeclined {
    order_id: String,
    source: IssuerResponse,
}

#[derive(Debug)]
struct IssuerResponse(&'static str);

impl fmt::Display for CardDeclined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card declined by issuer for order {}", self.order_id)
    }
}
impl fmt::Display for IssuerResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "issuer answered {}", self.0)
    }
}
impl std::error::Error for IssuerResponse {}
impl std::error::Error for CardDeclined {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// What a handler answers: status and JSON body.
type Reply = (u16, Value);

/// An HTTP server on loopback on its own thread: each request gets a SERVER span whose parent is
/// the context the propagator extracts from the request headers.
fn listen(svc: Arc<Service>, handler: impl Fn(&Service, Value) -> Reply + Send + 'static) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("listen");
    let port = server.server_addr().to_ip().expect("ip").port();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        let s = svc.clone();
        s.run(|| {
            log!(svc, info, format!("listening on 127.0.0.1:{port}"));
            ready_tx.send(()).unwrap();
            for mut req in server.incoming_requests() {
                let path = req.url().to_string();
                if path == "/_shutdown" {
                    log!(svc, info, "shutting down");
                    req.respond(tiny_http::Response::empty(204)).unwrap();
                    break;
                }
                let headers: HashMap<String, String> = req
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.to_string(),
                        )
                    })
                    .collect();
                let mut body = String::new();
                req.as_reader().read_to_string(&mut body).unwrap();
                let parent = TraceContextPropagator::new().extract(&headers);
                let method = req.method().to_string();
                let span = otel_span!(
                    svc,
                    "request",
                    format!("{method} {path}"),
                    "server",
                    Some(parent)
                );
                let (code, reply) = span.in_scope(|| {
                    span.set_attribute("http.request.method", method.clone());
                    span.set_attribute("url.path", path.clone());
                    let (code, reply) =
                        handler(&svc, serde_json::from_str(&body).unwrap_or(json!({})));
                    span.set_attribute("http.response.status_code", code as i64);
                    if code >= 500 {
                        span.set_status(Status::error(format!("HTTP {code}")));
                    }
                    (code, reply)
                });
                drop(span);
                let resp = tiny_http::Response::from_string(reply.to_string())
                    .with_status_code(code)
                    .with_header(
                        "content-type: application/json"
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                req.respond(resp).unwrap();
            }
        })
    });
    ready_rx.recv().unwrap();
    port
}

/// An HTTP call with a CLIENT span whose context goes out in `traceparent`.
fn call(svc: &Service, target: &str, port: u16, route: &str, payload: &Value) -> Reply {
    let span = otel_span!(svc, "call", format!("POST {target}{route}"), "client", None);
    let _in = span.enter();
    let mut headers = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut headers);
    let mut req = ureq::post(&format!("http://127.0.0.1:{port}{route}"))
        .set("content-type", "application/json");
    for (k, v) in &headers {
        req = req.set(k, v);
    }
    let (code, body) = match req.send_string(&payload.to_string()) {
        Ok(resp) => (resp.status(), resp.into_string().unwrap()),
        Err(ureq::Error::Status(code, resp)) => (code, resp.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    };
    span.set_attribute("http.response.status_code", code as i64);
    if code >= 500 {
        span.set_status(Status::error(format!("HTTP {code}")));
    }
    (code, serde_json::from_str(&body).unwrap())
}

fn sleep_ms(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (lib, seed) = match args.get(1).map(String::as_str) {
        Some("otel-ids") => (Lib::OtelIds, 707u64),
        Some("span-fields") => (Lib::SpanFields, 808u64),
        _ => {
            eprintln!("usage: tracegrep-conformance-rust otel-ids|span-fields OUTDIR [--exports]");
            std::process::exit(2);
        }
    };
    let out = args.get(2).expect("OUTDIR").clone();
    let with_exports = args.iter().any(|a| a == "--exports");
    std::fs::create_dir_all(format!("{out}/logs")).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let gateway = Service::new("gateway", lib, seed * 10 + 1, &out, lines.clone());
    let checkout = Service::new("checkout", lib, seed * 10 + 2, &out, lines.clone());
    let payments = Service::new("payments", lib, seed * 10 + 3, &out, lines.clone());
    let fulfillment = Service::new("fulfillment", lib, seed * 10 + 4, &out, lines.clone());
    let queue: Arc<Mutex<VecDeque<Message>>> = Arc::default();
    let decline_next = Arc::new(Mutex::new(0u32));

    let declines = decline_next.clone();
    let payments_port = listen(payments.clone(), move |svc, req| {
        let order = req["order_id"].as_str().unwrap_or("").to_string();
        log!(svc, info, "charging card", order_id = %order, amount_cents = req["amount_cents"].as_i64());
        sleep_ms(3);
        let mut d = declines.lock().unwrap();
        if *d > 0 {
            *d -= 1;
            let err = CardDeclined {
                order_id: order.clone(),
                source: IssuerResponse("05: do not honor"),
            };
            let backtrace = std::backtrace::Backtrace::force_capture();
            log!(svc, error, "charge failed",
                error = &err as &(dyn std::error::Error + 'static),
                error.chain = %format!("{err}: {}", err.source),
                backtrace = %backtrace);
            return (502, json!({"error": "declined"}));
        }
        log!(svc, info, "charge authorized", order_id = %order, auth_code = "A1234");
        (200, json!({"auth": "A1234"}))
    });

    let q = queue.clone();
    let checkout_port = listen(checkout.clone(), move |svc, req| {
        let order = req["order_id"].as_str().unwrap_or("").to_string();
        log!(svc, info, "order received", order_id = %order);
        // An in-process hop: nested spans inside checkout.
        let total = otel_span!(svc, "price_cart", "price cart", "internal", None).in_scope(|| {
            log!(svc, debug, "pricing cart", items = 3);
            otel_span!(svc, "load_catalog", "load catalog", "internal", None).in_scope(|| {
                sleep_ms(2);
                log!(svc, debug, "catalog loaded", skus = 3);
            });
            4200
        });
        // A retry: the first attempt may fail, the second is logged as a retry.
        let mut res = (0, Value::Null);
        for attempt in 1..=2 {
            res = call(
                svc,
                "payments",
                payments_port,
                "/charge",
                &json!({"order_id": order, "amount_cents": total}),
            );
            if res.0 < 500 {
                break;
            }
            let msg = if attempt < 2 {
                "payment failed, retrying"
            } else {
                "payment failed, giving up"
            };
            log!(svc, warn, msg, attempt, status = res.0);
        }
        if res.0 >= 500 {
            log!(svc, error, "order failed", order_id = %order, status = 502);
            return (502, json!({"error": "payment failed"}));
        }
        // A queue hop: the producer logs what it sends; the header travels in the message.
        otel_span!(svc, "publish", "orders publish", "producer", None).in_scope(|| {
            let mut headers = HashMap::new();
            TraceContextPropagator::new().inject_context(&Span::current().context(), &mut headers);
            let id = format!("msg-{order}");
            q.lock().unwrap().push_back(Message {
                id: id.clone(),
                order_id: order.clone(),
                headers,
            });
            log!(svc, info, "message sent", message_id = %id, messaging.destination = "orders");
        });
        log!(svc, info, "order placed", order_id = %order, status = 201);
        (201, json!({"order_id": order}))
    });

    let gateway_port = listen(gateway.clone(), move |svc, req| {
        log!(
            svc,
            info,
            "request received",
            order_id = req["order_id"].as_str(),
            http.method = "POST",
            url.path = "/api/checkout"
        );
        let (code, body) = call(svc, "checkout", checkout_port, "/orders", &req);
        if code >= 500 {
            log!(svc, error, "request failed", status = code);
        } else {
            log!(svc, info, "request completed", status = code);
        }
        (code, body)
    });

    // The async consumer: its own thread, runs after the request has ended, from the message's
    // headers only.
    let (consume_tx, consume_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let consumer = {
        let svc = fulfillment.clone();
        let q = queue.clone();
        thread::spawn(move || {
            let s = svc.clone();
            s.run(|| {
                log!(svc, info, "consumer started", destination = "orders");
                done_tx.send(()).unwrap();
                while consume_rx.recv().is_ok() {
                    let msg = q.lock().unwrap().pop_front().expect("a message");
                    let parent = TraceContextPropagator::new().extract(&msg.headers);
                    let producer = parent.span().span_context().span_id().to_string();
                    otel_span!(svc, "process", "orders process", "consumer", Some(parent))
                        .in_scope(|| {
                            let message = "message received";
                            svc.note("info", message, Some(producer));
                            // The incoming `traceparent` as it came in the message headers: tracing fields are
                            // flat, so the header is a field of its own.
                            tracing::info!(
                                target: "fulfillment::consumer",
                                message_id = %msg.id,
                                traceparent = %msg.headers["traceparent"],
                                "{}",
                                message
                            );
                            otel_span!(svc, "reserve_stock", "reserve stock", "internal", None)
                                .in_scope(|| {
                                    sleep_ms(2);
                                    log!(svc, info, "stock reserved", order_id = %msg.order_id);
                                });
                        });
                    done_tx.send(()).unwrap();
                }
                log!(svc, info, "consumer stopped");
            })
        })
    };
    done_rx.recv().unwrap();

    // The client: an untraced caller (a browser), so the gateway starts each trace.
    let client = |order: &str| {
        let url = format!("http://127.0.0.1:{gateway_port}/api/checkout");
        match ureq::post(&url).send_string(&json!({"order_id": order}).to_string()) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        }
    };
    let consume = || {
        consume_tx.send(()).unwrap();
        done_rx.recv().unwrap();
    };
    // Trace 1: the happy path, then the consumer after the response.
    client("o-1001");
    sleep_ms(5);
    consume();
    // Trace 2: one declined charge, a retry that succeeds, then the consumer.
    *decline_next.lock().unwrap() = 1;
    client("o-1002");
    sleep_ms(5);
    consume();
    // Trace 3: both attempts declined: the request fails end to end.
    *decline_next.lock().unwrap() = 2;
    client("o-1003");

    for port in [gateway_port, checkout_port, payments_port] {
        ureq::get(&format!("http://127.0.0.1:{port}/_shutdown"))
            .call()
            .unwrap();
    }
    drop(consume_tx);
    consumer.join().unwrap();

    let services = [&gateway, &checkout, &payments, &fulfillment];
    let mut spans: Vec<(&Service, SpanData)> = Vec::new();
    for svc in services {
        svc.provider.force_flush().unwrap();
        for s in svc.exporter.get_finished_spans().unwrap() {
            spans.push((svc, s));
        }
    }
    let generator = format!("tracegrep-conformance-rust {}", args[1]);
    write_truth(&out, &generator, &spans, &lines.lock().unwrap());
    if with_exports {
        write_otlp(&out, &services);
    }
}

fn nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

/// RFC 3339 with 9 fraction digits, in UTC.
fn rfc3339(ns: u128) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let frac = ns % 1_000_000_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The versions Cargo.lock pins for the packages that matter here.
fn versions() -> Value {
    let mut out = serde_json::Map::new();
    let mut name = "";
    for line in LOCK.lines() {
        if let Some(n) = line.strip_prefix("name = \"") {
            name = n.trim_end_matches('"');
        } else if let Some(v) = line.strip_prefix("version = \"") {
            if [
                "tracing",
                "tracing-subscriber",
                "tracing-opentelemetry",
                "opentelemetry",
                "opentelemetry_sdk",
                "opentelemetry-proto",
                "tiny_http",
                "ureq",
            ]
            .contains(&name)
            {
                out.insert(name.to_string(), json!(v.trim_end_matches('"')));
            }
        }
    }
    if let Ok(rustc) = std::env::var("RUSTC_VERSION") {
        out.insert("rustc".into(), json!(rustc));
    }
    Value::Object(out)
}

/// Writes truth.json: every span as the SDK finished it, every line as the program logged it.
fn write_truth(out: &str, generator: &str, spans: &[(&Service, SpanData)], lines: &[TruthLine]) {
    let spans: Vec<Value> = spans
        .iter()
        .map(|(svc, s)| {
            let (status, message) = match &s.status {
                Status::Unset => ("UNSET", None),
                Status::Ok => ("OK", None),
                Status::Error { description } => ("ERROR", Some(description.to_string())),
            };
            let kind = match s.span_kind {
                opentelemetry::trace::SpanKind::Server => "SERVER",
                opentelemetry::trace::SpanKind::Client => "CLIENT",
                opentelemetry::trace::SpanKind::Producer => "PRODUCER",
                opentelemetry::trace::SpanKind::Consumer => "CONSUMER",
                opentelemetry::trace::SpanKind::Internal => "INTERNAL",
            };
            let (start, end) = (nanos(s.start_time), nanos(s.end_time));
            json!({
                "trace_id": s.span_context.trace_id().to_string(),
                "span_id": s.span_context.span_id().to_string(),
                "parent_span_id": (s.parent_span_id != SpanId::INVALID).then(|| s.parent_span_id.to_string()),
                "service": svc.name,
                "name": s.name,
                "kind": kind,
                "start": rfc3339(start),
                "end": rfc3339(end),
                "start_ns": start.to_string(),
                "end_ns": end.to_string(),
                "status": status,
                "status_message": message.filter(|m| !m.is_empty()),
            })
        })
        .collect();
    let truth = json!({
        "schema": "tracegrep.conformance.truth",
        "schema_version": 1,
        "generator": generator,
        "libraries": versions(),
        "spans": spans,
        "lines": lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&truth).unwrap();
    text.push('\n');
    std::fs::write(format!("{out}/truth.json"), text).unwrap();
}

/// OTLP/JSON of every span: the SDK's spans through opentelemetry-proto's transform and its
/// serde serialisation (what the OTLP/HTTP exporter sends with the JSON protocol), one
/// ResourceSpans per service; on one line and indented.
fn write_otlp(out: &str, services: &[&Arc<Service>]) {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    let mut resource_spans = Vec::new();
    for svc in services {
        let spans = svc.exporter.get_finished_spans().unwrap();
        let resource = ResourceAttributesWithSchema::from(&svc.resource);
        resource_spans.extend(group_spans_by_resource_and_scope(spans, &resource));
    }
    let req = ExportTraceServiceRequest { resource_spans };
    let dir = format!("{out}/exports");
    std::fs::create_dir_all(&dir).unwrap();
    let mut one = serde_json::to_string(&req).unwrap();
    one.push('\n');
    std::fs::write(format!("{dir}/otlp.json"), one).unwrap();
    let mut pretty = serde_json::to_string_pretty(&req).unwrap();
    pretty.push('\n');
    std::fs::write(format!("{dir}/otlp.pretty.json"), pretty).unwrap();
}
