//! Backend links: one per distinct way of reaching backends — whether the backend's TLS
//! certificate is verified, which client certificate is presented (mutual TLS), and which HTTP
//! proxy the calls go through. A link opens connections; `upstream::Pool` keeps them alive
//! between calls, under the link's id.
//!
//! The links live in a cache that outlives snapshots ([`Transports`]), keyed by those three
//! things (the certificate by thumbprint). A management write to routing entities reads the
//! snapshot's routes again, but a backend whose way of connecting did not change keeps its link,
//! and so its warm pooled connections (the TLS handshake, with a client certificate, is the
//! expensive part of a call). Each reading of the routes asks the cache for the links its backend
//! entities need and then drops the ones no backend needs any more (their idle connections close
//! when the pool sweeps); calls in flight keep theirs. Sealed key material is opened only when a
//! link is built: once per certificate and verification switch, when the routes are read, never
//! per call. A thumbprint is the SHA-1 of the certificate, so a cached link can only hold the
//! certificate that the thumbprint names now.

use crate::connector::{BackendConnector, Proxy};
use crate::tls::{Identity, client_config};
use axum::http::uri::Scheme;
use axum::http::{HeaderValue, Uri};
use base64::Engine;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tollgate_auth::pfx::{CertificateKey, KeyMaterial, certificate_key, parse_pfx};
use tollgate_auth::seal::Sealer;
use tollgate_contract::entity::backend::Backend;
use tollgate_contract::entity::certificate::Certificate;

/// How calls reach a backend: the connector of its connections (pooled by `upstream::Pool` under
/// the link's id), and what a call through a proxy adds.
#[derive(Clone, Debug)]
pub struct Link {
    /// Tells the connections of different links apart in the pool.
    pub id: u64,
    /// Opens connections: TCP, through the proxy if any, then TLS for `https` backends.
    pub connector: HttpsConnector<BackendConnector>,
    /// Whether calls go through a proxy.
    pub proxied: bool,
    /// The `Proxy-Authorization` header of plain-HTTP calls through the proxy (marked sensitive;
    /// `https` calls send it in the `CONNECT` instead).
    pub proxy_authorization: Option<HeaderValue>,
}

/// Why a backend entity's calls cannot be made; the message of their 500 answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unusable(pub &'static str);

const NO_CERTIFICATE: Unusable = Unusable(
    "The backend's client certificate is not available: no uploaded certificate has a thumbprint the backend lists.",
);
const KEY_UNUSABLE: Unusable = Unusable(
    "The backend's client certificate cannot be used: its private key could not be opened with this server's secret, or is not supported.",
);
const PROXY_UNUSABLE: Unusable = Unusable(
    "The backend's proxy cannot be used: only http:// proxy URLs with a host are supported.",
);

/// A stored certificate, as the gateway needs it: its id and sealed key material.
#[derive(Debug, Clone)]
pub struct SealedCertificate {
    /// The certificate's id.
    pub id: String,
    /// The private key and chain, sealed under the server secret.
    pub key_material: String,
}

/// What distinguishes one backend client from another. Holds the proxy's credentials, which
/// `Debug` never shows.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TransportKey {
    verify_tls: bool,
    /// The client certificate's thumbprint, upper case.
    certificate: Option<String>,
    /// The proxy's URL, user name and password.
    proxy: Option<(String, Option<String>, Option<String>)>,
}

impl std::fmt::Debug for TransportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportKey")
            .field("verify_tls", &self.verify_tls)
            .field("certificate", &self.certificate)
            .field("proxy", &self.proxy.as_ref().map(|(url, ..)| url))
            .finish()
    }
}

impl TransportKey {
    /// The default link's: certificates verified, no client certificate, no proxy.
    pub fn plain() -> TransportKey {
        TransportKey {
            verify_tls: true,
            certificate: None,
            proxy: None,
        }
    }

    /// A backend entity's: its TLS verification switches and proxy (its client certificate
    /// left out).
    pub fn of_backend(backend: &Backend) -> TransportKey {
        let verify_tls = backend.tls.as_ref().is_none_or(|t| {
            t.validate_certificate_chain != Some(false)
                && t.validate_certificate_name != Some(false)
        });
        let proxy = backend.proxy.as_ref().map(|p| {
            let url = p.url.clone().unwrap_or_default();
            (url, p.username.clone(), p.password.clone())
        });
        TransportKey {
            verify_tls,
            certificate: None,
            proxy,
        }
    }

    /// This key, presenting the client certificate of `thumbprint`.
    pub fn with_certificate(mut self, thumbprint: &str) -> TransportKey {
        self.certificate = Some(thumbprint.to_ascii_uppercase());
        self
    }

    /// This key, through the proxy at `url` with these credentials.
    pub fn with_proxy(
        mut self,
        url: String,
        user: Option<String>,
        password: Option<String>,
    ) -> TransportKey {
        self.proxy = Some((url, user, password));
        self
    }

    fn is_plain(&self) -> bool {
        self.certificate.is_none() && self.proxy.is_none() && self.verify_tls
    }
}

/// The backend clients: the default one, and a cache of the others (see the module comment).
pub struct Transports {
    sealer: Sealer,
    default: Link,
    cache: Mutex<HashMap<TransportKey, Link>>,
    /// Public keys of uploaded certificates (`validate-jwt`'s `<key certificate-id>`), by
    /// thumbprint.
    public_keys: Mutex<HashMap<String, CertificateKey>>,
    /// Certificates given inline by policies (`authentication-certificate body`), opened and
    /// sealed, by SHA-256 of the file and password.
    inline: Mutex<HashMap<[u8; 32], (String, SealedCertificate)>>,
}

/// The most inline certificates kept opened (more empty the cache).
const MAX_INLINE: usize = 64;

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports")
            .field("cached", &self.cache().len())
            .finish()
    }
}

impl Transports {
    /// The clients of a gateway whose server secret is `sealer`'s.
    pub fn new(sealer: Sealer) -> Transports {
        let config = client_config(true, None).expect("ring supports the default TLS versions");
        Transports {
            sealer,
            default: link(config, None),
            cache: Mutex::new(HashMap::new()),
            public_keys: Mutex::new(HashMap::new()),
            inline: Mutex::new(HashMap::new()),
        }
    }

    /// The client of calls without a backend entity: certificates verified, no client
    /// certificate, no proxy.
    pub fn default_link(&self) -> &Link {
        &self.default
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<TransportKey, Link>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The link of the backend entity `id`, built or taken from the cache; its key is added to
    /// `used`. `certificates` are the stored certificates by upper-case thumbprint. Problems are
    /// logged (without secrets) and become the calls' 500 answer.
    pub fn link(
        &self,
        id: &str,
        backend: &Backend,
        certificates: &HashMap<String, SealedCertificate>,
        used: &mut HashSet<TransportKey>,
    ) -> Result<Link, Unusable> {
        let (key, certificate) = key_of(id, backend, certificates)?;
        if key.is_plain() {
            return Ok(self.default.clone());
        }
        let link = self.cached_or_built(id, &key, certificate)?;
        used.insert(key);
        Ok(link)
    }

    /// The link of `key` for a policy statement (`authentication-certificate`, `send-request`'s
    /// `proxy`), taken from the cache or built; `certificate` is the one `key` names. Built on a
    /// call, it is kept until the routes are read again (a later call builds it again then).
    pub fn link_for(
        &self,
        key: &TransportKey,
        certificate: Option<&SealedCertificate>,
    ) -> Result<Link, Unusable> {
        if key.is_plain() {
            return Ok(self.default.clone());
        }
        self.cached_or_built("(policy)", key, certificate)
    }

    fn cached_or_built(
        &self,
        id: &str,
        key: &TransportKey,
        certificate: Option<&SealedCertificate>,
    ) -> Result<Link, Unusable> {
        let cached = self.cache().get(key).cloned();
        match cached {
            Some(link) => Ok(link),
            None => {
                let built = self.build(id, key, certificate)?;
                self.cache().insert(key.clone(), built.clone());
                Ok(built)
            }
        }
    }

    /// A new link for `key`, opening `certificate`'s key material if there is one.
    fn build(
        &self,
        id: &str,
        key: &TransportKey,
        certificate: Option<&SealedCertificate>,
    ) -> Result<Link, Unusable> {
        let identity = match (&key.certificate, certificate) {
            (Some(thumbprint), Some(sealed)) => Some(self.open(thumbprint, sealed).map_err(|why| {
                tracing::warn!(backend = %id, certificate = %sealed.id, %why, "the backend's client certificate cannot be used; its calls fail");
                KEY_UNUSABLE
            })?),
            _ => None,
        };
        let proxy = match &key.proxy {
            Some((url, user, password)) => Some(proxy_of(url, user, password).ok_or_else(|| {
                tracing::warn!(backend = %id, "the backend's proxy URL is not an http:// URL with a host; its calls fail");
                PROXY_UNUSABLE
            })?),
            None => None,
        };
        let config = client_config(key.verify_tls, identity).map_err(|err| {
            tracing::warn!(backend = %id, %err, "the backend's client certificate is refused by TLS; its calls fail");
            KEY_UNUSABLE
        })?;
        Ok(link(config, proxy))
    }

    /// Drops the cached clients that no key in `used` names.
    pub fn keep_only(&self, used: &HashSet<TransportKey>) {
        self.cache().retain(|key, _| used.contains(key));
    }

    /// The public key of an uploaded certificate, opened once and kept by thumbprint. The
    /// error says why there is none, without secrets.
    pub fn public_key(
        &self,
        thumbprint: &str,
        sealed: &SealedCertificate,
    ) -> Result<CertificateKey, String> {
        let mut keys = self
            .public_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(key) = keys.get(thumbprint) {
            return Ok(key.clone());
        }
        let material = self.open_material(thumbprint, sealed)?;
        let key = material
            .chain
            .first()
            .and_then(|leaf| certificate_key(leaf))
            .ok_or("the certificate's key is neither RSA nor EC (uncompressed)")?;
        keys.insert(thumbprint.to_owned(), key.clone());
        Ok(key)
    }

    /// A PKCS#12 file given by a policy, opened once (per node, file and password) and sealed
    /// like an uploaded certificate: its thumbprint and sealed key material. The error says why
    /// it cannot be used, without secrets.
    pub fn inline_certificate(
        &self,
        file: &[u8],
        password: &str,
    ) -> Result<(String, SealedCertificate), String> {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(file);
        hash.update([0]);
        hash.update(password.as_bytes());
        let key: [u8; 32] = hash.finalize().into();
        let mut inline = self
            .inline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = inline.get(&key) {
            return Ok(found.clone());
        }
        let parsed = parse_pfx(file, password).map_err(|e| e.to_string())?;
        let sealed = SealedCertificate {
            id: "(policy)".to_owned(),
            key_material: self.sealer.seal(
                &Certificate::sealing_purpose(&parsed.thumbprint),
                parsed.key_material.to_pem().as_bytes(),
            ),
        };
        if inline.len() >= MAX_INLINE {
            inline.clear();
        }
        let opened = (parsed.thumbprint, sealed);
        inline.insert(key, opened.clone());
        Ok(opened)
    }

    /// Opens a certificate's sealed key material.
    fn open_material(
        &self,
        thumbprint: &str,
        sealed: &SealedCertificate,
    ) -> Result<KeyMaterial, String> {
        let purpose = Certificate::sealing_purpose(thumbprint);
        let pem = self
            .sealer
            .open(&purpose, &sealed.key_material)
            .map_err(|e| e.to_string())?;
        std::str::from_utf8(&pem)
            .ok()
            .and_then(KeyMaterial::from_pem)
            .ok_or_else(|| "the opened key material is not a key and certificates".to_owned())
    }

    /// Opens a certificate's sealed key material into a TLS identity. The error says why, without
    /// secrets.
    fn open(&self, thumbprint: &str, sealed: &SealedCertificate) -> Result<Identity, String> {
        let material = self.open_material(thumbprint, sealed)?;
        let chain = material
            .chain
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(material.private_key));
        Ok((chain, key))
    }
}

/// What distinguishes the client of backend entity `id`, and the certificate it presents: of
/// several listed thumbprints, the first that names a stored certificate.
fn key_of<'a>(
    id: &str,
    backend: &Backend,
    certificates: &'a HashMap<String, SealedCertificate>,
) -> Result<(TransportKey, Option<&'a SealedCertificate>), Unusable> {
    let listed = backend
        .credentials
        .as_ref()
        .and_then(|c| c.certificate.as_deref())
        .unwrap_or_default();
    let found = listed.iter().find_map(|thumbprint| {
        let thumbprint = thumbprint.to_ascii_uppercase();
        certificates.get(&thumbprint).map(|c| (thumbprint, c))
    });
    if !listed.is_empty() && found.is_none() {
        tracing::warn!(backend = %id, ?listed, "the backend lists no uploaded certificate; its calls fail");
        return Err(NO_CERTIFICATE);
    }
    let (certificate, sealed) = found.unzip();
    let key = TransportKey {
        certificate,
        ..TransportKey::of_backend(backend)
    };
    Ok((key, sealed))
}

/// The proxy a backend entity names: an `http` URL with a host; `Basic` credentials when a user
/// name or password is set.
fn proxy_of(url: &str, user: &Option<String>, password: &Option<String>) -> Option<Proxy> {
    let address: Uri = url.parse().ok()?;
    if address.scheme() != Some(&Scheme::HTTP) || address.host().is_none_or(str::is_empty) {
        return None;
    }
    let authorization = match (user, password) {
        (None, None) => None,
        _ => {
            let pair = format!(
                "{}:{}",
                user.as_deref().unwrap_or(""),
                password.as_deref().unwrap_or("")
            );
            let text = base64::engine::general_purpose::STANDARD.encode(pair);
            let mut value = HeaderValue::from_str(&format!("Basic {text}")).ok()?;
            value.set_sensitive(true);
            Some(value)
        }
    };
    Some(Proxy {
        address,
        authorization,
    })
}

/// A new link with TLS `config` and, if given, `proxy`.
fn link(config: rustls::ClientConfig, proxy: Option<Proxy>) -> Link {
    let proxied = proxy.is_some();
    let proxy_authorization = proxy.as_ref().and_then(|p| p.authorization.clone());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(BackendConnector::new(http_connector(), proxy));
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    Link {
        id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        connector: https,
        proxied,
        proxy_authorization,
    }
}

/// The TCP side of the backend clients.
fn http_connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(crate::CONNECT_TIMEOUT));
    connector.set_nodelay(true);
    connector.enforce_http(false);
    connector
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_auth::seal::ServerSecret;

    fn backend(json: serde_json::Value) -> Backend {
        serde_json::from_value(json).unwrap()
    }

    const THUMBPRINT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

    #[test]
    fn clients_are_cached_by_what_distinguishes_them_and_dropped_when_unused() {
        let transports = Transports::new(Sealer::new(&ServerSecret::generate()));
        let certificates = HashMap::new();
        let mut used = HashSet::new();
        let plain = backend(serde_json::json!({"url": "http://a", "protocol": "http"}));
        let link = transports
            .link("a", &plain, &certificates, &mut used)
            .unwrap();
        assert!(!link.proxied);
        assert!(used.is_empty(), "the default client is not cached");
        let unverified = backend(serde_json::json!({"url": "https://b", "protocol": "http",
            "tls": {"validateCertificateName": false}}));
        let proxied = backend(serde_json::json!({"url": "http://c", "protocol": "http",
            "proxy": {"url": "http://proxy:3128", "username": "ann", "password": "pw"}}));
        for (id, entity) in [("b", &unverified), ("b2", &unverified), ("c", &proxied)] {
            transports
                .link(id, entity, &certificates, &mut used)
                .unwrap();
        }
        assert_eq!((used.len(), transports.cache().len()), (2, 2));
        let link = transports
            .link("c", &proxied, &certificates, &mut used)
            .unwrap();
        assert!(link.proxied && link.proxy_authorization.is_some());
        // A rebuild that needs only the unverified client drops the proxied one.
        let mut next = HashSet::new();
        transports
            .link("b", &unverified, &certificates, &mut next)
            .unwrap();
        transports.keep_only(&next);
        assert_eq!(transports.cache().len(), 1);
    }

    #[test]
    fn policy_links_are_built_on_demand_and_cached_until_the_routes_are_read() {
        let transports = Transports::new(Sealer::new(&ServerSecret::generate()));
        let plain = transports.link_for(&TransportKey::plain(), None).unwrap();
        assert_eq!(plain.id, transports.default_link().id);
        let proxied = TransportKey::plain().with_proxy(
            "http://proxy:3128".into(),
            Some("ann".into()),
            Some("pw".into()),
        );
        let first = transports.link_for(&proxied, None).unwrap();
        let again = transports.link_for(&proxied, None).unwrap();
        assert!(first.proxied && first.id == again.id, "built once");
        assert!(
            !format!("{proxied:?}").contains("pw"),
            "Debug hides credentials"
        );
        transports.keep_only(&HashSet::new());
        assert_ne!(transports.link_for(&proxied, None).unwrap().id, first.id);
        let https_proxy = TransportKey::plain().with_proxy("https://p".into(), None, None);
        assert_eq!(
            transports.link_for(&https_proxy, None).unwrap_err(),
            PROXY_UNUSABLE
        );
    }

    #[test]
    fn unusable_certificates_and_proxies_are_reported() {
        let sealer = Sealer::new(&ServerSecret::generate());
        let transports = Transports::new(sealer.clone());
        let mut used = HashSet::new();
        let listing = backend(serde_json::json!({"url": "https://a", "protocol": "http",
            "credentials": {"certificate": [THUMBPRINT.to_lowercase()]}}));
        let mut certificates = HashMap::new();
        let none = transports.link("a", &listing, &certificates, &mut used);
        assert_eq!(none.unwrap_err(), NO_CERTIFICATE);
        // Sealed under another secret, or not key material once opened.
        let purpose = Certificate::sealing_purpose(THUMBPRINT);
        let other = Sealer::new(&ServerSecret::generate());
        for key_material in [
            other.seal(&purpose, b"-----BEGIN PRIVATE KEY-----\n"),
            sealer.seal(&purpose, b"not PEM"),
        ] {
            let id = "c".to_owned();
            certificates.insert(
                THUMBPRINT.to_owned(),
                SealedCertificate { id, key_material },
            );
            let opened = transports.link("a", &listing, &certificates, &mut used);
            assert_eq!(opened.unwrap_err(), KEY_UNUSABLE);
        }
        let tls_proxy = backend(serde_json::json!({"url": "http://a", "protocol": "http",
            "proxy": {"url": "https://proxy:3128"}}));
        let refused = transports.link("a", &tls_proxy, &certificates, &mut used);
        assert_eq!(refused.unwrap_err(), PROXY_UNUSABLE);
        assert!(used.is_empty() && transports.cache().is_empty());
    }

    #[test]
    fn proxies_are_http_urls_with_basic_credentials() {
        let none = proxy_of("http://proxy:3128", &None, &None).unwrap();
        assert!(none.authorization.is_none());
        let basic = proxy_of(
            "http://proxy:3128/",
            &Some("ann".into()),
            &Some("s3cret".into()),
        )
        .unwrap();
        let value = basic.authorization.unwrap();
        assert!(value.is_sensitive());
        // base64("ann:s3cret")
        assert_eq!(value, "Basic YW5uOnMzY3JldA==");
        assert!(proxy_of("https://proxy:3128", &None, &None).is_none());
        assert!(proxy_of("not a url", &None, &None).is_none());
    }
}
