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
/// their targets. Other methods get 405. Stops when dropped.
pub struct ConnectProxy {
    addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
    _running: Running,
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ConnectProxy {
    /// Starts a proxy whose tunnels all lead to `upstream`.
    pub fn start(upstream: SocketAddr) -> std::io::Result<ConnectProxy> {
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        let (addr, running) = run("freshcreds-sim-proxy", move |conn| {
            let seen = seen.clone();
            async move {
                let mut conn = BufReader::new(conn);
                let mut request_line = String::new();
                if conn.read_line(&mut request_line).await.is_err() {
                    return;
                }
                // Headers up to the blank line.
                loop {
                    let mut line = String::new();
                    match conn.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" || line == "\n" => break,
                        Ok(_) => {}
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
            _running: running,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The `host:port` of every `CONNECT` so far, in order.
    pub fn connects(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
