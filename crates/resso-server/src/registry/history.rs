//! A channel's recent broadcasts, kept for Socket.IO's connection state recovery: a channel gets
//! one when a socket that can be recovered joins it, and loses it with the channel. Each kept
//! broadcast gets the next offset of this process's one sequence (assigned under the registry's
//! lock, so offsets follow delivery order across all channels) before it is fanned out. The history
//! is bounded by the app's recovery settings — events, bytes, and age (the window plus one
//! heartbeat, the most a client may have been cut off before its server noticed) — and remembers
//! the newest offset it let go (`floor`), so a replay asked from before it is refused whole, never
//! given in part.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use resso_protocol::SocketId;
use tokio::time::Instant;

use crate::broadcast::{Broadcast, Kind};
use crate::config::Recovery;

/// The last offset given out (offsets start at 1). One sequence for the process: every registry
/// takes from it under its own lock, so each registry's offsets still rise in its delivery order.
static LAST: AtomicU64 = AtomicU64::new(0);

/// The newest offset given out so far.
pub fn last_offset() -> u64 {
    LAST.load(Ordering::Acquire)
}

pub(super) fn next_offset() -> u64 {
    LAST.fetch_add(1, Ordering::AcqRel) + 1
}

/// How a history is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_events: usize,
    pub max_bytes: usize,
    pub max_age: Duration,
}

impl Bounds {
    /// The bounds for an app's `recovery`, its sessions disconnected for up to its window after a
    /// heartbeat of `beat`.
    pub fn new(recovery: Recovery, beat: Duration) -> Self {
        Self {
            max_events: recovery.max_events,
            max_bytes: recovery.max_bytes,
            max_age: recovery.window + beat,
        }
    }
}

struct Entry {
    msg: Arc<Broadcast>,
    /// The socket that must not get it (the sender of a client event, `socket_id` of the API).
    except: Option<SocketId>,
    at: Instant,
}

/// One channel's kept broadcasts, oldest first.
pub struct History {
    entries: VecDeque<Entry>,
    bytes: usize,
    /// Every broadcast after this offset is kept (or was, before it aged out: see `floor`).
    floor: u64,
    bounds: Bounds,
}

/// Why a channel's history cannot give a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// Broadcasts after the asked offset were let go.
    TooOld,
}

impl History {
    /// An empty history from now on.
    pub fn new(bounds: Bounds) -> Self {
        Self {
            entries: VecDeque::new(),
            bytes: 0,
            floor: last_offset(),
            bounds,
        }
    }

    /// Keeps `msg` if Socket.IO clients get it, giving it its offset.
    pub fn record(&mut self, msg: &Arc<Broadcast>, except: Option<SocketId>) {
        if !matches!(
            msg.kind(),
            Kind::Event { .. } | Kind::MemberAdded { .. } | Kind::MemberRemoved { .. }
        ) {
            return;
        }
        msg.set_offset(next_offset());
        let now = Instant::now();
        self.bytes += msg.queued_size();
        self.entries.push_back(Entry {
            msg: msg.clone(),
            except,
            at: now,
        });
        self.trim(now);
    }

    /// Lets go of what passes the bounds.
    fn trim(&mut self, now: Instant) {
        let b = self.bounds;
        while let Some(first) = self.entries.front() {
            let over = self.entries.len() > b.max_events || self.bytes > b.max_bytes;
            if !over && now.duration_since(first.at) <= b.max_age {
                break;
            }
            let gone = self.entries.pop_front().expect("a front entry");
            self.bytes -= gone.msg.queued_size();
            self.floor = gone.msg.offset().unwrap_or(self.floor);
        }
    }

    /// Every kept broadcast after offset `after` that `socket` got, pushed to `out` with its
    /// offset.
    ///
    /// # Errors
    /// [`Gap::TooOld`] when some of them were let go.
    pub fn since(
        &mut self,
        after: u64,
        socket: SocketId,
        out: &mut Vec<(u64, Arc<Broadcast>)>,
    ) -> Result<(), Gap> {
        self.trim(Instant::now());
        if after < self.floor {
            return Err(Gap::TooOld);
        }
        let newer = self.entries.iter().rev().map_while(|e| {
            let offset = e.msg.offset().unwrap_or_default();
            (offset > after).then_some((offset, e))
        });
        let got = newer.filter(|(_, e)| e.except != Some(socket));
        out.extend(got.map(|(offset, e)| (offset, e.msg.clone())));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use resso_protocol::{ChannelName, Limits};

    use super::*;
    use crate::broadcast::Payload;

    fn event(n: usize) -> Arc<Broadcast> {
        let channel = ChannelName::parse("news", &Limits::default()).unwrap();
        Arc::new(Broadcast::event(
            channel,
            format!("e{n}"),
            Payload::Text("x".into()),
            None,
        ))
    }

    fn bounds(max_events: usize) -> Bounds {
        Bounds {
            max_events,
            max_bytes: 1 << 20,
            max_age: Duration::from_secs(60),
        }
    }

    #[test]
    fn replays_what_came_after_an_offset_except_to_the_excluded() {
        let mut h = History::new(bounds(10));
        let start = last_offset();
        let sent: Vec<_> = (0..4).map(event).collect();
        let me = SocketId::new(1, 2);
        for (i, msg) in sent.iter().enumerate() {
            h.record(msg, (i == 2).then_some(me));
        }
        let first = sent[0].offset().unwrap();
        assert!(first > start);
        let mut out = Vec::new();
        h.since(first, me, &mut out).unwrap();
        let got: Vec<_> = out.iter().map(|(o, _)| *o).collect();
        assert_eq!(got, [sent[3].offset().unwrap(), sent[1].offset().unwrap()]);
    }

    #[test]
    fn an_offset_before_what_was_let_go_is_refused() {
        let mut h = History::new(bounds(2));
        let sent: Vec<_> = (0..4).map(event).collect();
        for msg in &sent {
            h.record(msg, None);
        }
        let me = SocketId::new(1, 2);
        let mut out = Vec::new();
        let before = sent[0].offset().unwrap();
        assert_eq!(h.since(before, me, &mut out), Err(Gap::TooOld));
        h.since(sent[1].offset().unwrap(), me, &mut out).unwrap();
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn bytes_and_age_bound_it_too() {
        let me = SocketId::new(1, 2);
        let one = event(0).queued_size();
        let mut by_bytes = History::new(Bounds {
            max_bytes: 2 * one,
            ..bounds(100)
        });
        let sent: Vec<_> = (0..3).map(event).collect();
        for msg in &sent {
            by_bytes.record(msg, None);
        }
        assert_eq!((by_bytes.entries.len(), by_bytes.bytes), (2, 2 * one));
        let mut out = Vec::new();
        let first = sent[0].offset().unwrap();
        assert_eq!(by_bytes.since(first - 1, me, &mut out), Err(Gap::TooOld));

        let mut by_age = History::new(Bounds {
            max_age: Duration::ZERO,
            ..bounds(100)
        });
        by_age.record(&event(9), None);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            by_age.since(by_age.floor - 1, me, &mut out),
            Err(Gap::TooOld)
        );
        assert!(by_age.entries.is_empty());
    }

    #[test]
    fn counts_and_watchlists_are_not_kept() {
        let mut h = History::new(bounds(2));
        let channel = ChannelName::parse("news", &Limits::default()).unwrap();
        let count = Arc::new(Broadcast::subscription_count(channel, 3));
        h.record(&count, None);
        assert!(count.offset().is_none());
        assert!(h.entries.is_empty());
    }
}
