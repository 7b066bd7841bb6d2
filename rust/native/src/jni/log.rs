//! Forwarding `tracing` events to Java logging (`dev.freshcreds.internal.NativeLog.log`, which
//! uses SLF4J when present and `java.util.logging` otherwise).
//!
//! The JVM, the Java class and its method are looked up once, in `JNI_OnLoad`, with the class
//! loader that loaded the library. Rust threads are attached to the JVM only for the duration of
//! one call. Messages carry no secrets: the library never logs key material.

use std::cell::Cell;
use std::fmt::{self, Write as _};

use jni::objects::{GlobalRef, JClass, JObject, JStaticMethodID, JValue};
use jni::signature::{Primitive, ReturnType};
use jni::sys::jvalue;
use jni::{JNIEnv, JavaVM};
use once_cell::sync::OnceCell;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The Java class events go to.
pub(crate) const LOG_CLASS: &str = "dev/freshcreds/internal/NativeLog";
const LOG_METHOD: &str = "log";
const LOG_SIGNATURE: &str = "(ILjava/lang/String;Ljava/lang/String;)V";
/// The Java system property that sets the most verbose level forwarded (default `info`).
pub(crate) const LEVEL_PROPERTY: &str = "freshcreds.log.level";

struct Sink {
    vm: JavaVM,
    class: GlobalRef,
    method: JStaticMethodID,
}

static SINK: OnceCell<Sink> = OnceCell::new();

thread_local! {
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

/// The level number passed to Java: 1 = ERROR, 2 = WARN, 3 = INFO, 4 = DEBUG, 5 = TRACE.
pub(crate) fn level_number(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Remembers the JVM and the Java log method, and installs a global subscriber that forwards
/// events to it (when the process has no global subscriber yet). Called once from `JNI_OnLoad`.
pub(crate) fn install(env: &mut JNIEnv<'_>) -> jni::errors::Result<()> {
    let max_level = max_level(env);
    if SINK.get().is_none() {
        let class = env.find_class(LOG_CLASS)?;
        let method = env.get_static_method_id(&class, LOG_METHOD, LOG_SIGNATURE)?;
        let class = env.new_global_ref(class)?;
        let vm = env.get_java_vm()?;
        let _ = SINK.set(Sink { vm, class, method });
    }
    let subscriber = tracing_subscriber::registry()
        .with(JavaLogLayer)
        .with(max_level);
    // A host that already installed a subscriber keeps it.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

/// The level filter from the `freshcreds.log.level` system property (default INFO).
fn max_level(env: &mut JNIEnv<'_>) -> LevelFilter {
    let value = env
        .with_local_frame(4, |env| -> jni::errors::Result<Option<String>> {
            let key = JObject::from(env.new_string(LEVEL_PROPERTY)?);
            let value = env
                .call_static_method(
                    "java/lang/System",
                    "getProperty",
                    "(Ljava/lang/String;)Ljava/lang/String;",
                    &[JValue::Object(&key)],
                )?
                .l()?;
            if value.is_null() {
                return Ok(None);
            }
            Ok(Some(env.get_string(&value.into())?.into()))
        })
        .ok()
        .flatten();
    if env.exception_check().unwrap_or(false) {
        let _ = env.exception_clear();
    }
    value
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// A `tracing` layer that hands every event to Java logging.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JavaLogLayer;

impl<S: Subscriber> Layer<S> for JavaLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(sink) = SINK.get() else { return };
        // An event raised while forwarding (by the JNI machinery itself) is dropped, not looped.
        if FORWARDING.with(|f| f.replace(true)) {
            return;
        }
        let mut text = MessageText::default();
        event.record(&mut text);
        let metadata = event.metadata();
        forward(
            sink,
            level_number(metadata.level()),
            metadata.target(),
            &text.finish(),
        );
        FORWARDING.with(|f| f.set(false));
    }
}

/// Calls `NativeLog.log(level, target, message)` on the current thread, attaching it to the JVM
/// for the call only. Failures are swallowed: logging never breaks credentials.
fn forward(sink: &Sink, level: i32, target: &str, message: &str) {
    let Ok(mut guard) = sink.vm.attach_current_thread() else {
        return;
    };
    let env: &mut JNIEnv<'_> = &mut guard;
    // A Java thread inside a native call may have an exception pending: calling Java then is not
    // allowed, and the exception must reach its caller untouched.
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let _ = env.with_local_frame(4, |env| -> jni::errors::Result<()> {
        let target = env.new_string(target)?;
        let message = env.new_string(message)?;
        let class: &JClass<'_> = sink.class.as_obj().into();
        // SAFETY: the method id was looked up on this class with this exact signature.
        unsafe {
            env.call_static_method_unchecked(
                class,
                sink.method,
                ReturnType::Primitive(Primitive::Void),
                &[
                    jvalue { i: level },
                    jvalue { l: target.as_raw() },
                    jvalue {
                        l: message.as_raw(),
                    },
                ],
            )?;
        }
        Ok(())
    });
    if env.exception_check().unwrap_or(false) {
        let _ = env.exception_clear();
    }
}

/// The event's `message` followed by its other fields as ` key=value`.
#[derive(Default)]
struct MessageText {
    message: String,
    fields: String,
}

impl MessageText {
    fn finish(mut self) -> String {
        self.message.push_str(&self.fields);
        self.message
    }
}

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}
