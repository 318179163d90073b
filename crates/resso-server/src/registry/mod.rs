//! The channel registry: the one owner of which sockets are in which channels, who is present, who
//! is signed in, what cache channels hold — and, in a cluster, what the other nodes hold. All of it
//! lives behind one lock, so none of it can disagree. Every method is synchronous and short; a
//! `std::sync::Mutex` is right here because no caller holds it across an `.await` (clippy's
//! `await_holding_lock` is denied workspace-wide). Subscribers are transport-neutral [`Outbox`]es:
//! the registry hands them a shared [`Broadcast`] and never encodes anything; what it answers a
//! subscribe or a signin with is typed ([`Subscribed`], [`Watchlist`]), for each protocol to encode.
//! Webhook events and cluster deltas are emitted here, where the transitions (first subscriber,
//! last member, …) are decided against the cluster-wide view: the other nodes' replicas
//! ([`replica`]) live under the same lock. What it tells the other nodes leaves through its own
//! [`Port`], in its own vocabulary; it knows nothing of the transport that carries it.

mod cache;
mod channel;
mod claims;
mod counts;
mod handover;
mod history;
mod local;
mod port;
mod queries;
mod quota;
mod recovery;
pub mod replica;
mod replicate;
mod reply;
mod users;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use resso_protocol::{AppId, ChannelKind, ChannelName, ErrorCode, SocketId, UserId};
use tokio_util::sync::CancellationToken;

use crate::apps::App;
use crate::broadcast::{Broadcast, Payload};
use crate::outbox::Outbox;
use crate::tap::Entry;
use crate::webhooks::{HookEvent, Webhooks};
pub use cache::Cached;
use channel::{fan_out, Channel};
pub use handover::{Handed, Handover, Marks, Offer, Sessions, Step};
pub use history::Bounds as HistoryBounds;
pub use port::{Outgoing, Peers, Port};
pub use quota::WaitingSlot;
pub use recovery::{Joined, Resume, Unrecoverable, Wanted};
use replica::{Change, NodeId, Publish, Remote, Retractions};
pub use reply::{Replay, Subscribed, Watchlist};

/// Channels above this many subscribers get `subscription_count` at most every [`COUNT_INTERVAL`].
const COUNT_THROTTLE_ABOVE: usize = 100;
const COUNT_INTERVAL: Duration = Duration::from_secs(5);

/// Shared handle to the registry; cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    shared: Arc<Shared>,
    webhooks: Webhooks,
    port: Port,
    /// Once a clustered node shuts down, the surviving nodes fire the webhooks for what leaves with
    /// it, so this node fires none.
    shutdown: CancellationToken,
}

/// What the handles share: the one lock, and beside it (with its own small lock) the recoveries
/// handed over between nodes — the claims waiting here, who answers other nodes'.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    handover: Arc<claims::Slot>,
    /// The number of the last publish or delta this node sent (taken under the lock, so the
    /// numbers follow the order of the queue to the broker).
    sent: AtomicU64,
}

#[derive(Default)]
struct State {
    apps: HashMap<AppId, AppState>,
    /// Channels whose throttled `subscription_count` is owed.
    owed_counts: counts::Owed,
    /// The other nodes' state (empty on a single node).
    remote: Remote,
    /// Removals this node fired for vanished nodes, to take back if they return.
    retractions: Retractions,
    /// How far each node's publishes were delivered here, this node's own included.
    heard: handover::Heard,
}

#[derive(Default)]
struct AppState {
    /// Every open connection here, so that shutdown can close them all.
    connections: HashMap<SocketId, Outbox>,
    /// Sessions waiting here for a recovery: they count toward the app's connections.
    waiting: u64,
    channels: HashMap<ChannelName, Channel>,
    users: users::Users,
    cache: cache::Cache,
}

/// Subscriber and user counts of one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub subscriptions: usize,
    pub users: usize,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwelcome {
    /// The app is at its connection limit.
    OverQuota,
    /// The server is shutting down.
    ShuttingDown,
}

/// Why a subscription was refused by the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The presence channel already has the app's maximum of members.
    PresenceFull(usize),
}

impl Registry {
    /// A registry reporting to `webhooks` and telling other nodes through `port` until `shutdown`.
    #[must_use]
    pub fn new(webhooks: Webhooks, port: Port, shutdown: CancellationToken) -> Self {
        Self {
            shared: Arc::default(),
            webhooks,
            port,
            shutdown,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        let state = &self.shared.state;
        state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The webhook handle, for events decided outside the registry (client events).
    #[must_use]
    pub const fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// Asks every open connection to close with `code` (at shutdown: 4200).
    pub fn close_all(&self, code: ErrorCode) {
        let state = self.lock();
        for outbox in state.apps.values().flat_map(|a| a.connections.values()) {
            outbox.close(code);
        }
    }

    /// Closes every local connection of `app` with `code` (an app removed or disabled by a
    /// reload: 4003); returns how many.
    pub fn close_app(&self, app: &AppId, code: ErrorCode) -> usize {
        let state = self.lock();
        let connections = state.apps.get(app).map(|a| a.connections.values());
        let mut closed = 0;
        for outbox in connections.into_iter().flatten() {
            outbox.close(code);
            closed += 1;
        }
        closed
    }

    /// The queues of every open connection, to close them a share at a time (the drain).
    #[must_use]
    pub fn open_connections(&self) -> Vec<Outbox> {
        let state = self.lock();
        let all = state.apps.values().flat_map(|a| a.connections.values());
        all.cloned().collect()
    }

    /// Sends `wire` to the other nodes while `state` is locked, numbered, and names `msg` by it.
    /// Relaying under the lock that local delivery takes makes every node see one node's
    /// concurrent publishes in the same order: two publishes can no longer be relayed in one order
    /// and delivered here in the other.
    fn relay(&self, _state: &State, wire: Option<Publish>, msg: &Broadcast) {
        if let Some(mut wire) = wire {
            wire.seq = self.shared.sent.fetch_add(1, Ordering::Relaxed) + 1;
            msg.set_origin(wire.node, wire.seq);
            self.port.send(Outgoing::Publish(wire));
        }
    }

    /// Publishes a client event of `sender` to every other subscriber of `channel` on every node,
    /// with the sender's presence `user_id` on presence channels (looked up under the same lock);
    /// returns that user.
    pub fn publish_client_event(
        &self,
        app: &App,
        channel: &ChannelName,
        event: String,
        payload: Payload,
        sender: SocketId,
    ) -> Option<UserId> {
        let mut state = self.lock();
        let user = (channel.kind() == ChannelKind::Presence)
            .then(|| user_in(&state, &app.id, channel, sender))
            .flatten();
        let msg = Arc::new(Broadcast::event(
            channel.clone(),
            event,
            payload,
            user.clone(),
        ));
        let wire = self
            .port
            .is_clustered()
            .then(|| Publish::client_event(self.port.node(), &app.id, &msg, sender))
            .flatten();
        self.relay(&state, wire, &msg);
        fan_out(&mut state, app, channel, &msg, Some(sender));
        user
    }

    /// Publishes an HTTP API event on every node, keeping it as the channel's cached event on cache
    /// channels; returns how many local subscribers got it.
    pub fn publish_api(
        &self,
        app: &App,
        channel: &ChannelName,
        event: &str,
        data: &str,
        except: Option<SocketId>,
    ) -> usize {
        let wire = self.port.is_clustered().then(|| Publish {
            node: self.port.node(),
            seq: 0,
            app: app.id.clone(),
            channel: channel.clone(),
            event: event.to_owned(),
            text: Some(data.to_owned()),
            json: None,
            user_id: None,
            except,
        });
        let payload = Payload::Text(data.to_owned());
        let delivered = self.deliver_and_relay(app, channel, event, payload, except, wire);
        app.tap.emit(|| Entry::ApiEvent {
            channel: channel.to_string(),
            event: event.to_owned(),
            data: Entry::clip(data),
            delivered,
        });
        delivered
    }

    /// Publishes an event to this node's subscribers only, keeping it as the cached event on cache
    /// channels; returns how many got it. For sources every node consumes itself (Laravel's `redis`
    /// broadcaster): relaying those to the other nodes would deliver each event once per node.
    pub fn publish_here(
        &self,
        app: &App,
        channel: &ChannelName,
        event: &str,
        data: String,
        except: Option<SocketId>,
    ) -> usize {
        let shown = app.tap.is_watched().then(|| Entry::clip(&data));
        let delivered =
            self.deliver_and_relay(app, channel, event, Payload::Text(data), except, None);
        if let Some(data) = shown {
            app.tap.emit(|| Entry::Ingested {
                channel: channel.to_string(),
                event: event.to_owned(),
                data,
                delivered,
            });
        }
        delivered
    }

    /// Delivers here, caching on cache channels, and relays `relay` — all under one lock.
    fn deliver_and_relay(
        &self,
        app: &App,
        channel: &ChannelName,
        event: &str,
        payload: Payload,
        except: Option<SocketId>,
        relay: Option<Publish>,
    ) -> usize {
        let data = payload.as_text().map(Arc::<str>::from);
        let msg = Arc::new(Broadcast::event(
            channel.clone(),
            event.to_owned(),
            payload,
            None,
        ));
        let mut state = self.lock();
        self.relay(&state, relay, &msg);
        cache::keep(&mut state, app, channel, &msg, data);
        fan_out(&mut state, app, channel, &msg, except)
    }

    /// Closes every connection signed in as `user`, on every node; returns how many were here.
    pub fn terminate(&self, app: &App, user: &str) -> usize {
        self.port.send(Outgoing::Terminate {
            app: app.id.clone(),
            user: UserId::from(user),
        });
        self.terminate_local(&app.id, user)
    }

    /// Closes every connection here signed in as `user`; returns how many.
    pub(crate) fn terminate_local(&self, app: &AppId, user: &str) -> usize {
        let state = self.lock();
        state.apps.get(app).map_or(0, |a| a.users.terminate(user))
    }

    /// This node's id.
    #[must_use]
    pub const fn node(&self) -> NodeId {
        self.port.node()
    }

    /// Tells the other nodes of `change`, numbered as this node's next message; call it under
    /// the lock.
    fn delta(&self, app: &App, change: Change) {
        if self.port.is_clustered() {
            let seq = self.shared.sent.fetch_add(1, Ordering::Relaxed) + 1;
            let app = app.id.clone();
            self.port.send(Outgoing::Delta { app, change, seq });
        }
    }

    /// Names `msg`, a presence change made here, by the delta about to tell the other nodes of it
    /// (the next message numbered, in the same locked step).
    fn by_next_delta(&self, msg: &Broadcast) {
        if self.port.is_clustered() {
            let seq = self.shared.sent.load(Ordering::Relaxed) + 1;
            msg.set_origin(self.port.node(), seq);
        }
    }

    /// Whether this node fires the occupancy and member webhooks (see [`replica`]).
    fn leads(&self, remote: &Remote) -> bool {
        remote.led_by(self.port.node())
    }

    fn emit(&self, app: &AppId, event: HookEvent) {
        if self.port.is_clustered() && self.shutdown.is_cancelled() {
            return;
        }
        self.webhooks.emit(app, event);
    }

    /// Fires an occupancy or member webhook decided by a local change, if this node leads.
    fn emit_transition(&self, app: &AppId, remote: &Remote, event: HookEvent) {
        if self.leads(remote) {
            self.emit(app, event);
        }
    }
}

/// Where a transition happens: which app and channel, and what the other nodes hold of it. Borrowed
/// once per change and handed down to the steps that decide what to tell.
#[derive(Clone, Copy)]
struct At<'a> {
    app: &'a App,
    channel: &'a ChannelName,
    remote: &'a Remote,
}

impl<'a> At<'a> {
    const fn new(app: &'a App, channel: &'a ChannelName, remote: &'a Remote) -> Self {
        Self {
            app,
            channel,
            remote,
        }
    }
}

/// The presence user `socket` subscribed to `channel` as, in `state`.
fn user_in(state: &State, app: &AppId, channel: &ChannelName, socket: SocketId) -> Option<UserId> {
    let entry = state.apps.get(app)?.channels.get(channel)?;
    entry.subscribers.get(&socket)?.user.clone()
}
