//! Roles over the same base share it: one base engine (one fetch of the base per rotation, not
//! one per role) and one STS client (one connection pool), whatever the number of role sessions.
//!
//! A role's base is keyed by everything that describes it: the options without those of the
//! role request itself ([`is_role_request_key`]), and the environment they are read in (the
//! process's, or the same fixed map). Each provider that uses a base holds a [`Lease`]; the last
//! lease released stops the base's engines and forgets the base, so a base lives exactly as long
//! as a role over it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use once_cell::sync::Lazy;

use super::options::Group;
use super::{Hops, ProviderOptions, RoleOptions};
use crate::env::Env;
use crate::error::Result;
use crate::refresh::RefreshingProvider;
use crate::sources::assume_role::RefreshedBase;
use crate::sources::default_chain::ChainSettings;
use crate::sources::sts::StsClient;
use crate::sources::CredentialSource;

/// Whether `key` is an option of the role request itself (the groups [`Group::Role`] and
/// [`Group::AssumeRole`]): roles that differ only in these share a base.
pub fn is_role_request_key(key: &str) -> bool {
    super::options::find(key).is_some_and(|o| matches!(o.group, Group::Role | Group::AssumeRole))
}

/// A base shared by the roles over it.
struct SharedBase {
    env: Env,
    base: Arc<RefreshedBase>,
    sts: Arc<StsClient>,
    /// Every engine started for this base (its own first, then those of deeper hops).
    engines: Vec<RefreshingProvider>,
    /// The shared bases of deeper hops, released with this one.
    leases: Vec<Lease>,
    users: usize,
}

type Key = Vec<(String, String)>;

type Registry = HashMap<Arc<Key>, Vec<(u64, SharedBase)>>;

/// Every base in use, by key (several when environments differ).
static BASES: Lazy<Mutex<Registry>> = Lazy::new(Default::default);
/// Ids of shared bases.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One provider's use of a shared base: released by [`release_all`] (dropping it without that
/// keeps the base until the process ends; `FreshProvider` always releases).
#[derive(Debug)]
pub struct Lease {
    /// Shared with the registry: a key holds every option (the JVM's trust store PEM among
    /// them), too much to copy per role session.
    key: Arc<Key>,
    id: u64,
    base: Arc<RefreshedBase>,
    sts: Arc<StsClient>,
    engines: Vec<RefreshingProvider>,
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
    pub fn engines(&self) -> &[RefreshingProvider] {
        &self.engines
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn key_of(options: &ProviderOptions) -> Key {
    let mut key: Key = options
        .pairs
        .iter()
        .filter(|(k, _)| !is_role_request_key(k))
        .cloned()
        .collect();
    key.sort();
    key
}

fn take_existing(key: &Key, env: &Env) -> Option<Lease> {
    let mut bases = lock(&BASES);
    let shared_key = bases.get_key_value(key)?.0.clone();
    let (id, shared) = bases
        .get_mut(key)?
        .iter_mut()
        .find(|(_, b)| b.env.same_as(env))?;
    shared.users += 1;
    Some(Lease {
        key: shared_key,
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
    options: &ProviderOptions,
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
    // Two providers may have built the same base at once: the first stored wins, the other
    // stops what it built.
    if let Some(lease) = take_existing(&key, &hops.env) {
        for engine in &engines {
            engine.close();
        }
        release_all(leases);
        return Ok(lease);
    }
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = Arc::new(key);
    let lease = Lease {
        key: key.clone(),
        id,
        base: base.clone(),
        sts: sts.clone(),
        engines: engines.clone(),
    };
    lock(&BASES).entry(key).or_default().push((
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
pub fn release_all(leases: Vec<Lease>) {
    let mut pending = leases;
    while let Some(lease) = pending.pop() {
        let unused = {
            let mut bases = lock(&BASES);
            let Some(list) = bases.get_mut(&*lease.key) else {
                continue;
            };
            let Some(pos) = list.iter().position(|(id, _)| *id == lease.id) else {
                continue;
            };
            list[pos].1.users -= 1;
            if list[pos].1.users > 0 {
                continue;
            }
            let (_, shared) = list.remove(pos);
            if list.is_empty() {
                bases.remove(&*lease.key);
            }
            shared
        };
        for engine in &unused.engines {
            engine.close();
        }
        pending.extend(unused.leases);
    }
}

/// How many role bases are in use in this process (diagnostics and tests).
pub fn bases_in_use() -> usize {
    lock(&BASES).values().map(Vec::len).sum()
}
