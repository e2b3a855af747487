//! Turning the paths on the command line into a sorted list of files.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A path that could not be walked, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct WalkError {
    /// The path as the user or the walk spelled it.
    pub path: String,
    /// Why it failed.
    pub reason: String,
}

/// Expands directories recursively (sorted by name, hidden entries skipped as `rg` does);
/// files named explicitly are kept even when hidden. Order is stable across runs.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
            Err(e) => errors.push(WalkError {
                path: path.display().to_string(),
                reason: describe_io_error(&e),
            }),
        }
    }
    (files, errors)
}

fn walk_dir(root: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<WalkError>) {
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            Ok(_) => {}
            Err(e) => errors.push(WalkError {
                path: e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                reason: e
                    .io_error()
                    .map_or_else(|| e.to_string(), describe_io_error),
            }),
        }
    }
}

/// `PATH: reason`, the one-line message for a file that failed.
pub fn path_error(path: &std::path::Path, e: &std::io::Error) -> String {
    format!("{}: {}", path.display(), describe_io_error(e))
}

/// An I/O error as a short phrase without the "(os error N)" suffix.
pub fn describe_io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "No such file or directory".to_string(),
        ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}
