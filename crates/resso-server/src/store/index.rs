//! What the store knows of the table without holding its apps, read again once per TTL: the ids
//! and keys it has (so a made-up key costs no query) and, with a settings table, the Socket.IO
//! paths and echo-server clients of its apps ([`super::aliases`]).

use std::collections::HashSet;
use std::sync::PoisonError;

use super::aliases::Aliases;
use super::db::By;
use super::{timed, QueryError, Store};

/// The ids and keys the table has, as last read.
#[derive(Debug, Default)]
pub struct Index {
    pub ids: HashSet<String>,
    pub keys: HashSet<String>,
}

impl Index {
    pub fn has(&self, by: By, value: &str) -> bool {
        match by {
            By::Id => self.ids.contains(value),
            By::Key => self.keys.contains(value),
        }
    }
}

impl Store {
    /// Reads the list of ids and keys again, and the names of the settings table.
    pub(super) async fn reindex(&self) -> Result<(), QueryError> {
        let timeout = self.config.query_timeout() * 5;
        let pairs = timed(timeout, self.db.index(&self.config.table)).await?;
        let mut index = Index::default();
        for (id, key) in pairs {
            index.ids.insert(id);
            index.keys.insert(key);
        }
        if let Some(table) = &self.config.settings_table {
            let docs = timed(timeout, self.db.aliased_settings(table)).await?;
            let files = self.apps.files();
            let mut aliases = self.aliases.write().unwrap_or_else(PoisonError::into_inner);
            *aliases = Aliases::build(&docs, &files, &aliases);
        }
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = index;
        Ok(())
    }
}
