//! TLS on the listening port (`[server.tls]`): `wss://` and `https://` served by rustls (the
//! `ring` provider), HTTP/1.1 by ALPN. [`Tls`] is a cheap handle: new handshakes take the current
//! certificate from it, and [`Tls::reload`] swaps that certificate without touching open
//! connections (a bad new one leaves the old one serving). [`Tls::watch`] reloads on SIGHUP and
//! when the files change. The handshake itself runs in each connection's own task, in the accept
//! path (`http/serve.rs`); everything after it is the same code as plain TCP.

mod certs;
mod watch;

use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

pub use certs::TlsError;

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
        Ok(Self {
            files: Arc::new(files.clone()),
            current,
            server: Arc::new(server),
        })
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

    /// What the accept loop hands each new connection to.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }
}

pub(crate) use watch::watch;
