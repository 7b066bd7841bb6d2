//! Warnings from sources that may not win: a quiet chain.
//!
//! A source's advice (an IMDSv1 fallback and its hop-limit fix, a profile file named by a
//! variable that does not exist, an implausible `Date` header) matters when that source supplies
//! the credentials, and misleads when it does not: users chase warnings about sources that lost.
//! So sources raise such warnings through [`warn`]. While the chain tries a source, it
//! [`collect`]s them: the winner's are then logged at WARN, the others' at DEBUG only and kept in
//! the resolution report (as are the shadowing probe's). Outside a collection — the winner's own
//! later refreshes, a source used alone — [`warn`] logs at WARN at once.

use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static COLLECTOR: Arc<Mutex<Vec<String>>>;
}

/// Raises a warning about a source's configuration or answer (no secret in `message`).
/// Returns whether it was logged at WARN now (false: collected, see [`collect`]).
pub fn warn(message: impl Into<String>) -> bool {
    let message = message.into();
    let collected = COLLECTOR.try_with(|c| {
        tracing::debug!("{message}");
        c.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message.clone());
    });
    if collected.is_err() {
        tracing::warn!("{message}");
        return true;
    }
    false
}

/// Runs `future`, collecting the warnings raised through [`warn`] instead of logging them above
/// DEBUG; returns its output and the warnings, in order.
pub async fn collect<T>(future: impl Future<Output = T>) -> (T, Vec<String>) {
    let collector = Arc::new(Mutex::new(Vec::new()));
    let out = COLLECTOR.scope(collector.clone(), future).await;
    let notes = std::mem::take(&mut *collector.lock().unwrap_or_else(|p| p.into_inner()));
    (out, notes)
}

/// Logs warnings collected from the source that won, at WARN.
pub(crate) fn emit(source: &str, notes: &[String]) {
    for note in notes {
        tracing::warn!(source, "{note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn warnings_inside_a_collection_are_returned_and_outside_it_are_not() {
        let ((), notes) = collect(async {
            warn("first");
            warn(String::from("second"));
        })
        .await;
        assert_eq!(notes, vec!["first".to_string(), "second".to_string()]);
        assert!(warn("outside a collection"), "logged at once");
        let (n, none) = collect(async { 7 }).await;
        assert_eq!((n, none.len()), (7, 0));
        // Nested collections keep their own warnings.
        let ((), outer) = collect(async {
            let (logged, inner) = collect(async { warn("inner") }).await;
            assert!(!logged, "collected, not logged");
            assert_eq!(inner, vec!["inner".to_string()]);
            warn("outer");
        })
        .await;
        assert_eq!(outer, vec!["outer".to_string()]);
    }
}
