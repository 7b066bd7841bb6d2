//! Forwarding `tracing` events to Java logging, off the threads that raise them.
//!
//! Events go into one bounded in-process queue ([`LOG_QUEUE_CAPACITY`] records); no thread that
//! raises an event ever calls Java. One Java daemon thread (`dev.freshcreds.LogPump`, a Java
//! thread from the start, so nothing is attached per record) takes batches with
//! [`Java_dev_freshcreds_Native_takeLogRecords`] and hands them to
//! `dev.freshcreds.internal.NativeLog.log`, which uses SLF4J when present and
//! `java.util.logging` otherwise. A slow or blocked Java log handler therefore delays only that
//! thread: when the queue is full, new records are dropped and counted
//! ([`Java_dev_freshcreds_Native_logRecordsDropped`]), and the refresh engine keeps running.
//!
//! The most verbose level forwarded follows the Java logger `dev.freshcreds` at run time: the log
//! thread asks it (SLF4J or `java.util.logging`) between batches and passes a change on with
//! [`Java_dev_freshcreds_Native_setLogLevel`], which swaps the filter of the installed
//! subscriber. The `freshcreds.log.level` system property, when set, pins the level instead.
//!
//! The bridge holds no JNI global reference (nothing pins the class loader that loaded the
//! library); [`close`] (called from `JNI_OnUnload`) stops accepting records and wakes the taker.
//! Messages carry no secrets: the library never logs key material.

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use jni::objects::{JIntArray, JObject, JObjectArray, JValue};
use jni::sys::{jint, jlong};
use jni::JNIEnv;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{reload, Registry};

use crate::contract::LogLevel;

/// The Java system property that sets the most verbose level forwarded (default `info`).
pub(crate) const LEVEL_PROPERTY: &str = "freshcreds.log.level";
/// Records held for the Java log thread at most; more are dropped and counted.
pub(super) const LOG_QUEUE_CAPACITY: usize = 1024;
/// Longest wait of one `takeLogRecords` call, whatever the Java side asks (so a stop request is
/// never missed for long).
pub(super) const MAX_TAKE_WAIT: Duration = Duration::from_secs(1);

/// One event, as handed to Java.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    level: i32,
    target: String,
    message: String,
}

#[derive(Debug)]
struct State {
    records: VecDeque<Record>,
    /// False after [`LogQueue::close`]: records are then discarded (not counted as dropped).
    open: bool,
    /// Set by [`LogQueue::wake`]: the current or next wait returns at once.
    woken: bool,
}

/// The bounded queue between event producers (any thread) and the one Java log thread.
#[derive(Debug)]
pub(crate) struct LogQueue {
    capacity: usize,
    state: Mutex<State>,
    ready: Condvar,
    dropped: AtomicU64,
}

impl LogQueue {
    /// An empty, open queue holding at most `capacity` records.
    pub(crate) const fn new(capacity: usize) -> Self {
        LogQueue {
            capacity,
            state: Mutex::new(State {
                records: VecDeque::new(),
                open: true,
                woken: false,
            }),
            ready: Condvar::new(),
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves a consistent VecDeque: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a record, or counts it as dropped when the queue is full. Never blocks on Java.
    pub(crate) fn push(&self, record: Record) {
        let mut state = self.lock();
        if !state.open {
            return;
        }
        if state.records.len() >= self.capacity {
            drop(state);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.records.push_back(record);
        drop(state);
        self.ready.notify_one();
    }

    /// Takes up to `max` records, waiting up to `wait` for the first one (less when woken or
    /// closed). An empty result means: nothing arrived in time.
    pub(crate) fn take(&self, max: usize, wait: Duration) -> Vec<Record> {
        let state = self.lock();
        let (mut state, _) = self
            .ready
            .wait_timeout_while(state, wait.min(MAX_TAKE_WAIT), |s| {
                s.records.is_empty() && s.open && !s.woken
            })
            .unwrap_or_else(|e| e.into_inner());
        state.woken = false;
        let n = max.min(state.records.len());
        state.records.drain(..n).collect()
    }

    /// Makes the current (or next) [`take`](Self::take) return without waiting for a record.
    pub(crate) fn wake(&self) {
        self.lock().woken = true;
        self.ready.notify_all();
    }

    /// Records dropped because the queue was full, since the library was loaded.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Stops accepting records, discards those queued and wakes the taker.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.open = false;
        state.records.clear();
        drop(state);
        self.ready.notify_all();
    }
}

static QUEUE: LogQueue = LogQueue::new(LOG_QUEUE_CAPACITY);

/// The `tracing` level of a level of the contract.
fn tracing_level(level: LogLevel) -> Level {
    match level {
        LogLevel::Error => Level::ERROR,
        LogLevel::Warn => Level::WARN,
        LogLevel::Info => Level::INFO,
        LogLevel::Debug => Level::DEBUG,
        LogLevel::Trace => Level::TRACE,
    }
}

/// The level number passed to Java for a `tracing` level.
pub(crate) fn level_number(level: &Level) -> i32 {
    LogLevel::ALL
        .iter()
        .map(|(number, _)| *number)
        .find(|number| tracing_level(*number) == *level)
        .unwrap_or(LogLevel::Trace)
        .number()
}

/// The subscriber's level filter, swapped by [`set_max_level`].
type LevelHandle =
    reload::Handle<LevelFilter, tracing_subscriber::layer::Layered<JavaLogLayer, Registry>>;

/// The handle of the installed subscriber's filter (unset when the process had a subscriber).
static LEVEL: once_cell::sync::OnceCell<LevelHandle> = once_cell::sync::OnceCell::new();

/// Installs a global subscriber that queues events for Java (when the process has no global
/// subscriber yet), at the level of the `freshcreds.log.level` system property (INFO when it is
/// unset, until the log thread reports the Java logger's level). Called once from
/// `JNI_OnLoad`; holds no JNI reference.
pub(crate) fn install(env: &mut JNIEnv<'_>) {
    let (filter, handle) = reload::Layer::new(max_level(env));
    let subscriber = tracing_subscriber::registry()
        .with(JavaLogLayer)
        .with(filter);
    // A host that already installed a subscriber keeps it.
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let _ = LEVEL.set(handle);
    }
}

/// The filter for a level number of the contract (0 and below: nothing).
pub(crate) fn level_filter(level: i32) -> LevelFilter {
    LogLevel::of(level).map_or(LevelFilter::OFF, |l| {
        LevelFilter::from_level(tracing_level(l))
    })
}

/// Sets the most verbose level forwarded; false when this library did not install the
/// subscriber (the host's own one is left alone).
pub(crate) fn set_max_level(level: i32) -> bool {
    LEVEL
        .get()
        .is_some_and(|h| h.modify(|f| *f = level_filter(level)).is_ok())
}

/// Stops forwarding (from `JNI_OnUnload`): queued records are discarded, the taker returns.
pub(crate) fn close() {
    QUEUE.close();
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

/// A `tracing` layer that queues every event for the Java log thread.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JavaLogLayer;

impl<S: Subscriber> Layer<S> for JavaLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = MessageText::default();
        event.record(&mut text);
        let metadata = event.metadata();
        QUEUE.push(Record {
            level: level_number(metadata.level()),
            target: metadata.target().to_string(),
            message: text.finish(),
        });
    }
}

entry_point! {
    /// `void Native.setLogLevel(int level)`: the most verbose level forwarded (0 = none,
    /// 1 = ERROR … 5 = TRACE), as the Java logger `dev.freshcreds` is set.
    fn Java_dev_freshcreds_Native_setLogLevel(level: jint) = (), |_| {
        set_max_level(level);
        Ok(())
    }
}

entry_point! {
    /// `int Native.takeLogRecords(long waitMillis, int[] levels, String[] texts)`: moves up to
    /// `min(levels.length, texts.length / 2)` queued records into the arrays (`levels[i]`,
    /// `texts[2i]` = target, `texts[2i+1]` = message), waiting up to `waitMillis` (at most
    /// [`MAX_TAKE_WAIT`]) for the first; returns how many. Called by the Java log thread only.
    fn Java_dev_freshcreds_Native_takeLogRecords(
        wait_millis: jlong,
        levels: JIntArray<'l>,
        texts: JObjectArray<'l>,
    ) -> jint = 0, |env| {
        if levels.is_null() || texts.is_null() {
            return Ok(0);
        }
        let room = env
            .get_array_length(&levels)?
            .min(env.get_array_length(&texts)? / 2)
            .max(0) as usize;
        let wait = Duration::from_millis(u64::try_from(wait_millis).unwrap_or(0));
        let records = QUEUE.take(room, wait);
        let mut numbers = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            numbers.push(record.level);
            for (j, text) in [&record.target, &record.message].into_iter().enumerate() {
                let s = env.new_string(text)?;
                env.set_object_array_element(&texts, (2 * i + j) as i32, &s)?;
                env.delete_local_ref(s)?;
            }
        }
        env.set_int_array_region(&levels, 0, &numbers)?;
        Ok(records.len() as jint)
    }
}

entry_point! {
    /// `void Native.wakeLogRecords()`: makes a waiting `takeLogRecords` return now.
    fn Java_dev_freshcreds_Native_wakeLogRecords() = (), |_| {
        QUEUE.wake();
        Ok(())
    }
}

entry_point! {
    /// `long Native.logRecordsDropped()`: records dropped because the queue was full.
    fn Java_dev_freshcreds_Native_logRecordsDropped() -> jlong = 0, |_| {
        Ok(i64::try_from(QUEUE.dropped()).unwrap_or(i64::MAX))
    }
}

/// The target of the events [`Java_dev_freshcreds_NativeTestHooks_log`] raises.
pub(super) const TEST_TARGET: &str = "freshcreds::jni::test";

entry_point! {
    /// `void NativeTestHooks.log(int level, String message, int count)` (a class of the Java tests,
    /// not of the product jar): raises `count` events on the calling thread, so tests can fill the
    /// queue.
    fn Java_dev_freshcreds_NativeTestHooks_log(
        level: jint,
        message: jni::objects::JString<'l>,
        count: jint,
    ) = (), |env| {
        let message: String = env.get_string(&message)?.into();
        for i in 0..count.max(0) {
            match LogLevel::of(level).map(tracing_level) {
                Some(Level::ERROR) => tracing::error!(target: TEST_TARGET, "{message} {i}"),
                Some(Level::WARN) => tracing::warn!(target: TEST_TARGET, "{message} {i}"),
                Some(Level::INFO) => tracing::info!(target: TEST_TARGET, "{message} {i}"),
                Some(Level::DEBUG) => tracing::debug!(target: TEST_TARGET, "{message} {i}"),
                _ => tracing::trace!(target: TEST_TARGET, "{message} {i}"),
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    fn record(n: usize) -> Record {
        Record {
            level: 3,
            target: "freshcreds::test".into(),
            message: format!("record {n}"),
        }
    }

    /// Takes up to 10 records, willing to wait 30 s, and asserts that the take came back in
    /// less than [`MAX_TAKE_WAIT`] (a record arrived, the queue was woken or closed).
    fn take_promptly(q: &LogQueue) -> Vec<Record> {
        let started = Instant::now();
        let taken = q.take(10, Duration::from_secs(30));
        assert!(started.elapsed() < MAX_TAKE_WAIT, "{:?}", started.elapsed());
        taken
    }

    #[test]
    fn a_full_queue_drops_new_records_and_counts_every_drop() {
        let q = LogQueue::new(4);
        for n in 0..10 {
            q.push(record(n));
        }
        assert_eq!(q.dropped(), 6);
        let taken = q.take(100, Duration::ZERO);
        assert_eq!(taken, (0..4).map(record).collect::<Vec<_>>());
        // Room again: the next record is kept.
        q.push(record(10));
        assert_eq!(q.take(100, Duration::ZERO), vec![record(10)]);
        assert_eq!(q.dropped(), 6);
    }

    #[test]
    fn take_returns_at_most_the_batch_size_in_order() {
        let q = LogQueue::new(16);
        for n in 0..5 {
            q.push(record(n));
        }
        assert_eq!(q.take(2, Duration::ZERO), vec![record(0), record(1)]);
        assert_eq!(q.take(10, Duration::ZERO).len(), 3);
    }

    #[test]
    fn a_waiting_take_returns_when_a_record_arrives_or_when_woken() {
        let q = Arc::new(LogQueue::new(16));
        let producer = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                q.push(record(1));
            })
        };
        assert_eq!(take_promptly(&q), vec![record(1)]);
        producer.join().unwrap();

        q.wake();
        assert!(take_promptly(&q).is_empty());
    }

    #[test]
    fn a_closed_queue_discards_records_without_counting_them_and_never_waits() {
        let q = LogQueue::new(2);
        q.push(record(0));
        q.close();
        q.push(record(1));
        q.push(record(2));
        q.push(record(3));
        assert_eq!(q.dropped(), 0);
        assert!(take_promptly(&q).is_empty());
    }

    #[test]
    fn a_wait_is_capped_at_the_maximum() {
        let q = LogQueue::new(2);
        let started = Instant::now();
        assert!(q.take(1, Duration::from_secs(3600)).is_empty());
        let waited = started.elapsed();
        assert!(
            waited >= MAX_TAKE_WAIT && waited < MAX_TAKE_WAIT * 3,
            "{waited:?}"
        );
    }
}
