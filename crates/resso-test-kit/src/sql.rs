//! SQL from a test: statements run on a [`crate::Database`] and its query counters, through sqlx.

use sqlx::Connection;

use crate::database::Engine;

/// Runs each `;`-terminated statement of `sql` on `url`.
pub async fn execute(url: &str, sql: &str) {
    let statements = sql.split(";\n").map(str::trim).filter(|s| !s.is_empty());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to PostgreSQL");
        for s in statements {
            sqlx::raw_sql(s)
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    } else {
        let mut c = sqlx::MySqlConnection::connect(url)
            .await
            .expect("connect to MariaDB");
        for s in statements {
            sqlx::raw_sql(s)
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }
}

/// Queries of the apps table so far (PostgreSQL), or SELECTs of any kind (MariaDB).
pub async fn select_count(engine: Engine, url: &str) -> i64 {
    match engine {
        Engine::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            let sql = "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements \
                       WHERE query ILIKE '%from apps%'";
            sqlx::query_scalar(sql)
                .fetch_one(&mut c)
                .await
                .expect("pg_stat_statements")
        }
        Engine::MariaDb => {
            let mut c = sqlx::MySqlConnection::connect(url).await.expect("connect");
            let row: (String, String) = sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Com_select'")
                .fetch_one(&mut c)
                .await
                .expect("Com_select");
            row.1.parse().expect("a count")
        }
    }
}
