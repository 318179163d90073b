//! Where each configured value came from, for `resso config check`: a small map from a field's
//! path (`server.port`, `apps[0].secret`) to its [`Origin`], filled in as the file, the environment
//! and the flags are applied. A path without an entry takes its nearest recorded ancestor's origin,
//! and a value nobody set is a default.

use std::collections::BTreeMap;
use std::fmt;

/// Where one value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Ressò's built-in default.
    Default,
    /// The `--config` file (or the `--laravel-echo-server` file).
    File,
    /// Environment variables, named (several when one value is made of several, like a Redis URL).
    Env(String),
    /// The default of the server whose environment is in use (`Reverb`, `Soketi`).
    PlatformDefault(&'static str),
    /// A command-line flag (`--port`).
    Flag(&'static str),
}

impl Origin {
    /// An origin of one environment variable.
    #[must_use]
    pub fn env(name: &str) -> Self {
        Self::Env(name.to_owned())
    }

    /// The variable family of an environment origin (`REVERB`, `SOKETI`, `RESSO`), if it is one.
    #[must_use]
    pub fn family(&self) -> Option<&str> {
        match self {
            Self::Env(names) => names.split('_').next(),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File => f.write_str("file"),
            Self::Env(names) => write!(f, "env {names}"),
            Self::PlatformDefault(platform) => write!(f, "{platform}'s default"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Origins by field path.
#[derive(Debug, Clone, Default)]
pub struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// Records that `path` (and everything under it) now comes from `origin`.
    pub fn set(&mut self, path: &str, origin: Origin) {
        self.0
            .retain(|p, _| !(p.starts_with(path) && is_below(&p[path.len()..])));
        self.0.insert(path.to_owned(), origin);
    }

    /// The origin recorded for `path` itself, if any.
    #[must_use]
    pub fn recorded(&self, path: &str) -> Option<&Origin> {
        self.0.get(path)
    }

    /// The origin of `path`: its own, else its nearest ancestor's, else [`Origin::Default`].
    #[must_use]
    pub fn of(&self, path: &str) -> Origin {
        let mut at = path;
        loop {
            if let Some(origin) = self.0.get(at) {
                return origin.clone();
            }
            match at.rfind(['.', '[']) {
                Some(i) => at = &at[..i],
                None => return Origin::Default,
            }
        }
    }
}

/// Whether what follows a path prefix makes a descendant of it (not a sibling like `apps[10]`
/// after `apps[1`).
fn is_below(rest: &str) -> bool {
    rest.starts_with('.') || rest.starts_with('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_recorded_ancestor_wins() {
        let mut origins = Origins::default();
        origins.set("apps[1].id", Origin::File);
        origins.set("apps[1].limits.presence_members", Origin::File);
        origins.set("apps[10].id", Origin::File);
        origins.set("apps[1]", Origin::env("REVERB_APP_ID"));
        assert_eq!(
            origins.of("apps[1].limits.presence_members"),
            Origin::env("REVERB_APP_ID")
        );
        assert_eq!(origins.of("apps[10].id"), Origin::File);
        assert_eq!(origins.of("server.port"), Origin::Default);
        assert_eq!(Origin::env("SOKETI_HOST").family(), Some("SOKETI"));
        assert_eq!(Origin::env("SOKETI_HOST").to_string(), "env SOKETI_HOST");
    }
}
