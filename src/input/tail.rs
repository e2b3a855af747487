//! Following a growing file, as `tail -F` does: across rotation by rename and truncation.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
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
    /// The last bytes read (up to [`WITNESS_BYTES`]), ending at `position`: if the file no
    /// longer holds them there, it was truncated and refilled between two polls.
    witness: Vec<u8>,
}

/// How many of the last bytes read are checked before each poll.
const WITNESS_BYTES: usize = 64;

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
            witness: Vec::new(),
        })
    }

    /// Reads what is new into `buf`. First checks that the file was not truncated since the
    /// last poll (shorter than what was read, or no longer holding the last bytes read where
    /// they were: truncated and refilled with more between two polls); if it was, starts over
    /// at its start. When nothing is new, checks whether the path now names another file.
    pub fn poll(&mut self, buf: &mut Vec<u8>) -> io::Result<TailEvent> {
        if self.truncated()? {
            self.file.seek(SeekFrom::Start(0))?;
            self.position = 0;
            self.witness.clear();
            return Ok(TailEvent::Truncated);
        }
        let before = buf.len();
        let read = (&mut self.file).take(MAX_POLL_BYTES).read_to_end(buf)?;
        if read > 0 {
            self.position += read as u64;
            let new = &buf[before..];
            let keep = WITNESS_BYTES
                .saturating_sub(new.len())
                .min(self.witness.len());
            self.witness.drain(..self.witness.len() - keep);
            self.witness
                .extend_from_slice(&new[new.len().saturating_sub(WITNESS_BYTES)..]);
            return Ok(TailEvent::Data(buf.len() - before));
        }
        // Nothing new from the open file: has the path moved on?
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if (meta.dev(), meta.ino()) != self.identity {
                if let Ok(file) = File::open(&self.path) {
                    self.file = file;
                    self.identity = (meta.dev(), meta.ino());
                    self.position = 0;
                    self.witness.clear();
                    return Ok(TailEvent::Rotated);
                }
            }
        }
        Ok(TailEvent::Idle)
    }

    /// Whether the open file lost what was read of it: it is shorter, or the last bytes read
    /// are no longer where they were.
    fn truncated(&self) -> io::Result<bool> {
        if self.position == 0 {
            return Ok(false);
        }
        if self.file.metadata()?.len() < self.position {
            return Ok(true);
        }
        let mut now = vec![0u8; self.witness.len()];
        let at = self.position - self.witness.len() as u64;
        match self.file.read_exact_at(&mut now, at) {
            Ok(()) => Ok(now != self.witness),
            // Shrunk since the length was taken.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(true),
            Err(e) => Err(e),
        }
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

    #[test]
    fn a_file_truncated_and_refilled_with_more_between_polls_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, b"one\n").unwrap();
        let mut tail = Tail::open(&path).unwrap();
        let mut buf = Vec::new();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Data(4));
        std::fs::write(&path, b"ERROR\nsix\n").unwrap();
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Truncated);
        assert_eq!(tail.poll(&mut buf).unwrap(), TailEvent::Data(10));
        assert_eq!(buf, b"one\nERROR\nsix\n");
    }
}
