//! libfreshcreds: the native library of freshcreds, for the JVM ([`jni`], the native methods of
//! the package-private `dev.freshcreds.Native`) and for C and other hosts ([`ffi`], the C ABI of
//! `include/freshcreds.h`). Both are thin hosts over the core crate's [`host`] API.
#![warn(missing_docs)]

mod bridge;
pub mod contract;
pub mod ffi;
pub mod jni;

// The core modules the hosts build on, at this crate's root so `crate::<module>` paths inside the
// hosts read as they do in the core.
use freshcreds_core::{error, host};
