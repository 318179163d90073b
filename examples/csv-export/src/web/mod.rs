//! The web side: the shared [`AppState`], the router, and how errors become responses. Handlers
//! live in [`auth`] (login, logout, the signed-in user), [`exports`] (queueing an export), [`mail`]
//! (a mailed `.eml` shown in the browser), [`pages`] (HTML) and [`assets`] (scripts, styles, icon); `/broadcasting/auth` is
//! `resso-broadcasting`'s router with one channel rule.

pub mod assets;
pub mod auth;
pub mod exports;
pub mod mail;
pub mod pages;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use resso_broadcasting::auth::{ChannelAuth, Decision};
use resso_broadcasting::Broadcaster;
use tower_sessions::{MemoryStore, SessionManagerLayer};

use crate::broadcasting::EchoOptions;
use crate::db::Db;
use crate::export::queue::{Queue, QueueError};
use crate::live::USER_CHANNEL_PATTERN;
use auth::CurrentUser;

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub queue: Queue,
    pub echo: Arc<EchoOptions>,
    /// Publishes the export's events; `/broadcasting/auth` signs with its credentials.
    pub broadcaster: Broadcaster,
    /// The `.eml` folder, when mail goes to files.
    pub mail_dir: Option<PathBuf>,
}

/// A request that could not be served for a reason on our side.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("session: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error("reading a mail file: {0}")]
    Io(#[from] std::io::Error),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!("request failed: {self}");
        let status = match self {
            Self::Queue(QueueError::Full) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Db(_) | Self::Session(_) | Self::Queue(_) | Self::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, "Something went wrong; the server log says what.").into_response()
    }
}

/// Laravel's `routes/channels.php` for this app: a user may listen on their own channel only.
fn channels(broadcaster: &Broadcaster) -> ChannelAuth<CurrentUser, AppState> {
    ChannelAuth::from_broadcaster(broadcaster).channel(
        USER_CHANNEL_PATTERN,
        |CurrentUser(user), params| async move {
            Decision::allow_if(params.parse::<i64>("id") == Some(user.id))
        },
    )
}

/// Every route of the app.
pub fn router(state: AppState) -> Router {
    // Lax cookies are not sent on cross-site POSTs, which is what keeps the forms safe from CSRF.
    let sessions = SessionManagerLayer::new(MemoryStore::default())
        .with_secure(false)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_name("csv_export_session");
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/exports", post(exports::create))
        .route("/mail/{file}", get(mail::show))
        .route("/mail/{file}/raw", get(mail::raw))
        .route("/mail/{file}/attachments/{n}", get(mail::attachment))
        .route("/assets/{name}", get(assets::serve))
        .merge(channels(&state.broadcaster).router())
        .layer(sessions)
        .with_state(state)
}
