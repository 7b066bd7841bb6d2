//! The JNI bridge: the native methods of `dev.freshcreds.Native` (package-private, so the raw
//! handle never leaves the package).
//!
//! Each entry point is declared with `entry_point!` (the credential reads with
//! `snapshot_entry_point!`) and runs its body in a guard
//! ([`throw::guard`], over the shared runner of [`crate::bridge`]) that catches panics, turns
//! errors into Java exceptions (`FreshCredentialsException` with the kind name,
//! `IllegalArgumentException` for bad options, `IllegalStateException` for a closed handle, per
//! `bridge::Failure::report`) and returns a default value. A handle is a boxed `FreshSource`
//! as a `long` (the bridge's handle codec); the Java side serializes `close` against every other
//! call on the same handle. The values that cross the boundary are in [`crate::contract`].

/// Declares one JNI entry point: the JNI prologue (the environment and the class, unused), then
/// `body` in [`throw::guard`], which throws and returns `default` when the body fails or panics.
/// `'l` is the lifetime of the call's local references.
///
/// ```text
/// entry_point! {
///     /// `int Native.answer(long handle)`.
///     fn Java_dev_freshcreds_Native_answer(handle: jlong) -> jint = 0, |env| Ok(42)
/// }
/// ```
macro_rules! entry_point {
    (
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
            = $default:expr, |$env:pat_param| $body:expr
    ) => {
        $(#[$attr])*
        #[no_mangle]
        pub(crate) extern "system" fn $name<'l>(
            mut env: ::jni::JNIEnv<'l>,
            _class: ::jni::objects::JClass<'l>,
            $($arg: $ty),*
        ) $(-> $ret)? {
            $crate::jni::throw::guard(&mut env, $default, |$env| $body)
        }
    };
}

/// Declares an entry point `String[] Native.NAME(long handle, long[] numbers)` that reads
/// credentials with `read` (a `FreshSource` method), fills `numbers` and returns the strings
/// as [`convert::snapshot`] lays them out.
macro_rules! snapshot_entry_point {
    ($(#[$attr:meta])* fn $name:ident = $read:expr) => {
        entry_point! {
            $(#[$attr])*
            fn $name(handle: jlong, numbers: JLongArray<'l>) -> JObjectArray<'l>
                = JObjectArray::default(), |env| convert::snapshot(env, handle, &numbers, $read)
        }
    };
}

mod convert;
mod fetcher;
mod log;
mod throw;

use std::ffi::c_void;

use jni::objects::{JLongArray, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong, JNI_ERR, JNI_FALSE, JNI_TRUE, JNI_VERSION_1_8};
use jni::JavaVM;

use freshcreds_core::host::FreshSource;

/// Called by the JVM when the library is loaded: routes `tracing` events (through the bounded
/// log queue of `log.rs`) and panic reports to Java logging. Keeps no JNI reference.
#[no_mangle]
pub(crate) extern "system" fn JNI_OnLoad(vm: JavaVM, _reserved: *mut c_void) -> jint {
    // `JavaVM` is a transparent wrapper of the `JavaVM*` the JVM passes.
    let loaded = std::panic::catch_unwind(|| {
        let mut env = vm.get_env().ok()?;
        log::install(&mut env);
        crate::bridge::route_panics_to_tracing();
        Some(())
    });
    match loaded {
        Ok(Some(())) => JNI_VERSION_1_8,
        _ => JNI_ERR,
    }
}

/// Called by the JVM when the class loader that loaded the library has been collected: stops
/// log forwarding and discards queued records. The bridge holds no global reference to
/// release (none is ever created), which is what lets that class loader be collected at all.
#[no_mangle]
pub(crate) extern "system" fn JNI_OnUnload(_vm: JavaVM, _reserved: *mut c_void) {
    let _ = std::panic::catch_unwind(log::close);
}

entry_point! {
    /// `long Native.create(String[] keys, String[] values)`: a new provider handle.
    fn Java_dev_freshcreds_Native_create(keys: JObjectArray<'l>, values: JObjectArray<'l>) -> jlong
        = 0, |env| {
            let options = convert::options(env, &keys, &values)?;
            Ok(convert::into_handle(FreshSource::new(options)?))
        }
}

snapshot_entry_point! {
    /// `String[] Native.credentials(long handle, long[] numbers)`: the current credentials.
    fn Java_dev_freshcreds_Native_credentials = FreshSource::credentials
}

entry_point! {
    /// `String[] Native.credentialsValidFor(long handle, long minMillis, long[] numbers)`:
    /// credentials valid for at least `minMillis`, or an `InsufficientValidityException`.
    fn Java_dev_freshcreds_Native_credentialsValidFor(
        handle: jlong,
        min_millis: jlong,
        numbers: JLongArray<'l>,
    ) -> JObjectArray<'l>
        = JObjectArray::default(),
        |env| {
            let min = u64::try_from(min_millis).map_err(|_| {
                crate::bridge::Failure::InvalidArgument(format!(
                    "freshcreds: the minimum validity is negative ({min_millis} ms)"
                ))
            })?;
            let min = std::time::Duration::from_millis(min);
            convert::snapshot(env, handle, &numbers, |p| p.credentials_valid_for(min))
        }
}

snapshot_entry_point! {
    /// `String[] Native.refresh(long handle, long[] numbers)`: forces a refresh and returns its
    /// result.
    fn Java_dev_freshcreds_Native_refresh = FreshSource::refresh
}

entry_point! {
    /// `boolean Native.invalidate(long handle, String rejectedAccessKeyId)`: reports a rejected
    /// key, waits (bounded) for the round that replaces it; true when other credentials are
    /// cached now.
    fn Java_dev_freshcreds_Native_invalidate(handle: jlong, rejected: JString<'l>) -> jboolean
        = JNI_FALSE, |env| {
            let rejected = convert::java_string(env, &rejected, "rejected access key id")?;
            // SAFETY: the Java side passes an open handle and serializes close.
            let provider = unsafe { convert::provider(handle) }?;
            Ok(if provider.invalidate(&rejected)?.is_some() { JNI_TRUE } else { JNI_FALSE })
        }
}

entry_point! {
    /// `String Native.status(long handle)`: the fresh source's state as JSON.
    fn Java_dev_freshcreds_Native_status(handle: jlong) -> JString<'l> = JString::default(), |env| {
        // SAFETY: the Java side passes an open handle and serializes close.
        let provider = unsafe { convert::provider(handle) }?;
        convert::string(env, &provider.status_json())
    }
}

entry_point! {
    /// `String[] Native.statusFields()`: the rows of the status fields
    /// (`contract::STATUS_FIELD_COLUMNS` strings each), which every Java view iterates.
    fn Java_dev_freshcreds_Native_statusFields() -> JObjectArray<'l>
        = JObjectArray::default(),
        |env| convert::status_fields(env)
}

entry_point! {
    /// `String[] Native.statusValues(long handle, long[] numbers)`: the fresh source's state, one
    /// long per number field and one string per text field of `statusFields()`, for the typed
    /// Java status, JMX and metrics.
    fn Java_dev_freshcreds_Native_statusValues(handle: jlong, numbers: JLongArray<'l>)
        -> JObjectArray<'l>
        = JObjectArray::default(),
        |env| convert::status(env, handle, &numbers)
}

entry_point! {
    /// `void Native.close(long handle)`: stops the fresh source and frees the handle (0 is ignored).
    fn Java_dev_freshcreds_Native_close(handle: jlong) = (), |_| {
        // SAFETY: the Java side calls this once per handle, after every other call on it has
        // returned.
        unsafe { convert::close_handle(handle) };
        Ok(())
    }
}
