//! Environment variables over the file: Ressò's own `RESSO_*`, Laravel Reverb's `REVERB_*` (with
//! Laravel's `REDIS_*`) and Soketi's `SOKETI_*`, so an unchanged Laravel `.env` or Soketi
//! deployment runs on Ressò. Soketi's are applied first, then Reverb's, then Ressò's, so the later
//! family wins (a Reverb value replacing a Soketi one is warned about). When Reverb's app or any
//! Soketi variable is set and nothing else names the listening address, that server's default
//! (0.0.0.0:8080 or 0.0.0.0:6001) applies. Every Reverb or Soketi variable that is set but not
//! honoured is named in one warning ([`Reader::finish`]).

mod parse;
mod reader;
mod reverb;
mod soketi;
mod soketi_adapter;
mod soketi_app;
mod store;
mod tls;

pub use reader::Reader;

use super::load::Loaded;
use super::origin::{Origin, Origins};
use super::warning::Warning;
use super::{invalid, Config, ConfigError, Env, SocketIoConfig};

/// The Socket.IO auth host of the only app.
const AUTH_HOST: &str = "RESSO_SOCKETIO_AUTH_HOST";

/// Applies the variables of the server and its apps; [`apply_to_apps`] follows once the apps are
/// final.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the variable.
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let soketi = soketi::apply(l, r)?;
    let reverb = reverb::apply(l, r)?;
    store::apply(l, r)?;
    if let Some(host) = r.var("RESSO_HOST") {
        l.config.server.host = host;
        l.record("server.host", Origin::env("RESSO_HOST"));
    }
    if let Some(port) = r.parsed("RESSO_PORT", parse::port)? {
        l.config.server.port = port;
        l.record("server.port", Origin::env("RESSO_PORT"));
    }
    tls::apply(l, r, "RESSO_TLS_CERT", "RESSO_TLS_KEY")?;
    tls::plain_port(l, r)?;
    super::console::apply_env(l, r);
    let platform = match (reverb, soketi) {
        (true, _) => Some(("Reverb", 8080)),
        (false, true) => Some(("Soketi", 6001)),
        (false, false) => None,
    };
    if let Some((name, port)) = platform {
        listening_defaults(l, name, port, reverb && soketi);
    }
    Ok(())
}

/// The listening address of the server whose environment is in use, where nothing named one.
fn listening_defaults(l: &mut Loaded, platform: &'static str, port: u16, both: bool) {
    if l.origins.of("server.host") == Origin::Default {
        "0.0.0.0".clone_into(&mut l.config.server.host);
        l.origins
            .set("server.host", Origin::PlatformDefault(platform));
    }
    if l.origins.of("server.port") == Origin::Default {
        l.config.server.port = port;
        l.origins
            .set("server.port", Origin::PlatformDefault(platform));
        if both {
            l.warnings.push(Warning::Conflict {
                field: "server.port".into(),
                used: "Reverb's default 8080".into(),
                ignored: "Soketi's default 6001".into(),
            });
        }
    }
}

/// Applies what lands in every app (Soketi's server-wide limits) or in the only one
/// (`RESSO_SOCKETIO_AUTH_HOST`), once the apps are final.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the variable.
pub fn apply_to_apps(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    soketi::apply_to_apps(l, r)?;
    let Some(host) = r.var(AUTH_HOST) else {
        return Ok(());
    };
    let apps = l.config.apps.len();
    let [app] = l.config.apps.as_mut_slice() else {
        return Err(invalid(
            AUTH_HOST,
            format!(
                "sets the auth host of the only app, but {apps} apps are configured: set \
                 auth_host in each app's [apps.socketio]"
            ),
        ));
    };
    if app.socketio.is_none() {
        l.origins.set("apps[0].socketio", Origin::env(AUTH_HOST));
    }
    app.socketio
        .get_or_insert_with(SocketIoConfig::default)
        .auth_host = Some(host);
    l.record("apps[0].socketio.auth_host", Origin::env(AUTH_HOST));
    Ok(())
}

impl Config {
    /// Applies environment overrides to this configuration (as [`load()`](crate::config::load()) does between the
    /// file and the flags, without the safe default for no app); returns the warnings. A host or
    /// port other than the built-in default counts as the file's (Reverb's and Soketi's listening
    /// defaults do not replace it).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable.
    pub fn apply_env(&mut self, env: &dyn Env) -> Result<Vec<Warning>, ConfigError> {
        let mut origins = Origins::default();
        let defaults = super::ServerConfig::default();
        if self.server.host != defaults.host {
            origins.set("server.host", Origin::File);
        }
        if self.server.port != defaults.port {
            origins.set("server.port", Origin::File);
        }
        let mut loaded = Loaded {
            config: std::mem::take(self),
            origins,
            warnings: Vec::new(),
            verbose: false,
        };
        let mut reader = Reader::new(env);
        let applied =
            apply(&mut loaded, &mut reader).and_then(|()| apply_to_apps(&mut loaded, &mut reader));
        reader.finish(&mut loaded);
        *self = loaded.config;
        applied.map(|()| loaded.warnings)
    }
}

#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod tests;
