//! `doctor`: the AWS credentials troubleshooting walk, one finding per line.
//!
//! Checks, in order: proxy variables that capture IMDS; session expiry stated in the environment;
//! the chain source by source (winner, failures, shadowing); the winning credentials' expiry and
//! whether they refresh themselves; who they are (STS `GetCallerIdentity`); clock skew against the
//! `Date` header of STS and of IMDS; IMDS reachability (token `PUT`, IMDSv1 `GET`, role, hop
//! limit); expired session tokens in the profile files and expired AWS CLI / SSO cache entries.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::chain::{self, CliChain};
use super::creds::rfc3339;
use super::output::{countdown, human_duration, Check, Level};
use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Error, ErrorKind};
use crate::sources::chain::LinkOutcome;
use crate::sources::environment::ENVIRONMENT;
use crate::sources::imds::{
    ImdsConfig, ENV_DISABLED, ENV_ENDPOINT, HOP_LIMIT_FIX, ROLE_LIST_PATH, TOKEN_HEADER,
    TOKEN_PATH, TOKEN_TTL_HEADER,
};
use crate::sources::profile::location::{home_dir, Platform};
use crate::sources::profile::ProfileSet;
use crate::sources::sts::{StsClient, StsSettings, STS_API_VERSION};
use crate::sources::Fetched;

/// Skew beyond this fails: AWS rejects requests signed more than 5 minutes off.
pub const SKEW_FAIL: Duration = Duration::from_secs(300);
/// Skew beyond this warns.
pub const SKEW_WARN: Duration = Duration::from_secs(60);
/// Static session credentials expiring sooner than this are a warning.
pub const STATIC_EXPIRY_WARN: Duration = Duration::from_secs(15 * 60);
/// The IMDS address proxies must not capture.
pub const IMDS_IPV4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// How long the chain's shadowing probe may take before the report is printed without it.
pub const SHADOW_PROBE_TIMEOUT: Duration = Duration::from_secs(15);

const NTP_HINT: &str = "sync the clock with NTP (on EC2: the Amazon Time Sync Service at 169.254.169.123, e.g. `chronyc makestep`; elsewhere `timedatectl set-ntp true`)";
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];
/// Profile keys under which tools record when a session token in a file expires.
const EXPIRY_KEYS: [&str; 5] = [
    "aws_expiration",
    "aws_session_expiration",
    "aws_credential_expiration",
    "expiration",
    "x_security_token_expires",
];

/// What `doctor` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// The profile to check (`None`: `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// Skip network calls outside the host (STS).
    pub offline: bool,
}

/// Runs every check.
pub async fn run(env: &Env, options: &DoctorOptions) -> Vec<Check> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let mut checks = Vec::new();
    checks.extend(proxy_checks(env));
    checks.extend(env_expiry_check(env, Utc::now()));

    let built = chain::build(env, options.profile.as_deref(), clock.clone()).await;
    let (chain, fetched) = match built {
        Ok(c) => {
            let fetched = c.chain.resolve().await;
            (Some(c), fetched)
        }
        Err(e) => {
            checks.push(Check::fail(
                "chain",
                format!(
                    "the credential chain could not be built: {}",
                    e.full_message()
                ),
                "fix the configuration named above",
            ));
            (None, Err(e))
        }
    };
    let winner = fetched.as_ref().ok();
    if let Some(c) = &chain {
        checks.extend(chain_checks(c, fetched.as_ref().err()).await);
        if let Some(f) = winner {
            checks.push(expiry_check(c, f, Utc::now()));
        }
    }
    if options.offline {
        checks.push(Check::ok("identity", "STS not asked (--offline)"));
    } else {
        match chain::sts_settings(env, chain.as_ref().and_then(|c| c.profiles.as_ref())) {
            Ok(settings) => {
                if let (Some(f), Some(c)) = (winner, &chain) {
                    checks.push(identity_check(&settings, c, &f.credentials, clock.clone()).await);
                }
                checks.push(sts_skew_check(&settings).await);
            }
            Err(e) => checks.push(Check::fail(
                "identity",
                format!(
                    "the STS endpoint could not be worked out: {}",
                    e.full_message()
                ),
                "fix the variable or profile setting named above",
            )),
        }
    }
    let profiles = chain.as_ref().and_then(|c| c.profiles.as_ref());
    let other_winner = winner
        .map(|f| f.credentials.source().to_string())
        .filter(|s| s != crate::sources::imds::SOURCE_NAME);
    checks.extend(imds_checks(env, profiles, other_winner.as_deref()).await);
    checks.extend(file_checks(env, profiles, Utc::now()));
    checks
}

// ---------------------------------------------------------------------------------------------
// Proxy variables

/// Shows a proxy URL without credentials (`user:password@` is dropped).
fn redact_proxy(value: &str) -> String {
    match url::Url::parse(value.trim()) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => "(set)".to_string(),
        },
        Err(_) => {
            // `host:port` without a scheme.
            let v = value.trim();
            match v.rsplit_once('@') {
                Some((_, host)) => host.to_string(),
                None => v.to_string(),
            }
        }
    }
}

/// Whether a `NO_PROXY` value exempts `ip`: `*`, the address itself, or a CIDR block holding it.
pub fn no_proxy_covers(no_proxy: &str, ip: Ipv4Addr) -> bool {
    no_proxy.split([',', ' ']).map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('.');
        if let Ok(addr) = entry.parse::<Ipv4Addr>() {
            return addr == ip;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            if let (Ok(net), Ok(bits)) = (net.parse::<Ipv4Addr>(), bits.parse::<u32>()) {
                if bits > 32 {
                    return false;
                }
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                return u32::from(net) & mask == u32::from(ip) & mask;
            }
        }
        false
    })
}

/// Proxy variables that would send IMDS requests through a proxy.
pub fn proxy_checks(env: &Env) -> Vec<Check> {
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .filter_map(|n| env.get_non_blank(n).map(|v| (*n, v)))
        .collect::<Vec<_>>();
    let covered = no_proxy.iter().any(|(_, v)| no_proxy_covers(v, IMDS_IPV4));
    let set: Vec<(&str, String)> = PROXY_VARS
        .iter()
        .filter_map(|n| env.get_non_blank(n).map(|v| (*n, v)))
        .collect();
    if set.is_empty() {
        return vec![Check::ok("proxy", "no proxy variable is set")];
    }
    if covered {
        let (name, _) = no_proxy
            .iter()
            .find(|(_, v)| no_proxy_covers(v, IMDS_IPV4))
            .expect("covered");
        return vec![Check::ok(
            "proxy",
            format!("{name} exempts {IMDS_IPV4} from the proxy variables"),
        )];
    }
    set.into_iter()
        .map(|(name, value)| {
            Check::warn(
                "proxy",
                format!(
                    "{name}={} would send requests for IMDS ({IMDS_IPV4}) through the proxy in tools \
                     that honour it (freshcreds itself never proxies IMDS): the proxy refuses the \
                     IMDSv2 token PUT or answers for another host",
                    redact_proxy(&value)
                ),
                format!(
                    "add {IMDS_IPV4} to NO_PROXY (e.g. export NO_PROXY={IMDS_IPV4},169.254.170.2,$NO_PROXY)"
                ),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Expiry in the environment

fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    DateTime::parse_from_rfc3339(v)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            // `2024-01-01T00:00:00` or `2024-01-01 00:00:00` without an offset: UTC.
            chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S"))
                .ok()
                .map(|n| n.and_utc())
        })
}

/// `AWS_CREDENTIAL_EXPIRATION` in the past (or soon).
pub fn env_expiry_check(env: &Env, now: DateTime<Utc>) -> Option<Check> {
    let value = env.get_non_blank("AWS_CREDENTIAL_EXPIRATION")?;
    let unset = "get fresh credentials into the environment (e.g. `eval \"$(freshcreds export)\"`), or unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION so a source that refreshes itself is used";
    let Some(exp) = parse_time(&value) else {
        return Some(Check::warn(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={value:?} is not an RFC 3339 time"
            ),
            "write it like 2030-01-01T00:00:00Z",
        ));
    };
    let left = exp - now;
    let has_keys = env.get_non_blank("AWS_ACCESS_KEY_ID").is_some()
        || env.get_non_blank("AWS_ACCESS_KEY").is_some();
    let what = if has_keys {
        "the session credentials in AWS_ACCESS_KEY_ID/AWS_SESSION_TOKEN"
    } else {
        "the session credentials it describes"
    };
    Some(if left <= chrono::Duration::zero() {
        Check::fail(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={} says {what} expired {}",
                rfc3339(exp),
                countdown(left)
            ),
            unset,
        )
    } else if left.to_std().unwrap_or_default() < STATIC_EXPIRY_WARN {
        Check::warn(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={} says {what} expire {} and nothing renews them",
                rfc3339(exp),
                countdown(left)
            ),
            unset,
        )
    } else {
        Check::ok(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={}: {what} expire {}",
                rfc3339(exp),
                countdown(left)
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The chain

fn unset_fix(source: &str) -> String {
    if source == ENVIRONMENT {
        "unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (AWS_ACCESS_KEY/AWS_SECRET_KEY too) so the chain reaches it".to_string()
    } else if let Some(profile) = source
        .strip_prefix("Profile(")
        .and_then(|s| s.strip_suffix(')'))
    {
        format!("remove aws_access_key_id/aws_secret_access_key from profile {profile} (or point AWS_PROFILE elsewhere) so the chain reaches it")
    } else {
        format!("remove the static credentials of {source} so the chain reaches it")
    }
}

async fn chain_checks(c: &CliChain, error: Option<&Error>) -> Vec<Check> {
    let report = c.chain.settled_report(SHADOW_PROBE_TIMEOUT).await;
    let winner = report.winner.clone();
    let mut out = Vec::new();
    for link in &report.links {
        let name = &link.source;
        out.push(match &link.outcome {
            LinkOutcome::Used => Check::ok("chain", format!("{name}: supplies the credentials")),
            LinkOutcome::NotConfigured { reason } => {
                Check::ok("chain", format!("{name}: not configured ({reason})"))
            }
            LinkOutcome::Failed { reason } => {
                let level = if winner.is_some() { Level::Warn } else { Level::Fail };
                Check::new("chain", level, format!("{name}: failed: {reason}")).with_fix(
                    if winner.is_some() {
                        "a later source supplied credentials, but this one is configured and broken: fix it or remove its configuration".to_string()
                    } else {
                        "fix the problem named above".to_string()
                    },
                )
            }
            LinkOutcome::NotTried => Check::ok("chain", format!("{name}: not tried (an earlier source won)")),
            LinkOutcome::Available => {
                let w = winner.clone().unwrap_or_default();
                Check::warn(
                    "shadowed",
                    format!(
                        "{name} would supply credentials that refresh themselves, but the static credentials of {w} shadow it"
                    ),
                    unset_fix(&w),
                )
            }
            LinkOutcome::Configured { detail } => {
                let w = winner.clone().unwrap_or_default();
                Check::warn(
                    "shadowed",
                    format!("{name} is configured ({detail}), but the static credentials of {w} shadow it"),
                    unset_fix(&w),
                )
            }
        });
        out.extend(
            link.warnings
                .iter()
                .map(|w| Check::ok("chain", format!("{name} (not used) warned: {w}"))),
        );
    }
    if report.probing {
        out.push(Check::ok(
            "shadowed",
            format!(
                "sources below {} did not answer within {} s; shadowing not checked",
                winner.clone().unwrap_or_default(),
                SHADOW_PROBE_TIMEOUT.as_secs()
            ),
        ));
    }
    if winner.is_none() {
        let reason = match error {
            Some(e) if e.kind() != ErrorKind::NotConfigured => {
                format!("the last failure was {}", e.kind().name())
            }
            _ => "nothing is configured".to_string(),
        };
        out.push(Check::fail(
            "chain",
            format!("no source supplied credentials ({reason}; each source's reason is above)"),
            "configure one source: environment variables, a profile (`aws configure`), a container endpoint or an instance role",
        ));
    }
    out
}

/// The winning credentials' expiry, with a countdown, and whether they refresh themselves.
fn expiry_check(c: &CliChain, fetched: &Fetched, now: DateTime<Utc>) -> Check {
    let creds = &fetched.credentials;
    let source = creds.source().to_string();
    let is_static = c.is_static(&source);
    let Some(exp) = creds.expiration() else {
        return if creds.session_token().is_some() {
            Check::warn(
                "expiry",
                format!(
                    "{} from {source} carry a session token but no expiry: they will stop working at an unknown time and nothing renews them",
                    creds.access_key_id()
                ),
                "set AWS_CREDENTIAL_EXPIRATION with them, or use a source that refreshes itself",
            )
        } else {
            Check::ok(
                "expiry",
                format!(
                    "{} from {source} is a long-term access key: no expiry",
                    creds.access_key_id()
                ),
            )
        };
    };
    // Anchor on the server's clock when the source said what time it was.
    let left = match fetched.server_date {
        Some(date) => exp - date,
        None => exp - now,
    };
    let when = format!("{} ({})", rfc3339(exp), countdown(left));
    let refreshes = if is_static {
        "they never refresh themselves (static credentials)".to_string()
    } else {
        format!(
            "they refresh themselves: freshcreds and the AWS SDKs ask {source} again before expiry"
        )
    };
    if left <= chrono::Duration::zero() {
        let fix = if is_static {
            unset_fix(&source).replace(
                "so the chain reaches it",
                "and use a source that refreshes itself, or put fresh credentials there",
            )
        } else {
            format!("{source} handed out expired credentials: check the clock (see clock-skew) and the source itself")
        };
        Check::fail(
            "expiry",
            format!(
                "{} from {source} expired at {when}; {refreshes}",
                creds.access_key_id()
            ),
            fix,
        )
    } else if is_static && left.to_std().unwrap_or_default() < STATIC_EXPIRY_WARN {
        Check::warn(
            "expiry",
            format!(
                "{} from {source} expire at {when}; {refreshes}",
                creds.access_key_id()
            ),
            "put fresh credentials there before they expire, or use a source that refreshes itself",
        )
    } else {
        Check::ok(
            "expiry",
            format!(
                "{} from {source} expire at {when}; {refreshes}",
                creds.access_key_id()
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// STS

async fn identity_check(
    settings: &StsSettings,
    c: &CliChain,
    creds: &Credentials,
    clock: Arc<dyn Clock>,
) -> Check {
    let source = creds.source().to_string();
    let client = match StsClient::with_clock(settings.clone(), clock) {
        Ok(client) => client.with_server_clock(c.server_clock.clone()),
        Err(e) => {
            return Check::fail(
                "identity",
                e.full_message(),
                "fix the STS endpoint configuration",
            )
        }
    };
    match client.get_caller_identity(creds).await {
        Ok(id) => Check::ok(
            "identity",
            format!(
                "{} (account {}), per STS GetCallerIdentity at {} with the credentials from {source}",
                id.arn, id.account, settings.endpoint
            ),
        ),
        Err(e) => {
            let msg = e.full_message();
            let replace = if c.is_static(&source) {
                unset_fix(&source).replace(
                    "so the chain reaches it",
                    "and let a source that refreshes itself supply credentials, or put valid ones there",
                )
            } else {
                format!("check what {source} returns; run `freshcreds doctor` again after it refreshes")
            };
            match e.kind() {
                ErrorKind::Expired => Check::fail(
                    "identity",
                    format!("the credentials from {source} ({}) are expired: {msg}", creds.access_key_id()),
                    replace,
                ),
                ErrorKind::Refused if msg.contains("InvalidClientTokenId") => Check::fail(
                    "identity",
                    format!(
                        "the access key {} from {source} is not valid (deleted, mistyped, or of another partition): {msg}",
                        creds.access_key_id()
                    ),
                    replace,
                ),
                ErrorKind::Refused if msg.contains("Signature expired") => Check::fail(
                    "identity",
                    format!("STS refused the request's time stamp (local clock off): {msg}"),
                    NTP_HINT,
                ),
                ErrorKind::Refused if msg.contains("SignatureDoesNotMatch") => Check::fail(
                    "identity",
                    format!("the secret key from {source} does not match its access key {}: {msg}", creds.access_key_id()),
                    replace,
                ),
                ErrorKind::Refused => Check::fail(
                    "identity",
                    format!("STS refused the credentials from {source}: {msg}"),
                    replace,
                ),
                ErrorKind::Timeout | ErrorKind::Connect => Check::warn(
                    "identity",
                    format!("STS could not be reached: {msg}"),
                    "check the network path to STS (proxy variables, AWS_ENDPOINT_URL_STS, firewall), or run with --offline",
                ),
                _ => Check::warn("identity", format!("STS GetCallerIdentity failed: {msg}"), "see the error above"),
            }
        }
    }
}

fn http_date(resp: &reqwest::Response) -> Option<DateTime<Utc>> {
    resp.headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .map(DateTime::<Utc>::from)
}

/// Local time minus the server's, measured at the middle of the request.
fn skew_of(sent_at: DateTime<Utc>, elapsed: Duration, server: DateTime<Utc>) -> chrono::Duration {
    let mid = sent_at + chrono::Duration::from_std(elapsed / 2).unwrap_or_default();
    mid - server
}

/// A clock-skew finding for the `Date` header of `what`.
pub fn skew_check(what: &str, skew: chrono::Duration) -> Check {
    let abs = skew.abs().to_std().unwrap_or_default();
    let direction = if skew > chrono::Duration::zero() {
        "ahead of"
    } else {
        "behind"
    };
    let msg = format!(
        "local clock is {} {direction} the Date header of {what}",
        human_duration(skew)
    );
    if abs > SKEW_FAIL {
        Check::fail(
            "clock-skew",
            format!("{msg}: AWS rejects requests signed more than 5 minutes off"),
            NTP_HINT,
        )
    } else if abs > SKEW_WARN {
        Check::warn(
            "clock-skew",
            format!("{msg}: requests fail beyond 5 minutes"),
            NTP_HINT,
        )
    } else {
        Check::ok(
            "clock-skew",
            format!(
                "local clock is within {} of {what}",
                human_duration(skew).replace("0s", "1s")
            ),
        )
    }
}

/// Compares the local clock with the `Date` of an unsigned STS request (any answer carries one).
async fn sts_skew_check(settings: &StsSettings) -> Check {
    let http = match reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            return Check::warn(
                "clock-skew",
                format!("no HTTP client for STS: {e}"),
                "report this",
            )
        }
    };
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version={STS_API_VERSION}",
        settings.endpoint.trim_end_matches('/')
    );
    let sent_at = Utc::now();
    let started = Instant::now();
    match http.get(&url).send().await {
        Ok(resp) => match http_date(&resp) {
            Some(date) => skew_check(
                &format!("STS at {}", settings.endpoint),
                skew_of(sent_at, started.elapsed(), date),
            ),
            None => Check::ok(
                "clock-skew",
                format!(
                    "STS at {} sent no Date header; skew not measured",
                    settings.endpoint
                ),
            ),
        },
        Err(e) => Check::warn(
            "clock-skew",
            format!(
                "could not reach STS at {} (endpoint from {}) to compare clocks: {}",
                settings.endpoint,
                settings.endpoint_origin,
                root_cause(&e)
            ),
            "check the network path to STS, or run with --offline",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// IMDS

#[derive(Debug)]
enum Probe {
    Answer {
        status: u16,
        body: String,
        date: Option<DateTime<Utc>>,
        sent_at: DateTime<Utc>,
        elapsed: Duration,
    },
    Timeout,
    Unreachable(String),
    Broken(String),
}

impl Probe {
    fn status(&self) -> Option<u16> {
        match self {
            Probe::Answer { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn describe(&self, timeout: Duration) -> String {
        match self {
            Probe::Answer { status, .. } => format!("HTTP {status}"),
            Probe::Timeout => format!("timed out after {timeout:?}"),
            Probe::Unreachable(e) => format!("could not connect: {e}"),
            Probe::Broken(e) => format!("failed: {e}"),
        }
    }
}

async fn probe(req: reqwest::RequestBuilder) -> Probe {
    let sent_at = Utc::now();
    let started = Instant::now();
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let date = http_date(&resp);
            let body = resp.text().await.unwrap_or_default();
            Probe::Answer {
                status,
                body,
                date,
                sent_at,
                elapsed: started.elapsed(),
            }
        }
        Err(e) if e.is_timeout() => Probe::Timeout,
        Err(e) if e.is_connect() => Probe::Unreachable(root_cause(&e)),
        Err(e) => Probe::Broken(root_cause(&e)),
    }
}

/// The innermost cause of an error (e.g. `Connection refused (os error 111)`).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

async fn imds_checks(
    env: &Env,
    profiles: Option<&ProfileSet>,
    other_winner: Option<&str>,
) -> Vec<Check> {
    let p = profiles.and_then(|s| s.selected_profile());
    let config = match ImdsConfig::from_env_and_profile(
        env,
        p.and_then(|p| p.get(crate::sources::imds::PROFILE_ENDPOINT)),
        p.and_then(|p| p.get(crate::sources::imds::PROFILE_ENDPOINT_MODE)),
    ) {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                "imds",
                e.full_message(),
                "fix the setting named above",
            )]
        }
    };
    if config.disabled {
        return vec![Check::ok(
            "imds",
            format!("IMDS is switched off by {ENV_DISABLED}=true; not checked"),
        )];
    }
    let http = match reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.timeout)
        .timeout(config.timeout)
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            return vec![Check::warn(
                "imds",
                format!("no HTTP client for IMDS: {e}"),
                "report this",
            )]
        }
    };
    let explicit = env.get_non_blank(ENV_ENDPOINT).is_some();
    let token_url = config.url(TOKEN_PATH);
    let roles_url = config.url(ROLE_LIST_PATH);
    let t = config.timeout;
    let token = probe(http.put(&token_url).header(TOKEN_TTL_HEADER, "60")).await;
    let v1 = probe(http.get(&roles_url)).await;
    let mut out = Vec::new();

    // Not there at all.
    let gone = |p: &Probe| matches!(p, Probe::Unreachable(_) | Probe::Timeout | Probe::Broken(_));
    if gone(&token) && gone(&v1) {
        let msg = format!(
            "IMDS at {} is not reachable: token PUT {}, GET {}",
            config.endpoint,
            token.describe(t),
            v1.describe(t)
        );
        out.push(match other_winner {
            Some(w) if !explicit => Check::ok("imds", format!("{msg} (not on EC2? not needed: {w} supplies credentials)")),
            Some(w) => Check::warn(
                "imds",
                format!("{msg}; {w} supplies credentials meanwhile"),
                format!("{ENV_ENDPOINT} points at it: fix or unset the variable"),
            ),
            None => Check::fail(
                "imds",
                msg,
                "off EC2, configure another credential source; on EC2, check the instance's metadata options (HttpEndpoint enabled) and that nothing blocks 169.254.169.254",
            ),
        });
        return out;
    }

    // The token call.
    let token_value = match &token {
        Probe::Answer {
            status: 200, body, ..
        } => {
            out.push(Check::ok(
                "imds",
                format!("IMDSv2 token PUT {token_url} works"),
            ));
            Some(body.trim().to_string())
        }
        failed => {
            let v1_answers = matches!(v1.status(), Some(200) | Some(404));
            let hop = matches!(failed, Probe::Timeout | Probe::Unreachable(_))
                || matches!(failed.status(), Some(403));
            let msg = format!(
                "IMDSv2 token PUT {token_url} {} while GET {roles_url} (IMDSv1) answers {}",
                failed.describe(t),
                v1.describe(t)
            );
            if hop && v1_answers {
                out.push(Check::warn(
                    "imds",
                    format!("{msg}: the PUT's answer does not make it back, the hop-limit symptom of containers on EC2 (SDKs wait, then fall back to IMDSv1)"),
                    format!("raise the hop limit to 2: `{HOP_LIMIT_FIX} --instance-id <id>`"),
                ));
            } else if hop && v1.status() == Some(401) {
                out.push(Check::fail(
                    "imds",
                    format!("{msg}: IMDSv1 is off, so no credentials can be read; the hop-limit symptom of containers on EC2"),
                    format!("raise the hop limit to 2: `{HOP_LIMIT_FIX} --instance-id <id>`"),
                ));
            } else {
                out.push(Check::warn(
                    "imds",
                    msg,
                    "check that nothing between this host and IMDS rewrites or refuses PUT requests",
                ));
            }
            None
        }
    };
    match v1.status() {
        Some(200) | Some(404) => {
            out.push(Check::ok("imds", format!("IMDSv1 GET {roles_url} works")))
        }
        Some(401) if token_value.is_some() => out.push(Check::ok(
            "imds",
            "IMDSv1 is off (GET without a token answers 401); IMDSv2 works".to_string(),
        )),
        _ => {}
    }

    // The role.
    let roles = match &token_value {
        Some(tok) => probe(http.get(&roles_url).header(TOKEN_HEADER, tok.as_str())).await,
        None => v1,
    };
    match &roles {
        Probe::Answer { status: 200, body, .. } if !body.trim().is_empty() => {
            let role = body.lines().next().unwrap_or_default().trim();
            out.push(Check::ok("imds", format!("instance role {role} is attached")));
        }
        Probe::Answer { status: 200 | 404, .. } => {
            let msg = format!("no IAM role is attached to this instance ({roles_url} lists none)");
            out.push(match other_winner {
                Some(w) => Check::ok("imds", format!("{msg}; {w} supplies credentials")),
                None => Check::fail(
                    "imds",
                    msg,
                    "attach an instance profile: `aws ec2 associate-iam-instance-profile --instance-id <id> --iam-instance-profile Name=<profile>`",
                ),
            });
        }
        other => out.push(Check::warn(
            "imds",
            format!("listing the instance role at {roles_url}: {}", other.describe(t)),
            "retry; if it persists, IMDS may be throttling (many processes refreshing at once: `freshcreds serve` shares one refresh)",
        )),
    }

    // Skew against IMDS's Date.
    let dated = [&token, &roles].into_iter().find_map(|p| match p {
        Probe::Answer {
            date: Some(d),
            sent_at,
            elapsed,
            ..
        } => Some(skew_of(*sent_at, *elapsed, *d)),
        _ => None,
    });
    if let Some(skew) = dated {
        out.push(skew_check(&format!("IMDS at {}", config.endpoint), skew));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Files: profile session tokens, AWS CLI and SSO caches

fn file_checks(env: &Env, profiles: Option<&ProfileSet>, now: DateTime<Utc>) -> Vec<Check> {
    let mut out = Vec::new();
    if let Some(set) = profiles {
        for name in set.names() {
            let Some(p) = set.profile(name) else { continue };
            if p.get("aws_session_token").is_none() {
                continue;
            }
            let Some((key, value)) = EXPIRY_KEYS
                .iter()
                .find_map(|k| p.get(k).map(|v| (*k, v.to_string())))
            else {
                continue;
            };
            let Some(exp) = parse_time(&value) else {
                continue;
            };
            if exp > now {
                continue;
            }
            let place = match p.location("aws_session_token") {
                Some((file, line)) => format!("{file}:{line}"),
                None => "the profile files".to_string(),
            };
            let msg = format!(
                "profile {name}: the session token at {place} expired {} ({key} = {})",
                countdown(exp - now),
                rfc3339(exp)
            );
            let fix = format!(
                "put fresh credentials into profile {name}, or remove its aws_session_token"
            );
            out.push(if name == set.selected() {
                Check::fail("files", msg, fix)
            } else {
                Check::warn("files", msg, fix)
            });
        }
    }
    let home = home_dir(env, Platform::current());
    let Some(home) = home else {
        out.push(Check::ok(
            "files",
            "no home directory (HOME unset): caches not checked",
        ));
        return out;
    };
    let aws = Path::new(&home).join(".aws");
    let cli_cache = aws.join("cli").join("cache");
    let mut expired = 0;
    let mut seen = 0;
    for (path, doc) in json_files(&cli_cache) {
        let Some(exp) = doc
            .pointer("/Credentials/Expiration")
            .and_then(|v| v.as_str())
            .and_then(parse_time)
        else {
            continue;
        };
        seen += 1;
        if exp <= now {
            expired += 1;
            out.push(Check::warn(
                "files",
                format!(
                    "AWS CLI cache entry {} holds credentials that expired {} ({})",
                    path.display(),
                    countdown(exp - now),
                    rfc3339(exp)
                ),
                format!(
                    "the AWS CLI replaces it on its next call, but tools that read the cache get dead credentials: delete it (rm {})",
                    path.display()
                ),
            ));
        }
    }
    if expired == 0 {
        out.push(Check::ok(
            "files",
            format!(
                "{seen} AWS CLI cache entries in {}, none expired",
                cli_cache.display()
            ),
        ));
    }
    let sso_cache = aws.join("sso").join("cache");
    for (path, doc) in json_files(&sso_cache) {
        if doc.get("accessToken").is_none() {
            continue;
        }
        let Some(exp) = doc
            .get("expiresAt")
            .and_then(|v| v.as_str())
            .and_then(parse_time)
        else {
            continue;
        };
        if exp <= now {
            let url = doc
                .get("startUrl")
                .and_then(|v| v.as_str())
                .unwrap_or("(unknown start URL)");
            out.push(Check::warn(
                "files",
                format!(
                    "IAM Identity Center token {} for {url} expired {}",
                    path.display(),
                    countdown(exp - now)
                ),
                "run `aws sso login` for the profiles that use it",
            ));
        }
    }
    out
}

fn json_files(dir: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<(PathBuf, serde_json::Value)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let doc = serde_json::from_str(&text).ok()?;
            Some((p, doc))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_entries_cover_imds_by_address_cidr_or_wildcard() {
        assert!(no_proxy_covers("localhost,169.254.169.254", IMDS_IPV4));
        assert!(no_proxy_covers("169.254.0.0/16", IMDS_IPV4));
        assert!(no_proxy_covers("*", IMDS_IPV4));
        assert!(!no_proxy_covers(
            "localhost,10.0.0.0/8,.internal",
            IMDS_IPV4
        ));
        assert!(!no_proxy_covers("169.254.170.2", IMDS_IPV4));
    }

    #[test]
    fn proxy_credentials_never_appear_in_findings() {
        let env = Env::from_map([("HTTPS_PROXY", "http://user:hunter2@proxy.corp:3128")]);
        let checks = proxy_checks(&env);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].level, Level::Warn);
        assert!(
            checks[0]
                .message
                .contains("HTTPS_PROXY=http://proxy.corp:3128"),
            "{}",
            checks[0].message
        );
        assert!(!format!("{checks:?}").contains("hunter2"));
        let env = Env::from_map([
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "169.254.169.254"),
        ]);
        assert_eq!(proxy_checks(&env)[0].level, Level::Ok);
    }

    #[test]
    fn skew_levels_switch_at_one_and_five_minutes_both_ways() {
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(30)).level,
            Level::Ok
        );
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(-90)).level,
            Level::Warn
        );
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(400)).level,
            Level::Fail
        );
        let c = skew_check("X", chrono::Duration::seconds(-400));
        assert!(c.message.contains("behind"), "{}", c.message);
        assert!(c.fix.unwrap().contains("Amazon Time Sync"));
    }

    #[test]
    fn an_expiration_in_the_environment_fails_once_past() {
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2029-12-31T23:00:00Z")]);
        let c = env_expiry_check(&env, now).unwrap();
        assert_eq!(c.level, Level::Fail);
        assert!(
            c.message.contains("AWS_CREDENTIAL_EXPIRATION"),
            "{}",
            c.message
        );
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:05:00Z")]);
        assert_eq!(env_expiry_check(&env, now).unwrap().level, Level::Warn);
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T05:00:00Z")]);
        assert_eq!(env_expiry_check(&env, now).unwrap().level, Level::Ok);
    }
}
