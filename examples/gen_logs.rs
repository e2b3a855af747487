//! Generates realistic interleaved multi-service JSON logs with their ground truth.
//!
//! ```sh
//! cargo run --release --example gen_logs -- --out /tmp/tg --size 1G --seed 7
//! cargo run --release --example gen_logs -- --out /tmp/tg --needle typical   # print an id
//! cargo run --release --example gen_logs -- --out /tmp/slow --slow payments=3   # a regression
//! ```
//!
//! Writes `DIR/logs/<service>.jsonl` (or `DIR/logs/kubectl.log` with `--kubectl`) and
//! `DIR/truth.json`. Output is a pure function of the options: the same command gives the same
//! bytes, so `--stdout` streams what a run without it would write (same needles).

#[allow(dead_code)]
mod common;

use std::process::ExitCode;

use common::gen::{generate, parse_service_number, parse_size, Options};

const USAGE: &str = "usage: gen_logs --out DIR [--size 20M] [--seed 1] [--services 13] [--kubectl [--stdout]] \
[--rate 120] [--noise 0.02] [--quiet]\n       \
[--slow SERVICE=FACTOR]... [--fail-rate SERVICE=P]...   (the same traffic, a service slower or failing)\n       gen_logs --out DIR --needle rare|frequent|typical|error|absent|all\n       \
gen_logs --out DIR --spellings NEEDLE   (every spelling of its id, one a line)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_logs: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut opts = Options::new("", 20 << 20, 1);
    let (mut out, mut needle, mut quiet, mut spellings) = (None, None, false, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(val()?),
            "--size" => opts.size = parse_size(&val()?).ok_or("bad --size")?,
            "--seed" => opts.seed = val()?.parse().map_err(|_| "bad --seed")?,
            "--services" => opts.services = val()?.parse().map_err(|_| "bad --services")?,
            "--rate" => opts.rate = val()?.parse().map_err(|_| "bad --rate")?,
            "--noise" => opts.noise = val()?.parse().map_err(|_| "bad --noise")?,
            "--slow" => opts
                .slow
                .push(parse_service_number(&val()?).ok_or("bad --slow (SERVICE=FACTOR)")?),
            "--fail-rate" => opts
                .fail_rate
                .push(parse_service_number(&val()?).ok_or("bad --fail-rate (SERVICE=P)")?),
            "--kubectl" => opts.kubectl = true,
            "--stdout" => opts.stdout = true,
            "--needle" => needle = Some(val()?),
            "--spellings" => {
                needle = Some(val()?);
                spellings = true;
            }
            "--quiet" => quiet = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let out = out.ok_or("--out is required")?;
    opts.out = out.into();
    if let Some(name) = needle {
        let truth = common::truth::Truth::load(&opts.out.join("truth.json"))?;
        if name == "all" {
            for (n, v) in &truth.needles {
                println!("{n}\t{}\t{}", v.trace_id, v.lines);
            }
            return Ok(());
        }
        let n = truth
            .needles
            .get(&name)
            .ok_or(format!("no needle {name}"))?;
        if spellings {
            // Every spelling of the id in the logs, one a line (for `rg -F -f`).
            let t = truth.trace(&n.trace_id).ok_or("needle not in the truth")?;
            for s in &t.spellings {
                println!("{}", s.value);
            }
            return Ok(());
        }
        println!("{}", n.trace_id);
        return Ok(());
    }
    if opts
        .out
        .join("logs")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some())
    {
        return Err(format!("{}/logs is not empty", opts.out.display()));
    }
    let t0 = std::time::Instant::now();
    let sum = generate(&opts).map_err(|e| e.to_string())?;
    if !quiet {
        let secs = t0.elapsed().as_secs_f64();
        let t = &sum.totals;
        eprintln!(
            "{} bytes, {} lines ({} with a trace, {} without, {} not JSON), {} traces, {} spans in {secs:.1} s ({:.0} MiB/s)",
            t.bytes,
            t.lines,
            t.trace_lines,
            t.ambient_json_lines,
            t.non_json_lines,
            t.traces,
            t.spans,
            t.bytes as f64 / secs / (1 << 20) as f64
        );
        for (n, v) in &sum.needles {
            eprintln!("  {n:9} {} ({} lines)", v.trace_id, v.lines);
        }
    }
    Ok(())
}
