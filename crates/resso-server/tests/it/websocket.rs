//! The WebSocket layer itself (RFC 6455): fragments, control frames, the close handshake, frames that
//! arrive with the upgrade request, large frames, and requests that are not upgrades. Raw TCP where a
//! WebSocket library would refuse to misbehave.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{config, config_with, Outcome, TestServer, MAIN};

const WAIT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_fragmented_message_is_reassembled_around_a_ping() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let text = r#"{"event":"pusher:ping","data":{}}"#.as_bytes();
    let (a, rest) = text.split_at(5);
    let (b, c) = rest.split_at(10);
    let frames = [
        Frame::message(a.to_vec(), OpCode::Data(Data::Text), false),
        Frame::message(b.to_vec(), OpCode::Data(Data::Continue), false),
        Frame::ping(b"mid".to_vec()),
        Frame::message(c.to_vec(), OpCode::Data(Data::Continue), true),
    ];
    for frame in frames {
        client.send_message(Message::Frame(frame)).await;
    }
    match client.next_within(WAIT).await {
        Outcome::Pong(payload) => assert_eq!(payload, b"mid"),
        other => panic!("expected the pong first, got {other:?}"),
    }
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher:pong", "data": {}})
    );
}

#[tokio::test]
async fn the_clients_close_is_answered_with_its_code() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let close = CloseFrame {
        code: CloseCode::from(4321),
        reason: "bye".into(),
    };
    client.send_message(Message::Close(Some(close))).await;
    match client.next_within(WAIT).await {
        Outcome::Close(Some((code, _))) => assert_eq!(code, 4321),
        other => panic!("expected the close answered, got {other:?}"),
    }
}

#[tokio::test]
async fn an_event_larger_than_64_kib_arrives_whole() {
    let server = TestServer::spawn(config_with(|app| app.limits.event_data_bytes = 300_000)).await;
    let mut client = server.connect().await;
    client.subscribe_public("big").await;
    let data: String = (0..200_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    server.api().publish("big", "huge", &data).await;
    let got = client.recv_json().await;
    assert_eq!(got["event"], "huge");
    assert_eq!(got["data"].as_str().map(str::len), Some(data.len()));
    assert_eq!(got["data"], Value::String(data));
}

/// A client speaking raw bytes.
struct Raw {
    tcp: TcpStream,
    read: Vec<u8>,
}

impl Raw {
    /// Sends an upgrade request for `path` followed by `then` in the same write.
    async fn open(server: &TestServer, path: &str, then: &[u8]) -> Self {
        let host = server.http_base().replace("http://", "");
        let mut tcp = TcpStream::connect(&host).await.expect("connect");
        let mut bytes = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        .into_bytes();
        bytes.extend_from_slice(then);
        tcp.write_all(&bytes).await.expect("send the request");
        let mut raw = Self {
            tcp,
            read: Vec::new(),
        };
        let head = raw.until(b"\r\n\r\n").await;
        let head = String::from_utf8(head).expect("ASCII head");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
            "{head}"
        );
        raw
    }

    /// Reads until `end` has arrived; returns everything up to and including it.
    async fn until(&mut self, end: &[u8]) -> Vec<u8> {
        loop {
            if let Some(at) = self.read.windows(end.len()).position(|w| w == end) {
                return self.read.drain(..at + end.len()).collect();
            }
            self.more().await;
        }
    }

    async fn more(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = timeout(WAIT, self.tcp.read(&mut chunk))
            .await
            .expect("data within the wait")
            .expect("read");
        assert!(n > 0, "connection ended; got {:?}", self.read);
        self.read.extend_from_slice(&chunk[..n]);
    }

    /// The next server frame (unmasked, < 64 KiB): opcode and payload.
    async fn frame(&mut self) -> (u8, Vec<u8>) {
        while self.read.len() < 4 {
            self.more().await;
        }
        assert_eq!(self.read[1] & 0x80, 0, "server frames are unmasked");
        let (len, at) = match self.read[1] {
            126 => (
                usize::from(u16::from_be_bytes([self.read[2], self.read[3]])),
                4,
            ),
            short => (usize::from(short), 2),
        };
        while self.read.len() < at + len {
            self.more().await;
        }
        let frame: Vec<u8> = self.read.drain(..at + len).collect();
        (frame[0], frame[at..].to_vec())
    }

    async fn text(&mut self) -> Value {
        let (first, payload) = self.frame().await;
        assert_eq!(first, 0x81, "a final text frame");
        serde_json::from_slice(&payload).expect("JSON")
    }
}

/// A masked client text frame.
fn masked_text(text: &str) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let len = u8::try_from(text.len()).expect("short text");
    let mut out = vec![0x81, 0x80 | len];
    out.extend_from_slice(&mask);
    out.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

#[tokio::test]
async fn frames_sent_with_the_upgrade_request_are_read() {
    let server = TestServer::spawn(config()).await;
    let ping = masked_text(r#"{"event":"pusher:ping","data":{}}"#);
    let mut raw = Raw::open(&server, &format!("/app/{}?protocol=7", MAIN.key), &ping).await;
    assert_eq!(raw.text().await["event"], "pusher:connection_established");
    assert_eq!(
        raw.text().await,
        json!({"event": "pusher:pong", "data": {}})
    );
}

#[tokio::test]
async fn an_unmasked_client_frame_is_closed_with_1002() {
    let server = TestServer::spawn(config()).await;
    let mut raw = Raw::open(&server, &format!("/app/{}?protocol=7", MAIN.key), &[]).await;
    assert_eq!(raw.text().await["event"], "pusher:connection_established");
    let unmasked = br#"{"event":"pusher:ping","data":{}}"#;
    let mut frame = vec![0x81, u8::try_from(unmasked.len()).unwrap()];
    frame.extend_from_slice(unmasked);
    raw.tcp.write_all(&frame).await.unwrap();
    let (first, payload) = raw.frame().await;
    assert_eq!(first, 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1002);
}

#[tokio::test]
async fn a_plain_get_of_the_websocket_path_gets_426() {
    let server = TestServer::spawn(config()).await;
    let url = format!("{}/app/{}", server.http_base(), MAIN.key);
    let response = reqwest::get(&url).await.expect("GET");
    assert_eq!(response.status().as_u16(), 426);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["code"], 426, "{body}");
}

#[tokio::test]
async fn a_connection_that_never_sends_its_request_is_closed() {
    let server = TestServer::spawn(config()).await;
    let host = server.http_base().replace("http://", "");
    let mut tcp = TcpStream::connect(&host).await.expect("connect");
    tcp.write_all(b"GET /app/app-key HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("send half a head");
    let mut rest = Vec::new();
    let read = timeout(Duration::from_secs(20), tcp.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "still open after 20 s");
}

#[tokio::test]
async fn an_upgrade_with_another_websocket_version_gets_400() {
    let server = TestServer::spawn(config()).await;
    let host = server.http_base().replace("http://", "");
    let mut tcp = TcpStream::connect(&host).await.expect("connect");
    let request = format!(
        "GET /app/{}?protocol=7 HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        MAIN.key
    );
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut head = [0u8; 12];
    timeout(WAIT, tcp.read_exact(&mut head))
        .await
        .expect("an answer")
        .expect("read");
    assert_eq!(&head, b"HTTP/1.1 400");
}
