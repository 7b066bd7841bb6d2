//! Which certificate authorities the TLS connections to AWS services trust, decided here and
//! nowhere else.
//!
//! # The policy, in order
//!
//! 1. **A CA bundle, when one is configured**, as botocore reads it: `AWS_CA_BUNDLE`, else the
//!    selected profile's `ca_bundle`. Its certificates (PEM) **replace** the default roots, as
//!    botocore's `verify=<path>` does: only they (and the host's roots, 3.) are trusted. A path
//!    that cannot be read, or a file without a valid certificate, is an
//!    [`ErrorKind::InvalidConfig`] error that names the file and
//!    where it was set; it is never retried.
//! 2. **Otherwise the platform's trust store**: on Linux the system's CA files (what
//!    `rustls-native-certs` finds: `SSL_CERT_FILE` / `SSL_CERT_DIR`, else the distribution's
//!    bundle), on Windows the system store, both through `rustls-platform-verifier`, which takes
//!    extra roots on those platforms. On macOS, `/etc/ssl/cert.pem` (the system roots; CAs added
//!    to a keychain are not read: the platform verifier needs the Security framework at link
//!    time, which the release cross-build does not have). **The roots bundled with freshcreds**
//!    (`webpki-roots`, Mozilla's list) are used only when that store is empty or unreadable; a
//!    warning says so.
//! 3. **Plus the host's roots**: the certificates a host hands over (the JVM's trust store, through
//!    the `trustRootsPem` option), added to whichever of 1. and 2. applies.
//!
//! Loaded trust is cached per process (keyed by the bundle's path, size and modification time and
//! by the host's roots), so building many clients reads the files once.
//!
//! Every verifier is wrapped so that a rejected certificate says why, who issued it and what was
//! trusted ([`CertificateRejection`]); [`super::transport_error`] turns that into an
//! [`ErrorKind::Tls`] error, which is not retried.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore};
use rustls::{DistinguishedName, SignatureScheme};

use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::profile::Profile;

/// The environment variable naming a CA bundle (botocore, the AWS CLI).
pub(crate) const ENV_CA_BUNDLE: &str = "AWS_CA_BUNDLE";
/// The profile key naming a CA bundle (botocore, the AWS CLI).
pub(crate) const PROFILE_CA_BUNDLE: &str = "ca_bundle";
/// What to do about a certificate that is not trusted; part of every such error.
pub const TRUST_FIX: &str = "if a proxy inspects TLS on this network, set AWS_CA_BUNDLE to a PEM file with your proxy's CA certificate, or ca_bundle in the profile; in a JVM the JVM's trust store is used";
/// Logged (WARN) once per process when the platform's trust store is empty or unreadable.
pub(crate) const WARN_BUNDLED_ROOTS: &str =
    "no trust roots from the platform: using the roots bundled with freshcreds (webpki-roots)";
/// macOS and other systems without the platform verifier: the system roots as one PEM file.
#[cfg(not(any(target_os = "linux", windows)))]
const SYSTEM_ROOTS_FILE: &str = "/etc/ssl/cert.pem";
/// How many loaded trust configurations the process keeps.
const CACHE_SIZE: usize = 16;

/// A CA bundle file and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    /// The file, as given.
    pub path: PathBuf,
    /// Where it was set: `AWS_CA_BUNDLE`, or the profile key with its file and line.
    pub origin: String,
}

/// Certificates a host adds to the trusted roots (the JVM's trust store), and where they came from.
#[derive(Clone, PartialEq, Eq)]
pub struct HostRoots {
    certs: Arc<Vec<Vec<u8>>>,
    origin: String,
}

impl fmt::Debug for HostRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRoots")
            .field("certificates", &self.certs.len())
            .field("origin", &self.origin)
            .finish()
    }
}

impl HostRoots {
    /// The certificates of a PEM text (one or more `CERTIFICATE` blocks); an error names
    /// `origin` and the block that is not a certificate.
    pub fn from_pem(pem: &str, origin: &str) -> Result<HostRoots> {
        // A host passes the same trust store for every provider (thousands, with one provider
        // per role session): the last one parsed is kept, and its certificates shared.
        type Last = std::sync::Mutex<Option<(String, Arc<Vec<Vec<u8>>>)>>;
        static LAST: Last = std::sync::Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((text, certs)) = last.as_ref() {
            if text == pem {
                return Ok(HostRoots {
                    certs: certs.clone(),
                    origin: origin.to_string(),
                });
            }
        }
        let certs = parse_pem(pem.as_bytes(), origin)?;
        let certs = Arc::new(certs.into_iter().map(|c| c.to_vec()).collect::<Vec<_>>());
        *last = Some((pem.to_string(), certs.clone()));
        Ok(HostRoots {
            certs,
            origin: origin.to_string(),
        })
    }

    /// How many certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Where they came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// Where the trusted roots come from (see the module documentation). Cheap to clone; loading
/// happens when a client is built ([`TrustSettings::load`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSettings {
    bundle: Option<CaBundle>,
    host_roots: Option<HostRoots>,
}

impl TrustSettings {
    /// `AWS_CA_BUNDLE`, else `profile`'s `ca_bundle`, else the platform's store.
    pub fn resolve(env: &Env, profile: Option<&Profile>) -> TrustSettings {
        let from_env = env.get_non_blank(ENV_CA_BUNDLE).map(|path| CaBundle {
            path: PathBuf::from(path.trim()),
            origin: ENV_CA_BUNDLE.to_string(),
        });
        let from_profile = || {
            let p = profile?;
            let path = p.get(PROFILE_CA_BUNDLE)?.trim();
            if path.is_empty() {
                return None;
            }
            let origin = match p.location(PROFILE_CA_BUNDLE) {
                Some((file, line)) => format!(
                    "{PROFILE_CA_BUNDLE} of profile {} ({file} line {line})",
                    p.name()
                ),
                None => format!("{PROFILE_CA_BUNDLE} of profile {}", p.name()),
            };
            Some(CaBundle {
                path: PathBuf::from(path),
                origin,
            })
        };
        TrustSettings {
            bundle: from_env.or_else(from_profile),
            host_roots: None,
        }
    }

    /// These settings with a host's roots added.
    pub(crate) fn with_host_roots(mut self, roots: Option<HostRoots>) -> TrustSettings {
        self.host_roots = roots.filter(|r| !r.is_empty());
        self
    }

    /// The CA bundle that replaces the default roots, if one is configured.
    pub fn bundle(&self) -> Option<&CaBundle> {
        self.bundle.as_ref()
    }

    /// The host's roots, if any.
    pub fn host_roots(&self) -> Option<&HostRoots> {
        self.host_roots.as_ref()
    }

    /// Loads the roots (from the cache when nothing changed) and builds the TLS configuration.
    pub fn load(&self) -> Result<Arc<LoadedTrust>> {
        let key = CacheKey::of(self);
        let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
        if let Some(hit) = lock(cache).iter().find(|(k, _)| *k == key) {
            return Ok(hit.1.clone());
        }
        let loaded = Arc::new(self.build()?);
        let mut entries = lock(cache);
        if entries.len() >= CACHE_SIZE {
            entries.remove(0);
        }
        entries.push((key, loaded.clone()));
        Ok(loaded)
    }

    fn build(&self) -> Result<LoadedTrust> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let host: Vec<CertificateDer<'static>> = self
            .host_roots
            .iter()
            .flat_map(|r| r.certs.iter().map(|c| CertificateDer::from(c.clone())))
            .collect();
        let (inner, base) = match &self.bundle {
            Some(bundle) => bundle_verifier(bundle, &host, provider.clone())?,
            None => platform_verifier(&host, provider.clone())?,
        };
        let mut trusted = base.clone();
        if let Some(roots) = &self.host_roots {
            trusted.push_str(&format!(
                ", plus {} certificate(s) from {}",
                roots.len(),
                roots.origin
            ));
        }
        let verifier = Arc::new(Explaining {
            inner,
            trusted: trusted.clone().into(),
        });
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| internal("no TLS protocol version", e))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(LoadedTrust {
            config: Arc::new(config),
            trusted,
        })
    }
}

/// Trust ready for clients: the TLS configuration and what it trusts, in words.
#[derive(Debug)]
pub struct LoadedTrust {
    config: Arc<ClientConfig>,
    trusted: String,
}

impl LoadedTrust {
    /// What is trusted, e.g. `the platform's trust store` or `the 2 certificate(s) of the CA
    /// bundle /etc/corp.pem (AWS_CA_BUNDLE), instead of the default roots`.
    pub fn trusted(&self) -> &str {
        &self.trusted
    }

    /// The rustls client configuration (ALPN `http/1.1`).
    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheKey {
    bundle: Option<(PathBuf, u64, Option<std::time::SystemTime>)>,
    host_roots: Option<Arc<Vec<Vec<u8>>>>,
}

impl CacheKey {
    fn of(settings: &TrustSettings) -> CacheKey {
        CacheKey {
            bundle: settings.bundle.as_ref().map(|b| {
                let meta = std::fs::metadata(&b.path).ok();
                (
                    b.path.clone(),
                    meta.as_ref().map_or(0, |m| m.len()),
                    meta.and_then(|m| m.modified().ok()),
                )
            }),
            host_roots: settings.host_roots.as_ref().map(|r| r.certs.clone()),
        }
    }
}

type Cache = Mutex<Vec<(CacheKey, Arc<LoadedTrust>)>>;
static CACHE: OnceLock<Cache> = OnceLock::new();

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn internal(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Internal, format!("TLS setup: {what}")).with_source(e)
}

type Built = (Arc<dyn ServerCertVerifier>, String);

/// The CA bundle's certificates (plus the host's) as the only roots.
fn bundle_verifier(
    bundle: &CaBundle,
    host: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> Result<Built> {
    let shown = format!("{}={}", bundle.origin, bundle.path.display());
    let bytes = std::fs::read(&bundle.path).map_err(|e| {
        Error::invalid_config(format!(
            "the CA bundle {shown} cannot be read: {e}; fix the path or unset it"
        ))
    })?;
    let certs = parse_pem(&bytes, &shown)?;
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        roots.add(cert.clone()).map_err(|e| {
            Error::invalid_config(format!(
                "certificate {} of the CA bundle {shown} is not a valid CA certificate: {e}",
                i + 1
            ))
        })?;
    }
    add_host_roots(&mut roots, host)?;
    let verifier = webpki_verifier(roots, provider)?;
    Ok((
        verifier,
        format!(
            "the {} certificate(s) of the CA bundle {} ({}), instead of the default roots",
            certs.len(),
            bundle.path.display(),
            bundle.origin
        ),
    ))
}

/// The certificates of a PEM text; `shown` names where it came from in errors.
fn parse_pem(bytes: &[u8], shown: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        let cert = item.map_err(|e| {
            Error::invalid_config(format!(
                "{shown}: certificate {} is not valid PEM: {e}",
                certs.len() + 1
            ))
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(Error::invalid_config(format!(
            "{shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

fn add_host_roots(roots: &mut RootCertStore, host: &[CertificateDer<'static>]) -> Result<()> {
    // Host roots come from a trust store that may hold certificates webpki cannot use as
    // anchors (old encodings): those are skipped, as the platform verifier skips the system's.
    let (_added, ignored) = roots.add_parsable_certificates(host.iter().cloned());
    if ignored > 0 {
        tracing::debug!(
            ignored,
            "skipped host trust roots that are not valid anchors"
        );
    }
    Ok(())
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>> {
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::invalid_config(format!("no usable trust root: {e}")))?;
    Ok(verifier)
}

/// The roots bundled with freshcreds (plus the host's), when the platform has none.
fn bundled_verifier(
    host: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
    why: &str,
) -> Result<Built> {
    static WARNED: OnceLock<()> = OnceLock::new();
    WARNED.get_or_init(|| tracing::warn!(reason = why, "{WARN_BUNDLED_ROOTS}"));
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    add_host_roots(&mut roots, host)?;
    Ok((
        webpki_verifier(roots, provider)?,
        format!("the roots bundled with freshcreds (webpki-roots), because {why}"),
    ))
}

#[cfg(any(target_os = "linux", windows))]
fn platform_verifier(
    host: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> Result<Built> {
    use rustls_platform_verifier::Verifier;
    // Without extra roots first: an empty platform store must not hide behind the host's roots.
    let platform = match Verifier::new(provider.clone()) {
        Ok(v) => v,
        Err(e) => {
            return bundled_verifier(
                host,
                provider,
                &format!("the platform's trust store is empty or unreadable ({e})"),
            )
        }
    };
    // The verifier refuses every extra root if one cannot be an anchor: pass the usable ones,
    // as add_host_roots does for the other verifiers.
    let usable: Vec<CertificateDer<'static>> = host
        .iter()
        .filter(|c| RootCertStore::empty().add((*c).clone()).is_ok())
        .cloned()
        .collect();
    let verifier = if usable.is_empty() {
        platform
    } else {
        Verifier::new_with_extra_roots(usable, provider)
            .map_err(|e| internal("the host's trust roots", e))?
    };
    Ok((Arc::new(verifier), "the platform's trust store".to_string()))
}

#[cfg(not(any(target_os = "linux", windows)))]
fn platform_verifier(
    host: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> Result<Built> {
    let system = std::fs::read(SYSTEM_ROOTS_FILE)
        .ok()
        .map(|bytes| {
            CertificateDer::pem_slice_iter(&bytes)
                .flatten()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(system);
    if added == 0 {
        return bundled_verifier(
            host,
            provider,
            &format!("{SYSTEM_ROOTS_FILE} holds no usable certificate"),
        );
    }
    add_host_roots(&mut roots, host)?;
    Ok((
        webpki_verifier(roots, provider)?,
        format!("the system's roots ({SYSTEM_ROOTS_FILE})"),
    ))
}

/// Why a server certificate was rejected: the verifier's reason, who issued the certificate, the
/// top of the chain the server sent, and what was trusted. Carried inside the rustls error
/// (`CertificateError::Other`) up to [`super::transport_error`].
#[derive(Debug, Clone)]
pub struct CertificateRejection {
    reason: CertificateError,
    subject: Option<String>,
    issuer: Option<String>,
    chain_top_issuer: Option<String>,
    trusted: Arc<str>,
}

impl CertificateRejection {
    /// The verifier's reason (unknown issuer, expired, not valid for the name, …).
    pub fn reason(&self) -> &CertificateError {
        &self.reason
    }

    /// The issuer of the server's certificate (`CN=…, O=…`), when it could be read.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// What was trusted.
    pub fn trusted(&self) -> &str {
        &self.trusted
    }
}

impl fmt::Display for CertificateRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match &self.reason {
            CertificateError::UnknownIssuer => "issued by an unknown certificate authority".into(),
            other => other.to_string(),
        };
        write!(f, "the server's TLS certificate is not trusted: {reason}")?;
        if let Some(subject) = &self.subject {
            write!(f, "; certificate {subject}")?;
        }
        if let Some(issuer) = &self.issuer {
            write!(f, ", issued by {issuer}")?;
        }
        if let Some(top) = self
            .chain_top_issuer
            .as_ref()
            .filter(|t| Some(*t) != self.issuer.as_ref())
        {
            write!(f, ", chain up to {top}")?;
        }
        write!(f, "; trusted: {}", self.trusted)
    }
}

impl std::error::Error for CertificateRejection {}

/// Delegates every check; a rejected certificate becomes a [`CertificateRejection`].
#[derive(Debug)]
struct Explaining {
    inner: Arc<dyn ServerCertVerifier>,
    trusted: Arc<str>,
}

impl ServerCertVerifier for Explaining {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(reason) => {
                    let leaf = super::der::names(end_entity);
                    let top = intermediates.last().and_then(|c| super::der::names(c));
                    let rejection = CertificateRejection {
                        reason,
                        subject: leaf.as_ref().map(|(_, s)| s.clone()),
                        issuer: leaf.map(|(i, _)| i),
                        chain_top_issuer: top.map(|(i, _)| i),
                        trusted: self.trusted.clone(),
                    };
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(rejection),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;
    use crate::sources::profile::ProfileSet;

    fn profile_with(ca_bundle: &str) -> ProfileSet {
        let none: [(&str, [(&str, &str); 0]); 0] = [];
        ProfileSet::from_properties([("dev", [("ca_bundle", ca_bundle)])], none, "dev")
    }

    #[test]
    fn the_environment_wins_over_the_profile() {
        let set = profile_with("/from/profile.pem");
        let env = Env::from_map([(ENV_CA_BUNDLE, "/from/env.pem")]);
        let t = TrustSettings::resolve(&env, set.selected_profile());
        assert_eq!(t.bundle().unwrap().path, PathBuf::from("/from/env.pem"));
        assert_eq!(t.bundle().unwrap().origin, ENV_CA_BUNDLE);
        let t = TrustSettings::resolve(
            &Env::from_map([(ENV_CA_BUNDLE, " ")]),
            set.selected_profile(),
        );
        assert_eq!(t.bundle().unwrap().path, PathBuf::from("/from/profile.pem"));
        assert!(t
            .bundle()
            .unwrap()
            .origin
            .starts_with("ca_bundle of profile dev"));
        let t = TrustSettings::resolve(&Env::from_map::<&str, &str>([]), None);
        assert_eq!(t.bundle(), None);
    }

    #[test]
    fn a_missing_bundle_is_a_configuration_error_naming_the_file_and_the_variable() {
        let env = Env::from_map([(ENV_CA_BUNDLE, "/nonexistent/freshcreds-ca.pem")]);
        let e = TrustSettings::resolve(&env, None).load().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(
            e.message()
                .contains("AWS_CA_BUNDLE=/nonexistent/freshcreds-ca.pem cannot be read"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn a_bundle_without_certificates_is_a_configuration_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let env = Env::from_map([(ENV_CA_BUNDLE, path.to_str().unwrap())]);
        let e = TrustSettings::resolve(&env, None).load().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert_mentions(e.message(), &["holds no PEM certificate"]);
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = TrustSettings::resolve(&env, None).load().unwrap_err();
        assert_mentions(e.message(), &["certificate 1 of the CA bundle"]);
    }

    #[test]
    fn the_platform_or_the_bundled_roots_load_and_are_cached() {
        let t = TrustSettings::default();
        let a = t.load().unwrap();
        let b = t.load().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(
            a.trusted().contains("platform")
                || a.trusted().contains("bundled")
                || a.trusted().contains("system"),
            "{}",
            a.trusted()
        );
    }
}
