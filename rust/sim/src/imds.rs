//! The EC2 Instance Metadata Service: IMDSv2 session tokens, role list and role credentials.

use std::time::Duration;

use http::header::HeaderValue;
use http::{Method, StatusCode};
use serde::Serialize;

use crate::server::{json, respond, text, Req, Resp};
use crate::state::{iso, Decision, Shared, Slot};

const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const MAX_TTL_SECS: u64 = 21600;

fn error_page(status: StatusCode) -> Resp {
    let title = format!(
        "{} - {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n\
         <!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\
         \t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n \
         <head>\n  <title>{title}</title>\n </head>\n <body>\n  <h1>{title}</h1>\n </body>\n</html>\n"
    );
    respond(status, "text/html", body)
}

/// `PUT /latest/api/token`.
pub(crate) fn token(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::PUT {
        return error_page(StatusCode::METHOD_NOT_ALLOWED);
    }
    if req.headers.contains_key("x-forwarded-for") {
        return error_page(StatusCode::FORBIDDEN);
    }
    let ttl = match req.header(TTL_HEADER).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(ttl)) if (1..=MAX_TTL_SECS).contains(&ttl) => ttl,
        _ => return error_page(StatusCode::BAD_REQUEST),
    };
    let token = shared.new_token(Duration::from_secs(ttl));
    let mut resp = text(StatusCode::OK, &token);
    resp.headers_mut()
        .insert(TTL_HEADER, HeaderValue::from(ttl));
    resp
}

/// Enforces IMDS token rules on metadata reads: `None` when the request may proceed.
fn check_access(shared: &Shared, req: &Req) -> Option<Resp> {
    if req.method != Method::GET && req.method != Method::HEAD {
        return Some(error_page(StatusCode::METHOD_NOT_ALLOWED));
    }
    match req.headers.get(TOKEN_HEADER) {
        Some(v) => {
            let ok = v.to_str().is_ok_and(|t| shared.token_valid(t));
            (!ok).then(|| error_page(StatusCode::UNAUTHORIZED))
        }
        None if shared.config.imds_v1_disabled => Some(error_page(StatusCode::UNAUTHORIZED)),
        None => None,
    }
}

/// `GET /latest/meta-data/iam/security-credentials/`.
pub(crate) fn role_list(shared: &Shared, req: &Req) -> Resp {
    if let Some(denied) = check_access(shared, req) {
        return denied;
    }
    text(StatusCode::OK, &shared.config.role_name)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImdsCredentials<'a> {
    code: &'a str,
    last_updated: String,
    #[serde(rename = "Type")]
    kind: &'static str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
}

/// `GET /latest/meta-data/iam/security-credentials/<role>`.
pub(crate) fn credentials(shared: &Shared, req: &Req, decision: &Decision) -> Resp {
    if let Some(denied) = check_access(shared, req) {
        return denied;
    }
    let role = req
        .path
        .trim_start_matches("/latest/meta-data/iam/security-credentials/")
        .trim_end_matches('/');
    if role != shared.config.role_name {
        return error_page(StatusCode::NOT_FOUND);
    }
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/i-sim",
        shared.config.account_id, shared.config.role_name
    );
    let creds = if decision.expired {
        shared.mint(arn, shared.config.credential_lifetime, true)
    } else {
        shared.rotating(Slot::Imds, arn)
    };
    let body = ImdsCredentials {
        code: decision.code.as_deref().unwrap_or("Success"),
        last_updated: iso(creds.issued_at),
        kind: "AWS-HMAC",
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        token: creds.session_token.as_deref().unwrap_or_default(),
        expiration: creds.expiration.map(iso).unwrap_or_default(),
    };
    let mut body = serde_json::to_string_pretty(&body).unwrap_or_default();
    if decision.malformed {
        body.truncate(body.len() / 2);
    }
    json(StatusCode::OK, body)
}

/// Other IMDS paths: the region, and 404 for everything else.
pub(crate) fn other(shared: &Shared, req: &Req) -> Resp {
    if let Some(denied) = check_access(shared, req) {
        return denied;
    }
    match req.path.as_str() {
        "/latest/meta-data/placement/region" => text(StatusCode::OK, &shared.config.region),
        "/latest/meta-data/placement/availability-zone" => {
            text(StatusCode::OK, &format!("{}a", shared.config.region))
        }
        "/latest/meta-data/instance-id" => text(StatusCode::OK, "i-sim"),
        _ => error_page(StatusCode::NOT_FOUND),
    }
}
