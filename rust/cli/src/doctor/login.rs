//! `aws login` sessions: for the selected profile, when its credentials come from a
//! `login_session` (directly or as the base of its roles), which session and cache file, when
//! the cached credentials expire, whether the session can refresh itself, and the login command
//! when it cannot.

use chrono::{DateTime, Utc};

use crate::chain::CliChain;
use crate::creds::rfc3339;
use crate::output::{countdown, Check};
use freshcreds::env::Env;
use freshcreds::sources::chain::LinkOutcome;
use freshcreds::sources::login::{self, login_command, LoginSettings};
use freshcreds::sources::profile::{BaseStep, ProfileRoleChain};

/// The check's name in the output.
const CHECK: &str = "login";

/// One finding when the selected profile's plan starts from an `aws login` session; none
/// otherwise. The chain was resolved before: a link that failed saying to log in again (a
/// refused refresh) means the session cannot refresh itself.
pub(super) async fn login_checks(
    env: &Env,
    chain: Option<&CliChain>,
    now: DateTime<Utc>,
) -> Vec<Check> {
    let Some(set) = chain.and_then(|c| c.profiles.as_ref()) else {
        return Vec::new();
    };
    let failures: Vec<String> = chain
        .map(|c| c.chain.report().links)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|link| match link.outcome {
            LinkOutcome::Failed { reason } => Some(reason),
            _ => None,
        })
        .collect();
    let Ok(plan) = ProfileRoleChain::plan(set) else {
        return Vec::new();
    };
    let BaseStep::Login {
        login_session,
        profile,
    } = &plan.base
    else {
        return Vec::new();
    };
    let fix = format!(
        "run `{}` (it opens a browser to sign in)",
        login_command(profile)
    );
    let settings = match LoginSettings::resolve(env, set, profile, login_session) {
        Ok(s) => s,
        Err(e) => {
            return vec![Check::fail(
                CHECK,
                format!(
                    "profile {profile}: `aws login` session {login_session}: {}",
                    e.full_message()
                ),
                fix,
            )]
        }
    };
    let head = format!(
        "profile {profile}: `aws login` session {login_session} (cache {})",
        settings.cache_file.display()
    );
    let status = match login::status(&settings).await {
        Ok(s) => s,
        Err(e) => {
            return vec![Check::fail(
                CHECK,
                format!("{head}: {}", e.full_message()),
                fix,
            )]
        }
    };
    let expiry = format!(
        "credentials of account {} expire at {} ({})",
        status.account_id,
        rfc3339(status.expires_at),
        countdown(status.expires_at - now)
    );
    if let Some(reason) = failures
        .iter()
        .find(|r| r.contains(&login_command(profile)))
    {
        return vec![Check::fail(
            CHECK,
            format!("{head}: {expiry}; it cannot refresh itself: {reason}"),
            fix,
        )];
    }
    match (&status.why_not, &settings.endpoint) {
        (None, Ok(endpoint)) => vec![Check::ok(
            CHECK,
            format!(
                "{head}: {expiry}; it refreshes itself through AWS Sign-In at {endpoint} (from {}) until the session ends, then needs `{}`",
                settings.endpoint_origin,
                login_command(profile)
            ),
        )],
        (why, _) => vec![Check::warn(
            CHECK,
            format!(
                "{head}: {expiry}; it cannot refresh itself: {}",
                why.clone().unwrap_or_default()
            ),
            format!("set `region` in profile {profile}, or when the credentials expire, {fix}"),
        )],
    }
}
