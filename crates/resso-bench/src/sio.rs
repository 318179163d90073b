//! Echo's `socket.io` connector as a benchmark subscriber speaks it, over the websocket transport
//! only (`transports: ['websocket']`): the Engine.IO open packet, the Socket.IO CONNECT of each
//! version (protocol 4, EIO 3: the server sends `40` unasked; protocol 5, EIO 4: the client sends
//! `40` and waits for `40{"sid":…}`), then `42["subscribe",{channel,auth}]`.
//!
//! Echo's protocol has no subscription confirmation, so after `subscribe` the client sends a
//! WebSocket ping and waits for its pong: a server reads a connection's frames in order and joins
//! a public channel as it handles `subscribe` (Ressò in the socket's task, laravel-echo-server in
//! the tick that read the frame), so the pong proves the subscription is in place before any
//! publish the harness sends afterwards. The phase's drop count checks that claim: a subscriber
//! joined late misses the first publishes.
//!
//! Frames are told apart by their first bytes, never parsed as JSON, to keep the subscriber cheap.

use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::Protocol;
use crate::payload;
use crate::subscriber::Ws;

/// What one text frame from the server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// `42[…]`: an event.
    Event,
    /// `2`: the server's heartbeat (EIO 4), to answer with `3`.
    Ping,
    /// `3`: the answer to our heartbeat (EIO 3).
    Pong,
    /// `44…` (a connect error) or `1` (close): the server refused or ends the socket.
    Refusal,
    Other,
}

/// Classifies a text frame by its packet type bytes.
#[must_use]
pub fn classify(text: &str) -> Frame {
    match text.as_bytes() {
        [b'4', b'2', ..] => Frame::Event,
        [b'2', ..] => Frame::Ping,
        [b'3', ..] => Frame::Pong,
        [b'4', b'4', ..] | [b'1', ..] => Frame::Refusal,
        _ => Frame::Other,
    }
}

/// Whether an event frame is Echo's `subscription_error`.
#[must_use]
pub fn is_subscription_error(text: &str) -> bool {
    text.starts_with("42[\"subscription_error\"")
}

/// The EVENT packet of Echo's `subscribe` for a public channel.
#[must_use]
pub fn subscribe(channel: &str) -> String {
    let name = serde_json::Value::from(channel);
    format!(r#"42["subscribe",{{"channel":{name},"auth":{{"headers":{{}}}}}}]"#)
}

/// The client's heartbeat (EIO 3) and its answer to the server's (EIO 4).
pub const PING: &str = "2";
pub const PONG: &str = "3";

/// Opens the Socket.IO session on a fresh websocket and subscribes to `channel`; returns the
/// interval at which the client must send heartbeats (EIO 3 only).
///
/// # Errors
/// A missing or refused open/CONNECT, a close, or no pong to the readiness ping.
pub async fn handshake(
    ws: &mut Ws,
    protocol: Protocol,
    channel: &str,
) -> anyhow::Result<Option<Duration>> {
    let open = next_text(ws).await.context("waiting for the open packet")?;
    if !open.starts_with('0') {
        bail!("expected an Engine.IO open packet, got {open:?}");
    }
    let interval = payload::number_after(&open, "pingInterval")
        .map(Duration::from_millis)
        .context("no pingInterval in the open packet")?;
    if protocol == Protocol::Sio4 {
        ws.send(Message::text("40")).await?;
    }
    let connect = next_text(ws).await.context("waiting for CONNECT")?;
    if !connect.starts_with("40") {
        bail!("expected a Socket.IO CONNECT (40), got {connect:?}");
    }
    ws.send(Message::text(subscribe(channel))).await?;
    ws.send(Message::Ping(b"ready".to_vec().into())).await?;
    await_pong(ws).await?;
    Ok((protocol == Protocol::Sio3).then_some(interval))
}

/// The next text frame (answering heartbeats on the way); fails on a close.
async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Text(text) if classify(&text) == Frame::Ping => {
                ws.send(Message::text(PONG)).await?;
            }
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(frame) => bail!("closed during handshake: {frame:?}"),
            _ => {}
        }
    }
    bail!("connection ended during handshake")
}

/// Reads until the WebSocket pong; fails on a refusal or a close.
async fn await_pong(ws: &mut Ws) -> anyhow::Result<()> {
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Pong(_) => return Ok(()),
            Message::Text(text) if classify(&text) == Frame::Refusal => {
                bail!("server said {text}")
            }
            Message::Text(text) if is_subscription_error(&text) => bail!("server said {text}"),
            Message::Text(text) if classify(&text) == Frame::Ping => {
                ws.send(Message::text(PONG)).await?;
            }
            Message::Close(frame) => bail!("closed during handshake: {frame:?}"),
            _ => {}
        }
    }
    bail!("connection ended during handshake")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_packets_by_type() {
        assert_eq!(classify(r#"42["bench-event","bench",{}]"#), Frame::Event);
        assert_eq!(classify("2"), Frame::Ping);
        assert_eq!(classify("3"), Frame::Pong);
        assert_eq!(classify(r#"44{"message":"no"}"#), Frame::Refusal);
        assert_eq!(classify(r#"40{"sid":"x"}"#), Frame::Other);
        assert_eq!(classify(r#"0{"sid":"x"}"#), Frame::Other);
    }

    #[test]
    fn subscribe_is_echos_event() {
        assert_eq!(
            subscribe("bench"),
            r#"42["subscribe",{"channel":"bench","auth":{"headers":{}}}]"#
        );
    }

    #[test]
    fn spots_subscription_errors() {
        assert!(is_subscription_error(
            r#"42["subscription_error","private-x",403]"#
        ));
        assert!(!is_subscription_error(
            r#"42["bench-event","bench",{"bseq":1}]"#
        ));
    }
}
