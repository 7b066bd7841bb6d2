//! freshcreds: AWS credentials that are refreshed early, in the background, with retries.
//!
//! Data flows one way: [`sources`] fetch credentials, the [`refresh`] engine caches and renews
//! them, and hosts hand them out through [`host`]: the native library (crate `freshcreds-native`:
//! the JNI bridge and the C ABI) and the command line (crate `freshcreds-cli`), which depend on
//! this crate and never the other way round.
//!
//! What is `pub` is what those hosts, Rust users and the integration tests in `tests/` call; the
//! tests use no back door (no test-only module): the failure policy's table
//! ([`refresh::RefreshState`]) and its named bounds are public because they are the documented
//! contract the tests check. Everything else is `pub(crate)`.
#![warn(missing_docs)]

pub mod clock;
pub mod credentials;
pub mod env;
pub mod error;
pub mod host;
pub mod http;
pub mod refresh;
pub mod runtime;
pub mod sdk_settings;
pub mod sources;

pub use credentials::Credentials;
pub use error::{Error, ErrorKind, Result};
