//! The profile link re-read when its files change: tools such as saml2aws and gimme-aws-creds
//! rewrite `~/.aws/credentials` with new keys and session tokens while the application runs.
//!
//! At each fetch, at most every [`PROFILE_RECHECK_INTERVAL`] (on the injected clock), the config
//! and credentials files are `stat`ed; only when one changed (modification time, size, or it
//! appeared or vanished) are they read and parsed again and the profile's source rebuilt (static
//! keys, a role to assume, a process — whatever the profile now says). A repeated fetch between
//! changes costs two `stat` calls at most. A file that does not parse (caught in the middle of a
//! rewrite) keeps the previous source, and is read again at the next check.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::location::{FileLocations, Platform};
use super::parser::ProfileSet;
use crate::clock::{Clock, MonoTime};
use crate::credentials::debug_shows;
use crate::env::Env;
use crate::error::Result;
use crate::sources::notice;
use crate::sources::{BoxFuture, CredentialSource, Fetched, Probe};

/// The profile files are checked for changes at most this often (a fetch in between reuses the
/// last check). A few seconds: the engine asks for static profile keys again every
/// [`PROFILE_KEYS_RECHECK_INTERVAL`](crate::sources::default_chain::PROFILE_KEYS_RECHECK_INTERVAL),
/// so a rewrite by a login tool is picked up at the next round.
pub const PROFILE_RECHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Builds the profile link's source from freshly loaded profile files.
pub type BuildProfileSource =
    dyn Fn(&Result<ProfileSet>) -> Arc<dyn CredentialSource> + Send + Sync;

/// What `stat` said about one file: `None` when it does not exist (or cannot be read).
type Fingerprint = Option<(SystemTime, u64)>;

struct State {
    inner: Arc<dyn CredentialSource>,
    fingerprints: Vec<Fingerprint>,
    checked_at: MonoTime,
    reloads: u64,
    last_change: Option<String>,
}

/// The profile link of the chain, rebuilt when the profile files change.
pub struct ReloadingProfileSource {
    name: String,
    env: Env,
    profile: Option<String>,
    files: Vec<String>,
    clock: Arc<dyn Clock>,
    build: Box<BuildProfileSource>,
    state: tokio::sync::Mutex<State>,
    /// A copy of `state.last_change` readable without waiting for a fetch in progress.
    last_change: Mutex<Option<String>>,
    /// Warnings from reading the files when the chain was built, raised again (through
    /// [`notice::warn`]) at the first fetch or probe, where the chain decides who hears them.
    pending: Mutex<Vec<String>>,
}

debug_shows!(ReloadingProfileSource { name, files });

impl ReloadingProfileSource {
    /// Wraps `initial` (built by `build` from the files as they are now). `env` and `profile`
    /// say where the files are and which profile is selected, as for [`ProfileSet::load`].
    pub async fn new(
        env: Env,
        profile: Option<String>,
        clock: Arc<dyn Clock>,
        initial: Arc<dyn CredentialSource>,
        build: Box<BuildProfileSource>,
    ) -> Self {
        let locations = FileLocations::resolve(&env, Platform::current());
        let files = vec![locations.config, locations.credentials];
        let fingerprints = fingerprints(&files).await;
        ReloadingProfileSource {
            name: initial.name().to_string(),
            env,
            profile,
            files,
            clock: clock.clone(),
            build,
            state: tokio::sync::Mutex::new(State {
                inner: initial,
                fingerprints,
                checked_at: clock.now(),
                reloads: 0,
                last_change: None,
            }),
            last_change: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Raises `warnings` (collected while the files were read for the initial source, see
    /// [`notice::collect`]) again at the first fetch or probe.
    pub(crate) fn with_pending_warnings(mut self, warnings: Vec<String>) -> Self {
        self.pending = Mutex::new(warnings);
        self
    }

    fn raise_pending(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        for note in pending {
            notice::warn(note);
        }
    }

    /// How many times the files were read again since the source was built.
    pub async fn reloads(&self) -> u64 {
        self.state.lock().await.reloads
    }

    /// The source the current profile files describe.
    async fn current(&self) -> Arc<dyn CredentialSource> {
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        if now.saturating_sub(state.checked_at) < PROFILE_RECHECK_INTERVAL {
            return state.inner.clone();
        }
        state.checked_at = now;
        let seen = fingerprints(&self.files).await;
        if seen == state.fingerprints {
            return state.inner.clone();
        }
        let changed: Vec<&str> = self
            .files
            .iter()
            .zip(seen.iter().zip(state.fingerprints.iter()))
            .filter(|(_, (new, old))| new != old)
            .map(|(f, _)| f.as_str())
            .collect();
        let loaded = ProfileSet::load(&self.env, self.profile.as_deref()).await;
        if let Err(e) = &loaded {
            if e.kind() == crate::error::ErrorKind::Parse {
                // Probably caught in the middle of a rewrite: keep what worked, look again later.
                tracing::debug!(files = %changed.join(", "), error = %e.full_message(), "a changed profile file does not parse; keeping the previous credentials until the next check");
                return state.inner.clone();
            }
        }
        state.inner = (self.build)(&loaded);
        state.fingerprints = seen;
        state.reloads += 1;
        let note = format!(
            "{} changed; re-read at {}",
            changed.join(" and "),
            self.clock
                .wall()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        tracing::info!(source = %self.name, "profile file {note}");
        state.last_change = Some(note.clone());
        *self.last_change.lock().unwrap_or_else(|p| p.into_inner()) = Some(note);
        state.inner.clone()
    }
}

async fn fingerprints(files: &[String]) -> Vec<Fingerprint> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let fp = tokio::fs::metadata(f)
            .await
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        out.push(fp);
    }
    out
}

impl CredentialSource for ReloadingProfileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            self.raise_pending();
            self.current().await.fetch().await
        })
    }

    fn probe(&self) -> BoxFuture<'_, Probe> {
        Box::pin(async move {
            self.raise_pending();
            self.current().await.probe().await
        })
    }

    fn lifetime_cap(&self) -> Option<crate::sources::LifetimeCap> {
        // Whatever the profile describes now (a role's `duration_seconds`).
        self.state
            .try_lock()
            .ok()
            .and_then(|s| s.inner.lifetime_cap())
    }

    fn long_term_recheck(&self) -> Option<Duration> {
        // Whatever the profile describes now; the engine asks after every round.
        self.state
            .try_lock()
            .ok()
            .and_then(|s| s.inner.long_term_recheck())
    }

    fn last_change(&self) -> Option<String> {
        self.last_change
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
