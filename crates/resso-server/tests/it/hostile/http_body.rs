//! HTTP API bodies and heads from a raw TCP client: a body declared or sent larger than the largest
//! valid request is 413, a body that stalls is cut with 408 after `request_body_timeout_ms`, and a
//! head over 64 KiB (or with too many headers) is 431 — each answer followed by the server closing
//! the connection.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::Bystander;
use crate::support::{config, config_with, TestServer};

const WAIT: Duration = Duration::from_secs(5);
/// A Pusher API path (`auth_signature` makes it one); the body is refused before the signature is
/// checked.
const EVENTS: &str =
    "/apps/app-id/events?auth_key=app-key&auth_timestamp=1&auth_version=1.0&auth_signature=0";

/// Connects and sends `head` (and whatever body bytes it carries) as is.
async fn send_raw(server: &TestServer, head: &[u8]) -> TcpStream {
    let addr = server.http_base().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head).await.expect("send");
    stream
}

/// Reads the answer until the server closes the connection; its status and JSON body (if any).
async fn answer_then_close(stream: &mut TcpStream) -> (u16, Option<Value>) {
    let mut bytes = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers and closes in time")
        .expect("read");
    let text = String::from_utf8_lossy(&bytes);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.trim());
    (status, body.and_then(|b| serde_json::from_str(b).ok()))
}

fn assert_json_error(answer: &(u16, Option<Value>), status: u16) {
    assert_eq!(answer.0, status, "{answer:?}");
    let body = answer.1.as_ref().expect("a JSON body");
    assert_eq!(body["code"], status, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn an_api_body_declared_larger_than_any_valid_request_is_413_unread() {
    let server = TestServer::spawn(config()).await;
    let mut calm = Bystander::join(&server).await;
    for _ in 0..10 {
        let head = format!("POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
        let mut stream = send_raw(&server, head.as_bytes()).await;
        assert_json_error(&answer_then_close(&mut stream).await, 413);
        calm.still_delivers().await;
    }
}

#[tokio::test]
async fn a_chunked_api_body_past_the_limit_is_413() {
    // event_data_bytes = 100: the largest valid body is one event to 100 channels of 200 bytes,
    // escaped at the worst: 6 × 300 + 100 × (6 × 200 + 4) + 1024 = 123 224 bytes.
    let server = TestServer::spawn(config_with(|app| app.limits.event_data_bytes = 100)).await;
    let mut calm = Bystander::join(&server).await;
    let chunk = 130_000;
    let mut request = format!(
        "POST {EVENTS} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk:x}\r\n"
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b'x', chunk));
    request.extend_from_slice(b"\r\n"); // no last chunk: the server must not wait for one
    let mut stream = send_raw(&server, &request).await;
    assert_json_error(&answer_then_close(&mut stream).await, 413);
    calm.still_delivers().await;
}

#[tokio::test]
async fn a_stalled_api_body_is_cut_with_408_and_the_connection_closed() {
    let mut config = config();
    config.server.limits.request_body_timeout_ms = 300;
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let head =
        format!("POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"name\":");
    let mut stalled = Vec::new();
    for _ in 0..10 {
        stalled.push(send_raw(&server, head.as_bytes()).await);
    }
    for stream in &mut stalled {
        assert_json_error(&answer_then_close(stream).await, 408);
        calm.still_delivers().await;
    }
}

#[tokio::test]
async fn an_oversized_head_is_431_and_closed() {
    let server = TestServer::spawn(config()).await;
    let mut calm = Bystander::join(&server).await;
    let long = format!(
        "GET /up HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let many: String = (0..200).map(|i| format!("X-{i}: y\r\n")).collect();
    let many = format!("GET /up HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    for head in [long, many] {
        let mut stream = send_raw(&server, head.as_bytes()).await;
        let (status, _) = answer_then_close(&mut stream).await;
        assert_eq!(status, 431);
        calm.still_delivers().await;
    }
}
