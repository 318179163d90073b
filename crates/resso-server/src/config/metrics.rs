//! `[metrics]`: the Prometheus endpoint — on the main port by default, or on an address of its own
//! (keep it off a public port), optionally behind a bearer token, under a name prefix (`soketi_`
//! makes an existing Soketi dashboard work).

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Serve `GET /metrics`.
    pub enabled: bool,
    /// Prepended to every metric name.
    pub prefix: String,
    /// Serve `/metrics` on this port (and `host`) instead of the main port.
    pub port: Option<u16>,
    /// The address of the separate metrics listener.
    pub host: String,
    /// Required as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            prefix: "resso_".into(),
            port: None,
            host: "127.0.0.1".into(),
            token: None,
        }
    }
}

impl MetricsConfig {
    /// Checks the prefix makes valid metric names.
    ///
    /// # Errors
    /// A prefix with characters Prometheus names cannot hold.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let valid = self.prefix.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        });
        if !valid {
            return Err(invalid(
                "metrics.prefix",
                "letters, digits (not first), '_' and ':' only",
            ));
        }
        Ok(())
    }
}
