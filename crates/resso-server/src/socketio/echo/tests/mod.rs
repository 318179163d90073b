//! The Echo handler and its auth calls against a real Laravel-like auth endpoint (axum on port 0)
//! and a real registry.

mod auth;
mod handler;

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Router};
use bytes::Bytes;
use resso_protocol::{Limits, SocketId};
use serde_json::value::RawValue;

use super::auth::{Allowed, AuthClient, AuthError, AuthRequest, Malformed};
use super::target::AuthTarget;
use super::{Echo, EchoSocket};
use crate::apps::App;
use crate::config::AppConfig;
use crate::outbox::{outbox, Inbox};
use crate::registry::Registry;
use crate::socketio::echo::Connect;

#[derive(serde::Deserialize)]
struct AuthForm {
    channel_name: String,
}

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// What Laravel's `RedisBroadcaster` would answer, by channel name.
async fn laravel_auth(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Form(f): Form<AuthForm>,
) -> (StatusCode, String) {
    seen.lock().unwrap().push(headers.clone());
    let ok = |body: &str| (StatusCode::OK, body.to_owned());
    match f.channel_name.as_str() {
        "private-ok" | "private-encrypted-ok" => ok("true"),
        "private-empty" => ok(""),
        "private-deny" => (StatusCode::FORBIDDEN, String::new()),
        "presence-room" => {
            let user = headers
                .get("x-user")
                .map_or("1", |v| v.to_str().unwrap_or("1"));
            ok(&format!(
                r#"{{"channel_data":{{"user_id":{user},"user_info":{{"name":"U{user}"}}}}}}"#
            ))
        }
        "presence-room-2" => {
            ok(r#"{"channel_data":"{\"user_id\":\"2\",\"user_info\":{\"name\":\"Bo\"}}"}"#)
        }
        "presence-bad" => ok("true"),
        "presence-huge" => ok(&format!(
            r#"{{"channel_data":{{"user_id":1,"user_info":"{}"}}}}"#,
            "x".repeat(2000)
        )),
        name if name.ends_with("-slow") => std::future::pending().await,
        _ => (StatusCode::NOT_FOUND, String::new()),
    }
}

/// An auth endpoint on port 0 and what it was sent.
async fn auth_app() -> (AuthTarget, Seen) {
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/broadcasting/auth",
        listener.local_addr().unwrap()
    );
    let router = Router::new()
        .route("/broadcasting/auth", post(laravel_auth))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let target = AuthTarget {
        url,
        timeout: Duration::from_millis(300),
    };
    (target, seen)
}

fn request(channel: &str) -> AuthRequest {
    AuthRequest {
        channel: channel.into(),
        presence: channel.starts_with("presence-"),
        headers: vec![
            ("X-CSRF-TOKEN".into(), "csrf".into()),
            ("Authorization".into(), "Bearer t".into()),
            ("Host".into(), "evil.test".into()),
            ("Content-Length".into(), "1".into()),
        ],
        cookie: Some("laravel_session=abc".into()),
    }
}

async fn authorize(target: &AuthTarget, channel: &str) -> Result<Allowed, AuthError> {
    AuthClient::default()
        .authorize(target, &request(channel), &Limits::default())
        .await
}
