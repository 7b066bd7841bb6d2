//! IAM Identity Center: the portal's `GetRoleCredentials` (`GET /federation/credentials`) and
//! SSO OIDC `CreateToken` with the refresh-token grant (`POST /token`).
//!
//! A test starts a "login" ([`Simulator::sso_login`], or `POST /_sim/sso/login?seconds=N`): the
//! simulator registers a client and issues an access token valid for N seconds (simulator time)
//! and a refresh token, and returns them in the shape of the AWS CLI's token cache file. The
//! portal accepts live access tokens only (401 `UnauthorizedException` otherwise) and mints role
//! credentials that the simulator's STS accepts. `CreateToken` checks the client and the refresh
//! token, rotates the refresh token and issues a new access token; with
//! [`SsoSettings::refresh_revoked`] every refresh is refused (400 `invalid_grant`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::server::{json, Req, Resp};
use crate::state::{iso, random_b64ish, random_upper, Shared};
use crate::Simulator;

/// The IAM Identity Center knobs. A POST to `/_sim/sso/settings` replaces them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SsoSettings {
    /// Refuse every `CreateToken` (a revoked refresh token / ended session).
    pub refresh_revoked: bool,
    /// Lifetime of the role credentials the portal mints (default: the simulator's credential
    /// lifetime).
    pub role_credential_lifetime_secs: Option<u64>,
    /// Lifetime of the access tokens `CreateToken` issues (default 3600 s).
    pub access_token_lifetime_secs: u64,
}

impl Default for SsoSettings {
    fn default() -> Self {
        SsoSettings {
            refresh_revoked: false,
            role_credential_lifetime_secs: None,
            access_token_lifetime_secs: 3600,
        }
    }
}

/// Requests counted by the IAM Identity Center endpoints.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SsoCounts {
    /// `GET /federation/credentials`, answered or refused.
    pub get_role_credentials: u64,
    /// `POST /token`, answered or refused.
    pub create_token: u64,
    /// `CreateToken` calls refused.
    pub create_token_refused: u64,
}

/// A login: what `aws sso login` would leave in the token cache (camelCase, as in the file).
/// The tokens and the client secret are test values of this simulator.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SsoLogin {
    /// The access token.
    pub access_token: String,
    /// When it expires (RFC 3339, simulator time).
    pub expires_at: String,
    /// The refresh token.
    pub refresh_token: String,
    /// The registered client's id.
    pub client_id: String,
    /// The registered client's secret.
    pub client_secret: String,
    /// When the client registration expires (RFC 3339).
    pub registration_expires_at: String,
}

impl SsoLogin {
    /// The token cache file contents for `start_url` and `region`.
    pub fn cache_json(&self, start_url: &str, region: &str) -> String {
        let mut doc = serde_json::to_value(self).unwrap_or_default();
        doc["startUrl"] = start_url.into();
        doc["region"] = region.into();
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}

/// How long a client registration lasts (90 days, as IAM Identity Center registers clients).
const REGISTRATION_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

#[derive(Default)]
struct Inner {
    settings: SsoSettings,
    counts: SsoCounts,
    /// Access token → expiry (simulator time).
    access_tokens: HashMap<String, DateTime<Utc>>,
    /// Refresh token → client id.
    refresh_tokens: HashMap<String, String>,
    /// Client id → secret.
    clients: HashMap<String, String>,
}

/// The IAM Identity Center state of a simulator.
#[derive(Default)]
pub(crate) struct SsoState {
    inner: Mutex<Inner>,
}

impl SsoState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Zeroes the counts and restores the default knobs; issued tokens stay valid.
    pub(crate) fn reset(&self) {
        let mut s = self.lock();
        s.counts = SsoCounts::default();
        s.settings = SsoSettings::default();
    }

    fn login(&self, now: DateTime<Utc>, lifetime: Duration) -> SsoLogin {
        let mut s = self.lock();
        let client_id = format!("simclient{}", random_upper(12));
        let client_secret = random_b64ish(40);
        let access_token = format!("simaccess{}", random_b64ish(40));
        let refresh_token = format!("simrefresh{}", random_b64ish(40));
        let expires = now + to_chrono(lifetime);
        s.clients.insert(client_id.clone(), client_secret.clone());
        s.access_tokens.insert(access_token.clone(), expires);
        s.refresh_tokens
            .insert(refresh_token.clone(), client_id.clone());
        SsoLogin {
            access_token,
            expires_at: iso(expires),
            refresh_token,
            client_id,
            client_secret,
            registration_expires_at: iso(now + to_chrono(REGISTRATION_LIFETIME)),
        }
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn unauthorized(message: &str) -> Resp {
    let mut resp = json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({ "message": message }).to_string(),
    );
    resp.headers_mut().insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static("UnauthorizedException"),
    );
    resp
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Resp {
    json(
        status,
        serde_json::json!({ "error": error, "error_description": description }).to_string(),
    )
}

/// `GET /federation/credentials?account_id=…&role_name=…`.
pub(crate) fn role_credentials(shared: &Shared, req: &Req) -> Resp {
    let now = shared.now();
    let lifetime = {
        let mut s = shared.sso.lock();
        s.counts.get_role_credentials += 1;
        let live = req
            .header("x-amz-sso_bearer_token")
            .and_then(|t| s.access_tokens.get(t))
            .is_some_and(|exp| now < *exp);
        if !live {
            return unauthorized("Session token not found or invalid");
        }
        s.settings
            .role_credential_lifetime_secs
            .map(Duration::from_secs)
            .unwrap_or(shared.config.credential_lifetime)
    };
    let param = |name: &str| {
        req.query.as_deref().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
    };
    let (Some(account), Some(role)) = (param("account_id"), param("role_name")) else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "message": "account_id and role_name are required" }).to_string(),
        );
    };
    let arn = format!("arn:aws:sts::{account}:assumed-role/AWSReservedSSO_{role}_sim/sso-user");
    let creds = shared.mint(arn, lifetime, false);
    let expiration_ms = creds.expiration.map(|e| e.timestamp_millis()).unwrap_or(0);
    json(
        StatusCode::OK,
        serde_json::json!({
            "roleCredentials": {
                "accessKeyId": creds.access_key_id,
                "secretAccessKey": creds.secret_access_key,
                "sessionToken": creds.session_token,
                "expiration": expiration_ms,
            }
        })
        .to_string(),
    )
}

/// `POST /token` (SSO OIDC `CreateToken`, refresh-token grant only).
pub(crate) fn create_token(shared: &Shared, req: &Req) -> Resp {
    let now = shared.now();
    let mut s = shared.sso.lock();
    s.counts.create_token += 1;
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let field = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let refused = |s: &mut Inner, status, error, description| {
        s.counts.create_token_refused += 1;
        oauth_error(status, error, description)
    };
    if field("grantType").as_deref() != Some("refresh_token") {
        return refused(
            &mut s,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only refresh_token is simulated",
        );
    }
    let (Some(client_id), Some(secret), Some(refresh)) = (
        field("clientId"),
        field("clientSecret"),
        field("refreshToken"),
    ) else {
        return refused(
            &mut s,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "clientId, clientSecret and refreshToken are required",
        );
    };
    if s.clients.get(&client_id) != Some(&secret) {
        return refused(
            &mut s,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    if s.settings.refresh_revoked || s.refresh_tokens.get(&refresh) != Some(&client_id) {
        return refused(
            &mut s,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the refresh token is invalid or was revoked",
        );
    }
    s.refresh_tokens.remove(&refresh);
    let lifetime = s.settings.access_token_lifetime_secs;
    let access_token = format!("simaccess{}", random_b64ish(40));
    let refresh_token = format!("simrefresh{}", random_b64ish(40));
    s.access_tokens.insert(
        access_token.clone(),
        now + chrono::Duration::seconds(lifetime as i64),
    );
    s.refresh_tokens.insert(refresh_token.clone(), client_id);
    json(
        StatusCode::OK,
        serde_json::json!({
            "accessToken": access_token,
            "expiresIn": lifetime,
            "refreshToken": refresh_token,
            "tokenType": "Bearer",
        })
        .to_string(),
    )
}

/// `/_sim/sso/…`: `POST login?seconds=N`, `GET`/`POST settings`, `GET counts`.
pub(crate) fn admin(shared: &Shared, req: &Req, path: &str) -> Resp {
    use http::Method;
    match (&req.method, path) {
        (&Method::POST, "/login") => {
            let seconds = req
                .query
                .as_deref()
                .and_then(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .find(|(k, _)| k == "seconds")
                        .and_then(|(_, v)| v.parse::<u64>().ok())
                })
                .unwrap_or(3600);
            let login = shared
                .sso
                .login(shared.now(), Duration::from_secs(seconds));
            json(
                StatusCode::OK,
                serde_json::to_string(&login).unwrap_or_default(),
            )
        }
        (&Method::GET, "/settings") => json(
            StatusCode::OK,
            serde_json::to_string(&shared.sso.lock().settings).unwrap_or_default(),
        ),
        (&Method::POST, "/settings") => match serde_json::from_slice::<SsoSettings>(&req.body) {
            Ok(settings) => {
                shared.sso.lock().settings = settings;
                json(StatusCode::OK, "{\"ok\":true}".into())
            }
            Err(e) => json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "ok": false, "error": format!("invalid SSO settings JSON: {e}") })
                    .to_string(),
            ),
        },
        (&Method::GET, "/counts") => json(
            StatusCode::OK,
            serde_json::to_string(&shared.sso.lock().counts).unwrap_or_default(),
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            "{\"ok\":false,\"error\":\"unknown admin path\"}".into(),
        ),
    }
}

impl Simulator {
    /// Logs in to the simulated IAM Identity Center: an access token valid for `lifetime`
    /// (simulator time), a refresh token and a client registration, shaped as the token cache
    /// file holds them.
    pub fn sso_login(&self, lifetime: Duration) -> SsoLogin {
        self.shared.sso.login(self.shared.now(), lifetime)
    }

    /// Replaces the IAM Identity Center knobs.
    pub fn set_sso_settings(&self, settings: SsoSettings) {
        self.shared.sso.lock().settings = settings;
    }

    /// The IAM Identity Center request counts.
    pub fn sso_counts(&self) -> SsoCounts {
        self.shared.sso.lock().counts
    }
}
