//! freshcreds: AWS credentials that are refreshed early, in the background, with retries.
//!
//! Data flows one way: [`sources`] fetch credentials, the [`refresh`] engine caches and renews
//! them, and hosts (the JNI bridge, the C ABI, the command line) hand them out.
#![warn(missing_docs)]

pub mod cli;
pub mod clock;
pub mod credentials;
pub mod env;
pub mod error;
pub mod ffi;
pub mod host;
pub mod jni;
pub mod refresh;
pub mod runtime;
pub mod sources;

pub use credentials::Credentials;
pub use error::{Error, ErrorKind, Result};
