//! Export routes: `POST /exports` records an export and queues its job (the page then follows it
//! live); `GET /mail/{file}` opens a mailed `.eml` for its owner when mail goes to files; and the
//! interim `POST /broadcasting/auth` that lets each user subscribe to their own channel only.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
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

/// `GET /mail/{file}`: the `.eml` a file-mailer wrote, for the user it was sent to.
pub async fn mail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let (Some(dir), true) = (&state.mail_dir, is_mail_file_name(&file)) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    if !state.db.owns_mail(user.id, &file).await? {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let bytes = tokio::fs::read(dir.join(&file)).await?;
    let headers = [
        (header::CONTENT_TYPE, "message/rfc822".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ),
    ];
    Ok((headers, bytes).into_response())
}

/// Only names lettre's file transport makes (`{uuid}.eml`), so no path can reach outside the folder.
fn is_mail_file_name(name: &str) -> bool {
    name.strip_suffix(".eml").is_some_and(|stem| {
        !stem.is_empty() && stem.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::is_mail_file_name;

    #[test]
    fn only_uuid_eml_names_are_served() {
        assert!(is_mail_file_name(
            "0b5c2f1e-7a3d-4e8b-9c1d-2f3a4b5c6d7e.eml"
        ));
        assert!(!is_mail_file_name("../app.db"));
        assert!(!is_mail_file_name(".eml"));
        assert!(!is_mail_file_name("abc.txt"));
    }
}
