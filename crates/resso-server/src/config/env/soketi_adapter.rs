//! Soketi's adapter as Ressò's cluster: `local` is a single node, `redis` a cluster over the
//! Redis of `SOKETI_DB_REDIS_*` (where Soketi's Redis adapter connects), `nats` one over
//! `SOKETI_ADAPTER_NATS_*`. A prefix keeps clusters on one broker apart, as Soketi's does.

use serde_json::Value;

use super::parse;
use super::reader::Reader;
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::{invalid, Backend, ConfigError};

const DRIVER: &str = "SOKETI_ADAPTER_DRIVER";
/// How long Soketi's nodes wait for each other's answers.
const REQUEST_TIMEOUTS: [&str; 3] = [
    "SOKETI_ADAPTER_CLUSTER_REQUESTS_TIMEOUT",
    "SOKETI_ADAPTER_REDIS_REQUESTS_TIMEOUT",
    "SOKETI_ADAPTER_NATS_REQUESTS_TIMEOUT",
];

/// Applies `SOKETI_ADAPTER_DRIVER` and the variables of the chosen adapter.
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let Some(driver) = r.var(DRIVER) else {
        return Ok(());
    };
    let (backend, url, origin) = match driver.trim() {
        "local" => (Backend::None, None, DRIVER.to_owned()),
        "cluster" => {
            r.unhonoured(
                DRIVER,
                "'cluster' links the processes of one machine; Ressò uses every core in one \
                 process, so it runs as 'local'",
            );
            (Backend::None, None, DRIVER.to_owned())
        }
        "redis" => {
            let (url, origin) = redis(r)?;
            prefix(l, r, "SOKETI_ADAPTER_REDIS_PREFIX");
            (Backend::Redis, Some(url), origin)
        }
        "nats" => {
            let (url, origin) = nats(r)?;
            prefix(l, r, "SOKETI_ADAPTER_NATS_PREFIX");
            (Backend::Nats, Some(url), origin)
        }
        other => {
            return Err(invalid(
                DRIVER,
                format!("{other:?} is not local, cluster, redis or nats"),
            ))
        }
    };
    for name in REQUEST_TIMEOUTS {
        if r.var(name).is_some() {
            r.unhonoured(
                name,
                "Ressò's nodes keep a replica of each other's state, so no request waits",
            );
        }
    }
    l.config.cluster.backend = backend;
    l.record("cluster.backend", Origin::env(DRIVER));
    if let Some(url) = url {
        l.config.cluster.url = Some(url);
        l.record("cluster.url", Origin::Env(origin));
    }
    Ok(())
}

fn prefix(l: &mut Loaded, r: &mut Reader, name: &str) {
    if let Some(prefix) = r.var(name) {
        l.config.cluster.prefix = format!("{prefix}#");
        l.record("cluster.prefix", Origin::env(name));
    }
}

/// The URL of Soketi's Redis (defaults 127.0.0.1:6379, database 0) and what made it.
fn redis(r: &mut Reader) -> Result<(String, String), ConfigError> {
    let host = r.var("SOKETI_DB_REDIS_HOST");
    let port = r.parsed("SOKETI_DB_REDIS_PORT", parse::port)?;
    let db = r.parsed("SOKETI_DB_REDIS_DB", parse::number)?;
    let user = r.var("SOKETI_DB_REDIS_USERNAME");
    let password = r.var("SOKETI_DB_REDIS_PASSWORD");
    if r.parsed("SOKETI_ADAPTER_REDIS_CLUSTER_MODE", parse::boolean)? == Some(true) {
        r.unhonoured(
            "SOKETI_ADAPTER_REDIS_CLUSTER_MODE",
            "Redis Cluster is not supported: the one Redis of SOKETI_DB_REDIS_HOST is used",
        );
    }
    for name in [
        "SOKETI_ADAPTER_REDIS_PUB_OPTIONS",
        "SOKETI_ADAPTER_REDIS_SUB_OPTIONS",
    ] {
        if r.var(name).is_some() {
            r.unhonoured(name, "ioredis options are not read");
        }
    }
    let url = parse::redis_url(
        false,
        (host.as_deref().unwrap_or("127.0.0.1"), port.unwrap_or(6379)),
        (user.as_deref(), password.as_deref()),
        db.unwrap_or(0),
    );
    let set = [
        ("SOKETI_DB_REDIS_HOST", host.is_some()),
        ("SOKETI_DB_REDIS_PORT", port.is_some()),
        ("SOKETI_DB_REDIS_DB", db.is_some()),
        ("SOKETI_DB_REDIS_USERNAME", user.is_some()),
        ("SOKETI_DB_REDIS_PASSWORD", password.is_some()),
    ];
    Ok((url, origin_of(&set)))
}

/// The URL of the first of Soketi's NATS servers (default 127.0.0.1:4222) with its credentials;
/// the client learns the cluster's other servers from it once connected.
fn nats(r: &mut Reader) -> Result<(String, String), ConfigError> {
    const SERVERS: &str = "SOKETI_ADAPTER_NATS_SERVERS";
    let listed = r.var(SERVERS);
    let servers = match listed.as_deref().map(serde_json::from_str::<Value>) {
        None => vec!["127.0.0.1:4222".to_owned()],
        Some(Ok(Value::Array(items))) => items
            .into_iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid(SERVERS, "must be a JSON array of \"host:port\" strings"))?,
        Some(Ok(Value::String(one))) => vec![one],
        Some(_) => vec![listed.clone().unwrap_or_default()],
    };
    let Some(first) = servers.first() else {
        return Err(invalid(SERVERS, "names no server"));
    };
    if servers.len() > 1 {
        r.unhonoured(
            SERVERS,
            "only the first server is dialled; the client learns the others from it",
        );
    }
    let user = r.var("SOKETI_ADAPTER_NATS_USER");
    let password = r.var("SOKETI_ADAPTER_NATS_PASSWORD");
    let token = r.var("SOKETI_ADAPTER_NATS_TOKEN");
    for name in [
        "SOKETI_ADAPTER_NATS_TIMEOUT",
        "SOKETI_ADAPTER_NATS_NODES_NUMBER",
    ] {
        if r.var(name).is_some() {
            r.unhonoured(
                name,
                "the NATS link retries its connection by itself and counts no nodes",
            );
        }
    }
    let auth = match (&user, &password, &token) {
        (None, None, Some(token)) => (Some(token.as_str()), None),
        _ => (user.as_deref(), password.as_deref()),
    };
    let (scheme, address) = first.split_once("://").unwrap_or(("nats", first.as_str()));
    let url = format!("{scheme}://{}{address}", parse::userinfo(auth));
    let set = [
        (SERVERS, listed.is_some()),
        ("SOKETI_ADAPTER_NATS_USER", user.is_some()),
        ("SOKETI_ADAPTER_NATS_PASSWORD", password.is_some()),
        ("SOKETI_ADAPTER_NATS_TOKEN", token.is_some()),
    ];
    Ok((url, origin_of(&set)))
}

/// The variables that were set, or the driver's when none was (the adapter's defaults).
fn origin_of(set: &[(&str, bool)]) -> String {
    let names: Vec<&str> = set.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    if names.is_empty() {
        format!("{DRIVER} (Soketi's defaults)")
    } else {
        names.join(", ")
    }
}
