//! What a connection over a per-address limit ([`crate::admission`]) is told, cheaply and without
//! hyper: a Pusher WebSocket upgrade completes (pusher-js cannot tell a refused upgrade from a
//! network fault) and gets `pusher:error` 4100 and close 4100, which pusher-js retries after a
//! backoff; anything else (the HTTP API, Socket.IO) gets 429 with a JSON body. The refused
//! connection is kept at most [`REFUSAL_WAIT`] for its request head and for each write.

use std::time::Duration;

use resso_protocol::ErrorCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::admission::OverLimit;
use crate::pusher;
use crate::ws::upgrade::{self, First};
use crate::ws::{Socket, Stream};

/// How long a refused connection may take to send its head, and each answer to go out.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);
/// Bytes of a refused request's body read (and dropped) so that closing does not reset the
/// connection before the client has read the 429.
const DRAIN: usize = 64 * 1024;

/// Answers a connection refused for `why` and closes it.
pub async fn refuse<S: Stream>(mut stream: S, why: OverLimit, max_message_bytes: usize) {
    let Ok(Ok(first)) = timeout(REFUSAL_WAIT, upgrade::read_first(&mut stream)).await else {
        return;
    };
    match first {
        First::Upgrade(upgrade) => {
            let mut socket = Socket::new(stream, &upgrade.early, max_message_bytes)
                .with_unsent(upgrade.response);
            let message = format!("Over capacity: {why}");
            pusher::refuse_saying(&mut socket, ErrorCode::OverCapacity, &message).await;
        }
        First::SocketIo(_) | First::Http(_) => refuse_http(stream, why).await,
    }
}

/// `429` (an address over its limits) or `503` (the server over its memory ceiling) with
/// `{"error", "code"}`, as the HTTP API's own refusals, then close.
async fn refuse_http<S: Stream>(mut stream: S, why: OverLimit) {
    let (code, status, error) = match why {
        OverLimit::Open | OverLimit::Rate => (429, "Too Many Requests", "Too many requests"),
        OverLimit::Memory => (503, "Service Unavailable", "Over capacity"),
    };
    let body = json!({"error": format!("{error}: {why}"), "code": code}).to_string();
    let response = format!(
        "HTTP/1.1 {code} {status}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        std::io::Result::Ok(())
    };
    let _ = timeout(REFUSAL_WAIT, answer).await;
}
