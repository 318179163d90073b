//! The app store from the environment: Ressò's `RESSO_APP_STORE_URL`, or Soketi's SQL app
//! managers (`SOKETI_APP_MANAGER_DRIVER=mysql|postgres` with `SOKETI_DB_MYSQL_*` /
//! `SOKETI_DB_POSTGRES_*`, Soketi's defaults where unset), their table names, cache and pool.

use super::parse;
use super::reader::Reader;
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::{AppStoreConfig, ConfigError};

const DRIVER: &str = "SOKETI_APP_MANAGER_DRIVER";
const RESSO_URL: &str = "RESSO_APP_STORE_URL";

/// One of Soketi's SQL drivers: its URL scheme, variable family, defaults and table variable.
struct Sql {
    scheme: &'static str,
    family: &'static str,
    port: u16,
    user: &'static str,
    table: &'static str,
    ignored: &'static [&'static str],
}

const MYSQL: Sql = Sql {
    scheme: "mysql",
    family: "SOKETI_DB_MYSQL_",
    port: 3306,
    user: "root",
    table: "SOKETI_APP_MANAGER_MYSQL_TABLE",
    ignored: &[
        "SOKETI_APP_MANAGER_MYSQL_VERSION",
        "SOKETI_APP_MANAGER_MYSQL_USE_V2",
    ],
};

const POSTGRES: Sql = Sql {
    scheme: "postgres",
    family: "SOKETI_DB_POSTGRES_",
    port: 5432,
    user: "postgres",
    table: "SOKETI_APP_MANAGER_POSTGRES_TABLE",
    ignored: &["SOKETI_APP_MANAGER_POSTGRES_VERSION"],
};

/// Applies `RESSO_APP_STORE_URL` and Soketi's app manager variables.
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    soketi(l, r)?;
    if let Some(url) = r.var(RESSO_URL) {
        match &mut l.config.app_store {
            Some(store) => store.url = url,
            None => l.config.app_store = Some(AppStoreConfig::at(url)),
        }
        l.record("app_store.url", Origin::env(RESSO_URL));
    }
    Ok(())
}

fn soketi(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let sql = match r.var(DRIVER).as_deref().map(str::trim) {
        None | Some("array") => return Ok(()),
        Some("mysql") => MYSQL,
        Some("postgres") => POSTGRES,
        Some(other) => {
            let why = format!("the {other:?} app manager is not supported: mysql or postgres");
            r.unhonoured(DRIVER, why);
            return Ok(());
        }
    };
    let mut store = AppStoreConfig::at(url(&sql, r)?);
    if let Some(table) = r.var(sql.table) {
        store.table = table;
        l.record("app_store.table", Origin::env(sql.table));
    }
    for name in sql.ignored {
        let _ = r.var(name); // Knex's settings: nothing to do for Ressò's drivers
    }
    if cache(&mut store, r)? {
        l.record(
            "app_store.cache_ttl_secs",
            Origin::env("SOKETI_APP_MANAGER_CACHE_ENABLED"),
        );
    }
    if r.parsed("SOKETI_DB_POOLING_ENABLED", parse::boolean)? == Some(true) {
        let _ = r.var("SOKETI_DB_POOLING_MIN");
        if let Some(max) = r.parsed("SOKETI_DB_POOLING_MAX", parse::number::<u32>)? {
            store.pool_size = max.max(1);
            l.record("app_store.pool_size", Origin::env("SOKETI_DB_POOLING_MAX"));
        }
    }
    l.config.app_store = Some(store);
    l.record("app_store.url", Origin::env(DRIVER));
    Ok(())
}

/// The database URL from Soketi's variables and defaults.
fn url(sql: &Sql, r: &mut Reader) -> Result<String, ConfigError> {
    let var = |r: &mut Reader, name: &str| r.var(&format!("{}{name}", sql.family));
    let host = var(r, "HOST").unwrap_or_else(|| "127.0.0.1".into());
    let port_name = format!("{}PORT", sql.family);
    let port = r.parsed(&port_name, parse::port)?.unwrap_or(sql.port);
    let user = var(r, "USERNAME").unwrap_or_else(|| sql.user.into());
    let password = var(r, "PASSWORD").unwrap_or_else(|| "password".into());
    let database = var(r, "DATABASE").unwrap_or_else(|| "main".into());
    let auth = parse::userinfo((Some(&user), Some(&password)));
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(format!("{}://{auth}{host}:{port}/{database}", sql.scheme))
}

/// Soketi's cache: on with a TTL in seconds; off (its default), a lookup per connection, which
/// Ressò approaches with a one-second TTL. Returns whether a cache variable was set.
fn cache(store: &mut AppStoreConfig, r: &mut Reader) -> Result<bool, ConfigError> {
    let enabled = r.parsed("SOKETI_APP_MANAGER_CACHE_ENABLED", parse::boolean)?;
    let ttl = r.parsed("SOKETI_APP_MANAGER_CACHE_TTL", parse::number::<i64>)?;
    store.cache_ttl_secs = match (enabled, ttl) {
        (Some(true), Some(secs)) if secs > 0 => secs.unsigned_abs(),
        (Some(true), _) => store.cache_ttl_secs,
        _ => 1,
    };
    Ok(enabled.is_some() || ttl.is_some())
}
