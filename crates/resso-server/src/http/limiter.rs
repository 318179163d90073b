//! Per-app HTTP API rate limits (`limits.api_requests_per_second`): a one-second window per app,
//! answered with 429 beyond it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use resso_protocol::AppId;
use tokio::time::Instant;

use crate::apps::App;
use crate::rate::RateWindow;

/// The windows of every app that has a limit.
#[derive(Default)]
pub struct ApiLimiter {
    windows: Mutex<HashMap<AppId, RateWindow>>,
}

impl ApiLimiter {
    /// Counts one request of `app`; returns whether it is within the app's limit.
    pub fn allow(&self, app: &App) -> bool {
        let Some(limit) = app.config.limits.api_requests_per_second else {
            return true;
        };
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        windows
            .entry(app.id.clone())
            .or_insert_with(|| RateWindow::new(limit))
            .allow(Instant::now())
    }
}
