//! The admin API under `/_sim/`, for processes that drive the `freshcreds-sim` binary.

use std::time::Duration;

use http::{Method, StatusCode};

use crate::server::{json, Req, Resp};
use crate::state::{iso, Shared};
use crate::{Endpoint, Fault, SimSettings};

fn ok() -> Resp {
    json(StatusCode::OK, "{\"ok\":true}".to_string())
}

fn error(status: StatusCode, message: &str) -> Resp {
    json(
        status,
        serde_json::json!({ "ok": false, "error": message }).to_string(),
    )
}

fn query_param(req: &Req, name: &str) -> Option<String> {
    let q = req.query.as_deref()?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Handles `/_sim/…`.
pub(crate) fn handle(shared: &Shared, req: &Req) -> Resp {
    let path = req.path.trim_start_matches("/_sim").trim_end_matches('/');
    match (&req.method, path) {
        (&Method::GET, "/health") => ok(),
        (&Method::GET, "/counts") => json(
            StatusCode::OK,
            serde_json::to_string(&shared.counts()).unwrap_or_default(),
        ),
        (&Method::GET, "/network") => json(
            StatusCode::OK,
            match shared.network.get() {
                Some(peers) => peers.status(),
                None => crate::tls::NetworkPeers::default().status(),
            }
            .to_string(),
        ),
        (&Method::GET, "/now") => json(
            StatusCode::OK,
            serde_json::json!({ "now": iso(shared.now()), "issued": shared.minted() }).to_string(),
        ),
        (&Method::POST, "/reset") => {
            shared.reset_counts();
            shared.clear_faults();
            shared.clear_revoked();
            shared.set_settings(SimSettings::default());
            shared.sso.reset();
            ok()
        }
        (&Method::GET, "/settings") => json(
            StatusCode::OK,
            serde_json::to_string(&shared.settings()).unwrap_or_default(),
        ),
        (&Method::POST, "/settings") => match serde_json::from_slice::<SimSettings>(&req.body) {
            Ok(settings) => {
                shared.set_settings(settings);
                ok()
            }
            Err(e) => error(
                StatusCode::BAD_REQUEST,
                &format!("invalid settings JSON: {e}"),
            ),
        },
        (&Method::DELETE, "/faults") => {
            shared.clear_faults();
            ok()
        }
        (&Method::POST, "/login/sessions") => json(
            StatusCode::OK,
            serde_json::to_string(&crate::signin::new_session(shared)).unwrap_or_default(),
        ),
        (&Method::POST, "/rotate") => {
            shared.rotate_now();
            ok()
        }
        (&Method::POST, "/revoke") => {
            let key = query_param(req, "access_key_id");
            let revoked = shared.revoke(key.as_deref());
            json(
                StatusCode::OK,
                serde_json::json!({ "ok": true, "revoked": revoked }).to_string(),
            )
        }
        (&Method::POST, "/advance") => {
            match query_param(req, "seconds").and_then(|s| s.parse::<u64>().ok()) {
                Some(secs) => {
                    shared.advance(Duration::from_secs(secs));
                    json(
                        StatusCode::OK,
                        serde_json::json!({ "ok": true, "now": iso(shared.now()) }).to_string(),
                    )
                }
                None => error(
                    StatusCode::BAD_REQUEST,
                    "query parameter 'seconds' must be a non-negative integer",
                ),
            }
        }
        (&Method::POST, p) if p.starts_with("/sequences/") => {
            let name = &p["/sequences/".len()..];
            let Some(endpoint) = Endpoint::from_name(name) else {
                return error(StatusCode::NOT_FOUND, &format!("unknown endpoint '{name}'"));
            };
            match serde_json::from_slice::<Vec<Fault>>(&req.body) {
                Ok(steps) => {
                    shared.set_sequence(endpoint, steps);
                    ok()
                }
                Err(e) => error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid sequence JSON (an array of faults): {e}"),
                ),
            }
        }
        (&Method::POST, p) if p.starts_with("/faults/") => {
            let name = &p["/faults/".len()..];
            let Some(endpoint) = Endpoint::from_name(name) else {
                return error(StatusCode::NOT_FOUND, &format!("unknown endpoint '{name}'"));
            };
            let fault: Fault = if req.body.iter().all(u8::is_ascii_whitespace) {
                Fault::default()
            } else {
                match serde_json::from_slice(&req.body) {
                    Ok(f) => f,
                    Err(e) => {
                        return error(StatusCode::BAD_REQUEST, &format!("invalid fault JSON: {e}"))
                    }
                }
            };
            shared.set_fault(endpoint, fault);
            ok()
        }
        _ => error(StatusCode::NOT_FOUND, "unknown admin path"),
    }
}
