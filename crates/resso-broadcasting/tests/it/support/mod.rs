//! What the integration tests stand on: a real Ressò (`resso_server::run` on port 0), a Pusher-protocol
//! WebSocket client (tokio-tungstenite) that sees exactly what the library sent, an axum app serving the
//! library's auth routes on port 0, and the test kit's `redis-server`.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resso_broadcasting::{Broadcaster, Driver, PusherClient, PusherConfig, SocketId};
use resso_server::config::{AppConfig, Config, ServerConfig};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "app-key";
pub const SECRET: &str = "app-secret";
pub const APP_ID: &str = "app-id";
/// The reference master key (bytes 0..31).
pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A running Ressò; cancelled when dropped.
pub struct Resso {
    pub addr: SocketAddr,
    token: CancellationToken,
}

impl Resso {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// With the test app's settings changed by `edit`.
    pub async fn start_with(edit: impl FnOnce(&mut AppConfig)) -> Self {
        let mut app = AppConfig::with_credentials(APP_ID, KEY, SECRET);
        edit(&mut app);
        let config = Config {
            server: ServerConfig {
                port: 0,
                ..ServerConfig::default()
            },
            apps: vec![app],
            ..Config::default()
        };
        config.validate().expect("valid test config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local address");
        let token = CancellationToken::new();
        tokio::spawn(resso_server::run(listener, config, token.clone()));
        Self { addr, token }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pusher_config(&self) -> PusherConfig {
        PusherConfig::new(self.base_url(), APP_ID, KEY, SECRET)
    }

    /// A broadcaster on this server's HTTP API, with the reference master key.
    pub fn broadcaster(&self) -> Broadcaster {
        let config = self.pusher_config().with_master_key(master_key());
        Broadcaster::new(Driver::Pusher(PusherClient::new(config)))
    }

    pub async fn client(&self) -> Client {
        Client::connect(&format!(
            "ws://{}/app/{KEY}?protocol=7&client=js&version=8.4.0",
            self.addr
        ))
        .await
    }
}

impl Drop for Resso {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A Pusher-protocol client: frames as JSON, every wait bounded.
pub struct Client {
    ws: Ws,
    pub socket_id: SocketId,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        let mut client = Self {
            ws,
            socket_id: SocketId::new(0, 0),
        };
        let hello = client.next().await;
        assert_eq!(hello["event"], "pusher:connection_established", "{hello}");
        let data: Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
        client.socket_id = SocketId::parse(data["socket_id"].as_str().unwrap()).unwrap();
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(WsMessage::Text(frame.to_string().into()))
            .await
            .expect("send a frame");
    }

    /// The next text frame, within 5 s.
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a frame within 5 s")
                .expect("the connection stays open")
                .expect("a well-formed frame");
            if let WsMessage::Text(text) = msg {
                return serde_json::from_str(&text).expect("JSON frame");
            }
        }
    }

    /// Subscribes with the given auth answer (or none) and waits for success.
    pub async fn subscribe(&mut self, channel: &str, answer: Option<&Value>) {
        let mut data = json!({ "channel": channel });
        if let Some(a) = answer {
            data["auth"] = a["auth"].clone();
            if let Some(cd) = a.get("channel_data") {
                data["channel_data"] = cd.clone();
            }
        }
        self.send(json!({ "event": "pusher:subscribe", "data": data }))
            .await;
        let reply = self.next().await;
        assert_eq!(
            reply["event"], "pusher_internal:subscription_succeeded",
            "subscribing to {channel}: {reply}"
        );
    }

    /// Subscribes to a private channel with the library's own signed answer for this socket, and
    /// returns that answer (an encrypted channel's `shared_secret` is in it).
    pub async fn subscribe_allowed(&mut self, channel: &str) -> Value {
        let answer = resso_broadcasting::auth::answer::channel_answer(
            &creds(),
            Some(&self.socket_id.to_string()),
            channel,
            resso_broadcasting::auth::Decision::Allow,
        )
        .expect("a signed answer");
        self.subscribe(channel, Some(&answer)).await;
        answer
    }

    /// The next frame that is not a presence/internal event.
    pub async fn next_event(&mut self) -> Value {
        loop {
            let frame = self.next().await;
            let name = frame["event"].as_str().unwrap_or("");
            if !name.starts_with("pusher") {
                return frame;
            }
        }
    }

    /// Proves nothing is pending: a ping must be the very next thing answered.
    pub async fn assert_nothing_pending(&mut self) {
        self.send(json!({ "event": "pusher:ping", "data": {} }))
            .await;
        let frame = self.next().await;
        assert_eq!(
            frame["event"], "pusher:pong",
            "expected nothing before the pong, got {frame}"
        );
    }
}

/// The test app's credentials, with the reference master key for encrypted channels.
pub fn creds() -> resso_broadcasting::auth::Credentials {
    resso_broadcasting::auth::Credentials {
        key: KEY.into(),
        secret: SECRET.into(),
        master_key: Some(master_key()),
    }
}

fn master_key() -> resso_broadcasting::MasterKey {
    resso_broadcasting::MasterKey::from_base64(MASTER_KEY).expect("valid key")
}

/// Serves `router` on 127.0.0.1:0; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
