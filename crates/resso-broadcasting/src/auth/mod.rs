//! Channel authorization for axum: Laravel's `Broadcast::channel('orders.{order}', …)`,
//! `Broadcast::routes()` and `Broadcast::userRoutes()`. Your callbacks decide; [`answer`] signs.
//!
//! The user comes from your app's own auth: `U` is any axum extractor (`FromRequestParts`) — a
//! session user, a bearer-token claim. When it rejects, guarded channels answer 403, as Laravel does
//! for a guest.
//!
//! ```
//! use axum::Router;
//! use resso_broadcasting::auth::{ChannelAuth, Credentials, Decision};
//! # #[derive(Clone)] struct User { id: u64 }
//! # impl<S: Send + Sync> axum::extract::FromRequestParts<S> for User {
//! #     type Rejection = ();
//! #     async fn from_request_parts(_: &mut axum::http::request::Parts, _: &S) -> Result<Self, ()> { Ok(User { id: 1 }) }
//! # }
//! let creds = Credentials { key: "app-key".into(), secret: "app-secret".into(), master_key: None };
//! let auth = ChannelAuth::<User>::new(creds)
//!     .channel("App.Models.User.{id}", |user: User, p| async move {
//!         Decision::allow_if(p.parse::<u64>("id") == Some(user.id))
//!     })
//!     .channel("chat.{room}", |user: User, _| async move {
//!         Decision::member(user.id, serde_json::json!({ "name": "Alice" }))
//!     })
//!     .user_auth(|user: User| async move { Some(serde_json::json!({ "id": user.id.to_string() })) });
//! let app: Router = Router::new().merge(auth.router());
//! ```

pub mod answer;
pub mod pattern;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

pub use self::answer::{AnswerError, Credentials, Decision};
pub use self::pattern::{Params, Pattern};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type ChannelCallback<U> = Arc<dyn Fn(U, Params) -> BoxFuture<Decision> + Send + Sync>;
type UserCallback<U> = Arc<dyn Fn(U) -> BoxFuture<Option<Value>> + Send + Sync>;

/// Request bodies larger than this are refused (an auth request is two short fields).
const MAX_BODY: usize = 16 * 1024;

/// The channel callbacks and credentials behind `/broadcasting/auth` and `/broadcasting/user-auth`.
pub struct ChannelAuth<U> {
    creds: Credentials,
    channels: Vec<(Pattern, ChannelCallback<U>)>,
    user: Option<UserCallback<U>>,
}

/// Why an auth request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
            Self::Answer(a) => match a {
                AnswerError::Denied | AnswerError::NotGuarded => StatusCode::FORBIDDEN,
                AnswerError::BadSocketId | AnswerError::BadChannel => StatusCode::BAD_REQUEST,
                AnswerError::PresenceNeedsMember | AnswerError::NoMasterKey => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
        };
        (status, self.to_string()).into_response()
    }
}

#[derive(Debug, Default, Deserialize)]
struct AuthForm {
    socket_id: Option<String>,
    channel_name: Option<String>,
}

impl<U: Send + 'static> ChannelAuth<U> {
    /// No channels yet; every subscription is refused until [`channel`](Self::channel) adds one.
    #[must_use]
    pub fn new(creds: Credentials) -> Self {
        Self {
            creds,
            channels: Vec::new(),
            user: None,
        }
    }

    /// Authorizes channels matching `pattern` (without prefix; `{x}` binds `[^.]+`). The first
    /// matching pattern decides.
    #[must_use]
    pub fn channel<F, Fut>(mut self, pattern: &str, callback: F) -> Self
    where
        F: Fn(U, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        let callback: ChannelCallback<U> = Arc::new(move |u, p| Box::pin(callback(u, p)));
        self.channels.push((Pattern::parse(pattern), callback));
        self
    }

    /// Enables `/broadcasting/user-auth` (`pusher.signin()`): the callback gives the user's data, an
    /// object with an `id`, or `None` to refuse.
    #[must_use]
    pub fn user_auth<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(U) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Value>> + Send + 'static,
    {
        self.user = Some(Arc::new(move |u| Box::pin(callback(u))));
        self
    }

    /// Decides and answers one subscription (what the route does after reading the request).
    ///
    /// # Errors
    /// An [`AuthRejection`].
    pub async fn authorize(
        &self,
        user: U,
        socket_id: Option<&str>,
        channel: &str,
    ) -> Result<Value, AuthRejection> {
        let normalized = pattern::normalize(channel);
        let (callback, params) = self
            .channels
            .iter()
            .find_map(|(p, cb)| p.matches(normalized).map(|params| (cb, params)))
            .ok_or(AuthRejection::NoPattern)?;
        let decision = callback(user, params).await;
        Ok(answer::channel_answer(
            &self.creds,
            socket_id,
            channel,
            decision,
        )?)
    }

    /// Answers one signin.
    ///
    /// # Errors
    /// An [`AuthRejection`].
    pub async fn authenticate_user(
        &self,
        user: U,
        socket_id: &str,
    ) -> Result<Value, AuthRejection> {
        let callback = self.user.as_ref().ok_or(AuthRejection::NoUser)?;
        let data = callback(user).await.ok_or(AuthRejection::NoUser)?;
        Ok(answer::user_answer(&self.creds, socket_id, &data)?)
    }

    /// GET and POST `/broadcasting/auth`, and `/broadcasting/user-auth` when enabled.
    pub fn router<S>(self) -> Router<S>
    where
        U: FromRequestParts<S>,
        S: Clone + Send + Sync + 'static,
    {
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

    async fn channel_route<S>(
        &self,
        state: &S,
        request: Request,
    ) -> Result<Json<Value>, AuthRejection>
    where
        U: FromRequestParts<S>,
        S: Send + Sync,
    {
        let (mut parts, body) = request.into_parts();
        let form = read_form(&parts, body).await?;
        let channel = form
            .channel_name
            .ok_or(AuthRejection::Malformed("channel_name is missing"))?;
        let user = U::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| AuthRejection::NoUser)?;
        let socket = form.socket_id.filter(|s| !s.is_empty());
        self.authorize(user, socket.as_deref(), &channel)
            .await
            .map(Json)
    }

    async fn user_route<S>(&self, state: &S, request: Request) -> Result<Json<Value>, AuthRejection>
    where
        U: FromRequestParts<S>,
        S: Send + Sync,
    {
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
