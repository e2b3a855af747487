//! The explorer (`-i`) in a real terminal: tmux runs the binary in a pseudo-terminal, keys
//! are typed with `send-keys`, the screen is read with `capture-pane`. Each test has its own
//! tmux server. Without tmux the tests are skipped, unless TRACEGREP_TMUX_TEST=1 (CI) makes
//! that a failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::root;

/// How long a screen may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(20);

/// A tmux server of its own, with one window running a command.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` (a shell line) in a `width`×`height` terminal; after it ends, the
    /// window shows `EXIT=<status>` and the terminal's settings (`stty -a`). `None` when
    /// tmux is not installed and the test may be skipped.
    fn start(name: &str, command: &str, width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("TRACEGREP_TMUX_TEST").is_none(),
                "TRACEGREP_TMUX_TEST is set but tmux is not installed"
            );
            eprintln!("tmux not installed: skipped");
            return None;
        }
        let socket = format!("tracegrep-test-{name}-{}", std::process::id());
        let script = format!(
            "cd {root}; {command}; echo EXIT=$?; stty -a | tr '\\n' ' '; echo; sleep 120",
            root = root().display()
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("TMUX")
            .args(["sh", "-c", &script])
            .status()
            .expect("tmux runs");
        assert!(status.success());
        Some(Tmux { socket })
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` (or, with `gone`, no longer shows it).
    fn wait(&self, text: &str, gone: bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) != gone {
                return screen;
            }
            assert!(
                start.elapsed() < WAIT,
                "waited for {} {text:?}; the screen:\n{screen}",
                if gone { "the end of" } else { "" }
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "0", key])
                .status()
                .expect("send-keys");
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    fn type_text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "-l", "--", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// The exit status after the program ended, and that the terminal is back in its
    /// normal mode (canonical input, echo) on the main screen.
    fn exit_status(&self) -> i32 {
        self.wait("EXIT=", false);
        // stty's settings follow the status line (`-icanon` when raw mode was left on).
        let screen = self.wait("icanon", false);
        let line = screen
            .lines()
            .find_map(|l| l.trim().strip_prefix("EXIT="))
            .expect("exit line");
        let settings: Vec<&str> = screen
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                settings.contains(&mode) && !settings.contains(&format!("-{mode}").as_str()),
                "{mode} not restored:\n{screen}"
            );
        }
        assert!(
            !screen.contains("TRACE ID"),
            "still on the explorer's screen:\n{screen}"
        );
        line.trim().parse().expect("a status")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_tracegrep")
}

#[test]
fn opens_a_trace_folds_jumps_to_the_error_and_quits_restoring_the_terminal() {
    let command = format!("{} -i fixtures/ci", binary());
    let Some(t) = Tmux::start("open", &command, 130, 30) else {
        return;
    };
    t.wait(" 4 traces · sort", false);
    t.keys(&["j", "Enter"]);
    let screen = t.wait("Waterfall", false);
    assert!(screen.contains("gateway POST /orders"), "{screen}");
    assert!(screen.contains("payments charge failed"), "{screen}");
    // Left folds the root: its failed child is hidden.
    t.keys(&["Left"]);
    t.wait("payments charge failed", true);
    assert!(t.screen().contains("▸ gateway"));
    // `e` finds the failed span and unfolds what hid it; the details show it.
    t.keys(&["e"]);
    let screen = t.wait("payments charge failed", false);
    assert!(screen.contains("service   payments"), "{screen}");
    t.keys(&["Tab"]);
    t.wait("request failed", false);
    t.keys(&["q"]);
    t.wait(" 4 traces · sort", false);
    t.keys(&["q"]);
    assert_eq!(t.exit_status(), 0);
}

#[test]
fn the_filter_prompt_speaks_the_language_of_the_flags() {
    let command = format!("{} -i fixtures/ci", binary());
    let Some(t) = Tmux::start("filter", &command, 130, 20) else {
        return;
    };
    t.wait(" 4 traces · sort", false);
    t.keys(&["/"]);
    t.type_text("--errors");
    t.keys(&["Enter"]);
    let screen = t.wait("1 of 4 traces", false);
    assert!(screen.contains("filter errors"), "{screen}");
    assert!(!screen.contains("GET /checkout"), "{screen}");
    // A line condition reads the logs again.
    t.keys(&["/", "C-u"]);
    t.type_text("status>=500");
    t.keys(&["Enter"]);
    let screen = t.wait("filter status>=500", false);
    t.wait(" 1 trace · sort", false);
    assert!(screen.contains("POST /orders") || t.screen().contains("POST /orders"));
    // Errors-only toggles on its own.
    t.keys(&["/", "C-u", "Enter"]);
    t.wait(" 4 traces · sort", false);
    t.keys(&["e"]);
    t.wait("1 of 4 traces", false);
    t.keys(&["C-c"]);
    assert_eq!(t.exit_status(), 130);
}

#[test]
fn reads_logs_on_standard_input_and_keys_from_the_terminal_as_they_arrive() {
    let dir = tempfile::tempdir().expect("dir");
    let late = dir.path().join("late.jsonl");
    std::fs::write(
        &late,
        r#"{"time":"2026-11-20T10:00:09Z","level":"info","service":"late","trace_id":"99999999999999999999999999999999","span_id":"9999999999999901","msg":"GET /late"}
"#,
    )
    .expect("write");
    let later = dir.path().join("later.jsonl");
    std::fs::write(
        &later,
        r#"{"time":"2026-11-20T10:00:10Z","level":"info","service":"late","trace_id":"99999999999999999999999999999999","span_id":"9999999999999902","parent_id":"9999999999999901","msg":"SELECT later"}
"#,
    )
    .expect("write");
    // The stream stays open after the explorer quits: the exit status and the terminal's
    // settings are printed as soon as it does.
    let command = format!(
        "(cat fixtures/ci/test-run.jsonl; sleep 2; cat {}; sleep 4; cat {}; sleep 60) | {{ {} -i; echo EXIT=$?; stty -a </dev/tty | tr '\\n' ' '; echo; }}",
        late.display(),
        later.display(),
        binary()
    );
    let Some(t) = Tmux::start("stdin", &command, 130, 20) else {
        return;
    };
    let screen = t.wait(" 4 traces · sort", false);
    assert!(screen.contains("live"), "{screen}");
    let screen = t.wait(" 5 traces · sort", false);
    assert!(screen.contains("late: GET /late"), "{screen}");
    t.keys(&["G", "Enter"]);
    t.wait("GET /late", false);
    let screen = t.wait("Waterfall", false);
    assert!(!screen.contains("SELECT later"), "{screen}");
    // A line of the open trace arrives: the trace is updated in place.
    let screen = t.wait("SELECT later", false);
    assert!(screen.contains("Waterfall"), "{screen}");
    t.keys(&["q", "q"]);
    assert_eq!(t.exit_status(), 0);
}

#[test]
fn escape_sequences_in_logs_are_shown_not_obeyed() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("evil.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"time":"2026-11-20T10:00:00Z","level":"error","service":"evil","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","msg":"\u001b[2J\u001b[HPWNED \u001b]0;title\u0007"}"#,
            "\n"
        ),
    )
    .expect("write");
    let command = format!("{} -i {}", binary(), path.display());
    let Some(t) = Tmux::start("escapes", &command, 130, 20) else {
        return;
    };
    let screen = t.wait(" 1 trace · sort", false);
    assert!(screen.contains("\\x1b[2J\\x1b[HPWNED"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait("Waterfall", false);
    assert!(screen.contains("\\x1b[2J"), "{screen}");
    // The trace header is still on the first line: nothing cleared the screen or moved
    // the cursor.
    assert!(
        screen.starts_with(" 4bf92f3577b34da6a3ce929d0e0e4736"),
        "{screen}"
    );
    t.keys(&["q", "q"]);
    assert_eq!(t.exit_status(), 0);
}

#[test]
fn a_signal_from_outside_ends_it_with_the_terminal_restored() {
    for (signal, sort) in [("INT", "lines"), ("TERM", "spans"), ("HUP", "errors")] {
        // A command line no other test runs, so that pkill finds this one only.
        let command = format!("{} -i --sort {sort} fixtures/ci", binary());
        let Some(t) = Tmux::start(&format!("signal-{sort}"), &command, 130, 20) else {
            return;
        };
        t.wait(" 4 traces · sort", false);
        let status = Command::new("pkill")
            .args([&format!("-{signal}"), "-f", &format!("^{command}$")])
            .status()
            .expect("pkill");
        assert!(status.success());
        assert_eq!(t.exit_status(), 130, "SIG{signal}");
    }
}

#[test]
fn the_pager_uses_the_terminal_when_standard_output_is_a_file() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("out");
    let command = format!(
        "PAGER=less LESS= {} -i --sort errors fixtures/ci > {}",
        binary(),
        out.display()
    );
    let Some(t) = Tmux::start("pager", &command, 130, 20) else {
        return;
    };
    t.wait(" 4 traces · sort", false);
    t.keys(&["Enter"]);
    t.wait("Waterfall", false);
    // The span's raw lines in less, on the terminal.
    t.keys(&["o"]);
    let screen = t.wait(r#"{"timestamp":"#, false);
    assert!(!screen.contains("Waterfall"), "{screen}");
    t.keys(&["q"]);
    t.wait("Waterfall", false);
    t.keys(&["q", "q"]);
    assert_eq!(t.exit_status(), 0);
    let written = std::fs::read(&out).expect("out");
    assert!(
        written.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&written)
    );
}

#[test]
fn a_panic_puts_the_terminal_back_before_its_message() {
    // Debug builds (the tests') panic on the key this variable names; a release build (`cargo
    // test --release`) has no such key.
    if !cfg!(debug_assertions) {
        eprintln!("not run: the test key exists only in debug builds");
        return;
    }
    let command = format!(
        "TRACEGREP_TEST_PANIC_KEY=Z RUST_BACKTRACE=0 {} -i --sort duration fixtures/ci",
        binary()
    );
    let Some(t) = Tmux::start("panic", &command, 130, 20) else {
        return;
    };
    t.wait(" 4 traces · sort", false);
    t.keys(&["Enter"]);
    t.wait("Waterfall", false);
    t.keys(&["Z"]);
    // Rust's exit status for a panic, the terminal restored (checked by exit_status) and the
    // message printed on the normal screen.
    assert_eq!(t.exit_status(), 101);
    let screen = t.wait("EXIT=", false);
    assert!(screen.contains("the test key Z was pressed"), "{screen}");
}

#[test]
fn it_ends_when_its_terminal_hangs_up() {
    // A command line no other test runs, so that pgrep finds this one only.
    let command = format!("{} -i --sort worst fixtures/ci", binary());
    let pattern = format!("^{command}$");
    let Some(t) = Tmux::start("hangup", &command, 130, 20) else {
        return;
    };
    t.wait(" 4 traces · sort", false);
    // The window closes: tmux's server goes, and the terminal with it.
    drop(t);
    let start = Instant::now();
    while Command::new("pgrep")
        .args(["-f", &pattern])
        .output()
        .expect("pgrep")
        .status
        .success()
    {
        assert!(
            start.elapsed() < WAIT,
            "still running after its terminal hung up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn without_a_terminal_it_fails_with_one_line() {
    if !Path::new("/usr/bin/setsid").exists() {
        return;
    }
    // setsid: a new session has no controlling terminal, so /dev/tty cannot be opened.
    let out = Command::new("/usr/bin/setsid")
        .args(["-w", binary(), "-i", "fixtures/ci"])
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("-i needs a terminal"), "{stderr}");
}
