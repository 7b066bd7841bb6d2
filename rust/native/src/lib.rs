//! libfreshcreds: the native library of freshcreds, for the JVM (`jni`, the native methods of
//! the package-private `dev.freshcreds.Native`) and for C and other hosts ([`ffi`], the C ABI of
//! `include/freshcreds.h`). Both are thin hosts over the core crate's [`host`](freshcreds_core::host) API.
#![warn(missing_docs, unreachable_pub)]

mod bridge;
mod contract;
pub mod ffi;
mod jni;
