//! `POST /exports`: records an export and queues its job; the page then follows it live.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::auth::CurrentUser;
use super::{AppError, AppState};
use crate::export::ExportJob;

/// `POST /exports`: answers 202 with the export's id as soon as the job is queued.
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, AppError> {
    let export_id = state.db.create_export(user.id).await?;
    state
        .queue
        .push(ExportJob {
            export_id,
            user_id: user.id,
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "export_id": export_id })),
    )
        .into_response())
}
