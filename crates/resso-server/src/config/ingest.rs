//! `[apps.ingest]`: where an app's Laravel `redis` broadcaster publishes, so Ressò can relay those
//! events to the app's clients. Laravel publishes each event to `{prefix}{channel}`, with `prefix`
//! its `database.redis.options.prefix`; it varies with `APP_NAME` and the Laravel version, so it is
//! stated here rather than guessed.

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

/// Typical prefixes, named in the error for a prefix that looks mistyped.
const LARAVEL_PREFIXES: [&str; 2] = ["laravel_database_", "laravel-database-"];

/// Subscribing to Laravel's `redis` broadcaster for one app.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// The Redis Laravel publishes to: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS.
    pub url: String,
    /// Laravel's key prefix (`laravel_database_` up to Laravel 10, `laravel-database-` since 11,
    /// derived from `APP_NAME`; empty when `REDIS_PREFIX=""`). Stripped from the Redis channel.
    #[serde(default)]
    pub prefix: String,
}

impl IngestConfig {
    /// A subscription to `url` with `prefix`.
    #[must_use]
    pub fn new(url: &str, prefix: &str) -> Self {
        Self {
            url: url.into(),
            prefix: prefix.into(),
        }
    }

    /// The `PSUBSCRIBE` pattern: the prefix with Redis glob characters escaped, then `*`.
    #[must_use]
    pub fn pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.prefix.len() + 1);
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        pattern
    }

    /// Checks the URL's scheme and that the prefix cannot be a channel name of its own.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `{field}.url` or `{field}.prefix`.
    pub fn validate(&self, field: &str) -> Result<(), ConfigError> {
        if !(self.url.starts_with("redis://") || self.url.starts_with("rediss://")) {
            return Err(invalid(
                format!("{field}.url"),
                "must start with redis:// or rediss://",
            ));
        }
        if redis::Client::open(self.url.as_str()).is_err() {
            return Err(invalid(format!("{field}.url"), "is not a valid Redis URL"));
        }
        if self
            .prefix
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid(
                format!("{field}.prefix"),
                format!(
                    "must not contain spaces or control characters (Laravel's are like {})",
                    LARAVEL_PREFIXES.join(" or ")
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn parses_and_validates() {
        let text = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n\
                    ingest = { url = 'redis://:pw@127.0.0.1:6379/2', prefix = 'laravel_database_' }\n";
        let c = Config::from_toml(text, "t").unwrap();
        c.validate().unwrap();
        let ingest = c.apps[0].ingest.as_ref().unwrap();
        assert_eq!(ingest.prefix, "laravel_database_");
        assert_eq!(ingest.pattern(), "laravel_database_*");
        let bare = Config::from_toml(
            "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n[apps.ingest]\nurl='rediss://h'\n",
            "t",
        )
        .unwrap();
        assert_eq!(bare.apps[0].ingest.as_ref().unwrap().pattern(), "*");
    }

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(
            IngestConfig::new("redis://h", "a*b?[c]\\").pattern(),
            "a\\*b\\?\\[c\\]\\\\*"
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        let err = |url: &str, prefix: &str| {
            IngestConfig::new(url, prefix)
                .validate("apps[0].ingest")
                .unwrap_err()
                .to_string()
        };
        assert!(err("http://h", "").contains("apps[0].ingest.url"));
        assert!(err("redis://h:notaport", "").contains("apps[0].ingest.url"));
        assert!(err("redis://h", "my app ").contains("apps[0].ingest.prefix"));
        let unknown =
            "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n[apps.ingest]\nurl='redis://h'\nkeyPrefix=''\n";
        let e = Config::from_toml(unknown, "t").unwrap_err().to_string();
        assert!(e.contains("keyPrefix"), "{e}");
    }
}
