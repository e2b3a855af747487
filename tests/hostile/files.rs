//! Damaged bytes, compressed files cut short or inflated, and what a file system can hold
//! in place of a plain file.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::*;

#[test]
fn nul_runs_and_invalid_utf8_inside_json_lines_keep_every_readable_line() {
    let dir = tempdir();
    let path = dir.path().join("app.log");
    let mut bytes = Vec::new();
    for i in 0..200 {
        let l = line(
            TRACE,
            &format!("{:016x}", i + 1),
            None,
            "\"2026-11-20T11:00:01Z\"",
            "ok",
        );
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
        match i % 4 {
            // A run of NUL bytes between lines (a crash), inside a string, and invalid UTF-8.
            0 => bytes.extend_from_slice(&[0u8; 300]),
            1 => bytes.extend_from_slice(
                format!("{{\"trace_id\":\"{TRACE}\",\"span_id\":\"aa{i:014x}\",\"msg\":\"nul\0\0\0here\"}}\n").as_bytes(),
            ),
            2 => {
                bytes.extend_from_slice(format!("{{\"trace_id\":\"{TRACE}\",\"span_id\":\"bb{i:014x}\",\"msg\":\"bad ").as_bytes());
                bytes.extend_from_slice(b"\xff\xfe\xc3\x28 utf8\"}\n");
            }
            _ => {}
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    let out = run(dir.path(), &["--all", "--format", "csv", "app.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(TRACE));
    let trace = run(dir.path(), &["--format", "raw", TRACE, "app.log"]);
    assert_eq!(trace.code, 0, "{}", trace.stderr);
    // Every clean line is kept, and those with a bad region too.
    let clean = trace
        .stdout
        .lines()
        .filter(|l| l.contains("\"ok\""))
        .count();
    assert_eq!(clean, 200, "{}", trace.stderr);
    assert!(
        trace.stdout.lines().count() >= 300,
        "{}",
        trace.stdout.lines().count()
    );
    // One line about the file, naming what it met.
    let about = trace.messages_about("app.log");
    assert_eq!(about.len(), 1, "{}", trace.stderr);
    assert!(
        about[0].contains("NUL byte") && about[0].contains("UTF-8"),
        "{}",
        about[0]
    );
}

/// A line of `len` bytes of the wanted trace (its message a long string), between two short
/// ones.
fn long_line_file(path: &Path, len: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        f,
        "{}",
        line(
            TRACE,
            "00f067aa0ba902b7",
            None,
            "\"2026-11-20T11:00:01Z\"",
            "before"
        )
    )
    .unwrap();
    let head = format!(
        r#"{{"time":"2026-11-20T11:00:02Z","trace_id":"{TRACE}","span_id":"00f067aa0ba902b8","msg":"long "#
    );
    f.write_all(head.as_bytes()).unwrap();
    let chunk = [b'x'; 1 << 16];
    let mut left = len.saturating_sub(head.len() + 3);
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.write_all(b"\"}\n").unwrap();
    writeln!(
        f,
        "{}",
        line(
            TRACE,
            "00f067aa0ba902b9",
            None,
            "\"2026-11-20T11:00:03Z\"",
            "after"
        )
    )
    .unwrap();
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_line_of_hundreds_of_megabytes_is_read_whole() {
    // 40 MB outgrows the stream buffer (1 MiB, doubled as a line needs) five times over; the
    // full run takes the brief's 200 MB.
    let len = if full() { 200 << 20 } else { 40 << 20 };
    let dir = tempdir();
    let path = dir.path().join("long.log");
    let size = long_line_file(&path, len);
    let out = run(dir.path(), &["--all", "--format", "csv", "long.log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // One trace of three lines, the long one among them.
    let mut rows = out.stdout.lines();
    let header: Vec<&str> = rows.next().expect("header").split(',').collect();
    let lines = header
        .iter()
        .position(|h| *h == "lines")
        .expect("a lines column");
    let row: Vec<&str> = rows.next().expect("the trace").split(',').collect();
    assert_eq!(row[0], TRACE);
    assert_eq!(row[lines], "3", "{row:?}");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.assert_memory_within(size);
}

#[test]
fn nesting_a_hundred_thousand_deep_is_damage_not_a_crash() {
    let dir = tempdir();
    let path = dir.path().join("deep.log");
    let depth = 100_000;
    let arrays = format!(
        r#"{{"trace_id":"{TRACE}","span_id":"00000000000000a1","msg":"arrays","x":{}1{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let objects = format!(
        r#"{{"trace_id":"{TRACE}","span_id":"00000000000000a2","msg":"objects","x":{}1{}}}"#,
        "{\"a\":".repeat(depth),
        "}".repeat(depth)
    );
    let before = line(
        TRACE,
        "00000000000000a0",
        None,
        "\"2026-11-20T11:00:01Z\"",
        "before",
    );
    let after = line(
        TRACE,
        "00000000000000a3",
        None,
        "\"2026-11-20T11:00:02Z\"",
        "after",
    );
    // Unclosed too: nesting that never ends.
    let open = format!(r#"{{"trace_id":"{TRACE}","x":{}"#, "[".repeat(depth));
    write_lines(&path, [before, arrays, objects, open, after]);
    for args in [
        &["--all", "--format", "csv", "deep.log"][..],
        &["--format", "raw", TRACE, "deep.log"][..],
        &[TRACE, "deep.log"][..],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.took < Duration::from_secs(20),
            "{args:?}: {:?}",
            out.took
        );
    }
    let raw = run(dir.path(), &["--format", "raw", TRACE, "deep.log"]);
    assert!(raw.stdout.contains("\"before\"") && raw.stdout.contains("\"after\""));
}

fn sample_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            line(
                &format!("{:032x}", 0xabc000 + i / 10),
                &format!("{:016x}", i + 1),
                None,
                &format!(
                    "\"2026-11-20T11:00:{:02}.{:06}Z\"",
                    (i / 1000) % 60,
                    i % 1000
                ),
                &format!("step {i}"),
            )
        })
        .collect()
}

#[test]
fn gzip_and_zstd_cut_at_every_eighth_keep_what_was_decoded() {
    let dir = tempdir();
    let text: String = sample_lines(4000)
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    for (kind, whole) in [("gzip", gz), ("zstd", zst)] {
        for eighth in 1..8 {
            let name = format!("cut{eighth}.log.{kind}");
            let path = dir.path().join(&name);
            std::fs::write(&path, &whole[..whole.len() * eighth / 8]).unwrap();
            let out = run(dir.path(), &["--all", "--format", "csv", &name]);
            assert_eq!(out.code, 2, "{name}: {}", out.stderr);
            let about = out.messages_about(&name);
            assert_eq!(about.len(), 1, "{name}: {}", out.stderr);
            assert!(
                about[0].contains(&format!("truncated or corrupt {kind} data"))
                    && about[0].contains("kept the"),
                "{}",
                about[0]
            );
            // What was decoded before the cut is searched: the later cuts find traces.
            if eighth >= 4 {
                assert!(out.stdout.lines().count() > 1, "{name}: {}", out.stdout);
            }
        }
    }
}

#[test]
fn a_gzip_bomb_is_read_in_bounded_memory() {
    // A gigabyte of zeros: a thousand gzip members of a mebibyte of zeros each (1 MB on
    // disk), then a line of the trace, so the end is still read.
    let dir = tempdir();
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    member.write_all(&vec![0u8; 1 << 20]).unwrap();
    let member = member.finish().unwrap();
    let members = if full() { 1024 } else { 512 };
    let mut bomb = Vec::with_capacity(member.len() * members + 256);
    for _ in 0..members {
        bomb.extend_from_slice(&member);
    }
    let mut tail = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    writeln!(
        tail,
        "\n{}",
        line(
            TRACE,
            "00f067aa0ba902b7",
            None,
            "\"2026-11-20T11:00:01Z\"",
            "after the bomb"
        )
    )
    .unwrap();
    bomb.extend_from_slice(&tail.finish().unwrap());
    std::fs::write(dir.path().join("bomb.log.gz"), &bomb).unwrap();
    let out = run(dir.path(), &["--all", "--format", "csv", "bomb.log.gz"]);
    // Nothing but the one line is readable; the zeros are reported, not held.
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(TRACE), "{}", out.stdout);
    let about = out.messages_about("bomb.log.gz");
    assert!(!about.is_empty(), "{}", out.stderr);
    out.assert_memory_within(bomb.len() as u64);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_a_directory_linked_into_itself_are_reported_and_the_rest_searched() {
    let dir = tempdir();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_lines(&logs.join("app.log"), sample_lines(20));
    std::os::unix::fs::symlink("b.log", logs.join("a.log")).unwrap();
    std::os::unix::fs::symlink("a.log", logs.join("b.log")).unwrap();
    std::os::unix::fs::symlink(".", logs.join("self")).unwrap();
    let out = run(dir.path(), &["--all", "--format", "csv", "logs"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.lines().count() > 1, "{}", out.stdout);
    // One line per link, naming it.
    for link in ["a.log", "b.log", "self"] {
        let about = out.messages_about(&format!("logs/{link}"));
        assert_eq!(about.len(), 1, "{link}: {}", out.stderr);
    }
    assert!(out.took < Duration::from_secs(10));
    // Named on the command line, the loop is an error too.
    let out = run(dir.path(), &["--all", "logs/a.log", "logs/app.log"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.messages_about("logs/a.log").len(), 1, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_walked_directory_is_skipped_and_a_process_substitution_is_read() {
    let dir = tempdir();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_lines(&logs.join("app.log"), sample_lines(20));
    let fifo = logs.join("pipe.log");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // Nobody writes to the FIFO: opening it would hang, so the walk must skip it (as rg does).
    let out = run(dir.path(), &["--all", "--format", "csv", "logs"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    // `<(…)` names a pipe the user asked for: it is read.
    let bin = assert_cmd::cargo::cargo_bin("tracegrep");
    let script = format!(
        "{} --all --format csv <(cat {}) </dev/null",
        bin.display(),
        s(&logs.join("app.log"))
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_opened_is_named_and_the_rest_searched() {
    let dir = tempdir();
    write_lines(&dir.path().join("app.log"), sample_lines(20));
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let name = if root {
        // Root opens files whatever their mode: a socket fails to open for anyone.
        let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock.log")).unwrap();
        std::mem::forget(_socket);
        "sock.log"
    } else {
        let path = dir.path().join("secret.log");
        write_lines(&path, sample_lines(5));
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        "secret.log"
    };
    let out = run(dir.path(), &["--all", "--format", "csv", name, "app.log"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    let about = out.messages_about(name);
    assert_eq!(about.len(), 1, "{}", out.stderr);
    assert!(
        about[0].starts_with(&format!("tracegrep: {name}: ")),
        "{}",
        about[0]
    );
}

#[test]
fn files_deleted_between_the_walk_and_the_open_are_named_and_the_rest_searched() {
    let dir = tempdir();
    let logs = dir.path().join("logs");
    let mut hits = 0;
    for _ in 0..10 {
        std::fs::create_dir_all(&logs).unwrap();
        for i in 0..1500 {
            std::fs::write(
                logs.join(format!("f{i:04}.log")),
                format!("{}\n", sample_lines(1)[0]),
            )
            .unwrap();
        }
        let bin = assert_cmd::cargo::cargo_bin("tracegrep");
        let child = Command::new(&bin)
            .env_clear()
            .args(["--all", "--format", "csv", "-q"])
            .arg(&logs)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(3));
        for i in (0..1500).rev() {
            let _ = std::fs::remove_file(logs.join(format!("f{i:04}.log")));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), None, "{stderr}");
        let vanished: Vec<&str> = stderr.lines().collect();
        for l in &vanished {
            assert!(l.ends_with(": No such file or directory"), "{l}");
        }
        match out.status.code() {
            Some(2) => {
                assert!(!vanished.is_empty());
                hits += 1;
            }
            Some(0 | 1) => assert!(vanished.is_empty(), "{stderr}"),
            code => panic!("exit {code:?}: {stderr}"),
        }
        if hits > 0 {
            break;
        }
    }
    assert!(
        hits > 0,
        "no run saw a file vanish: the test proved nothing"
    );
}
