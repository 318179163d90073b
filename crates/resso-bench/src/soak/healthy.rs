//! The soak's long-lived clients. Healthy subscribers join the fed channel before the first
//! publish and read until the end, checking every sequence number ([`InOrder`]); most speak
//! Pusher, a few Socket.IO (EIO 4). Slow consumers join their own channel and stop reading, so the
//! server must close them (4100) once their queue passes `outbound_queue_bytes`; each drains its
//! socket afterwards to learn the close code.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::order::InOrder;
use crate::cli::Protocol;
use crate::payload;
use crate::sio::{self, Frame};
use crate::subscriber::close_code;
use crate::subscriber::{self, Spec, Ws};

/// SO_RCVBUF of a slow consumer, so the server's queue for it fills soon.
const SLOW_RCVBUF: u32 = 4096;
/// Time a slow consumer waits, unread, for the server to give up on it.
const SLOW_STALL: Duration = Duration::from_secs(10);
/// Every this-many-th healthy subscriber speaks Socket.IO.
const SIO_EVERY: usize = 10;

/// Healthy subscribers: their checks, and the deliveries they count as they come.
pub struct Healthy {
    pub checks: Vec<Arc<Mutex<InOrder>>>,
    pub received: Arc<AtomicU64>,
    /// How each that ended early was closed (none should be).
    pub closes: Arc<Mutex<Vec<u16>>>,
    tasks: JoinSet<()>,
}

impl Healthy {
    /// Connects `count` subscribers to `template.channel` one after another.
    ///
    /// # Errors
    /// The first subscriber that fails to connect: a soak needs all of them.
    pub async fn connect(
        template: &Spec,
        sio_url: &str,
        count: usize,
        stop: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let mut healthy = Self {
            checks: Vec::with_capacity(count),
            received: Arc::new(AtomicU64::new(0)),
            closes: Arc::default(),
            tasks: JoinSet::new(),
        };
        for i in 0..count {
            let mut spec = template.clone();
            if i % SIO_EVERY == SIO_EVERY - 1 {
                spec.protocol = Protocol::Sio4;
                spec.url = sio_url.into();
            }
            let conn = subscriber::connect(&spec).await?;
            let check = Arc::new(Mutex::new(InOrder::default()));
            healthy.checks.push(check.clone());
            let reader = Reader {
                check,
                received: healthy.received.clone(),
                closes: healthy.closes.clone(),
                protocol: spec.protocol,
            };
            healthy.tasks.spawn(reader.run(conn.ws, stop.clone()));
        }
        Ok(healthy)
    }

    /// Waits for every subscriber to have closed (after `stop`); returns their checks and the
    /// close codes of those the server closed before.
    pub async fn join(mut self) -> (Vec<InOrder>, Vec<u16>) {
        while self.tasks.join_next().await.is_some() {}
        let checks = self.checks.iter().map(|c| *lock(c)).collect();
        (checks, lock(&self.closes).clone())
    }
}

struct Reader {
    check: Arc<Mutex<InOrder>>,
    received: Arc<AtomicU64>,
    closes: Arc<Mutex<Vec<u16>>>,
    protocol: Protocol,
}

impl Reader {
    async fn run(self, mut ws: Ws, stop: CancellationToken) {
        loop {
            let msg = tokio::select! {
                () = stop.cancelled() => break,
                msg = ws.next() => msg,
            };
            let text = match msg {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    return lock(&self.closes).push(frame.map_or(1005, |f| f.code.into()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return lock(&self.closes).push(1006),
            };
            if let Some(reply) = self.on_text(&text) {
                if ws.send(Message::text(reply)).await.is_err() {
                    return lock(&self.closes).push(1006);
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    }

    /// Checks an event's sequence number; returns the heartbeat reply due, if any.
    fn on_text(&self, text: &str) -> Option<&'static str> {
        if let Some((seq, _)) = payload::scan(text) {
            lock(&self.check).record(seq);
            self.received.fetch_add(1, Relaxed);
            return None;
        }
        match self.protocol {
            Protocol::Pusher => text.contains("\"pusher:ping\"").then_some(payload::PONG),
            Protocol::Sio3 | Protocol::Sio4 => {
                (sio::classify(text) == Frame::Ping).then_some(sio::PONG)
            }
        }
    }
}

/// Slow consumers started and how they ended.
#[derive(Debug, Default)]
pub struct SlowTally {
    pub started: AtomicU64,
    /// Closed by the server with 4100.
    pub closed_4100: AtomicU64,
    /// Closed otherwise, or still open after the stall.
    pub other: AtomicU64,
    pub connect_errors: AtomicU64,
}

/// Starts one slow consumer every `every` until `stop`; waits for the last to finish.
pub async fn slow_consumers(
    template: Spec,
    every: Duration,
    tally: Arc<SlowTally>,
    stop: CancellationToken,
) {
    let mut spec = template;
    spec.socket_recv_buffer = Some(SLOW_RCVBUF);
    let mut tasks = JoinSet::new();
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        tasks.spawn(slow_one(spec.clone(), tally.clone()));
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

async fn slow_one(spec: Spec, tally: Arc<SlowTally>) {
    let Ok(conn) = subscriber::connect(&spec).await else {
        tally.connect_errors.fetch_add(1, Relaxed);
        return;
    };
    tally.started.fetch_add(1, Relaxed);
    tokio::time::sleep(SLOW_STALL).await;
    let mut ws = conn.ws;
    let code = tokio::time::timeout(Duration::from_secs(5), close_code(&mut ws)).await;
    match code {
        Ok(4100) => tally.closed_4100.fetch_add(1, Relaxed),
        _ => tally.other.fetch_add(1, Relaxed),
    };
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
