//! The registry's half of a recovery handed over between nodes ([`handover`](super::handover)):
//! on the claiming node, the claims waiting for an answer (one per `pid` at a time, each bounded
//! in time) and the steps it sends; on the holding node, the answers to other nodes' steps, asked
//! of the [`Sessions`] the Socket.IO layer registered, and what it hands over from its histories.
//! Every step leaves through the [`Port`](super::Port), on the one queue this node's deltas take,
//! so a node's collect reaches the holder after the deltas of the subscriptions it made first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use resso_protocol::{AppId, SocketId};
use tokio::sync::oneshot;

use super::handover::{Handed, Handover, Missed, Offer, Restore, Sessions, Step};
use super::history::next_offset;
use super::recovery::{self, Joined, Unrecoverable, Wanted};
use super::replica::{MemberInfo, NodeId};
use super::{Outgoing, Registry};
use crate::outbox::Outbox;

/// How long a claim waits for a node holding the session to offer it; then a fresh session.
const CLAIM_WAIT: Duration = Duration::from_secs(1);
/// How long the replay may take once a node offered the session.
const COLLECT_WAIT: Duration = Duration::from_secs(3);
/// Most claims waiting on one node at once; past it a claim gets a fresh session at once.
const MAX_CLAIMS: usize = 1024;

/// Who answers other nodes' claims here, and the claims this node waits on.
#[derive(Default)]
pub(super) struct Slot {
    sessions: OnceLock<Weak<dyn Sessions>>,
    claims: Mutex<Claims>,
}

#[derive(Default)]
struct Claims {
    next: u64,
    open: HashMap<u64, Open>,
}

struct Open {
    pid: String,
    waiter: Option<oneshot::Sender<(NodeId, Step)>>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new claim of `pid`, unless one is waiting already or too many are.
    fn open(self: &Arc<Self>, pid: &str) -> Option<Ticket> {
        let mut claims = self.lock();
        let busy = claims.open.len() >= MAX_CLAIMS || claims.open.values().any(|o| o.pid == pid);
        if busy {
            return None;
        }
        claims.next += 1;
        let request = claims.next;
        let pid = pid.to_owned();
        claims.open.insert(request, Open { pid, waiter: None });
        Some(Ticket {
            slot: self.clone(),
            request,
        })
    }

    /// The next answer to `request`.
    fn expect(&self, request: u64) -> oneshot::Receiver<(NodeId, Step)> {
        let (tx, rx) = oneshot::channel();
        if let Some(open) = self.lock().open.get_mut(&request) {
            open.waiter = Some(tx);
        }
        rx
    }

    /// `from` answered `request` with `step` (dropped unless someone waits for it).
    fn resolve(&self, request: u64, from: NodeId, step: Step) {
        let waiter = self
            .lock()
            .open
            .get_mut(&request)
            .and_then(|o| o.waiter.take());
        if let Some(tx) = waiter {
            let _ = tx.send((from, step));
        }
    }
}

/// An open claim; dropping it closes it.
struct Ticket {
    slot: Arc<Slot>,
    request: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let gone = self.slot.lock().open.remove(&self.request);
        drop(gone);
    }
}

/// A session another node offered: how to rebuild it here, before collecting what it missed.
pub struct Claimed {
    pub offer: Offer,
    from: NodeId,
    app: AppId,
    ticket: Ticket,
}

impl Registry {
    /// Answers other nodes' claims with `sessions` (the first registered stays).
    pub fn serve_handovers(&self, sessions: Weak<dyn Sessions>) {
        let _ = self.shared.handover.sessions.set(sessions);
    }

    /// Whether other nodes may hold sessions.
    #[must_use]
    pub const fn is_clustered(&self) -> bool {
        self.port.is_clustered()
    }

    fn send_step(&self, to: Option<NodeId>, app: &AppId, request: u64, step: Step) {
        let app = app.clone();
        let handover = Handover {
            to,
            app,
            request,
            step,
        };
        self.port.send(Outgoing::Handover(handover));
    }

    /// Asks every node for the waiting session `pid` of `app`; `None` when none offers it in time
    /// (or it is being claimed here already).
    pub async fn claim(&self, app: &AppId, pid: &str) -> Option<Claimed> {
        let ticket = self.shared.handover.open(pid)?;
        let answer = self.shared.handover.expect(ticket.request);
        let step = Step::Claim {
            pid: pid.to_owned(),
        };
        self.send_step(None, app, ticket.request, step);
        let (from, step) = tokio::time::timeout(CLAIM_WAIT, answer).await.ok()?.ok()?;
        let Step::Offer(offer) = step else {
            return None;
        };
        let app = app.clone();
        Some(Claimed {
            offer,
            from,
            app,
            ticket,
        })
    }

    /// Asks the node that offered `claimed` for what it missed after offset `after` (it lets the
    /// session go); `None` when it cannot be given, or not in time. Call it once the session's
    /// channels are joined here.
    pub async fn collect(&self, claimed: &Claimed, pid: &str, after: u64) -> Option<Handed> {
        let request = claimed.ticket.request;
        let answer = self.shared.handover.expect(request);
        let pid = pid.to_owned();
        let step = Step::Collect { pid, after };
        self.send_step(Some(claimed.from), &claimed.app, request, step);
        let (from, step) = tokio::time::timeout(COLLECT_WAIT, answer)
            .await
            .ok()?
            .ok()?;
        match step {
            Step::Replay(handed) if from == claimed.from => handed,
            _ => None,
        }
    }

    /// Another node's handover step `h`, from `from`.
    pub(crate) fn on_handover(&self, from: NodeId, h: Handover) {
        if h.to.is_some_and(|to| to != self.node()) {
            return;
        }
        let sessions = self.shared.handover.sessions.get().and_then(Weak::upgrade);
        match h.step {
            Step::Claim { pid } => {
                if let Some(offer) = sessions.and_then(|s| s.offer(&h.app, &pid)) {
                    self.send_step(Some(from), &h.app, h.request, Step::Offer(offer));
                }
            }
            Step::Collect { pid, after } => {
                let handed = sessions.and_then(|s| s.collect(&h.app, &pid, after));
                self.send_step(Some(from), &h.app, h.request, Step::Replay(handed));
            }
            step @ (Step::Offer(_) | Step::Replay(_)) => {
                self.shared.handover.resolve(h.request, from, step);
            }
        }
    }

    /// `socket`'s channels (`joined`) as another node rebuilds them, with who it is on presence
    /// channels; `None` when one of its subscriptions is gone.
    #[must_use]
    pub fn offer(&self, app: &AppId, socket: SocketId, joined: &[Joined]) -> Option<Offer> {
        let state = self.lock();
        let app_state = state.apps.get(app)?;
        let restore = |j: &Joined| {
            let entry = app_state.channels.get(&j.channel)?;
            let user = entry.subscribers.get(&socket)?.user.clone();
            let member = user.map(|user| {
                let info = entry.members.get(&user).and_then(|p| p.info.clone());
                MemberInfo { user, info }
            });
            let channel = j.channel.clone();
            Some(Restore { channel, member })
        };
        let channels = joined.iter().map(restore).collect::<Option<Vec<_>>>()?;
        Some(Offer { socket, channels })
    }

    /// What `w.socket` missed, for another node, with how far each node's publishes reached here.
    ///
    /// # Errors
    /// [`Unrecoverable`] when it cannot be given whole.
    pub fn hand_over(&self, app: &AppId, w: &Wanted<'_>) -> Result<Handed, Unrecoverable> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let app_state = state.apps.get_mut(app).ok_or(Unrecoverable::Lost)?;
        let missed = recovery::missed(app_state, w)?;
        let events = missed.iter().filter_map(|m| Missed::of(m)).collect();
        let own = self.shared.sent.load(std::sync::atomic::Ordering::Relaxed);
        let marks = state.heard.marks(self.node(), own);
        Ok(Handed { events, marks })
    }

    /// A new offset no broadcast has: a replay handed over from another node is placed at it,
    /// before everything kept here from now on.
    pub fn reserve_offset(&self) -> u64 {
        let _order = self.lock();
        next_offset()
    }

    /// `socket`, recovered from another node, takes the place of this node's new connection
    /// `replaces` (whose queue it uses) in the app's connections.
    pub fn take_place(&self, app: &AppId, socket: SocketId, replaces: SocketId, outbox: &Outbox) {
        let mut state = self.lock();
        if let Some(app_state) = state.apps.get_mut(app) {
            app_state.connections.remove(&replaces);
            app_state.connections.insert(socket, outbox.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_pid_at_a_time_answered_once() {
        let slot = Arc::new(Slot::default());
        let first = slot.open("p").unwrap();
        assert!(slot.open("p").is_none(), "p is being claimed");
        let other = slot.open("q").unwrap();
        let mut answer = slot.expect(first.request);
        slot.resolve(first.request, 9, Step::Replay(None));
        slot.resolve(first.request, 9, Step::Replay(None)); // nobody waits: dropped
        assert!(matches!(answer.try_recv(), Ok((9, Step::Replay(None)))));
        drop(first);
        assert!(slot.open("p").is_some(), "free again once closed");
        drop(other);
        assert!(slot.lock().open.is_empty());
    }
}
