//! Soketi's own `CREATE TABLE` for its SQL app managers (from Soketi's documentation), and rows
//! inserted as an operator would.

use resso_test_kit::{Database, Engine, TestApp};

/// Soketi's PostgreSQL DDL.
const POSTGRES: &str = r#"CREATE TABLE IF NOT EXISTS apps (
    id varchar(255) PRIMARY KEY,
    "key" varchar(255) NOT NULL,
    secret varchar(255) NOT NULL,
    max_connections integer NOT NULL,
    enable_client_messages smallint NOT NULL,
    "enabled" smallint NOT NULL,
    max_backend_events_per_sec integer NOT NULL,
    max_client_events_per_sec integer NOT NULL,
    max_read_req_per_sec integer NOT NULL,
    max_presence_members_per_channel integer DEFAULT NULL,
    max_presence_member_size_in_kb integer DEFAULT NULL,
    max_channel_name_length integer DEFAULT NULL,
    max_event_channels_at_once integer DEFAULT NULL,
    max_event_name_length integer DEFAULT NULL,
    max_event_payload_in_kb integer DEFAULT NULL,
    max_event_batch_size integer DEFAULT NULL,
    webhooks json,
    enable_user_authentication smallint NOT NULL
)"#;

/// Soketi's MySQL DDL.
const MYSQL: &str = "CREATE TABLE IF NOT EXISTS `apps` (
    `id` varchar(255) NOT NULL,
    `key` varchar(255) NOT NULL,
    `secret` varchar(255) NOT NULL,
    `max_connections` integer(10) NOT NULL,
    `enable_client_messages` tinyint(1) NOT NULL,
    `enabled` tinyint(1) NOT NULL,
    `max_backend_events_per_sec` integer(10) NOT NULL,
    `max_client_events_per_sec` integer(10) NOT NULL,
    `max_read_req_per_sec` integer(10) NOT NULL,
    `webhooks` json,
    `max_presence_members_per_channel` integer(10) NULL,
    `max_presence_member_size_in_kb` integer(10) NULL,
    `max_channel_name_length` integer(10) NULL,
    `max_event_channels_at_once` integer(10) NULL,
    `max_event_name_length` integer(10) NULL,
    `max_event_payload_in_kb` integer(10) NULL,
    `max_event_batch_size` integer(10) NULL,
    `enable_user_authentication` tinyint(1) NOT NULL,
    PRIMARY KEY (`id`)
)";

/// Ressò's settings table, as docs/app-store.md gives it.
const SETTINGS_POSTGRES: &str =
    "CREATE TABLE resso_app_settings (app_id varchar(255) PRIMARY KEY, settings jsonb NOT NULL)";
const SETTINGS_MYSQL: &str = "CREATE TABLE resso_app_settings (\
    app_id varchar(255) NOT NULL PRIMARY KEY, settings json NOT NULL)";

/// Creates Soketi's `apps` table and Ressò's settings table.
pub async fn create(db: &Database) {
    let (apps, settings) = match db.engine {
        Engine::Postgres => (POSTGRES, SETTINGS_POSTGRES),
        Engine::MariaDb => (MYSQL, SETTINGS_MYSQL),
    };
    db.execute(apps).await;
    db.execute(settings).await;
}

/// Sets `app`'s document in Ressò's settings table.
pub async fn settings(db: &Database, app: TestApp, settings: &serde_json::Value) {
    let doc = quoted(&settings.to_string());
    db.execute(&format!(
        "DELETE FROM resso_app_settings WHERE app_id = {id};\n\
         INSERT INTO resso_app_settings (app_id, settings) VALUES ({id}, {doc})",
        id = quoted(app.id)
    ))
    .await;
}

/// One row's settings beyond its credentials.
#[derive(Debug, Clone)]
pub struct Row {
    pub max_connections: i64,
    pub client_messages: bool,
    pub max_client_events: i64,
    pub presence_members: Option<i64>,
    pub webhooks: Option<String>,
}

impl Default for Row {
    fn default() -> Self {
        Self {
            max_connections: -1,
            client_messages: true,
            max_client_events: -1,
            presence_members: None,
            webhooks: None,
        }
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `INSERT`s `app` with `row`.
pub async fn insert(db: &Database, app: TestApp, row: &Row) {
    let key = match db.engine {
        Engine::Postgres => "\"key\"",
        Engine::MariaDb => "`key`",
    };
    let presence = row
        .presence_members
        .map_or("NULL".into(), |n| n.to_string());
    let hooks = row.webhooks.as_deref().map_or("NULL".into(), quoted);
    let sql = format!(
        "INSERT INTO apps (id, {key}, secret, max_connections, enable_client_messages, enabled, \
         max_backend_events_per_sec, max_client_events_per_sec, max_read_req_per_sec, \
         max_presence_members_per_channel, webhooks, enable_user_authentication) \
         VALUES ({}, {}, {}, {}, {}, 1, -1, {}, -1, {presence}, {hooks}, 0)",
        quoted(app.id),
        quoted(app.key),
        quoted(app.secret),
        row.max_connections,
        i32::from(row.client_messages),
        row.max_client_events,
    );
    db.execute(&sql).await;
}

/// `UPDATE apps SET {set} WHERE id = app`.
pub async fn update(db: &Database, app: TestApp, set: &str) {
    db.execute(&format!(
        "UPDATE apps SET {set} WHERE id = {}",
        quoted(app.id)
    ))
    .await;
}
