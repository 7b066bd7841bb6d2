//! Test peers for corporate networks: a private certificate authority ([`PrivateCa`]), a TLS
//! front that terminates TLS with a certificate from it and forwards the plain bytes to the
//! simulator ([`TlsFront`], what a TLS-inspecting proxy looks like to a client), and an HTTP
//! `CONNECT` proxy that counts the tunnels it opens ([`ConnectProxy`]).
//!
//! Everything listens on 127.0.0.1 and connects only to the loopback address it was given: the
//! proxy never dials the host a client asks for, it sends every tunnel to its one upstream.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A certificate authority made at start, trusted by nobody until a test hands its certificate
/// over (as `AWS_CA_BUNDLE`, say).
pub struct PrivateCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    common_name: String,
}

impl std::fmt::Debug for PrivateCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateCa")
            .field("common_name", &self.common_name)
            .finish_non_exhaustive()
    }
}

impl PrivateCa {
    /// A new CA whose certificate names `common_name` (organisation `freshcreds-sim`).
    pub fn new(common_name: &str) -> PrivateCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "freshcreds-sim");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        PrivateCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
            common_name: common_name.to_string(),
        }
    }

    /// The CA certificate, PEM (what a CA bundle file holds).
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses) signed by this CA, and its
    /// key.
    pub fn leaf(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "freshcreds-sim TLS front");
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        (cert.der().clone(), PrivateKeyDer::from(key))
    }
}

/// Stops a peer's thread when dropped.
struct Running {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds 127.0.0.1 on an ephemeral port and serves `serve(connection)` for each connection on
/// a thread of its own (its own runtime, as the simulator: it keeps answering while the test's
/// runtime is blocked).
fn run<F, Fut>(name: &str, serve: F) -> std::io::Result<(SocketAddr, Running)>
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = Arc::new(serve);
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("peer runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("peer listener");
                let accept = async {
                    while let Ok((conn, _)) = listener.accept().await {
                        tokio::spawn(serve(conn));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stopped => {}
                }
            });
        })?;
    Ok((
        addr,
        Running {
            stop: Some(stop),
            thread: Some(thread),
        },
    ))
}

/// A TLS front: terminates TLS on 127.0.0.1 with a certificate from a [`PrivateCa`] and copies
/// the plain bytes to and from `upstream` (the simulator). Stops when dropped.
pub struct TlsFront {
    addr: SocketAddr,
    handshakes: Arc<AtomicU64>,
    failed_handshakes: Arc<AtomicU64>,
    _running: Running,
}

impl std::fmt::Debug for TlsFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFront")
            .field("addr", &self.addr)
            .finish()
    }
}

impl TlsFront {
    /// Starts a front whose certificate, from `ca`, is valid for `names`, in front of `upstream`.
    pub fn start(
        ca: &PrivateCa,
        names: &[&str],
        upstream: SocketAddr,
    ) -> std::io::Result<TlsFront> {
        let (cert, key) = ca.leaf(names);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(std::io::Error::other)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let handshakes = Arc::new(AtomicU64::new(0));
        let failed_handshakes = Arc::new(AtomicU64::new(0));
        let (ok, failed) = (handshakes.clone(), failed_handshakes.clone());
        let (addr, running) = run("freshcreds-sim-tls", move |conn| {
            let (acceptor, ok, failed) = (acceptor.clone(), ok.clone(), failed.clone());
            async move {
                let mut tls = match acceptor.accept(conn).await {
                    Ok(tls) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                        tls
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                };
                if let Ok(mut up) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                }
            }
        })?;
        Ok(TlsFront {
            addr,
            handshakes,
            failed_handshakes,
            _running: running,
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// TLS handshakes that succeeded.
    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::SeqCst)
    }

    /// TLS handshakes that failed (the client refused the certificate, or spoke no TLS).
    pub fn failed_handshakes(&self) -> u64 {
        self.failed_handshakes.load(Ordering::SeqCst)
    }
}

/// An HTTP `CONNECT` proxy on 127.0.0.1: answers every `CONNECT host:port` with 200 and tunnels
/// it to its one `upstream` (never to the host asked for), counting the tunnels and recording
/// their targets. Other methods get 405. With [`ConnectProxy::start_with_auth`] it asks for Basic
/// credentials first (407, counted apart). Stops when dropped.
pub struct ConnectProxy {
    addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
    auth_rejections: Arc<AtomicU64>,
    _running: Running,
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

/// The answer of a proxy that wants credentials it did not get.
const PROXY_AUTH_REQUIRED: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
proxy-authenticate: Basic realm=\"freshcreds-sim\"\r\ncontent-length: 0\r\n\r\n";

impl ConnectProxy {
    /// Starts a proxy whose tunnels all lead to `upstream`.
    pub fn start(upstream: SocketAddr) -> std::io::Result<ConnectProxy> {
        Self::start_with_auth(upstream, None)
    }

    /// Starts a proxy whose tunnels all lead to `upstream` and that, with `credentials`
    /// (`user`, `password`), answers 407 to every `CONNECT` without the matching
    /// `Proxy-Authorization: Basic` header.
    pub fn start_with_auth(
        upstream: SocketAddr,
        credentials: Option<(&str, &str)>,
    ) -> std::io::Result<ConnectProxy> {
        use base64::Engine;
        let expected = credentials.map(|(user, password)| {
            format!(
                "basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        });
        let targets = Arc::new(Mutex::new(Vec::new()));
        let auth_rejections = Arc::new(AtomicU64::new(0));
        let (seen, rejected) = (targets.clone(), auth_rejections.clone());
        let (addr, running) = run("freshcreds-sim-proxy", move |conn| {
            let (seen, rejected, expected) = (seen.clone(), rejected.clone(), expected.clone());
            async move {
                let mut conn = BufReader::new(conn);
                let mut request_line = String::new();
                if conn.read_line(&mut request_line).await.is_err() {
                    return;
                }
                // Headers up to the blank line.
                let mut authorization = None;
                loop {
                    let mut line = String::new();
                    match conn.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" || line == "\n" => break,
                        Ok(_) => {
                            if let Some((name, value)) = line.split_once(':') {
                                if name.trim().eq_ignore_ascii_case("proxy-authorization") {
                                    authorization = Some(value.trim().to_string());
                                }
                            }
                        }
                    }
                }
                let mut words = request_line.split_whitespace();
                let (method, target) = (words.next(), words.next());
                let Some(target) = target.filter(|_| method == Some("CONNECT")) else {
                    let _ = conn
                        .get_mut()
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                };
                if let Some(expected) = &expected {
                    // The scheme is case-insensitive, the credentials are not.
                    let given = authorization.map(|a| match a.split_once(' ') {
                        Some((scheme, rest)) => {
                            format!("{} {}", scheme.to_ascii_lowercase(), rest.trim())
                        }
                        None => a,
                    });
                    if given.as_deref() != Some(expected.as_str()) {
                        rejected.fetch_add(1, Ordering::SeqCst);
                        let _ = conn.get_mut().write_all(PROXY_AUTH_REQUIRED).await;
                        return;
                    }
                }
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(target.to_string());
                let Ok(mut up) = TcpStream::connect(upstream).await else {
                    let _ = conn
                        .get_mut()
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                };
                if conn
                    .get_mut()
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
            }
        })?;
        Ok(ConnectProxy {
            addr,
            targets,
            auth_rejections,
            _running: running,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `host:port` of every `CONNECT` tunnelled so far, in order.
    pub fn connects(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The `CONNECT`s answered with 407 (no or wrong credentials).
    pub fn auth_rejections(&self) -> u64 {
        self.auth_rejections.load(Ordering::SeqCst)
    }
}

/// What the `freshcreds-sim` binary starts in front of the simulator on request (its
/// `--tls-front` and `--connect-proxy` flags), reported by `GET /_sim/network`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NetworkOptions {
    /// Start a [`TlsFront`] with a new [`PrivateCa`].
    pub tls_front: bool,
    /// Names and addresses the front's certificate is valid for besides `127.0.0.1` and
    /// `localhost`.
    pub tls_names: Vec<String>,
    /// Where to write the CA certificate (PEM).
    pub ca_file: Option<std::path::PathBuf>,
    /// Start a [`ConnectProxy`] whose tunnels lead to the front (to the simulator without one).
    pub connect_proxy: bool,
    /// The proxy's Basic credentials (`user`, `password`): it answers 407 without them.
    pub proxy_auth: Option<(String, String)>,
}

/// The common name of the CA the binary makes for its TLS front.
pub const SIM_CA_NAME: &str = "freshcreds-sim Private CA";

/// The peers started for a [`NetworkOptions`]: they live as long as the simulator. The default
/// is none at all.
#[derive(Debug, Default)]
pub struct NetworkPeers {
    front: Option<TlsFront>,
    ca_file: Option<std::path::PathBuf>,
    proxy: Option<ConnectProxy>,
}

impl NetworkPeers {
    /// Starts what `options` asks for in front of the simulator at `sim`.
    pub fn start(options: &NetworkOptions, sim: SocketAddr) -> std::io::Result<NetworkPeers> {
        let mut front = None;
        if options.tls_front {
            let ca = PrivateCa::new(SIM_CA_NAME);
            let mut names = vec!["127.0.0.1", "localhost"];
            names.extend(options.tls_names.iter().map(String::as_str));
            if let Some(path) = &options.ca_file {
                std::fs::write(path, ca.cert_pem()).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot write the CA certificate to {}: {e}", path.display()),
                    )
                })?;
            }
            front = Some(TlsFront::start(&ca, &names, sim)?);
        } else if options.ca_file.is_some() || !options.tls_names.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "--ca-file and --tls-name need --tls-front",
            ));
        }
        let proxy = if options.connect_proxy {
            let upstream = front.as_ref().map_or(sim, TlsFront::addr);
            let auth = options
                .proxy_auth
                .as_ref()
                .map(|(u, p)| (u.as_str(), p.as_str()));
            Some(ConnectProxy::start_with_auth(upstream, auth)?)
        } else if options.proxy_auth.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "--proxy-auth needs --connect-proxy",
            ));
        } else {
            None
        };
        Ok(NetworkPeers {
            front,
            ca_file: options.ca_file.clone(),
            proxy,
        })
    }

    /// The TLS front, if started.
    pub fn front(&self) -> Option<&TlsFront> {
        self.front.as_ref()
    }

    /// The proxy, if started.
    pub fn proxy(&self) -> Option<&ConnectProxy> {
        self.proxy.as_ref()
    }

    /// What `GET /_sim/network` answers: the URLs (`null` when not started), the CA file, and
    /// the counters `tls_handshakes`, `tls_failed_handshakes`, `proxy_tunnels` (with
    /// `proxy_targets`, the `host:port` of each) and `proxy_auth_rejections`.
    pub fn status(&self) -> serde_json::Value {
        let front = self.front.as_ref();
        let proxy = self.proxy.as_ref();
        let targets = proxy.map(ConnectProxy::connects).unwrap_or_default();
        serde_json::json!({
            "tls_front": front.map(TlsFront::url),
            "ca_file": self.ca_file.as_ref().map(|p| p.display().to_string()),
            "tls_handshakes": front.map_or(0, TlsFront::handshakes),
            "tls_failed_handshakes": front.map_or(0, TlsFront::failed_handshakes),
            "connect_proxy": proxy.map(ConnectProxy::url),
            "proxy_tunnels": targets.len(),
            "proxy_targets": targets,
            "proxy_auth_rejections": proxy.map_or(0, ConnectProxy::auth_rejections),
        })
    }
}
