//! `-i`: the interactive explorer. A renderer and a mode over the same stages as the rest:
//! a reader thread ([`load`]) reads the inputs as `--all` and the one-trace search do, the
//! state ([`app`]) takes its results and the keys ([`keys`]), and the screen ([`draw`],
//! [`trace_view`]) is drawn from the state alone with ratatui.
//!
//! The screen is the terminal (`/dev/tty`), not standard output or input: the logs can come
//! on standard input (`kubectl logs -f … | tracegrep -i`), as fzf and less do. The terminal
//! is put back as it was on every way out: `q`, Ctrl-C, a signal, an error and a panic.

pub mod app;
pub mod draw;
pub mod keys;
pub mod live;
pub mod load;
pub mod prompt;
#[cfg(test)]
mod tests;
pub mod trace_screen;
pub mod trace_view;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::config::{Config, ExploreMode, Inputs};
use crate::exit::ExitStatus;
use crate::explore::app::{App, Effect};
use crate::explore::load::{Reply, Request};

/// Set by SIGINT or SIGTERM from outside (a key press of Ctrl-C arrives as a key).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs the explorer until the user leaves it. Fails, before drawing anything, when there is
/// no terminal to draw on.
pub fn run(
    config: &Config,
    mode: &ExploreMode,
    err: &mut dyn std::io::Write,
) -> anyhow::Result<ExitStatus> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("-i needs a terminal to draw on and read keys from (/dev/tty)")?;
    // Standard input is copied to a file the reader reads as it grows.
    let mut stdin = None;
    let _dir;
    if config.inputs == Inputs::Stdin {
        let dir = tempfile::tempdir().context("a directory for the copy of standard input")?;
        let path = dir.path().join("stdin");
        let _ = crate::input::STDIN_COPY.set(path.clone());
        let done = Arc::new(AtomicBool::new(false));
        live::copy_stdin(path.clone(), done.clone()).context("copying standard input")?;
        stdin = Some((path, done));
        _dir = Some(dir);
    } else {
        _dir = None;
    }
    let reader_config = load::reader_config(config, stdin.as_ref().map(|(p, _)| p));
    // Two readers: one reads the list (long on big inputs), the other opens and compares
    // traces, so a trace opens while the list is still being read.
    let (list, list_requests) = mpsc::channel();
    let (traces, trace_requests) = mpsc::channel();
    let (replies_to, replies) = mpsc::channel();
    let trace_config = reader_config.clone();
    let trace_replies = replies_to.clone();
    std::thread::spawn(move || load::serve(reader_config, stdin, list_requests, replies_to));
    std::thread::spawn(move || {
        // Its own pool: in the global one, its searches would queue behind the list's.
        let serve = move || load::serve(trace_config, None, trace_requests, trace_replies);
        match rayon::ThreadPoolBuilder::new().build() {
            Ok(pool) => pool.install(serve),
            Err(_) => serve(),
        }
    });
    let ask = Readers { list, traces };

    let mut app = App::new(mode.selection.filter.clone(), mode.sort, mode.color);
    ask.send(Request::Read(app.filter.clone()));
    if let Some(id) = &mode.open {
        if let Effect::Ask(request) = app.open(id.clone()) {
            ask.send(request);
        }
    }
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let watched = tty
        .try_clone()
        .context("-i could not set up the terminal")?;
    let screen = Screen::enter(tty)?;
    let status = event_loop(&mut app, screen, &watched, &ask, &replies);
    let said: Vec<String> = app.messages.clone();
    drop(ask);
    for line in said {
        writeln!(err, "tracegrep: {line}")?;
    }
    status
}

/// Where requests go: the list's reader, or the reader of single traces.
struct Readers {
    list: mpsc::Sender<Request>,
    traces: mpsc::Sender<Request>,
}

impl Readers {
    /// Sends `request` to its reader (a reader that has stopped is ignored: the screen
    /// goes on without it).
    fn send(&self, request: Request) {
        let _ = match request {
            Request::Read(_) => self.list.send(request),
            _ => self.traces.send(request),
        };
    }
}

/// The terminal in the explorer's state (raw, alternate screen, mouse); put back on drop.
struct Screen {
    terminal: Terminal<CrosstermBackend<BufWriter<File>>>,
}

impl Screen {
    fn enter(tty: File) -> anyhow::Result<Screen> {
        enable_raw_mode().context("-i could not set up the terminal")?;
        install_panic_restore();
        let mut out = BufWriter::new(tty);
        crossterm::execute!(out, EnterAlternateScreen, EnableMouseCapture)?;
        let terminal = Terminal::new(CrosstermBackend::new(out))?;
        Ok(Screen { terminal })
    }

    /// Leaves the screen for a program that needs the terminal, then comes back.
    fn suspend<T>(&mut self, run: impl FnOnce() -> T) -> anyhow::Result<T> {
        leave(self.terminal.backend_mut());
        let result = run();
        enable_raw_mode()?;
        crossterm::execute!(
            self.terminal.backend_mut(),
            EnterAlternateScreen,
            EnableMouseCapture
        )?;
        // The screen is cleared and drawn blank, so that the next frame draws everything.
        // (ratatui's `Terminal::clear` asks the terminal where the cursor is, and crossterm
        // sends that question to standard output: into the file of `tracegrep -i … > out`.)
        crossterm::execute!(
            self.terminal.backend_mut(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        self.terminal
            .draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))?;
        Ok(result)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // After a panic the hook has left already: leaving the alternate screen again would
        // put the cursor back where it was on entering, and the shell's next lines would
        // overwrite the panic's message.
        if PANICKED.load(Ordering::SeqCst) {
            return;
        }
        leave(self.terminal.backend_mut());
        let _ = self.terminal.show_cursor();
    }
}

/// A panic's hook has put the terminal back.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back: mouse off, main screen, cooked mode.
fn leave(out: &mut impl Write) {
    let _ = crossterm::execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
    let _ = disable_raw_mode();
}

/// A panic puts the terminal back before its message is printed.
fn install_panic_restore() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut tty) = OpenOptions::new().write(true).open("/dev/tty") {
            if !PANICKED.swap(true, Ordering::SeqCst) {
                leave(&mut tty);
            }
        }
        previous(info);
        // A reader thread's panic ends the explorer too: the screen it drew on is gone.
        if std::thread::current().name() != Some("main") {
            std::process::exit(101);
        }
    }));
}

/// In debug builds only (the tests' binary), the key named by `TRACEGREP_TEST_PANIC_KEY`
/// panics, so that a test can see the terminal put back after a panic; nothing in the product
/// panics on purpose.
fn panic_on_test_key(event: &event::Event) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(key) = std::env::var_os("TRACEGREP_TEST_PANIC_KEY") else {
        return;
    };
    if let event::Event::Key(k) = event {
        if let event::KeyCode::Char(c) = k.code {
            if key.to_str() == Some(c.encode_utf8(&mut [0; 4])) {
                panic!("the test key {c} was pressed");
            }
        }
    }
}

/// The terminal hung up: its window closed, its ssh connection dropped. (crossterm's event
/// poll then spins on a terminal that reads nothing, and no signal may come.)
fn hung_up(tty: &File) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(tty, PollFlags::empty())];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL)
}

fn event_loop(
    app: &mut App,
    mut screen: Screen,
    tty: &File,
    ask: &Readers,
    replies: &mpsc::Receiver<Reply>,
) -> anyhow::Result<ExitStatus> {
    let mut dirty = true;
    loop {
        while let Ok(reply) = replies.try_recv() {
            if let Reply::Compared(Ok(text)) = reply {
                page(&mut screen, &text)?;
            } else if let Some(request) = app.on_reply(reply) {
                ask.send(request);
            }
            dirty = true;
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Ok(ExitStatus::Interrupted);
        }
        if dirty {
            screen.terminal.draw(|frame| draw::draw(frame, app))?;
        }
        if !event::poll(Duration::from_millis(100))? {
            if hung_up(tty) {
                return Ok(ExitStatus::Interrupted);
            }
            // Progress moves while something is read.
            dirty = app.reading || app.opening.is_some();
            continue;
        }
        let event = event::read()?;
        dirty = true;
        panic_on_test_key(&event);
        match keys::on_event(app, event, now()) {
            Effect::Nothing => {}
            Effect::Quit => return Ok(ExitStatus::Found),
            Effect::Interrupted => return Ok(ExitStatus::Interrupted),
            Effect::Ask(request) => {
                ask.send(request);
            }
            Effect::Copy(text) => {
                let out = screen.terminal.backend_mut();
                let _ = crossterm::execute!(
                    out,
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                );
            }
            Effect::Page(text) => page(&mut screen, &text)?,
        }
    }
}

/// Shows `text` in `$PAGER` (else `less`), with the terminal handed over meanwhile.
fn page(screen: &mut Screen, text: &str) -> anyhow::Result<()> {
    let mut file = tempfile::NamedTempFile::new()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".to_string());
    let path: PathBuf = file.path().to_path_buf();
    screen.suspend(|| {
        // The pager reads keys from the terminal and draws on it, whatever standard input and
        // output are (`tracegrep -i logs/ > out` must not page into `out`).
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{pager} \"$1\""))
            .arg("sh")
            .arg(&path);
        if let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") {
            if let (Ok(out), Ok(err)) = (tty.try_clone(), tty.try_clone()) {
                command.stdout(out).stderr(err);
            }
            command.stdin(tty);
        }
        let _ = command.status();
    })?;
    Ok(())
}

/// Now, in nanoseconds since the epoch (for filters such as `--since 15m`).
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
