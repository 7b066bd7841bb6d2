//! Shared simulator state: clock offset, faults, counts, minted credentials, IMDS tokens.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, Distribution, Uniform};
use rand::Rng;

use crate::{
    AssumeRoleCall, Counts, Endpoint, Fault, IssuedCredentials, SimConfig, SimSettings,
    STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY,
};

/// Which rotating credential slot a request reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Imds,
    Container,
}

/// The parts of a fault that apply to one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Decision {
    pub latency: Option<Duration>,
    pub drop_connection: bool,
    pub hang: bool,
    pub status: Option<u16>,
    pub throttle: bool,
    pub malformed: bool,
    pub expired: bool,
    pub code: Option<String>,
    pub date_skew_secs: i64,
    pub date_unix_secs: Option<i64>,
}

struct ActiveFault {
    fault: Fault,
    remaining: Option<u32>,
}

impl ActiveFault {
    fn has_gated_part(&self) -> bool {
        let f = &self.fault;
        f.status.is_some()
            || f.drop_connection
            || f.hang
            || f.malformed_json
            || f.expired_credentials
            || f.code.is_some()
    }
}

#[derive(Default)]
struct State {
    offset: chrono::Duration,
    settings: SimSettings,
    faults: HashMap<Endpoint, ActiveFault>,
    sequences: HashMap<Endpoint, VecDeque<Fault>>,
    counts: Counts,
    /// Minted credentials by access key id.
    issued: HashMap<String, IssuedCredentials>,
    /// Access key ids in minting order.
    order: Vec<String>,
    imds_current: Option<String>,
    container_current: Option<String>,
    imds_rotate: bool,
    container_rotate: bool,
    /// IMDSv2 session tokens and when they expire (simulator time).
    tokens: HashMap<String, DateTime<Utc>>,
    assume_role_calls: Vec<AssumeRoleCall>,
    /// Access key ids STS rejects with `ExpiredToken` before their expiry.
    revoked: HashSet<String>,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    /// AWS Sign-In sessions, refresh tokens and proofs seen.
    pub login: crate::signin::LoginState,
    state: Mutex<State>,
    /// IAM Identity Center (portal and OIDC), kept apart from the fault pipeline.
    pub sso: crate::sso::SsoState,
    /// The TLS front and `CONNECT` proxy, once started ([`crate::Simulator::start_network`]).
    pub network: std::sync::OnceLock<crate::tls::NetworkPeers>,
}

impl Shared {
    pub fn new(config: SimConfig) -> Self {
        Shared {
            config,
            login: Default::default(),
            state: Mutex::new(State::default()),
            sso: Default::default(),
            network: Default::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn now(&self) -> DateTime<Utc> {
        Self::now_locked(&self.lock())
    }

    /// Real time, plus what `advance` added, plus the clock skew setting.
    fn now_locked(s: &State) -> DateTime<Utc> {
        Utc::now() + s.offset + chrono::Duration::seconds(s.settings.clock_skew_secs)
    }

    pub fn settings(&self) -> SimSettings {
        self.lock().settings.clone()
    }

    pub fn set_settings(&self, settings: SimSettings) {
        self.lock().settings = settings;
    }

    pub fn set_sequence(&self, endpoint: Endpoint, steps: Vec<Fault>) {
        self.lock().sequences.insert(endpoint, steps.into());
    }

    pub fn sequence_remaining(&self, endpoint: Endpoint) -> usize {
        self.lock()
            .sequences
            .get(&endpoint)
            .map_or(0, VecDeque::len)
    }

    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut s = self.lock();
        s.offset = s.offset.checked_add(&by).unwrap_or(s.offset);
    }

    pub fn set_fault(&self, endpoint: Endpoint, fault: Fault) {
        let remaining = fault.times;
        self.lock()
            .faults
            .insert(endpoint, ActiveFault { fault, remaining });
    }

    pub fn clear_faults(&self) {
        let mut s = self.lock();
        s.faults.clear();
        s.sequences.clear();
    }

    pub fn counts(&self) -> Counts {
        self.lock().counts.clone()
    }

    pub fn reset_counts(&self) {
        self.lock().counts = Counts::default();
    }

    pub fn update_counts(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self.lock().counts);
    }

    pub fn rotate_now(&self) {
        let mut s = self.lock();
        s.imds_rotate = true;
        s.container_rotate = true;
    }

    /// Revokes `access_key_id`, or when `None` the credentials IMDS and the container endpoint
    /// serve now, and makes their next reads mint new ones: STS then answers `ExpiredToken` for
    /// the revoked keys before their expiry, while IMDS already serves a new key (a role session
    /// revoked with "Revoke active sessions", an instance profile replaced). Returns the keys
    /// revoked.
    pub fn revoke(&self, access_key_id: Option<&str>) -> Vec<String> {
        let mut s = self.lock();
        let keys: Vec<String> = match access_key_id {
            Some(k) => vec![k.to_string()],
            None => [s.imds_current.clone(), s.container_current.clone()]
                .into_iter()
                .flatten()
                .collect(),
        };
        for k in &keys {
            s.revoked.insert(k.clone());
            if s.imds_current.as_deref() == Some(k.as_str()) {
                s.imds_rotate = true;
            }
            if s.container_current.as_deref() == Some(k.as_str()) {
                s.container_rotate = true;
            }
        }
        keys
    }

    /// Whether `access_key_id` was revoked ([`Self::revoke`]).
    pub fn is_revoked(&self, access_key_id: &str) -> bool {
        self.lock().revoked.contains(access_key_id)
    }

    /// Forgets every revocation.
    pub fn clear_revoked(&self) {
        self.lock().revoked.clear();
    }

    pub fn minted(&self) -> usize {
        self.lock().order.len()
    }

    pub fn issued_credentials(&self) -> Vec<IssuedCredentials> {
        let s = self.lock();
        s.order
            .iter()
            .filter_map(|k| s.issued.get(k))
            .cloned()
            .collect()
    }

    pub fn assume_role_calls(&self) -> Vec<AssumeRoleCall> {
        self.lock().assume_role_calls.clone()
    }

    pub fn record_assume_role_call(&self, call: AssumeRoleCall) {
        self.lock().assume_role_calls.push(call);
    }

    /// Counts a request to `endpoint` and decides which fault parts apply to it.
    pub fn begin(&self, endpoint: Endpoint) -> Decision {
        let mut s = self.lock();
        let c = &mut s.counts;
        match endpoint {
            Endpoint::ImdsToken => c.imds_token += 1,
            Endpoint::ImdsRoleList => c.imds_role_list += 1,
            Endpoint::ImdsCredentials => c.imds_credentials += 1,
            Endpoint::Sts => c.sts += 1,
            Endpoint::Container => c.container += 1,
            Endpoint::SigninToken => c.signin_token += 1,
        }
        let d = Self::decide(&mut s, endpoint);
        Self::count_served(&mut s.counts, endpoint, &d);
        d
    }

    fn decide(s: &mut State, endpoint: Endpoint) -> Decision {
        if let Some(step) = s.sequences.get_mut(&endpoint).and_then(VecDeque::pop_front) {
            let mut d = Self::standing_parts(&step);
            Self::gated_parts(&mut d, step);
            return d;
        }
        let Some(active) = s.faults.get_mut(&endpoint) else {
            return Decision::default();
        };
        let f = active.fault.clone();
        let mut d = Self::standing_parts(&f);
        let gated = active.has_gated_part()
            && match &mut active.remaining {
                None => true,
                Some(0) => false,
                Some(n) => {
                    *n -= 1;
                    true
                }
            };
        if gated {
            Self::gated_parts(&mut d, f);
        }
        d
    }

    /// Counts what a fault did to one request, in the order the server applies it: latency
    /// first, then the first of drop, hang, status (or throttling) that applies.
    fn count_served(c: &mut Counts, endpoint: Endpoint, d: &Decision) {
        let latency = d.latency.is_some_and(|l| !l.is_zero());
        let replaced = if d.drop_connection {
            c.faults_dropped += 1;
            true
        } else if d.hang {
            c.faults_hung += 1;
            true
        } else if d.status.is_some() || d.throttle {
            c.faults_status += 1;
            true
        } else {
            false
        };
        if replaced {
            match endpoint {
                Endpoint::ImdsToken => c.imds_token_faulted += 1,
                Endpoint::ImdsRoleList => c.imds_role_list_faulted += 1,
                Endpoint::ImdsCredentials => c.imds_credentials_faulted += 1,
                Endpoint::Sts => c.sts_faulted += 1,
                Endpoint::Container => c.container_faulted += 1,
                Endpoint::SigninToken => c.signin_token_faulted += 1,
            }
        }
        if latency {
            c.faults_latency += 1;
        }
        let altered = d.malformed
            || d.expired
            || d.code.is_some()
            || d.date_skew_secs != 0
            || d.date_unix_secs.is_some();
        if latency || replaced || altered {
            c.faults_served += 1;
        }
    }

    /// The parts of `f` that apply to every request while it is set.
    fn standing_parts(f: &Fault) -> Decision {
        Decision {
            latency: f.latency_ms.map(Duration::from_millis),
            date_skew_secs: f.date_skew_secs.unwrap_or(0),
            date_unix_secs: f.date_unix_secs,
            throttle: f
                .throttle_rate
                .is_some_and(|rate| rand::thread_rng().gen::<f64>() < rate),
            ..Decision::default()
        }
    }

    /// The answer-replacing parts of `f` (limited by `times`).
    fn gated_parts(d: &mut Decision, f: Fault) {
        d.drop_connection = f.drop_connection;
        d.hang = f.hang;
        d.status = f.status;
        d.malformed = f.malformed_json;
        d.expired = f.expired_credentials;
        d.code = f.code;
    }

    /// Mints and records a credential set valid from now for `lifetime` (which may be negative
    /// through `expired`: then the expiration is a minute in the past).
    pub fn mint(&self, arn: String, lifetime: Duration, expired: bool) -> IssuedCredentials {
        let mut s = self.lock();
        let now = Self::now_locked(&s);
        Self::mint_locked(&mut s, now, arn, lifetime, expired)
    }

    fn mint_locked(
        s: &mut State,
        now: DateTime<Utc>,
        arn: String,
        lifetime: Duration,
        expired: bool,
    ) -> IssuedCredentials {
        let now = trunc_secs(now);
        let (issued_at, expiration) = if expired {
            let exp = now - chrono::Duration::seconds(60);
            (exp - to_chrono(lifetime), exp)
        } else {
            (now, now + to_chrono(lifetime))
        };
        let creds = IssuedCredentials {
            access_key_id: format!("ASIA{}", random_upper(16)),
            secret_access_key: random_b64ish(40),
            session_token: Some(format!("IQoJb3JpZ2luX2VjE{}=", random_b64ish(300))),
            expiration: Some(expiration),
            issued_at,
            arn,
        };
        s.order.push(creds.access_key_id.clone());
        s.issued.insert(creds.access_key_id.clone(), creds.clone());
        creds
    }

    /// The rotating credentials of `slot`: the current set until `expiration - lead`, then a new one.
    pub fn rotating(&self, slot: Slot, arn: String) -> IssuedCredentials {
        let lifetime = self.config.credential_lifetime;
        let lead = self.config.imds_rotation_lead.min(lifetime / 2);
        let mut s = self.lock();
        let now = Self::now_locked(&s);
        let (current, rotate) = match slot {
            Slot::Imds => (s.imds_current.clone(), s.imds_rotate),
            Slot::Container => (s.container_current.clone(), s.container_rotate),
        };
        if !rotate {
            if let Some(c) = current.and_then(|k| s.issued.get(&k)) {
                let renew_at = c.expiration.map(|e| e - to_chrono(lead));
                if renew_at.is_some_and(|r| now < r) {
                    return c.clone();
                }
            }
        }
        let creds = Self::mint_locked(&mut s, now, arn, lifetime, false);
        match slot {
            Slot::Imds => {
                s.imds_current = Some(creds.access_key_id.clone());
                s.imds_rotate = false;
            }
            Slot::Container => {
                s.container_current = Some(creds.access_key_id.clone());
                s.container_rotate = false;
            }
        }
        creds
    }

    /// Looks up an access key id among minted credentials and the static key.
    pub fn lookup(&self, access_key_id: &str) -> Option<IssuedCredentials> {
        if access_key_id == STATIC_ACCESS_KEY_ID {
            return Some(IssuedCredentials {
                access_key_id: STATIC_ACCESS_KEY_ID.to_string(),
                secret_access_key: STATIC_SECRET_ACCESS_KEY.to_string(),
                session_token: None,
                expiration: None,
                issued_at: DateTime::<Utc>::UNIX_EPOCH,
                arn: format!(
                    "arn:aws:iam::{}:user/freshcreds-sim-user",
                    self.config.account_id
                ),
            });
        }
        self.lock().issued.get(access_key_id).cloned()
    }

    /// Creates an IMDSv2 session token valid for `ttl` (simulator time).
    pub fn new_token(&self, ttl: Duration) -> String {
        let token = format!("AQAEA{}==", random_b64ish(51));
        let mut s = self.lock();
        let expires = Self::now_locked(&s) + to_chrono(ttl);
        s.tokens.insert(token.clone(), expires);
        token
    }

    /// Whether `token` is a live IMDSv2 session token.
    pub fn token_valid(&self, token: &str) -> bool {
        let s = self.lock();
        let now = Self::now_locked(&s);
        s.tokens.get(token).is_some_and(|exp| now < *exp)
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Drops sub-second precision, like EC2 and STS timestamps.
pub(crate) fn trunc_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// `2026-01-02T03:04:05Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn random_upper(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let dist = Uniform::from(0..CHARS.len());
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| CHARS[dist.sample(&mut rng)] as char)
        .collect()
}

pub(crate) fn random_b64ish(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let dist = Uniform::from(0..CHARS.len());
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| CHARS[dist.sample(&mut rng)] as char)
        .collect()
}

pub(crate) fn request_id() -> String {
    let s: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(|b| (b as char).to_ascii_lowercase())
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}
