//! One subscriber: a WebSocket client bound to a chosen 127.0.0.x source address, with a small read
//! buffer, that subscribes to one public channel and then reads until told to stop — timing each
//! benchmark event, marking its sequence number, keeping the heartbeat (`pusher:ping`; Engine.IO 4's
//! `2`; Engine.IO 3's client-sent `2`), counting close codes. It speaks Pusher or, through
//! [`sio`](crate::sio), Echo's Socket.IO connector.
//! A "slow" subscriber stops reading after subscribing and only drains its socket at the end, to
//! learn how the server closed it.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use crate::cli::Protocol;
use crate::payload;
use crate::sio::{self, Frame};
use crate::stats::{self, bump, counters};
use crate::tls::{ClientTls, Transport};
use crate::tracker::SeqTracker;

/// Time allowed for connect + handshake + subscription.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Time a slow subscriber spends draining its socket at the end.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

pub type Ws = WebSocketStream<Transport>;

/// Where and how one subscriber connects.
#[derive(Debug, Clone)]
pub struct Spec {
    pub url: Arc<str>,
    pub addr: SocketAddr,
    pub source: Ipv4Addr,
    pub channel: Arc<str>,
    pub protocol: Protocol,
    pub read_buffer: usize,
    /// Kernel receive buffer (SO_RCVBUF), for clients meant to fall behind quickly.
    pub socket_recv_buffer: Option<u32>,
    /// TLS to the server (`--tls`).
    pub tls: Option<Arc<ClientTls>>,
}

/// Whether a subscriber keeps reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Reading,
    /// Stops reading once subscribed.
    Stalled,
}

/// A subscribed connection.
pub struct Connection {
    pub ws: Ws,
    protocol: Protocol,
    /// How often the client must send a heartbeat (Engine.IO 3).
    heartbeat: Option<Duration>,
}

/// Opens a connection and subscribes; returns once the subscription is in place (Pusher: the
/// server confirmed it; Socket.IO: see [`sio`]).
///
/// # Errors
/// Connection failure, a `pusher:error`, a close, or no confirmation within 15 s.
pub async fn connect(spec: &Spec) -> anyhow::Result<Connection> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(spec))
        .await
        .context("handshake timed out")?
}

async fn handshake(spec: &Spec) -> anyhow::Result<Connection> {
    let socket = TcpSocket::new_v4()?;
    if let Some(bytes) = spec.socket_recv_buffer {
        socket.set_recv_buffer_size(bytes)?;
    }
    socket
        .bind(SocketAddrV4::new(spec.source, 0).into())
        .with_context(|| format!("cannot bind {}", spec.source))?;
    let stream = socket.connect(spec.addr).await?;
    stream.set_nodelay(true)?;
    let stream = match &spec.tls {
        Some(tls) => tls.connect(stream).await?,
        None => Transport::Plain(stream),
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(spec.read_buffer)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(&*spec.url, stream, Some(config)).await?;
    bump(&counters().connected);
    let heartbeat = match spec.protocol {
        Protocol::Pusher => {
            expect_event(&mut ws, "pusher:connection_established").await?;
            ws.send(Message::text(payload::subscribe(&spec.channel)))
                .await?;
            expect_event(&mut ws, "pusher_internal:subscription_succeeded").await?;
            None
        }
        Protocol::Sio3 | Protocol::Sio4 => {
            sio::handshake(&mut ws, spec.protocol, &spec.channel).await?
        }
    };
    bump(&counters().subscribed);
    Ok(Connection {
        ws,
        protocol: spec.protocol,
        heartbeat,
    })
}

/// Reads frames until one carries `event`; fails on an error frame or a close.
async fn expect_event(ws: &mut Ws, event: &str) -> anyhow::Result<()> {
    let quoted = format!("\"{event}\"");
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Text(text) if text.contains(&quoted) => return Ok(()),
            Message::Text(text) if text.contains("\"pusher:error\"") => bail!("server said {text}"),
            Message::Close(frame) => bail!("closed during handshake: {frame:?}"),
            _ => {}
        }
    }
    bail!("connection ended during handshake")
}

/// Serves a subscribed connection until `stop` is cancelled.
pub async fn run(
    conn: Connection,
    tracker: Arc<Mutex<SeqTracker>>,
    stop: CancellationToken,
    mode: Mode,
) {
    let Connection {
        mut ws,
        protocol,
        heartbeat,
    } = conn;
    if mode == Mode::Stalled {
        stop.cancelled().await;
        drain(ws).await;
        return;
    }
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    // Engine.IO 3 only; otherwise a timer that never fires.
    let period = heartbeat.unwrap_or(Duration::from_secs(86_400 * 365));
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let msg = tokio::select! {
            biased;
            () = &mut stopped => break,
            _ = beat.tick() => {
                bump(&counters().pongs_sent);
                if ws.send(Message::text(sio::PING)).await.is_err() {
                    return closed(1006);
                }
                continue;
            }
            msg = ws.next() => msg,
        };
        let text = match msg {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                return closed(frame.map_or(1005, |f| f.code.into()));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return closed(1006),
        };
        let reply = match protocol {
            Protocol::Pusher => on_pusher_text(&text, &tracker),
            Protocol::Sio3 | Protocol::Sio4 => on_sio_text(&text, &tracker),
        };
        if let Some(reply) = reply {
            bump(&counters().pongs_sent);
            if ws.send(Message::text(reply)).await.is_err() {
                return closed(1006);
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
}

/// Times and marks a benchmark event; returns whether `text` was one.
fn on_event(text: &str, tracker: &Mutex<SeqTracker>) -> bool {
    let Some((seq, sent)) = payload::scan(text) else {
        return false;
    };
    stats::record_latency(stats::now_micros().saturating_sub(sent));
    bump(&counters().deliveries);
    tracker
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .record(seq);
    true
}

/// Handles one Pusher text frame; returns the reply due, if any.
fn on_pusher_text(text: &str, tracker: &Mutex<SeqTracker>) -> Option<&'static str> {
    if on_event(text, tracker) {
        return None;
    }
    if text.contains("\"pusher:ping\"") {
        return Some(payload::PONG);
    }
    if text.contains("\"pusher:error\"") {
        bump(&counters().pusher_errors);
    }
    None
}

/// Handles one Socket.IO text frame; returns the reply due, if any.
fn on_sio_text(text: &str, tracker: &Mutex<SeqTracker>) -> Option<&'static str> {
    match sio::classify(text) {
        Frame::Event if on_event(text, tracker) => None,
        Frame::Event if sio::is_subscription_error(text) => {
            bump(&counters().pusher_errors);
            None
        }
        Frame::Ping => Some(sio::PONG),
        Frame::Refusal => {
            bump(&counters().pusher_errors);
            None
        }
        Frame::Event | Frame::Pong | Frame::Other => None,
    }
}

/// Reads what a stalled client left unread up to the server's close: its close code (1005 for a
/// close frame without one, 1006 for a connection that ended without a close frame).
pub async fn close_code(ws: &mut Ws) -> u16 {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Close(frame)) => return frame.map_or(1005, |f| f.code.into()),
            Ok(_) => {}
            Err(_) => return 1006,
        }
    }
    1006
}

/// Reads what a stalled client left unread, to see whether and how the server closed it.
async fn drain(mut ws: Ws) {
    match tokio::time::timeout(DRAIN_TIMEOUT, close_code(&mut ws)).await {
        Ok(code) => closed(code),
        _ => {
            // Still open: the server kept it despite the backlog.
            let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
        }
    }
}

fn closed(code: u16) {
    stats::record_close(code);
    bump(&counters().disconnected);
}
