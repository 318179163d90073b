//! `resso config check`: the effective configuration as TOML, secrets masked, every value followed
//! by where it came from, then every warning.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::{Config, Loaded};

/// The text `resso config check` prints for a valid configuration.
#[must_use]
pub fn render(loaded: &Loaded) -> String {
    let mut out = String::from(
        "# resso config check: the configuration is valid.\n\
         # Effective configuration, secrets masked; after each value, where it came from.\n",
    );
    if loaded.verbose {
        out.push_str("# Debug logs: on (laravel-echo-server devMode or SOKETI_DEBUG), unless RESSO_LOG is set.\n");
    }
    let text = toml::to_string(&masked(&loaded.config))
        .unwrap_or_else(|e| format!("# (cannot show the configuration: {e})\n"));
    let mut headers = Headers::default();
    let mut table = String::new();
    for line in text.lines() {
        if let Some(raw) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            table = headers.array(raw);
        } else if let Some(raw) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = headers.resolve(raw);
        } else if let Some((key, _)) = line.split_once(" = ") {
            let path = join(&table, key.trim());
            let _ = writeln!(out, "{line}  # {}", loaded.origins.of(&path));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    for warning in &loaded.warnings {
        let _ = writeln!(out, "\n# warning: {warning}");
    }
    out
}

/// A copy with every secret masked: app secrets, echo-server API keys, passwords in broker URLs.
fn masked(config: &Config) -> Config {
    let mut c = config.clone();
    for app in &mut c.apps {
        app.secret = mask(&app.secret);
        if let Some(ingest) = &mut app.ingest {
            ingest.url = mask_url(&ingest.url);
        }
        for client in app.echo_api.iter_mut().flat_map(|api| &mut api.clients) {
            client.key = mask(&client.key);
        }
    }
    if let Some(password) = &mut c.console.password {
        *password = mask(password);
    }
    if let Some(url) = &mut c.cluster.url {
        *url = mask_url(url);
    }
    if let Some(store) = &mut c.app_store {
        store.url = mask_url(&store.url);
    }
    c
}

/// The first four characters of a long secret, `****` for a short one.
fn mask(secret: &str) -> String {
    if secret.chars().count() >= 12 {
        let head: String = secret.chars().take(4).collect();
        format!("{head}…")
    } else {
        "****".into()
    }
}

/// A URL with the password of its user info masked (all of it for NATS, where it may be a token).
fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = (&rest[..at], &rest[at..]);
    let userinfo = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:****"),
        None if matches!(scheme, "nats" | "tls") => "****".into(),
        None => userinfo.to_owned(),
    };
    format!("{scheme}://{userinfo}{host}")
}

/// Turns TOML table headers into field paths, counting the elements of arrays of tables.
#[derive(Default)]
struct Headers {
    /// Raw headers seen as `[[…]]`.
    arrays: HashSet<String>,
    /// Elements so far of each array, by its resolved path.
    counts: HashMap<String, usize>,
}

impl Headers {
    /// `[[raw]]`: a new element of the array `raw`.
    fn array(&mut self, raw: &str) -> String {
        self.arrays.insert(raw.to_owned());
        let base = match raw.rsplit_once('.') {
            Some((parent, last)) => join(&self.resolve(parent), last),
            None => raw.to_owned(),
        };
        *self.counts.entry(base).or_default() += 1;
        self.resolve(raw)
    }

    /// `[raw]`: each array segment takes its latest element's index.
    fn resolve(&self, raw: &str) -> String {
        let mut resolved = String::new();
        let mut prefix = String::new();
        for segment in raw.split('.') {
            prefix = join(&prefix, segment);
            resolved = join(&resolved, segment);
            if self.arrays.contains(&prefix) {
                let n = self.counts.get(&resolved).copied().unwrap_or(1);
                let _ = write!(resolved, "[{}]", n.saturating_sub(1));
            }
        }
        resolved
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("app-secret"), "****");
        assert_eq!(mask("0123456789abcdef"), "0123…");
        assert_eq!(mask_url("redis://u:pw@h:6379/0"), "redis://u:****@h:6379/0");
        assert_eq!(mask_url("nats://tok@h:4222"), "nats://****@h:4222");
        assert_eq!(mask_url("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn headers_become_field_paths() {
        let mut h = Headers::default();
        assert_eq!(h.resolve("server.limits"), "server.limits");
        assert_eq!(h.array("apps"), "apps[0]");
        assert_eq!(h.array("apps.webhooks"), "apps[0].webhooks[0]");
        assert_eq!(h.array("apps"), "apps[1]");
        assert_eq!(h.resolve("apps.limits"), "apps[1].limits");
        assert_eq!(h.array("apps.webhooks"), "apps[1].webhooks[0]");
    }
}
