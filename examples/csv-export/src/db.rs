//! The SQLite database: opening it, running the package's migrations, and the queries the app
//! makes. Every SQL statement lives here so the rest of the app sees typed rows only.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// A signed-up user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub password_hash: String,
}

/// One row of a user's data, as it goes into the CSV.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub placed_on: String,
    pub item: String,
    pub note: String,
    pub quantity: i64,
    pub amount_cents: i64,
}

/// One export a user asked for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Export {
    pub id: i64,
    /// `queued`, `running`, `emailed` or `failed`.
    pub status: String,
    pub rows: i64,
    pub mail_file: Option<String>,
    pub error: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
}

/// A handle on the database; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating if needed) `file` and brings its schema up to date.
    ///
    /// # Errors
    /// When the file cannot be opened or a migration fails.
    pub async fn open(file: &Path) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn user_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, name, email, password_hash FROM users WHERE email = ? COLLATE NOCASE",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as("SELECT id, name, email, password_hash FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Inserts a user with their orders in one transaction; returns the user's id.
    pub async fn insert_user(
        &self,
        name: &str,
        email: &str,
        password_hash: &str,
        orders: &[Order],
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, email, password_hash) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(email)
        .bind(password_hash)
        .fetch_one(&mut *tx)
        .await?;
        for o in orders {
            sqlx::query(
                "INSERT INTO orders (user_id, placed_on, item, note, quantity, amount_cents)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&o.placed_on)
            .bind(&o.item)
            .bind(&o.note)
            .bind(o.quantity)
            .bind(o.amount_cents)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn order_count(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
    }

    /// Up to `limit` of the user's orders with an id above `after`, in id order: an export reads
    /// page by page, so no statement stays open while the rows are worked on (a statement streamed
    /// for the whole export would hold a connection and a read snapshot, and sqlx would log it as
    /// slow).
    pub async fn orders_after(
        &self,
        user_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Order>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, placed_on, item, note, quantity, amount_cents
             FROM orders WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// The user's exports, newest first (the page lists them).
    pub async fn exports(&self, user_id: i64) -> Result<Vec<Export>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, status, rows, mail_file, error, created_at
             FROM exports WHERE user_id = ? ORDER BY id DESC LIMIT 50",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Records a newly queued export; returns its id.
    pub async fn create_export(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO exports (user_id, status) VALUES (?, 'queued') RETURNING id",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn mark_export_running(&self, export_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE exports SET status = 'running' WHERE id = ?")
            .bind(export_id)
            .execute(&self.pool)
            .await
            .map(drop)
    }

    pub async fn finish_export(
        &self,
        export_id: i64,
        rows: i64,
        mail_file: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE exports SET status = 'emailed', rows = ?, mail_file = ? WHERE id = ?")
            .bind(rows)
            .bind(mail_file)
            .bind(export_id)
            .execute(&self.pool)
            .await
            .map(drop)
    }

    pub async fn fail_export(&self, export_id: i64, error: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE exports SET status = 'failed', error = ? WHERE id = ?")
            .bind(error)
            .bind(export_id)
            .execute(&self.pool)
            .await
            .map(drop)
    }

    /// Whether `user_id` owns the mail written to `mail_file` (so only they may open it).
    pub async fn owns_mail(&self, user_id: i64, mail_file: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) > 0 FROM exports WHERE user_id = ? AND mail_file = ?")
            .bind(user_id)
            .bind(mail_file)
            .fetch_one(&self.pool)
            .await
    }
}
