//! Laravel Reverb's environment, as its `config/reverb.php` reads it: where the server listens
//! (`REVERB_SERVER_HOST`/`REVERB_SERVER_PORT` — never `REVERB_HOST`/`REVERB_PORT`, the public
//! address that Laravel and the browsers use, `ws.example.com:443` behind a proxy), its one app,
//! and scaling over Laravel's Redis (`REDIS_*`), which becomes a Ressò cluster on that Redis.

use super::parse;
use super::reader::Reader;
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::{invalid, AppConfig, Backend, ConfigError};

const APP: [&str; 3] = ["REVERB_APP_ID", "REVERB_APP_KEY", "REVERB_APP_SECRET"];
/// Reverb's per-app variables, honoured only with an app.
const APP_OPTIONS: [&str; 2] = [
    "REVERB_APP_MAX_CONNECTIONS",
    "REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM",
];

/// Applies Reverb's variables; returns whether they configure an app (Reverb's listening defaults
/// then apply).
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<bool, ConfigError> {
    listen(l, r)?;
    server_wide(l, r)?;
    let app = app(l, r)?;
    scaling(l, r)?;
    Ok(app)
}

fn listen(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    if let Some(host) = r.var("REVERB_SERVER_HOST") {
        l.config.server.host = host;
        l.record("server.host", Origin::env("REVERB_SERVER_HOST"));
    }
    if let Some(port) = r.parsed("REVERB_SERVER_PORT", parse::port)? {
        l.config.server.port = port;
        l.record("server.port", Origin::env("REVERB_SERVER_PORT"));
    }
    if r.var("REVERB_SERVER_PATH")
        .is_some_and(|p| !p.trim_matches('/').is_empty())
    {
        r.unhonoured(
            "REVERB_SERVER_PATH",
            "no path prefix: Ressò serves /app/{key} and /apps/… at the root; strip the prefix \
             at the proxy",
        );
    }
    Ok(())
}

/// Reverb's per-app timing and size settings; Ressò's are server-wide.
fn server_wide(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    if let Some(secs) = r.parsed("REVERB_APP_ACTIVITY_TIMEOUT", parse::number)? {
        l.config.server.activity_timeout = secs;
        l.record(
            "server.activity_timeout",
            Origin::env("REVERB_APP_ACTIVITY_TIMEOUT"),
        );
    }
    if let Some(bytes) = r.parsed("REVERB_APP_MAX_MESSAGE_SIZE", parse::number)? {
        l.config.server.max_message_bytes = bytes;
        l.record(
            "server.max_message_bytes",
            Origin::env("REVERB_APP_MAX_MESSAGE_SIZE"),
        );
    }
    if r.var("REVERB_APP_PING_INTERVAL").is_some() {
        r.unhonoured(
            "REVERB_APP_PING_INTERVAL",
            "Ressò pings a client after server.activity_timeout of silence \
             (REVERB_APP_ACTIVITY_TIMEOUT) and waits server.pong_timeout for its answer",
        );
    }
    Ok(())
}

fn app(l: &mut Loaded, r: &mut Reader) -> Result<bool, ConfigError> {
    let [id, key, secret] = APP.map(|name| r.var(name));
    let (id, key, secret) = match (id, key, secret) {
        (Some(id), Some(key), Some(secret)) => (id, key, secret),
        (None, None, None) => {
            for name in APP_OPTIONS {
                if r.var(name).is_some() {
                    r.unhonoured(
                        name,
                        "applies to the app of REVERB_APP_ID/KEY/SECRET, which are not set",
                    );
                }
            }
            return Ok(false);
        }
        _ => {
            return Err(invalid(
                "REVERB_APP_ID/REVERB_APP_KEY/REVERB_APP_SECRET",
                "set all three or none",
            ))
        }
    };
    let mut app = AppConfig::with_credentials(&id, &key, &secret);
    let mut fields = vec![("id", APP[0]), ("key", APP[1]), ("secret", APP[2])];
    if let Some(max) = r.parsed(APP_OPTIONS[0], parse::number)? {
        app.max_connections = Some(max);
        fields.push(("max_connections", APP_OPTIONS[0]));
    }
    if let Some(from) = r.var(APP_OPTIONS[1]) {
        app.client_events = client_events_from(r, &from)?;
        fields.push(("client_events", APP_OPTIONS[1]));
    }
    let i = l.put_app(app, APP[0]);
    for (field, name) in fields {
        l.record(&format!("apps[{i}].{field}"), Origin::env(name));
    }
    Ok(true)
}

/// `REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM`: `members` (Reverb's default), `none` or `all`.
fn client_events_from(r: &mut Reader, from: &str) -> Result<bool, ConfigError> {
    match from.trim() {
        "members" => Ok(true),
        "none" => Ok(false),
        "all" => {
            r.unhonoured(
                APP_OPTIONS[1],
                "'all': Ressò takes client events from members of a private or presence \
                 channel only, as Pusher does, so 'members' is used",
            );
            Ok(true)
        }
        other => Err(invalid(
            APP_OPTIONS[1],
            format!("{other:?} is not members, all or none"),
        )),
    }
}

/// `REVERB_SCALING_ENABLED`: a cluster over Laravel's Redis; `REVERB_SCALING_CHANNEL` separates
/// clusters sharing that Redis, as Reverb's channel does.
fn scaling(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let channel = r.var("REVERB_SCALING_CHANNEL");
    if r.parsed("REVERB_SCALING_ENABLED", parse::boolean)? != Some(true) {
        return Ok(());
    }
    let (url, names) = laravel_redis(r)?;
    l.config.cluster.backend = Backend::Redis;
    l.config.cluster.url = Some(url);
    l.record("cluster.backend", Origin::env("REVERB_SCALING_ENABLED"));
    l.record("cluster.url", Origin::Env(names));
    if let Some(channel) = channel {
        l.config.cluster.prefix = format!("{channel}#");
        l.record("cluster.prefix", Origin::env("REVERB_SCALING_CHANNEL"));
    }
    Ok(())
}

/// The Redis URL Laravel's `REDIS_URL`, or else `REDIS_HOST`/`PORT`/`USERNAME`/`PASSWORD`/`DB`,
/// name (defaults 127.0.0.1:6379, database 0), and the variables that made it.
fn laravel_redis(r: &mut Reader) -> Result<(String, String), ConfigError> {
    if let Some(url) = r.var("REDIS_URL") {
        let url = match url.split_once("://") {
            Some(("redis" | "tcp", rest)) => format!("redis://{rest}"),
            Some(("rediss" | "tls", rest)) => format!("rediss://{rest}"),
            _ => {
                return Err(invalid(
                    "REDIS_URL",
                    "must start with redis:// or rediss://",
                ))
            }
        };
        return Ok((url, "REDIS_URL".into()));
    }
    let names = [
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_USERNAME",
        "REDIS_PASSWORD",
        "REDIS_DB",
    ];
    let [host, port, user, password, db] = names.map(|name| r.var(name));
    let set: Vec<&str> = names
        .iter()
        .zip([&host, &port, &user, &password, &db])
        .filter_map(|(name, value)| value.as_ref().map(|_| *name))
        .collect();
    let host = host.unwrap_or_else(|| "127.0.0.1".into());
    let (tls, host) = match host.split_once("://") {
        Some(("tls" | "rediss", rest)) => (true, rest.to_owned()),
        Some((_, rest)) => (false, rest.to_owned()),
        None => (false, host),
    };
    let port = port.map_or(Ok(6379), |p| parse::port("REDIS_PORT", &p))?;
    let db = db.map_or(Ok(0), |d| parse::number("REDIS_DB", &d))?;
    let url = parse::redis_url(
        tls,
        (&host, port),
        (user.as_deref(), password.as_deref()),
        db,
    );
    let origin = if set.is_empty() {
        "REVERB_SCALING_ENABLED (Laravel's Redis defaults)".to_owned()
    } else {
        set.join(", ")
    };
    Ok((url, origin))
}
