//! Reading a certificate chain and its private key from PEM files into what rustls serves, with
//! an error that names the file and the problem: at start-up it stops the server, on a reload it
//! keeps the previous certificate.

use std::io;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::config::TlsConfig;

/// Why a certificate or key was refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS file {path}: {error}")]
    Read { path: String, error: io::Error },
    #[error("TLS file {path} is not valid PEM: {error}")]
    Pem { path: String, error: pem::Error },
    #[error("TLS certificate file {path} holds no certificate (no PEM `BEGIN CERTIFICATE` block)")]
    NoCertificate { path: String },
    #[error(
        "TLS key file {path} holds no private key (PEM `BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE \
         KEY` or `BEGIN EC PRIVATE KEY`)"
    )]
    NoKey { path: String },
    #[error(
        "TLS key file {path} is encrypted, and passphrases are not supported: decrypt it \
         (openssl pkey -in {path} -out PLAIN_KEY) and keep it readable by Ressò only"
    )]
    Encrypted { path: String },
    #[error("TLS key file {path}: unusable private key: {error}")]
    Key { path: String, error: rustls::Error },
    #[error("TLS certificate file {path}: unusable certificate: {error}")]
    Certificate { path: String, error: rustls::Error },
    #[error("the private key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: String, key: String },
}

/// Reads `files`' chain and key and checks that they belong together.
///
/// # Errors
/// A [`TlsError`] naming the file at fault.
pub fn read(files: &TlsConfig, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let chain = chain(&files.cert)?;
    let key = key(&files.key)?;
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|error| TlsError::Key {
            path: files.key.clone(),
            error,
        })?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        }),
        Err(error) => Err(TlsError::Certificate {
            path: files.cert.clone(),
            error,
        }),
    }
}

fn file(path: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        path: path.to_owned(),
        error,
    })
}

fn chain(path: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = file(path)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Pem {
            path: path.to_owned(),
            error,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

fn key(path: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = file(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|error| match error {
        pem::Error::NoItemsFound if is_encrypted(&pem) => TlsError::Encrypted {
            path: path.to_owned(),
        },
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_owned(),
        },
        error => TlsError::Pem {
            path: path.to_owned(),
            error,
        },
    })
}

/// PKCS#8 `ENCRYPTED PRIVATE KEY`, or OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` header.
fn is_encrypted(pem: &[u8]) -> bool {
    let text = String::from_utf8_lossy(pem);
    text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED")
}
