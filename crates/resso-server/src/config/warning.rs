//! What loading a configuration warns about, as data: `main` logs each once logging is set up and
//! `resso config check` prints them.

use std::fmt;

/// One warning from loading the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Environment variables that are set but not honoured, each with why (one warning for all).
    Unhonoured(Vec<Unhonoured>),
    /// Reverb's and Soketi's variables both set one value; `used` won, `ignored` did not.
    Conflict {
        field: String,
        used: String,
        ignored: String,
    },
    /// No app is configured, so the development app (public credentials) serves on a loopback
    /// address.
    DevelopmentApp { id: String, key: String },
    /// An option of a laravel-echo-server.json that is not honoured.
    EchoServer(String),
}

/// A variable that is set but not honoured, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unhonoured {
    pub name: String,
    pub reason: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unhonoured(vars) => {
                f.write_str("set but not honoured: ")?;
                for (i, var) in vars.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{} ({})", var.name, var.reason)?;
                }
                Ok(())
            }
            Self::Conflict {
                field,
                used,
                ignored,
            } => write!(
                f,
                "{used} and {ignored} both set {field}: using {used} (Reverb's variables win \
                 over Soketi's)"
            ),
            Self::DevelopmentApp { id, key } => write!(
                f,
                "no app configured: serving the development app (id {id}, key {key}, public \
                 credentials) on a loopback address only; add an [[apps]] entry or set \
                 REVERB_APP_* / SOKETI_DEFAULT_APP_* before exposing Ressò"
            ),
            Self::EchoServer(what) => write!(f, "laravel-echo-server.json: {what}"),
        }
    }
}
