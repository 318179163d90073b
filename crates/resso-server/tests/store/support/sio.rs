//! A Socket.IO client as Laravel Echo's `socket.io` connector is one (socket.io-client 4: Engine.IO
//! 4, websocket transport): it connects on a path, subscribes to channels and reads events.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One socket, connected on `/`.
pub struct Sio(Ws);

impl Sio {
    /// Opens the websocket transport at `ws://{addr}{path}/` and connects on `/`.
    pub async fn connect(addr: std::net::SocketAddr, path: &str) -> Self {
        let url = format!("ws://{addr}{path}/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .unwrap_or_else(|e| panic!("Socket.IO at {url}: {e}"));
        let mut sio = Self(ws);
        let open = sio.next().await;
        assert!(open.starts_with("0{"), "an open packet, got {open}");
        sio.send("40").await;
        let connected = sio.next().await;
        assert!(
            connected.starts_with("40{\"sid\":"),
            "a CONNECT, got {connected}"
        );
        sio
    }

    pub async fn send(&mut self, packet: &str) {
        self.0.send(Message::text(packet)).await.expect("send");
    }

    /// Echo's `subscribe` for a public channel.
    pub async fn subscribe(&mut self, channel: &str) {
        let packet = json!(["subscribe", {"channel": channel}]);
        self.send(&format!("42{packet}")).await;
    }

    /// The next packet that is not a heartbeat (answered).
    async fn next(&mut self) -> String {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a Socket.IO packet within 10 s")
                .expect("the socket is open")
                .expect("a valid frame");
            match frame {
                Message::Text(t) if t.as_str() == "2" => self.send("3").await,
                Message::Text(t) => return t.to_string(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a packet, got {other:?}"),
            }
        }
    }

    /// The next event `[name, channel, data, …]`; panics on another packet.
    pub async fn expect_event(&mut self, name: &str) -> Vec<Value> {
        let packet = self.next().await;
        let body = packet
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("an event, got {packet}"));
        let args: Vec<Value> = serde_json::from_str(body).expect("an event's JSON");
        assert_eq!(args[0], name, "{packet}");
        args
    }
}
