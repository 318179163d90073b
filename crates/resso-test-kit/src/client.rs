//! [`Client`]: the one Pusher protocol client of every test binary, over tokio-tungstenite, that
//! asserts as it reads. Every wait is bounded ([`RECV_TIMEOUT`]) and panics with what was (or was
//! not) received. `more` holds the multi-node tests' explicit waits.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{TestApp, MAIN};

mod channels;
mod more;

pub use more::{assert_all_silent_for, presence_hash};

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

    /// Sends `frame` as text; the next frame must be `pusher:error` without a code (see
    /// [`Client::expect_error`]); returns its message.
    pub async fn expect_error_after(&mut self, frame: &str) -> String {
        self.send_text(frame).await;
        self.expect_error(None).await
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
}

fn is_socket_id(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    s.split_once('.')
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

#[cfg(test)]
mod tests {
    use super::is_socket_id;

    #[test]
    fn socket_ids_are_two_runs_of_digits() {
        assert!(is_socket_id("123.456"));
        for bad in ["123", "123.", ".456", "1.2.3", "a.1", "1.-2", ""] {
            assert!(!is_socket_id(bad), "{bad:?}");
        }
    }
}
