//! The app's settings, read once from the environment at start-up and checked before anything
//! runs: what is unset falls back to the embedded defaults (Ressò in-process, an in-process queue,
//! mails as `.eml` files), so `cargo run` needs nothing configured.

use std::path::PathBuf;
use std::time::Duration;

/// A setting that is present but unusable; names the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct SettingError {
    name: &'static str,
    value: String,
    reason: &'static str,
}

/// Everything the app reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PORT` (default 8000; 0 picks a free one).
    pub port: u16,
    /// `DATA_DIR`: the SQLite file and the `.eml` mail folder; by default outside the source tree,
    /// in the user's data folder ([`default_data_dir`]).
    pub data_dir: PathBuf,
    /// `REDIS_URL`: queue export jobs on Redis instead of in-process.
    pub redis_url: Option<String>,
    /// `SMTP_URL` (`smtp://host:port`): send mail instead of writing `.eml` files.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender of export mails.
    pub mail_from: String,
    /// `EXPORT_ROW_DELAY_MS`: the work each row stands for, so an export takes a visible while.
    pub row_delay: Duration,
    /// `EXPORT_FAIL_USERS`: comma-separated e-mails whose exports fail half-way (to show the error
    /// path in the browser).
    pub fail_users: Vec<String>,
}

impl Settings {
    /// Reads the settings through `var` (the process environment in `main`, a map in tests).
    ///
    /// # Errors
    /// A [`SettingError`] for a number that does not parse.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            port: number(&var, "PORT", 8000)?,
            data_dir: var("DATA_DIR").map_or_else(|| default_data_dir(&var), PathBuf::from),
            redis_url: var("REDIS_URL"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Ressò CSV exports <exports@example.com>".into()),
            row_delay: Duration::from_millis(number(&var, "EXPORT_ROW_DELAY_MS", 20)?),
            fail_users: var("EXPORT_FAIL_USERS")
                .map(|v| v.split(',').map(|e| e.trim().to_lowercase()).collect())
                .unwrap_or_default(),
        })
    }

    /// Whether exports for `email` are set to fail.
    #[must_use]
    pub fn fails_for(&self, email: &str) -> bool {
        self.fail_users
            .iter()
            .any(|e| e.eq_ignore_ascii_case(email))
    }
}

/// `$XDG_DATA_HOME/resso-csv-export`, else `$HOME/.local/share/resso-csv-export`, else the same
/// name in the temporary folder.
pub fn default_data_dir(var: &impl Fn(&str) -> Option<String>) -> PathBuf {
    let base = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("resso-csv-export")
}

fn number<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, SettingError> {
    match var(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| SettingError {
            name,
            value,
            reason: "not a non-negative whole number in range",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        Settings::from_env(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).into())
        })
    }

    #[test]
    fn defaults_need_nothing() {
        let s = from(&[]).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.row_delay, Duration::from_millis(20));
        assert!(s.redis_url.is_none() && s.smtp_url.is_none());
        assert!(!s.fails_for("demo@example.com"));
    }

    #[test]
    fn the_data_folder_is_outside_the_source_tree() {
        let s = from(&[("HOME", "/home/ann")]).unwrap();
        assert_eq!(
            s.data_dir,
            PathBuf::from("/home/ann/.local/share/resso-csv-export")
        );
        let s = from(&[("HOME", "/home/ann"), ("XDG_DATA_HOME", "/data")]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/data/resso-csv-export"));
        let s = from(&[("DATA_DIR", "here")]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("here"));
    }

    #[test]
    fn reads_overrides_and_ignores_blank_values() {
        let s = from(&[
            ("PORT", "0"),
            ("REDIS_URL", " "),
            ("EXPORT_ROW_DELAY_MS", "5"),
            ("EXPORT_FAIL_USERS", "A@example.com, b@example.com"),
        ])
        .unwrap();
        assert_eq!(s.port, 0);
        assert!(s.redis_url.is_none());
        assert_eq!(s.row_delay, Duration::from_millis(5));
        assert!(s.fails_for("a@EXAMPLE.com") && s.fails_for("b@example.com"));
    }

    #[test]
    fn a_bad_number_names_the_variable() {
        let e = from(&[("PORT", "eighty")]).unwrap_err().to_string();
        assert!(e.contains("PORT") && e.contains("eighty"), "{e}");
    }
}
