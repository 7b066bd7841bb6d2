//! Turning a failed bridge call into a Java exception, and the guard every JNI entry point runs
//! its body in.

use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::objects::{JObject, JThrowable, JValue};
use jni::JNIEnv;

use crate::error::{Error, ErrorKind};

/// The Java class of freshcreds errors (kind name + message).
pub(crate) const EXCEPTION_CLASS: &str = "dev/freshcreds/FreshCredentialsException";
const ILLEGAL_ARGUMENT: &str = "java/lang/IllegalArgumentException";
const ILLEGAL_STATE: &str = "java/lang/IllegalStateException";

/// Why a bridge call failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A freshcreds error: becomes a `FreshCredentialsException` (or `IllegalArgumentException`
    /// for `InvalidConfig`).
    Core(Error),
    /// A JNI call failed; usually a Java exception is already pending and is left as it is.
    Jni(jni::errors::Error),
    /// The handle was already closed (or never opened): `IllegalStateException`.
    Closed(&'static str),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Self {
        Failure::Jni(e)
    }
}

/// Runs `body` with panics caught; on failure throws the matching Java exception (unless one is
/// already pending, which is never overwritten) and returns `default`.
pub(crate) fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    default: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T, Failure>,
) -> T {
    let failure = match catch_unwind(AssertUnwindSafe(|| body(env))) {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(panic) => Failure::Core(Error::new(
            ErrorKind::Internal,
            format!(
                "freshcreds bug: {}",
                crate::ffi::panic_message(panic.as_ref())
            ),
        )),
    };
    throw(env, failure);
    default
}

/// Throws the Java exception for `failure`, unless an exception is already pending.
fn throw(env: &mut JNIEnv<'_>, failure: Failure) {
    // A pending exception (from Java code we called, or a failed JNI call) says more than ours.
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let _ = match failure {
        Failure::Core(e) if e.kind() == ErrorKind::InvalidConfig => {
            env.throw_new(ILLEGAL_ARGUMENT, e.full_message())
        }
        Failure::Core(e) => throw_fresh(env, e.kind().name(), &e.full_message()),
        Failure::Closed(what) => env.throw_new(ILLEGAL_STATE, what),
        Failure::Jni(e) => throw_fresh(
            env,
            ErrorKind::Internal.name(),
            &format!("freshcreds JNI call failed: {e}"),
        ),
    };
}

/// Throws `new FreshCredentialsException(kind, message)`.
fn throw_fresh(env: &mut JNIEnv<'_>, kind: &str, message: &str) -> jni::errors::Result<()> {
    let kind = JObject::from(env.new_string(kind)?);
    let message = JObject::from(env.new_string(message)?);
    let exception = env.new_object(
        EXCEPTION_CLASS,
        "(Ljava/lang/String;Ljava/lang/String;)V",
        &[JValue::Object(&kind), JValue::Object(&message)],
    )?;
    env.throw(JThrowable::from(exception))
}

/// `void NativeTestHooks.panicForTest(String message)` (a class of the Java tests, not of the
/// product jar): panics inside the guard, so tests can check that a bug surfaces as a
/// `FreshCredentialsException` of kind `INTERNAL` instead of aborting the JVM.
#[no_mangle]
pub extern "system" fn Java_dev_freshcreds_NativeTestHooks_panicForTest<'l>(
    mut env: jni::JNIEnv<'l>,
    _class: jni::objects::JClass<'l>,
    message: jni::objects::JString<'l>,
) {
    guard(&mut env, (), |env| {
        panic!("{}", String::from(env.get_string(&message)?))
    })
}
