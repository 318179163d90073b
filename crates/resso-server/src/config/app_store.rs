//! `[app_store]`: apps kept in a PostgreSQL or MySQL/MariaDB table (Soketi's `apps` table read as
//! it is), beside the file's apps. Which database is told by the URL's scheme; the pool, the
//! table names, the cache TTL and how long a lookup may wait are set here.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{invalid, AppLimits, ConfigError};

/// `[app_store]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AppStoreConfig {
    /// `postgres://user:password@host:5432/db` or `mysql://user:password@host:3306/db`;
    /// `?sslmode=require` (PostgreSQL) or `?ssl-mode=required` (MySQL) for TLS.
    pub url: String,
    /// Most connections to the database.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// Soketi's apps table, read as it is.
    #[serde(default = "default_table")]
    pub table: String,
    /// Ressò's own optional table (`app_id`, `settings` JSON) for what Soketi's cannot say.
    #[serde(default)]
    pub settings_table: Option<String>,
    /// Seconds an app (or the list of known keys) is used before the database is asked again:
    /// changes take effect within this time.
    #[serde(default = "default_ttl")]
    pub cache_ttl_secs: u64,
    /// Milliseconds a lookup waits for the database before the client is refused.
    #[serde(default = "default_timeout")]
    pub query_timeout_ms: u64,
    /// The limits of a database app where its columns are NULL (Soketi's server-wide limits).
    #[serde(default)]
    pub limits: AppLimits,
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Postgres,
    MySql,
}

fn default_pool_size() -> u32 {
    5
}

fn default_table() -> String {
    "apps".into()
}

const fn default_ttl() -> u64 {
    10
}

const fn default_timeout() -> u64 {
    1000
}

impl AppStoreConfig {
    /// A store at `url` with every other setting at its default.
    #[must_use]
    pub fn at(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: default_pool_size(),
            table: default_table(),
            settings_table: None,
            cache_ttl_secs: default_ttl(),
            query_timeout_ms: default_timeout(),
            limits: AppLimits::default(),
        }
    }

    /// The database the URL's scheme names.
    #[must_use]
    pub fn driver(&self) -> Option<Driver> {
        match self.url.split_once("://")?.0 {
            "postgres" | "postgresql" => Some(Driver::Postgres),
            "mysql" | "mariadb" => Some(Driver::MySql),
            _ => None,
        }
    }

    #[must_use]
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }

    #[must_use]
    pub fn query_timeout(&self) -> Duration {
        Duration::from_millis(self.query_timeout_ms)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let field = |name: &str| format!("app_store.{name}");
        if self.driver().is_none() {
            return Err(invalid(
                field("url"),
                "must start with postgres://, postgresql://, mysql:// or mariadb://",
            ));
        }
        if self.pool_size == 0 {
            return Err(invalid(field("pool_size"), "must be at least 1"));
        }
        for (name, table) in [
            ("table", Some(&self.table)),
            ("settings_table", self.settings_table.as_ref()),
        ] {
            if table.is_some_and(|t| !is_identifier(t)) {
                return Err(invalid(
                    field(name),
                    "must be a table name of letters, digits, '_' and an optional 'schema.'",
                ));
            }
        }
        if self.cache_ttl_secs == 0 {
            return Err(invalid(field("cache_ttl_secs"), "must be at least 1"));
        }
        if self.query_timeout_ms == 0 {
            return Err(invalid(field("query_timeout_ms"), "must be at least 1"));
        }
        Ok(())
    }
}

/// A table name safe to put in a query: `name` or `schema.name`, of ASCII letters, digits, `_`.
fn is_identifier(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(|c: char| c.is_ascii_digit())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match name.split_once('.') {
        Some((schema, table)) => part(schema) && part(table),
        None => part(name),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn the_section_parses_and_bad_values_name_the_field() {
        let text = "[app_store]\nurl = 'mysql://u:p@127.0.0.1/soketi'\ncache_ttl_secs = 5\n";
        let c = Config::from_toml(text, "t").unwrap();
        let store = c.app_store.as_ref().unwrap();
        assert_eq!(
            (store.driver(), store.table.as_str()),
            (Some(Driver::MySql), "apps")
        );
        let bad = |line: &str| {
            let text = format!("[app_store]\nurl = 'postgres://h/db'\n{line}\n");
            let c = Config::from_toml(&text, "t").unwrap();
            c.app_store.unwrap().validate().unwrap_err().to_string()
        };
        assert!(bad("table = 'apps; drop'").contains("app_store.table"));
        assert!(bad("pool_size = 0").contains("app_store.pool_size"));
        assert!(is_identifier("public.apps") && !is_identifier("1apps"));
        let c = Config::from_toml("[app_store]\nurl = 'redis://x'\n", "t").unwrap();
        assert!(c.app_store.unwrap().validate().is_err());
    }
}
