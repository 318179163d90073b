//! The HTTP edge of channel authorization: GET and POST `/broadcasting/auth` and
//! `/broadcasting/user-auth`, the request's fields read from a query, a form or a JSON body, and
//! every refusal mapped to its status (a rejected user is 403, bad input 400).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::{AnswerError, ChannelAuth};

/// Request bodies larger than this are refused (an auth request is two short fields).
const MAX_BODY: usize = 16 * 1024;

/// Why an auth request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRejection {
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error("no channel pattern matches")]
    NoPattern,
    #[error("not authenticated")]
    NoUser,
    #[error("malformed request: {0}")]
    Malformed(&'static str),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::NoPattern | Self::NoUser => StatusCode::FORBIDDEN,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Answer(a) => answer_status(a),
        };
        (status, self.to_string()).into_response()
    }
}

const fn answer_status(error: &AnswerError) -> StatusCode {
    match error {
        AnswerError::Denied | AnswerError::NotGuarded => StatusCode::FORBIDDEN,
        AnswerError::BadSocketId | AnswerError::BadChannel => StatusCode::BAD_REQUEST,
        AnswerError::PresenceNeedsMember
        | AnswerError::NoMasterKey
        | AnswerError::NoCredentials => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Debug, Default, Deserialize)]
struct AuthForm {
    socket_id: Option<String>,
    channel_name: Option<String>,
}

impl<U, S> ChannelAuth<U, S>
where
    U: FromRequestParts<S> + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    /// GET and POST `/broadcasting/auth`, and `/broadcasting/user-auth` when enabled; merge it into
    /// your app's router.
    pub fn router(self) -> Router<S> {
        let with_user = self.user.is_some();
        let auth = Arc::new(self);
        let a = auth.clone();
        let channel = move |State(state): State<S>, request: Request| {
            let a = a.clone();
            async move { a.channel_route(&state, request).await }
        };
        let mut router =
            Router::new().route("/broadcasting/auth", get(channel.clone()).post(channel));
        if with_user {
            let user = move |State(state): State<S>, request: Request| {
                let a = auth.clone();
                async move { a.user_route(&state, request).await }
            };
            router = router.route("/broadcasting/user-auth", get(user.clone()).post(user));
        }
        router
    }

    async fn channel_route(
        &self,
        state: &S,
        request: Request,
    ) -> Result<Json<Value>, AuthRejection> {
        let (mut parts, body) = request.into_parts();
        let form = read_form(&parts, body).await?;
        let channel = form
            .channel_name
            .ok_or(AuthRejection::Malformed("channel_name is missing"))?;
        let user = U::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| AuthRejection::NoUser)?;
        let socket = form.socket_id.filter(|s| !s.is_empty());
        self.authorize_with(state, user, socket.as_deref(), &channel)
            .await
            .map(Json)
    }

    async fn user_route(&self, state: &S, request: Request) -> Result<Json<Value>, AuthRejection> {
        let (mut parts, body) = request.into_parts();
        let form = read_form(&parts, body).await?;
        let socket = form
            .socket_id
            .ok_or(AuthRejection::Malformed("socket_id is missing"))?;
        let user = U::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| AuthRejection::NoUser)?;
        self.authenticate_user(user, &socket).await.map(Json)
    }
}

/// The fields from the query (GET) or a form-encoded or JSON body (POST).
async fn read_form(parts: &Parts, body: Body) -> Result<AuthForm, AuthRejection> {
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AuthRejection::Malformed("the body is unreadable or too large"))?;
    if bytes.is_empty() {
        let query = parts.uri.query().unwrap_or("");
        return serde_urlencoded::from_str(query)
            .map_err(|_| AuthRejection::Malformed("bad query"));
    }
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        serde_json::from_slice(&bytes).map_err(|_| AuthRejection::Malformed("bad JSON body"))
    } else {
        serde_urlencoded::from_bytes(&bytes).map_err(|_| AuthRejection::Malformed("bad form body"))
    }
}
