//! The container credentials endpoint (ECS / EKS Pod Identity style).

use http::StatusCode;
use serde::Serialize;

use crate::server::{json, text, Req, Resp};
use crate::state::{iso, Decision, Shared, Slot};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    role_arn: String,
}

/// `GET /container/…`.
pub(crate) fn handle(shared: &Shared, req: &Req, decision: &Decision) -> Resp {
    if req.method != http::Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if let Some(expected) = &shared.config.container_auth_token {
        match req.header("authorization") {
            None => return text(StatusCode::UNAUTHORIZED, "missing authorization\n"),
            Some(got) if got != expected => {
                return text(StatusCode::FORBIDDEN, "invalid authorization\n")
            }
            Some(_) => {}
        }
    }
    let cfg = &shared.config;
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/container-sim",
        cfg.account_id, cfg.role_name
    );
    let creds = if decision.expired {
        shared.mint(arn, cfg.credential_lifetime, true)
    } else {
        shared.rotating(Slot::Container, arn)
    };
    let body = ContainerCredentials {
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        token: creds.session_token.as_deref().unwrap_or_default(),
        expiration: creds.expiration.map(iso).unwrap_or_default(),
        role_arn: format!("arn:aws:iam::{}:role/{}", cfg.account_id, cfg.role_name),
    };
    let mut body = serde_json::to_string(&body).unwrap_or_default();
    if decision.malformed {
        body.truncate(body.len() / 2);
    }
    json(StatusCode::OK, body)
}
