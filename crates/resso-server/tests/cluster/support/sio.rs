//! [`SioClient`]: a Socket.IO client as socket.io-client 4 speaks it over the websocket transport
//! (Engine.IO 4, Socket.IO 5, Echo's `subscribe` event), answering the server's pings as it reads.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{QUIET, RECV};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One connected Socket.IO socket.
pub struct SioClient {
    ws: Ws,
    /// `socket.id`, the id the HTTP API and Laravel's `socket` field exclude.
    pub socket_id: String,
    /// The session id for a recovery (connection state recovery is on by default).
    pub pid: String,
    /// The offset of the last event received.
    pub offset: Option<String>,
}

impl SioClient {
    /// Opens `ws://{addr}/socket.io/?EIO=4&transport=websocket` and connects on `/`.
    pub async fn connect(addr: std::net::SocketAddr) -> Self {
        Self::connect_with(addr, "").await
    }

    /// Connects as [`Self::connect`] does, with `payload` in the CONNECT (`{"pid":…}` to recover).
    pub async fn connect_with(addr: std::net::SocketAddr, payload: &str) -> Self {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio::time::timeout(RECV, tokio_tungstenite::connect_async(url))
            .await
            .expect("Socket.IO handshake timed out")
            .expect("Socket.IO upgrade succeeds");
        let mut client = Self {
            ws,
            socket_id: String::new(),
            pid: String::new(),
            offset: None,
        };
        let open = client.next_text().await.expect("the Engine.IO open");
        assert!(open.starts_with("0{"), "Engine.IO open, got {open}");
        client.send(&format!("40{payload}")).await;
        let connected = client.next_text().await.expect("the CONNECT answer");
        let data: Value = serde_json::from_str(connected.strip_prefix("40").expect("40{…}"))
            .expect("CONNECT data is JSON");
        client.socket_id = data["sid"].as_str().expect("sid").to_owned();
        client.pid = data["pid"].as_str().expect("pid").to_owned();
        client
    }

    /// Closes the transport (a close frame) and waits for the server's answer, by which time it
    /// keeps the session for a recovery.
    pub async fn cut(mut self) {
        self.ws.close(None).await.expect("a close frame");
        while let Ok(Some(Ok(_))) = tokio::time::timeout(RECV, self.ws.next()).await {}
    }

    async fn send(&mut self, text: &str) {
        self.ws
            .send(Message::text(text))
            .await
            .expect("send a frame");
    }

    /// Echo's `subscribe` (a public channel has no confirmation: wait on the HTTP API).
    pub async fn subscribe(&mut self, channel: &str) {
        let packet = json!(["subscribe", {"channel": channel, "auth": {"headers": {}}}]);
        self.send(&format!("42{packet}")).await;
    }

    /// The next text packet that is not a ping (pings are answered), or `None` after `wait`.
    async fn next_text_within(&mut self, wait: std::time::Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            let next = timeout_at(deadline, self.ws.next()).await.ok()?;
            match next {
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => self.send("3").await,
                Some(Ok(Message::Text(t))) => return Some(t.to_string()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("the Socket.IO socket ended: {other:?}"),
            }
        }
    }

    async fn next_text(&mut self) -> Option<String> {
        self.next_text_within(RECV).await
    }

    /// The next EVENT's arguments as sent (a reply to this socket alone has no offset).
    pub async fn recv_args(&mut self) -> Vec<Value> {
        let text = self.next_text().await.expect("a Socket.IO event in time");
        let args = text
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("an EVENT, got {text}"));
        serde_json::from_str(args).expect("event arguments are JSON")
    }

    /// The next Echo event `[event, channel, data]`, its offset (the last argument) kept.
    pub async fn recv_event(&mut self) -> Value {
        let mut args = self.recv_args().await;
        let offset = args.pop().and_then(|o| o.as_str().map(str::to_owned));
        self.offset = Some(offset.unwrap_or_else(|| panic!("an offset last: {args:?}")));
        Value::Array(args)
    }

    /// Asserts nothing but pings arrives for a while.
    pub async fn assert_silent(&mut self) {
        if let Some(text) = self.next_text_within(QUIET).await {
            panic!("expected silence on the Socket.IO socket, got {text}");
        }
    }
}
