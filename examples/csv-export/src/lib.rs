//! The CSV-export demo: a user asks for their data as CSV; a queued job builds it, e-mails it,
//! and Laravel Echo in the page shows progress and "e-mailed" live through Ressò.
//!
//! Map of the crate:
//! - [`settings`]: the environment, read and checked once.
//! - [`db`]: SQLite (users, their orders, exports) and every query; [`seed`] the demo users;
//!   [`password`] Argon2 hashing.
//! - [`broadcasting`]: the Pusher-protocol server, outside or Ressò in-process (which also serves
//!   Echo's `socket.io` connector), and Echo's options for each connector;
//!   [`live`] the events the page hears (sent with `resso-broadcasting`).
//! - [`export`]: the job, its queue (Redis or in-process), the CSV, the worker.
//! - [`mail`]: SMTP or `.eml` files.
//! - [`web`]: the axum routes, sessions and pages.
//!
//! [`App::start`] sets everything up and starts the worker; [`App::serve`] serves HTTP until the
//! shutdown token is cancelled. `main` is a thin wrapper that prints where to go.

pub mod broadcasting;
pub mod db;
pub mod export;
pub mod live;
pub mod mail;
pub mod password;
pub mod seed;
pub mod settings;
pub mod web;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::broadcasting::{Broadcasting, BroadcastingError};
use crate::export::queue::{self, QueueError};
use crate::export::worker::Worker;
use crate::mail::{MailError, Mailer};
use crate::settings::Settings;
use crate::web::AppState;

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data folder: {0}")]
    DataDir(std::io::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Broadcasting(#[from] BroadcastingError),
}

/// A started app: the worker runs; [`App::serve`] adds the web side.
pub struct App {
    state: AppState,
    /// Where Ressò listens when it runs in-process.
    pub embedded_resso: Option<std::net::SocketAddr>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl App {
    /// Opens the database (seeding it on first start), the mailer, the queue and the broadcaster
    /// named by `settings` and `var`, and starts the export worker. `web_addr` is where the web
    /// side will listen ([`App::serve`]): an in-process Ressò asks it about channels.
    ///
    /// # Errors
    /// A [`StartError`] naming the part that failed.
    pub async fn start(
        settings: Settings,
        var: &impl Fn(&str) -> Option<String>,
        web_addr: std::net::SocketAddr,
        shutdown: CancellationToken,
    ) -> Result<Self, StartError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(StartError::DataDir)?;
        let db = db::Db::open(&settings.data_dir.join("app.db")).await?;
        seed::seed(&db).await?;
        let mailer = match &settings.smtp_url {
            Some(url) => Mailer::smtp(url)?,
            None => Mailer::files(&settings.data_dir.join("mail")).map_err(StartError::DataDir)?,
        };
        let (queue, jobs) = queue::connect(settings.redis_url.as_deref()).await?;
        let tracker = TaskTracker::new();
        let Broadcasting {
            broadcaster,
            echo,
            embedded,
        } = broadcasting::start(var, &format!("http://{web_addr}"), &shutdown, &tracker).await?;
        let worker = Worker {
            db: db.clone(),
            mailer: mailer.clone(),
            live: live::Live::new(broadcaster.clone()),
            settings: Arc::new(settings),
        };
        tracker.spawn(worker.run(jobs, shutdown.clone()));
        let state = AppState {
            db,
            queue,
            echo: Arc::new(echo),
            broadcaster,
            mail_dir: mailer.folder().map(ToOwned::to_owned),
        };
        Ok(Self {
            state,
            embedded_resso: embedded,
            tracker,
            shutdown,
        })
    }

    /// The folder mails are written to, when they are not sent by SMTP.
    #[must_use]
    pub fn mail_dir(&self) -> Option<&std::path::Path> {
        self.state.mail_dir.as_deref()
    }

    /// Serves the web app on `listener` until shutdown, then waits for the worker (between jobs)
    /// and the embedded Ressò to stop.
    ///
    /// # Errors
    /// An I/O error from the listener.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        let token = self.shutdown.clone();
        axum::serve(listener, web::router(self.state))
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await?;
        self.tracker.close();
        self.tracker.wait().await;
        Ok(())
    }
}
