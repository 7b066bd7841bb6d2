//! AWS Sign-In `CreateOAuth2Token` (`POST /v1/token`): the refresh of an `aws login` session,
//! with its DPoP proof (RFC 9449) checked the way the service checks it.
//!
//! A request is answered with new credentials only when:
//! - the body is JSON `{clientId, grantType: "refresh_token", refreshToken}`;
//! - the `DPoP` header is a compact JWS with header `typ` `dpop+jwt`, `alg` `ES256` and a P-256
//!   `jwk`, whose ES256 signature verifies with that `jwk`;
//! - its claims say `htm` `POST`, `htu` the URL of this request (`http://<Host>/v1/token`), `iat`
//!   within [`MAX_DPOP_AGE_SECS`] of the simulator's clock, and a `jti` not seen before;
//! - the refresh token is one the simulator issued ([`crate::Simulator::login_session`] or an
//!   earlier refresh), for that client id, bound to that key (the RFC 7638 thumbprint of the
//!   `jwk` is the one recorded when the token was issued).
//!
//! Otherwise: `400` `ValidationException` `INVALID_REQUEST` naming what failed (counted in
//! `signin_rejected`), or for an unknown refresh token `401` `AccessDeniedException`
//! `TOKEN_EXPIRED`. A fault's `code` (`TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`,
//! `INSUFFICIENT_PERMISSIONS`) is answered as that `AccessDeniedException` after the proof checks.
//! The credentials minted are valid for the configured lifetime, at most 900 s (as AWS Sign-In),
//! and STS accepts them.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::HeaderValue;
use http::{Method, StatusCode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::server::{json, Req, Resp};
use crate::state::{iso, random_b64ish, Decision, Shared};

/// How far a proof's `iat` may be from the simulator's clock, either way.
pub const MAX_DPOP_AGE_SECS: i64 = 300;
/// The longest lifetime AWS Sign-In gives refreshed credentials.
pub const MAX_LOGIN_CREDENTIAL_SECS: u64 = 900;
/// The client id the AWS CLI registers for same-device logins.
pub const CLI_CLIENT_ID: &str = "arn:aws:signin:::devtools/same-device";

/// One `aws login` session the simulator made: what a cache file holds.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginSession {
    /// The `login_session` value (the session's ARN) for the profile.
    pub login_session: String,
    /// The RFC 7638 thumbprint of the session key (what the refresh tokens are bound to).
    pub key_thumbprint: String,
    /// The cache document (`accessToken`, `tokenType`, `clientId`, `refreshToken`, `idToken`,
    /// `dpopKey`), as the AWS CLI writes it; secrets included, test use only.
    pub cache: serde_json::Value,
}

impl LoginSession {
    /// Writes what `aws login` leaves in the home directory `home`: `.aws/config` with
    /// `[profile {profile}]`, this session's `login_session` and `more_config` (lines such as
    /// `region = us-east-2\n`), and `cache` (this session's document, or an altered copy) as
    /// `.aws/login/cache/{file_name}` (the name is the reader's rule, so the caller passes it).
    /// Returns the cache file.
    pub fn write_home(
        &self,
        home: &std::path::Path,
        profile: &str,
        more_config: &str,
        cache: &serde_json::Value,
        file_name: &str,
    ) -> std::path::PathBuf {
        let aws = home.join(".aws");
        let dir = aws.join("login").join("cache");
        std::fs::create_dir_all(&dir).expect("creating the login cache directory");
        let config = format!(
            "[profile {profile}]\nlogin_session = {}\n{more_config}",
            self.login_session
        );
        std::fs::write(aws.join("config"), config).expect("writing the config file");
        let file = dir.join(file_name);
        std::fs::write(&file, cache.to_string()).expect("writing the login cache file");
        file
    }
}

impl std::fmt::Debug for LoginSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSession")
            .field("login_session", &self.login_session)
            .field("key_thumbprint", &self.key_thumbprint)
            .finish_non_exhaustive()
    }
}

/// What one `CreateOAuth2Token` request carried (secrets included: test use only).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SigninCall {
    /// The `refreshToken` of the body.
    pub refresh_token: Option<String>,
    /// The `clientId` of the body.
    pub client_id: Option<String>,
    /// The thumbprint of the proof's `jwk`, when it had one.
    pub key_thumbprint: Option<String>,
    /// The proof's `htu`.
    pub htu: Option<String>,
    /// The proof's `jti`.
    pub jti: Option<String>,
    /// `None` when accepted, else why it was refused.
    pub refused: Option<String>,
}

struct Binding {
    thumbprint: String,
    client_id: String,
    login_session: String,
}

#[derive(Default)]
struct Inner {
    /// Refresh tokens issued, and what they are bound to.
    tokens: HashMap<String, Binding>,
    /// `jti`s seen (replayed proofs are refused).
    jtis: HashSet<String>,
    calls: Vec<SigninCall>,
    sessions: u64,
}

/// The AWS Sign-In part of the simulator's state.
#[derive(Default)]
pub(crate) struct LoginState {
    inner: Mutex<Inner>,
}

impl LoginState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn calls(&self) -> Vec<SigninCall> {
        self.lock().calls.clone()
    }
}

fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn lifetime(shared: &Shared) -> Duration {
    shared
        .config
        .credential_lifetime
        .min(Duration::from_secs(MAX_LOGIN_CREDENTIAL_SECS))
}

/// The key as the AWS CLI writes it: SEC1 DER with the curve (prime256v1) and the public key,
/// in PEM (`-----BEGIN EC PRIVATE KEY-----`, 64-character lines).
fn sec1_pem(key: &p256::SecretKey) -> String {
    let point = key.public_key().to_encoded_point(false);
    let mut der = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend_from_slice(&key.to_bytes());
    der.extend_from_slice(&[
        0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ]);
    der.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    der.extend_from_slice(point.as_bytes());
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// Creates a session: a new P-256 key, a refresh token bound to it, and credentials.
pub(crate) fn new_session(shared: &Shared) -> LoginSession {
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let point = key.public_key().to_encoded_point(false);
    let x = URL_SAFE_NO_PAD.encode(point.x().map(|b| &b[..]).unwrap_or_default());
    let y = URL_SAFE_NO_PAD.encode(point.y().map(|b| &b[..]).unwrap_or_default());
    let jkt = thumbprint(&x, &y);
    let pem = sec1_pem(&key);
    let account = shared.config.account_id.clone();
    let n = {
        let mut s = shared.login.lock();
        s.sessions += 1;
        s.sessions
    };
    let login_session = format!("arn:aws:sts::{account}:assumed-role/freshcreds-sim-login/user{n}");
    let refresh_token = format!("sim-refresh-{}", random_b64ish(48));
    shared.login.lock().tokens.insert(
        refresh_token.clone(),
        Binding {
            thumbprint: jkt.clone(),
            client_id: CLI_CLIENT_ID.to_string(),
            login_session: login_session.clone(),
        },
    );
    let creds = shared.mint(login_session.clone(), lifetime(shared), false);
    let cache = serde_json::json!({
        "accessToken": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "accountId": account,
            "expiresAt": creds.expiration.map(iso),
        },
        "tokenType": "aws_sigv4",
        "clientId": CLI_CLIENT_ID,
        "refreshToken": refresh_token,
        "idToken": format!("sim-id-token-{}", random_b64ish(32)),
        "dpopKey": pem,
    });
    LoginSession {
        login_session,
        key_thumbprint: jkt,
        cache,
    }
}

fn error(status: StatusCode, error_type: &str, code: &str, message: &str) -> Resp {
    let mut resp = json(
        status,
        serde_json::json!({ "error": code, "message": message }).to_string(),
    );
    if let Ok(v) = HeaderValue::from_str(error_type) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

fn invalid(message: &str) -> Resp {
    error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "INVALID_REQUEST",
        message,
    )
}

/// The checked claims of a proof.
struct Proof {
    thumbprint: String,
    htu: String,
    jti: String,
    iat: i64,
}

/// Checks a proof's form and ES256 signature; the claims are checked by the caller.
fn verify_proof(token: &str) -> Result<Proof, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, c, s] = parts[..] else {
        return Err("the DPoP proof is not a compact JWS (three dot-separated parts)".into());
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| format!("the DPoP proof's {what} is not base64url without padding"))
    };
    let header: serde_json::Value = serde_json::from_slice(&decode(h, "header")?)
        .map_err(|_| "the DPoP proof's header is not JSON".to_string())?;
    let claims: serde_json::Value = serde_json::from_slice(&decode(c, "claims")?)
        .map_err(|_| "the DPoP proof's claims are not JSON".to_string())?;
    if header["typ"] != "dpop+jwt" {
        return Err("the DPoP proof's typ is not dpop+jwt".into());
    }
    if header["alg"] != "ES256" {
        return Err("the DPoP proof's alg is not ES256".into());
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        return Err("the DPoP proof's jwk is not an EC P-256 key".into());
    }
    let (Some(x), Some(y)) = (jwk["x"].as_str(), jwk["y"].as_str()) else {
        return Err("the DPoP proof's jwk has no x and y".into());
    };
    let (xb, yb) = (decode(x, "jwk x")?, decode(y, "jwk y")?);
    if xb.len() != 32 || yb.len() != 32 {
        return Err("the DPoP proof's jwk coordinates are not 32 bytes".into());
    }
    let point = p256::EncodedPoint::from_affine_coordinates(
        xb.as_slice().into(),
        yb.as_slice().into(),
        false,
    );
    let key = VerifyingKey::from_encoded_point(&point)
        .map_err(|_| "the DPoP proof's jwk is not a point on P-256".to_string())?;
    let signature = Signature::from_slice(&decode(s, "signature")?)
        .map_err(|_| "the DPoP proof's signature is not 64 bytes r || s".to_string())?;
    key.verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| "the DPoP proof's ES256 signature does not verify with its jwk".to_string())?;
    if claims["htm"] != "POST" {
        return Err("the DPoP proof's htm is not POST".into());
    }
    Ok(Proof {
        thumbprint: thumbprint(x, y),
        htu: claims["htu"].as_str().unwrap_or_default().to_string(),
        jti: claims["jti"].as_str().unwrap_or_default().to_string(),
        iat: claims["iat"].as_i64().unwrap_or(i64::MIN),
    })
}

/// `POST /v1/token`.
pub(crate) fn handle(shared: &Shared, req: &Req, decision: &Decision) -> Resp {
    let mut call = SigninCall {
        refresh_token: None,
        client_id: None,
        key_thumbprint: None,
        htu: None,
        jti: None,
        refused: None,
    };
    let resp = answer(shared, req, decision, &mut call);
    let accepted = call.refused.is_none();
    shared.update_counts(|c| {
        if accepted {
            c.signin_ok += 1;
        } else {
            c.signin_rejected += 1;
        }
    });
    shared.login.lock().calls.push(call);
    resp
}

fn refused(call: &mut SigninCall, why: &str, resp: Resp) -> Resp {
    call.refused = Some(why.to_string());
    resp
}

fn answer(shared: &Shared, req: &Req, decision: &Decision, call: &mut SigninCall) -> Resp {
    if req.method != Method::POST {
        return refused(
            call,
            "not a POST",
            invalid("CreateOAuth2Token is POST /v1/token"),
        );
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    call.refresh_token = body["refreshToken"].as_str().map(str::to_string);
    call.client_id = body["clientId"].as_str().map(str::to_string);
    if body["grantType"] != "refresh_token" {
        return refused(
            call,
            "grantType",
            invalid("grantType must be refresh_token"),
        );
    }
    let (Some(refresh_token), Some(client_id)) =
        (call.refresh_token.clone(), call.client_id.clone())
    else {
        return refused(
            call,
            "body",
            invalid("clientId and refreshToken are required"),
        );
    };
    let Some(dpop) = req.header("dpop") else {
        return refused(
            call,
            "no DPoP header",
            invalid("the DPoP header is missing"),
        );
    };
    let proof = match verify_proof(dpop) {
        Ok(p) => p,
        Err(why) => return refused(call, &why, invalid(&why)),
    };
    call.key_thumbprint = Some(proof.thumbprint.clone());
    call.htu = Some(proof.htu.clone());
    call.jti = Some(proof.jti.clone());
    let expected_htu = format!("http://{}/v1/token", req.header("host").unwrap_or_default());
    if proof.htu != expected_htu {
        let why = format!(
            "the DPoP proof's htu {:?} is not this request's URL {expected_htu:?}",
            proof.htu
        );
        return refused(call, &why, invalid(&why));
    }
    let now = shared.now().timestamp();
    if (proof.iat - now).abs() > MAX_DPOP_AGE_SECS {
        let why = format!(
            "the DPoP proof's iat is more than {MAX_DPOP_AGE_SECS} s from the server's time"
        );
        return refused(call, &why, invalid(&why));
    }
    if proof.jti.is_empty() || !shared.login.lock().jtis.insert(proof.jti.clone()) {
        let why = "the DPoP proof's jti is missing or was used before (a replay)";
        return refused(call, why, invalid(why));
    }
    let binding = shared.login.lock().tokens.get(&refresh_token).map(|b| {
        (
            b.client_id.clone(),
            b.thumbprint.clone(),
            b.login_session.clone(),
        )
    });
    let login_session = match binding {
        None => None,
        Some((bound_client, _, _)) if bound_client != client_id => {
            return refused(
                call,
                "client id",
                invalid("clientId does not match the refresh token"),
            );
        }
        Some((_, bound_key, _)) if bound_key != proof.thumbprint => {
            let why = "the DPoP key is not the key the refresh token is bound to (cnf.jkt)";
            return refused(call, why, invalid(why));
        }
        Some((_, _, session)) => Some(session),
    };
    let Some(login_session) = login_session else {
        return refused(
            call,
            "unknown refresh token",
            error(
                StatusCode::UNAUTHORIZED,
                "AccessDeniedException",
                "TOKEN_EXPIRED",
                "The refresh token has expired",
            ),
        );
    };
    if let Some(code) = &decision.code {
        let status = match code.as_str() {
            "TOKEN_EXPIRED" | "AUTHCODE_EXPIRED" => StatusCode::UNAUTHORIZED,
            _ => StatusCode::FORBIDDEN,
        };
        return refused(
            call,
            code,
            error(status, "AccessDeniedException", code, "simulated refusal"),
        );
    }
    let creds = shared.mint(login_session.clone(), lifetime(shared), decision.expired);
    let new_refresh = format!("sim-refresh-{}", random_b64ish(48));
    shared.login.lock().tokens.insert(
        new_refresh.clone(),
        Binding {
            thumbprint: proof.thumbprint,
            client_id,
            login_session,
        },
    );
    let expires_in = if decision.expired {
        0
    } else {
        lifetime(shared).as_secs()
    };
    let mut body = serde_json::json!({
        "accessToken": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        },
        "tokenType": "aws_sigv4",
        "expiresIn": expires_in,
        "refreshToken": new_refresh,
    })
    .to_string();
    if decision.malformed {
        body.truncate(body.len() / 2);
    }
    json(StatusCode::OK, body)
}
