//! The Socket.IO endpoint over raw HTTP (reqwest) and WebSockets (tokio-tungstenite), for both
//! Engine.IO versions: the polling handshake, POST/GET, the websocket transport, the upgrade and
//! its race, expiry, CORS, and bad input.

mod bad_input;
mod polling;
mod recovery;
mod recovery_presence;
mod recovery_quota;
mod recovery_refused;
mod spec;
mod upgrade;
mod websocket;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resso_server::config::{Config, SocketIoConfig};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{config_with, TestServer};

/// Engine.IO versions as the `EIO` query value.
pub const V3: u8 = 3;
pub const V4: u8 = 4;

/// The test config with a Socket.IO endpoint on MAIN, its heartbeat set to `ping_ms`.
pub fn sio_config(ping_ms: u64) -> Config {
    config_with(|app| {
        app.socketio = Some(SocketIoConfig {
            ping_interval: ping_ms,
            ping_timeout: ping_ms,
            max_payload: 4096,
            ..SocketIoConfig::default()
        });
    })
}

/// A server with the default (long) heartbeat: nothing expires during a test.
pub async fn server() -> TestServer {
    TestServer::spawn(sio_config(25_000)).await
}

/// A packet Echo's handler answers at once: a subscription to `private-{name}`, refused because the
/// test app has no `auth_host`.
pub fn probe(name: &str) -> String {
    format!(r#"42["subscribe",{{"channel":"private-{name}"}}]"#)
}

/// Asserts `packet` is the answer to [`probe`]`(name)`.
pub fn assert_refused(packet: &str, name: &str) {
    let expected = format!(r#"42["subscription_error","private-{name}","#);
    assert!(
        packet.starts_with(&expected),
        "expected {expected}…, got {packet}"
    );
}

/// An EVENT packet without the offset protocol 5 sockets get as its last argument (connection
/// state recovery); other packets as they are.
pub fn plain(packet: &str) -> String {
    let Some(body) = packet.strip_suffix("\"]") else {
        return packet.to_owned();
    };
    let digits = body.trim_end_matches(|c: char| c.is_ascii_digit());
    match digits.strip_suffix(",\"") {
        Some(head) if digits.len() < body.len() && packet.starts_with("42") => format!("{head}]"),
        _ => packet.to_owned(),
    }
}

/// Splits a polling body into packets.
pub fn split(body: &str, eio: u8) -> Vec<String> {
    let version = if eio == V3 {
        resso_protocol::socketio::EngineVersion::V3
    } else {
        resso_protocol::socketio::EngineVersion::V4
    };
    resso_protocol::socketio::payload::decode(body, version)
        .unwrap_or_else(|e| panic!("bad body {body:?}: {e}"))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// One polling session.
pub struct Polling {
    pub http: reqwest::Client,
    pub base: String,
    pub eio: u8,
    pub sid: String,
}

impl Polling {
    /// The handshake's URL.
    pub fn url(server: &TestServer, eio: u8) -> String {
        format!(
            "{}/socket.io/?EIO={eio}&transport=polling",
            server.http_base()
        )
    }

    /// Opens a session (not yet connected on `/` for EIO 4); returns it, the open packet's JSON
    /// and the rest of the first body.
    pub async fn open(server: &TestServer, eio: u8) -> (Self, Value, Vec<String>) {
        let http = reqwest::Client::new();
        let base = Self::url(server, eio);
        let body = http.get(&base).send().await.unwrap().text().await.unwrap();
        let mut packets = split(&body, eio);
        let open = packets.remove(0);
        let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).unwrap();
        let sid = open["sid"].as_str().unwrap().to_owned();
        let session = Self {
            http,
            base,
            eio,
            sid,
        };
        (session, open, packets)
    }

    /// Opens a session and connects it on `/` (for EIO 4, by sending `40`); returns it and the
    /// open packet's JSON.
    pub async fn connect(server: &TestServer, eio: u8) -> (Self, Value) {
        let (session, open, packets) = Self::open(server, eio).await;
        if eio == V3 {
            let connect = match packets.first() {
                Some(p) => p.clone(),
                None => session.get().await.remove(0),
            };
            assert_eq!(connect, "40");
        } else {
            assert_eq!(session.post("40").await, 200);
            let reply = session.get().await;
            assert!(reply[0].starts_with("40{\"sid\":\""), "{reply:?}");
        }
        (session, open)
    }

    pub fn session_url(&self) -> String {
        format!("{}&sid={}", self.base, self.sid)
    }

    /// One long poll: status and packets.
    pub async fn poll(&self) -> (u16, String) {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            self.http.get(self.session_url()).send(),
        )
        .await
        .expect("a long poll ends within 10 s")
        .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// One long poll that must succeed.
    pub async fn get(&self) -> Vec<String> {
        let (status, body) = self.poll().await;
        assert_eq!(status, 200, "{body}");
        split(&body, self.eio)
    }

    /// POSTs one packet; the status.
    pub async fn post(&self, packet: &str) -> u16 {
        let body = resso_protocol::socketio::payload::encode([packet], self.version());
        self.post_raw(body).await.0
    }

    pub async fn post_raw(&self, body: String) -> (u16, String) {
        let r = self
            .http
            .post(self.session_url())
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    fn version(&self) -> resso_protocol::socketio::EngineVersion {
        if self.eio == V3 {
            resso_protocol::socketio::EngineVersion::V3
        } else {
            resso_protocol::socketio::EngineVersion::V4
        }
    }

    /// Long polls until a packet other than a heartbeat or a noop arrives.
    pub async fn next(&self) -> String {
        for _ in 0..20 {
            for p in self.get().await {
                if !["2", "3", "6"].contains(&p.as_str()) {
                    return p;
                }
            }
        }
        panic!("nothing but pings and noops");
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The websocket URL of `server` for `eio`, joining `sid` if given.
pub fn ws_url(server: &TestServer, eio: u8, sid: Option<&str>) -> String {
    let sid = sid.map_or(String::new(), |s| format!("&sid={s}"));
    format!(
        "{}/socket.io/?EIO={eio}&transport=websocket{sid}",
        server.ws_base()
    )
}

/// The next text frame.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a valid frame");
        match message {
            Message::Text(t) => return t.to_string(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// The next text frame that is not an Engine.IO ping.
pub async fn next_packet(ws: &mut Ws) -> String {
    loop {
        let t = next_text(ws).await;
        if t != "2" {
            return t;
        }
    }
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// A websocket-only socket, connected on `/`.
pub async fn ws_connect(server: &TestServer, eio: u8) -> (Ws, Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(server, eio, None))
        .await
        .unwrap();
    let open = next_text(&mut ws).await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).unwrap();
    if eio == V3 {
        assert_eq!(next_text(&mut ws).await, "40");
    } else {
        send(&mut ws, "40").await;
        assert!(next_text(&mut ws).await.starts_with("40{\"sid\":\""));
    }
    (ws, open)
}

/// Waits until `ws` is closed by the server (the stream ends or a close frame arrives).
pub async fn closed(ws: &mut Ws) -> Vec<String> {
    let mut texts = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("closed within 10 s");
        match next {
            Some(Ok(Message::Text(t))) => texts.push(t.to_string()),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return texts,
            Some(Ok(_)) => {}
        }
    }
}
