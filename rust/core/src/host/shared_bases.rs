//! Roles over the same base share it: one base engine (one fetch of the base per rotation, not
//! one per role) and one STS client (one connection pool), whatever the number of role sessions.
//!
//! A role's base is keyed by everything that describes it: the options without those of the
//! role request itself (`is_role_request_key`), and the environment they are read in (the
//! process's, or the same fixed map). Each fresh source that uses a base holds a [`Lease`]; the last
//! lease released stops the base's engines and forgets the base, so a base lives exactly as long
//! as a role over it.

use std::sync::{Arc, Mutex};

use super::options::Group;
use super::{Hops, RoleOptions, SourceOptions};
use crate::env::Env;
use crate::error::Result;
use crate::refresh::RefreshEngine;
use crate::sources::assume_role::RefreshedBase;
use crate::sources::default_chain::ChainSettings;
use crate::sources::sts::StsClient;
use crate::sources::CredentialSource;

/// Whether `key` is an option of the role request itself (the groups [`Group::Role`] and
/// [`Group::AssumeRole`]): roles that differ only in these share a base.
pub(crate) fn is_role_request_key(key: &str) -> bool {
    super::options::find(key).is_some_and(|o| matches!(o.group, Group::Role | Group::AssumeRole))
}

/// A base shared by the roles over it.
struct SharedBase {
    env: Env,
    base: Arc<RefreshedBase>,
    sts: Arc<StsClient>,
    /// Every engine started for this base (its own first, then those of deeper hops).
    engines: Arc<[RefreshEngine]>,
    /// The shared bases of deeper hops, released with this one.
    leases: Vec<Lease>,
    users: usize,
}

type Key = Vec<(String, String)>;

/// Every base in use with its key and id (several per key when environments differ). A process
/// has a handful of bases, and a lookup compares keys in place: a key holds every option (the
/// JVM's trust store PEM among them, hundreds of kilobytes), too much to copy or hash for each
/// of thousands of role sessions.
static BASES: Mutex<Vec<(Key, u64, SharedBase)>> = Mutex::new(Vec::new());
/// Ids of shared bases.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One fresh source's use of a shared base: released by `release_all` (dropping it without that
/// keeps the base until the process ends; `FreshSource` always releases).
#[derive(Debug)]
pub struct Lease {
    id: u64,
    base: Arc<RefreshedBase>,
    sts: Arc<StsClient>,
    /// Shared with the registry and every other lease of the base (no copy per role session).
    engines: Arc<[RefreshEngine]>,
}

impl Lease {
    /// The base, for the role's `AssumeRoleSource`.
    pub fn base(&self) -> Arc<dyn CredentialSource> {
        self.base.clone()
    }

    /// The STS client of the roles over this base.
    pub fn sts(&self) -> Arc<StsClient> {
        self.sts.clone()
    }

    /// The engines of the base (outermost first).
    pub fn engines(&self) -> &[RefreshEngine] {
        &self.engines
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The options that describe a role's base, sorted, borrowed from `options`.
fn key_of(options: &SourceOptions) -> Vec<(&str, &str)> {
    let mut key: Vec<(&str, &str)> = options
        .pairs
        .iter()
        .filter(|(k, _)| !is_role_request_key(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    key.sort_unstable();
    key
}

fn same_key(stored: &Key, key: &[(&str, &str)]) -> bool {
    stored.len() == key.len()
        && stored
            .iter()
            .zip(key)
            .all(|((k, v), (k2, v2))| k == k2 && v.len() == v2.len() && v == v2)
}

fn take_existing(key: &[(&str, &str)], env: &Env) -> Option<Lease> {
    let mut bases = lock(&BASES);
    let (_, id, shared) = bases
        .iter_mut()
        .find(|(k, _, b)| same_key(k, key) && b.env.same_as(env))?;
    shared.users += 1;
    Some(Lease {
        id: *id,
        base: shared.base.clone(),
        sts: shared.sts.clone(),
        engines: shared.engines.clone(),
    })
}

/// The shared base of the role `options` describe: the one in use when there is one, else a new
/// one built by `hops`.
pub(super) async fn lease(
    hops: &Hops,
    options: &SourceOptions,
    settings: &ChainSettings,
    role: &RoleOptions,
) -> Result<Lease> {
    let key = key_of(options);
    if let Some(lease) = take_existing(&key, &hops.env) {
        return Ok(lease);
    }
    let (base, sts, built) = hops.build_base(options, settings, role).await?;
    let engines = std::mem::take(&mut *lock(&built.bases));
    let leases = std::mem::take(&mut *lock(&built.leases));
    // Two fresh sources may have built the same base at once: the first stored wins, the other
    // stops what it built.
    if let Some(lease) = take_existing(&key, &hops.env) {
        for engine in &engines {
            engine.close();
        }
        release_all(leases);
        return Ok(lease);
    }
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key: Key = key
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let engines: Arc<[RefreshEngine]> = engines.into();
    let lease = Lease {
        id,
        base: base.clone(),
        sts: sts.clone(),
        engines: engines.clone(),
    };
    lock(&BASES).push((
        key,
        id,
        SharedBase {
            env: hops.env.clone(),
            base,
            sts,
            engines,
            leases,
            users: 1,
        },
    ));
    Ok(lease)
}

/// Releases leases; a base whose last lease this was stops its engines and is forgotten.
pub(crate) fn release_all(leases: Vec<Lease>) {
    let mut pending = leases;
    while let Some(lease) = pending.pop() {
        let unused = {
            let mut bases = lock(&BASES);
            let Some(pos) = bases.iter().position(|(_, id, _)| *id == lease.id) else {
                continue;
            };
            bases[pos].2.users -= 1;
            if bases[pos].2.users > 0 {
                continue;
            }
            bases.swap_remove(pos).2
        };
        for engine in unused.engines.iter() {
            engine.close();
        }
        pending.extend(unused.leases);
    }
}

/// How many role bases are in use in this process (diagnostics and tests).
pub fn bases_in_use() -> usize {
    lock(&BASES).len()
}

/// The most native heap an idle role session holds, beyond what the sessions over one base
/// share: its engine and task, its role source and lease, and its cached credentials (with a
/// session token of 800 characters; about 3.3 KB in all). Role sessions are many per process (one
/// per tenant): `tests/roles_memory.rs` counts them with a counting allocator.
pub const MAX_IDLE_ROLE_SESSION_BYTES: usize = 4_096;
