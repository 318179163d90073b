//! TLS from the environment: Ressò's `RESSO_TLS_CERT` / `RESSO_TLS_KEY` / `RESSO_TLS_PLAIN_PORT`
//! and Soketi's `SOKETI_SSL_CERT` / `SOKETI_SSL_KEY`. A pair sets `[server.tls]`; one of a pair
//! alone replaces that path of a file's `[server.tls]`, and is refused when there is none.

use super::parse;
use super::reader::Reader;
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::{invalid, ConfigError, TlsConfig};

/// Applies one family's certificate and key variables.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the missing half of a pair.
pub fn apply(
    l: &mut Loaded,
    r: &mut Reader,
    cert_var: &str,
    key_var: &str,
) -> Result<(), ConfigError> {
    let (cert, key) = (r.var(cert_var), r.var(key_var));
    let tls = match (cert, key, l.config.server.tls.take()) {
        (None, None, tls) => {
            l.config.server.tls = tls;
            return Ok(());
        }
        (Some(cert), Some(key), tls) => TlsConfig {
            cert,
            key,
            plain_port: tls.and_then(|t| t.plain_port),
        },
        (Some(cert), None, Some(tls)) => TlsConfig { cert, ..tls },
        (None, Some(key), Some(tls)) => TlsConfig { key, ..tls },
        (Some(_), None, None) => return Err(half(key_var, cert_var)),
        (None, Some(_), None) => return Err(half(cert_var, key_var)),
    };
    if r.var(cert_var).is_some() {
        l.record("server.tls.cert", Origin::env(cert_var));
    }
    if r.var(key_var).is_some() {
        l.record("server.tls.key", Origin::env(key_var));
    }
    l.config.server.tls = Some(tls);
    Ok(())
}

/// `RESSO_TLS_PLAIN_PORT`: a plain listener beside the TLS one.
///
/// # Errors
/// [`ConfigError::Invalid`] for a bad port, or with no TLS configured.
pub fn plain_port(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    const NAME: &str = "RESSO_TLS_PLAIN_PORT";
    let Some(port) = r.parsed(NAME, parse::port)? else {
        return Ok(());
    };
    let Some(tls) = &mut l.config.server.tls else {
        return Err(invalid(
            NAME,
            "a plain port beside TLS, but TLS is not configured: set RESSO_TLS_CERT and \
             RESSO_TLS_KEY, or [server.tls] in the config file",
        ));
    };
    tls.plain_port = Some(port);
    l.record("server.tls.plain_port", Origin::env(NAME));
    Ok(())
}

fn half(missing: &str, set: &str) -> ConfigError {
    invalid(
        missing,
        format!("must be set with {set}: TLS needs both the certificate and the private key"),
    )
}
