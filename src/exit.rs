//! Exit statuses, as grep has them.

use std::process::ExitCode;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Something was found.
    Found,
    /// Nothing matched.
    NoMatch,
    /// An error occurred (a file could not be read), whatever was found.
    Error,
    /// A CI gate failed.
    GateFailed,
    /// Interrupted (Ctrl-C in --follow), as shells report SIGINT.
    Interrupted,
}

impl ExitStatus {
    /// The status of a search: an error beats everything (as in grep), then found or not.
    pub fn of_search(found: bool, failed: bool) -> ExitStatus {
        match (failed, found) {
            (true, _) => ExitStatus::Error,
            (false, true) => ExitStatus::Found,
            (false, false) => ExitStatus::NoMatch,
        }
    }

    /// The process exit code: 0, 1, 2, 3, or 130 when interrupted.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Found => 0,
            ExitStatus::NoMatch => 1,
            ExitStatus::Error => 2,
            ExitStatus::GateFailed => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}
