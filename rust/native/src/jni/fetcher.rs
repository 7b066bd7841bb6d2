//! Sources written in Java: the native methods of `dev.freshcreds.Native` that build them, and the
//! calls from the engine back into Java.
//!
//! A provider over Java code holds a global reference to a `dev.freshcreds.FetcherBridge`
//! (released when the provider is dropped) and calls its one method,
//! `String[] call(long[] numbers)`, which runs the application's fetcher or token supplier,
//! catches whatever it throws and answers in plain strings and numbers (laid out as
//! [`FetcherNumber`], [`FetcherText`] and [`FetcherOutcome`] say). Each call attaches the engine's
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
use crate::contract::{FetcherNumber, FetcherOutcome, FetcherText, NO_EXPIRATION};
use freshcreds_core::error::Result as CoreResult;
use freshcreds_core::host::{FreshSource, SourceOptions};
use freshcreds_core::sources::fetcher::{
    expiration_from_epoch_millis, CredentialFetcher, FailureKind, FetcherAnswer, TokenSupplier,
};

/// Local references one call needs (the numbers, the answer, its four strings).
const CALL_FRAME_CAPACITY: i32 = 16;

/// The Java object behind a source, and how to reach it from any thread.
struct JavaBridge {
    vm: JavaVM,
    bridge: GlobalRef,
    name: String,
}

/// What one call into Java answered: the numbers and the strings of the contract's layout.
struct Raw {
    numbers: [jlong; FetcherNumber::ALL.len()],
    strings: [Option<Zeroizing<String>>; FetcherText::ALL.len()],
}

impl Raw {
    fn number(&self, number: FetcherNumber) -> jlong {
        self.numbers[number as usize]
    }

    fn take(&mut self, text: FetcherText) -> Option<Zeroizing<String>> {
        self.strings[text as usize].take()
    }
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
        let numbers = env.new_long_array(FetcherNumber::ALL.len() as i32)?;
        let answer = env
            .call_method(
                self.bridge.as_obj(),
                "call",
                "([J)[Ljava/lang/String;",
                &[JValue::Object(&numbers)],
            )?
            .l()?;
        let mut raw = Raw {
            numbers: Default::default(),
            strings: Default::default(),
        };
        env.get_long_array_region(&numbers, 0, &mut raw.numbers)?;
        if !answer.is_null() {
            let answer = JObjectArray::from(answer);
            let len = env
                .get_array_length(&answer)?
                .min(FetcherText::ALL.len() as i32);
            for (i, slot) in raw.strings.iter_mut().enumerate().take(len as usize) {
                let element = env.get_object_array_element(&answer, i as i32)?;
                if !element.is_null() {
                    let element = JString::from(element);
                    *slot = Some(Zeroizing::new(env.get_string(&element)?.into()));
                    env.delete_local_ref(element)?;
                }
            }
        }
        Ok(raw)
    }

    /// The failure a call reports (or one naming the protocol problem).
    fn failure(&self, raw: &mut Raw) -> Option<(FailureKind, String)> {
        let message = raw
            .take(FetcherText::Message)
            .map(|m| m.to_string())
            .unwrap_or_else(|| "no message".to_string());
        let outcome = raw.number(FetcherNumber::Outcome);
        let known = FetcherOutcome::ALL.iter().map(|(o, _)| *o);
        match known.into_iter().find(|o| *o as jlong == outcome) {
            Some(FetcherOutcome::Ok) => None,
            Some(FetcherOutcome::Permanent) => Some((FailureKind::Permanent, message)),
            Some(FetcherOutcome::Retryable) => Some((FailureKind::Retryable, message)),
            None => Some((
                FailureKind::Retryable,
                format!("unknown outcome {outcome} from the bridge of {}", self.name),
            )),
        }
    }
}

/// A `CredentialFetcher` in Java.
struct JavaFetcher(JavaBridge);

impl CredentialFetcher for JavaFetcher {
    fn fetch(&self) -> FetcherAnswer {
        let mut raw = match self.0.call() {
            Ok(raw) => raw,
            Err(message) => return FetcherAnswer::Failed(FailureKind::Retryable, message),
        };
        if let Some((kind, message)) = self.0.failure(&mut raw) {
            return FetcherAnswer::Failed(kind, message);
        }
        let expiration = match raw.number(FetcherNumber::Expiration) {
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
            access_key_id: raw
                .take(FetcherText::AccessKeyIdOrToken)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            secret_access_key: raw.take(FetcherText::SecretAccessKey).unwrap_or_default(),
            session_token: raw.take(FetcherText::SessionToken),
            expiration,
        }
    }
}

/// A web identity token supplier in Java.
struct JavaTokenSupplier(JavaBridge);

impl TokenSupplier for JavaTokenSupplier {
    fn token(&self) -> Result<Zeroizing<String>, (FailureKind, String)> {
        let mut raw = self.0.call().map_err(|m| (FailureKind::Retryable, m))?;
        if let Some(failure) = self.0.failure(&mut raw) {
            return Err(failure);
        }
        Ok(raw
            .take(FetcherText::AccessKeyIdOrToken)
            .unwrap_or_default())
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
    const JAVA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../java/src/main/java/dev/freshcreds/"
    );

    fn java(class: &str) -> String {
        std::fs::read_to_string(format!("{JAVA}{class}.java")).expect("the Java source")
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
