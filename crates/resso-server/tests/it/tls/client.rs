//! Clients that verify the server's certificate against the test CA, as browsers and SDKs do: a
//! Pusher WebSocket client over `wss://` (tokio-rustls + tokio-tungstenite) that also says which
//! certificate it was shown, and a signed HTTP API call over `https://` (reqwest with rustls).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::support::{Api, MAIN};

const WAIT: Duration = Duration::from_secs(5);

/// A client configuration trusting only `ca_pem`, offering HTTP/2 and HTTP/1.1 as a browser does.
pub fn trusting(ca_pem: &str) -> Arc<ClientConfig> {
    trusting_with(ca_pem, rustls::DEFAULT_VERSIONS)
}

/// [`trusting`], speaking only `versions` of TLS.
pub fn trusting_with(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM");
    roots.add(ca).expect("CA certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A Pusher client of [`MAIN`] over `wss://`.
pub struct Wss {
    ws: WebSocketStream<TlsStream<TcpStream>>,
    /// The certificate the server presented.
    pub cert: Vec<u8>,
    /// The protocol ALPN chose.
    pub alpn: Option<Vec<u8>>,
    /// The handshake resumed an earlier session (a ticket), instead of a full one.
    pub resumed: bool,
}

impl Wss {
    /// The TLS handshake with `addr` as `host`, verified against `ca_pem`, then the upgrade and
    /// `pusher:connection_established`. A refused certificate is the `Err`.
    pub async fn connect(addr: SocketAddr, host: &str, ca_pem: &str) -> std::io::Result<Self> {
        Self::connect_with(addr, host, trusting(ca_pem)).await
    }

    /// [`Self::connect`] with a client configuration of the test's.
    pub async fn connect_with(
        addr: SocketAddr,
        host: &str,
        config: Arc<ClientConfig>,
    ) -> std::io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::try_from(host.to_owned()).expect("server name");
        let tls = tokio::time::timeout(WAIT, TlsConnector::from(config).connect(name, tcp))
            .await
            .expect("TLS handshake within 5 s")?;
        let (_, conn) = tls.get_ref();
        let cert = conn.peer_certificates().expect("a certificate")[0].to_vec();
        let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
        let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        let url = format!(
            "wss://{host}:{}/app/{}?protocol=7&client=js&version=8.4.0",
            addr.port(),
            MAIN.key
        );
        let (ws, _) = tokio_tungstenite::client_async(url, tls)
            .await
            .expect("WebSocket upgrade over TLS");
        let mut client = Self {
            ws,
            cert,
            alpn,
            resumed,
        };
        client.expect("pusher:connection_established").await;
        Ok(client)
    }

    /// The next frame, which must be `event`.
    pub async fn expect(&mut self, event: &str) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {event} within {WAIT:?}"))
                .expect("the connection is open")
                .expect("a frame");
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Value = serde_json::from_str(&text).expect("JSON frame");
            assert_eq!(frame["event"], event, "expected {event}, got {frame}");
            return frame;
        }
    }

    pub async fn send(&mut self, frame: &Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, channel: &str) {
        let frame = json!({"event": "pusher:subscribe", "data": {"channel": channel}});
        self.send(&frame).await;
        self.expect("pusher_internal:subscription_succeeded").await;
    }

    /// A `pusher:ping` answered: the connection works.
    pub async fn ping(&mut self) {
        self.send(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        self.expect("pusher:pong").await;
    }
}

/// An HTTP client trusting only `ca_pem`.
pub fn https(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA"))
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// Publishes `event` on `channel` through the signed HTTP API at `base`; returns the status.
pub async fn publish(http: &reqwest::Client, base: &str, channel: &str, event: &str) -> u16 {
    let body = json!({"name": event, "channel": channel, "data": "{\"n\":1}"}).to_string();
    let signer = Api::new(base, MAIN);
    let path = signer.path("/events");
    let query = signer.query("POST", &path, &[], &body);
    http.post(format!("{base}{path}?{query}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("HTTPS request")
        .status()
        .as_u16()
}
