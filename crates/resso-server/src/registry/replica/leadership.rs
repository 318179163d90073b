//! Who fires the occupancy and member webhooks (`channel_occupied`/`_vacated`,
//! `member_added`/`_removed`) of a cluster, and how a webhook consumer's picture is mended after a
//! partition.
//!
//! One node fires them: the lowest-numbered live node (on a single node, that node). It sees every
//! change — its own connections' and the others' deltas — in one order under the registry lock, so
//! two nodes changing the same channel at once still produce one event per transition.
//!
//! A broker outage looks like the other nodes' death, so each side of it fires, as its own leader,
//! the removals of what it can no longer see. When the sides meet again, the one that told the
//! consumer a member or channel was gone tells it again that it is there: [`Retractions`]
//! remembers those facts (for a while) until they come back.

use std::collections::HashMap;
use std::time::Duration;

use resso_protocol::{ChannelName, UserId};

use crate::webhooks::{Fact, HookEvent};
use tokio::time::Instant;

/// How long a removal told because a node vanished may still be taken back.
const REMEMBER: Duration = Duration::from_secs(600);

/// Facts this node fired a removal webhook for because a node vanished.
#[derive(Default)]
pub struct Retractions(HashMap<Fact, Instant>);

/// What one change did to one fact.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// Its cluster-wide truth changed.
    pub flipped: bool,
    /// Its truth after the change.
    pub now: bool,
    /// This node fires the change's flips.
    pub fires: bool,
    /// The change is a node leaving or dying.
    pub departed: bool,
}

impl Retractions {
    /// Whether to fire the webhook that says `key` is now `flip.now`: for a flip this node fires,
    /// and for a fact it once told gone that is back.
    pub fn decide(&mut self, key: &Fact, flip: Transition) -> bool {
        let by_flip = flip.flipped && flip.fires;
        if !flip.now {
            if by_flip && flip.departed {
                self.0.insert(key.clone(), Instant::now());
            }
            return by_flip;
        }
        let taken_back = self.0.remove(key).is_some();
        by_flip || taken_back
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets `key`: it came back in a way already reported.
    pub fn settle(&mut self, key: &Fact) {
        self.0.remove(key);
    }

    /// Forgets removals older than [`REMEMBER`].
    pub fn prune(&mut self) {
        self.0.retain(|_, at| at.elapsed() < REMEMBER);
    }
}

/// The webhook saying `user` is (or is no longer) present in `channel`.
pub fn member_hook(channel: &ChannelName, user: &UserId, present: bool) -> HookEvent {
    let (channel, user_id) = (channel.clone(), user.clone());
    if present {
        HookEvent::MemberAdded { channel, user_id }
    } else {
        HookEvent::MemberRemoved { channel, user_id }
    }
}

/// The webhook saying `channel` is (or is no longer) occupied.
pub fn channel_hook(channel: &ChannelName, occupied: bool) -> HookEvent {
    let channel = channel.clone();
    if occupied {
        HookEvent::ChannelOccupied { channel }
    } else {
        HookEvent::ChannelVacated { channel }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use resso_protocol::AppId;

    fn key() -> Fact {
        Fact::Channel(
            AppId::from("a"),
            ChannelName::parse("c", &resso_protocol::Limits::default()).unwrap(),
        )
    }

    const fn flip(flipped: bool, now: bool, fires: bool, departed: bool) -> Transition {
        Transition {
            flipped,
            now,
            fires,
            departed,
        }
    }

    #[test]
    fn a_leader_fires_flips_and_nobody_else_does() {
        let mut told = Retractions::default();
        assert!(told.decide(&key(), flip(true, true, true, false)));
        assert!(told.decide(&key(), flip(true, false, true, false)));
        assert!(!told.decide(&key(), flip(true, true, false, false)));
        assert!(!told.decide(&key(), flip(false, true, true, false)));
    }

    #[test]
    fn a_removal_for_a_vanished_node_is_taken_back_once_by_whoever_told_it() {
        let mut told = Retractions::default();
        assert!(told.decide(&key(), flip(true, false, true, true)));
        assert!(
            told.decide(&key(), flip(true, true, false, false)),
            "no longer leader, still mends"
        );
        assert!(
            !told.decide(&key(), flip(false, true, false, false)),
            "only once"
        );
    }

    #[test]
    fn a_fact_settled_otherwise_is_not_told_again() {
        let mut told = Retractions::default();
        told.decide(&key(), flip(true, false, true, true));
        told.settle(&key());
        assert!(!told.decide(&key(), flip(false, true, false, false)));
    }
}
