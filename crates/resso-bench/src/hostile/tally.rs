//! The hostile loads by name, and what each one saw: a count per outcome (`refused 4100`,
//! `HTTP 429`, `close 1009`, …). Each load names the outcomes that show its bound was hit, so a run
//! says in so many words whether the server actually refused, cut or closed the hostile client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One hostile load, run during one phase alongside the bystanders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Dials from one address past `connects_per_ip_per_second` and `connections_per_ip`.
    ConnFlood,
    /// Subscribes one connection past `limits.channels_per_connection`.
    ChannelCap,
    /// Client events past `limits.client_events_per_second`.
    ClientEvents,
    /// Max-size frames back to back; oversized and never-finished fragments.
    Frames,
    /// WebSocket pings while reading nothing.
    PingFlood,
    /// Slowloris bodies, oversized bodies and heads, a request flood past
    /// `api_requests_per_second`.
    HttpApi,
    /// Presence join/leave storm with maximal `user_info` into a nearly full room.
    Presence,
    /// Clients that stop reading while their channel is busy.
    SlowReader,
}

impl Load {
    /// Every load, in the order the run interleaves them with baselines.
    pub const ALL: [Self; 8] = [
        Self::ConnFlood,
        Self::ChannelCap,
        Self::ClientEvents,
        Self::Frames,
        Self::PingFlood,
        Self::HttpApi,
        Self::Presence,
        Self::SlowReader,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnFlood => "conn-flood",
            Self::ChannelCap => "channel-cap",
            Self::ClientEvents => "client-events",
            Self::Frames => "frames",
            Self::PingFlood => "ping-flood",
            Self::HttpApi => "http-api",
            Self::Presence => "presence",
            Self::SlowReader => "slow-reader",
        }
    }

    /// What shows the bound was hit: every group must have had one of its outcomes seen. A
    /// server that ends a backed-up connection may not get its close frame through (`dropped`).
    #[must_use]
    pub fn bound_keys(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::ConnFlood => &[&["refused 4100"]],
            Self::ChannelCap => &[&["LimitReached 4100"]],
            Self::ClientEvents => &[&["error 4301"]],
            Self::Frames => &[&["close 1009"], &["close 4201"]],
            Self::PingFlood => &[&["dropped"]],
            Self::HttpApi => &[
                &["slowloris 408"],
                &["declared 413"],
                &["chunked 413"],
                &["head 431"],
                &["api 429"],
            ],
            Self::Presence => &[&["LimitReached"]],
            Self::SlowReader => &[&["close 4100", "dropped"]],
        }
    }

    /// Whether `seen` holds an outcome of every group of [`Self::bound_keys`].
    #[must_use]
    pub fn bound_hit(self, seen: &BTreeMap<String, u64>) -> bool {
        let any = |group: &[&str]| group.iter().any(|k| seen.get(*k).copied().unwrap_or(0) > 0);
        self.bound_keys().iter().all(|group| any(group))
    }
}

/// Outcome counts, shared by a load's tasks.
#[derive(Debug, Clone, Default)]
pub struct Tally(Arc<Mutex<BTreeMap<String, u64>>>);

impl Tally {
    pub fn add(&self, what: &str) {
        self.add_n(what, 1);
    }

    pub fn add_n(&self, what: &str, n: u64) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *map.entry(what.to_owned()).or_default() += n;
    }

    /// The counts so far.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_is_hit_only_when_every_key_was_seen() {
        let tally = Tally::default();
        tally.add("close 1009");
        tally.add("pong");
        assert!(!Load::Frames.bound_hit(&tally.snapshot()));
        tally.add_n("close 4201", 2);
        assert!(Load::Frames.bound_hit(&tally.snapshot()));
        assert_eq!(tally.snapshot()["close 4201"], 2);
        assert!(!Load::ConnFlood.bound_hit(&tally.snapshot()));
        assert!(!Load::SlowReader.bound_hit(&tally.snapshot()));
        tally.add("dropped");
        assert!(
            Load::SlowReader.bound_hit(&tally.snapshot()),
            "either outcome"
        );
    }
}
