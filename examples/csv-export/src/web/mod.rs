//! The web side: the shared [`AppState`], the router, and how errors become responses. Handlers
//! live in [`auth`] (login, logout, the signed-in user), [`exports`] (queueing an export, opening a
//! mailed `.eml`, channel authorization), [`pages`] (HTML) and [`assets`] (the vendored scripts).

pub mod assets;
pub mod auth;
pub mod exports;
pub mod pages;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_sessions::{MemoryStore, SessionManagerLayer};

use crate::broadcasting::EchoOptions;
use crate::db::Db;
use crate::export::queue::{Queue, QueueError};
use crate::pusher::Publisher;

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub queue: Queue,
    pub publisher: Publisher,
    pub echo: Arc<EchoOptions>,
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
        .route("/mail/{file}", get(exports::mail))
        .route("/broadcasting/auth", post(exports::broadcasting_auth))
        .route("/assets/{name}", get(assets::serve))
        .layer(sessions)
        .with_state(state)
}
