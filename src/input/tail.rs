//! Following a growing file, as `tail -F` does: across rotation by rename and truncation.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a poll of a followed file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailEvent {
    /// This many new bytes were appended to the buffer.
    Data(usize),
    /// Nothing new.
    Idle,
    /// The path now names another file (rotation by rename); reading starts over on it.
    Rotated,
    /// The file shrank (truncation, `copytruncate` rotation); reading starts over.
    Truncated,
}

/// A file being followed.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    file: File,
    identity: (u64, u64),
    position: u64,
}

/// Most bytes read by one poll, so one burst cannot take unbounded memory.
const MAX_POLL_BYTES: u64 = 1 << 20;

impl Tail {
    /// Opens a file to follow from its start.
    pub fn open(path: &Path) -> io::Result<Tail> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        Ok(Tail {
            path: path.to_path_buf(),
            file,
            identity: (meta.dev(), meta.ino()),
            position: 0,
        })
    }

    /// Reads what is new into `buf`. When nothing is new, checks whether the path was rotated
    /// or the file truncated, and if so starts over on the current file.
    pub fn poll(&mut self, buf: &mut Vec<u8>) -> io::Result<TailEvent> {
        let before = buf.len();
        let read = (&mut self.file).take(MAX_POLL_BYTES).read_to_end(buf)?;
        if read > 0 {
            self.position += read as u64;
            return Ok(TailEvent::Data(buf.len() - before));
        }
        // Nothing new from the open file: has the path moved on?
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if (meta.dev(), meta.ino()) != self.identity {
                if let Ok(file) = File::open(&self.path) {
                    self.file = file;
                    self.identity = (meta.dev(), meta.ino());
                    self.position = 0;
                    return Ok(TailEvent::Rotated);
                }
            }
        }
        if self.file.metadata()?.len() < self.position {
            self.file.seek(SeekFrom::Start(0))?;
            self.position = 0;
            return Ok(TailEvent::Truncated);
        }
        Ok(TailEvent::Idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, b"one\n").unwrap();
        let mut tail = Tail::open(&path).unwrap();
        let mut buf = Vec::new();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Data(4));
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Idle);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"two\n")
            .unwrap();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Data(4));
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        std::fs::write(&path, b"three\n").unwrap();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Rotated);
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Data(6));
        std::fs::write(&path, b"").unwrap();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Truncated);
        assert_eq!(buf, b"one\ntwo\nthree\n");
    }
}
