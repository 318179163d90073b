//! Choosing the driver from the settings a Laravel app already has: `BROADCAST_CONNECTION` (or the
//! older `BROADCAST_DRIVER`) = `reverb` | `pusher` | `redis` | `log` | `null`, with `REVERB_*`,
//! `PUSHER_*` and `REDIS_*`. Read once into a typed [`DriverConfig`]; a missing or bad value is an
//! error naming the variable.

use crate::auth::Credentials;
use crate::driver::{Driver, PusherClient, PusherConfig, RedisConfig, RedisDriver};
use crate::encrypt::{MasterKey, MasterKeyError};

/// Why the settings do not make a driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("unknown broadcast connection {0:?} (expected reverb, pusher, redis, log or null)")]
    UnknownConnection(String),
    #[error("{var} must be a port number, got {value:?}")]
    BadPort { var: &'static str, value: String },
    #[error("{var}: {source}")]
    MasterKey {
        var: &'static str,
        source: MasterKeyError,
    },
    #[error("cannot connect to Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("the {0} broadcast connection has no app key and secret (use reverb or pusher)")]
    NoCredentials(&'static str),
}

/// A driver's settings, before connecting. `Debug` never shows a secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DriverConfig {
    Pusher(PusherConfig),
    Redis(RedisConfig),
    Log,
    Null,
}

impl DriverConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `var` (for tests, or settings kept elsewhere).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let connection = var("BROADCAST_CONNECTION")
            .or_else(|| var("BROADCAST_DRIVER"))
            .unwrap_or_else(|| "null".to_owned());
        match connection.as_str() {
            "reverb" => pusher_like(&var, &REVERB).map(Self::Pusher),
            "pusher" => pusher_like(&var, &PUSHER).map(Self::Pusher),
            "redis" => redis(&var).map(Self::Redis),
            "log" => Ok(Self::Log),
            "null" => Ok(Self::Null),
            _ => Err(ConfigError::UnknownConnection(connection)),
        }
    }

    /// The key and secret channel authorization signs with: the Pusher-protocol connection's.
    ///
    /// # Errors
    /// [`ConfigError::NoCredentials`] for `redis`, `log` and `null`.
    pub fn credentials(&self) -> Result<Credentials, ConfigError> {
        match self {
            Self::Pusher(config) => Ok(config.credentials()),
            Self::Redis(_) => Err(ConfigError::NoCredentials("redis")),
            Self::Log => Err(ConfigError::NoCredentials("log")),
            Self::Null => Err(ConfigError::NoCredentials("null")),
        }
    }

    /// Builds the driver (connecting to Redis for `redis`) and logs at INFO which one it is, so a
    /// missing `BROADCAST_CONNECTION` that falls back to `null` is visible.
    ///
    /// # Errors
    /// A Redis server that cannot be reached.
    pub async fn connect(self) -> Result<Driver, ConfigError> {
        let driver = match self {
            Self::Pusher(config) => Driver::Pusher(PusherClient::new(config)),
            Self::Redis(config) => Driver::Redis(RedisDriver::connect(&config).await?),
            Self::Log => Driver::Log,
            Self::Null => Driver::Null,
        };
        tracing::info!(driver = %driver, "broadcasting through the {} driver", driver.name());
        Ok(driver)
    }
}

/// The variable names of one Pusher-protocol connection.
struct Names {
    id: &'static str,
    key: &'static str,
    secret: &'static str,
    host: &'static str,
    port: &'static str,
    scheme: &'static str,
    master_key: &'static str,
}

const REVERB: Names = Names {
    id: "REVERB_APP_ID",
    key: "REVERB_APP_KEY",
    secret: "REVERB_APP_SECRET",
    host: "REVERB_HOST",
    port: "REVERB_PORT",
    scheme: "REVERB_SCHEME",
    master_key: "REVERB_ENCRYPTION_MASTER_KEY_BASE64",
};

const PUSHER: Names = Names {
    id: "PUSHER_APP_ID",
    key: "PUSHER_APP_KEY",
    secret: "PUSHER_APP_SECRET",
    host: "PUSHER_HOST",
    port: "PUSHER_PORT",
    scheme: "PUSHER_SCHEME",
    master_key: "PUSHER_ENCRYPTION_MASTER_KEY_BASE64",
};

fn pusher_like(
    var: &impl Fn(&str) -> Option<String>,
    n: &Names,
) -> Result<PusherConfig, ConfigError> {
    let need = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
    let host = match var(n.host) {
        Some(host) => host,
        // Laravel's default for hosted Pusher; Reverb has no default host.
        None if n.host == PUSHER.host => {
            let cluster = var("PUSHER_APP_CLUSTER").unwrap_or_else(|| "mt1".to_owned());
            format!("api-{cluster}.pusher.com")
        }
        None => return Err(ConfigError::Missing(n.host)),
    };
    let scheme = var(n.scheme).unwrap_or_else(|| "https".to_owned());
    let port = port(var, n.port, 443)?;
    let mut config = PusherConfig::new(
        format!("{scheme}://{host}:{port}"),
        need(n.id)?,
        need(n.key)?,
        need(n.secret)?,
    );
    if let Some(text) = var(n.master_key) {
        let key = MasterKey::from_base64(&text).map_err(|source| ConfigError::MasterKey {
            var: n.master_key,
            source,
        })?;
        config = config.with_master_key(key);
    }
    Ok(config)
}

fn redis(var: &impl Fn(&str) -> Option<String>) -> Result<RedisConfig, ConfigError> {
    let url = match var("REDIS_URL") {
        Some(url) => url,
        None => {
            let host = var("REDIS_HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
            let port = port(var, "REDIS_PORT", 6379)?;
            let user = var("REDIS_USERNAME").unwrap_or_default();
            match var("REDIS_PASSWORD") {
                Some(password) => format!("redis://{user}:{password}@{host}:{port}"),
                None => format!("redis://{host}:{port}"),
            }
        }
    };
    let prefix = var("REDIS_PREFIX").unwrap_or_else(|| {
        let app = var("APP_NAME").unwrap_or_else(|| "laravel".to_owned());
        format!("{}-database-", slug(&app))
    });
    Ok(RedisConfig { url, prefix })
}

fn port(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u16,
) -> Result<u16, ConfigError> {
    var(name).map_or(Ok(default), |value| {
        value
            .parse()
            .map_err(|_| ConfigError::BadPort { var: name, value })
    })
}

/// Laravel's `Str::slug` for ASCII names: lowercase, runs of other characters become one `-`.
fn slug(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<DriverConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DriverConfig::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn reverb_settings() {
        let c = read(&[
            ("BROADCAST_CONNECTION", "reverb"),
            ("REVERB_APP_ID", "1"),
            ("REVERB_APP_KEY", "k"),
            ("REVERB_APP_SECRET", "s"),
            ("REVERB_HOST", "127.0.0.1"),
            ("REVERB_PORT", "8080"),
            ("REVERB_SCHEME", "http"),
        ])
        .unwrap();
        let DriverConfig::Pusher(p) = c else {
            panic!("expected the Pusher driver, got {c:?}")
        };
        assert_eq!(p.base_url, "http://127.0.0.1:8080");
        assert_eq!(
            (p.app_id.as_str(), p.key.as_str(), p.secret.as_str()),
            ("1", "k", "s")
        );
    }

    #[test]
    fn pusher_defaults_and_older_variable() {
        let c = read(&[
            ("BROADCAST_DRIVER", "pusher"),
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_APP_KEY", "k"),
            ("PUSHER_APP_SECRET", "s"),
            ("PUSHER_APP_CLUSTER", "eu"),
        ])
        .unwrap();
        let DriverConfig::Pusher(p) = c else {
            panic!("expected the Pusher driver, got {c:?}")
        };
        assert_eq!(p.base_url, "https://api-eu.pusher.com:443");
    }

    #[test]
    fn redis_settings_and_prefix() {
        let c = read(&[("BROADCAST_CONNECTION", "redis"), ("APP_NAME", "My App")]).unwrap();
        let DriverConfig::Redis(r) = c else {
            panic!("expected Redis, got {c:?}")
        };
        assert_eq!(r.url, "redis://127.0.0.1:6379");
        assert_eq!(r.prefix, "my-app-database-");
        let c = read(&[
            ("BROADCAST_CONNECTION", "redis"),
            ("REDIS_PASSWORD", "pw"),
            ("REDIS_PORT", "7000"),
            ("REDIS_PREFIX", ""),
        ]);
        // An empty value is passed through by from_vars; from_env treats empty as unset.
        let DriverConfig::Redis(r) = c.unwrap() else {
            panic!("expected Redis")
        };
        assert_eq!(
            (r.url.as_str(), r.prefix.as_str()),
            ("redis://:pw@127.0.0.1:7000", "")
        );
    }

    #[test]
    fn credentials_come_from_the_same_settings() {
        let c = read(&[
            ("BROADCAST_CONNECTION", "reverb"),
            ("REVERB_APP_ID", "1"),
            ("REVERB_APP_KEY", "k"),
            ("REVERB_APP_SECRET", "s3cr3t"),
            ("REVERB_HOST", "127.0.0.1"),
        ])
        .unwrap();
        let creds = c.credentials().unwrap();
        assert_eq!((creds.key.as_str(), creds.secret.as_str()), ("k", "s3cr3t"));
        let e = read(&[("BROADCAST_CONNECTION", "log")])
            .unwrap()
            .credentials();
        assert!(matches!(e, Err(ConfigError::NoCredentials("log"))));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let pusher = read(&[
            ("BROADCAST_CONNECTION", "pusher"),
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_APP_KEY", "k"),
            ("PUSHER_APP_SECRET", "s3cr3t"),
            (
                "PUSHER_ENCRYPTION_MASTER_KEY_BASE64",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
        ])
        .unwrap();
        let redis = read(&[
            ("BROADCAST_CONNECTION", "redis"),
            ("REDIS_URL", "redis://user:pa55word@127.0.0.1:6379/0"),
        ])
        .unwrap();
        for text in [format!("{pusher:?}"), format!("{redis:?}")] {
            for secret in ["s3cr3t", "pa55word", "AAECAwQF"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert!(format!("{redis:?}").contains("redis://user:…@127.0.0.1:6379/0"));
    }

    #[test]
    fn errors_name_the_variable() {
        let e = read(&[("BROADCAST_CONNECTION", "reverb"), ("REVERB_HOST", "h")]).unwrap_err();
        assert_eq!(e.to_string(), "REVERB_APP_ID is not set");
        let e = read(&[("BROADCAST_CONNECTION", "ably")]).unwrap_err();
        assert!(matches!(e, ConfigError::UnknownConnection(_)), "{e}");
        let e = read(&[("BROADCAST_CONNECTION", "redis"), ("REDIS_PORT", "x")]).unwrap_err();
        assert_eq!(e.to_string(), "REDIS_PORT must be a port number, got \"x\"");
        assert!(matches!(read(&[]).unwrap(), DriverConfig::Null));
    }
}
