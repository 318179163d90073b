use std::collections::HashMap;

use crate::config::{load, Driver, MapEnv, Sources};

fn loaded(vars: &[(&'static str, &'static str)]) -> crate::config::Loaded {
    load(
        &Sources::default(),
        &MapEnv(HashMap::from_iter(vars.iter().copied())),
    )
    .unwrap()
}

#[test]
fn soketis_sql_app_manager_becomes_the_app_store() {
    let l = loaded(&[
        ("SOKETI_APP_MANAGER_DRIVER", "postgres"),
        ("SOKETI_DB_POSTGRES_HOST", "db.internal"),
        ("SOKETI_DB_POSTGRES_PASSWORD", "p@ss"),
        ("SOKETI_DB_POSTGRES_DATABASE", "soketi"),
        ("SOKETI_APP_MANAGER_POSTGRES_TABLE", "tenants"),
        ("SOKETI_APP_MANAGER_CACHE_ENABLED", "true"),
        ("SOKETI_APP_MANAGER_CACHE_TTL", "30"),
        ("SOKETI_DB_POOLING_ENABLED", "true"),
        ("SOKETI_DB_POOLING_MAX", "8"),
        ("SOKETI_PRESENCE_MAX_MEMBERS", "7"),
    ]);
    let store = l.config.app_store.as_ref().unwrap();
    assert_eq!(
        store.url,
        "postgres://postgres:p%40ss@db.internal:5432/soketi"
    );
    assert_eq!(store.driver(), Some(Driver::Postgres));
    assert_eq!(
        (store.table.as_str(), store.cache_ttl_secs),
        ("tenants", 30)
    );
    assert_eq!((store.pool_size, store.limits.presence_members), (8, 7));
    // No app in the file: the database's apps are the apps, no development app is made.
    assert!(l.config.apps.is_empty() && l.development_app().is_none());
}

#[test]
fn mysql_defaults_are_soketis_and_an_unknown_driver_is_named() {
    let l = loaded(&[("SOKETI_APP_MANAGER_DRIVER", "mysql")]);
    let store = l.config.app_store.as_ref().unwrap();
    assert_eq!(store.url, "mysql://root:password@127.0.0.1:3306/main");
    assert_eq!(store.cache_ttl_secs, 1, "Soketi's cache is off by default");
    let l = loaded(&[
        ("SOKETI_APP_MANAGER_DRIVER", "dynamodb"),
        ("SOKETI_HOST", "127.0.0.1"),
    ]);
    assert!(l.config.app_store.is_none());
    let warned = format!("{:?}", l.warnings);
    assert!(warned.contains("SOKETI_APP_MANAGER_DRIVER"), "{warned}");
}

#[test]
fn resso_url_wins() {
    let l = loaded(&[
        ("SOKETI_APP_MANAGER_DRIVER", "mysql"),
        ("RESSO_APP_STORE_URL", "postgres://u@h/db"),
    ]);
    assert_eq!(l.config.app_store.unwrap().url, "postgres://u@h/db");
}
