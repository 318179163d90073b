//! Raw Pusher connections for the hostile loads: dialled from a chosen loopback address (so the
//! per-address limits see the hostile client apart from the bystanders), greeted or refused,
//! subscribed with a signature made here, then driven — frames sent on a timer while every text
//! frame read is handed to a counter. Unlike [`subscriber`](crate::subscriber), nothing here
//! touches the bystanders' counters.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::subscriber::Ws;
use crate::target::App;
use crate::tls::Transport;

/// Time allowed for one step: connect, greeting, a subscription.
pub const STEP: Duration = Duration::from_secs(5);

/// Where and as whom a hostile client connects.
#[derive(Clone)]
pub struct Dialer {
    pub url: Arc<str>,
    pub addr: SocketAddr,
    pub source: Ipv4Addr,
    pub app: App,
}

/// How a Pusher dial ended.
pub enum Greeting {
    /// `pusher:connection_established`, with the socket id.
    Established(Box<Ws>, String),
    /// `pusher:error` with this code before any greeting.
    Refused(u16),
}

impl Dialer {
    /// The same dialer from another source address.
    #[must_use]
    pub fn at(&self, source: Ipv4Addr) -> Self {
        Self {
            source,
            ..self.clone()
        }
    }

    /// A TCP connection from [`Self::source`], with a small receive buffer if asked.
    ///
    /// # Errors
    /// If the socket cannot be bound or connected.
    pub async fn tcp(&self, recv_buffer: Option<u32>) -> std::io::Result<TcpStream> {
        let socket = TcpSocket::new_v4()?;
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        socket.bind(SocketAddrV4::new(self.source, 0).into())?;
        socket.connect(self.addr).await
    }

    /// Upgrades a new connection and reads until it is greeted or refused.
    ///
    /// # Errors
    /// Connection failure, a close or anything else before a greeting, or no answer within
    /// [`STEP`].
    pub async fn open(&self, recv_buffer: Option<u32>) -> anyhow::Result<Greeting> {
        timeout(STEP, self.open_now(recv_buffer))
            .await
            .context("no greeting in time")?
    }

    async fn open_now(&self, recv_buffer: Option<u32>) -> anyhow::Result<Greeting> {
        let stream = self.tcp(recv_buffer).await?;
        let (mut ws, _) =
            tokio_tungstenite::client_async(&*self.url, Transport::Plain(stream)).await?;
        while let Some(msg) = ws.next().await {
            let Message::Text(text) = msg? else { continue };
            let frame: Value = serde_json::from_str(&text)?;
            // `data` is a JSON string in the greeting, an object in `pusher:error`.
            let data: Value = match frame["data"].as_str() {
                Some(text) => serde_json::from_str(text)?,
                None => frame["data"].clone(),
            };
            return match frame["event"].as_str() {
                Some("pusher:connection_established") => {
                    let id = data["socket_id"].as_str().context("no socket_id")?;
                    Ok(Greeting::Established(Box::new(ws), id.to_owned()))
                }
                Some("pusher:error") => Ok(Greeting::Refused(code_of(&data))),
                _ => bail!("expected a greeting, got {text}"),
            };
        }
        bail!("closed before a greeting")
    }

    /// Opens a connection that must be admitted; returns it with its socket id.
    ///
    /// # Errors
    /// As [`Self::open`], or a refusal.
    pub async fn established(&self, recv_buffer: Option<u32>) -> anyhow::Result<(Ws, String)> {
        match self.open(recv_buffer).await? {
            Greeting::Established(ws, id) => Ok((*ws, id)),
            Greeting::Refused(code) => bail!("refused with {code}"),
        }
    }

    /// The `auth` of a private or presence subscription, as an auth endpoint signs it.
    #[must_use]
    pub fn auth(&self, socket_id: &str, channel: &str, data: Option<&str>) -> String {
        let signed = match data {
            Some(d) => format!("{socket_id}:{channel}:{d}"),
            None => format!("{socket_id}:{channel}"),
        };
        let signature = resso_protocol::auth::sign_hex(&self.app.secret, signed.as_bytes());
        format!("{}:{signature}", self.app.key)
    }
}

/// The `code` of a `pusher:error`'s data (0 if none).
fn code_of(data: &Value) -> u16 {
    data["code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0)
}

/// The subscribe frame for `channel`, signed with `auth` and carrying `channel_data` if given.
#[must_use]
pub fn subscribe_frame(channel: &str, auth: Option<&str>, channel_data: Option<&str>) -> String {
    let mut data = json!({"channel": channel, "auth": auth.unwrap_or_default()});
    if let Some(d) = channel_data {
        data["channel_data"] = d.into();
    }
    json!({"event": "pusher:subscribe", "data": data}).to_string()
}

/// The unsubscribe frame for `channel`.
#[must_use]
pub fn unsubscribe_frame(channel: &str) -> String {
    json!({"event": "pusher:unsubscribe", "data": {"channel": channel}}).to_string()
}

/// Sends `frame` and reads until the subscription succeeds.
///
/// # Errors
/// A `pusher:error`, a subscription error, a close, or no answer within [`STEP`].
pub async fn subscribe(ws: &mut Ws, frame: String) -> anyhow::Result<()> {
    ws.send(Message::text(frame)).await?;
    let wait = async {
        while let Some(msg) = ws.next().await {
            let Message::Text(text) = msg? else { continue };
            if text.contains("\"pusher_internal:subscription_succeeded\"") {
                return Ok(());
            }
            if text.contains("error") {
                bail!("server said {text}");
            }
        }
        bail!("closed while subscribing")
    };
    timeout(STEP, wait)
        .await
        .context("no subscription in time")?
}

/// Opens a connection and subscribes it to a private or presence `channel` (with
/// `channel_data` for presence), signed here.
///
/// # Errors
/// As [`Dialer::established`] and [`subscribe`].
pub async fn join(
    dialer: &Dialer,
    channel: &str,
    channel_data: Option<&str>,
) -> anyhow::Result<Ws> {
    let (mut ws, id) = dialer.established(None).await?;
    let auth = dialer.auth(&id, channel, channel_data);
    subscribe(&mut ws, subscribe_frame(channel, Some(&auth), channel_data)).await?;
    Ok(ws)
}

/// How a driven connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Stopped,
    /// A close frame with this code (1005: none given).
    Closed(u16),
    /// The connection broke without a close frame.
    Lost,
}

impl Ended {
    /// The tally key for a connection that ended this way, if it did not just stop.
    #[must_use]
    pub fn key(self) -> Option<String> {
        match self {
            Self::Stopped => None,
            Self::Closed(code) => Some(format!("close {code}")),
            Self::Lost => Some("lost".into()),
        }
    }
}

/// Every `period`, sends the frames `next` returns (often none); hands each text frame read to
/// `seen`; answers `pusher:ping`. Until `stop`, a close or a broken connection.
pub async fn drive(
    ws: &mut Ws,
    period: Duration,
    mut next: impl FnMut() -> Vec<Message>,
    mut seen: impl FnMut(&str),
    stop: &CancellationToken,
) -> Ended {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        let msg = tokio::select! {
            biased;
            () = stop.cancelled() => return Ended::Stopped,
            _ = tick.tick() => {
                if send_all(ws, next()).await.is_err() {
                    return Ended::Lost;
                }
                continue;
            }
            msg = ws.next() => msg,
        };
        match msg {
            Some(Ok(Message::Text(text))) if text.contains("\"pusher:ping\"") => {
                if ws.send(Message::text(crate::payload::PONG)).await.is_err() {
                    return Ended::Lost;
                }
            }
            Some(Ok(Message::Text(text))) => seen(&text),
            Some(Ok(Message::Close(frame))) => {
                return Ended::Closed(frame.map_or(1005, |f| f.code.into()));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Ended::Lost,
        }
    }
}

/// Sends `frames` with one flush at the end.
async fn send_all(ws: &mut Ws, frames: Vec<Message>) -> Result<(), ()> {
    if frames.is_empty() {
        return Ok(());
    }
    for frame in frames {
        ws.feed(frame).await.map_err(drop)?;
    }
    ws.flush().await.map_err(drop)
}
