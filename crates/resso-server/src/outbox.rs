//! A connection's outbound queue, bounded by bytes. Publishers push without waiting; when a client
//! reads too slowly and its queue would pass the bound, the queue is doomed with 4100, further pushes
//! are dropped, and the connection task closes that client — one slow reader never slows the others
//! or grows memory without bound. The same doom signal lets the registry close a connection from
//! outside (terminate_connections: 4009).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use resso_protocol::ErrorCode;

use crate::broadcast::Broadcast;

/// Most broadcasts a connection's task takes from its inbox in one turn, to write in one `writev`
/// (the socket's slice count).
pub const BATCH: usize = 64;

/// One allocation per connection holds the queue and both wakers; a `std` mutex is right because
/// every critical section is a few pointer moves and none spans an `.await`. (Smaller per idle
/// connection than a tokio channel, with fewer atomics per delivery: docs/benchmarks.md.)
struct Shared {
    limit: usize,
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Arc<Broadcast>>,
    /// Sum of the queued messages' [`Broadcast::queued_size`].
    bytes: usize,
    doom: Option<ErrorCode>,
    /// The inbox was dropped: the connection is gone.
    gone: bool,
    reader: Option<Waker>,
    watcher: Option<Waker>,
}

/// The sending half, held by the registry for each subscription.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The receiving half, owned by the connection task.
pub struct Inbox {
    shared: Arc<Shared>,
}

/// A queue holding at most `limit_bytes` (as estimated by [`Broadcast::queued_size`]).
#[must_use]
pub fn outbox(limit_bytes: usize) -> (Outbox, Inbox) {
    let shared = Arc::new(Shared {
        limit: limit_bytes,
        state: Mutex::default(),
    });
    (
        Outbox {
            shared: shared.clone(),
        },
        Inbox { shared },
    )
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Stores `cx`'s waker in `slot` unless it is there already.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}

impl Queue {
    /// Dooms the queue with `code` (the first one wins); returns the wakers to wake.
    fn doom(&mut self, code: ErrorCode) -> [Option<Waker>; 2] {
        if self.doom.is_some() {
            return [None, None];
        }
        self.doom = Some(code);
        [self.watcher.take(), self.reader.take()]
    }
}

fn wake(wakers: impl IntoIterator<Item = Option<Waker>>) {
    wakers.into_iter().flatten().for_each(Waker::wake);
}

impl Outbox {
    /// Asks the connection to close with `code` (the first request wins); later pushes are dropped.
    pub fn close(&self, code: ErrorCode) {
        let wakers = self.shared.lock().doom(code);
        wake(wakers);
    }

    /// Queues a message; returns `false` when it was dropped (queue full, overflowed, or closed).
    pub fn push(&self, msg: &Arc<Broadcast>) -> bool {
        let mut q = self.shared.lock();
        if q.doom.is_some() || q.gone {
            return false;
        }
        let size = msg.queued_size();
        if q.bytes + size > self.shared.limit {
            let wakers = q.doom(ErrorCode::OverCapacity);
            drop(q);
            wake(wakers);
            return false;
        }
        q.bytes += size;
        q.items.push_back(Arc::clone(msg));
        let reader = q.reader.take();
        drop(q);
        wake([reader]);
        true
    }
}

impl Inbox {
    /// The next message, waiting for one.
    pub async fn recv(&mut self) -> Option<Arc<Broadcast>> {
        poll_fn(|cx| {
            let mut q = self.shared.lock();
            match pop(&mut q) {
                Some(msg) => Poll::Ready(Some(msg)),
                None => {
                    register(&mut q.reader, cx);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Option<Arc<Broadcast>> {
        pop(&mut self.shared.lock())
    }

    /// A handle that resolves once the connection is doomed, usable while the inbox is borrowed.
    #[must_use]
    pub fn doom_signal(&self) -> Doom {
        Doom(self.shared.clone())
    }
}

fn pop(q: &mut Queue) -> Option<Arc<Broadcast>> {
    let msg = q.items.pop_front()?;
    q.bytes -= msg.queued_size();
    msg.taken();
    if q.items.is_empty() && q.items.capacity() > SHRINK_ABOVE {
        q.items = VecDeque::new(); // an idle connection keeps no big buffer from a burst
    }
    Some(msg)
}

/// Queue capacity an emptied queue gives back.
const SHRINK_ABOVE: usize = 64;

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut q = self.shared.lock();
        q.gone = true;
        q.items = VecDeque::new();
        q.bytes = 0;
    }
}

/// Watches an outbox for a request to close its connection.
pub struct Doom(Arc<Shared>);

impl Doom {
    /// Resolves with the close code once the connection must close.
    pub async fn doomed(&self) -> ErrorCode {
        poll_fn(|cx| {
            let mut q = self.0.lock();
            match q.doom {
                Some(code) => Poll::Ready(code),
                None => {
                    register(&mut q.watcher, cx);
                    Poll::Pending
                }
            }
        })
        .await
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
    async fn a_waiting_reader_is_woken_by_a_push() {
        let (tx, mut rx) = outbox(1000);
        let reader = tokio::spawn(async move { rx.recv().await.is_some() });
        tokio::task::yield_now().await;
        assert!(tx.push(&msg("x")));
        let got = tokio::time::timeout(std::time::Duration::from_secs(1), reader)
            .await
            .unwrap();
        assert!(got.unwrap());
    }

    #[tokio::test]
    async fn nothing_is_queued_for_a_gone_connection() {
        let (tx, rx) = outbox(1000);
        drop(rx);
        assert!(!tx.push(&msg("x")));
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
