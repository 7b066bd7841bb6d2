//! A local AWS simulator for tests, examples and benchmarks: the EC2 Instance Metadata Service
//! (IMDSv2 tokens, role list, role credentials), STS (`GetCallerIdentity`, `AssumeRole`,
//! `AssumeRoleWithWebIdentity`, with real SigV4 verification) and the container credentials
//! endpoint, all on one loopback port, with fault injection and a movable clock.
//!
//! Paths served on [`Simulator::base_url`]:
//!
//! | path | behaviour |
//! |------|-----------|
//! | `PUT /latest/api/token` | IMDSv2 session token ([`Endpoint::ImdsToken`]) |
//! | `GET /latest/meta-data/iam/security-credentials/` | the role name ([`Endpoint::ImdsRoleList`]) |
//! | `GET /latest/meta-data/iam/security-credentials/<role>` | role credentials JSON ([`Endpoint::ImdsCredentials`]) |
//! | `GET /latest/meta-data/placement/region` | the configured region |
//! | `POST /` or `GET /?Action=…` | STS query protocol ([`Endpoint::Sts`]) |
//! | `POST /v1/token` | AWS Sign-In `CreateOAuth2Token`: `aws login` refresh with a verified DPoP proof ([`Endpoint::SigninToken`], [`signin`]) |
//! | `GET /container/<anything>` | container credentials JSON ([`Endpoint::Container`]) |
//! | `GET /federation/credentials` | IAM Identity Center `GetRoleCredentials` (no faults; see [`SsoSettings`]) |
//! | `POST /token` | SSO OIDC `CreateToken`, refresh-token grant |
//! | `/_sim/…` | the admin API (see below) |
//!
//! Admin API (for processes that run the `freshcreds-sim` binary; every body is JSON):
//!
//! | call | effect |
//! |------|--------|
//! | `GET /_sim/health` | `{"ok":true}` |
//! | `GET /_sim/counts` | [`Counts`], including the faults served (`faults_served`, `faults_status`, …) |
//! | `GET /_sim/network` | the TLS front and `CONNECT` proxy of [`Simulator::start_network`] (the binary's `--tls-front`, `--connect-proxy`): their URLs, the CA file, and the counters `tls_handshakes`, `tls_failed_handshakes`, `proxy_tunnels`, `proxy_targets`, `proxy_auth_rejections` ([`tls::NetworkPeers::status`]; never reset) |
//! | `GET /_sim/now` | `{"now": "…Z", "issued": N}` (simulator time, credential sets minted) |
//! | `POST /_sim/faults/<endpoint>` | a standing [`Fault`], e.g. `{"status": 503, "times": 2}` (unknown fields: 400 naming the field) |
//! | `POST /_sim/sequences/<endpoint>` | a fault sequence, one step per request, e.g. `[{"status":503},{"status":503},{"hang":true},{}]` ([`Simulator::set_fault_sequence`]) |
//! | `DELETE /_sim/faults` | removes every fault and sequence |
//! | `GET` / `POST /_sim/settings` | [`SimSettings`]: `{"clock_skew_secs": 600, "sts_accepts_expired": true}` (a POST replaces them; unknown fields are refused) |
//! | `POST /_sim/advance?seconds=N` | moves the simulator clock forward |
//! | `POST /_sim/rotate` | the next IMDS / container read mints new credentials |
//! | `POST /_sim/login/sessions` | a new `aws login` session: [`LoginSession`] as JSON (`loginSession`, `keyThumbprint`, `cache`) |
//! | `POST /_sim/revoke[?access_key_id=K]` | revokes key K (default: the keys IMDS and the container endpoint serve now, which then rotate): STS answers `ExpiredToken` for it before its expiry; `{"ok":true,"revoked":[…]}` ([`Simulator::revoke`]) |
//! | `POST /_sim/reset` | zeroes the counts, removes faults and sequences, resets the settings |
//! | `POST /_sim/sso/login?seconds=N` | an IAM Identity Center login: [`SsoLogin`] (token cache fields) |
//! | `GET` / `POST /_sim/sso/settings` | [`SsoSettings`]: `{"refresh_revoked": true, "role_credential_lifetime_secs": 900}` |
//! | `GET /_sim/sso/counts` | [`SsoCounts`] |
//!
//! `<endpoint>` is the snake-case [`Endpoint`] name: `imds_token`, `imds_role_list`,
//! `imds_credentials`, `sts`, `container`, `signin_token`.
//!
//! STS verifies SigV4 header signatures with the `aws-sigv4` crate over exactly the headers the
//! client signed (user-agent and `amz-sdk-*` included when signed). Accepted keys: every key the
//! simulator minted (with its session token) and [`STATIC_ACCESS_KEY_ID`] /
//! [`STATIC_SECRET_ACCESS_KEY`] (no token). Answers use the AWS error XML with status 403:
//! `MissingAuthenticationToken`, `InvalidClientTokenId`, `SignatureDoesNotMatch` (including
//! "Signature expired: … is now earlier than … (… - 5 min.)"), and `ExpiredToken` once the
//! credentials' expiration has passed in simulator time (unless
//! [`SimSettings::sts_accepts_expired`] is on, as AWS accepts instance-profile credentials whose
//! expiry IMDS extended during an outage).
//!
//! **One clock.** The simulator's time is the real time, plus what [`Simulator::advance_time`]
//! added, plus [`SimSettings::clock_skew_secs`]. `X-Amz-Date` must be within
//! [`MAX_SKEW_MINUTES`] of that time (moved further by an STS `date_skew_secs` fault), as AWS
//! judges it on its own clock alone. A client that signs on the real clock is therefore refused
//! once the simulator is more than 5 minutes ahead — which is how a test shows a host whose clock
//! is wrong. Tests that advance time and sign should sign on a clock that moves with the
//! simulator (a `ManualClock` started at [`Simulator::now`]), or rely on skew correction.
//!
//! Every IMDS, STS and container answer carries a `Date` header with the simulator time (plus the
//! endpoint's `date_skew_secs`, or pinned by `date_unix_secs`). IMDSv2 session tokens expire on
//! simulator time.
//!
//! For corporate networks, [`tls`] has a private CA, a TLS front that serves the simulator over
//! https with a certificate from it, and a counting `CONNECT` proxy (optionally asking for Basic
//! credentials). [`Simulator::start_network`] starts them in front of a simulator (the binary's
//! `--tls-front`, `--connect-proxy`) and `GET /_sim/network` reports them.
//!
//! The simulator runs on its own thread with its own tokio runtime, so it keeps answering while
//! the caller's runtime is blocked, single-threaded or paused.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! sim.set_fault(Endpoint::ImdsCredentials, Fault { status: Some(500), times: Some(2), ..Fault::default() });
//! // point the client at sim.base_url() …
//! assert_eq!(sim.counts().imds_credentials, 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod admin;
mod container;
mod imds;
mod server;
pub mod signin;
pub mod sigv4;
mod sso;
mod state;
mod sts;
pub mod tls;
pub mod tools;

pub use sso::{SsoCounts, SsoLogin, SsoSettings};

pub use sts::MAX_SKEW_MINUTES;

pub use signin::{LoginSession, SigninCall};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};

use state::Shared;

/// The long-term access key id the simulator always accepts for STS calls (a test constant).
pub const STATIC_ACCESS_KEY_ID: &str = "AKIDSIMSTATIC";
/// The secret access key paired with [`STATIC_ACCESS_KEY_ID`] (a test constant, not a secret).
pub const STATIC_SECRET_ACCESS_KEY: &str = "freshcreds-sim/static/secret/key/for/tests";

/// How the simulator behaves. Build with struct update syntax over [`SimConfig::default`].
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Lifetime of the credentials minted by IMDS, STS and the container endpoint (default 3600 s).
    pub credential_lifetime: Duration,
    /// IMDS (and the container endpoint) keep serving the same credentials until
    /// `expiration - imds_rotation_lead`, then mint new ones, like EC2 which rotates a few minutes
    /// early. Default 300 s; capped at half the lifetime.
    pub imds_rotation_lead: Duration,
    /// The IAM role name IMDS lists and serves (default `freshcreds-sim-role`).
    pub role_name: String,
    /// The account id in ARNs (default `123456789012`).
    pub account_id: String,
    /// The region answered by `/latest/meta-data/placement/region` (default `us-east-1`).
    pub region: String,
    /// The loopback port to bind; 0 picks an ephemeral port (default 0).
    pub port: u16,
    /// When true, IMDS metadata requests without a session token (IMDSv1) get 401 (default false).
    pub imds_v1_disabled: bool,
    /// When set, container credentials requests must carry exactly this `Authorization` header
    /// value (missing: 401, different: 403). Default `None` (no check).
    pub container_auth_token: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            credential_lifetime: Duration::from_secs(3600),
            imds_rotation_lead: Duration::from_secs(300),
            role_name: "freshcreds-sim-role".to_string(),
            account_id: "123456789012".to_string(),
            region: "us-east-1".to_string(),
            port: 0,
            imds_v1_disabled: false,
            container_auth_token: None,
        }
    }
}

/// The endpoints faults can be attached to and requests are counted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `PUT /latest/api/token`.
    ImdsToken,
    /// `GET /latest/meta-data/iam/security-credentials/`.
    ImdsRoleList,
    /// `GET /latest/meta-data/iam/security-credentials/<role>`.
    ImdsCredentials,
    /// STS at `/`.
    Sts,
    /// `GET /container/…`.
    Container,
    /// AWS Sign-In `POST /v1/token` (`aws login` refresh).
    SigninToken,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 6] = [
        Endpoint::ImdsToken,
        Endpoint::ImdsRoleList,
        Endpoint::ImdsCredentials,
        Endpoint::Sts,
        Endpoint::Container,
        Endpoint::SigninToken,
    ];

    /// The snake-case name used by the admin API (`imds_token`, `sts`, …).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::ImdsToken => "imds_token",
            Endpoint::ImdsRoleList => "imds_role_list",
            Endpoint::ImdsCredentials => "imds_credentials",
            Endpoint::Sts => "sts",
            Endpoint::Container => "container",
            Endpoint::SigninToken => "signin_token",
        }
    }

    /// Parses the snake-case name used by the admin API.
    pub fn from_name(name: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// A misbehaviour attached to one endpoint. Everything is off by default; fields combine.
///
/// `times` limits the "answer-replacing" parts (`status`, `drop_connection`, `hang`,
/// `malformed_json`, `expired_credentials`, `code`) to the next N requests; `latency_ms`,
/// `throttle_rate`, `date_skew_secs` and `date_unix_secs` always apply while the fault is set.
/// A fault can also be one step of a sequence ([`Simulator::set_fault_sequence`]): then every
/// part applies to exactly one request.
/// Order per request: latency, then drop, hang, status, throttling, then the (possibly altered)
/// real answer.
///
/// The JSON form refuses unknown fields (a misspelt field would otherwise be a fault that does
/// nothing): the admin API answers 400 naming the field.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// Answer this HTTP status (with a short body) instead of the real answer.
    pub status: Option<u16>,
    /// Apply the answer-replacing parts only to the next N requests (`None` = always).
    pub times: Option<u32>,
    /// Fraction (0..=1) of requests answered 429, chosen at random.
    pub throttle_rate: Option<f64>,
    /// Delay added before answering, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Close the connection without answering (the client sees EOF).
    pub drop_connection: bool,
    /// Never answer: hold the request until the client gives up or the simulator stops.
    pub hang: bool,
    /// Credentials endpoints (and STS) return a truncated, unparseable document.
    pub malformed_json: bool,
    /// Credentials endpoints return freshly minted credentials whose expiration is already past.
    pub expired_credentials: bool,
    /// The IMDS credentials JSON carries this `Code` instead of `Success` (e.g. `Failure`); for
    /// STS with `status`, the error code of the answer (e.g. `{"status": 403, "code":
    /// "ExpiredToken"}`, whatever key signed the request); for `signin_token`, the OAuth 2.0
    /// error code the refresh is refused with (e.g. `TOKEN_EXPIRED`).
    pub code: Option<String>,
    /// The HTTP `Date` header of this endpoint's answers is off by this many seconds (for STS,
    /// the SigV4 window moves with it: this endpoint's clock is wrong).
    pub date_skew_secs: Option<i64>,
    /// The HTTP `Date` header of this endpoint's answers is pinned to this Unix time (`0` is the
    /// epoch: a server with no clock, a stale sidecar). Only the header changes.
    pub date_unix_secs: Option<i64>,
}

/// A loopback URL (`http://127.0.0.1:PORT`) where nothing listens: a port bound and released at
/// once, for tests of a peer that is down (a refused connection, not a timeout).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    let port = listener.local_addr().expect("the bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Builders, so a test names its simulator in one line:
/// `SimConfig::default().credential_lifetime(Duration::from_secs(900))`.
impl SimConfig {
    /// Sets [`SimConfig::credential_lifetime`].
    pub fn credential_lifetime(self, lifetime: Duration) -> SimConfig {
        SimConfig {
            credential_lifetime: lifetime,
            ..self
        }
    }

    /// Sets [`SimConfig::imds_rotation_lead`].
    pub fn imds_rotation_lead(self, lead: Duration) -> SimConfig {
        SimConfig {
            imds_rotation_lead: lead,
            ..self
        }
    }
}

/// Builders, so a test names a fault in one line: `Fault::default().status(503).times(2)`.
impl Fault {
    /// Sets [`Fault::status`].
    pub fn status(self, status: u16) -> Fault {
        Fault {
            status: Some(status),
            ..self
        }
    }

    /// Sets [`Fault::times`].
    pub fn times(self, times: u32) -> Fault {
        Fault {
            times: Some(times),
            ..self
        }
    }

    /// Sets [`Fault::throttle_rate`].
    pub fn throttle_rate(self, rate: f64) -> Fault {
        Fault {
            throttle_rate: Some(rate),
            ..self
        }
    }

    /// Sets [`Fault::latency_ms`].
    pub fn latency_ms(self, millis: u64) -> Fault {
        Fault {
            latency_ms: Some(millis),
            ..self
        }
    }

    /// Sets [`Fault::drop_connection`].
    pub fn drop_connection(self) -> Fault {
        Fault {
            drop_connection: true,
            ..self
        }
    }

    /// Sets [`Fault::hang`].
    pub fn hang(self) -> Fault {
        Fault { hang: true, ..self }
    }

    /// Sets [`Fault::malformed_json`].
    pub fn malformed_json(self) -> Fault {
        Fault {
            malformed_json: true,
            ..self
        }
    }

    /// Sets [`Fault::expired_credentials`].
    pub fn expired_credentials(self) -> Fault {
        Fault {
            expired_credentials: true,
            ..self
        }
    }

    /// Sets [`Fault::code`].
    pub fn code(self, code: impl Into<String>) -> Fault {
        Fault {
            code: Some(code.into()),
            ..self
        }
    }

    /// Sets [`Fault::date_skew_secs`].
    pub fn date_skew_secs(self, secs: i64) -> Fault {
        Fault {
            date_skew_secs: Some(secs),
            ..self
        }
    }

    /// Sets [`Fault::date_unix_secs`].
    pub fn date_unix_secs(self, secs: i64) -> Fault {
        Fault {
            date_unix_secs: Some(secs),
            ..self
        }
    }
}

/// Switches that change how the simulator judges requests, set at run time
/// ([`Simulator::set_settings`], `POST /_sim/settings`). All off by default.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    /// The simulator's clock is off from the real time by this many seconds (positive: ahead):
    /// every `Date` header, the SigV4 window, minting and expiry move with it. A client on the
    /// real clock then looks like a host whose clock is off by the opposite amount.
    pub clock_skew_secs: i64,
    /// STS accepts credentials past their expiration (no `ExpiredToken`), as AWS does for
    /// instance-profile credentials whose expiry IMDS extended during an outage.
    pub sts_accepts_expired: bool,
}

/// Requests seen per endpoint since start or the last reset, and STS outcomes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Counts {
    /// `PUT /latest/api/token` requests.
    pub imds_token: u64,
    /// Role list requests.
    pub imds_role_list: u64,
    /// Role credentials requests.
    pub imds_credentials: u64,
    /// STS requests (any action, any outcome).
    pub sts: u64,
    /// Container credentials requests.
    pub container: u64,
    /// STS requests answered successfully.
    pub sts_ok: u64,
    /// STS requests rejected with `ExpiredToken`.
    pub sts_expired_token: u64,
    /// STS requests signed with expired credentials and accepted anyway
    /// ([`SimSettings::sts_accepts_expired`]).
    pub sts_accepted_expired: u64,
    /// STS requests rejected with `ExpiredToken` because their key was revoked before its expiry
    /// ([`Simulator::revoke`]); not counted in `sts_expired_token`.
    pub sts_revoked: u64,
    /// STS requests rejected with `SignatureDoesNotMatch` (including "Signature expired").
    pub sts_signature_mismatch: u64,
    /// Successful `AssumeRole` calls.
    pub sts_assume_role: u64,
    /// Successful `AssumeRoleWithWebIdentity` calls.
    pub sts_assume_role_web_identity: u64,
    /// AWS Sign-In `CreateOAuth2Token` requests (any outcome).
    pub signin_token: u64,
    /// `CreateOAuth2Token` requests answered with credentials.
    pub signin_ok: u64,
    /// `CreateOAuth2Token` requests refused (a bad proof, an unknown refresh token, a fault).
    pub signin_rejected: u64,
    /// Requests of any endpoint that a fault or sequence step changed in any way (so a test can
    /// confirm that the faults it set were served, not only set).
    pub faults_served: u64,
    /// Requests answered with a fault's `status` (or 429 by `throttle_rate`).
    pub faults_status: u64,
    /// Requests held unanswered by `hang`.
    pub faults_hung: u64,
    /// Requests whose connection `drop_connection` closed.
    pub faults_dropped: u64,
    /// Requests delayed by `latency_ms` (also counted in one of the above when replaced too).
    pub faults_latency: u64,
    /// `imds_token` requests a fault answered instead of the endpoint (status, throttling, hang
    /// or drop); likewise for each endpoint below. The rest got the endpoint's own answer.
    pub imds_token_faulted: u64,
    /// `imds_role_list` requests a fault answered.
    pub imds_role_list_faulted: u64,
    /// `imds_credentials` requests a fault answered.
    pub imds_credentials_faulted: u64,
    /// `sts` requests a fault answered.
    pub sts_faulted: u64,
    /// `container` requests a fault answered.
    pub container_faulted: u64,
    /// `signin_token` requests a fault answered.
    pub signin_token_faulted: u64,
}

/// One set of credentials the simulator minted (or the static test key).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token (`None` for the static key).
    pub session_token: Option<String>,
    /// When they expire in simulator time (`None` for the static key).
    pub expiration: Option<DateTime<Utc>>,
    /// When they were minted, in simulator time.
    pub issued_at: DateTime<Utc>,
    /// The ARN `GetCallerIdentity` reports for them.
    pub arn: String,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("issued_at", &self.issued_at)
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

/// What an `AssumeRole` or `AssumeRoleWithWebIdentity` call asked for (successful or not, once
/// the action was recognised and, for `AssumeRole`, the signature verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssumeRoleCall {
    /// `AssumeRole` or `AssumeRoleWithWebIdentity`.
    pub action: String,
    /// The `RoleArn` parameter.
    pub role_arn: Option<String>,
    /// The `RoleSessionName` parameter.
    pub role_session_name: Option<String>,
    /// The `DurationSeconds` parameter as sent.
    pub duration_seconds: Option<String>,
    /// The `ExternalId` parameter.
    pub external_id: Option<String>,
    /// The `WebIdentityToken` parameter (web identity calls only).
    pub web_identity_token: Option<String>,
    /// The access key id that signed the call (`AssumeRole` only).
    pub signed_by: Option<String>,
}

/// A running simulator. Stops on [`Simulator::shutdown`] or when dropped.
pub struct Simulator {
    shared: Arc<Shared>,
    port: u16,
    shutdown_tx: watch::Sender<bool>,
    stopped_rx: Option<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Binds `127.0.0.1:config.port` and starts serving on a dedicated thread and runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let (tx, rx) = oneshot::channel();
        let sim = Self::launch(
            config,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        match rx.await {
            Ok(Ok(port)) => Ok(sim.with_port(port)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other(
                "simulator thread exited during start",
            )),
        }
    }

    /// Like [`Simulator::start`], for callers without an async context (also usable inside one:
    /// it blocks only until the port is bound).
    pub fn start_blocking(config: SimConfig) -> std::io::Result<Simulator> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let sim = Self::launch(
            config,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        match rx.recv() {
            Ok(Ok(port)) => Ok(sim.with_port(port)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other(
                "simulator thread exited during start",
            )),
        }
    }

    fn launch(config: SimConfig, ready: server::Ready) -> std::io::Result<Simulator> {
        let shared = Arc::new(Shared::new(config));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = oneshot::channel();
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("freshcreds-sim".to_string())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("freshcreds-sim-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        ready(Err(e));
                        return;
                    }
                };
                runtime.block_on(server::run(thread_shared, shutdown_rx, ready));
                // Dropping the runtime drops every connection, including held ("hang") ones.
                runtime.shutdown_timeout(Duration::from_secs(1));
                let _ = stopped_tx.send(());
            })?;
        Ok(Simulator {
            shared,
            port: 0,
            shutdown_tx,
            stopped_rx: Some(stopped_rx),
        })
    }

    fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// `http://127.0.0.1:PORT`: IMDS paths, STS (`/`), the container endpoint and the admin API.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the TLS front and the `CONNECT` proxy `options` asks for in front of this
    /// simulator; `GET /_sim/network` reports them from then on. Only once per simulator.
    pub fn start_network(
        &self,
        options: &tls::NetworkOptions,
    ) -> std::io::Result<&tls::NetworkPeers> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let peers = tls::NetworkPeers::start(options, addr)?;
        self.shared
            .network
            .set(peers)
            .map_err(|_| std::io::Error::other("the network peers were started already"))?;
        Ok(self.shared.network.get().expect("just set"))
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Replaces `endpoint`'s fault (and restarts its `times` budget).
    pub fn set_fault(&self, endpoint: Endpoint, fault: Fault) {
        self.shared.set_fault(endpoint, fault);
    }

    /// Removes every fault and every fault sequence.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Scripts `endpoint`'s next requests: request `i` gets `steps[i]` (every part of it, once),
    /// then the endpoint's standing fault (if any) applies again. `Fault::default()` is a
    /// normal answer, so `[503, 503, hang, ok]` is four steps. Replaces an earlier sequence.
    pub fn set_fault_sequence(&self, endpoint: Endpoint, steps: Vec<Fault>) {
        self.shared.set_sequence(endpoint, steps);
    }

    /// How many steps of `endpoint`'s fault sequence are still to be applied.
    pub fn fault_sequence_remaining(&self, endpoint: Endpoint) -> usize {
        self.shared.sequence_remaining(endpoint)
    }

    /// Replaces the run-time switches.
    pub fn set_settings(&self, settings: SimSettings) {
        self.shared.set_settings(settings);
    }

    /// The run-time switches.
    pub fn settings(&self) -> SimSettings {
        self.shared.settings()
    }

    /// Sets only [`SimSettings::clock_skew_secs`].
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        let mut s = self.settings();
        s.clock_skew_secs = skew.num_seconds();
        self.set_settings(s);
    }

    /// Requests per endpoint since start or the last [`Simulator::reset_counts`].
    pub fn counts(&self) -> Counts {
        self.shared.counts()
    }

    /// Zeroes the counts.
    pub fn reset_counts(&self) {
        self.shared.reset_counts();
    }

    /// Moves the simulator clock forward (it is the real UTC time plus an offset, plus the
    /// [`SimSettings::clock_skew_secs`]). Time moves for every judgement the simulator makes,
    /// the SigV4 window included: a client that signs on the real clock is then that far behind
    /// (a test that advances should sign on a clock that moves with the simulator, or correct for
    /// skew as freshcreds does).
    pub fn advance_time(&self, by: Duration) {
        self.shared.advance(by);
    }

    /// The simulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now()
    }

    /// Makes the next IMDS (and container) credentials request mint fresh credentials.
    pub fn rotate_now(&self) {
        self.shared.rotate_now();
    }

    /// Revokes `access_key_id`, or with `None` the keys IMDS and the container endpoint serve
    /// now (their next reads mint new ones): STS answers `ExpiredToken` (the query-protocol XML,
    /// status 403) for a revoked key before its expiry. Returns the keys revoked.
    pub fn revoke(&self, access_key_id: Option<&str>) -> Vec<String> {
        self.shared.revoke(access_key_id)
    }

    /// How many credential sets were minted so far (IMDS, STS, container, expired-credentials faults).
    pub fn issued(&self) -> usize {
        self.shared.minted()
    }

    /// Every credential set minted so far, oldest first (secrets included: test use only).
    pub fn issued_credentials(&self) -> Vec<IssuedCredentials> {
        self.shared.issued_credentials()
    }

    /// The `AssumeRole` / `AssumeRoleWithWebIdentity` calls received so far, oldest first.
    pub fn assume_role_calls(&self) -> Vec<AssumeRoleCall> {
        self.shared.assume_role_calls()
    }

    /// A new `aws login` session: a P-256 key, a refresh token bound to it, and credentials
    /// (valid for the configured lifetime, at most 900 s) that STS accepts, as the cache document
    /// the AWS CLI would write. `POST /_sim/login/sessions` does the same.
    pub fn login_session(&self) -> LoginSession {
        signin::new_session(&self.shared)
    }

    /// The `CreateOAuth2Token` requests received so far, oldest first.
    pub fn signin_calls(&self) -> Vec<SigninCall> {
        self.shared.login.calls()
    }

    /// Stops serving and waits until the port is closed and every connection dropped.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(rx) = self.stopped_rx.take() {
            let _ = rx.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}
