//! The soak's churners: each loops connect → subscribe to a public, a private and a presence
//! channel (signed here with the app secret, as an auth endpoint would) → hold → leave and rejoin
//! the presence channel → hold → disconnect, until told to stop. Every [`SIO_EVERY`]-th churner
//! speaks Socket.IO (EIO 4, websocket) instead and only joins the public channel (Echo's private
//! channels would need an auth endpoint). Holds are short and varied so connections overlap.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::subscriber::{self, Spec, Ws};
use crate::target::App;
use crate::tls::Transport;

/// Every this-many-th churner speaks Socket.IO.
const SIO_EVERY: usize = 10;
/// Churners share this many presence channels (so joins and leaves reach other members).
const PRESENCE_ROOMS: usize = 20;
/// The public channel every churner joins (the publisher feeds it too).
pub const CHURN_CHANNEL: &str = "soak-churn";
/// Time allowed for one step (connect, a subscription).
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// What all churners count.
#[derive(Debug, Default)]
pub struct ChurnTally {
    /// Cycles completed (connect to disconnect).
    pub cycles: AtomicU64,
    pub presence_rejoins: AtomicU64,
    pub errors: AtomicU64,
    pub first_error: std::sync::Mutex<Option<String>>,
}

/// Where churners connect.
#[derive(Clone)]
pub struct Churn {
    pub pusher_url: Arc<str>,
    /// A template for the Socket.IO churners ([`subscriber::connect`] does their handshake).
    pub sio: Spec,
    pub app: App,
    pub source_ips: u8,
    pub tally: Arc<ChurnTally>,
}

impl Churn {
    /// Churner `n`'s loop, until `stop`.
    pub async fn run(self, n: usize, stop: CancellationToken) {
        let mut cycle = 0u64;
        while !stop.is_cancelled() {
            let outcome = if n % SIO_EVERY == SIO_EVERY - 1 {
                self.sio_cycle(n, cycle, &stop).await
            } else {
                self.pusher_cycle(n, cycle, &stop).await
            };
            match outcome {
                Ok(()) => {
                    self.tally.cycles.fetch_add(1, Relaxed);
                }
                Err(e) => self.failed(&e),
            }
            cycle += 1;
        }
    }

    fn failed(&self, e: &anyhow::Error) {
        self.tally.errors.fetch_add(1, Relaxed);
        let mut first = self
            .tally
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| format!("{e:#}"));
    }

    async fn pusher_cycle(
        &self,
        n: usize,
        cycle: u64,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let source = source_ip(n, self.source_ips);
        let (mut ws, socket_id) = step(open(&self.pusher_url, self.sio.addr, source)).await?;
        let private = format!("private-soak-{n}");
        let presence = format!("presence-soak-{}", n % PRESENCE_ROOMS);
        let member = json!({"user_id": format!("u{n}"), "user_info": {"n": n}}).to_string();
        let frames = [
            subscribe(CHURN_CHANNEL, None, None),
            subscribe(&private, Some(self.auth(&socket_id, &private, None)), None),
            subscribe(
                &presence,
                Some(self.auth(&socket_id, &presence, Some(&member))),
                Some(&member),
            ),
        ];
        for frame in frames {
            ws.send(Message::text(frame)).await?;
        }
        step(await_subscribed(&mut ws, 3)).await?;
        hold(&mut ws, hold_time(n, cycle), stop).await?;
        if !stop.is_cancelled() {
            let leave = json!({"event": "pusher:unsubscribe", "data": {"channel": presence}});
            ws.send(Message::text(leave.to_string())).await?;
            let auth = self.auth(&socket_id, &presence, Some(&member));
            ws.send(Message::text(subscribe(
                &presence,
                Some(auth),
                Some(&member),
            )))
            .await?;
            step(await_subscribed(&mut ws, 1)).await?;
            self.tally.presence_rejoins.fetch_add(1, Relaxed);
            hold(&mut ws, hold_time(n, cycle + 1), stop).await?;
        }
        close(ws).await;
        Ok(())
    }

    async fn sio_cycle(
        &self,
        n: usize,
        cycle: u64,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let mut spec = self.sio.clone();
        spec.source = source_ip(n, self.source_ips);
        let conn = subscriber::connect(&spec).await?;
        let mut ws = conn.ws;
        hold(&mut ws, hold_time(n, cycle), stop).await?;
        close(ws).await;
        Ok(())
    }

    /// The `auth` of a private or presence subscription, as an auth endpoint signs it.
    fn auth(&self, socket_id: &str, channel: &str, data: Option<&str>) -> String {
        let signed = match data {
            Some(d) => format!("{socket_id}:{channel}:{d}"),
            None => format!("{socket_id}:{channel}"),
        };
        let signature = resso_protocol::auth::sign_hex(&self.app.secret, signed.as_bytes());
        format!("{}:{signature}", self.app.key)
    }
}

async fn step<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .context("timed out")?
}

/// Opens a Pusher connection from `source`; returns it with its socket id.
pub(crate) async fn open(
    url: &str,
    addr: std::net::SocketAddr,
    source: Ipv4Addr,
) -> anyhow::Result<(Ws, String)> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddrV4::new(source, 0).into())?;
    let stream = socket.connect(addr).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(url, Transport::Plain(stream)).await?;
    while let Some(msg) = ws.next().await {
        let Message::Text(text) = msg? else { continue };
        let frame: Value = serde_json::from_str(&text)?;
        if frame["event"] != "pusher:connection_established" {
            bail!("expected connection_established, got {text}");
        }
        let data: Value = serde_json::from_str(frame["data"].as_str().unwrap_or("{}"))?;
        let id = data["socket_id"].as_str().context("no socket_id")?;
        return Ok((ws, id.to_owned()));
    }
    bail!("closed before connection_established")
}

pub(crate) fn subscribe(channel: &str, auth: Option<String>, channel_data: Option<&str>) -> String {
    let mut data = json!({"channel": channel, "auth": auth.unwrap_or_default()});
    if let Some(d) = channel_data {
        data["channel_data"] = d.into();
    }
    json!({"event": "pusher:subscribe", "data": data}).to_string()
}

/// Reads until `count` subscriptions succeeded; fails on an error or a close.
pub(crate) async fn await_subscribed(ws: &mut Ws, count: usize) -> anyhow::Result<()> {
    let mut left = count;
    while left > 0 {
        let text = next_text(ws).await?;
        if text.contains("\"pusher_internal:subscription_succeeded\"") {
            left -= 1;
        } else if text.contains("\"pusher:error\"") || text.contains("subscription_error") {
            bail!("server said {text}");
        }
    }
    Ok(())
}

/// The next text frame, answering heartbeats on the way.
async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Text(text) if text.contains("\"pusher:ping\"") => {
                ws.send(Message::text(crate::payload::PONG)).await?;
            }
            Message::Text(text) if text.as_str() == crate::sio::PING => {
                ws.send(Message::text(crate::sio::PONG)).await?;
            }
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(frame) => bail!("closed: {frame:?}"),
            _ => {}
        }
    }
    bail!("connection ended")
}

/// Reads (and drops) what arrives for `time`, or until `stop`.
async fn hold(ws: &mut Ws, time: Duration, stop: &CancellationToken) -> anyhow::Result<()> {
    let reading = async {
        loop {
            next_text(ws).await?;
        }
    };
    tokio::select! {
        () = tokio::time::sleep(time) => Ok(()),
        () = stop.cancelled() => Ok(()),
        r = reading => r,
    }
}

/// Closes, then reads to the server's close reply so the server ends the TCP connection first
/// (its side keeps TIME_WAIT, not our ephemeral ports).
async fn close(mut ws: Ws) {
    let closing = async {
        ws.close(None).await.ok()?;
        while ws.next().await.is_some() {}
        Some(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
}

/// 0.3 to 2.2 s, varied by churner and cycle (a fixed mix, so runs repeat).
fn hold_time(n: usize, cycle: u64) -> Duration {
    let mix = (n as u64)
        .wrapping_mul(7919)
        .wrapping_add(cycle.wrapping_mul(104_729))
        % 20;
    Duration::from_millis(300 + mix * 100)
}

pub(crate) fn source_ip(n: usize, count: u8) -> Ipv4Addr {
    let k = u8::try_from(n % usize::from(count.max(1))).unwrap_or(0);
    Ipv4Addr::new(127, 0, 0, 1 + k)
}
