//! The export worker: takes jobs one at a time, streams the user's orders into a CSV while
//! broadcasting progress, e-mails it, records the outcome and tells the page. Runs as one task
//! beside the web server and stops between jobs when shutdown is asked.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::csv::{Builder, CsvError};
use super::queue::Jobs;
use super::ExportJob;
use crate::db::{Db, User};
use crate::live::{ExportCompleted, ExportFailed, ExportProgress, Live};
use crate::mail::{ExportMail, MailError, Mailer, Sent};
use crate::settings::Settings;

/// Orders read per statement.
const PAGE: i64 = 200;

/// Why one export failed (shown to its user).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("sending the mail: {0}")]
    Mail(#[from] MailError),
    #[error("the user no longer exists")]
    NoUser,
    #[error("the export was set to fail for this user (EXPORT_FAIL_USERS)")]
    Planned,
}

/// What a worker needs; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub mailer: Mailer,
    pub live: Live,
    pub settings: Arc<Settings>,
}

impl Worker {
    /// Runs jobs from `jobs` until `shutdown` is cancelled or the queue closes.
    pub async fn run(self, mut jobs: Jobs, shutdown: CancellationToken) {
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return,
                next = jobs.next() => next,
            };
            match next {
                Ok(Some(job)) => self.handle(job).await,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!("cannot take the next export job: {e}");
                    // A broken Redis link is retried after a pause rather than in a hot loop.
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    /// Runs one job to its end, successful or not, and tells the page either way.
    pub async fn handle(&self, job: ExportJob) {
        tracing::info!(?job, "export started");
        match self.export(job).await {
            Ok(()) => tracing::info!(?job, "export e-mailed"),
            Err(e) => {
                tracing::warn!(?job, "export failed: {e}");
                let message = e.to_string();
                if let Err(db) = self.db.fail_export(job.export_id, &message).await {
                    tracing::warn!(?job, "cannot record the failure: {db}");
                }
                let event = ExportFailed {
                    user_id: job.user_id,
                    export_id: job.export_id,
                    message,
                };
                self.live.failed(&event).await;
            }
        }
    }

    async fn export(&self, job: ExportJob) -> Result<(), ExportError> {
        let user = self
            .db
            .user_by_id(job.user_id)
            .await?
            .ok_or(ExportError::NoUser)?;
        self.db.mark_export_running(job.export_id).await?;
        let csv = self.build_csv(job, &user).await?;
        let rows = csv.done();
        let bytes = csv.finish()?;
        let mail = ExportMail {
            from: &self.settings.mail_from,
            to_name: &user.name,
            to_email: &user.email,
            rows,
            csv: bytes,
        };
        let sent = self.mailer.send(mail).await?;
        let file = match &sent {
            Sent::Smtp => None,
            Sent::File(name) => Some(name.as_str()),
        };
        let stored_rows = i64::try_from(rows).unwrap_or(i64::MAX);
        self.db
            .finish_export(job.export_id, stored_rows, file)
            .await?;
        let event = ExportCompleted {
            user_id: user.id,
            export_id: job.export_id,
            email: user.email.clone(),
            rows,
            mail_url: file.map(|f| format!("/mail/{f}")),
        };
        self.live.completed(&event).await;
        Ok(())
    }

    /// Writes the user's orders into a CSV, page by page, broadcasting progress.
    async fn build_csv(&self, job: ExportJob, user: &User) -> Result<Builder, ExportError> {
        let total = u64::try_from(self.db.order_count(user.id).await?).unwrap_or(0);
        // Fail half-way for the users set up to fail, so the page's error path can be seen.
        let fail_after = self.settings.fails_for(&user.email).then_some(total / 2);
        let mut csv = Builder::new(total)?;
        let mut after = 0;
        loop {
            let page = self.db.orders_after(user.id, after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(csv);
            };
            after = last.id;
            for order in &page {
                if fail_after == Some(csv.done()) {
                    return Err(ExportError::Planned);
                }
                // Stands for the real work a row would take, so the export takes a visible while.
                tokio::time::sleep(self.settings.row_delay).await;
                if csv.push(order)? {
                    self.progress(job, &csv, total).await;
                }
            }
        }
    }

    async fn progress(&self, job: ExportJob, csv: &Builder, total: u64) {
        let event = ExportProgress {
            user_id: job.user_id,
            export_id: job.export_id,
            done: csv.done(),
            total,
            percent: csv.percent(),
        };
        self.live.progress(&event).await;
    }
}
