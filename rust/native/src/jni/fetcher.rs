//! Sources written in Java: the native methods of `dev.freshcreds.Native` that build them, and the
//! calls from the engine back into Java.
//!
//! A provider over Java code holds a global reference to a `dev.freshcreds.FetcherBridge`
//! (released when the provider is dropped) and calls its one method,
//! `String[] call(long[] numbers)`, which runs the application's fetcher or token supplier,
//! catches whatever it throws and answers in plain strings and numbers
//! ([`BRIDGE_OK`], [`BRIDGE_RETRYABLE`], [`BRIDGE_PERMANENT`]). Each call attaches the engine's
//! blocking thread for the call only and runs in a local frame; the core bounds it in time
//! ([`freshcreds_core::sources::fetcher`]).

use std::sync::Arc;
use std::time::Duration;

use jni::objects::{GlobalRef, JObject, JObjectArray, JString, JValue};
use jni::sys::jlong;
use jni::{JNIEnv, JavaVM};
use zeroize::Zeroizing;

use super::convert;
use crate::bridge::Failure;
use freshcreds_core::error::Result as CoreResult;
use freshcreds_core::host::{FreshSource, SourceOptions};
use freshcreds_core::sources::fetcher::{
    expiration_from_epoch_millis, CredentialFetcher, FailureKind, FetcherAnswer, TokenSupplier,
};

/// `FetcherBridge.OK`: the strings hold an answer.
pub(crate) const BRIDGE_OK: jlong = 0;
/// `FetcherBridge.RETRYABLE`: the Java code failed; trying again soon may succeed.
pub(crate) const BRIDGE_RETRYABLE: jlong = 1;
/// `FetcherBridge.PERMANENT`: the Java code failed; trying again soon will not help.
pub(crate) const BRIDGE_PERMANENT: jlong = 2;
/// `FetcherBridge.NUMBERS`: the numbers a call fills (expiration, outcome).
const BRIDGE_NUMBERS: usize = 2;
/// The expiration of credentials that do not expire (`Native.NO_EXPIRATION`).
const NO_EXPIRATION: jlong = jlong::MIN;
/// Local references one call needs (the numbers, the answer, its four strings).
const CALL_FRAME_CAPACITY: i32 = 16;

/// The Java object behind a source, and how to reach it from any thread.
struct JavaBridge {
    vm: JavaVM,
    bridge: GlobalRef,
    name: String,
}

/// What one call into Java answered: the outcome, the expiration and four strings.
struct Raw {
    outcome: jlong,
    expiration: jlong,
    strings: [Option<Zeroizing<String>>; 4],
}

impl JavaBridge {
    fn new(env: &mut JNIEnv<'_>, bridge: &JObject<'_>, name: String) -> Result<Self, Failure> {
        if bridge.is_null() {
            return Err(Failure::InvalidArgument(format!(
                "freshcreds: the bridge of {name} is null"
            )));
        }
        Ok(JavaBridge {
            vm: env.get_java_vm()?,
            bridge: env.new_global_ref(bridge)?,
            name,
        })
    }

    /// Calls `FetcherBridge.call` on this thread, attached for the call only.
    fn call(&self) -> Result<Raw, String> {
        let mut env = self
            .vm
            .attach_current_thread()
            .map_err(|e| format!("could not attach to the JVM: {e}"))?;
        let result = env.with_local_frame(CALL_FRAME_CAPACITY, |env| self.call_in(env));
        if env.exception_check().unwrap_or(false) {
            // The bridge catches every Throwable; what gets here is an Error thrown around it
            // (out of memory, a stack overflow). Not ours to leave pending on a native thread.
            let _ = env.exception_clear();
        }
        result.map_err(|e: jni::errors::Error| format!("the call into Java failed: {e}"))
    }

    fn call_in(&self, env: &mut JNIEnv<'_>) -> jni::errors::Result<Raw> {
        let numbers = env.new_long_array(BRIDGE_NUMBERS as i32)?;
        let answer = env
            .call_method(
                self.bridge.as_obj(),
                "call",
                "([J)[Ljava/lang/String;",
                &[JValue::Object(&numbers)],
            )?
            .l()?;
        let mut longs = [0 as jlong; BRIDGE_NUMBERS];
        env.get_long_array_region(&numbers, 0, &mut longs)?;
        let mut strings: [Option<Zeroizing<String>>; 4] = Default::default();
        if !answer.is_null() {
            let answer = JObjectArray::from(answer);
            let len = env.get_array_length(&answer)?.min(4);
            for (i, slot) in strings.iter_mut().enumerate().take(len as usize) {
                let element = env.get_object_array_element(&answer, i as i32)?;
                if !element.is_null() {
                    let element = JString::from(element);
                    *slot = Some(Zeroizing::new(env.get_string(&element)?.into()));
                    env.delete_local_ref(element)?;
                }
            }
        }
        Ok(Raw {
            outcome: longs[1],
            expiration: longs[0],
            strings,
        })
    }

    /// The failure a call reports (or one naming the protocol problem).
    fn failure(&self, raw: &Raw) -> Option<(FailureKind, String)> {
        let message = raw.strings[3]
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "no message".to_string());
        match raw.outcome {
            BRIDGE_OK => None,
            BRIDGE_PERMANENT => Some((FailureKind::Permanent, message)),
            BRIDGE_RETRYABLE => Some((FailureKind::Retryable, message)),
            other => Some((
                FailureKind::Retryable,
                format!("unknown outcome {other} from the bridge of {}", self.name),
            )),
        }
    }
}

/// A `CredentialFetcher` in Java.
struct JavaFetcher(JavaBridge);

impl CredentialFetcher for JavaFetcher {
    fn fetch(&self) -> FetcherAnswer {
        let raw = match self.0.call() {
            Ok(raw) => raw,
            Err(message) => return FetcherAnswer::Failed(FailureKind::Retryable, message),
        };
        if let Some((kind, message)) = self.0.failure(&raw) {
            return FetcherAnswer::Failed(kind, message);
        }
        let [access_key_id, secret, token, _] = raw.strings;
        let expiration = match raw.expiration {
            NO_EXPIRATION => None,
            millis => match expiration_from_epoch_millis(millis) {
                Some(at) => Some(at),
                None => {
                    return FetcherAnswer::Failed(
                        FailureKind::Permanent,
                        format!("the expiry {millis} (epoch millis) is not a time"),
                    )
                }
            },
        };
        FetcherAnswer::Credentials {
            access_key_id: access_key_id.map(|s| s.to_string()).unwrap_or_default(),
            secret_access_key: secret.unwrap_or_default(),
            session_token: token,
            expiration,
        }
    }
}

/// A web identity token supplier in Java.
struct JavaTokenSupplier(JavaBridge);

impl TokenSupplier for JavaTokenSupplier {
    fn token(&self) -> Result<Zeroizing<String>, (FailureKind, String)> {
        let raw = self.0.call().map_err(|m| (FailureKind::Retryable, m))?;
        if let Some(failure) = self.0.failure(&raw) {
            return Err(failure);
        }
        let [token, ..] = raw.strings;
        Ok(token.unwrap_or_default())
    }
}

/// What both entry points do around their source: converts the options, holds `bridge` (called
/// `label` in messages), lets `build` make the fresh source over it with the call timeout, and
/// hands out its handle.
fn fresh_source_over_bridge(
    env: &mut JNIEnv<'_>,
    keys: &JObjectArray<'_>,
    values: &JObjectArray<'_>,
    bridge: &JObject<'_>,
    label: String,
    timeout_millis: jlong,
    build: impl FnOnce(SourceOptions, JavaBridge, Duration) -> CoreResult<FreshSource>,
) -> Result<jlong, Failure> {
    let options = convert::options(env, keys, values)?;
    let bridge = JavaBridge::new(env, bridge, label)?;
    let timeout = Duration::from_millis(timeout_millis.max(0) as u64);
    Ok(convert::into_handle(build(options, bridge, timeout)?))
}

entry_point! {
    /// `long Native.createFetcher(String[] keys, String[] values, String name,
    /// Object bridge, long callTimeoutMillis)`: a provider handle over a Java fetcher.
    fn Java_dev_freshcreds_Native_createFetcher(
        keys: JObjectArray<'l>,
        values: JObjectArray<'l>,
        name: JString<'l>,
        bridge: JObject<'l>,
        timeout_millis: jlong,
    ) -> jlong = 0, |env| {
        let name = convert::java_string(env, &name, "fetcher name")?;
        let label = format!("Fetcher({name})");
        let build = |options, bridge, timeout| {
            let fetcher: Arc<dyn CredentialFetcher> = Arc::new(JavaFetcher(bridge));
            FreshSource::from_fetcher(options, &name, fetcher, timeout)
        };
        fresh_source_over_bridge(env, &keys, &values, &bridge, label, timeout_millis, build)
    }
}

entry_point! {
    /// `long Native.createTokenSupplier(String[] keys, String[] values, Object bridge,
    /// long callTimeoutMillis)`: a provider handle that assumes the `roleArn` of the options
    /// with web identity tokens from Java.
    fn Java_dev_freshcreds_Native_createTokenSupplier(
        keys: JObjectArray<'l>,
        values: JObjectArray<'l>,
        bridge: JObject<'l>,
        timeout_millis: jlong,
    ) -> jlong = 0, |env| {
        let label = "WebIdentityTokenSupplier".to_string();
        let build = |options, bridge, timeout| {
            let supplier: Arc<dyn TokenSupplier> = Arc::new(JavaTokenSupplier(bridge));
            FreshSource::from_token_supplier(options, supplier, timeout)
        };
        fresh_source_over_bridge(env, &keys, &values, &bridge, label, timeout_millis, build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAVA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../java/src/main/java/dev/freshcreds/"
    );

    fn java(class: &str) -> String {
        std::fs::read_to_string(format!("{JAVA}{class}.java")).expect("the Java source")
    }

    fn constant(source: &str, name: &str) -> i64 {
        let line = source
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("static final") && l.contains(&format!(" {name} = ")))
            .unwrap_or_else(|| panic!("no constant {name}"));
        line.rsplit_once('=')
            .unwrap()
            .1
            .trim()
            .trim_end_matches(';')
            .parse()
            .unwrap()
    }

    #[test]
    fn the_answers_of_fetcherbridge_java_match_the_bridge() {
        let bridge = java("FetcherBridge");
        assert_eq!(constant(&bridge, "OK"), BRIDGE_OK);
        assert_eq!(constant(&bridge, "RETRYABLE"), BRIDGE_RETRYABLE);
        assert_eq!(constant(&bridge, "PERMANENT"), BRIDGE_PERMANENT);
        assert_eq!(constant(&bridge, "NUMBERS"), BRIDGE_NUMBERS as i64);
        assert_eq!(constant(&bridge, "EXPIRATION"), 0);
        assert_eq!(constant(&bridge, "OUTCOME"), 1);
        assert_eq!(constant(&bridge, "MESSAGE"), 3);
    }

    #[test]
    fn the_java_call_timeouts_are_the_cores() {
        use freshcreds_core::sources::fetcher::{DEFAULT_CALL_TIMEOUT, MAX_CALL_TIMEOUT};
        let source = java("FreshCredentialsSource");
        assert!(source.contains(&format!(
            "DEFAULT_CALL_TIMEOUT = Duration.ofSeconds({});",
            DEFAULT_CALL_TIMEOUT.as_secs()
        )));
        assert!(source.contains(&format!(
            "MAX_CALL_TIMEOUT = Duration.ofSeconds({});",
            MAX_CALL_TIMEOUT.as_secs()
        )));
    }
}
