//! The axum auth routes answering real subscriptions: Ressò accepts what they sign, with the
//! credentials taken from the broadcaster and callbacks that read the app's state.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use resso_broadcasting::auth::{ChannelAuth, Credentials, Decision, Params};
use resso_broadcasting::Broadcaster;
use serde_json::{json, Value};

use crate::support::{serve, Resso, KEY, SECRET};

/// The app's user: here from an `X-User` header (a real app reads its session).
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

/// The app's state: who owns which order (a real app asks its database).
#[derive(Clone)]
struct AppState {
    orders: Arc<HashMap<u64, u64>>,
}

/// What the orders callback takes out of the state.
#[derive(Clone)]
struct Orders(Arc<HashMap<u64, u64>>);

impl FromRef<AppState> for Orders {
    fn from_ref(state: &AppState) -> Self {
        Self(state.orders.clone())
    }
}

/// The routes, signing with `broadcaster`'s credentials.
async fn auth_app_for(broadcaster: &Broadcaster) -> String {
    let auth = ChannelAuth::<User, AppState>::from_broadcaster(broadcaster)
        .channel_with_state(
            "orders.{order}",
            |user: User, p: Params, State(Orders(owners)): State<Orders>| async move {
                let owner = p
                    .parse::<u64>("order")
                    .and_then(|o| owners.get(&o).copied());
                Decision::allow_if(owner == Some(user.id))
            },
        )
        .channel("chat.{room}", |user: User, _| async move {
            Decision::member(user.id, json!({"name": format!("user {}", user.id)}))
        })
        .user_auth(|user: User| async move { Some(json!({"id": user.id, "name": "Alice"})) });
    // Order n belongs to user n.
    let state = AppState {
        orders: Arc::new((1..10).map(|n| (n, n)).collect()),
    };
    serve(axum::Router::new().merge(auth.router()).with_state(state)).await
}

/// The routes with a broadcaster on the test app's credentials (no server needed to sign).
async fn auth_app() -> String {
    let config = resso_broadcasting::PusherConfig::new("http://127.0.0.1:1", "id", KEY, SECRET);
    let driver = resso_broadcasting::DriverConfig::Pusher(config)
        .connect()
        .await;
    auth_app_for(&Broadcaster::new(driver.unwrap())).await
}

async fn post_form(url: &str, user: Option<u64>, form: &[(&str, &str)]) -> (u16, String) {
    let mut req = reqwest::Client::new().post(url).form(form);
    if let Some(u) = user {
        req = req.header("x-user", u.to_string());
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn signed_answers_open_private_and_presence_channels_on_resso() {
    let resso = Resso::start().await;
    let app = auth_app_for(&resso.broadcaster()).await;
    let mut client = resso.client().await;
    let socket = client.socket_id.to_string();
    let url = format!("{app}/broadcasting/auth");
    let (status, body) = post_form(
        &url,
        Some(5),
        &[("socket_id", &socket), ("channel_name", "private-orders.5")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    client
        .subscribe(
            "private-orders.5",
            Some(&serde_json::from_str(&body).unwrap()),
        )
        .await;

    // JSON bodies work too.
    let res = reqwest::Client::new()
        .post(&url)
        .header("x-user", "5")
        .json(&json!({"socket_id": socket, "channel_name": "presence-chat.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    let data: Value = serde_json::from_str(answer["channel_data"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"user_id": "5", "user_info": {"name": "user 5"}})
    );
    client.subscribe("presence-chat.1", Some(&answer)).await;
}

#[tokio::test]
async fn refusals_are_403_and_bad_input_400() {
    let app = auth_app().await;
    let url = format!("{app}/broadcasting/auth");
    let s = ("socket_id", "1.2");
    let deny = post_form(&url, Some(6), &[s, ("channel_name", "private-orders.5")]).await;
    assert_eq!(deny.0, 403, "another user's order");
    let guest = post_form(&url, None, &[s, ("channel_name", "private-orders.5")]).await;
    assert_eq!(guest.0, 403, "no user");
    let unknown = post_form(&url, Some(5), &[s, ("channel_name", "private-nothing.5")]).await;
    assert_eq!(unknown.0, 403, "no pattern");
    let bad = post_form(
        &url,
        Some(5),
        &[("socket_id", "x"), ("channel_name", "private-orders.5")],
    )
    .await;
    assert_eq!(bad.0, 400, "bad socket id");
    let missing = post_form(&url, Some(5), &[s]).await;
    assert_eq!(missing.0, 400, "no channel_name");
}

#[tokio::test]
async fn unsigned_answers_for_a_socket_io_server() {
    let app = auth_app().await;
    let url = format!("{app}/broadcasting/auth");
    let private = post_form(&url, Some(5), &[("channel_name", "private-orders.5")]).await;
    assert_eq!(private, (200, "true".to_owned()));
    let presence = post_form(&url, Some(5), &[("channel_name", "presence-chat.2")]).await;
    assert_eq!(presence.0, 200);
    let v: Value = serde_json::from_str(&presence.1).unwrap();
    assert_eq!(
        v,
        json!({"channel_data": {"user_id": "5", "user_info": {"name": "user 5"}}})
    );
}

#[tokio::test]
async fn user_auth_signs_in_on_resso() {
    let resso = Resso::start().await;
    let app = auth_app().await;
    let mut client = resso.client().await;
    let socket = client.socket_id.to_string();
    let (status, body) = post_form(
        &format!("{app}/broadcasting/user-auth"),
        Some(9),
        &[("socket_id", &socket)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["user_data"], r#"{"id":"9","name":"Alice"}"#);
    client
        .send(json!({"event": "pusher:signin", "data": answer}))
        .await;
    let reply = client.next().await;
    assert_eq!(reply["event"], "pusher:signin_success", "{reply}");
}

#[tokio::test]
async fn explicit_credentials_and_stateless_callbacks_still_work() {
    let auth = ChannelAuth::<User>::new(Credentials::new(KEY, SECRET))
        .channel("orders.{order}", |user: User, p| async move {
            Decision::allow_if(p.parse::<u64>("order") == Some(user.id))
        });
    let answer = auth.authorize(User { id: 3 }, Some("1.2"), "private-orders.3");
    assert!(answer.await.unwrap()["auth"]
        .as_str()
        .unwrap()
        .starts_with("app-key:"));
    let app = serve(axum::Router::new().merge(auth.router())).await;
    let url = format!("{app}/broadcasting/auth");
    let (status, _) = post_form(&url, Some(4), &[("channel_name", "private-orders.3")]).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_broadcaster_without_credentials_answers_only_socket_io() {
    let (fake, _) = Broadcaster::fake();
    let app = auth_app_for(&fake).await;
    let url = format!("{app}/broadcasting/auth");
    let unsigned = post_form(&url, Some(5), &[("channel_name", "private-orders.5")]).await;
    assert_eq!(unsigned, (200, "true".to_owned()));
    let form = [("socket_id", "1.2"), ("channel_name", "private-orders.5")];
    let (status, body) = post_form(&url, Some(5), &form).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("no app key and secret"), "{body}");
}
