//! Hostile clients, bounded (issue #11): each test drives one client past a bound and shows the bound
//! holds — the answer it gets, the state it cannot grow — while a well-behaved [`Bystander`] on the
//! same server keeps getting its deliveries.

mod channel_cap;
mod client_events;
mod frames;
mod http_body;
mod idle;
mod per_ip;
mod presence;
mod socketio;

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use tokio::net::TcpSocket;

use crate::socketio::{next_text, send};
use crate::support::{Api, Client, TestServer};

/// The channel the bystander listens on.
const CALM: &str = "calm";

/// A well-behaved client subscribed to [`CALM`], and the API client (one keep-alive connection)
/// publishing to it.
pub struct Bystander {
    client: Client,
    api: Api,
    sent: usize,
}

impl Bystander {
    pub async fn join(server: &TestServer) -> Self {
        let mut client = server.connect().await;
        client.subscribe_public(CALM).await;
        let api = server.api();
        Self {
            client,
            api,
            sent: 0,
        }
    }

    /// Publishes the next numbered event over the HTTP API and expects exactly it, answering the
    /// server's pings on the way as pusher-js does.
    pub async fn still_delivers(&mut self) {
        self.sent += 1;
        let data = format!("delivery {}", self.sent);
        self.api.publish(CALM, "calm-event", &data).await;
        let frame = loop {
            let frame: Value = self.client.recv_json().await;
            if frame["event"] != "pusher:ping" {
                break frame;
            }
            let pong = json!({"event": "pusher:pong", "data": {}});
            self.client.send_json(&pong).await;
        };
        assert_eq!(frame["event"], "calm-event", "{frame}");
        assert_eq!(frame["channel"], CALM, "{frame}");
        assert_eq!(frame["data"], data.as_str(), "{frame}");
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket to `url` over `socket`, which the caller set up (a small receive buffer, a bound
/// source address).
pub async fn ws_over(server: &TestServer, socket: TcpSocket, url: String) -> Ws {
    let addr = server.http_base().trim_start_matches("http://").parse();
    let stream = socket
        .connect(addr.expect("address"))
        .await
        .expect("TCP connect");
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .expect("the upgrade completes");
    ws
}

/// Reads a Socket.IO (EIO 4) websocket's open packet and connects it on `/`.
pub async fn sio_connect(ws: &mut Ws) {
    assert!(next_text(ws).await.starts_with('0'), "the open packet");
    send(ws, "40").await;
    assert!(next_text(ws).await.starts_with("40{"), "connected");
}

/// Floods WebSocket pings from `flood`, reading nothing, while `calm` keeps getting deliveries;
/// expects the server to drop the flooder and the `channel` it held to be left.
pub async fn ping_flood_is_dropped(
    server: &TestServer,
    calm: &mut Bystander,
    mut flood: Ws,
    channel: &str,
) {
    let pings = tokio::spawn(async move {
        let mut sent = 0u64;
        while flood.send(Message::Ping(vec![0; 125].into())).await.is_ok() {
            sent += 1;
        }
        sent
    });
    calm.still_delivers().await;
    let sent = tokio::time::timeout(Duration::from_secs(30), pings)
        .await
        .expect("the server drops the flooder")
        .expect("the flood task");
    assert!(sent > 100, "{sent} pings");
    let left = server.api().get(&format!("/channels/{channel}"), &[]).await;
    assert_eq!(left, (200, json!({"occupied": false})));
    calm.still_delivers().await;
}
