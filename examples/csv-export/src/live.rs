//! What the page hears: the export's broadcast events on the user's private channel
//! `private-App.Models.User.{id}`, named as Laravel names them (`App\Events\ExportProgress`, …) so
//! the page's Echo code is the same as a Laravel app's, plus an `.notification()` for the finished
//! export. Broadcasting failures are logged, never fatal: the mail has gone either way.

use serde::Serialize;

use crate::pusher::Publisher;

/// Echo's default namespace for `.listen('Name')`.
const NAMESPACE: &str = "App\\Events";

/// The channel only `user_id` may subscribe to (authorized by `/broadcasting/auth`).
#[must_use]
pub fn user_channel(user_id: i64) -> String {
    format!("private-App.Models.User.{user_id}")
}

/// Rows written so far.
#[derive(Debug, Serialize)]
pub struct ExportProgress {
    pub export_id: i64,
    pub done: u64,
    pub total: u64,
    pub percent: u8,
}

/// The CSV has been e-mailed.
#[derive(Debug, Serialize)]
pub struct ExportCompleted {
    pub export_id: i64,
    pub email: String,
    pub rows: u64,
    /// Where the page can open the mail, when mail goes to `.eml` files.
    pub mail_url: Option<String>,
}

/// The export failed; `message` is shown to the user.
#[derive(Debug, Serialize)]
pub struct ExportFailed {
    pub export_id: i64,
    pub message: String,
}

/// Broadcasts the export events; cheap to clone.
#[derive(Clone)]
pub struct Live {
    publisher: Publisher,
}

impl Live {
    #[must_use]
    pub fn new(publisher: Publisher) -> Self {
        Self { publisher }
    }

    pub async fn progress(&self, user_id: i64, event: &ExportProgress) {
        self.send(user_id, "ExportProgress", event).await;
    }

    /// Sends `ExportCompleted` and a database-less notification, as Laravel's `broadcast` channel
    /// shapes it (`id`, `type`, then the notification's fields).
    pub async fn completed(&self, user_id: i64, event: &ExportCompleted) {
        self.send(user_id, "ExportCompleted", event).await;
        let notification = serde_json::json!({
            "id": format!("export-{}", event.export_id),
            "type": "App\\Notifications\\ExportReady",
            "message": format!("Your CSV export ({} rows) is in your inbox.", event.rows),
        });
        let name = "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated";
        self.publisher
            .trigger(&user_channel(user_id), name, &notification)
            .await;
    }

    pub async fn failed(&self, user_id: i64, event: &ExportFailed) {
        self.send(user_id, "ExportFailed", event).await;
    }

    async fn send(&self, user_id: i64, short_name: &str, event: &impl Serialize) {
        let name = format!("{NAMESPACE}\\{short_name}");
        self.publisher
            .trigger(&user_channel(user_id), &name, event)
            .await;
    }
}
