//! `serve`: one early-refreshing provider for the whole host, behind a container-credentials
//! endpoint on 127.0.0.1 (the protocol of `AWS_CONTAINER_CREDENTIALS_FULL_URI` with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`), so many processes share one refresh instead of each
//! asking IMDS.
//!
//! Requests are answered from the cache without waiting for a refresh in flight; only a request
//! that arrives before the first credentials ever were fetched waits (up to the first-fetch
//! timeout).
//!
//! The host may be shared, so the endpoint limits what a local client without the token can hold:
//!
//! - a request without the right `Authorization` header gets a generic 401 (it does not say where
//!   the token file is) and its connection is closed at once;
//! - a connection must send its request headers within [`HEADER_READ_TIMEOUT`] (an idle
//!   keep-alive connection is closed after the same time);
//! - at most [`MAX_CONNECTIONS`] connections are served at once. When all are taken, a new
//!   connection takes the place of the oldest one that has not yet sent an authorised request
//!   (which is closed); only when every connection has, new ones wait in the listen backlog. So
//!   idle connections opened by a local user without the token cannot keep a client with it
//!   waiting;
//! - a connection is closed after [`MAX_REQUESTS_PER_CONNECTION`] requests and after
//!   [`MAX_CONNECTION_LIFETIME`] (a request in flight then gets [`HEADER_READ_TIMEOUT`] more).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::RngCore;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use zeroize::Zeroizing;

use freshcreds::credentials::Credentials;
use freshcreds::error::{Error, ErrorKind, Result};
use freshcreds::refresh::RefreshEngine;
use freshcreds::sources::atomic_file::write_atomically;

/// The path the endpoint is advertised at (any path is answered).
pub(crate) const CREDENTIALS_PATH: &str = "/credentials";

/// How long clients are told credentials without an expiry (long-term keys) are good for: they
/// ask again after this, and so see rotated keys.
pub(crate) const STATIC_KEYS_ADVERTISED_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// How long a connection may take to send its request headers, and stay idle between requests.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The most connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 64;
/// The most requests answered on one connection; the last answer says `Connection: close`. SDKs
/// ask once per refresh, so a client reconnects every hundred refreshes at most.
pub(crate) const MAX_REQUESTS_PER_CONNECTION: usize = 100;
/// How long one connection is served, whatever it does: then it is closed (a request in flight
/// gets [`HEADER_READ_TIMEOUT`] more to finish).
pub(crate) const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// What a request without the right `Authorization` header is told (with status 401). It names
/// the variable, not the token file: the caller may not know where it is.
pub(crate) const UNAUTHORIZED_MESSAGE: &str =
    "the Authorization header must hold the token in the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names";

/// The bounds [`run_with_limits`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServeLimits {
    /// How long a connection may take to send its request headers (and stay idle between
    /// requests) before it is closed.
    pub header_read_timeout: Duration,
    /// The most connections served at once. When all are taken, the oldest one that has not
    /// sent an authorised request is closed to make room; when every one has, new ones wait in
    /// the listen backlog.
    pub max_connections: usize,
    /// The most requests answered on one connection.
    pub max_requests_per_connection: usize,
    /// How long one connection is served.
    pub connection_lifetime: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_requests_per_connection: MAX_REQUESTS_PER_CONNECTION,
            connection_lifetime: MAX_CONNECTION_LIFETIME,
        }
    }
}

/// `value` quoted for a POSIX shell: unchanged when it holds only characters no shell treats
/// specially, else in single quotes (a `'` inside written as `'\''`).
pub(crate) fn shell_quote(value: &str) -> std::borrow::Cow<'_, str> {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        value.into()
    } else {
        format!("'{}'", value.replace('\'', "'\\''")).into()
    }
}

/// The `--print-env` lines: `export` statements a POSIX shell can `eval`, values quoted.
pub(crate) fn env_lines(url: &str, token_path: &Path) -> String {
    format!(
        "export AWS_CONTAINER_CREDENTIALS_FULL_URI={}\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={}\n",
        shell_quote(url),
        shell_quote(&token_path.to_string_lossy())
    )
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    expiration: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Problem<'a> {
    code: &'a str,
    message: String,
}

/// A new random authorization token (256 bits, hex).
pub(crate) fn new_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::thread_rng().fill_bytes(bytes.as_mut());
    Zeroizing::new(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `token` to `path`, readable by the owner only (0600), atomically (the core's
/// [`write_atomically`]: a sibling temporary file created exclusively, then renamed over `path`).
pub(crate) fn write_token_file(path: &Path, token: &str) -> Result<()> {
    write_atomically(path, token.as_bytes()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("could not write the token file {}", path.display()),
        )
        .with_source(e)
    })
}

/// Where the token goes when no `--token-file` is given: a new file in `$XDG_RUNTIME_DIR`
/// (private to the user) or else the temporary directory.
pub(crate) fn default_token_path(env: &freshcreds::env::Env, port: u16) -> PathBuf {
    let dir = env
        .get_non_blank("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!(
        "freshcreds-serve-{port}-{:08x}.token",
        rand::thread_rng().next_u32()
    ))
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn problem(status: StatusCode, code: &str, message: String) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::to_string(&Problem { code, message }).unwrap_or_default(),
    )
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn answer(creds: &Credentials) -> String {
    let expiration = creds
        .expiration()
        .unwrap_or_else(|| chrono::Utc::now() + STATIC_KEYS_ADVERTISED_LIFETIME);
    let a = Answer {
        access_key_id: creds.access_key_id(),
        secret_access_key: creds.secret_access_key(),
        token: creds.session_token(),
        expiration: super::creds::rfc3339(expiration),
    };
    serde_json::to_string(&a).unwrap_or_default()
}

/// One connection being served: whether it has sent an authorised request, how many requests
/// it sent, and the signal that closes it to make room for a new one.
#[derive(Default)]
struct Connection {
    authorised: AtomicBool,
    requests: AtomicUsize,
    evict: Notify,
}

/// The connections being served, oldest first, at most `max` of them.
struct Connections {
    max: usize,
    open: Mutex<Vec<Arc<Connection>>>,
    /// Signalled whenever a connection ends.
    freed: Notify,
}

impl Connections {
    fn new(max: usize) -> Self {
        Connections {
            max: max.max(1),
            open: Mutex::new(Vec::new()),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Connection>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot for `conn`: a free one, else the one of the oldest connection that has not
    /// sent an authorised request (that connection is told to close). `false` when every slot
    /// is held by a connection that has.
    fn admit(&self, conn: &Arc<Connection>) -> bool {
        let mut open = self.lock();
        if open.len() >= self.max {
            let Some(oldest_unauthorised) = open
                .iter()
                .position(|c| !c.authorised.load(Ordering::Acquire))
            else {
                return false;
            };
            let evicted = open.remove(oldest_unauthorised);
            evicted.evict.notify_one();
            tracing::debug!(
                "all connections taken: closing the oldest without an authorised request"
            );
        }
        open.push(conn.clone());
        true
    }

    /// Gives `conn`'s slot back (if it still holds one).
    fn release(&self, conn: &Arc<Connection>) {
        self.lock().retain(|c| !Arc::ptr_eq(c, conn));
        self.freed.notify_waiters();
    }
}

/// Answers one request on `conn`.
async fn handle(
    req: Request<Incoming>,
    provider: RefreshEngine,
    token: Arc<Zeroizing<String>>,
    conn: Arc<Connection>,
    max_requests: usize,
) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    let authorized = req
        .headers()
        .get(AUTHORIZATION)
        .is_some_and(|v| same_secret(v.as_bytes(), token.as_bytes()));
    if !authorized {
        tracing::debug!(path = %req.uri().path(), "refused a request without the right Authorization header; closing its connection");
        return Ok(closing(problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            UNAUTHORIZED_MESSAGE.to_string(),
        )));
    }
    conn.authorised.store(true, Ordering::Release);
    let last = conn.requests.fetch_add(1, Ordering::AcqRel) + 1 >= max_requests;
    let response = if req.method() != Method::GET {
        problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("only GET is served, not {}", req.method()),
        )
    } else {
        let served = match provider.cached() {
            Some(s) => Ok(s),
            None => provider.credentials().await,
        };
        match served {
            Ok(s) => json(
                StatusCode::OK,
                answer(&s.credentials.with_expiration(s.expiration)),
            ),
            Err(e) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "CredentialsUnavailable",
                e.full_message(),
            ),
        }
    };
    Ok(if last { closing(response) } else { response })
}

/// `response` with `Connection: close`: the connection ends once it is written.
fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Serves `provider` on `listener` until `shutdown` completes, with the default [`ServeLimits`].
pub(crate) async fn run(
    listener: TcpListener,
    provider: RefreshEngine,
    token: Zeroizing<String>,
    shutdown: impl Future<Output = ()>,
) {
    run_with_limits(listener, provider, token, shutdown, ServeLimits::default()).await
}

/// Serves `provider` on `listener` until `shutdown` completes, within `limits`.
pub(crate) async fn run_with_limits(
    listener: TcpListener,
    provider: RefreshEngine,
    token: Zeroizing<String>,
    shutdown: impl Future<Output = ()>,
    limits: ServeLimits,
) {
    let token = Arc::new(token);
    let connections = Arc::new(Connections::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("accepting a connection failed: {e}");
                continue;
            }
        };
        let conn = Arc::new(Connection::default());
        // A slot, taken from an unauthorised connection if need be; while every slot is held by
        // authorised ones, wait (further connections wait in the backlog).
        loop {
            let freed = connections.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if connections.admit(&conn) {
                break;
            }
            tokio::select! {
                _ = freed => {}
                _ = &mut shutdown => return,
            }
        }
        let (provider, token, connections) = (provider.clone(), token.clone(), connections.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, provider, token, conn.clone(), limits).await;
            connections.release(&conn);
        });
    }
}

/// Serves one connection until it ends, is evicted, or reaches its lifetime.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    provider: RefreshEngine,
    token: Arc<Zeroizing<String>>,
    conn: Arc<Connection>,
    limits: ServeLimits,
) {
    let max_requests = limits.max_requests_per_connection.max(1);
    let service = {
        let conn = conn.clone();
        hyper::service::service_fn(move |req| {
            handle(
                req,
                provider.clone(),
                token.clone(),
                conn.clone(),
                max_requests,
            )
        })
    };
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let result = tokio::select! {
        r = served.as_mut() => r,
        _ = conn.evict.notified() => return,
        _ = tokio::time::sleep(limits.connection_lifetime) => {
            served.as_mut().graceful_shutdown();
            match tokio::time::timeout(limits.header_read_timeout, served.as_mut()).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::debug!(%peer, "closed a connection at the end of its lifetime");
                    return;
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, "connection ended with an error: {e}");
    }
}

/// Binds `127.0.0.1:port` (0: any free port).
pub(crate) async fn bind(port: u16) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("could not listen on 127.0.0.1:{port}"),
        )
        .with_source(e)
    })?;
    let addr = listener.local_addr().map_err(|e| {
        Error::new(ErrorKind::Internal, "could not read the bound address").with_source(e)
    })?;
    Ok((listener, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_written_owner_only_and_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write_token_file(&path, "first").unwrap();
        write_token_file(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_token_file_or_a_symlink_in_its_place_is_replaced_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "stale-token").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_token_file(&path, "fresh").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "not yours").unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        write_token_file(&path, "fresh-again").unwrap();
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh-again");
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "not yours");
    }

    #[test]
    fn shell_quoting_leaves_plain_values_and_single_quotes_the_rest() {
        assert_eq!(
            shell_quote("http://127.0.0.1:9911/credentials"),
            "http://127.0.0.1:9911/credentials"
        );
        assert_eq!(shell_quote("/run/a b"), "'/run/a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(*a, *b);
        assert!(same_secret(a.as_bytes(), a.as_bytes()));
        assert!(!same_secret(a.as_bytes(), b.as_bytes()));
        assert!(!same_secret(b"abc", b"abcd"));
    }
}

#[cfg(test)]
mod limits {
    //! The connection limits of `serve`, in process with short bounds.
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{
        ServeLimits, HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_CONNECTION_LIFETIME,
        MAX_REQUESTS_PER_CONNECTION, UNAUTHORIZED_MESSAGE,
    };
    use crate::serve;
    use freshcreds::clock::SystemClock;
    use freshcreds::env::Env;
    use freshcreds::refresh::{RefreshConfig, RefreshEngine};
    use freshcreds::sources::environment::StaticVariablesSource;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    const TOKEN: &str = "serve-limits-test-token";
    /// How long a test waits for something that should happen at once.
    const PROMPT: Duration = Duration::from_secs(3);

    async fn start(limits: ServeLimits) -> (String, tokio::sync::oneshot::Sender<()>) {
        let source = Arc::new(StaticVariablesSource::environment(Env::from_map([
            ("AWS_ACCESS_KEY_ID", "AKIDSERVELIMITS"),
            ("AWS_SECRET_ACCESS_KEY", "serve-limits-secret"),
        ])));
        let provider = RefreshEngine::spawn(
            source,
            RefreshConfig::default(),
            Arc::new(SystemClock::new()),
        );
        let (listener, addr) = serve::bind(0).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve::run_with_limits(
            listener,
            provider,
            zeroize::Zeroizing::new(TOKEN.to_string()),
            async {
                let _ = stopped.await;
            },
            limits,
        ));
        (addr.to_string(), stop)
    }

    async fn request(conn: &mut TcpStream) -> String {
        conn.write_all(
            format!("GET /credentials HTTP/1.1\r\nHost: x\r\nAuthorization: {TOKEN}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut text = String::new();
        conn.read_to_string(&mut text).await.unwrap();
        text
    }

    /// Limits with long timeouts, so that only the rule under test can end a connection.
    fn patient(max_connections: usize) -> ServeLimits {
        ServeLimits {
            header_read_timeout: Duration::from_secs(30),
            max_connections,
            max_requests_per_connection: 1000,
            connection_lifetime: Duration::from_secs(300),
        }
    }

    /// Sends one keep-alive request and reads its answer (status line, headers, body of the
    /// declared length), leaving the connection open.
    async fn keep_alive_request(conn: &mut TcpStream, authorization: Option<&str>) -> String {
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        conn.write_all(format!("GET /credentials HTTP/1.1\r\nHost: x\r\n{auth}\r\n").as_bytes())
            .await
            .unwrap();
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = tokio::time::timeout(PROMPT, conn.read(&mut buf))
                .await
                .expect("an answer")
                .unwrap();
            assert!(n > 0, "closed before the answer was complete");
            text.extend_from_slice(&buf[..n]);
            let t = String::from_utf8_lossy(&text).to_string();
            if let Some((head, body)) = t.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    return t;
                }
            }
        }
    }

    /// Whether the server closes `conn` within `within` (reading whatever it still sends).
    async fn closed_within(conn: &mut TcpStream, within: Duration) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(within, conn.read_to_end(&mut rest)).await,
            Ok(Ok(_))
        )
    }

    #[test]
    fn the_default_limits_are_five_seconds_64_connections_100_requests_and_a_minute() {
        assert_eq!(HEADER_READ_TIMEOUT, Duration::from_secs(5));
        assert_eq!(MAX_CONNECTIONS, 64);
        assert_eq!(MAX_REQUESTS_PER_CONNECTION, 100);
        assert_eq!(MAX_CONNECTION_LIFETIME, Duration::from_secs(60));
        assert_eq!(
            ServeLimits::default(),
            ServeLimits {
                header_read_timeout: HEADER_READ_TIMEOUT,
                max_connections: MAX_CONNECTIONS,
                max_requests_per_connection: MAX_REQUESTS_PER_CONNECTION,
                connection_lifetime: MAX_CONNECTION_LIFETIME,
            }
        );
    }

    #[tokio::test]
    async fn an_unauthorised_request_gets_a_generic_401_and_its_connection_is_closed_at_once() {
        let (addr, _stop) = start(patient(8)).await;
        for authorization in [None, Some("wrong-token")] {
            let mut conn = TcpStream::connect(&addr).await.unwrap();
            let started = Instant::now();
            let text = keep_alive_request(&mut conn, authorization).await;
            assert!(text.starts_with("HTTP/1.1 401"), "{text}");
            assert!(text.contains(UNAUTHORIZED_MESSAGE), "{text}");
            assert!(
                closed_within(&mut conn, PROMPT).await,
                "the connection stayed open after a 401"
            );
            assert!(started.elapsed() < PROMPT);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sixty_four_idle_and_unauthorised_connections_do_not_keep_an_authorised_client_waiting()
    {
        let (addr, _stop) = start(patient(MAX_CONNECTIONS)).await;
        let mut held = Vec::new();
        // Every slot held by an idle connection, then as many again sending unauthorised
        // requests on keep-alive, then idle ones waiting behind them.
        for _ in 0..MAX_CONNECTIONS {
            held.push(TcpStream::connect(&addr).await.unwrap());
        }
        for _ in 0..MAX_CONNECTIONS {
            let mut c = TcpStream::connect(&addr).await.unwrap();
            let _ = c
                .write_all(b"GET /credentials HTTP/1.1\r\nHost: x\r\n\r\n")
                .await;
            held.push(c);
        }
        for _ in 0..16 {
            held.push(TcpStream::connect(&addr).await.unwrap());
        }
        let started = Instant::now();
        let mut client = TcpStream::connect(&addr).await.unwrap();
        let text = tokio::time::timeout(PROMPT, request(&mut client))
            .await
            .unwrap_or_else(|_| panic!("no answer within {PROMPT:?}"));
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
        drop(held);
    }

    #[tokio::test]
    async fn a_connection_is_closed_after_its_request_cap_and_after_its_lifetime() {
        let (addr, _stop) = start(ServeLimits {
            max_requests_per_connection: 3,
            ..patient(8)
        })
        .await;
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        for _ in 0..2 {
            let text = keep_alive_request(&mut conn, Some(TOKEN)).await;
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(
                !text.to_ascii_lowercase().contains("connection: close"),
                "{text}"
            );
        }
        let text = keep_alive_request(&mut conn, Some(TOKEN)).await;
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
        assert!(closed_within(&mut conn, PROMPT).await, "open past the cap");

        let lifetime = Duration::from_millis(400);
        let (addr, _stop) = start(ServeLimits {
            connection_lifetime: lifetime,
            ..patient(8)
        })
        .await;
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        let started = Instant::now();
        let text = keep_alive_request(&mut conn, Some(TOKEN)).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(
            closed_within(&mut conn, PROMPT).await,
            "open past its lifetime"
        );
        assert!(started.elapsed() >= lifetime - Duration::from_millis(50));
    }

    #[tokio::test]
    async fn a_connection_that_never_finishes_its_headers_is_closed_after_the_header_read_timeout()
    {
        let timeout = Duration::from_millis(300);
        let (addr, _stop) = start(ServeLimits {
            header_read_timeout: timeout,
            ..patient(8)
        })
        .await;
        for partial in ["", "GET /credentials HTTP/1.1\r\nHost: x\r\n"] {
            let mut conn = TcpStream::connect(&addr).await.unwrap();
            conn.write_all(partial.as_bytes()).await.unwrap();
            let started = Instant::now();
            let mut buf = Vec::new();
            let read = tokio::time::timeout(PROMPT, conn.read_to_end(&mut buf)).await;
            let took = started.elapsed();
            assert!(read.is_ok(), "still open after {took:?} ({partial:?})");
            assert!(took >= timeout - Duration::from_millis(50), "{took:?}");
        }
        // A complete request is still answered.
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        let text = request(&mut conn).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_until_one_ends_while_every_one_is_authorised() {
        let (addr, _stop) = start(patient(2)).await;
        let mut idle_a = TcpStream::connect(&addr).await.unwrap();
        let mut idle_b = TcpStream::connect(&addr).await.unwrap();
        for c in [&mut idle_a, &mut idle_b] {
            let text = keep_alive_request(c, Some(TOKEN)).await;
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        }
        let mut third = TcpStream::connect(&addr).await.unwrap();
        let answer = tokio::spawn(async move { request(&mut third).await });
        // Not answered while both slots are held (a negative check: it can only pass wrongly
        // on a slow machine, never fail wrongly).
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!answer.is_finished(), "answered past the connection cap");
        drop(idle_a);
        let text = tokio::time::timeout(PROMPT, answer)
            .await
            .expect("answered once a slot was free")
            .unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
}
