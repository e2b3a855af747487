//! The progress bar of a long read: bytes read of the plain files, and what was found so far.
//!
//! Shared by the one-trace search and `--all`/`--stats`. The bar is drawn on stderr, only
//! when stderr is a terminal and the input is large enough to take a while. Worker threads
//! draw it, so nothing may hold the stderr lock while it lives (`main` hands the run an
//! unlocked `Stderr`: a lock held across the run left every worker waiting for it, forever).
//! It is cleared by [`Progress::finish`], and on drop (an error or a panic leaves no bar
//! behind); the runs write nothing to stderr before that, so no message lands on a half-drawn
//! bar's line.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// Inputs at least this large get a progress bar (when stderr is a terminal): smaller ones
/// are read in well under a second.
pub const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// What every read so far in this process was given and has done: bytes of plain input to
/// read and read, and things found. A view that draws its own progress (the explorer's
/// status line) reads them with [`observed`]; each [`Progress::new`] starts them again.
static OBSERVED: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// The progress of the latest read: (bytes to read, bytes read, things found).
pub fn observed() -> (u64, u64, u64) {
    (
        OBSERVED[0].load(Ordering::Relaxed),
        OBSERVED[1].load(Ordering::Relaxed),
        OBSERVED[2].load(Ordering::Relaxed),
    )
}

/// A progress bar, or nothing (stderr not a terminal, or a small input).
pub struct Progress {
    bar: ProgressBar,
    /// What was found so far (traces, or lines of the trace), shown after the bytes.
    found: AtomicU64,
    /// What `found` counts, in the plural.
    noun: &'static str,
}

impl Progress {
    /// A bar for reading `total_bytes`, counting `noun` (plural) as they are found; hidden
    /// unless stderr is a terminal and the input is at least [`PROGRESS_MIN_BYTES`].
    pub fn new(total_bytes: u64, stderr_is_terminal: bool, noun: &'static str) -> Progress {
        OBSERVED[0].store(total_bytes, Ordering::Relaxed);
        OBSERVED[1].store(0, Ordering::Relaxed);
        OBSERVED[2].store(0, Ordering::Relaxed);
        let bar = if !stderr_is_terminal || total_bytes < PROGRESS_MIN_BYTES {
            ProgressBar::hidden()
        } else {
            // indicatif's stderr target buffers each frame and writes it at once, at most 20
            // times a second.
            let bar =
                ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr())
                    .with_finish(ProgressFinish::AndClear);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        };
        Progress {
            bar,
            found: AtomicU64::new(0),
            noun,
        }
    }

    /// Counts `bytes` more read and `found` more things found (from any thread).
    pub fn advance(&self, bytes: u64, found: u64) {
        OBSERVED[1].fetch_add(bytes, Ordering::Relaxed);
        OBSERVED[2].fetch_add(found, Ordering::Relaxed);
        if self.bar.is_hidden() {
            return;
        }
        let total = self.found.fetch_add(found, Ordering::Relaxed) + found;
        self.bar.set_message(format!("~{total} {}", self.noun));
        self.bar.inc(bytes);
    }

    /// Clears the bar from the terminal; call it before writing anything else.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
