//! A connection's outbound queue, bounded by bytes. Publishers push without waiting; when a client
//! reads too slowly and its queue would pass the bound, the queue is doomed with 4100, further pushes
//! are dropped, and the connection task closes that client — one slow reader never slows the others
//! or grows memory without bound. The same doom signal lets the registry close a connection from
//! outside (terminate_connections: 4009).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use resso_protocol::ErrorCode;

use tokio::sync::{mpsc, Notify};

use crate::broadcast::Broadcast;

struct Shared {
    queued: AtomicUsize,
    limit: usize,
    doom: OnceLock<ErrorCode>,
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
        doom: OnceLock::new(),
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
    /// Asks the connection to close with `code` (the first request wins); later pushes are dropped.
    pub fn close(&self, code: ErrorCode) {
        if self.shared.doom.set(code).is_ok() {
            self.shared.notify.notify_one();
        }
    }

    /// Queues a message; returns `false` when it was dropped (queue full, overflowed, or closed).
    pub fn push(&self, msg: &Arc<Broadcast>) -> bool {
        let s = &self.shared;
        if s.doom.get().is_some() {
            return false;
        }
        let size = msg.queued_size();
        let before = s.queued.fetch_add(size, Ordering::Relaxed);
        if before + size > s.limit {
            s.queued.fetch_sub(size, Ordering::Relaxed);
            self.close(ErrorCode::OverCapacity);
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

    /// A handle that resolves once the connection is doomed, usable while the inbox is borrowed.
    #[must_use]
    pub fn doom_signal(&self) -> Doom {
        Doom(self.shared.clone())
    }
}

/// Watches an outbox for a request to close its connection.
pub struct Doom(Arc<Shared>);

impl Doom {
    /// Resolves with the close code once the connection must close.
    pub async fn doomed(&self) -> ErrorCode {
        loop {
            let notified = self.0.notify.notified();
            if let Some(code) = self.0.doom.get() {
                return *code;
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
        let code =
            tokio::time::timeout(std::time::Duration::from_secs(1), rx.doom_signal().doomed())
                .await
                .unwrap();
        assert_eq!(code, ErrorCode::OverCapacity);
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
