//! Reads environment variables while remembering which were consulted and which are set but not
//! honoured (and why), so that one warning can name every Reverb or Soketi variable Ressò does not
//! honour — whether it was read and refused or never read at all.

use std::collections::{BTreeMap, BTreeSet};

use super::parse;
use crate::config::load::Loaded;
use crate::config::warning::{Unhonoured, Warning};
use crate::config::{ConfigError, Env};

/// Families of variables whose every set, unhonoured member is warned about.
const FAMILIES: [&str; 2] = ["REVERB_", "SOKETI_"];

/// Reverb's variables that are not server settings: the public address that Laravel and the
/// browsers use (never where a server listens), and the choice of Reverb's server (one kind).
const CLIENT_SIDE: [&str; 4] = [
    "REVERB_HOST",
    "REVERB_PORT",
    "REVERB_SCHEME",
    "REVERB_SERVER",
];

/// Why variables that were never read are not honoured, by name prefix (the first match wins).
const REASONS: [(&str, &str); 18] = [
    ("REVERB_APP_RATE_LIMIT", "Ressò limits client events per second (limits.client_events_per_second), not every message"),
    ("REVERB_MAX_REQUEST_SIZE", "Ressò sizes the HTTP API's body limit from the app's limits"),
    ("REVERB_PULSE_", "Laravel Pulse ingestion is Reverb's own"),
    ("REVERB_TELESCOPE_", "Laravel Telescope ingestion is Reverb's own"),
    ("SOKETI_SSL_PASS", "encrypted private keys are not read: decrypt the key file (openssl pkey -in KEY -out PLAIN_KEY) and keep it readable by Ressò only"),
    ("SOKETI_SSL_CA", "client certificates are not asked for; intermediate certificates go in SOKETI_SSL_CERT, after the server's certificate"),
    ("SOKETI_METRICS_", "read only with SOKETI_METRICS_ENABLED=true (the driver is always Prometheus)"),
    ("SOKETI_APP_MANAGER_DYNAMODB_", "the DynamoDB app manager is not supported: apps come from the file, PostgreSQL or MySQL"),
    ("SOKETI_APP_MANAGER_", "read only with SOKETI_APP_MANAGER_DRIVER=mysql or postgres"),
    ("SOKETI_DB_REDIS_", "only SOKETI_DB_REDIS_HOST/PORT/USERNAME/PASSWORD/DB are read, and only with SOKETI_ADAPTER_DRIVER=redis"),
    ("SOKETI_DB_POOLING_", "read only with SOKETI_DB_POOLING_ENABLED=true (MAX sizes the pool)"),
    ("SOKETI_DB_", "read only with SOKETI_APP_MANAGER_DRIVER=mysql (SOKETI_DB_MYSQL_*) or postgres (SOKETI_DB_POSTGRES_*)"),
    ("SOKETI_ADAPTER_", "not used by Ressò's cluster link with this SOKETI_ADAPTER_DRIVER"),
    ("SOKETI_CLUSTER_", "Soketi's UDP discovery is not used: Ressò's nodes meet through Redis or NATS"),
    ("SOKETI_CACHE_", "Ressò keeps cache channels itself"),
    ("SOKETI_QUEUE_", "webhooks are sent by Ressò's own dispatcher, with retries"),
    ("SOKETI_RATE_LIMITER_", "rate limits are counted by each node"),
    ("SOKETI_HTTP_ACCEPT_TRAFFIC_", "no admission control by memory use yet"),
];

/// The environment, with a record of what was read and what is not honoured.
pub struct Reader<'e> {
    env: &'e dyn Env,
    read: BTreeSet<String>,
    unhonoured: BTreeMap<String, String>,
}

impl<'e> Reader<'e> {
    pub fn new(env: &'e dyn Env) -> Self {
        Self {
            env,
            read: BTreeSet::new(),
            unhonoured: BTreeMap::new(),
        }
    }

    /// A variable's value; Laravel's (`REVERB_*`, `REDIS_*`) as Laravel's `env()` reads it.
    pub fn var(&mut self, name: &str) -> Option<String> {
        self.read.insert(name.to_owned());
        let value = self.env.var(name)?;
        if name.starts_with("REVERB_") || name.starts_with("REDIS_") {
            parse::laravel(value)
        } else {
            Some(value)
        }
    }

    /// A variable's value parsed by `parse`, whose error names the variable.
    pub fn parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        self.var(name).map(|value| parse(name, &value)).transpose()
    }

    /// Records that `name`, set, is not (wholly) honoured, and why.
    pub fn unhonoured(&mut self, name: &str, reason: impl Into<String>) {
        self.unhonoured.insert(name.to_owned(), reason.into());
    }

    /// Whether any variable starting with `prefix` is set.
    pub fn any_set(&self, prefix: &str) -> bool {
        self.env.names().iter().any(|n| n.starts_with(prefix))
    }

    /// Adds the one warning naming every set variable that is not honoured, if there is one.
    pub fn finish(mut self, loaded: &mut Loaded) {
        self.check_pusher_key(loaded);
        let mut vars: Vec<Unhonoured> = Vec::new();
        for name in self.env.names() {
            if let Some(reason) = self.unhonoured.remove(&name) {
                vars.push(Unhonoured { name, reason });
            } else if FAMILIES.iter().any(|f| name.starts_with(f))
                && !self.read.contains(&name)
                && !CLIENT_SIDE.contains(&name.as_str())
            {
                let reason = REASONS
                    .iter()
                    .find(|(prefix, _)| name.starts_with(prefix))
                    .map_or("not a setting Ressò reads", |(_, why)| why);
                vars.push(Unhonoured {
                    name,
                    reason: reason.to_owned(),
                });
            }
        }
        vars.extend(
            self.unhonoured.into_iter().filter_map(|(name, reason)| {
                self.env.var(&name).map(|_| Unhonoured { name, reason })
            }),
        );
        if !vars.is_empty() {
            vars.sort_by(|a, b| a.name.cmp(&b.name));
            loaded.warnings.push(Warning::Unhonoured(vars));
        }
    }

    /// A Laravel `.env` names its Pusher-protocol app in `PUSHER_APP_*` for the broadcaster; if no
    /// app here has that key, the operator probably meant to serve it.
    fn check_pusher_key(&mut self, loaded: &Loaded) {
        let Some(key) = self.env.var("PUSHER_APP_KEY") else {
            return;
        };
        if !loaded.config.apps.iter().any(|a| a.key == key) {
            self.unhonoured(
                "PUSHER_APP_KEY",
                "the Laravel broadcaster's setting, but no app here has that key: add the app as \
                 [[apps]] or with REVERB_APP_* / SOKETI_DEFAULT_APP_*",
            );
        }
    }
}
