//! What the page hears: the export's events on the user's private channel
//! `private-App.Models.User.{id}`, broadcast with `resso-broadcasting` under Laravel's names
//! (`App\Events\ExportProgress`, …) so the page's Echo code is a Laravel app's, plus an
//! `ExportReady` notification for Echo's `.notification()`. Broadcasting failures are logged, never
//! fatal: the mail has gone either way.

use resso_broadcasting::{
    BroadcastNotification, Broadcaster, Channel, Notifiable, ShouldBroadcast,
};
use serde::Serialize;

/// The channel pattern `/broadcasting/auth` guards (Laravel's `routes/channels.php` line).
pub const USER_CHANNEL_PATTERN: &str = "App.Models.User.{id}";

/// The wire name of `user_id`'s channel, as the page subscribes to it.
#[must_use]
pub fn user_channel(user_id: i64) -> String {
    Notifiable::user(user_id).channel().name()
}

fn on_user(user_id: i64) -> Vec<Channel> {
    vec![Notifiable::user(user_id).channel().clone()]
}

/// Rows written so far.
#[derive(Debug, Serialize)]
pub struct ExportProgress {
    #[serde(skip)]
    pub user_id: i64,
    pub export_id: i64,
    pub done: u64,
    pub total: u64,
    pub percent: u8,
}

/// The CSV has been e-mailed.
#[derive(Debug, Serialize)]
pub struct ExportCompleted {
    #[serde(skip)]
    pub user_id: i64,
    pub export_id: i64,
    pub email: String,
    pub rows: u64,
    /// Where the page can open the mail, when mail goes to `.eml` files.
    pub mail_url: Option<String>,
}

/// The export failed; `message` is shown to the user.
#[derive(Debug, Serialize)]
pub struct ExportFailed {
    #[serde(skip)]
    pub user_id: i64,
    pub export_id: i64,
    pub message: String,
}

/// The notification sent with [`ExportCompleted`] (`type` `App\Notifications\ExportReady`).
#[derive(Debug, Serialize)]
pub struct ExportReady {
    pub message: String,
}

impl ShouldBroadcast for ExportProgress {
    fn broadcast_on(&self) -> Vec<Channel> {
        on_user(self.user_id)
    }
}

impl ShouldBroadcast for ExportCompleted {
    fn broadcast_on(&self) -> Vec<Channel> {
        on_user(self.user_id)
    }
}

impl ShouldBroadcast for ExportFailed {
    fn broadcast_on(&self) -> Vec<Channel> {
        on_user(self.user_id)
    }
}

impl BroadcastNotification for ExportReady {}

/// Broadcasts the export events; cheap to clone.
#[derive(Clone)]
pub struct Live {
    broadcaster: Broadcaster,
}

impl Live {
    #[must_use]
    pub fn new(broadcaster: Broadcaster) -> Self {
        Self { broadcaster }
    }

    pub async fn progress(&self, event: &ExportProgress) {
        self.send(event).await;
    }

    /// Sends `ExportCompleted`, then the `ExportReady` notification.
    pub async fn completed(&self, event: &ExportCompleted) {
        self.send(event).await;
        let ready = ExportReady {
            message: format!("Your CSV export ({} rows) is in your inbox.", event.rows),
        };
        let to = Notifiable::user(event.user_id);
        if let Err(e) = self.broadcaster.notify(&to, &ready).await {
            tracing::warn!(user = event.user_id, "notification not broadcast: {e}");
        }
    }

    pub async fn failed(&self, event: &ExportFailed) {
        self.send(event).await;
    }

    async fn send<E: ShouldBroadcast + Sync + std::fmt::Debug>(&self, event: &E) {
        if let Err(e) = self.broadcaster.broadcast(event).await {
            tracing::warn!(?event, "not broadcast: {e}");
        }
    }
}
