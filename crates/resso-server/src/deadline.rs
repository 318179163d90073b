//! A time by which a connection must have done something (signed in, subscribed), and the close
//! code it gets if it has not: what a protocol's session logic asks of the connection task.

use resso_protocol::ErrorCode;
use tokio::time::Instant;

/// A time by which a connection must have done something, and the code it is closed with if not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: Instant,
    pub code: ErrorCode,
}

impl Deadline {
    /// The earlier of `self` and `other`.
    #[must_use]
    pub fn min(self, other: Option<Self>) -> Self {
        match other {
            Some(o) if o.at < self.at => o,
            _ => self,
        }
    }
}
