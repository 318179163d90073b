//! A connection's outbound queue, bounded by bytes. Publishers push without waiting; when a client
//! reads too slowly and its queue would pass the bound, the queue is marked overflowed, further pushes
//! are dropped, and the connection task closes that client with 4100 — one slow reader never slows
//! the others or grows memory without bound.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use crate::broadcast::Broadcast;

struct Shared {
    queued: AtomicUsize,
    limit: usize,
    overflowed: AtomicBool,
    notify: Notify,
}

/// The sending half, held by the registry for each subscription.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Arc<Broadcast>>,
    shared: Arc<Shared>,
}

/// The receiving half, owned by the connection task.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Arc<Broadcast>>,
    shared: Arc<Shared>,
}

/// A queue holding at most `limit_bytes` (as estimated by [`Broadcast::queued_size`]).
#[must_use]
pub fn outbox(limit_bytes: usize) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        limit: limit_bytes,
        overflowed: AtomicBool::new(false),
        notify: Notify::new(),
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        Inbox { rx, shared },
    )
}

impl Outbox {
    /// Queues a message; returns `false` when it was dropped (queue full, overflowed, or closed).
    pub fn push(&self, msg: &Arc<Broadcast>) -> bool {
        let s = &self.shared;
        if s.overflowed.load(Ordering::Relaxed) {
            return false;
        }
        let size = msg.queued_size();
        let before = s.queued.fetch_add(size, Ordering::Relaxed);
        if before + size > s.limit {
            s.queued.fetch_sub(size, Ordering::Relaxed);
            s.overflowed.store(true, Ordering::Relaxed);
            s.notify.notify_one();
            return false;
        }
        self.tx.send(Arc::clone(msg)).is_ok()
    }
}

impl Inbox {
    /// The next message, waiting for one.
    pub async fn recv(&mut self) -> Option<Arc<Broadcast>> {
        let msg = self.rx.recv().await?;
        self.release(&msg);
        Some(msg)
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Option<Arc<Broadcast>> {
        let msg = self.rx.try_recv().ok()?;
        self.release(&msg);
        Some(msg)
    }

    fn release(&self, msg: &Broadcast) {
        self.shared
            .queued
            .fetch_sub(msg.queued_size(), Ordering::Relaxed);
    }

    /// A handle that resolves once the queue has overflowed, usable while the inbox is borrowed.
    #[must_use]
    pub fn overflow_signal(&self) -> Overflow {
        Overflow(self.shared.clone())
    }
}

/// Watches an outbox for overflow.
pub struct Overflow(Arc<Shared>);

impl Overflow {
    /// Resolves once the queue has overflowed.
    pub async fn overflowed(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.0.overflowed.load(Ordering::Relaxed) {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::Payload;
    use resso_protocol::{ChannelName, Limits};

    fn msg(data: &str) -> Arc<Broadcast> {
        let channel = ChannelName::parse("c", &Limits::default()).unwrap();
        Arc::new(Broadcast::event(
            channel,
            "e".into(),
            Payload::Text(data.into()),
            None,
        ))
    }

    #[tokio::test]
    async fn overflow_drops_and_signals() {
        let (tx, mut rx) = outbox(200);
        assert!(tx.push(&msg("x")));
        assert!(!tx.push(&msg(&"x".repeat(200))));
        assert!(!tx.push(&msg("y")), "nothing is queued after an overflow");
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            rx.overflow_signal().overflowed(),
        )
        .await
        .unwrap();
        assert!(rx.recv().await.is_some());
        assert!(rx.try_recv().is_none());
    }

    #[tokio::test]
    async fn reading_frees_room() {
        let (tx, mut rx) = outbox(200);
        for _ in 0..10 {
            assert!(tx.push(&msg(&"x".repeat(100))));
            assert!(rx.recv().await.is_some());
        }
    }
}
