//! `[console]`: the debug console at `/console/`, off unless both a user and a password are set
//! (in the file, or as `RESSO_CONSOLE_USER` / `RESSO_CONSOLE_PASSWORD`); it then asks for them
//! with HTTP Basic authentication.

use serde::{Deserialize, Serialize};

use super::env::Reader;
use super::load::Loaded;
use super::origin::Origin;
use super::{invalid, ConfigError};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl ConsoleConfig {
    /// The user and password, when the console is on.
    #[must_use]
    pub fn credentials(&self) -> Option<(&str, &str)> {
        Some((self.user.as_deref()?, self.password.as_deref()?))
    }

    /// A user without a password (or the other way round) is a mistake, not a console that is
    /// silently off; a user name cannot hold the `:` Basic authentication splits on.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        match (set(&self.user), set(&self.password)) {
            (true, false) => Err(invalid("console.password", "must be set with console.user")),
            (false, true) => Err(invalid("console.user", "must be set with console.password")),
            _ if self.user.as_deref().is_some_and(|u| u.contains(':')) => {
                Err(invalid("console.user", "cannot contain ':'"))
            }
            _ => Ok(()),
        }
    }
}

/// `RESSO_CONSOLE_USER` and `RESSO_CONSOLE_PASSWORD` over the file's.
pub(super) fn apply_env(l: &mut Loaded, r: &mut Reader) {
    for (name, path) in [
        ("RESSO_CONSOLE_USER", "console.user"),
        ("RESSO_CONSOLE_PASSWORD", "console.password"),
    ] {
        if let Some(value) = r.var(name) {
            let field = if name.ends_with("USER") {
                &mut l.config.console.user
            } else {
                &mut l.config.console.password
            };
            *field = Some(value);
            l.record(path, Origin::env(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console(user: Option<&str>, password: Option<&str>) -> ConsoleConfig {
        ConsoleConfig {
            user: user.map(Into::into),
            password: password.map(Into::into),
        }
    }

    #[test]
    fn on_with_both_refused_with_one() {
        assert_eq!(console(None, None).credentials(), None);
        assert_eq!(
            console(Some("u"), Some("p")).credentials(),
            Some(("u", "p"))
        );
        console(Some("u"), Some("p")).validate().unwrap();
        let err = console(Some("u"), None).validate().unwrap_err().to_string();
        assert!(err.contains("console.password"), "{err}");
        let err = console(None, Some("p")).validate().unwrap_err().to_string();
        assert!(err.contains("console.user"), "{err}");
        assert!(console(Some("a:b"), Some("p")).validate().is_err());
    }
}
