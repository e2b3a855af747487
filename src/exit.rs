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
}

impl ExitStatus {
    /// The process exit code: 0, 1, 2 or 3.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Found => 0,
            ExitStatus::NoMatch => 1,
            ExitStatus::Error => 2,
            ExitStatus::GateFailed => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}
