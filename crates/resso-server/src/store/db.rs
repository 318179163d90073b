//! The database: a pool to PostgreSQL or MySQL/MariaDB, chosen once by the URL, and the queries
//! the store makes — the list of ids and keys, rows by key or by ids, Ressò's settings by ids, and
//! the settings that name Socket.IO paths or echo-server clients. Table names were checked to be
//! plain identifiers; values are always bound.

use std::time::Duration;

use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::cells::{self, Cells};
use crate::config::{AppStoreConfig, Driver};

/// A pool of either database.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// Which column a row is looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum By {
    Id,
    Key,
}

impl By {
    fn column(self, driver: Driver) -> &'static str {
        match (self, driver) {
            (Self::Id, _) => "id",
            (Self::Key, Driver::Postgres) => "\"key\"",
            (Self::Key, Driver::MySql) => "`key`",
        }
    }
}

impl Db {
    /// A pool that connects when first used (so a database down at start-up is an outage, not a
    /// failed start); an acquire waits at most `timeout`.
    ///
    /// # Errors
    /// The URL cannot be parsed.
    pub fn connect(config: &AppStoreConfig, timeout: Duration) -> Result<Self, sqlx::Error> {
        Ok(match config.driver() {
            Some(Driver::MySql) => Self::MySql(
                MySqlPoolOptions::new()
                    .max_connections(config.pool_size)
                    .acquire_timeout(timeout)
                    .connect_lazy(&config.url)?,
            ),
            _ => Self::Postgres(
                PgPoolOptions::new()
                    .max_connections(config.pool_size)
                    .acquire_timeout(timeout)
                    .connect_lazy(&config.url)?,
            ),
        })
    }

    fn driver(&self) -> Driver {
        match self {
            Self::Postgres(_) => Driver::Postgres,
            Self::MySql(_) => Driver::MySql,
        }
    }

    /// Every (id, key) of `table`.
    pub async fn index(&self, table: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
        let sql = format!("SELECT id, {} FROM {table}", By::Key.column(self.driver()));
        let rows: Vec<Cells> = match self {
            Self::Postgres(pool) => {
                let rows = sqlx::query(&sql).fetch_all(pool).await?;
                rows.iter().map(cells::of_pg).collect()
            }
            Self::MySql(pool) => {
                let rows = sqlx::query(&sql).fetch_all(pool).await?;
                rows.iter().map(cells::of_mysql).collect()
            }
        };
        let pairs = rows
            .iter()
            .filter_map(|r| Some((r.get("id")?.text()?, r.get("key")?.text()?)));
        Ok(pairs.collect())
    }

    /// The rows of `table` whose `by` column is one of `values` (`SELECT *`: every column there is).
    pub async fn rows(
        &self,
        table: &str,
        by: By,
        values: &[String],
    ) -> Result<Vec<Cells>, sqlx::Error> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let column = by.column(self.driver());
        match self {
            Self::Postgres(pool) => {
                let sql = format!("SELECT * FROM {table} WHERE {column}::text = ANY($1)");
                let rows = sqlx::query(&sql).bind(values).fetch_all(pool).await?;
                Ok(rows.iter().map(cells::of_pg).collect())
            }
            Self::MySql(pool) => {
                let marks = vec!["?"; values.len()].join(", ");
                let sql = format!("SELECT * FROM {table} WHERE {column} IN ({marks})");
                let mut query = sqlx::query(&sql);
                for v in values {
                    query = query.bind(v);
                }
                let rows = query.fetch_all(pool).await?;
                Ok(rows.iter().map(cells::of_mysql).collect())
            }
        }
    }

    /// Ressò's settings (`app_id`, `settings`) of `ids` in `table`.
    pub async fn settings(
        &self,
        table: &str,
        ids: &[String],
    ) -> Result<Vec<(String, serde_json::Value)>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = match self {
            Self::Postgres(pool) => {
                let sql = format!("SELECT app_id, settings FROM {table} WHERE app_id = ANY($1)");
                let rows = sqlx::query(&sql).bind(ids).fetch_all(pool).await?;
                rows.iter().map(cells::of_pg).collect::<Vec<_>>()
            }
            Self::MySql(pool) => {
                let marks = vec!["?"; ids.len()].join(", ");
                let sql = format!("SELECT app_id, settings FROM {table} WHERE app_id IN ({marks})");
                let mut query = sqlx::query(&sql);
                for id in ids {
                    query = query.bind(id);
                }
                let rows = query.fetch_all(pool).await?;
                rows.iter().map(cells::of_mysql).collect()
            }
        };
        Ok(settings_pairs(&rows))
    }

    /// Ressò's settings (`app_id`, `settings`) in `table` that name a Socket.IO endpoint or
    /// echo-server API clients (a `text` column holding JSON too, as the rest of the store reads).
    pub async fn aliased_settings(
        &self,
        table: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, sqlx::Error> {
        let rows = match self {
            Self::Postgres(pool) => {
                let sql = format!(
                    "SELECT app_id, settings FROM {table} \
                     WHERE settings::jsonb ?| array['socketio', 'echo_api']"
                );
                let rows = sqlx::query(&sql).fetch_all(pool).await?;
                rows.iter().map(cells::of_pg).collect::<Vec<_>>()
            }
            Self::MySql(pool) => {
                let sql = format!(
                    "SELECT app_id, settings FROM {table} \
                     WHERE JSON_CONTAINS_PATH(settings, 'one', '$.socketio', '$.echo_api')"
                );
                let rows = sqlx::query(&sql).fetch_all(pool).await?;
                rows.iter().map(cells::of_mysql).collect()
            }
        };
        Ok(settings_pairs(&rows))
    }
}

/// (`app_id`, `settings`) of each row that has both.
fn settings_pairs(rows: &[Cells]) -> Vec<(String, serde_json::Value)> {
    let pairs = rows
        .iter()
        .filter_map(|r| Some((r.get("app_id")?.text()?, r.get("settings")?.json()?)));
    pairs.collect()
}
