//! A tracing layer that keeps every record's level and message, for tests that assert what was
//! (not) logged. Include with `#[path = "support/log_capture.rs"] mod log_capture;`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

/// Every record (level, message) the layer saw.
#[derive(Clone, Default)]
pub struct Records(pub Arc<Mutex<Vec<(tracing::Level, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Records {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message<'a>(&'a mut String);
        impl tracing::field::Visit for Message<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.push_str(&format!("{value:?}"));
                }
            }
        }
        let mut text = String::new();
        event.record(&mut Message(&mut text));
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), text));
    }
}

impl Records {
    /// Records kept from now until the guard is dropped (this thread's default subscriber).
    pub fn capture() -> (Records, tracing::subscriber::DefaultGuard) {
        use tracing_subscriber::layer::SubscriberExt;
        let records = Records::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(records.clone()));
        (records, guard)
    }

    /// The messages at WARN or above.
    pub fn at_least_warn(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(level, _)| *level <= tracing::Level::WARN)
            .map(|(_, m)| m.clone())
            .collect()
    }
}
