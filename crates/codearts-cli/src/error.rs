//! [`CliError`] and the exit codes.

use std::fmt;

use codearts_transport::{Error, ErrorKind};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the awaited run or build failed, was refused or was stopped.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: a usage error (bad flag, bad body, bad configuration) or a failed request.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: the `--timeout` ran out.
pub const EXIT_TIMEOUT: u8 = 3;

/// What ends a command early: a message for stderr and the exit code.
///
/// Messages never hold a secret: they are built from flags, the service's error code and
/// message, and the request id, never from credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The process exit code.
    pub code: u8,
    /// What to print after `error: `.
    pub message: String,
}

impl CliError {
    /// A usage or configuration error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_ERROR,
            message: message.into(),
        }
    }

    /// A failure of the command itself (exit code 2).
    pub fn failure(message: impl Into<String>) -> Self {
        Self::usage(message)
    }

    /// The time limit ran out (exit code 3).
    pub fn timeout(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_TIMEOUT,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        let code = if error.kind() == ErrorKind::Timeout {
            EXIT_TIMEOUT
        } else {
            EXIT_ERROR
        };
        CliError {
            code,
            message: describe(&error),
        }
    }
}

/// `DEV.00000004: no permission (HTTP 403, request id abc)` for a service error; the error's
/// own text otherwise.
pub fn describe(error: &Error) -> String {
    let mut details = Vec::new();
    if let Some(status) = error.http_status_code() {
        details.push(format!("HTTP {status}"));
    }
    if let Some(id) = error.request_id() {
        details.push(format!("request id {id}"));
    }
    let head = match (error.error_code(), error.error_msg()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_owned(),
        (None, Some(msg)) => msg.to_owned(),
        (None, None) => {
            // The error's own text already names the status and request id.
            return error.to_string();
        }
    };
    if details.is_empty() {
        head
    } else {
        format!("{head} ({})", details.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_read_like_the_brief() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", "abc".parse().unwrap());
        let error = Error::from_response(
            http::StatusCode::FORBIDDEN,
            &headers,
            br#"{"error_code":"DEV.00000004","error_msg":"no permission"}"#,
        );
        let cli = CliError::from(error);
        assert_eq!(cli.code, EXIT_ERROR);
        assert_eq!(
            cli.message,
            "DEV.00000004: no permission (HTTP 403, request id abc)"
        );
    }

    #[test]
    fn timeouts_exit_3() {
        let cli = CliError::from(Error::new(ErrorKind::Timeout, "read timed out"));
        assert_eq!(cli.code, EXIT_TIMEOUT);
    }
}
