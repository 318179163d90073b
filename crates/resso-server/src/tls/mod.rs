//! TLS on the listening port (`[server.tls]`): `wss://` and `https://` served by rustls (the
//! `ring` provider), HTTP/1.1 by ALPN. [`Tls`] is a cheap handle: new handshakes take the current
//! certificate from it, and [`Tls::reload`] swaps that certificate without touching open
//! connections (a bad new one leaves the old one serving). [`Tls::watch`] reloads on SIGHUP and
//! when the files change. The handshake itself runs in each connection's own task, in the accept
//! path (`http/serve.rs`), and gives a [`TlsStream`] (our own, on rustls's unbuffered API, so that
//! an idle connection holds no buffer); everything after it is the same code as plain TCP.

mod certs;
mod stream;
mod watch;

use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

pub use certs::TlsError;
pub(crate) use stream::TlsStream;

use crate::config::TlsConfig;

/// The protocol offered by ALPN: WebSocket upgrades and the HTTP API are HTTP/1.1.
const ALPN_HTTP1: &[u8] = b"http/1.1";

/// A certificate source for the TLS listener; clones share it.
#[derive(Clone, Debug)]
pub struct Tls {
    files: Arc<TlsConfig>,
    current: Arc<Current>,
    server: Arc<ServerConfig>,
}

/// The certificate new handshakes get.
#[derive(Debug)]
struct Current {
    key: RwLock<Arc<CertifiedKey>>,
    provider: Arc<CryptoProvider>,
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.key
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

impl Tls {
    /// Reads the certificate chain and key named by `files`.
    ///
    /// # Errors
    /// A [`TlsError`] naming the file and what is wrong with it.
    pub fn load(files: &TlsConfig) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = certs::read(files, &provider)?;
        Ok(Self::with_key(files, provider, key))
    }

    fn with_key(files: &TlsConfig, provider: Arc<CryptoProvider>, key: CertifiedKey) -> Self {
        let current = Arc::new(Current {
            key: RwLock::new(Arc::new(key)),
            provider: provider.clone(),
        });
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        server.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
        // Stateless session tickets: a reconnecting client resumes without a signature, however
        // many clients there are (rustls's default stateful cache remembers 256 sessions).
        match rustls::crypto::ring::Ticketer::new() {
            Ok(ticketer) => server.ticketer = ticketer,
            Err(e) => tracing::warn!("no TLS session tickets: {e}"),
        }
        Self {
            files: Arc::new(files.clone()),
            current,
            server: Arc::new(server),
        }
    }

    /// A certificate for `localhost` made in memory, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let der = made.signing_key.serialize_der();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(der.into());
        let signing = provider.key_provider.load_private_key(key).unwrap();
        let key = CertifiedKey::new(vec![made.cert.der().clone()], signing);
        let files = TlsConfig {
            cert: "memory".into(),
            key: "memory".into(),
            plain_port: None,
        };
        Self::with_key(&files, provider, key)
    }

    /// Reads the files again; new handshakes get the new certificate, open connections keep
    /// theirs. On an error the previous certificate stays.
    ///
    /// # Errors
    /// A [`TlsError`] naming the file and what is wrong with it.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = certs::read(&self.files, &self.current.provider)?;
        *self
            .current
            .key
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// The certificate file, for logs.
    #[must_use]
    pub fn cert_path(&self) -> &str {
        &self.files.cert
    }

    /// The TLS handshake over a new connection, with the current certificate.
    pub(crate) fn accept(
        &self,
        tcp: tokio::net::TcpStream,
    ) -> impl std::future::Future<Output = std::io::Result<TlsStream>> + Send + 'static {
        stream::accept(tcp, self.server.clone())
    }
}

pub(crate) use watch::watch;
