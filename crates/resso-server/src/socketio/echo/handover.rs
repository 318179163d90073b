//! Connection state recovery across a cluster: a client whose session waits on node A reconnects
//! to node B. B claims the `pid` from every node; A offers the session and keeps it waiting; B
//! joins its channels for it (presence ones as the same member, private ones without asking the
//! app again), so from then on B's own subscriptions get what is published; then B collects from A
//! what the client missed, and A lets the session go — after B's joins reached every node, so its
//! presence never shows the member leaving. The client gets A's replay, then what B's
//! subscriptions got that A had not (the registry's [`Marks`] tell them apart), once each, in order. What cannot be done whole — nobody offers in time, a channel
//! refuses, A cannot replay — gives a fresh session, as on one node.

use std::sync::{Arc, Weak};

use resso_protocol::presence::Member;
use resso_protocol::AppId;

use super::{Connect, Echo, EchoSocket, Recovered, Shared};
use crate::broadcast::Broadcast;
use crate::registry::{Handed, Joined, Marks, Offer, Sessions, Wanted};

impl Echo {
    /// Who answers other nodes' claims of the sessions waiting here.
    #[must_use]
    pub fn sessions(&self) -> Weak<dyn Sessions> {
        let shared: Weak<Shared> = Arc::downgrade(&self.0);
        shared
    }

    /// Recovers session `pid` (offset `after`) from the node holding it, or gives a fresh session.
    pub(super) async fn claim_elsewhere(self, c: Connect, pid: String, after: u64) -> Recovered {
        match self.take_over(&c, &pid, after).await {
            Some((socket, replay)) => self.recovered(socket, replay),
            None => {
                tracing::debug!(app = %c.app.id, socket = %c.socket_id, "Socket.IO recovery refused, a fresh session: no node handed the session over");
                self.fresh(c)
            }
        }
    }

    async fn take_over(
        &self,
        c: &Connect,
        pid: &str,
        after: u64,
    ) -> Option<(Box<EchoSocket>, Vec<Arc<Broadcast>>)> {
        let registry = &c.registry;
        let claimed = registry.claim(&c.app.id, pid).await?;
        // Before any of its channels is joined here: what this node keeps for the socket from
        // now on comes after the replay.
        let base = registry.reserve_offset();
        let restored = Connect {
            socket_id: claimed.offer.socket,
            ..c.clone()
        };
        let mut socket = Box::new(self.connect(restored));
        socket.restore(&claimed.offer)?;
        // Dropping `socket` on any failure below leaves the channels it joined.
        let handed = registry.collect(&claimed, pid, after).await?;
        registry.take_place(&c.app.id, socket.socket_id, c.socket_id, &c.outbox);
        socket.handed = Some(Box::new(HandedOver {
            pid: pid.into(),
            marks: handed.marks,
        }));
        let replay = handed.events.into_iter();
        Some((socket, replay.map(|m| m.into_broadcast(base)).collect()))
    }
}

/// What a socket handed over from another node keeps of it.
pub(super) struct HandedOver {
    /// Its session id there, which it keeps: socket.io-client counts a recovery by its session
    /// id coming back unchanged.
    pub pid: Box<str>,
    marks: Marks,
}

impl EchoSocket {
    /// Joins the offered session's channels, as the member it was on presence ones.
    fn restore(&mut self, offer: &Offer) -> Option<()> {
        let bounds = self.history_bounds();
        for r in &offer.channels {
            let member = r.member.clone().map(|m| Member {
                user_id: m.user,
                user_info: m.info,
            });
            let (app, registry) = (&self.app, &self.registry);
            let joined = registry.subscribe(app, &r.channel, self.socket_id, &self.outbox, member);
            if joined.is_err() {
                tracing::debug!(app = %app.id, channel = %r.channel, "a handed-over channel refused the socket");
                return None;
            }
            let since = bounds.map_or(0, |b| registry.keep_history(app, &r.channel, b));
            let channel = r.channel.clone();
            self.joined.push(Joined { channel, since });
        }
        Some(())
    }

    /// Whether `msg` reached the socket before it was handed over here (in the replay, or before
    /// it was cut off): it must not be written again.
    pub fn had(&self, msg: &Broadcast) -> bool {
        self.handed.as_ref().is_some_and(|h| h.marks.covers(msg))
    }
}

impl Sessions for Shared {
    fn offer(&self, app: &AppId, pid: &str) -> Option<Offer> {
        let (socket, joined, registry) = self.parked.peek(pid, app, |s| {
            (s.socket_id, s.joined.clone(), s.registry.clone())
        })?;
        registry.offer(app, socket, &joined)
    }

    fn collect(&self, app: &AppId, pid: &str, after: u64) -> Option<Handed> {
        let socket = self.parked.take(pid, app)?;
        let sio = socket.app.config.socketio.as_ref();
        let recovery = sio.and_then(|s| s.recovery())?;
        let wanted = Wanted {
            socket: socket.socket_id,
            channels: &socket.joined,
            after,
            max_events: recovery.max_events,
            max_bytes: recovery.max_bytes,
        };
        let handed = socket.registry.hand_over(app, &wanted);
        // Let go once its replay is taken: it leaves its channels, after the claiming node joined
        // them, so its presence holds.
        drop(socket);
        handed
            .inspect_err(|why| tracing::debug!(%app, "Socket.IO session not handed over: {why}"))
            .ok()
    }
}
