//! `[server.tls]`: where the certificate and key live, and an optional plain port beside the TLS
//! one. Only the shape is checked here; the files are read (and a bad certificate refused, naming
//! the file) by the `tls` module before anything listens, and again on every reload.

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

/// TLS on the listening port: `wss://` and `https://` on `server.port`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, the server's certificate first.
    pub cert: String,
    /// PEM file with the private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not encrypted.
    pub key: String,
    /// A second, plain (`ws://`, `http://`) listener on this port, same host; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain_port: Option<u16>,
}

impl TlsConfig {
    /// Checks what serde cannot: both paths given, the plain port not the TLS one.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field.
    pub fn validate(&self, port: u16) -> Result<(), ConfigError> {
        if self.cert.trim().is_empty() {
            return Err(invalid(
                "server.tls.cert",
                "must name a PEM certificate file",
            ));
        }
        if self.key.trim().is_empty() {
            return Err(invalid(
                "server.tls.key",
                "must name a PEM private key file",
            ));
        }
        if self
            .plain_port
            .is_some_and(|plain| plain == port && port != 0)
        {
            return Err(invalid(
                "server.tls.plain_port",
                format!("must differ from server.port ({port}), which serves TLS"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn a_tls_table_is_read_and_checked() {
        let c = Config::from_toml(
            "[server]\nport = 443\n[server.tls]\ncert = 'c.pem'\nkey = 'k.pem'\nplain_port = 80\n",
            "t",
        )
        .unwrap();
        let tls = c.server.tls.as_ref().unwrap();
        assert_eq!((tls.cert.as_str(), tls.plain_port), ("c.pem", Some(80)));
        c.validate().unwrap();
        let same = "[server]\nport = 443\n[server.tls]\ncert = 'c'\nkey = 'k'\nplain_port = 443\n";
        let err = Config::from_toml(same, "t")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("server.tls.plain_port"), "{err}");
        let no_key = Config::from_toml("[server.tls]\ncert = 'c'\n", "t").unwrap_err();
        assert!(no_key.to_string().contains("key"), "{no_key}");
    }
}
