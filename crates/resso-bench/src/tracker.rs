//! Per-subscriber sequence bookkeeping: which publishes arrived, which twice. Publishes may be
//! reordered (the publisher has many requests in flight), so arrivals are marked in a sliding
//! window of the last [`WINDOW`] sequence numbers rather than compared with "the next one"; drops
//! are what is missing at the end of a phase (`expected - unique`).

/// Sequence numbers remembered behind the highest one seen.
pub const WINDOW: u64 = 8192;
const WORDS: usize = (WINDOW / 64) as usize;

/// Arrivals of one subscriber during one phase.
#[derive(Debug, Clone)]
pub struct SeqTracker {
    /// Lowest sequence number inside the window.
    base: u64,
    bits: Box<[u64; WORDS]>,
    received: u64,
    duplicates: u64,
    /// Arrived below the window: too late to tell whether they were duplicates (counted unique).
    late: u64,
}

/// What a tracker saw, summed over subscribers by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
}

impl Tally {
    /// Distinct publishes that arrived.
    #[must_use]
    pub fn unique(&self) -> u64 {
        self.received - self.duplicates
    }
}

impl SeqTracker {
    /// A tracker for a phase whose first sequence number is `base`.
    #[must_use]
    pub fn new(base: u64) -> Self {
        Self {
            base,
            bits: Box::new([0; WORDS]),
            received: 0,
            duplicates: 0,
            late: 0,
        }
    }

    /// Marks `seq` as arrived; returns false for a duplicate.
    pub fn record(&mut self, seq: u64) -> bool {
        self.received += 1;
        if seq < self.base {
            self.late += 1;
            return true;
        }
        if seq >= self.base + WINDOW {
            self.advance(seq + 1 - WINDOW);
        }
        let (word, mask) = slot(seq);
        if self.bits[word] & mask != 0 {
            self.duplicates += 1;
            return false;
        }
        self.bits[word] |= mask;
        true
    }

    /// Moves the window so that it starts at `new_base`, forgetting what falls out.
    fn advance(&mut self, new_base: u64) {
        if new_base - self.base >= WINDOW {
            self.bits.fill(0);
        } else {
            for seq in self.base..new_base {
                let (word, mask) = slot(seq);
                self.bits[word] &= !mask;
            }
        }
        self.base = new_base;
    }

    /// The counts so far, and a fresh start at `base` for the next phase.
    pub fn take(&mut self, base: u64) -> Tally {
        let tally = Tally {
            received: self.received,
            duplicates: self.duplicates,
            late: self.late,
        };
        *self = Self::new(base);
        tally
    }
}

fn slot(seq: u64) -> (usize, u64) {
    let index = seq % WINDOW;
    ((index / 64) as usize, 1 << (index % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reordered_arrivals_once() {
        let mut t = SeqTracker::new(100);
        for seq in [100, 102, 101, 103] {
            assert!(t.record(seq));
        }
        assert!(!t.record(102));
        let tally = t.take(200);
        assert_eq!(tally.received, 5);
        assert_eq!(tally.duplicates, 1);
        assert_eq!(tally.unique(), 4);
    }

    #[test]
    fn window_slides_and_forgets() {
        let mut t = SeqTracker::new(0);
        assert!(t.record(5));
        assert!(t.record(WINDOW + 10));
        // 5 fell out of the window: it is late, not a duplicate.
        assert!(t.record(5));
        assert!(!t.record(WINDOW + 10));
        let tally = t.take(0);
        assert_eq!((tally.late, tally.duplicates), (1, 1));
    }

    #[test]
    fn far_jump_clears_everything() {
        let mut t = SeqTracker::new(0);
        assert!(t.record(1));
        assert!(t.record(10 * WINDOW));
        assert!(t.record(10 * WINDOW - 1));
        assert_eq!(t.take(0).duplicates, 0);
    }
}
