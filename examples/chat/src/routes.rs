//! The HTTP side: the page and its script, signing in, sending messages, the client's connection
//! settings, and `/broadcasting/auth` — `resso-broadcasting`'s router with this app's two channel
//! rules, signed with the broadcaster's own credentials.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use resso_broadcasting::auth::{ChannelAuth, Decision, Params};
use resso_broadcasting::{Broadcaster, XSocketId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::events::{DirectMessage, MessageSent};
use crate::users::User;
use crate::AppState;

const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/chat.js");
/// pusher-js's browser build, copied from the npm package (`npm run vendor`; MIT, licence beside it).
const PUSHER_JS: &str = include_str!("../assets/vendor/pusher.min.js");

/// Every route of the app.
pub fn router(state: AppState) -> Router {
    let js = |body: &'static str| move || async move { javascript(body) };
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/chat.js", get(js(SCRIPT)))
        .route("/pusher.min.js", get(js(PUSHER_JS)))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/config", get(config))
        .route("/login", post(login))
        .route("/messages", post(message))
        .route("/direct", post(direct))
        .merge(channels(&state.broadcaster).router())
        .with_state(state)
}

/// This app's `routes/channels.php`.
fn channels(broadcaster: &Broadcaster) -> ChannelAuth<User, AppState> {
    ChannelAuth::from_broadcaster(broadcaster)
        // A user's own inbox only.
        .channel("users.{id}", |user: User, p| async move {
            Decision::allow_if(p.parse::<u64>("id") == Some(user.id))
        })
        // Any signed-in user may join a room that exists; others see their name.
        .channel_with_state(
            "chat.{room}",
            |user: User, p: Params, State(state): State<AppState>| async move {
                let exists = p.get("room").is_some_and(|r| state.rooms.contains(&r));
                if !exists {
                    return Decision::Deny;
                }
                Decision::member(user.id, json!({ "name": user.name }))
            },
        )
}

fn javascript(body: &'static str) -> Response {
    let content_type = "text/javascript; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /config`: what `new Pusher(key, options)` needs — the key and where the WebSocket is (the
/// same host and port as the HTTP API the broadcaster publishes to).
async fn config(State(state): State<AppState>) -> Result<Json<Value>, StatusCode> {
    let client = state
        .broadcaster
        .pusher()
        .ok_or(StatusCode::SERVICE_UNAVAILABLE)?;
    let c = client.config();
    let (scheme, host) = c
        .base_url
        .split_once("://")
        .unwrap_or(("http", &c.base_url));
    let (host, port) = host.rsplit_once(':').unwrap_or((host, ""));
    let tls = scheme == "https";
    let port: u16 = port.parse().unwrap_or(if tls { 443 } else { 80 });
    Ok(Json(json!({
        "key": c.key,
        "wsHost": host,
        "wsPort": port,
        "wssPort": port,
        "forceTLS": tls,
        "rooms": state.rooms,
    })))
}

#[derive(Deserialize)]
struct Login {
    name: String,
}

/// `POST /login {"name"}`: a new user and their bearer token.
async fn login(State(state): State<AppState>, Json(form): Json<Login>) -> Response {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "a name of 1 to 40 characters",
        )
            .into_response();
    }
    let (user, token) = state.users.sign_in(name);
    Json(json!({ "user": user, "token": token })).into_response()
}

#[derive(Deserialize)]
struct Say {
    room: String,
    text: String,
}

/// `POST /messages {"room","text"}`: to everyone in the room but the sender's own connection.
async fn message(
    State(state): State<AppState>,
    user: User,
    XSocketId(socket): XSocketId,
    Json(say): Json<Say>,
) -> StatusCode {
    if !state.rooms.contains(&say.room.as_str()) {
        return StatusCode::NOT_FOUND;
    }
    let event = MessageSent {
        room: say.room,
        from: user,
        text: say.text,
    };
    sent(state.broadcaster.broadcast(&event).to_others(socket).await)
}

#[derive(Deserialize)]
struct Whisper {
    to: u64,
    text: String,
}

/// `POST /direct {"to","text"}`: to one user's private channel.
async fn direct(State(state): State<AppState>, user: User, Json(w): Json<Whisper>) -> StatusCode {
    let event = DirectMessage {
        to: w.to,
        from: user,
        text: w.text,
    };
    sent(state.broadcaster.broadcast(&event).await)
}

fn sent(result: Result<(), resso_broadcasting::BroadcastError>) -> StatusCode {
    match result {
        Ok(()) => StatusCode::ACCEPTED,
        Err(e) => {
            tracing::warn!("not broadcast: {e}");
            StatusCode::BAD_GATEWAY
        }
    }
}
