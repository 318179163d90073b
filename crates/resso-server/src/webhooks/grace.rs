//! The grace delay, as a pure state machine over caller-supplied instants. `channel_vacated` and
//! `member_removed` are held for the grace window; a `channel_occupied` for the same (app, channel)
//! or a `member_added` for the same (app, channel, user) arriving within it cancels both itself and
//! the held event — so a page reload reports nothing instead of a vacated/occupied pair. Held events
//! that outlive the window are released unchanged (with their original `time_ms`).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::{Emitted, Fact, HookEvent};

/// What [`Grace::offer`] did with an event.
#[derive(Debug)]
pub enum Offer {
    /// Not subject to the grace delay: send it on.
    Pass(Emitted),
    /// Held until [`Grace::release_due`] hands it back, unless cancelled first.
    Held,
    /// It cancelled a held event; neither is sent.
    Cancelled,
}

/// Events held for the grace window.
#[derive(Debug)]
pub struct Grace {
    window: Duration,
    /// Held events by key, with the sequence number of their entry in `order`.
    held: HashMap<Fact, (u64, Emitted)>,
    /// Deadlines in arrival order (the window is fixed, so also deadline order); entries whose
    /// sequence number no longer matches `held` were cancelled and are skipped.
    order: VecDeque<(Instant, u64, Fact)>,
    seq: u64,
}

impl Grace {
    /// A grace delay of `window`; a zero window holds nothing.
    #[must_use]
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            held: HashMap::new(),
            order: VecDeque::new(),
            seq: 0,
        }
    }

    /// Holds, cancels or passes on `emitted`, which arrived at `now`.
    pub fn offer(&mut self, emitted: Emitted, now: Instant) -> Offer {
        if self.window.is_zero() {
            return Offer::Pass(emitted);
        }
        let app = emitted.app.clone();
        match &emitted.event {
            HookEvent::ChannelVacated { channel } => {
                self.hold(Fact::Channel(app, channel.clone()), emitted, now)
            }
            HookEvent::MemberRemoved { channel, user_id } => {
                let key = Fact::Member(app, channel.clone(), user_id.clone());
                self.hold(key, emitted, now)
            }
            HookEvent::ChannelOccupied { channel } => {
                self.cancel(&Fact::Channel(app, channel.clone()), emitted)
            }
            HookEvent::MemberAdded { channel, user_id } => {
                let key = Fact::Member(app, channel.clone(), user_id.clone());
                self.cancel(&key, emitted)
            }
            _ => Offer::Pass(emitted),
        }
    }

    fn hold(&mut self, key: Fact, emitted: Emitted, now: Instant) -> Offer {
        self.seq += 1;
        self.order
            .push_back((now + self.window, self.seq, key.clone()));
        self.held.insert(key, (self.seq, emitted));
        Offer::Held
    }

    fn cancel(&mut self, key: &Fact, emitted: Emitted) -> Offer {
        match self.held.remove(key) {
            Some(_) => Offer::Cancelled,
            None => Offer::Pass(emitted),
        }
    }

    /// When the earliest held event is due, if any is held.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        self.drop_cancelled_front();
        self.order.front().map(|(deadline, _, _)| *deadline)
    }

    /// Hands back the held events whose window ended by `now`, oldest first.
    pub fn release_due(&mut self, now: Instant) -> Vec<Emitted> {
        let mut due = Vec::new();
        while let Some((deadline, _, _)) = self.order.front() {
            if *deadline > now {
                break;
            }
            let (_, seq, key) = self.order.pop_front().expect("front exists");
            if let Some(emitted) = self.take_if_current(&key, seq) {
                due.push(emitted);
            }
        }
        due
    }

    /// Hands back every held event, oldest first (at shutdown: the delay ends early).
    pub fn release_all(&mut self) -> Vec<Emitted> {
        let order = std::mem::take(&mut self.order);
        order
            .into_iter()
            .filter_map(|(_, seq, key)| self.take_if_current(&key, seq))
            .collect()
    }

    fn take_if_current(&mut self, key: &Fact, seq: u64) -> Option<Emitted> {
        match self.held.get(key) {
            Some((current, _)) if *current == seq => self.held.remove(key).map(|(_, e)| e),
            _ => None,
        }
    }

    fn drop_cancelled_front(&mut self) {
        while let Some((_, seq, key)) = self.order.front() {
            if matches!(self.held.get(key), Some((current, _)) if current == seq) {
                return;
            }
            self.order.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use resso_protocol::Limits;
    use resso_protocol::{AppId, ChannelName, UserId};

    use super::*;

    const WINDOW: Duration = Duration::from_secs(3);

    fn at(app: &str, event: HookEvent) -> Emitted {
        Emitted {
            app: AppId::from(app),
            event,
            time_ms: 1,
        }
    }

    fn ch(name: &str) -> ChannelName {
        ChannelName::parse(name, &Limits::default()).unwrap()
    }

    fn vacated(app: &str, c: &str) -> Emitted {
        at(app, HookEvent::ChannelVacated { channel: ch(c) })
    }

    fn occupied(app: &str, c: &str) -> Emitted {
        at(app, HookEvent::ChannelOccupied { channel: ch(c) })
    }

    fn member(added: bool, c: &str, user: &str) -> Emitted {
        let (channel, user_id) = (ch(c), UserId::from(user));
        let event = if added {
            HookEvent::MemberAdded { channel, user_id }
        } else {
            HookEvent::MemberRemoved { channel, user_id }
        };
        at("1", event)
    }

    #[test]
    fn reload_within_the_window_reports_nothing() {
        let (mut g, t0) = (Grace::new(WINDOW), Instant::now());
        assert!(matches!(g.offer(vacated("1", "c"), t0), Offer::Held));
        assert_eq!(g.next_deadline(), Some(t0 + WINDOW));
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(g.offer(occupied("1", "c"), t1), Offer::Cancelled));
        assert_eq!(g.next_deadline(), None);
        assert!(g.release_due(t0 + WINDOW * 2).is_empty());
        // The next first subscriber is reported again.
        assert!(matches!(g.offer(occupied("1", "c"), t1), Offer::Pass(_)));
    }

    #[test]
    fn vacated_alone_is_released_after_the_window() {
        let (mut g, t0) = (Grace::new(WINDOW), Instant::now());
        assert!(matches!(g.offer(vacated("1", "a"), t0), Offer::Held));
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(g.offer(vacated("1", "b"), t1), Offer::Held));
        assert!(g
            .release_due(t0 + WINDOW - Duration::from_millis(1))
            .is_empty());
        let due = g.release_due(t0 + WINDOW);
        assert_eq!(due.len(), 1);
        assert!(
            matches!(&due[0].event, HookEvent::ChannelVacated { channel } if channel.as_str() == "a")
        );
        assert_eq!(g.next_deadline(), Some(t1 + WINDOW));
        assert_eq!(g.release_all().len(), 1);
        assert_eq!(g.next_deadline(), None);
    }

    #[test]
    fn only_the_same_app_channel_and_user_cancel() {
        let (mut g, t0) = (Grace::new(WINDOW), Instant::now());
        assert!(matches!(g.offer(vacated("1", "c"), t0), Offer::Held));
        assert!(matches!(g.offer(occupied("2", "c"), t0), Offer::Pass(_)));
        assert!(matches!(g.offer(occupied("1", "d"), t0), Offer::Pass(_)));
        assert!(matches!(
            g.offer(member(false, "presence-p", "u"), t0),
            Offer::Held
        ));
        assert!(matches!(
            g.offer(member(true, "presence-p", "v"), t0),
            Offer::Pass(_)
        ));
        assert!(matches!(
            g.offer(member(true, "presence-p", "u"), t0),
            Offer::Cancelled
        ));
        let left = g.release_all();
        assert_eq!(left.len(), 1);
        assert!(matches!(left[0].event, HookEvent::ChannelVacated { .. }));
    }

    #[test]
    fn a_rehold_after_cancel_gets_a_fresh_window() {
        let (mut g, t0) = (Grace::new(WINDOW), Instant::now());
        g.offer(vacated("1", "c"), t0);
        g.offer(occupied("1", "c"), t0);
        let t1 = t0 + Duration::from_secs(2);
        g.offer(vacated("1", "c"), t1);
        assert!(g.release_due(t0 + WINDOW).is_empty());
        assert_eq!(g.next_deadline(), Some(t1 + WINDOW));
        assert_eq!(g.release_due(t1 + WINDOW).len(), 1);
    }

    #[test]
    fn zero_window_and_other_events_pass() {
        let mut g = Grace::new(Duration::ZERO);
        assert!(matches!(
            g.offer(vacated("1", "c"), Instant::now()),
            Offer::Pass(_)
        ));
        let mut g = Grace::new(WINDOW);
        let miss = at(
            "1",
            HookEvent::CacheMiss {
                channel: ch("cache-c"),
            },
        );
        assert!(matches!(g.offer(miss, Instant::now()), Offer::Pass(_)));
    }
}
