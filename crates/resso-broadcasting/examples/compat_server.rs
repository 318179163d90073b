//! A small app for the npm compat tests (`tests/compat/test/broadcasting.test.js`): Ressò in-process
//! on 127.0.0.1:0 and an axum app on 127.0.0.1:0 with this library's auth routes and a `/trigger`
//! endpoint that broadcasts through the library. Prints `{"ws_port":…,"app_port":…}` and runs until
//! stdin closes, so the test that started it needs no cleanup beyond ending.
//!
//! The user is read from an `X-User` header (a real app reads its session).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use resso_broadcasting::auth::{ChannelAuth, Credentials, Decision};
use resso_broadcasting::{
    Broadcaster, Channel, Driver, MasterKey, Notifiable, PusherClient, PusherConfig,
    ShouldBroadcast, XSocketId,
};
use resso_server::config::{AppConfig, Config, ServerConfig};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[derive(Clone)]
struct User {
    id: u64,
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let id = parts.headers.get("x-user").and_then(|v| v.to_str().ok());
        id.and_then(|v| v.parse().ok())
            .map(|id| Self { id })
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

#[derive(Serialize)]
struct OrderShipped {
    order_id: u64,
    /// Which trigger this was, so a test can tell the events apart.
    n: u64,
}

impl ShouldBroadcast for OrderShipped {
    fn broadcast_on(&self) -> Vec<Channel> {
        vec![Channel::private(format!("orders.{}", self.order_id))]
    }
}

#[derive(Serialize)]
struct ExportReady {
    rows: u64,
}
impl resso_broadcasting::BroadcastNotification for ExportReady {}

#[derive(Deserialize)]
struct Trigger {
    kind: String,
    id: u64,
    #[serde(default)]
    n: u64,
}

async fn trigger(
    State(b): State<Broadcaster>,
    socket: XSocketId,
    Json(t): Json<Trigger>,
) -> Result<&'static str, (StatusCode, String)> {
    let fail = |e: resso_broadcasting::BroadcastError| (StatusCode::BAD_GATEWAY, e.to_string());
    match t.kind.as_str() {
        "order" => {
            b.broadcast(&OrderShipped {
                order_id: t.id,
                n: t.n,
            })
            .to_others(socket)
            .await
        }
        "doc" => {
            let secret = json!({ "secret": "plans", "doc": t.id });
            b.on([Channel::encrypted(format!("doc.{}", t.id))])
                .event("DocSaved")
                .with(&secret)
                .send()
                .await
        }
        "notify" => b
            .notify(&Notifiable::user(t.id), &ExportReady { rows: 3 })
            .await
            .map(drop),
        _ => return Err((StatusCode::BAD_REQUEST, "unknown kind".into())),
    }
    .map_err(fail)?;
    Ok("{}")
}

fn auth() -> ChannelAuth<User> {
    let creds = Credentials {
        key: "app-key".into(),
        secret: "app-secret".into(),
        master_key: Some(MasterKey::from_base64(MASTER_KEY).expect("valid key")),
    };
    ChannelAuth::new(creds)
        .channel("orders.{order}", |u: User, p| async move {
            Decision::allow_if(p.parse::<u64>("order") == Some(u.id))
        })
        .channel("App.Models.User.{id}", |u: User, p| async move {
            Decision::allow_if(p.parse::<u64>("id") == Some(u.id))
        })
        .channel("doc.{id}", |_: User, _| async move { Decision::Allow })
        .channel("chat.{room}", |u: User, _| async move {
            Decision::member(u.id, json!({ "name": format!("user {}", u.id) }))
        })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let config = Config {
        server: ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
        apps: vec![AppConfig::with_credentials(
            "app-id",
            "app-key",
            "app-secret",
        )],
        ..Config::default()
    };
    config.validate().expect("valid config");
    let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ws_port = ws.local_addr().expect("address").port();
    let token = CancellationToken::new();
    tokio::spawn(resso_server::run(ws, config, token.clone()));

    let pusher = PusherConfig::new(
        format!("http://127.0.0.1:{ws_port}"),
        "app-id",
        "app-key",
        "app-secret",
    )
    .with_master_key(MasterKey::from_base64(MASTER_KEY).expect("valid key"));
    let broadcaster = Broadcaster::new(Driver::Pusher(PusherClient::new(pusher)));
    let app = Router::new()
        .route("/trigger", post(trigger))
        .with_state(broadcaster)
        .merge(auth().router());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app_port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("{}", json!({ "ws_port": ws_port, "app_port": app_port }));

    // Run until the parent closes our stdin (or dies).
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
    token.cancel();
}
