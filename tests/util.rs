//! Running the binary with a scrubbed environment.

use std::path::PathBuf;

use assert_cmd::Command;

/// The repository root (where `fixtures/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// `tracegrep` with an empty environment, run from the repository root, fixed width, no colour.
pub fn tracegrep() -> Command {
    tracegrep_width("100")
}

/// [`tracegrep`] at another width.
pub fn tracegrep_width(cols: &str) -> Command {
    let mut cmd = Command::cargo_bin("tracegrep").expect("binary built");
    cmd.env_clear().current_dir(root()).arg("--width").arg(cols);
    cmd
}

/// What a run printed, with its exit code, as one text for snapshots.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs a command to its end.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("ran");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Run {
    /// The snapshot form: exit code, stdout, stderr.
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
