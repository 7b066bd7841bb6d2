//! What the JNI bridge ([`crate::jni`]) and the C ABI ([`crate::ffi`]) have in common, written
//! once:
//!
//! - the handle codec: a fresh source a host holds is a boxed value behind a pointer (a `long` for
//!   Java, an opaque pointer for C); [`into_handle`], [`handle_ref`] (NULL / 0 is a [`Failure`],
//!   never a dereference) and [`release_handle`];
//! - the panic-capture runner [`run`]: every entry point's body runs inside `catch_unwind`, and
//!   a panic becomes an `Internal` failure naming the bug (nothing unwinds into the JVM or C);
//! - the failure mapping [`Failure::report`]: one table from a failure to what each host reports
//!   (the C status code, the Java exception), with one message.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::ffi::{code_of, FreshcredsCode, FRESHCREDS_ERR_INVALID_ARGUMENT};
use freshcreds_core::error::{Error, ErrorKind};

/// The message of a call on a handle that is NULL (C) or 0, the handle of a closed provider (Java).
pub(crate) const NO_HANDLE: &str = "freshcreds: provider is NULL or closed";

/// Why a host call failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A freshcreds error; a caught panic or a failed JNI call is one of kind `Internal`.
    Core(Error),
    /// The call itself was wrong: a NULL pointer where one is required, a string that is not UTF-8.
    InvalidArgument(String),
    /// The handle is NULL / 0: never opened, or closed.
    NoHandle,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Self {
        // Usually a Java exception is pending then, and the JNI guard leaves it as it is.
        Failure::Core(Error::new(
            ErrorKind::Internal,
            format!("freshcreds JNI call failed: {e}"),
        ))
    }
}

/// The Java exception a failure becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JavaException {
    /// `IllegalArgumentException`: bad options or arguments.
    IllegalArgument,
    /// `IllegalStateException`: use after close.
    IllegalState,
    /// `FreshCredentialsException` with this kind name.
    FreshCredentials(&'static str),
    /// `InsufficientValidityException` with these numbers: requested and available millis,
    /// expiration and more-at epoch millis, source limit millis (`contract::NO_VALUE` when absent).
    InsufficientValidity([i64; 5]),
}

/// The numbers of an `InsufficientValidityException` for a shortfall.
fn shortfall_numbers(s: &freshcreds_core::error::Shortfall) -> [i64; 5] {
    use crate::contract::NO_VALUE;
    let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    [
        millis(s.requested),
        millis(s.available),
        s.expiration.map_or(NO_VALUE, |t| t.timestamp_millis()),
        s.more_at.map_or(NO_VALUE, |t| t.timestamp_millis()),
        s.source_limit.map_or(NO_VALUE, millis),
    ]
}

/// What each host reports for one failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// The C ABI's status code.
    pub(crate) code: FreshcredsCode,
    /// The exception the JNI bridge throws.
    pub(crate) java: JavaException,
    /// The message both report (never a secret).
    pub(crate) message: String,
}

impl Failure {
    /// The one table from a failure to what the hosts report.
    ///
    /// | failure | C code | Java exception |
    /// | --- | --- | --- |
    /// | `InvalidConfig` error | `FRESHCREDS_ERR_INVALID_CONFIG` | `IllegalArgumentException` |
    /// | `InsufficientValidity` error | `FRESHCREDS_ERR_INSUFFICIENT_VALIDITY` | `InsufficientValidityException` (a `FreshCredentialsException`) |
    /// | other error of kind K | the code of K ([`code_of`]) | `FreshCredentialsException(K)` |
    /// | invalid argument | `FRESHCREDS_ERR_INVALID_ARGUMENT` | `IllegalArgumentException` |
    /// | NULL / closed handle | `FRESHCREDS_ERR_INVALID_ARGUMENT` | `IllegalStateException` |
    pub(crate) fn report(self) -> Report {
        match self {
            Failure::Core(e) => Report {
                code: code_of(e.kind()),
                java: match (e.kind(), e.shortfall()) {
                    (ErrorKind::InvalidConfig, _) => JavaException::IllegalArgument,
                    (_, Some(s)) => JavaException::InsufficientValidity(shortfall_numbers(s)),
                    (kind, None) => JavaException::FreshCredentials(kind.name()),
                },
                message: e.full_message(),
            },
            Failure::InvalidArgument(message) => Report {
                code: FRESHCREDS_ERR_INVALID_ARGUMENT,
                java: JavaException::IllegalArgument,
                message,
            },
            Failure::NoHandle => Report {
                code: FRESHCREDS_ERR_INVALID_ARGUMENT,
                java: JavaException::IllegalState,
                message: NO_HANDLE.to_string(),
            },
        }
    }
}

/// Runs one entry point's `body` with panics caught: a panic is an `Internal` failure whose
/// message starts with `freshcreds bug:`. Routes panic reports to `tracing` first (once).
pub(crate) fn run<T>(body: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    route_panics_to_tracing();
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        Err(Failure::Core(Error::new(
            ErrorKind::Internal,
            format!("freshcreds bug: {}", panic_message(panic.as_ref())),
        )))
    })
}

/// Reports panics through `tracing` (as errors) instead of the default hook, which writes to
/// stderr. Installed once, when a host first enters the library (not in this crate's own unit
/// tests, whose harness reports panics through the default hook).
pub(crate) fn route_panics_to_tracing() {
    if cfg!(test) {
        return;
    }
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            tracing::error!(target: "freshcreds::panic", "freshcreds bug: {info}");
        }))
    });
}

/// The message of a caught panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// A new handle owning `value`: a box turned into a pointer, freed by [`release_handle`].
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// The value behind a handle; [`Failure::NoHandle`] for NULL.
///
/// # Safety
/// `handle` is NULL or a pointer from [`into_handle`] that [`release_handle`] does not consume
/// while the returned reference lives (each host's contract: Java serializes `close` against
/// every other call on a handle; C callers must not free a fresh source in use).
pub(crate) unsafe fn handle_ref<'a, T>(handle: *const T) -> Result<&'a T, Failure> {
    // SAFETY: per this function's contract a non-NULL pointer is live for 'a.
    unsafe { handle.as_ref() }.ok_or(Failure::NoHandle)
}

/// Takes back the value behind a handle, to drop it; `None` for NULL.
///
/// # Safety
/// `handle` is NULL or a pointer from [`into_handle`], released only once and not used after.
pub(crate) unsafe fn release_handle<T>(handle: *mut T) -> Option<Box<T>> {
    // SAFETY: per this function's contract the pointer came from `Box::into_raw` and is freed once.
    (!handle.is_null()).then(|| unsafe { Box::from_raw(handle) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        FRESHCREDS_ERR_INTERNAL, FRESHCREDS_ERR_INVALID_CONFIG, FRESHCREDS_ERR_TIMEOUT,
    };

    #[test]
    fn a_panic_in_a_body_is_an_internal_failure_naming_the_bug() {
        let failure = run::<()>(|| panic!("deliberate {}", 7)).unwrap_err();
        let report = failure.report();
        assert_eq!(report.code, FRESHCREDS_ERR_INTERNAL);
        assert_eq!(report.java, JavaException::FreshCredentials("INTERNAL"));
        assert_eq!(report.message, "freshcreds bug: deliberate 7");
        let failure = run::<()>(|| std::panic::panic_any(42_u8)).unwrap_err();
        assert_eq!(
            failure.report().message,
            "freshcreds bug: a panic without a message"
        );
    }

    #[test]
    fn each_failure_maps_to_one_c_code_and_one_java_exception() {
        let cases = [
            (
                Failure::Core(Error::invalid_config("bad `x`")),
                FRESHCREDS_ERR_INVALID_CONFIG,
                JavaException::IllegalArgument,
            ),
            (
                Failure::Core(Error::new(ErrorKind::Timeout, "slow")),
                FRESHCREDS_ERR_TIMEOUT,
                JavaException::FreshCredentials("TIMEOUT"),
            ),
            (
                Failure::Core(Error::insufficient_validity(
                    "too short",
                    freshcreds_core::error::Shortfall {
                        requested: std::time::Duration::from_secs(1200),
                        available: std::time::Duration::from_secs(890),
                        expiration: None,
                        more_at: None,
                        source_limit: Some(std::time::Duration::from_secs(900)),
                    },
                )),
                crate::ffi::FRESHCREDS_ERR_INSUFFICIENT_VALIDITY,
                JavaException::InsufficientValidity([
                    1_200_000,
                    890_000,
                    crate::contract::NO_VALUE,
                    crate::contract::NO_VALUE,
                    900_000,
                ]),
            ),
            (
                Failure::InvalidArgument("NULL out".into()),
                FRESHCREDS_ERR_INVALID_ARGUMENT,
                JavaException::IllegalArgument,
            ),
            (
                Failure::NoHandle,
                FRESHCREDS_ERR_INVALID_ARGUMENT,
                JavaException::IllegalState,
            ),
        ];
        for (failure, code, java) in cases {
            let report = failure.report();
            assert_eq!(
                (report.code, report.java),
                (code, java),
                "{}",
                report.message
            );
        }
    }

    #[test]
    fn a_null_handle_is_a_failure_and_a_live_one_reads_back_until_released() {
        assert!(matches!(
            unsafe { handle_ref::<u32>(std::ptr::null()) },
            Err(Failure::NoHandle)
        ));
        assert!(unsafe { release_handle::<u32>(std::ptr::null_mut()) }.is_none());
        let handle = into_handle(41_u32);
        assert_eq!(unsafe { handle_ref(handle) }.ok().copied(), Some(41));
        assert_eq!(unsafe { release_handle(handle) }.map(|b| *b), Some(41));
    }
}
