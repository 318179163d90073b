//! Channel authorization for axum: Laravel's `Broadcast::channel('orders.{order}', …)`,
//! `Broadcast::routes()` and `Broadcast::userRoutes()`. Your callbacks decide; [`answer`] signs;
//! [`routes`] serves them.
//!
//! **One credential source.** [`ChannelAuth::from_broadcaster`] signs with the key and secret the
//! broadcaster publishes with, as Laravel's `Broadcast::routes()` does; nothing is configured twice.
//!
//! **The user** comes from your app's own auth: `U` is any axum extractor (`FromRequestParts`) — a
//! session user, a bearer-token claim. When it rejects, the request is answered 403, as Laravel
//! answers a guest.
//!
//! **App state.** A callback given with [`ChannelAuth::channel_with_state`] takes a third argument,
//! `State<T>` for any `T: FromRef<S>` of the router's state `S` — a database pool, say — so nothing
//! is cloned into closures. Route parameters stay typed through [`Params::parse`].
//!
//! ```
//! use axum::extract::{FromRef, FromRequestParts, State};
//! use axum::http::{header, request::Parts, StatusCode};
//! use axum::Router;
//! use resso_broadcasting::auth::{ChannelAuth, Decision, Params};
//! use resso_broadcasting::Broadcaster;
//!
//! #[derive(Clone)]
//! struct AppState { broadcaster: Broadcaster, db: Db }
//! #[derive(Clone)]
//! struct Db;
//! impl Db { async fn owner_of(&self, order: u64) -> Option<u64> { Some(order) } }
//! impl FromRef<AppState> for Db { fn from_ref(s: &AppState) -> Db { s.db.clone() } }
//!
//! /// The signed-in user, from `Authorization: Bearer <token>` (a real app looks the token up).
//! struct User { id: u64 }
//! impl<S: Send + Sync> FromRequestParts<S> for User {
//!     type Rejection = StatusCode; // any rejection: /broadcasting/auth answers 403
//!     async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
//!         let auth = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
//!         let token = auth.and_then(|v| v.strip_prefix("Bearer ")).ok_or(StatusCode::UNAUTHORIZED)?;
//!         token.parse().map(|id| User { id }).map_err(|_| StatusCode::UNAUTHORIZED)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let (broadcaster, _) = Broadcaster::fake();
//! // let broadcaster = Broadcaster::from_env().await?;   // BROADCAST_CONNECTION, REVERB_*, …
//! let auth = ChannelAuth::<User, AppState>::from_broadcaster(&broadcaster)
//!     .channel_with_state("orders.{order}", |user: User, p: Params, State(db): State<Db>| async move {
//!         let Some(order) = p.parse::<u64>("order") else { return Decision::Deny };
//!         Decision::allow_if(db.owner_of(order).await == Some(user.id))
//!     })
//!     .channel("chat.{room}", |user: User, _| async move {
//!         Decision::member(user.id, serde_json::json!({ "name": "Alice" }))
//!     })
//!     .user_auth(|user: User| async move { Some(serde_json::json!({ "id": user.id })) });
//! let app: Router = Router::new()
//!     .merge(auth.router())
//!     .with_state(AppState { broadcaster, db: Db });
//! # }
//! ```

pub mod answer;
pub mod pattern;
pub mod routes;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{FromRef, State};
use serde_json::Value;

pub use self::answer::{AnswerError, Credentials, Decision};
pub use self::pattern::{Params, Pattern};
pub use self::routes::AuthRejection;
use crate::Broadcaster;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type ChannelCallback<U, S> = Arc<dyn Fn(U, Params, &S) -> BoxFuture<Decision> + Send + Sync>;
type UserCallback<U> = Arc<dyn Fn(U) -> BoxFuture<Option<Value>> + Send + Sync>;

/// The channel callbacks and credentials behind `/broadcasting/auth` and `/broadcasting/user-auth`.
/// `U` is the user extractor, `S` the router's state (`()` when the callbacks need none).
pub struct ChannelAuth<U, S = ()> {
    creds: Option<Credentials>,
    channels: Vec<(Pattern, ChannelCallback<U, S>)>,
    user: Option<UserCallback<U>>,
}

impl<U: Send + 'static, S: Send + Sync + 'static> ChannelAuth<U, S> {
    /// Signing with `creds`. No channels yet: every subscription is refused until
    /// [`channel`](Self::channel) adds one.
    #[must_use]
    pub fn new(creds: Credentials) -> Self {
        Self {
            creds: Some(creds),
            channels: Vec::new(),
            user: None,
        }
    }

    /// Signing with the key and secret `broadcaster` publishes with (Laravel's
    /// `Broadcast::routes()`). A broadcaster without them (`redis`, `log`, `null`) can still answer
    /// a Socket.IO server, whose answers are unsigned; a pusher-js request is then answered 500.
    #[must_use]
    pub fn from_broadcaster(broadcaster: &Broadcaster) -> Self {
        let creds = broadcaster.credentials();
        if creds.is_none() {
            tracing::warn!(
                driver = broadcaster.driver().name(),
                "channel authorization has no key to sign with: only Socket.IO servers get answers"
            );
        }
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
        let callback: ChannelCallback<U, S> = Arc::new(move |u, p, _| Box::pin(callback(u, p)));
        self.channels.push((Pattern::parse(pattern), callback));
        self
    }

    /// Like [`channel`](Self::channel), with the app's state as a third argument: `State<T>` for
    /// any `T` that `FromRef` takes out of the router's state `S` (`S` itself included).
    #[must_use]
    pub fn channel_with_state<T, F, Fut>(mut self, pattern: &str, callback: F) -> Self
    where
        T: FromRef<S> + Send + 'static,
        F: Fn(U, Params, State<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        let callback: ChannelCallback<U, S> =
            Arc::new(move |u, p, s| Box::pin(callback(u, p, State(T::from_ref(s)))));
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

    /// Decides and answers one subscription with the app's `state` (what the route does after
    /// reading the request): signed when there is a `socket_id`, unsigned for a Socket.IO server.
    ///
    /// # Errors
    /// An [`AuthRejection`].
    pub async fn authorize_with(
        &self,
        state: &S,
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
        let decision = callback(user, params, state).await;
        let answer = match (socket_id, &self.creds) {
            (None, _) => answer::unsigned_channel_answer(channel, decision),
            (Some(socket), Some(creds)) => {
                answer::channel_answer(creds, Some(socket), channel, decision)
            }
            (Some(_), None) => Err(AnswerError::NoCredentials),
        };
        Ok(answer?)
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
        let creds = self.creds.as_ref().ok_or(AnswerError::NoCredentials)?;
        Ok(answer::user_answer(creds, socket_id, &data)?)
    }
}

impl<U: Send + 'static> ChannelAuth<U> {
    /// [`authorize_with`](Self::authorize_with) for callbacks that need no state.
    ///
    /// # Errors
    /// An [`AuthRejection`].
    pub async fn authorize(
        &self,
        user: U,
        socket_id: Option<&str>,
        channel: &str,
    ) -> Result<Value, AuthRejection> {
        self.authorize_with(&(), user, socket_id, channel).await
    }
}
