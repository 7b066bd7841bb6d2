//! A loopback HTTP server that replays HTTP exchanges recorded by the AWS SDK for Rust
//! (`http-traffic.json` of the smithy-rs `aws-config` test data).
//!
//! Every incoming request is matched to the next recorded exchange that has the same method and
//! path and has not been served yet (hosts are ignored: IMDS, STS, SSO and the container endpoint
//! all become this one server), and answered with the recorded status, headers and body. A
//! request with no recorded exchange gets its connection closed without an answer, as an address
//! where nothing listens would; it is remembered, and the conformance tests fail on it unless a
//! stated difference of behaviour explains it (`chain_conformance::unrecorded_request_allowed`), as
//! they fail on a recorded exchange that was never requested ([`ReplayServer::unserved`]).
//!
//! Matched requests are also compared with the recorded ones on what must not depend on time or
//! on the SDK. The recordings were edited after capture (keys, tokens and some ARNs replaced,
//! sensitive headers dropped), so only what survived that editing is compared exactly: the query
//! string, the IMDS token headers, a non-SigV4 `Authorization` value (the container token) and the
//! STS `Action`, `ExternalId` and `DurationSeconds`. The rest is compared by presence: a recorded
//! SigV4 signature, `x-amz-security-token`, `RoleArn` and `WebIdentityToken` must be sent too.
//! Differences are collected as mismatches.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One recorded request and its recorded answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The recording's connection id.
    pub connection: u64,
    /// Request method, upper case.
    pub method: String,
    /// The full recorded URI (`http://169.254.169.254/latest/api/token`).
    pub uri: url::Url,
    /// Recorded request headers (names lower case; repeated names repeated).
    pub headers: Vec<(String, String)>,
    /// Recorded request body.
    pub body: String,
    /// Recorded status.
    pub status: u16,
    /// Recorded response headers.
    pub response_headers: Vec<(String, String)>,
    /// Recorded response body.
    pub response_body: String,
}

impl Exchange {
    /// `METHOD path?query` of the recorded request.
    pub fn describe(&self) -> String {
        match self.uri.query() {
            Some(q) => format!("{} {}?{q}", self.method, self.uri.path()),
            None => format!("{} {}", self.method, self.uri.path()),
        }
    }

    /// The first recorded request header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }
}

fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The exchanges of one `http-traffic.json`, in the order their requests were recorded.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// The exchanges.
    pub exchanges: Vec<Exchange>,
}

fn headers_of(value: &Value) -> Vec<(String, String)> {
    let mut out = vec![];
    if let Some(map) = value.as_object() {
        for (name, values) in map {
            for v in values.as_array().into_iter().flatten() {
                out.push((
                    name.to_ascii_lowercase(),
                    v.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out
}

impl Recording {
    /// Reads a recording; an error names the file and what is wrong in it.
    pub fn load(path: &Path) -> Result<Recording, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the text of a recording.
    pub fn parse(text: &str) -> Result<Recording, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let events = doc["events"]
            .as_array()
            .ok_or("no `events` array".to_string())?;
        let mut exchanges: Vec<Exchange> = vec![];
        // Connection id -> index of its exchange.
        let mut by_connection: Vec<(u64, usize)> = vec![];
        for event in events {
            let connection = event["connection_id"]
                .as_u64()
                .ok_or("an event without a connection_id")?;
            let index = by_connection
                .iter()
                .rev()
                .find(|(c, _)| *c == connection)
                .map(|(_, i)| *i);
            let action = &event["action"];
            if let Some(request) = action.get("Request") {
                let request = &request["request"];
                let uri = request["uri"].as_str().ok_or("a request without a uri")?;
                exchanges.push(Exchange {
                    connection,
                    method: request["method"]
                        .as_str()
                        .unwrap_or("GET")
                        .to_ascii_uppercase(),
                    uri: url::Url::parse(uri).map_err(|e| format!("bad uri {uri:?}: {e}"))?,
                    headers: headers_of(&request["headers"]),
                    body: String::new(),
                    status: 0,
                    response_headers: vec![],
                    response_body: String::new(),
                });
                by_connection.push((connection, exchanges.len() - 1));
                continue;
            }
            let Some(i) = index else {
                return Err(format!(
                    "connection {connection} has events before its request"
                ));
            };
            if let Some(response) = action.get("Response") {
                let ok = response["response"].get("Ok").ok_or(format!(
                    "connection {connection}: only `Ok` responses are replayable"
                ))?;
                exchanges[i].status = ok["status"].as_u64().unwrap_or(0) as u16;
                exchanges[i].response_headers = headers_of(&ok["headers"]);
            } else if let Some(data) = action.get("Data") {
                let text = data["data"]["Utf8"].as_str().ok_or(format!(
                    "connection {connection}: only Utf8 data is replayable"
                ))?;
                match data["direction"].as_str() {
                    Some("Request") => exchanges[i].body.push_str(text),
                    _ => exchanges[i].response_body.push_str(text),
                }
            }
        }
        if let Some(e) = exchanges.iter().find(|e| e.status == 0) {
            return Err(format!("{} has no recorded response", e.describe()));
        }
        Ok(Recording { exchanges })
    }

    /// Every distinct `scheme://host[:port]` the recording talks to.
    pub fn origins(&self) -> BTreeSet<String> {
        self.exchanges
            .iter()
            .map(|e| e.uri.origin().ascii_serialization())
            .collect()
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `METHOD path?query`.
    pub request: String,
    /// The index of the exchange that answered it, if one matched.
    pub exchange: Option<usize>,
}

#[derive(Debug, Default)]
struct State {
    exchanges: Vec<Exchange>,
    served: Vec<bool>,
    received: Vec<Received>,
    mismatches: Vec<String>,
}

/// The replay server; it stops when dropped.
#[derive(Debug)]
pub struct ReplayServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ReplayServer {
    /// Starts serving `recording` on a free loopback port.
    pub async fn start(recording: Recording) -> ReplayServer {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            served: vec![false; recording.exchanges.len()],
            exchanges: recording.exchanges,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { answer(&state, req).await }
                    });
                    // Errors here are connections closed on purpose (no recorded exchange) or by
                    // the client; neither matters to the replay.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ReplayServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests that matched no recorded exchange (their connections were closed unanswered).
    pub fn unmatched(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .filter(|r| r.exchange.is_none())
            .map(|r| r.request)
            .collect()
    }

    /// Recorded exchanges nobody asked for.
    pub fn unserved(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.exchanges
            .iter()
            .zip(&s.served)
            .filter(|(_, served)| !**served)
            .map(|(e, _)| e.describe())
            .collect()
    }

    /// Differences between matched requests and their recordings.
    pub fn mismatches(&self) -> Vec<String> {
        self.state.lock().unwrap().mismatches.clone()
    }
}

/// An error that makes hyper close the connection without answering.
#[derive(Debug)]
struct NoRecording;

impl std::fmt::Display for NoRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no recorded exchange for this request")
    }
}

impl std::error::Error for NoRecording {}

async fn answer(
    state: &Mutex<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, NoRecording> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let described = match &query {
        Some(q) => format!("{method} {path}?{q}"),
        None => format!("{method} {path}"),
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();

    let mut s = state.lock().unwrap();
    let found = s
        .exchanges
        .iter()
        .enumerate()
        .position(|(i, e)| !s.served[i] && e.method == method && e.uri.path() == path);
    s.received.push(Received {
        request: described.clone(),
        exchange: found,
    });
    let Some(i) = found else {
        return Err(NoRecording);
    };
    s.served[i] = true;
    let exchange = s.exchanges[i].clone();
    let diffs = compare(&exchange, query.as_deref(), &headers, &body);
    s.mismatches
        .extend(diffs.into_iter().map(|d| format!("{described}: {d}")));
    drop(s);

    let mut response = Response::builder().status(exchange.status);
    for (name, value) in &exchange.response_headers {
        // Framing is hyper's business: recorded lengths do not always match recorded bodies.
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        response = response.header(name.as_str(), value.as_str());
    }
    Ok(response
        .body(Full::new(Bytes::from(exchange.response_body)))
        .expect("a recorded response is a valid response"))
}

/// What a request must share with its recording.
fn compare(
    recorded: &Exchange,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &str,
) -> Vec<String> {
    let mut diffs = vec![];
    let recorded_query: BTreeSet<(String, String)> =
        recorded.uri.query_pairs().into_owned().collect();
    let our_query: BTreeSet<(String, String)> = query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if recorded_query != our_query {
        diffs.push(format!(
            "query {our_query:?} differs from the recorded {recorded_query:?}"
        ));
    }
    for name in [
        "x-aws-ec2-metadata-token",
        "x-aws-ec2-metadata-token-ttl-seconds",
    ] {
        let ours = first(headers, name);
        let theirs = recorded.header(name);
        if ours != theirs {
            diffs.push(format!(
                "header {name} is {}, recorded {}",
                shown(ours),
                shown(theirs)
            ));
        }
    }
    if recorded.header("x-amz-security-token").is_some()
        && first(headers, "x-amz-security-token").is_none()
    {
        diffs.push("no x-amz-security-token header, recorded one".to_string());
    }
    let signed = |a: &str| a.starts_with("AWS4-HMAC-SHA256");
    let ours = first(headers, "authorization");
    match recorded.header("authorization") {
        None => {}
        Some(theirs) if signed(theirs) && !ours.is_some_and(signed) => {
            diffs.push("not SigV4-signed, recorded signed".to_string())
        }
        Some(theirs) if signed(theirs) => {}
        Some(theirs) if ours != Some(theirs) => diffs.push(format!(
            "authorization header is {}, recorded a different one of {}",
            shown(ours),
            shown(Some(theirs))
        )),
        Some(_) => {}
    }
    let is_form = recorded
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        // Exact values for these, presence for the others.
        const EXACT: [&str; 3] = ["Action", "ExternalId", "DurationSeconds"];
        const PRESENT: [&str; 2] = ["RoleArn", "WebIdentityToken"];
        let pick = |text: &str| -> Vec<String> {
            let mut v: Vec<String> = form_urlencoded::parse(text.as_bytes())
                .into_owned()
                .filter_map(|(k, val)| {
                    if EXACT.contains(&k.as_str()) {
                        Some(format!("{k}={val}"))
                    } else if PRESENT.contains(&k.as_str()) {
                        Some(k)
                    } else {
                        None
                    }
                })
                .collect();
            v.sort();
            v
        };
        let (ours, theirs) = (pick(body), pick(&recorded.body));
        if ours != theirs {
            diffs.push(format!(
                "form parameters {ours:?} differ from the recorded {theirs:?}"
            ));
        }
    }
    diffs
}

/// Present/absent, without showing the value (tokens are secrets, even recorded ones).
fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("<{} bytes>", v.len()),
        None => "absent".to_string(),
    }
}
