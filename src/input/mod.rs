//! Input: which sources to read and how to get their bytes.
//!
//! Paths are walked ([`walk`]), each file is opened by what its first bytes say ([`open`]:
//! small plain files are read whole and split into newline-aligned chunks by [`chunk`];
//! larger ones are cut into newline-aligned ranges read with positioned reads by [`range`],
//! never mapped, so a file truncated or rewritten while it is searched cannot change under
//! the reader; gzip and zstd are
//! decompressed as streams), and streams are cut into blocks of whole lines by [`stream`],
//! with a bounded buffer so memory does not grow with the input.

pub mod chunk;
pub mod open;
pub mod plan;
pub mod range;
pub mod reflow;
pub mod stream;
pub mod tail;
pub mod walk;

use std::path::{Path, PathBuf};

/// One input the user named or a directory walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file, or `None` for standard input.
    pub path: Option<PathBuf>,
    /// The name shown to the user (the path as walked, or `<stdin>`).
    pub display: String,
}

/// Where the explorer keeps the copy of standard input it reads as a file: that file is shown
/// as `<stdin>` and lends its lines no service, as standard input does.
pub static STDIN_COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

impl Source {
    /// A file, by the path it was walked as (the copy of standard input shows as `<stdin>`).
    pub fn file(path: &Path) -> Source {
        if STDIN_COPY.get().is_some_and(|copy| copy == path) {
            return Source {
                path: Some(path.to_path_buf()),
                display: "<stdin>".to_string(),
            };
        }
        Source {
            path: Some(path.to_path_buf()),
            display: path.display().to_string(),
        }
    }

    /// Standard input.
    pub fn stdin() -> Source {
        Source {
            path: None,
            display: "<stdin>".to_string(),
        }
    }

    /// The service a line of this source belongs to when it names none: the file name without
    /// its extensions (`checkout.jsonl.gz` → `checkout`). Container runtimes name files
    /// otherwise: a CRI log (`…/<container>/0.log`, rotated `1.log`) takes its directory's
    /// name, and a Docker json-file log (`<container id>-json.log`) names no service.
    pub fn fallback_service(&self) -> Option<String> {
        let path = self.path.as_ref()?;
        if STDIN_COPY.get() == Some(path) {
            return None;
        }
        let name = path.file_name()?.to_string_lossy().into_owned();
        let stem = name.split('.').next().unwrap_or_default();
        if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
            let dir = path.parent()?.file_name()?.to_string_lossy().into_owned();
            return (!dir.is_empty()).then_some(dir);
        }
        let id = stem.strip_suffix("-json").unwrap_or(stem);
        if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        (!stem.is_empty()).then(|| stem.to_string())
    }
}
