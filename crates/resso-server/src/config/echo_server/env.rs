//! laravel-echo-server's `.env` overrides, applied to the parsed file before it is typed: each set
//! variable replaces (or creates) its option as a string, as laravel-echo-server's CLI did.

use serde_json::{Map, Value};

use crate::config::Env;

/// laravel-echo-server's environment overrides and the option each sets.
const ENV_OVERRIDES: [(&str, &str); 12] = [
    ("LARAVEL_ECHO_SERVER_AUTH_HOST", "authHost"),
    ("LARAVEL_ECHO_SERVER_DEBUG", "devMode"),
    ("LARAVEL_ECHO_SERVER_HOST", "host"),
    ("LARAVEL_ECHO_SERVER_PORT", "port"),
    (
        "LARAVEL_ECHO_SERVER_REDIS_HOST",
        "databaseConfig.redis.host",
    ),
    (
        "LARAVEL_ECHO_SERVER_REDIS_PORT",
        "databaseConfig.redis.port",
    ),
    (
        "LARAVEL_ECHO_SERVER_REDIS_PASSWORD",
        "databaseConfig.redis.password",
    ),
    ("LARAVEL_ECHO_SERVER_PROTO", "protocol"),
    ("LARAVEL_ECHO_SERVER_SSL_CERT", "sslCertPath"),
    ("LARAVEL_ECHO_SERVER_SSL_KEY", "sslKeyPath"),
    ("LARAVEL_ECHO_SERVER_SSL_CHAIN", "sslCertChainPath"),
    ("LARAVEL_ECHO_SERVER_SSL_PASS", "sslPassphrase"),
];

/// Sets each `LARAVEL_ECHO_SERVER_*` variable's option as the string it is, creating the objects
/// on its path; a value `${OTHER}` is replaced by variable `OTHER`.
pub fn apply(options: &mut Map<String, Value>, env: &dyn Env) {
    for (name, option) in ENV_OVERRIDES {
        let Some(mut value) = env.var(name) else {
            continue;
        };
        if let Some(other) = value.find("${").and_then(|i| {
            let rest = &value[i + 2..];
            rest.find('}').map(|end| rest[..end].to_owned())
        }) {
            value = env.var(&other).unwrap_or_default();
        }
        let mut target = &mut *options;
        let mut parts: Vec<&str> = option.split('.').collect();
        let last = parts.pop().unwrap_or(option);
        for part in parts {
            let entry = target
                .entry(part)
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else {
                unreachable!("just made an object");
            };
            target = next;
        }
        target.insert(last.to_owned(), Value::String(value));
    }
}
