//! freshcreds: AWS credentials that are refreshed early, in the background, with retries.
//!
//! Data flows one way: [`sources`] fetch credentials, the [`refresh`] engine caches and renews
//! them, and hosts hand them out through [`host`]: the native library (crate `freshcreds-native`:
//! the JNI bridge and the C ABI) and the command line (crate `freshcreds-cli`), which depend on
//! this crate and never the other way round.
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
