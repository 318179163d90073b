//! The task that owns the broker connection. It announces this node with a `Hello` carrying a full
//! snapshot, then forwards outbound messages and applies inbound ones. When the broker goes away it
//! logs, keeps the node serving its local clients, reconnects with exponential backoff, throws away
//! the deltas queued meanwhile (the fresh snapshot supersedes them) and announces itself again.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::wire::Wire;
use super::{dispatch, nats, redis, Outbound};
use crate::apps::Apps;
use crate::registry::Registry;

const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Which broker, and the channel or subject the cluster talks on.
#[derive(Debug, Clone)]
pub enum Broker {
    Redis { url: String, channel: String },
    Nats { url: String, subject: String },
}

/// Why a broker session ended.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("nats: {0}")]
    NatsConnect(#[from] async_nats::ConnectError),
    #[error("nats: {0}")]
    NatsSubscribe(#[from] async_nats::SubscribeError),
    #[error("nats: {0}")]
    NatsPublish(#[from] async_nats::PublishError),
    #[error("the broker closed the subscription")]
    Closed,
}

/// What a connected broker session needs from the link.
pub struct BrokerSession<'a> {
    pub outbound: &'a mut mpsc::Receiver<Wire>,
    /// Where answers to the other nodes go (the same queue).
    pub answers: &'a Outbound,
    pub registry: &'a Registry,
    pub apps: &'a Apps,
    pub shutdown: &'a CancellationToken,
    /// Set once this session has announced itself, i.e. once the broker was reached.
    pub announced: &'a AtomicBool,
}

impl BrokerSession<'_> {
    /// Applies one inbound payload; malformed payloads are logged and skipped.
    pub fn inbound(&self, payload: &[u8]) {
        self.answers.traffic.received.fetch_add(1, Relaxed);
        match serde_json::from_slice::<Wire>(payload) {
            Ok(wire) => dispatch::apply(self.registry, self.answers, wire, self.apps),
            Err(e) => tracing::warn!("ignoring a malformed cluster message: {e}"),
        }
    }

    /// `wire` as the broker carries it, counted as sent.
    pub fn outgoing(&self, wire: &Wire) -> Vec<u8> {
        self.answers.traffic.sent.fetch_add(1, Relaxed);
        encode(wire)
    }

    /// The announcement to send first on every (re)connect, after dropping stale queued messages.
    pub fn hello(&mut self) -> Vec<u8> {
        self.announced.store(true, Relaxed);
        while self.outbound.try_recv().is_ok() {}
        let hello = Wire::Hello {
            node: self.registry.node(),
            snapshot: self.registry.snapshot(),
        };
        encode(&hello)
    }

    /// The goodbye to send on shutdown; the other nodes then fire this node's webhooks.
    pub fn bye(&self) -> Vec<u8> {
        encode(&Wire::Bye {
            node: self.registry.node(),
        })
    }
}

/// Serializes a message for the broker.
#[must_use]
pub fn encode(wire: &Wire) -> Vec<u8> {
    serde_json::to_vec(wire).expect("cluster messages serialize")
}

/// Runs the link until shutdown.
pub(super) async fn run(
    broker: Broker,
    mut outbound: mpsc::Receiver<Wire>,
    answers: Outbound,
    registry: Registry,
    apps: Arc<Apps>,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::default();
    loop {
        let announced = AtomicBool::new(false);
        let session = BrokerSession {
            outbound: &mut outbound,
            answers: &answers,
            registry: &registry,
            apps: &apps,
            shutdown: &shutdown,
            announced: &announced,
        };
        let result = match &broker {
            Broker::Redis { url, channel } => redis::serve(url, channel, session).await,
            Broker::Nats { url, subject } => nats::serve(url, subject, session).await,
        };
        let delay = backoff.after(announced.load(Relaxed));
        let Err(e) = result else {
            return;
        };
        answers.traffic.reconnecting();
        tracing::warn!(
            "cluster broker unavailable ({e}); serving local clients, retrying in {delay:?}"
        );
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// Reconnect delays: doubling while the broker stays out of reach, back to the shortest once a
/// session got through, so a later outage is not waited out at the longest delay.
struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: BACKOFF_MIN }
    }
}

impl Backoff {
    /// The pause after a session that ended; `reached` says whether it got to the broker.
    fn after(&mut self, reached: bool) -> Duration {
        if reached {
            self.next = BACKOFF_MIN;
        }
        let delay = self.next;
        self.next = (delay * 2).min(BACKOFF_MAX);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_starts_over_after_a_session_got_through() {
        let mut backoff = Backoff::default();
        let failed: Vec<Duration> = (0..8).map(|_| backoff.after(false)).collect();
        assert_eq!(failed[0], BACKOFF_MIN);
        assert_eq!(failed[1], BACKOFF_MIN * 2);
        assert_eq!(failed[7], BACKOFF_MAX);
        assert_eq!(backoff.after(true), BACKOFF_MIN);
        assert_eq!(backoff.after(false), BACKOFF_MIN * 2);
    }
}
