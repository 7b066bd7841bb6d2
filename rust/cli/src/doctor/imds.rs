//! IMDS reachability: the IMDSv2 token `PUT`, the IMDSv1 `GET`, the attached role, the hop-limit
//! diagnosis, and the clock against IMDS's `Date`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::clock_skew::{skew_check, skew_of};
use super::http::{http_date, root_cause};
use crate::output::Check;
use freshcreds::env::Env;
use freshcreds::sources::imds::{
    EndpointOrigin, ImdsConfig, SettingLayer, HOP_LIMIT_FIX, ROLE_LIST_PATH, TOKEN_HEADER,
    TOKEN_PATH, TOKEN_TTL_HEADER,
};
use freshcreds::sources::profile::ProfileSet;

const CHECK: &str = "imds";

/// One request to IMDS and what came of it.
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

    /// No HTTP answer at all.
    fn is_gone(&self) -> bool {
        matches!(
            self,
            Probe::Unreachable(_) | Probe::Timeout | Probe::Broken(_)
        )
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

/// IMDS as the chain would ask it: the token, the role list without a token (IMDSv1), the role
/// list with the token, then the clock. `other_winner` is the source that supplied credentials
/// when it is not IMDS.
pub(super) async fn imds_checks(
    env: &Env,
    profiles: Option<&ProfileSet>,
    other_winner: Option<&str>,
) -> Vec<Check> {
    let config = match imds_config(env, profiles) {
        Ok(c) => c,
        Err(check) => return vec![check],
    };
    if let Some(setting) = config.disabled_by() {
        return vec![Check::ok(
            CHECK,
            format!("IMDS is switched off by {setting}; not checked"),
        )];
    }
    let http = match imds_http(&config) {
        Ok(h) => h,
        Err(check) => return vec![check],
    };
    let token = probe(
        http.put(config.url(TOKEN_PATH))
            .header(TOKEN_TTL_HEADER, "60"),
    )
    .await;
    let v1 = probe(http.get(config.url(ROLE_LIST_PATH))).await;
    if token.is_gone() && v1.is_gone() {
        return vec![unreachable_check(&config, &token, &v1, other_winner)];
    }
    let mut out = Vec::new();
    let (token_finding, token_value) = token_check(&config, &token, &v1);
    out.push(token_finding);
    out.extend(v1_check(&config, &v1, token_value.is_some()));
    let roles = match &token_value {
        Some(tok) => {
            probe(
                http.get(config.url(ROLE_LIST_PATH))
                    .header(TOKEN_HEADER, tok.as_str()),
            )
            .await
        }
        None => v1,
    };
    out.push(role_check(&config, &roles, other_winner));
    out.extend(imds_skew_check(&config, &token, &roles));
    out
}

/// The IMDS settings of the environment and the selected profile.
fn imds_config(env: &Env, profiles: Option<&ProfileSet>) -> Result<ImdsConfig, Check> {
    ImdsConfig::builder()
        .env(env)
        .profile(profiles.and_then(|s| s.selected_profile()))
        .build()
        .map_err(|e| Check::fail(CHECK, e.full_message(), "fix the setting named above"))
}

/// An HTTP client that asks IMDS as the source does: no proxy, no redirects, the IMDS timeout.
fn imds_http(config: &ImdsConfig) -> Result<reqwest::Client, Check> {
    freshcreds::http::local_client("IMDS", config.timeout, config.timeout, None, None).map_err(
        |e| {
            Check::warn(
                CHECK,
                format!("no HTTP client for IMDS: {}", e.full_message()),
                "report this",
            )
        },
    )
}

/// Neither the token `PUT` nor the IMDSv1 `GET` got an answer: not on EC2, or IMDS blocked.
fn unreachable_check(
    config: &ImdsConfig,
    token: &Probe,
    v1: &Probe,
    other_winner: Option<&str>,
) -> Check {
    // An endpoint the environment names is a setting to fix; the default one may just be absent.
    let explicit = config.endpoint_origin == EndpointOrigin::Explicit(SettingLayer::Environment);
    let t = config.timeout;
    let msg = format!(
        "IMDS at {} is not reachable: token PUT {}, GET {}",
        config.endpoint,
        token.describe(t),
        v1.describe(t)
    );
    match other_winner {
        Some(w) if !explicit => Check::ok(
            CHECK,
            format!("{msg} (not on EC2? not needed: {w} supplies credentials)"),
        ),
        Some(w) => Check::warn(
            CHECK,
            format!("{msg}; {w} supplies credentials meanwhile"),
            format!("{} points at it: fix or unset the variable", config.endpoint_origin),
        ),
        None => Check::fail(
            CHECK,
            msg,
            "off EC2, configure another credential source; on EC2, check the instance's metadata options (HttpEndpoint enabled) and that nothing blocks 169.254.169.254",
        ),
    }
}

/// The token `PUT`, and the token when it worked. A failed `PUT` while the `GET` answers is the
/// hop-limit symptom of containers on EC2.
fn token_check(config: &ImdsConfig, token: &Probe, v1: &Probe) -> (Check, Option<String>) {
    let failed = match token {
        Probe::Answer {
            status: 200, body, ..
        } => {
            let check = Check::ok(
                CHECK,
                format!("IMDSv2 token PUT {} works", config.url(TOKEN_PATH)),
            );
            return (check, Some(body.trim().to_string()));
        }
        failed => failed,
    };
    let t = config.timeout;
    let v1_answers = matches!(v1.status(), Some(200) | Some(404));
    let hop = matches!(failed, Probe::Timeout | Probe::Unreachable(_))
        || matches!(failed.status(), Some(403));
    let msg = format!(
        "IMDSv2 token PUT {} {} while GET {} (IMDSv1) answers {}",
        config.url(TOKEN_PATH),
        failed.describe(t),
        config.url(ROLE_LIST_PATH),
        v1.describe(t)
    );
    let check = if hop && v1_answers {
        Check::warn(
            CHECK,
            format!("{msg}: the PUT's answer does not make it back, the hop-limit symptom of containers on EC2 (SDKs wait, then fall back to IMDSv1)"),
            format!("raise the hop limit to 2: `{HOP_LIMIT_FIX} --instance-id <id>`"),
        )
    } else if hop && v1.status() == Some(401) {
        Check::fail(
            CHECK,
            format!("{msg}: IMDSv1 is off, so no credentials can be read; the hop-limit symptom of containers on EC2"),
            format!("raise the hop limit to 2: `{HOP_LIMIT_FIX} --instance-id <id>`"),
        )
    } else {
        Check::warn(
            CHECK,
            msg,
            "check that nothing between this host and IMDS rewrites or refuses PUT requests",
        )
    };
    (check, None)
}

/// Whether IMDSv1 (a `GET` without a token) works, or is off while IMDSv2 works.
fn v1_check(config: &ImdsConfig, v1: &Probe, token_works: bool) -> Option<Check> {
    match v1.status() {
        Some(200) | Some(404) => Some(Check::ok(
            CHECK,
            format!("IMDSv1 GET {} works", config.url(ROLE_LIST_PATH)),
        )),
        Some(401) if token_works => Some(Check::ok(
            CHECK,
            "IMDSv1 is off (GET without a token answers 401); IMDSv2 works".to_string(),
        )),
        _ => None,
    }
}

/// The role attached to the instance, from the role list.
fn role_check(config: &ImdsConfig, roles: &Probe, other_winner: Option<&str>) -> Check {
    let roles_url = config.url(ROLE_LIST_PATH);
    match roles {
        Probe::Answer { status: 200, body, .. } if !body.trim().is_empty() => {
            let role = body.lines().next().unwrap_or_default().trim();
            Check::ok(CHECK, format!("instance role {role} is attached"))
        }
        Probe::Answer { status: 200 | 404, .. } => {
            let msg = format!("no IAM role is attached to this instance ({roles_url} lists none)");
            match other_winner {
                Some(w) => Check::ok(CHECK, format!("{msg}; {w} supplies credentials")),
                None => Check::fail(
                    CHECK,
                    msg,
                    "attach an instance profile: `aws ec2 associate-iam-instance-profile --instance-id <id> --iam-instance-profile Name=<profile>`",
                ),
            }
        }
        other => Check::warn(
            CHECK,
            format!("listing the instance role at {roles_url}: {}", other.describe(config.timeout)),
            "retry; if it persists, IMDS may be throttling (many processes refreshing at once: `freshcreds serve` shares one refresh)",
        ),
    }
}

/// The clock against the `Date` of the first IMDS answer that carried one.
fn imds_skew_check(config: &ImdsConfig, token: &Probe, roles: &Probe) -> Option<Check> {
    let skew = [token, roles].into_iter().find_map(|p| match p {
        Probe::Answer {
            date: Some(d),
            sent_at,
            elapsed,
            ..
        } => Some(skew_of(*sent_at, *elapsed, *d)),
        _ => None,
    })?;
    Some(skew_check(&format!("IMDS at {}", config.endpoint), skew))
}
