//! Where environment variables come from: the process, a copy held for reloads (with `.env`
//! files read over it), or a map in tests — behind one [`Env`] seam.

use super::{invalid, ConfigError};

/// Reads environment variables; a seam so tests need not touch the process environment. An empty
/// value counts as unset.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// The names of every set variable (to name the ones that are not honoured).
    fn names(&self) -> Vec<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn names(&self) -> Vec<String> {
        std::env::vars_os()
            .filter(|(_, value)| !value.is_empty())
            .filter_map(|(name, _)| name.into_string().ok())
            .collect()
    }
}

/// Variables held in memory: the process environment as it was at start-up, with `.env` files
/// read again over it (a variable the process itself has wins, as on the first load). What a
/// reload reads, so that an edited env file counts and the process environment is never written.
#[derive(Debug, Clone, Default)]
pub struct HeldEnv(std::collections::HashMap<String, String>);

impl HeldEnv {
    /// The process environment now.
    #[must_use]
    pub fn from_process() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// Adds the variables of the env file at `path` that are not set yet.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the file, when it cannot be read or parsed.
    pub fn with_file(mut self, path: &std::path::Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let entries =
            dotenvy::from_path_iter(path).map_err(|e| invalid(name.clone(), e.to_string()))?;
        for entry in entries {
            let (k, v) = entry.map_err(|e| invalid(name.clone(), e.to_string()))?;
            self.0.entry(k).or_insert(v);
        }
        Ok(self)
    }
}

impl Env for HeldEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

/// A map of variables, for tests.
#[cfg(test)]
pub(crate) struct MapEnv(pub std::collections::HashMap<&'static str, &'static str>);

#[cfg(test)]
impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .filter(|v| !v.is_empty())
            .map(|v| (*v).to_owned())
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().map(|k| (*k).to_owned()).collect()
    }
}
