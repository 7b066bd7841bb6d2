//! Shared pieces of the integration tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, Error, Result};

/// What a [`ScriptedSource`] answers on one call.
#[derive(Debug, Clone)]
pub enum Answer {
    /// New credentials with this lifetime, `Date` = the clock's wall time plus `date_offset`.
    Fresh { lifetime: Duration },
    /// The same credentials as the previous `Fresh` answer.
    Same,
    /// Credentials already expired.
    Expired,
    /// An error of this kind.
    Fail(freshcreds::ErrorKind),
}

/// A credential source that answers from a script (then repeats its last line), counting calls,
/// with the server `Date` taken from a clock that may be offset from the provider's wall clock.
#[derive(Debug)]
pub struct ScriptedSource {
    clock: ManualClock,
    script: Mutex<VecDeque<Answer>>,
    last_answer: Mutex<Answer>,
    last: Mutex<Option<Credentials>>,
    /// Server time minus the clock's wall time, in seconds.
    pub server_offset_secs: Mutex<i64>,
    calls: AtomicU64,
}

impl ScriptedSource {
    pub fn new(clock: &ManualClock, script: impl IntoIterator<Item = Answer>) -> Arc<Self> {
        Arc::new(ScriptedSource {
            clock: clock.clone(),
            script: Mutex::new(script.into_iter().collect()),
            last_answer: Mutex::new(Answer::Fail(freshcreds::ErrorKind::Connect)),
            last: Mutex::new(None),
            server_offset_secs: Mutex::new(0),
            calls: AtomicU64::new(0),
        })
    }

    /// A source that answers new credentials valid for `lifetime` at every call.
    pub fn fresh(clock: &ManualClock, lifetime: Duration) -> Arc<Self> {
        Self::new(clock, [Answer::Fresh { lifetime }])
    }

    /// A source that answers new credentials valid for `lifetime` once, then fails with `kind`
    /// at every call.
    pub fn fresh_then_failing(
        clock: &ManualClock,
        lifetime: Duration,
        kind: freshcreds::ErrorKind,
    ) -> Arc<Self> {
        Self::new(clock, [Answer::Fresh { lifetime }, Answer::Fail(kind)])
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn push(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script.lock().unwrap().extend(answers);
    }

    fn server_now(&self) -> chrono::DateTime<chrono::Utc> {
        // The server's clock follows true time: the manual clock's wall time minus any local shift.
        self.clock.wall() + chrono::Duration::seconds(*self.server_offset_secs.lock().unwrap())
    }
}

impl CredentialSource for ScriptedSource {
    fn name(&self) -> &str {
        "Scripted"
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = {
                let mut script = self.script.lock().unwrap();
                match script.pop_front() {
                    Some(a) => {
                        *self.last_answer.lock().unwrap() = a.clone();
                        a
                    }
                    None => self.last_answer.lock().unwrap().clone(),
                }
            };
            let now = self.server_now();
            let creds = match answer {
                Answer::Fresh { lifetime } => Credentials::new(
                    format!("ASIASCRIPTED{n:04}"),
                    format!("secret-{n}"),
                    Some(format!("token-{n}")),
                    Some(now + chrono::Duration::from_std(lifetime).unwrap()),
                    "Scripted",
                ),
                Answer::Same => self
                    .last
                    .lock()
                    .unwrap()
                    .clone()
                    .expect("Same needs an earlier Fresh"),
                Answer::Expired => Credentials::new(
                    format!("ASIAEXPIRED{n:04}"),
                    "s",
                    Some("t".into()),
                    Some(now - chrono::Duration::seconds(30)),
                    "Scripted",
                ),
                Answer::Fail(kind) => {
                    return Err(Error::new(kind, format!("scripted failure #{n}")))
                }
            };
            *self.last.lock().unwrap() = Some(creds.clone());
            Ok(Fetched {
                credentials: creds,
                server_date: Some(now),
            })
        })
    }
}

/// Waits (on real time, bounded) until the engine has finished at least `n` rounds.
pub async fn wait_rounds(rx: &mut tokio::sync::watch::Receiver<u64>, n: u64) {
    tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|r| *r >= n))
        .await
        .unwrap_or_else(|_| panic!("the engine did not finish {n} rounds"))
        .unwrap();
}

/// Lets background tasks run until they are idle (they wait on the manual clock).
pub async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

pub fn manual_clock() -> ManualClock {
    ManualClock::starting_now()
}

pub fn arc_clock(c: &ManualClock) -> Arc<dyn Clock> {
    Arc::new(c.clone())
}

/// The refresh configuration of most engine tests: a fixed lead and no jitter.
pub fn lead_config(lead: Duration) -> freshcreds::refresh::RefreshConfig {
    freshcreds::refresh::RefreshConfig {
        lead: Some(lead),
        jitter: Duration::ZERO,
        ..freshcreds::refresh::RefreshConfig::default()
    }
}

/// The access key id of the credentials `p` holds now.
pub fn cached_key(p: &freshcreds::refresh::RefreshEngine) -> String {
    p.cached()
        .expect("cached credentials")
        .credentials
        .access_key_id()
        .to_string()
}

/// Starts an engine on `source` and waits for its first credentials.
pub async fn started(
    clock: &ManualClock,
    source: Arc<dyn CredentialSource>,
    cfg: freshcreds::refresh::RefreshConfig,
) -> freshcreds::refresh::RefreshEngine {
    let p = freshcreds::refresh::RefreshEngine::spawn(source, cfg, arc_clock(clock));
    p.credentials().await.expect("first fetch");
    p
}
