//! One task per WebSocket connection, owning its socket. It `select!`s over the client's frames, its
//! outbound queue, the heartbeat timer and shutdown; all protocol decisions are the [`Session`]'s.
//! Queued frames are written in batches with one flush, and a write never outlives an overflow or
//! shutdown signal, so a client that stops reading only ever costs its own bounded queue.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use resso_protocol::close::truncate_reason;
use resso_protocol::{server, ErrorCode};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

use crate::outbox::{Doom, Inbox};
use crate::session::Session;

/// Most queued frames written before one flush.
const BATCH: usize = 64;
/// How long a closing handshake may take before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Heartbeat settings.
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    /// Silence before the server pings.
    pub activity: Duration,
    /// Wait for any frame after a ping before closing with 4201.
    pub pong: Duration,
}

/// Why the loop ended.
enum End {
    /// The client closed or the transport failed: nothing more to send.
    Gone,
    /// Close with this code.
    Close(ErrorCode),
    /// The client broke the WebSocket protocol: close with this RFC 6455 code.
    Violation(u16, &'static str),
}

/// Maps a read error to the RFC 6455 close code it deserves.
fn read_failure(error: axum::Error) -> End {
    let Ok(error) = error.into_inner().downcast::<tungstenite::Error>() else {
        return End::Gone;
    };
    match *error {
        tungstenite::Error::Capacity(_) => End::Violation(1009, "Message too big"),
        tungstenite::Error::Utf8(_) => End::Violation(1007, "Invalid UTF-8 in text frame"),
        tungstenite::Error::Protocol(_) => End::Violation(1002, "WebSocket protocol error"),
        _ => End::Gone,
    }
}

/// Serves an established connection until it ends; the first frame has been sent already.
pub async fn serve(
    mut ws: WebSocket,
    mut session: Session,
    mut inbox: Inbox,
    heartbeat: Heartbeat,
    shutdown: CancellationToken,
) {
    let mut last_seen = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let doom = inbox.doom_signal();
    let opened = Instant::now();
    let end = loop {
        let deadline = ping_sent.map_or(last_seen + heartbeat.activity, |p| p + heartbeat.pong);
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break End::Close(ErrorCode::ReconnectImmediately),
            code = doom.doomed() => break End::Close(code),
            () = at(session.authorization_deadline(opened)) => break End::Close(ErrorCode::Unauthorized),
            frame = ws.recv() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => break read_failure(e),
                    None => break End::Gone,
                };
                last_seen = Instant::now();
                ping_sent = None;
                match handle_frame(&mut session, frame) {
                    Step::Reply(frames) => if let Err(end) = send_guarded(&mut ws, &doom, &shutdown, frames.into_iter().map(Utf8Bytes::from)).await { break end },
                    Step::Quiet => {}
                    Step::Closed => break End::Gone,
                }
            }
            Some(first) = inbox.recv() => {
                let mut batch = vec![first.pusher_frame().clone()];
                batch.extend(std::iter::from_fn(|| inbox.try_recv()).take(BATCH).map(|m| m.pusher_frame().clone()));
                if let Err(end) = send_guarded(&mut ws, &doom, &shutdown, batch).await { break end }
            }
            () = sleep_until(deadline) => {
                if ping_sent.is_some() { break End::Close(ErrorCode::PongNotReceived) }
                ping_sent = Some(Instant::now());
                if let Err(end) = send_guarded(&mut ws, &doom, &shutdown, [Utf8Bytes::from_static(server::PING)]).await { break end }
            }
        }
    };
    drop(session);
    match end {
        End::Close(code) => close(&mut ws, code, code.message()).await,
        End::Violation(code, reason) => close_frame(&mut ws, code, reason, None).await,
        End::Gone => {}
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn at(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

enum Step {
    Reply(Vec<String>),
    Quiet,
    Closed,
}

fn handle_frame(session: &mut Session, frame: Message) -> Step {
    match frame {
        Message::Text(text) => {
            let replies = session.handle_text(text.as_str());
            if replies.is_empty() {
                Step::Quiet
            } else {
                Step::Reply(replies)
            }
        }
        Message::Close(_) => Step::Closed,
        // Pings are answered by the WebSocket layer; pongs and binary frames only count as activity.
        Message::Ping(_) | Message::Pong(_) | Message::Binary(_) => Step::Quiet,
    }
}

/// Writes `frames` with one flush; gives up with the reason to end if the connection is doomed,
/// the server shuts down, or the write fails.
async fn send_guarded(
    ws: &mut WebSocket,
    doom: &Doom,
    shutdown: &CancellationToken,
    frames: impl IntoIterator<Item = Utf8Bytes>,
) -> Result<(), End> {
    let write = async {
        for frame in frames {
            ws.feed(Message::Text(frame)).await?;
        }
        ws.flush().await
    };
    tokio::select! {
        r = write => r.map_err(|_| End::Gone),
        code = doom.doomed() => Err(End::Close(code)),
        () = shutdown.cancelled() => Err(End::Close(ErrorCode::ReconnectImmediately)),
    }
}

/// Sends `pusher:error` and a close frame with `code`, then waits briefly for the client's close.
pub async fn close(ws: &mut WebSocket, code: ErrorCode, message: &str) {
    let error = server::error(Some(code.code()), message);
    close_frame(ws, code.code(), message, Some(error)).await;
}

/// Sends `first` (if any) and a close frame, then waits briefly for the client's close.
async fn close_frame(ws: &mut WebSocket, code: u16, reason: &str, first: Option<String>) {
    let close = CloseFrame {
        code,
        reason: Utf8Bytes::from(truncate_reason(reason)),
    };
    let handshake = async {
        if let Some(text) = first {
            ws.feed(Message::Text(text.into())).await?;
        }
        ws.send(Message::Close(Some(close))).await?;
        while let Some(Ok(frame)) = ws.recv().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
        Ok::<_, axum::Error>(())
    };
    let _ = timeout(CLOSE_GRACE, handshake).await;
}
