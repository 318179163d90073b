//! Signing in and out, and [`CurrentUser`], the extractor every signed-in route takes. The session
//! (a `tower-sessions` cookie) holds only the user's id; the user is read fresh on each request.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tower_sessions::Session;

use super::{pages, AppError, AppState};
use crate::db::User;
use crate::password;

const USER_ID: &str = "user_id";

/// The signed-in user; requests without one are refused with 401.
pub struct CurrentUser(pub User);

/// Why a request has no [`CurrentUser`].
pub enum NoUser {
    SignedOut,
    Failed(AppError),
}

impl IntoResponse for NoUser {
    fn into_response(self) -> Response {
        match self {
            Self::SignedOut => (StatusCode::UNAUTHORIZED, "Please sign in first.").into_response(),
            Self::Failed(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = NoUser;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NoUser> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| NoUser::SignedOut)?;
        signed_in(&session, state)
            .await
            .map_err(NoUser::Failed)?
            .map(CurrentUser)
            .ok_or(NoUser::SignedOut)
    }
}

/// The session's user, if it has one that still exists.
///
/// # Errors
/// A session store or database error.
pub async fn signed_in(session: &Session, state: &AppState) -> Result<Option<User>, AppError> {
    let Some(id) = session.get::<i64>(USER_ID).await? else {
        return Ok(None);
    };
    Ok(state.db.user_by_id(id).await?)
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

/// `POST /login`: checks the password and starts a session under a new id.
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<Credentials>,
) -> Result<Response, AppError> {
    let user = state.db.user_by_email(form.email.trim()).await?;
    let Some(user) = user.filter(|u| password::verify(&form.password, &u.password_hash)) else {
        let page = pages::login_page(Some("Wrong e-mail or password."), &form.email);
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    // A new id at login, so a session id planted before it is worth nothing after.
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    Ok(Redirect::to("/").into_response())
}

/// `POST /logout`: ends the session.
pub async fn logout(session: Session) -> Result<Redirect, AppError> {
    session.flush().await?;
    Ok(Redirect::to("/login"))
}
