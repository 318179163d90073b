//! [`Client`]: a Pusher protocol client over tokio-tungstenite that asserts as it reads. Every wait is
//! bounded ([`RECV_TIMEOUT`]) and panics with what was (or was not) received.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use resso_protocol::auth::{channel_string, Credentials};
use resso_protocol::{AppKey, ChannelName, Limits, SocketId};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{TestApp, MAIN};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any expected frame may take.
const RECV_TIMEOUT: Duration = Duration::from_secs(2);
/// How long "nothing arrives" is watched for.
pub const SILENCE: Duration = Duration::from_millis(300);
/// The longest reason a close frame may carry (RFC 6455).
const MAX_CLOSE_REASON: usize = 123;

/// What arrived next on a socket.
#[derive(Debug)]
pub enum Outcome {
    Text(String),
    Pong(Vec<u8>),
    /// A close frame: code and reason.
    Close(Option<(u16, String)>),
    /// The stream ended or failed without a close frame.
    Ended(String),
    Timeout,
}

/// A WebSocket client of one app.
pub struct Client {
    ws: Ws,
    /// From `connection_established`; empty until then.
    pub socket_id: String,
    pub activity_timeout: u64,
    app: TestApp,
}

impl Client {
    /// Upgrades to `url` without reading anything.
    pub async fn open(url: &str) -> Self {
        Self::open_request(url.into_client_request().expect("valid URL"), None).await
    }

    /// Upgrades to `url` sending an `Origin` header, without reading anything.
    pub async fn open_with_origin(url: &str, origin: &str) -> Self {
        let mut request = url.into_client_request().expect("valid URL");
        let origin = HeaderValue::from_str(origin).expect("valid origin");
        request.headers_mut().insert("origin", origin);
        Self::open_request(request, None).await
    }

    /// Upgrades over a socket whose receive buffer is `bytes` (so a client that stops reading backs
    /// up quickly), then reads `connection_established`.
    pub async fn connect_small_buffer(url: &str, bytes: u32) -> Self {
        let request = url.into_client_request().expect("valid URL");
        let mut client = Self::open_request(request, Some(bytes)).await;
        client.established().await;
        client
    }

    async fn open_request(request: Request, recv_buffer: Option<u32>) -> Self {
        let host = request.uri().authority().expect("URL has a host").as_str();
        let addr = tokio::net::lookup_host(host)
            .await
            .expect("resolve")
            .next()
            .expect("an address");
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        }
        let deadline = Instant::now() + RECV_TIMEOUT;
        let stream = timeout_at(deadline, socket.connect(addr))
            .await
            .expect("TCP connect timed out")
            .expect("TCP connect");
        let (ws, response) = timeout_at(
            deadline,
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)),
        )
        .await
        .expect("WebSocket handshake timed out")
        .expect("WebSocket upgrade succeeds");
        assert_eq!(response.status().as_u16(), 101, "upgrade status");
        Self {
            ws,
            socket_id: String::new(),
            activity_timeout: 0,
            app: MAIN,
        }
    }

    /// Upgrades to `url` and reads `pusher:connection_established`.
    pub async fn connect(url: &str) -> Self {
        let mut client = Self::open(url).await;
        client.established().await;
        client
    }

    /// Signs subscriptions with `app`'s credentials.
    #[must_use]
    pub fn with_app(mut self, app: TestApp) -> Self {
        self.app = app;
        self
    }

    /// Reads the first frame: `connection_established` with string `data`, a `\d+.\d+` socket id
    /// and a non-zero activity timeout.
    pub async fn established(&mut self) {
        let frame = self.expect_event("pusher:connection_established").await;
        assert!(frame.get("channel").is_none(), "no channel: {frame}");
        let text = frame["data"].as_str().unwrap_or_else(|| {
            panic!("connection_established data must be a JSON string: {frame}")
        });
        let data: Value = serde_json::from_str(text).expect("data string holds JSON");
        let socket_id = data["socket_id"].as_str().expect("socket_id is a string");
        assert!(
            is_socket_id(socket_id),
            "socket_id {socket_id:?} is not \\d+.\\d+"
        );
        let timeout = data["activity_timeout"]
            .as_u64()
            .expect("activity_timeout is a number");
        assert!(timeout > 0, "activity_timeout must be non-zero");
        self.socket_id = socket_id.to_owned();
        self.activity_timeout = timeout;
    }

    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.expect("send a frame");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send_message(Message::text(text)).await;
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    /// The next frame within `wait`; control frames other than pongs are skipped.
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
                Message::Pong(payload) => Outcome::Pong(payload.to_vec()),
                Message::Close(frame) => {
                    Outcome::Close(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
                }
                Message::Ping(_) => continue,
                other => Outcome::Ended(format!("unexpected frame {other:?}")),
            };
        }
    }

    /// The next text frame, as sent.
    pub async fn recv_text(&mut self) -> String {
        match self.next_within(RECV_TIMEOUT).await {
            Outcome::Text(text) => text,
            other => panic!("expected a text frame within {RECV_TIMEOUT:?}, got {other:?}"),
        }
    }

    /// The next text frame as JSON.
    pub async fn recv_json(&mut self) -> Value {
        match self.next_within(RECV_TIMEOUT).await {
            Outcome::Text(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("server sent non-JSON text {text:?}: {e}")),
            other => panic!("expected a text frame within {RECV_TIMEOUT:?}, got {other:?}"),
        }
    }

    /// The next frame, which must be `event`.
    pub async fn expect_event(&mut self, event: &str) -> Value {
        let frame = self.recv_json().await;
        assert_eq!(frame["event"], event, "expected {event}, got {frame}");
        frame
    }

    /// The next frame, which must be `pusher:error` with object data and `code`; returns its message.
    pub async fn expect_error(&mut self, code: Option<u16>) -> String {
        let frame = self.expect_event("pusher:error").await;
        let data = &frame["data"];
        assert!(data.is_object(), "pusher:error data is an object: {frame}");
        assert_eq!(data["code"], json!(code), "pusher:error code: {frame}");
        let message = data["message"].as_str().expect("message is a string");
        assert!(!message.is_empty(), "pusher:error has a message");
        message.to_owned()
    }

    /// Asserts nothing arrives for [`SILENCE`].
    pub async fn assert_silent(&mut self) {
        match self.next_within(SILENCE).await {
            Outcome::Timeout => {}
            other => panic!("expected silence for {SILENCE:?}, got {other:?}"),
        }
    }

    /// The next frame, which must be a close frame with a code and a reason of ≤ 123 bytes.
    pub async fn expect_close(&mut self) -> (u16, String) {
        match self.next_within(RECV_TIMEOUT).await {
            Outcome::Close(Some((code, reason))) => {
                assert!(
                    reason.len() <= MAX_CLOSE_REASON,
                    "close reason too long: {reason:?}"
                );
                (code, reason)
            }
            Outcome::Ended(why) => panic!("connection ended without a close frame: {why}"),
            other => panic!("expected a close frame with a code, got {other:?}"),
        }
    }

    /// `pusher:error` with `code`, then a close frame with the same code; returns the reason.
    pub async fn expect_refusal(&mut self, code: u16) -> String {
        let message = self.expect_error(Some(code)).await;
        let (closed, reason) = self.expect_close().await;
        assert_eq!(closed, code, "close code (reason {reason:?})");
        assert!(!reason.is_empty(), "close frame has a reason");
        assert!(
            message.starts_with(&reason),
            "reason {reason:?} vs message {message:?}"
        );
        reason
    }

    /// Reads (and counts) text frames until the connection closes or ends, within `wait`.
    pub async fn read_until_close(&mut self, wait: Duration) -> (usize, Outcome) {
        let deadline = Instant::now() + wait;
        let mut texts = 0;
        loop {
            match self
                .next_within(deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Outcome::Text(_) => texts += 1,
                Outcome::Pong(_) => {}
                end => return (texts, end),
            }
        }
    }

    /// `pusher:ping` must be answered with `pusher:pong` (data `{}` or absent).
    pub async fn ping(&mut self) {
        self.send_json(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        let pong = self.expect_event("pusher:pong").await;
        assert!(
            pong.get("data").is_none_or(|d| d == &json!({})),
            "pong data: {pong}"
        );
    }

    /// The `auth` an app's auth endpoint would return for this socket.
    pub fn auth(&self, channel: &str, channel_data: Option<&str>) -> String {
        let key = AppKey::from(self.app.key);
        let credentials = Credentials {
            key: &key,
            secret: self.app.secret,
        };
        let socket = SocketId::parse(&self.socket_id).expect("connected");
        let channel = ChannelName::parse(channel, &Limits::default()).expect("valid channel");
        credentials.auth_for(&channel_string(socket, &channel, channel_data))
    }

    pub async fn send_subscribe(&mut self, channel: &str, auth: Option<&str>, data: Option<&str>) {
        let mut body = json!({ "channel": channel });
        if let Some(auth) = auth {
            body["auth"] = auth.into();
        }
        if let Some(data) = data {
            body["channel_data"] = data.into();
        }
        self.send_json(&json!({"event": "pusher:subscribe", "data": body}))
            .await;
    }

    pub async fn unsubscribe(&mut self, channel: &str) {
        let frame = json!({"event": "pusher:unsubscribe", "data": {"channel": channel}});
        self.send_json(&frame).await;
    }

    /// The next frame must be `subscription_succeeded` for `channel`; returns its data string.
    async fn expect_succeeded(&mut self, channel: &str) -> String {
        let frame = self
            .expect_event("pusher_internal:subscription_succeeded")
            .await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let data = frame["data"].as_str();
        data.unwrap_or_else(|| panic!("data must be a JSON string: {frame}"))
            .to_owned()
    }

    /// Subscribes as pusher-js does (`auth: ""`) and expects `data: "{}"`.
    pub async fn subscribe_public(&mut self, channel: &str) {
        self.send_subscribe(channel, Some(""), None).await;
        assert_eq!(self.expect_succeeded(channel).await, "{}");
    }

    pub async fn subscribe_private(&mut self, channel: &str) {
        let auth = self.auth(channel, None);
        self.send_subscribe(channel, Some(&auth), None).await;
        assert_eq!(self.expect_succeeded(channel).await, "{}");
    }

    /// Joins a presence channel; returns the `presence` object (`ids`, `hash`, `count`).
    pub async fn subscribe_presence(
        &mut self,
        channel: &str,
        user_id: Value,
        info: Value,
    ) -> Value {
        let data = json!({"user_id": user_id, "user_info": info}).to_string();
        self.subscribe_presence_raw(channel, &data).await
    }

    /// Joins with this exact `channel_data` string, signed byte for byte.
    pub async fn subscribe_presence_raw(&mut self, channel: &str, channel_data: &str) -> Value {
        let auth = self.auth(channel, Some(channel_data));
        self.send_subscribe(channel, Some(&auth), Some(channel_data))
            .await;
        let data: Value = serde_json::from_str(&self.expect_succeeded(channel).await)
            .expect("presence data holds JSON");
        let presence = data["presence"].clone();
        let hash = presence["hash"]
            .as_object()
            .expect("presence.hash is an object");
        assert_eq!(
            presence["count"],
            hash.len(),
            "count = distinct users: {presence}"
        );
        let mut ids: Vec<&str> = presence["ids"]
            .as_array()
            .expect("presence.ids is an array")
            .iter()
            .map(|id| id.as_str().expect("ids are strings"))
            .collect();
        ids.sort_unstable();
        let mut keys: Vec<&str> = hash.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(ids, keys, "ids match hash keys: {presence}");
        presence
    }

    /// The next frame must be `member_added`/`member_removed` on `channel`; returns parsed data.
    pub async fn expect_member_event(&mut self, event: &str, channel: &str) -> Value {
        let frame = self.expect_event(event).await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let text = frame["data"].as_str();
        let text = text.unwrap_or_else(|| panic!("{event} data must be a JSON string: {frame}"));
        serde_json::from_str(text).expect("member data holds JSON")
    }

    /// Sends a ping and reads up to its pong, failing on `subscription_succeeded` on the way (a
    /// Pusher-style extra `pusher:error` is allowed).
    pub async fn expect_no_success_then_pong(&mut self) {
        self.send_json(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        loop {
            let frame = self.recv_json().await;
            match frame["event"].as_str() {
                Some("pusher:pong") => return,
                Some("pusher:error") => {}
                _ => panic!("expected only pusher:error before the pong, got {frame}"),
            }
        }
    }
}

impl Client {
    /// The `auth` an app's user authentication endpoint would return for this socket: the app key
    /// and the hex HMAC-SHA256 of `{socket_id}::user::{user_data}`, computed here independently of
    /// the server's code.
    pub fn signin_auth(&self, user_data: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.app.secret.as_bytes()).expect("any key");
        mac.update(format!("{}::user::{user_data}", self.socket_id).as_bytes());
        format!(
            "{}:{}",
            self.app.key,
            hex::encode(mac.finalize().into_bytes())
        )
    }

    /// Sends `pusher:signin` as pusher-js does.
    pub async fn send_signin(&mut self, auth: &str, user_data: &str) {
        let frame =
            json!({"event": "pusher:signin", "data": {"auth": auth, "user_data": user_data}});
        self.send_json(&frame).await;
    }

    /// Signs in with a good signature and expects `pusher:signin_success` with object data
    /// `{"user_data": <the exact string>}`.
    pub async fn signin(&mut self, user_data: &str) {
        let auth = self.signin_auth(user_data);
        self.send_signin(&auth, user_data).await;
        let frame = self.expect_event("pusher:signin_success").await;
        assert_eq!(
            frame,
            json!({"event": "pusher:signin_success", "data": {"user_data": user_data}}),
            "signin_success carries the signed user_data string"
        );
    }

    /// The next frame must be a channel-scoped `pusher:subscription_error` for `channel` with object
    /// data `{type, error, status}`; returns the data. Then a ping proves no `subscription_succeeded`
    /// follows and the connection is open.
    pub async fn expect_subscription_error(&mut self, channel: &str) -> Value {
        let frame = self.expect_event("pusher:subscription_error").await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let data = frame["data"].clone();
        assert!(data["type"].is_string(), "type: {frame}");
        assert!(data["error"].is_string(), "error: {frame}");
        assert!(data["status"].is_u64(), "status: {frame}");
        self.expect_no_success_then_pong().await;
        data
    }
}

fn is_socket_id(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    s.split_once('.')
        .is_some_and(|(a, b)| digits(a) && digits(b))
}
