//! The soak's delivery check for one healthy subscriber: publishes are sent one after another
//! (each answered before the next), so Ressò owes every subscriber each sequence number exactly
//! once and in order. Anything else — a gap, a repeat, a step back — is counted, never forgiven.

/// What one healthy subscriber saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InOrder {
    /// The sequence number due next.
    pub next: u64,
    /// Events received.
    pub received: u64,
    /// Sequence numbers skipped over (not yet seen when a later one arrived).
    pub skipped: u64,
    /// Arrivals at or below one already seen: duplicates or reordering.
    pub repeats: u64,
}

impl InOrder {
    /// Marks the arrival of `seq`.
    pub fn record(&mut self, seq: u64) {
        self.received += 1;
        if seq < self.next {
            self.repeats += 1;
            return;
        }
        self.skipped += seq - self.next;
        self.next = seq + 1;
    }

    /// Publishes missing out of `published` (numbered `0..published`): the skipped ones and those
    /// after the last arrival.
    #[must_use]
    pub fn lost(&self, published: u64) -> u64 {
        self.skipped + published.saturating_sub(self.next)
    }

    /// Whether this subscriber saw `0..published` exactly once each, in order.
    #[must_use]
    pub fn exact(&self, published: u64) -> bool {
        self.lost(published) == 0 && self.repeats == 0 && self.received == published
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(seqs: &[u64]) -> InOrder {
        let mut o = InOrder::default();
        for &s in seqs {
            o.record(s);
        }
        o
    }

    #[test]
    fn in_order_exactly_once_passes() {
        let o = seen(&[0, 1, 2, 3]);
        assert!(o.exact(4));
        assert_eq!(o.lost(4), 0);
    }

    #[test]
    fn gaps_and_missing_tail_are_lost() {
        let o = seen(&[0, 2, 3]);
        assert_eq!(o.lost(5), 2);
        assert!(!o.exact(5));
    }

    #[test]
    fn duplicates_and_reordering_are_repeats() {
        let o = seen(&[0, 1, 1, 3, 2]);
        assert_eq!(o.repeats, 2);
        assert_eq!(o.skipped, 1);
        assert!(!o.exact(4));
    }
}
