//! Turning a failed bridge call into a Java exception, and the guard every JNI entry point runs
//! its body in.

use jni::objects::{JObject, JThrowable, JValue};
use jni::JNIEnv;

use crate::bridge::{self, Failure, JavaException};
use crate::contract::{
    EXCEPTION_CLASS, INSUFFICIENT_VALIDITY_CLASS, INSUFFICIENT_VALIDITY_CONSTRUCTOR,
};

const ILLEGAL_ARGUMENT: &str = "java/lang/IllegalArgumentException";
const ILLEGAL_STATE: &str = "java/lang/IllegalStateException";

/// Runs `body` in the bridge's runner ([`bridge::run`], panics caught); on failure throws the
/// Java exception of [`Failure::report`] (unless one is already pending, which is never
/// overwritten) and returns `default`.
pub(crate) fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    default: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T, Failure>,
) -> T {
    match bridge::run(|| body(env)) {
        Ok(value) => value,
        Err(failure) => {
            throw(env, failure);
            default
        }
    }
}

/// Throws the Java exception for `failure`, unless an exception is already pending.
fn throw(env: &mut JNIEnv<'_>, failure: Failure) {
    // A pending exception (from Java code we called, or a failed JNI call) says more than ours.
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let report = failure.report();
    let _ = match report.java {
        JavaException::IllegalArgument => env.throw_new(ILLEGAL_ARGUMENT, report.message),
        JavaException::IllegalState => env.throw_new(ILLEGAL_STATE, report.message),
        JavaException::FreshCredentials(kind) => throw_fresh(env, kind, &report.message),
        JavaException::InsufficientValidity(numbers) => {
            throw_insufficient(env, &report.message, numbers)
        }
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

/// Throws `new InsufficientValidityException(message, requested, available, expiration,
/// moreAt, sourceLimit)`.
fn throw_insufficient(env: &mut JNIEnv<'_>, message: &str, n: [i64; 5]) -> jni::errors::Result<()> {
    let message = JObject::from(env.new_string(message)?);
    let exception = env.new_object(
        INSUFFICIENT_VALIDITY_CLASS,
        INSUFFICIENT_VALIDITY_CONSTRUCTOR,
        &[
            JValue::Object(&message),
            JValue::Long(n[0]),
            JValue::Long(n[1]),
            JValue::Long(n[2]),
            JValue::Long(n[3]),
            JValue::Long(n[4]),
        ],
    )?;
    env.throw(JThrowable::from(exception))
}
