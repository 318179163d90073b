//! The vocabulary of a recovery handed over between nodes: a Socket.IO client whose session waits
//! on node A reconnects to node B. B asks every node who holds it ([`Step::Claim`]); A answers with
//! what B needs to rebuild it ([`Step::Offer`]: its socket id, channels and presence members) and
//! keeps it waiting; B joins those channels for it, then asks for the rest ([`Step::Collect`]); A
//! answers with what the client missed and the session's end ([`Step::Replay`]). The registry's
//! half of each step lives in [`claims`](super::claims); which node holds a session, and how a
//! session is made, is the Socket.IO layer's, behind [`Sessions`].
//!
//! B delivers what A replayed and then what B's own subscriptions got meanwhile, less what A had
//! already delivered: each node numbers the publishes and deltas it sends, every broadcast made of
//! one (an event, a presence join or leave) carries that origin node and number, and A's replay
//! carries [`Marks`], how far each node's messages had been applied on A. A broadcast at or below
//! its origin's mark was A's to give (in the replay, or before the client's offset); one above it
//! reached A only after the collect, so it is not in the replay and is B's to give. Each node's
//! messages reach every other node in the order sent, which is what makes the marks exact.
//!
//! Nothing falls between B's joins and A's replay: a broadcast B's new subscriptions missed reached
//! B before it joined, so it was published before B sent the collect. If it came from B, it is
//! ahead of the collect in B's queue; if from A, it was in A's history as it was made; if from a
//! third node, the broker, handing every node's messages to all in one order (one Redis or NATS
//! server), gave it to A before the collect too. Either way A replays it.

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::{AppId, ChannelName, SocketId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::replica::{MemberInfo, NodeId};
use crate::broadcast::{Broadcast, Kind, Payload};

/// One step of a handover, between two nodes (a claim goes to every node).
#[derive(Debug, Serialize, Deserialize)]
pub struct Handover {
    /// The one node it is for; `None`: every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NodeId>,
    pub app: AppId,
    /// The claiming node's number for this handover, repeated in every step.
    pub request: u64,
    pub step: Step,
}

/// What a handover step says.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Who holds the waiting session `pid`?
    Claim { pid: String },
    /// This node does; here is how to rebuild it (it keeps waiting here).
    Offer(Offer),
    /// Send what it missed after offset `after`, and let it go.
    Collect { pid: String, after: u64 },
    /// What it missed; `None`: it cannot be recovered (it was let go all the same).
    Replay(Option<Handed>),
}

/// A waiting session as another node rebuilds it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Offer {
    pub socket: SocketId,
    pub channels: Vec<Restore>,
}

/// One channel of an offered session, with who it is there on presence channels.
#[derive(Debug, Serialize, Deserialize)]
pub struct Restore {
    pub channel: ChannelName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberInfo>,
}

/// What a handed-over session missed, in order, and how far each node's publishes had reached
/// the node that held it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Handed {
    pub events: Vec<Missed>,
    pub marks: Marks,
}

/// The last publish of each node delivered on a node, that node's own included.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Marks(HashMap<NodeId, u64>);

impl Marks {
    /// Whether `msg` had reached the node these marks are of (a publish from the cluster).
    #[must_use]
    pub fn covers(&self, msg: &Broadcast) -> bool {
        msg.origin()
            .is_some_and(|(node, seq)| self.0.get(&node).is_some_and(|m| seq <= *m))
    }
}

/// How far each other node's messages (publishes and deltas, numbered together) were applied
/// here: one mark per node (kept after it leaves: 16 bytes a node, and a node that comes back goes
/// on numbering where it was). Kept under the registry's lock.
#[derive(Debug, Default)]
pub struct Heard {
    others: HashMap<NodeId, u64>,
}

impl Heard {
    /// `node`'s message `seq` was applied here (`0`: an unnumbered one).
    pub fn note(&mut self, node: NodeId, seq: u64) {
        if seq > 0 {
            let mark = self.others.entry(node).or_default();
            *mark = seq.max(*mark);
        }
    }

    /// The marks of this node, `me`, whose own last message was number `own`.
    pub fn marks(&self, me: NodeId, own: u64) -> Marks {
        let mut marks = self.others.clone();
        marks.insert(me, own);
        Marks(marks)
    }
}

/// A missed broadcast as it crosses to another node.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    Event {
        channel: ChannelName,
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        json: Option<Box<RawValue>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<UserId>,
    },
    Joined {
        channel: ChannelName,
        member: MemberInfo,
    },
    Left {
        channel: ChannelName,
        member: MemberInfo,
    },
}

impl Missed {
    /// `msg` for another node; `None` for what no history keeps.
    #[must_use]
    pub fn of(msg: &Broadcast) -> Option<Self> {
        let member = |user: &UserId, info: &Option<Box<RawValue>>| MemberInfo {
            user: user.clone(),
            info: info.clone(),
        };
        Some(match msg.kind() {
            Kind::Event {
                channel,
                event,
                payload,
                user_id,
            } => {
                let (text, json) = payload.to_parts();
                let (channel, event, user_id) = (channel.clone(), event.clone(), user_id.clone());
                Self::Event {
                    channel,
                    event,
                    text,
                    json,
                    user_id,
                }
            }
            Kind::MemberAdded {
                channel,
                user_id,
                user_info,
            } => Self::Joined {
                channel: channel.clone(),
                member: member(user_id, user_info),
            },
            Kind::MemberRemoved {
                channel,
                user_id,
                user_info,
            } => Self::Left {
                channel: channel.clone(),
                member: member(user_id, user_info),
            },
            Kind::Watchlist { .. } | Kind::SubscriptionCount { .. } => return None,
        })
    }

    /// The broadcast again, at `offset` of this node's histories.
    #[must_use]
    pub fn into_broadcast(self, offset: u64) -> Arc<Broadcast> {
        let msg = match self {
            Self::Event {
                channel,
                event,
                text,
                json,
                user_id,
            } => Broadcast::event(channel, event, Payload::from_parts(text, json), user_id),
            Self::Joined { channel, member } => {
                Broadcast::member_added(channel, member.user, member.info)
            }
            Self::Left { channel, member } => {
                Broadcast::member_removed(channel, member.user, member.info)
            }
        };
        msg.set_offset(offset);
        Arc::new(msg)
    }
}

/// Who holds the sessions waiting for a recovery on this node: the Socket.IO layer. It answers
/// other nodes' claims here.
pub trait Sessions: Send + Sync {
    /// The session `pid` of `app` waiting here, as another node rebuilds it; it keeps waiting.
    fn offer(&self, app: &AppId, pid: &str) -> Option<Offer>;
    /// Ends the session `pid` of `app` waiting here, with what it missed after offset `after`
    /// (`None` when that cannot be given whole, or the session is gone).
    fn collect(&self, app: &AppId, pid: &str, after: u64) -> Option<Handed>;
}
