//! Prometheus metrics: the one module that counts, with one-line call sites elsewhere. Each app
//! carries its [`AppMeters`] (reached through the `Arc<App>` every connection already holds, so a
//! connection pays nothing to count); the counters on the delivery path are sharded atomics, added
//! once per written batch, with no lock, allocation or formatting. `GET /metrics` renders
//! everything in the Prometheus text format under a configurable prefix — with Soketi's names,
//! so a Soketi dashboard works with the prefix `soketi_` — plus Ressò's own families.
//!
//! - [`shard`]: a counter spread over cache lines, one per worker thread.
//! - [`render`]: the text exposition format.
//! - [`process`]: `process_*` from `/proc`, read at scrape time.

mod process;

pub use process::{mark_start, proc_bytes};
mod families;
mod histogram;
mod render;
mod shard;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use resso_protocol::{AppId, ChannelKind};

pub use histogram::Histogram;
pub use render::Text;
use shard::Sharded;

/// One family: its name, type and help, and how to read one series' value.
type Family<M> = (&'static str, &'static str, &'static str, fn(&M) -> i64);

/// The protocols counted apart (the `protocol` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Pusher = 0,
    SocketIo = 1,
}

impl Protocol {
    const ALL: [Self; 2] = [Self::Pusher, Self::SocketIo];

    const fn label(self) -> &'static str {
        match self {
            Self::Pusher => "pusher",
            Self::SocketIo => "socketio",
        }
    }
}

/// One app's counters.
#[derive(Debug, Default)]
pub struct AppMeters {
    protocols: [ProtocolMeters; 2],
    http_calls: Sharded,
    http_received_bytes: Sharded,
    http_transmitted_bytes: Sharded,
    client_events: Sharded,
    /// By channel type (the [`CHANNEL_TYPES`] order).
    subscriptions: [Sharded; CHANNEL_TYPES.len()],
    /// Connection closes by close code; touched once per closed connection.
    closes: Mutex<BTreeMap<u16, u64>>,
    /// Refusals by limiter (the [`Limiter`] order).
    rate_limited: [Sharded; Limiter::ALL.len()],
    /// Laravel Redis messages by what became of them (the [`Ingested`] order).
    ingested: [Sharded; Ingested::ALL.len()],
    /// Times its Laravel Redis connection was lost or could not be made.
    ingest_reconnections: Sharded,
    /// From a broadcast's making to its last local delivery taken for writing.
    fanout: Histogram,
}

/// A limit that refused something (the `limiter` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// `limits.client_events_per_second`.
    ClientEvents = 0,
    /// `limits.api_requests_per_second`.
    HttpApi = 1,
}

impl Limiter {
    const ALL: [Self; 2] = [Self::ClientEvents, Self::HttpApi];

    const fn label(self) -> &'static str {
        match self {
            Self::ClientEvents => "client_events",
            Self::HttpApi => "http_api",
        }
    }
}

/// What became of a message from Laravel's `redis` broadcaster (the `result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    Delivered = 0,
    Rejected = 1,
}

impl Ingested {
    const ALL: [Self; 2] = [Self::Delivered, Self::Rejected];

    const fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Rejected => "rejected",
        }
    }
}

/// One app's counters for one protocol.
#[derive(Debug, Default)]
struct ProtocolMeters {
    connected: AtomicI64,
    new_connections: Sharded,
    new_disconnections: Sharded,
    received_bytes: Sharded,
    transmitted_bytes: Sharded,
    received_messages: Sharded,
    sent_messages: Sharded,
}

/// The `channel_type` label values.
pub const CHANNEL_TYPES: [&str; 6] = [
    "public",
    "private",
    "presence",
    "encrypted",
    "cache",
    "server_to_user",
];

/// The index of a channel in [`CHANNEL_TYPES`].
#[must_use]
pub const fn channel_type(kind: ChannelKind, cache: bool) -> usize {
    if cache {
        return 4;
    }
    match kind {
        ChannelKind::Public => 0,
        ChannelKind::Private => 1,
        ChannelKind::Presence => 2,
        ChannelKind::Encrypted => 3,
        ChannelKind::ServerToUser => 5,
    }
}

impl AppMeters {
    const fn of(&self, protocol: Protocol) -> &ProtocolMeters {
        &self.protocols[protocol as usize]
    }

    /// A connection of `protocol` was admitted.
    pub fn connected(&self, protocol: Protocol) {
        let m = self.of(protocol);
        m.connected.fetch_add(1, Relaxed);
        m.new_connections.add(1);
    }

    /// An admitted connection ended with `code` (the WebSocket close code; 1006 when it vanished).
    pub fn disconnected(&self, protocol: Protocol, code: u16) {
        let m = self.of(protocol);
        m.connected.fetch_sub(1, Relaxed);
        m.new_disconnections.add(1);
        let mut closes = self.closes.lock().unwrap_or_else(PoisonError::into_inner);
        *closes.entry(code).or_default() += 1;
    }

    /// `messages` frames of `bytes` bytes in all were written to one connection.
    pub fn sent(&self, protocol: Protocol, messages: usize, bytes: usize) {
        let m = self.of(protocol);
        m.sent_messages.add(messages as u64);
        m.transmitted_bytes.add(bytes as u64);
    }

    /// One message of `bytes` bytes arrived from a client.
    pub fn received(&self, protocol: Protocol, bytes: usize) {
        let m = self.of(protocol);
        m.received_messages.add(1);
        m.received_bytes.add(bytes as u64);
    }

    /// A subscription to a channel of `kind` (a cache channel when `cache`) held.
    pub fn subscribed(&self, kind: ChannelKind, cache: bool) {
        self.subscriptions[channel_type(kind, cache)].add(1);
    }

    /// `limiter` refused a client event or a call.
    pub fn rate_limited(&self, limiter: Limiter) {
        self.rate_limited[limiter as usize].add(1);
    }

    /// A Laravel Redis message was delivered or rejected.
    pub fn ingested(&self, result: Ingested) {
        self.ingested[result as usize].add(1);
    }

    /// A broadcast was made `took` before the last of its local subscribers took it to write.
    pub fn fanned_out(&self, took: std::time::Duration) {
        self.fanout.observe(took);
    }

    /// Its Laravel Redis connection was lost (or could not be made) and will be tried again.
    pub fn ingest_reconnecting(&self) {
        self.ingest_reconnections.add(1);
    }

    /// Times its Laravel Redis connection was lost or could not be made.
    #[must_use]
    pub fn ingest_reconnections(&self) -> i64 {
        self.ingest_reconnections.get()
    }

    /// A client event was relayed.
    pub fn client_event(&self) {
        self.client_events.add(1);
    }

    /// An HTTP API call for this app: `received` request bytes, `transmitted` response bytes.
    pub fn http_call(&self, received: usize, transmitted: usize) {
        self.http_calls.add(1);
        self.http_received_bytes.add(received as u64);
        self.http_transmitted_bytes.add(transmitted as u64);
    }
}

/// What the debug console charts of one app: open connections and messages so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Glance {
    pub pusher_connections: i64,
    pub socketio_connections: i64,
    pub messages_sent: i64,
    pub messages_received: i64,
}

impl AppMeters {
    /// This app's connections and message totals now.
    #[must_use]
    pub fn glance(&self) -> Glance {
        let [pusher, socketio] = &self.protocols;
        Glance {
            pusher_connections: pusher.connected.load(Relaxed),
            socketio_connections: socketio.connected.load(Relaxed),
            messages_sent: pusher.sent_messages.get() + socketio.sent_messages.get(),
            messages_received: pusher.received_messages.get() + socketio.received_messages.get(),
        }
    }
}

/// Every app's meters and the server-wide settings of the exposition; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

/// A renderer of families kept by another part of the server, asked on every scrape.
type Source = Box<dyn Fn(&mut Text, &str) + Send + Sync>;

#[derive(Default)]
struct Inner {
    prefix: String,
    /// The `port` label (the server's listening port).
    port: String,
    apps: Mutex<BTreeMap<AppId, Arc<AppMeters>>>,
    sources: Mutex<Vec<Source>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics named `{prefix}name`, labelled with `port`.
    #[must_use]
    pub fn new(prefix: &str, port: u16) -> Self {
        let inner = Inner {
            prefix: prefix.to_owned(),
            port: port.to_string(),
            apps: Mutex::default(),
            sources: Mutex::default(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The meters of `app`, made (at zero) on first use.
    #[must_use]
    pub fn app(&self, app: &AppId) -> Arc<AppMeters> {
        let mut apps = self
            .inner
            .apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        apps.entry(app.clone()).or_default().clone()
    }

    /// Adds families that another part keeps (webhook, cluster counts), rendered on each scrape
    /// by `source`, given the `port` label — so that part need not know this module, nor this
    /// module that part.
    pub fn add_source(&self, source: impl Fn(&mut Text, &str) + Send + Sync + 'static) {
        let mut sources = self
            .inner
            .sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sources.push(Box::new(source));
    }

    /// Everything, in the Prometheus text format.
    #[must_use]
    pub fn render(&self) -> String {
        let apps = self
            .inner
            .apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut text = Text::new(&self.inner.prefix);
        let port = self.inner.port.as_str();

        let per_protocol: [Family<ProtocolMeters>; 7] = [
            ("connected", "gauge", "Open connections", |m| {
                m.connected.load(Relaxed)
            }),
            (
                "new_connections_total",
                "counter",
                "Connections opened",
                |m| m.new_connections.get(),
            ),
            (
                "new_disconnections_total",
                "counter",
                "Connections closed",
                |m| m.new_disconnections.get(),
            ),
            (
                "socket_received_bytes",
                "counter",
                "Bytes of client messages received",
                |m| m.received_bytes.get(),
            ),
            (
                "socket_transmitted_bytes",
                "counter",
                "Bytes written to clients",
                |m| m.transmitted_bytes.get(),
            ),
            (
                "ws_messages_received_total",
                "counter",
                "Messages received from clients",
                |m| m.received_messages.get(),
            ),
            (
                "ws_messages_sent_total",
                "counter",
                "Messages sent to clients",
                |m| m.sent_messages.get(),
            ),
        ];
        for (name, kind, help, read) in per_protocol {
            text.family(name, kind, help);
            for (app, meters) in apps.iter() {
                for protocol in Protocol::ALL {
                    let labels = [
                        ("app_id", app.as_str()),
                        ("port", port),
                        ("protocol", protocol.label()),
                    ];
                    text.sample(name, &labels, read(meters.of(protocol)));
                }
            }
        }
        families::render(&mut text, &apps, port);
        let sources = self
            .inner
            .sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for source in sources.iter() {
            source(&mut text, port);
        }
        text.family("build_info", "gauge", "The running build");
        text.sample("build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
        process::render(&mut text);
        text.finish()
    }
}

#[cfg(test)]
mod tests;
