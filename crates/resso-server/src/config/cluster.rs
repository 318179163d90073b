//! `[cluster]`: which broker links the nodes of a cluster (none, Redis or NATS), where it is, and
//! how nodes notice each other's death. Chosen once at start-up.

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

/// The cluster backend.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A single node (the default).
    #[default]
    None,
    /// Redis pub/sub (Redis 6 or 7; `redis://user:pass@host:port/db`, `rediss://` for TLS).
    Redis,
    /// NATS core pub/sub (`nats://user:pass@host:port`).
    Nats,
}

/// Cluster settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    pub backend: Backend,
    /// The broker's URL.
    pub url: Option<String>,
    /// Prefix of the broker channel/subject, so several clusters can share one broker.
    pub prefix: String,
    /// Milliseconds between a node's heartbeats.
    pub heartbeat_ms: u64,
    /// Milliseconds without a heartbeat after which a node is taken for dead and its
    /// connections' presence and occupancy are removed cluster-wide.
    pub node_timeout_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            backend: Backend::None,
            url: None,
            prefix: String::new(),
            heartbeat_ms: 1000,
            node_timeout_ms: 5000,
        }
    }
}

impl ClusterConfig {
    /// Checks that a broker backend has a URL of its scheme and that timeouts make sense.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let schemes: &[&str] = match self.backend {
            Backend::None => return Ok(()),
            Backend::Redis => &["redis://", "rediss://"],
            Backend::Nats => &["nats://", "tls://"],
        };
        let url = self
            .url
            .as_deref()
            .ok_or_else(|| invalid("cluster.url", "is required with a broker backend"))?;
        if !schemes.iter().any(|s| url.starts_with(s)) {
            return Err(invalid(
                "cluster.url",
                format!("must start with {}", schemes.join(" or ")),
            ));
        }
        if self.heartbeat_ms == 0 || self.node_timeout_ms < 2 * self.heartbeat_ms {
            return Err(invalid(
                "cluster.node_timeout_ms",
                "must be at least twice cluster.heartbeat_ms (> 0)",
            ));
        }
        Ok(())
    }
}
