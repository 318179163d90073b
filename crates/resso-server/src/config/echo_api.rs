//! `[apps.echo_api]`: laravel-echo-server's HTTP API for an app — its `clients` (an `app_id` and a
//! `key` each, sent as `?auth_key=` or `Authorization: Bearer`), whether `POST /events` is open
//! (its `subscribers.http`) and its CORS headers (`apiOriginAllow`). Usually written by the
//! `--laravel-echo-server` mapping, but a TOML file may state it too.

use serde::{Deserialize, Serialize};

use super::{invalid, AppConfig, ConfigError};

/// The echo-server API of one app.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EchoApiConfig {
    /// Who may call it; empty means nobody (as laravel-echo-server answered 403 to everyone).
    #[serde(default)]
    pub clients: Vec<EchoClient>,
    /// Whether `POST /apps/{app_id}/events` publishes (laravel-echo-server's `subscribers.http`).
    #[serde(default = "yes")]
    pub events: bool,
    /// CORS headers added to its answers; none without.
    #[serde(default)]
    pub cors: Option<EchoCors>,
}

const fn yes() -> bool {
    true
}

/// One API client: the `appId` and `key` of laravel-echo-server's `clients`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EchoClient {
    pub app_id: String,
    pub key: String,
}

/// `apiOriginAllow` with `allowCors: true`: the three headers, sent as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct EchoCors {
    pub allow_origin: String,
    pub allow_methods: String,
    pub allow_headers: String,
}

impl EchoApiConfig {
    /// Checks non-empty credentials and that no client `app_id` is used by an earlier app.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `{field}.clients[i]`.
    pub fn validate(&self, field: &str, earlier: &[AppConfig]) -> Result<(), ConfigError> {
        for (i, client) in self.clients.iter().enumerate() {
            let at = |name: &str| format!("{field}.clients[{i}].{name}");
            if client.app_id.is_empty() || client.app_id.contains(['/', '?', '#']) {
                return Err(invalid(
                    at("app_id"),
                    "must be non-empty, without '/', '?' or '#'",
                ));
            }
            if client.key.is_empty() {
                return Err(invalid(at("key"), "must not be empty"));
            }
            let taken = earlier
                .iter()
                .filter_map(|a| a.echo_api.as_ref())
                .flat_map(|api| &api.clients)
                .any(|c| c.app_id == client.app_id);
            if taken {
                return Err(invalid(
                    at("app_id"),
                    format!("{:?} is a client of another app", client.app_id),
                ));
            }
        }
        Ok(())
    }

    /// The client `app_id` authorised by `key`, if any.
    #[must_use]
    pub fn authorises(&self, app_id: &str, key: &str) -> bool {
        self.clients
            .iter()
            .any(|c| c.app_id == app_id && c.key == key)
    }

    /// Whether `app_id` names one of its clients.
    #[must_use]
    pub fn has_client(&self, app_id: &str) -> bool {
        self.clients.iter().any(|c| c.app_id == app_id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn validate(text: &str) -> Result<(), String> {
        let c = Config::from_toml(text, "t").map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn parses_and_checks_clients() {
        let one = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n\
                   echo_api = { clients = [{ app_id = 'a1', key = 'x' }] }\n";
        validate(one).unwrap();
        let c = Config::from_toml(one, "t").unwrap();
        let api = c.apps[0].echo_api.as_ref().unwrap();
        assert!(api.events && api.cors.is_none());
        assert!(
            api.authorises("a1", "x") && !api.authorises("a1", "y") && !api.authorises("a2", "x")
        );
        let empty_key = one.replace("key = 'x'", "key = ''");
        assert!(validate(&empty_key)
            .unwrap_err()
            .contains("apps[0].echo_api.clients[0].key"));
        let twice = format!(
            "{one}[[apps]]\nid='2'\nkey='k2'\nsecret='s'\n\
                             echo_api = {{ clients = [{{ app_id = 'a1', key = 'z' }}] }}\n"
        );
        assert!(validate(&twice)
            .unwrap_err()
            .contains("apps[1].echo_api.clients[0].app_id"));
        let unknown = one.replace("key = 'x'", "key = 'x', appId = 'a'");
        assert!(validate(&unknown).unwrap_err().contains("appId"));
    }
}
