//! The one error type of freshcreds: a kind to branch on, and a message that names what was tried
//! (endpoint, file and line, environment variable). Messages never contain secrets.

use std::fmt;

/// What went wrong, coarsely: hosts map it to exception kinds, the engine to retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The source was switched off (e.g. `AWS_EC2_METADATA_DISABLED=true`).
    Disabled,
    /// The source has nothing configured here (no env vars, no profile, not on EC2).
    NotConfigured,
    /// A request timed out.
    Timeout,
    /// The endpoint could not be reached (refused, reset, no route).
    Connect,
    /// The endpoint answered with an unexpected HTTP status.
    Http(u16),
    /// The endpoint throttled us (HTTP 429 or a throttling error code).
    Throttled,
    /// A response or a file could not be parsed.
    Parse,
    /// The configuration is invalid (a bad option, env var or profile).
    InvalidConfig,
    /// Credentials were expired and nothing could replace them.
    Expired,
    /// The source answered but refused to give credentials (e.g. IMDS `Code` other than `Success`).
    Refused,
    /// A bug in freshcreds (a caught panic, a broken invariant).
    Internal,
    /// The endpoint's TLS certificate was not accepted (unknown issuer, expired, not valid for
    /// the name): a trust problem (a TLS-inspecting proxy, a missing CA bundle), not a network
    /// blip, so it is not retried. The message names the endpoint, the issuer and the fix.
    Tls,
    /// Credentials valid for at least the asked time could not be had: the source's
    /// credentials do not last that long (an STS session capped at its duration), or it has not
    /// issued longer-lived ones yet (an IMDS that has not rotated). Never retried by freshcreds
    /// on its own; [`Error::shortfall`] says how long the available credentials last and when
    /// more may be.
    InsufficientValidity,
}

impl ErrorKind {
    /// One of each kind, in declaration order (`Http` stands with status 500): for code and tests
    /// that must cover every kind, such as the hosts' kind-to-code tables.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Disabled,
        ErrorKind::NotConfigured,
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Http(500),
        ErrorKind::Throttled,
        ErrorKind::Parse,
        ErrorKind::InvalidConfig,
        ErrorKind::Expired,
        ErrorKind::Refused,
        ErrorKind::Internal,
        ErrorKind::Tls,
        ErrorKind::InsufficientValidity,
    ];

    /// A stable upper-case name, as used by the Java exception and the C ABI.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Disabled => "DISABLED",
            ErrorKind::NotConfigured => "NOT_CONFIGURED",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Connect => "CONNECT",
            ErrorKind::Http(_) => "HTTP",
            ErrorKind::Throttled => "THROTTLED",
            ErrorKind::Parse => "PARSE",
            ErrorKind::InvalidConfig => "INVALID_CONFIG",
            ErrorKind::Expired => "EXPIRED",
            ErrorKind::Refused => "REFUSED",
            ErrorKind::Internal => "INTERNAL",
            ErrorKind::Tls => "TLS",
            ErrorKind::InsufficientValidity => "INSUFFICIENT_VALIDITY",
        }
    }
}

/// A freshcreds error: kind, message, and an optional cause.
#[derive(Debug, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// For [`ErrorKind::InsufficientValidity`]: what was asked and what is available.
    shortfall: Option<Box<Shortfall>>,
}

/// What an [`ErrorKind::InsufficientValidity`] error carries: the validity asked for, the
/// longest available, and when more may be. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// The minimum validity the caller asked for.
    pub requested: std::time::Duration,
    /// How long the best credentials the source has now stay valid (zero when they are expired).
    pub available: std::time::Duration,
    /// When those credentials expire (local wall-clock time), `None` when none are cached.
    pub expiration: Option<chrono::DateTime<chrono::Utc>>,
    /// The earliest time the source is asked again and may give longer-lived credentials (local
    /// wall-clock time); `None` when it never will: its credentials do not last as long as asked.
    pub more_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The longest lifetime the source gives, when it is known (a role session's duration, or
    /// the lifetime of the credentials it issued just now).
    pub source_limit: Option<std::time::Duration>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `Result` with the freshcreds [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message that says what was tried.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
            shortfall: None,
        }
    }

    /// An [`ErrorKind::InsufficientValidity`] error with what was asked and what is available.
    pub fn insufficient_validity(message: impl Into<String>, shortfall: Shortfall) -> Self {
        let mut e = Self::new(ErrorKind::InsufficientValidity, message);
        e.shortfall = Some(Box::new(shortfall));
        e
    }

    /// For an [`ErrorKind::InsufficientValidity`] error: the validity asked for, the longest
    /// available and when more may be; `None` for every other error.
    pub fn shortfall(&self) -> Option<&Shortfall> {
        self.shortfall.as_deref()
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Shorthand for an [`ErrorKind::InvalidConfig`] error.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }

    /// Shorthand for an [`ErrorKind::NotConfigured`] error.
    pub fn not_configured(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotConfigured, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message alone (no cause chain).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message followed by every cause, `: `-separated.
    pub fn full_message(&self) -> String {
        let mut out = self.message.clone();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }

    /// A copy of this error with the same kind and full message (errors are not `Clone` because
    /// of their cause; the engine keeps copies of the last one to report it).
    pub fn snapshot(&self) -> Error {
        let mut copy = Error::new(self.kind, self.full_message());
        copy.shortfall = self.shortfall.clone();
        copy
    }

    /// Whether trying the same request again may succeed: connection failures, timeouts,
    /// throttling and server errors (5xx). Other HTTP 4xx, parse and configuration errors are
    /// not, nor is a certificate that is not trusted ([`ErrorKind::Tls`]).
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Throttled => true,
            ErrorKind::Http(status) => status == 429 || (500..600).contains(&status),
            _ => false,
        }
    }

    /// Whether this error means "not loaded here, try the next source": nothing is configured
    /// for the source ([`ErrorKind::NotConfigured`]) or it was switched off
    /// ([`ErrorKind::Disabled`]). The one signal on which the chain moves on (resolving, a winner
    /// that stops being configured, the shadowing probe) and on which an unusable link reports
    /// "not configured"; every other error is a failure of a configured source.
    pub fn is_not_loaded(&self) -> bool {
        matches!(self.kind, ErrorKind::NotConfigured | ErrorKind::Disabled)
    }

    /// The HTTP status of an [`ErrorKind::Http`] error (an endpoint that answered with an
    /// unexpected status); `None` for every other kind.
    pub(crate) fn http_status(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Http(status) => Some(status),
            _ => None,
        }
    }
}

/// Assertions on error texts for the unit tests: each shows the whole text when it fails.
#[cfg(test)]
pub(crate) mod testing {
    /// Asserts that `text` contains every one of `parts`.
    #[track_caller]
    pub(crate) fn assert_mentions(text: &str, parts: &[&str]) {
        for part in parts {
            assert!(text.contains(part), "{part:?} missing from: {text}");
        }
    }

    /// Asserts that `text` contains none of `parts` (secrets, for example).
    #[track_caller]
    pub(crate) fn assert_omits(text: &str, parts: &[&str]) {
        for part in parts {
            assert!(!text.contains(part), "{part:?} found in: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_kinds_are_connect_timeout_throttle_and_5xx() {
        assert!(Error::new(ErrorKind::Connect, "x").is_retryable());
        assert!(Error::new(ErrorKind::Timeout, "x").is_retryable());
        assert!(Error::new(ErrorKind::Http(429), "x").is_retryable());
        assert!(Error::new(ErrorKind::Http(503), "x").is_retryable());
        assert!(!Error::new(ErrorKind::Http(404), "x").is_retryable());
        assert!(!Error::new(ErrorKind::Parse, "x").is_retryable());
        assert!(!Error::new(ErrorKind::Tls, "x").is_retryable());
    }

    #[test]
    fn full_message_includes_the_cause_chain() {
        let io = std::io::Error::other("boom");
        let e = Error::new(ErrorKind::Connect, "GET http://x/ failed").with_source(io);
        assert_eq!(e.full_message(), "GET http://x/ failed: boom");
    }

    #[test]
    fn only_not_configured_and_disabled_let_the_chain_move_on() {
        let moving_on: Vec<ErrorKind> = ErrorKind::ALL
            .into_iter()
            .filter(|k| Error::new(*k, "x").is_not_loaded())
            .collect();
        assert_eq!(moving_on, [ErrorKind::Disabled, ErrorKind::NotConfigured]);
    }

    #[test]
    fn all_holds_every_kind_once_in_declaration_order() {
        // Exhaustive inside the crate: a new kind does not compile until it has a place here,
        // and this test fails until ALL holds it at that place.
        fn position(kind: ErrorKind) -> usize {
            match kind {
                ErrorKind::Disabled => 0,
                ErrorKind::NotConfigured => 1,
                ErrorKind::Timeout => 2,
                ErrorKind::Connect => 3,
                ErrorKind::Http(_) => 4,
                ErrorKind::Throttled => 5,
                ErrorKind::Parse => 6,
                ErrorKind::InvalidConfig => 7,
                ErrorKind::Expired => 8,
                ErrorKind::Refused => 9,
                ErrorKind::Internal => 10,
                ErrorKind::Tls => 11,
                ErrorKind::InsufficientValidity => 12,
            }
        }
        let positions: Vec<usize> = ErrorKind::ALL.into_iter().map(position).collect();
        assert_eq!(positions, (0..ErrorKind::ALL.len()).collect::<Vec<_>>());
    }

    #[test]
    fn the_http_status_is_there_for_http_errors_only() {
        assert_eq!(
            Error::new(ErrorKind::Http(404), "x").http_status(),
            Some(404)
        );
        assert_eq!(
            Error::new(ErrorKind::Http(503), "x").http_status(),
            Some(503)
        );
        assert_eq!(Error::new(ErrorKind::Throttled, "x").http_status(), None);
        assert_eq!(Error::new(ErrorKind::Timeout, "x").http_status(), None);
    }
}
