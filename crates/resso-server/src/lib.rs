//! Ressò: a real-time broadcasting server speaking the Pusher Channels protocol v7 and, for
//! Laravel Echo's `socket.io` connector, Socket.IO. The protocol itself — names, frames,
//! signatures, the Socket.IO codecs — is `resso_protocol`'s.
//!
//! The crate is built in layers; a module imports only from layers below its own (and siblings in
//! a layer never import each other). `scripts/layers.py` checks this in CI.
//!
//! 1. **Leaves** — [`config`] (typed configuration from defaults, a TOML file or a
//!    laravel-echo-server.json, the environment and flags), [`apps`] (the configured apps by id and
//!    key, each with its counters), [`rate`] (the one-second rate window), [`admission`]
//!    (per-address connection limits, the memory ceiling), [`ids`] (socket ids), [`deadline`],
//!    [`metrics`] (Prometheus counters and their page), [`refusals`] (rate-limited warnings for
//!    refused clients), [`tap`] (each app's live feed for the debug console and `--debug`, free
//!    while nobody watches), [`tls`] (certificates for the TLS listener, reloaded on SIGHUP and file
//!    changes), and the WebSocket transport [`ws`] (upgrade sniffing, handshake, frames, a
//!    socket over any stream).
//! 2. **Values and actors** — [`broadcast`] (what the registry fans out, with one encoded slot per
//!    protocol and no encoder of its own), [`outbox`] (each connection's byte-bounded queue),
//!    [`webhooks`] (the dispatcher that batches, signs and delivers them).
//! 3. **State** — [`registry`]: the one owner of channels, subscribers, presence, signed-in users,
//!    cached events, Socket.IO recovery histories and the other nodes' replicas, with its own
//!    outgoing [`registry::Port`].
//! 4. **Protocol logic and adapters on the state** — [`client_event`] (the client-event rules and
//!    relay both protocols share) and [`store`] (apps kept in PostgreSQL or MySQL, looked up on a
//!    miss, cached, refreshed every TTL), then [`session`] (one Pusher connection's logic, free of I/O),
//!    [`cluster`] (the broker link: envelopes, Redis / NATS, membership, dispatch into the registry)
//!    and [`ingest`] (events from Laravel's `redis` broadcaster).
//! 5. **Tasks and codecs** — [`connection`] (the per-connection task, generic over the protocol
//!    and the stream), then [`pusher`] (the `/app/{key}` endpoint and the Pusher codec) and
//!    [`socketio`] (Engine.IO polling and websocket, the Socket.IO codec, Echo's logic).
//! 6. **Edge** — [`http`]: the accept loop, first-request sniffing, the router and its handlers.
//! 7. **Root** — [`server`] builds everything and owns shutdown; [`run`] serves a bound listener
//!    until a shutdown token is cancelled. `main` is a thin wrapper, and the integration tests
//!    call the same `run` on port 0.
//!
//! `docs/architecture.md` walks one event's path through these layers. Only [`config`], [`run`]
//! (and [`serve`] with its [`Listeners`]), [`tls`] and what the integration tests drive directly
//! ([`apps`], [`webhooks`]) are public.

pub(crate) mod admission;
pub mod apps;
pub(crate) mod broadcast;
pub(crate) mod client_event;
pub(crate) mod cluster;
pub mod config;
pub(crate) mod connection;
pub(crate) mod deadline;
pub(crate) mod http;
pub(crate) mod ids;
pub(crate) mod ingest;
pub(crate) mod metrics;
pub(crate) mod outbox;
pub(crate) mod pusher;
pub(crate) mod rate;
pub(crate) mod refusals;
pub(crate) mod registry;
pub(crate) mod server;
pub(crate) mod session;
pub(crate) mod socketio;
pub(crate) mod store;
pub(crate) mod tap;
pub mod tls;
pub mod webhooks;
pub(crate) mod ws;

#[cfg(test)]
mod tests;

pub use server::{banner, run, serve, serve_reloading, Listeners};

/// The parsers of outside bytes, for the fuzz targets (`fuzz/`); not an API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::cluster::wire::Wire;
    pub use crate::ingest::message::parse as parse_laravel_message;
    pub use crate::ws::frame::{Decoder, Incoming};
    pub use crate::ws::upgrade::{classify, First};
}
