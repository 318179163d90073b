//! Server-wide bounds on hostile clients (`[server.limits]`): per-address connection limits, off
//! by default, and how long an HTTP request body may take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

/// `[server.limits]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerLimits {
    /// Most open TCP connections from one address (IPv6: one /64); `None` for no limit.
    pub connections_per_ip: Option<u32>,
    /// Most new TCP connections from one address per one-second window; `None` for no limit.
    pub connects_per_ip_per_second: Option<u32>,
    /// Refuse new connections (Pusher 4100, HTTP 503) while resident memory is above this many
    /// MiB; connected clients keep being served.
    pub max_rss_mb: Option<u64>,
    /// Milliseconds an HTTP request body may take to arrive, from the end of its head.
    pub request_body_timeout_ms: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            connections_per_ip: None,
            connects_per_ip_per_second: None,
            max_rss_mb: None,
            request_body_timeout_ms: 10_000,
        }
    }
}

impl ServerLimits {
    /// Whether any per-address limit is on.
    #[must_use]
    pub const fn per_ip(&self) -> bool {
        self.connections_per_ip.is_some() || self.connects_per_ip_per_second.is_some()
    }

    #[must_use]
    pub const fn request_body_timeout(&self) -> Duration {
        Duration::from_millis(self.request_body_timeout_ms)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let field = |name: &str| format!("server.limits.{name}");
        for (name, value) in [
            ("connections_per_ip", self.connections_per_ip),
            (
                "connects_per_ip_per_second",
                self.connects_per_ip_per_second,
            ),
        ] {
            if value == Some(0) {
                return Err(invalid(
                    field(name),
                    "must be at least 1 (leave it out for no limit)",
                ));
            }
        }
        if self.request_body_timeout_ms == 0 {
            return Err(invalid(
                field("request_body_timeout_ms"),
                "must be at least 1",
            ));
        }
        if self.max_rss_mb == Some(0) {
            return Err(invalid(
                field("max_rss_mb"),
                "must be at least 1 (leave it out for no ceiling)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn limits_parse_and_zero_is_refused() {
        let c = Config::from_toml("[server.limits]\nconnections_per_ip = 50\n", "t").unwrap();
        assert_eq!(c.server.limits.connections_per_ip, Some(50));
        assert!(c.server.limits.per_ip());
        c.validate().unwrap();
        let zero = Config::from_toml("[server.limits]\nconnects_per_ip_per_second = 0\n", "t");
        let error = zero.unwrap().validate().unwrap_err().to_string();
        assert!(
            error.contains("server.limits.connects_per_ip_per_second"),
            "{error}"
        );
    }
}
