//! IAM Identity Center: for a selected profile whose credentials come from SSO (itself or through
//! its `source_profile` chain), which session or start URL, the token cache file, when the token
//! expires, whether it can refresh itself, and the exact `aws sso login` command when it cannot.
//! Reads the cache only; asks nothing over the network.

use chrono::{DateTime, Utc};

use crate::creds::rfc3339;
use crate::output::{countdown, Check};
use freshcreds::env::Env;
use freshcreds::sources::profile::{ProfileRoleChain, ProfileSet};
use freshcreds::sources::sso::{SsoSettings, TokenStatus, TOKEN_REFRESH_WINDOW};

const CHECK: &str = "sso";

/// The IAM Identity Center findings for the selected profile; none when it does not use SSO.
pub(super) fn sso_checks(
    env: &Env,
    profiles: Option<&ProfileSet>,
    now: DateTime<Utc>,
) -> Vec<Check> {
    let Some(set) = profiles else {
        return vec![];
    };
    let Ok(plan) = ProfileRoleChain::plan(set) else {
        // The chain check reports a profile that cannot be planned.
        return vec![];
    };
    let settings = match SsoSettings::from_step(env, set, &plan.base) {
        Ok(Some(s)) => s,
        Ok(None) => return vec![],
        Err(e) => {
            return vec![Check::fail(
                CHECK,
                e.full_message(),
                "add sso_account_id and sso_role_name to the profile, or use it only with a service that takes an SSO token",
            )]
        }
    };
    vec![token_check(&settings, now)]
}

fn token_check(s: &SsoSettings, now: DateTime<Utc>) -> Check {
    let login = format!("run `{}`", s.login_command());
    let what = format!(
        "profile {} gets role {} in account {} from IAM Identity Center, {}, token cache {}",
        s.profile,
        s.role_name,
        s.account_id,
        s.describe(),
        s.cache_file.display()
    );
    let (expires_at, cannot_refresh) = match s.token_status(now) {
        TokenStatus::Unreadable(why) => {
            return Check::fail(CHECK, format!("{what}: {why}"), login);
        }
        TokenStatus::Read {
            expires_at,
            cannot_refresh,
        } => (expires_at, cannot_refresh),
    };
    let left = expires_at - now;
    let when = format!("{} ({})", rfc3339(expires_at), countdown(left));
    let window = chrono::Duration::from_std(TOKEN_REFRESH_WINDOW).unwrap_or_default();
    match cannot_refresh {
        Some(why) if left <= chrono::Duration::zero() => Check::fail(
            CHECK,
            format!("{what}: the token expired at {when} and cannot refresh itself ({why})"),
            login,
        ),
        Some(why) if left < window => Check::warn(
            CHECK,
            format!("{what}: the token expires at {when} and cannot refresh itself ({why})"),
            format!("{login} before it expires"),
        ),
        Some(why) => Check::ok(
            CHECK,
            format!("{what}: the token expires at {when}; it cannot refresh itself ({why}): then {login}"),
        ),
        None if left <= chrono::Duration::zero() => Check::warn(
            CHECK,
            format!(
                "{what}: the token expired at {when}; it can refresh itself (refresh token and client registration present): freshcreds calls CreateToken at {}",
                s.oidc
            ),
            format!("if that refresh is refused, {login}"),
        ),
        None => Check::ok(
            CHECK,
            format!(
                "{what}: the token expires at {when}; it refreshes itself with CreateToken at {} within {} min of expiry",
                s.oidc,
                TOKEN_REFRESH_WINDOW.as_secs() / 60
            ),
        ),
    }
}
