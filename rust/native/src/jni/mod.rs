//! The JNI bridge: the native methods of `dev.freshcreds.Native` (package-private, so the raw
//! handle never leaves the package).
//!
//! Each entry point runs its body in a guard ([`throw::guard`]) that catches panics, turns
//! errors into Java exceptions (`FreshCredentialsException` with the kind name,
//! `IllegalArgumentException` for bad options, `IllegalStateException` for a closed handle) and
//! returns a default value. A handle is a `Box<Arc<FreshProvider>>` as a `long`; the Java side
//! serializes `close` against every other call on the same handle.

mod convert;
mod log;
mod throw;

use std::ffi::c_void;

use jni::objects::{JClass, JLongArray, JObjectArray, JString};
use jni::sys::{jint, jlong, JNI_ERR, JNI_VERSION_1_8};
use jni::{JNIEnv, JavaVM};

use crate::host::FreshProvider;
use throw::guard;

/// Called by the JVM when the library is loaded: routes `tracing` events (through the bounded
/// log queue of `log.rs`) and panic reports to Java logging. Keeps no JNI reference.
#[no_mangle]
pub extern "system" fn JNI_OnLoad(vm: JavaVM, _reserved: *mut c_void) -> jint {
    // `JavaVM` is a transparent wrapper of the `JavaVM*` the JVM passes.
    let loaded = std::panic::catch_unwind(|| {
        let mut env = vm.get_env().ok()?;
        log::install(&mut env);
        crate::ffi::route_panics_to_tracing();
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
pub extern "system" fn JNI_OnUnload(_vm: JavaVM, _reserved: *mut c_void) {
    let _ = std::panic::catch_unwind(log::close);
}

/// `long Native.create(String[] keys, String[] values)`: a new provider handle.
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_Native_create<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    keys: JObjectArray<'l>,
    values: JObjectArray<'l>,
) -> jlong {
    guard(&mut env, 0, |env| {
        Ok(convert::into_handle(FreshProvider::new(convert::options(
            env, &keys, &values,
        )?)?))
    })
}

/// `String[] Native.credentials(long handle, long[] numbers)`: the current credentials.
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_Native_credentials<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    numbers: JLongArray<'l>,
) -> JObjectArray<'l> {
    // SAFETY: the Java side passes an open handle and serializes close.
    guard(&mut env, JObjectArray::default(), |env| {
        convert::snapshot(
            env,
            unsafe { convert::provider(handle) }?.credentials()?,
            &numbers,
        )
    })
}

/// `String[] Native.refresh(long handle, long[] numbers)`: forces a refresh and returns its result.
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_Native_refresh<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    numbers: JLongArray<'l>,
) -> JObjectArray<'l> {
    // SAFETY: the Java side passes an open handle and serializes close.
    guard(&mut env, JObjectArray::default(), |env| {
        convert::snapshot(
            env,
            unsafe { convert::provider(handle) }?.refresh()?,
            &numbers,
        )
    })
}

/// `String Native.status(long handle)`: the provider's state as JSON.
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_Native_status<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    // SAFETY: the Java side passes an open handle and serializes close.
    guard(&mut env, JString::default(), |env| {
        convert::string(env, &unsafe { convert::provider(handle) }?.status_json())
    })
}

/// `void Native.close(long handle)`: stops the provider and frees the handle (0 is ignored).
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_Native_close<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    // SAFETY: the Java side calls this once per handle, after every other call on it has returned.
    guard(&mut env, (), |_| {
        unsafe { convert::close_handle(handle) };
        Ok(())
    })
}
