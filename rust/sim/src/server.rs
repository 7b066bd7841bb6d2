//! The HTTP/1.1 server: accept loop, per-connection handling (so a fault can drop a connection),
//! routing to the IMDS, STS, container and admin handlers, and the fault pipeline.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, DATE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use crate::state::{Decision, Shared};
use crate::{admin, container, imds, sso, sts, Endpoint};

/// A response with a fully buffered body.
pub(crate) type Resp = Response<Full<Bytes>>;

/// A request with its body read.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

enum Outcome {
    Respond(Resp),
    Drop,
    Hang,
}

const MAX_BODY: usize = 1 << 20;

/// Reports the bound port (or the bind error) once.
pub(crate) type Ready = Box<dyn FnOnce(std::io::Result<u16>) + Send>;

pub(crate) async fn run(shared: Arc<Shared>, shutdown: watch::Receiver<bool>, ready: Ready) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, shared.config.port));
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            ready(Err(e));
            return;
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            ready(Err(e));
            return;
        }
    };
    ready(Ok(port));
    tracing::info!(port, "freshcreds-sim listening on 127.0.0.1");
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    tokio::spawn(connection(stream, shared.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    tracing::info!(port, "freshcreds-sim stopped");
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let service_kill = kill.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        let kill = service_kill.clone();
        async move {
            match handle(&shared, req).await {
                Outcome::Respond(resp) => Ok::<_, Infallible>(resp),
                Outcome::Drop => {
                    kill.notify_one();
                    std::future::pending().await
                }
                Outcome::Hang => std::future::pending().await,
            }
        }
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        // Dropping the connection future closes the socket without an answer.
        _ = kill.notified() => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Outcome {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            tracing::warn!(path = parts.uri.path(), error = %e, "could not read request body");
            return Outcome::Respond(text(StatusCode::BAD_REQUEST, "could not read body\n"));
        }
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };
    let outcome = route(shared, &req).await;
    match &outcome {
        Outcome::Respond(r) => {
            tracing::info!(method = %req.method, path = %req.path, status = r.status().as_u16(), "request")
        }
        Outcome::Drop => {
            tracing::info!(method = %req.method, path = %req.path, "request: connection dropped (fault)")
        }
        Outcome::Hang => {
            tracing::info!(method = %req.method, path = %req.path, "request: held without answer (fault)")
        }
    }
    outcome
}

fn endpoint_of(path: &str) -> Option<Endpoint> {
    const CREDS: &str = "/latest/meta-data/iam/security-credentials";
    match path {
        "/latest/api/token" => Some(Endpoint::ImdsToken),
        p if p == CREDS || p == "/latest/meta-data/iam/security-credentials/" => {
            Some(Endpoint::ImdsRoleList)
        }
        p if p.starts_with("/latest/meta-data/iam/security-credentials/") => {
            Some(Endpoint::ImdsCredentials)
        }
        "/" => Some(Endpoint::Sts),
        p if p == "/container" || p.starts_with("/container/") => Some(Endpoint::Container),
        "/v1/token" => Some(Endpoint::SigninToken),
        _ => None,
    }
}

async fn route(shared: &Shared, req: &Req) -> Outcome {
    if let Some(resp) = sso_route(shared, req) {
        return Outcome::Respond(resp);
    }
    if req.path == "/_sim" || req.path.starts_with("/_sim/") {
        return Outcome::Respond(admin::handle(shared, req));
    }
    let Some(endpoint) = endpoint_of(&req.path) else {
        if req.path.starts_with("/latest/") {
            let resp = imds::other(shared, req);
            return Outcome::Respond(with_date(shared, resp, 0));
        }
        return Outcome::Respond(with_date(
            shared,
            text(StatusCode::NOT_FOUND, "not found\n"),
            0,
        ));
    };
    let decision = shared.begin(endpoint);
    if let Some(latency) = decision.latency {
        tokio::time::sleep(latency).await;
    }
    if decision.drop_connection {
        return Outcome::Drop;
    }
    if decision.hang {
        return Outcome::Hang;
    }
    let resp = if let Some(status) = decision.status {
        fault_status(endpoint, status, decision.code.as_deref())
    } else if decision.throttle {
        fault_status(endpoint, 429, None)
    } else {
        answer(shared, endpoint, req, &decision)
    };
    let resp = match decision.date_unix_secs {
        Some(pinned) => with_fixed_date(resp, pinned),
        None => with_date(shared, resp, decision.date_skew_secs),
    };
    Outcome::Respond(resp)
}

/// IAM Identity Center: the portal, OIDC and their admin calls (see `sso`).
fn sso_route(shared: &Shared, req: &Req) -> Option<Resp> {
    if let Some(rest) = req.path.strip_prefix("/_sim/sso") {
        return Some(sso::admin(shared, req, rest.trim_end_matches('/')));
    }
    let resp = match (&req.method, req.path.as_str()) {
        (&Method::GET, "/federation/credentials") => sso::role_credentials(shared, req),
        (&Method::POST, "/token") => sso::create_token(shared, req),
        _ => return None,
    };
    Some(with_date(shared, resp, 0))
}

fn answer(shared: &Shared, endpoint: Endpoint, req: &Req, decision: &Decision) -> Resp {
    match endpoint {
        Endpoint::ImdsToken => imds::token(shared, req),
        Endpoint::ImdsRoleList => imds::role_list(shared, req),
        Endpoint::ImdsCredentials => imds::credentials(shared, req, decision),
        Endpoint::Sts => sts::handle(shared, req, decision),
        Endpoint::Container => container::handle(shared, req, decision),
        Endpoint::SigninToken => crate::signin::handle(shared, req, decision),
    }
}

fn fault_status(endpoint: Endpoint, status: u16, sts_code: Option<&str>) -> Resp {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if endpoint == Endpoint::Sts {
        if let Some(error_code) = sts_code {
            let message = if error_code == "ExpiredToken" {
                sts::EXPIRED_TOKEN_MESSAGE
            } else {
                "Simulated fault"
            };
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            return sts::error_response(code, kind, error_code, message);
        }
        let (kind, error_code, message) = match status {
            429 | 400 => ("Sender", "Throttling", "Rate exceeded"),
            503 => (
                "Receiver",
                "ServiceUnavailable",
                "Service unavailable (simulated)",
            ),
            s if s >= 500 => (
                "Receiver",
                "InternalFailure",
                "Internal failure (simulated)",
            ),
            _ => ("Sender", "SimulatedFault", "Simulated fault"),
        };
        return sts::error_response(code, kind, error_code, message);
    }
    text(code, &format!("simulated fault: status {status}\n"))
}

/// Sets the `Date` header to simulator time plus `skew_secs`.
fn with_date(shared: &Shared, mut resp: Resp, skew_secs: i64) -> Resp {
    let t = shared.now() + chrono::Duration::seconds(skew_secs);
    let t: SystemTime = t.into();
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(t)) {
        resp.headers_mut().insert(DATE, v);
    }
    resp
}

/// Sets the `Date` header to the Unix time `secs` (a pinned, wrong server clock).
fn with_fixed_date(mut resp: Resp, secs: i64) -> Resp {
    let t = chrono::DateTime::from_timestamp(secs, 0).unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let t: SystemTime = t.into();
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(t)) {
        resp.headers_mut().insert(DATE, v);
    }
    resp
}

pub(crate) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

pub(crate) fn text(status: StatusCode, body: &str) -> Resp {
    respond(status, "text/plain", body.to_string())
}

pub(crate) fn json(status: StatusCode, body: String) -> Resp {
    respond(status, "application/json", body)
}
