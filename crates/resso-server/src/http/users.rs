//! `POST /apps/{id}/users/{user_id}/terminate_connections` (§5.8): closes every connection signed in
//! as that user with 4009. Also served at `/users/{user_id}/terminate_connections`, the path the
//! Python SDK signs and posts to (§10.23); the app is then found by `auth_key`.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::signed::Signed;
use super::ApiFailure;
use crate::http::Shared;

pub async fn terminate(
    State(s): State<Shared>,
    Path((_, user)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<Value>, ApiFailure> {
    terminate_user(&s, &signed, &user)
}

pub async fn terminate_unprefixed(
    State(s): State<Shared>,
    Path(user): Path<String>,
    signed: Signed,
) -> Result<Json<Value>, ApiFailure> {
    terminate_user(&s, &signed, &user)
}

fn terminate_user(s: &Shared, signed: &Signed, user: &str) -> Result<Json<Value>, ApiFailure> {
    let closed = s.registry.terminate(&signed.app, user);
    tracing::debug!(app = %signed.app.id, user, closed, "terminated user connections");
    Ok(Json(json!({})))
}
