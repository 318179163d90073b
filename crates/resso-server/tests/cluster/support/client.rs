//! [`Client`]: a Pusher protocol client over tokio-tungstenite that asserts as it reads (a trimmed
//! copy of the single-node tests' client). Every wait is bounded.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resso_protocol::auth::{channel_string, signin_string, Credentials};
use resso_protocol::{AppKey, ChannelName, Limits, SocketId};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long an expected frame may take (cross-node hops included).
pub const RECV: Duration = Duration::from_secs(2);
/// How long "nothing (more) arrives" is watched for.
pub const QUIET: Duration = Duration::from_millis(500);

/// What arrived next on a socket.
#[derive(Debug)]
pub enum Outcome {
    Text(String),
    Close(Option<(u16, String)>),
    Ended(String),
    Timeout,
}

/// A WebSocket client of one app.
pub struct Client {
    ws: Ws,
    pub socket_id: String,
    app: TestApp,
}

impl Client {
    /// Upgrades to `url` and reads `pusher:connection_established`.
    pub async fn connect(url: &str, app: TestApp) -> Self {
        let mut client = Self::open(url, app).await;
        let frame = client.expect_event("pusher:connection_established").await;
        let data: Value = serde_json::from_str(frame["data"].as_str().expect("string data"))
            .expect("data holds JSON");
        client.socket_id = data["socket_id"].as_str().expect("socket_id").to_owned();
        client
    }

    /// Upgrades to `url` without reading anything.
    pub async fn open(url: &str, app: TestApp) -> Self {
        let (ws, response) = tokio::time::timeout(RECV, tokio_tungstenite::connect_async(url))
            .await
            .expect("WebSocket handshake timed out")
            .expect("WebSocket upgrade succeeds");
        assert_eq!(response.status().as_u16(), 101, "upgrade status");
        Self {
            ws,
            socket_id: String::new(),
            app,
        }
    }

    pub async fn send_json(&mut self, value: &Value) {
        let text = value.to_string();
        self.ws
            .send(Message::text(text))
            .await
            .expect("send a frame");
    }

    /// The next frame within `wait`; control frames are skipped.
    pub async fn next_within(&mut self, wait: Duration) -> Outcome {
        let deadline = Instant::now() + wait;
        loop {
            let message = match timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Outcome::Timeout,
                Ok(None) => return Outcome::Ended("stream ended".into()),
                Ok(Some(Err(e))) => return Outcome::Ended(e.to_string()),
                Ok(Some(Ok(message))) => message,
            };
            return match message {
                Message::Text(text) => Outcome::Text(text.to_string()),
                Message::Close(frame) => {
                    Outcome::Close(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => Outcome::Ended(format!("unexpected frame {other:?}")),
            };
        }
    }

    /// The next text frame as JSON, within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Value {
        match self.next_within(wait).await {
            Outcome::Text(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("server sent non-JSON text {text:?}: {e}")),
            other => panic!(
                "{}: expected a text frame within {wait:?}, got {other:?}",
                self.socket_id
            ),
        }
    }

    pub async fn recv_json(&mut self) -> Value {
        self.recv_within(RECV).await
    }

    /// The next frame, which must be `event`.
    pub async fn expect_event(&mut self, event: &str) -> Value {
        let frame = self.recv_json().await;
        assert_eq!(frame["event"], event, "expected {event}, got {frame}");
        frame
    }

    /// Asserts nothing arrives for `wait`.
    pub async fn assert_silent_for(&mut self, wait: Duration) {
        match self.next_within(wait).await {
            Outcome::Timeout => {}
            other => panic!(
                "{}: expected silence for {wait:?}, got {other:?}",
                self.socket_id
            ),
        }
    }

    /// Every text frame arriving within `wait`, as JSON.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut frames = Vec::new();
        loop {
            match self
                .next_within(deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Outcome::Text(text) => frames.push(serde_json::from_str(&text).expect("JSON")),
                Outcome::Timeout => return frames,
                Outcome::Ended(why) => panic!("{}: connection ended: {why}", self.socket_id),
                Outcome::Close(close) => panic!("{}: closed with {close:?}", self.socket_id),
            }
        }
    }

    /// `pusher:error` with `code`, then a close frame with the same code.
    pub async fn expect_refusal(&mut self, code: u16) {
        let frame = self.expect_event("pusher:error").await;
        assert_eq!(frame["data"]["code"], code, "{frame}");
        match self.next_within(RECV).await {
            Outcome::Close(Some((closed, _))) => assert_eq!(closed, code, "close code"),
            other => panic!("expected a close frame with code {code}, got {other:?}"),
        }
    }

    /// `pusher:ping` is answered with `pusher:pong`: the connection is open.
    pub async fn ping(&mut self) {
        self.send_json(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        self.expect_event("pusher:pong").await;
    }

    fn socket(&self) -> SocketId {
        SocketId::parse(&self.socket_id).expect("connected")
    }

    fn sign(&self, text: &str) -> String {
        let key = AppKey::from(self.app.key);
        let credentials = Credentials {
            key: &key,
            secret: self.app.secret,
        };
        credentials.auth_for(text)
    }

    /// The `auth` an app's auth endpoint would return for this socket.
    pub fn auth(&self, channel: &str, channel_data: Option<&str>) -> String {
        let channel = ChannelName::parse(channel, &Limits::default()).expect("valid channel");
        self.sign(&channel_string(self.socket(), &channel, channel_data))
    }

    async fn subscribe(&mut self, channel: &str, auth: &str, data: Option<&str>) -> String {
        let mut body = json!({ "channel": channel, "auth": auth });
        if let Some(data) = data {
            body["channel_data"] = data.into();
        }
        self.send_json(&json!({"event": "pusher:subscribe", "data": body}))
            .await;
        let frame = self
            .expect_event("pusher_internal:subscription_succeeded")
            .await;
        assert_eq!(frame["channel"], channel, "{frame}");
        frame["data"].as_str().expect("string data").to_owned()
    }

    pub async fn subscribe_public(&mut self, channel: &str) {
        assert_eq!(self.subscribe(channel, "", None).await, "{}");
    }

    pub async fn subscribe_private(&mut self, channel: &str) {
        let auth = self.auth(channel, None);
        assert_eq!(self.subscribe(channel, &auth, None).await, "{}");
    }

    /// Joins a presence channel as `user` with `{"name": name}`; returns the `presence` object.
    pub async fn join(&mut self, channel: &str, user: &str, name: &str) -> Value {
        let data = json!({"user_id": user, "user_info": {"name": name}}).to_string();
        let auth = self.auth(channel, Some(&data));
        let text = self.subscribe(channel, &auth, Some(&data)).await;
        let data: Value = serde_json::from_str(&text).expect("presence data holds JSON");
        data["presence"].clone()
    }

    pub async fn unsubscribe(&mut self, channel: &str) {
        let frame = json!({"event": "pusher:unsubscribe", "data": {"channel": channel}});
        self.send_json(&frame).await;
    }

    /// Signs in with a good signature and expects `pusher:signin_success`.
    pub async fn signin(&mut self, user_data: &str) {
        let auth = self.sign(&signin_string(self.socket(), user_data));
        let frame =
            json!({"event": "pusher:signin", "data": {"auth": auth, "user_data": user_data}});
        self.send_json(&frame).await;
        self.expect_event("pusher:signin_success").await;
    }

    /// The next frame must be `pusher_internal:{event}` (`member_added`/`member_removed`) on
    /// `channel`; returns its parsed data.
    pub async fn expect_member(&mut self, event: &str, channel: &str, wait: Duration) -> Value {
        let frame = self.recv_within(wait).await;
        assert_eq!(
            frame["event"],
            format!("pusher_internal:{event}"),
            "{frame}"
        );
        assert_eq!(frame["channel"], channel, "{frame}");
        serde_json::from_str(frame["data"].as_str().expect("string data")).expect("JSON data")
    }

    /// Sends a close frame and waits (briefly) for the server to end the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(RECV, async { while self.ws.next().await.is_some() {} }).await;
    }
}

/// Asserts that none of `clients` receives anything for [`QUIET`] (watched concurrently).
pub async fn assert_all_silent(clients: &mut [&mut Client]) {
    let checks = clients.iter_mut().map(|c| c.assert_silent_for(QUIET));
    futures_util::future::join_all(checks).await;
}

/// The sorted ids and the hash of a `presence` object, checking `count` and `ids` agree with it.
pub fn presence_hash(presence: &Value) -> Value {
    let hash = presence["hash"].as_object().expect("presence.hash").clone();
    assert_eq!(
        presence["count"],
        hash.len(),
        "count = distinct users: {presence}"
    );
    let mut ids: Vec<&str> = presence["ids"]
        .as_array()
        .expect("presence.ids")
        .iter()
        .map(|v| v.as_str().expect("string ids"))
        .collect();
    ids.sort_unstable();
    let mut keys: Vec<&str> = hash.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(ids, keys, "ids = hash keys: {presence}");
    Value::Object(hash)
}
