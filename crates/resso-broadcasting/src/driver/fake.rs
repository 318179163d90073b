//! The test fake: a driver that records instead of sending, with Laravel-style assertions
//! (`Broadcast::fake()` / `Event::assertDispatched`). Events are kept as their serde form and turned
//! back into `E` for a predicate, so assertions read on your own type.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;

use crate::{Channel, Message};

/// One recorded broadcast.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `std::any::type_name` of the event, or `None` for anonymous events and notifications.
    pub event_type: Option<&'static str>,
    /// The event serialized with serde (not `broadcast_with`), to rebuild it for predicates.
    pub event: serde_json::Value,
    pub message: Message,
}

/// Records broadcasts; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct Fake {
    // A std mutex: held only to push or copy, never across an await.
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    /// An empty record.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn record(&self, entry: Recorded) {
        self.lock().push(entry);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Recorded>> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Everything recorded so far, oldest first.
    #[must_use]
    pub fn recorded(&self) -> Vec<Recorded> {
        self.lock().clone()
    }

    /// The resolved messages, oldest first.
    #[must_use]
    pub fn messages(&self) -> Vec<Message> {
        self.lock().iter().map(|r| r.message.clone()).collect()
    }

    /// The recorded events of type `E` with their messages.
    #[must_use]
    pub fn of<E: DeserializeOwned + 'static>(&self) -> Vec<(E, Message)> {
        let wanted = std::any::type_name::<E>();
        self.lock()
            .iter()
            .filter(|r| r.event_type == Some(wanted))
            .map(|r| {
                let event = serde_json::from_value(r.event.clone()).unwrap_or_else(|e| {
                    panic!("a recorded {wanted} does not deserialize back: {e}")
                });
                (event, r.message.clone())
            })
            .collect()
    }

    /// Asserts an `E` was broadcast for which `predicate` holds.
    ///
    /// # Panics
    /// When none was.
    #[track_caller]
    pub fn assert_broadcast<E: DeserializeOwned + 'static>(&self, predicate: impl Fn(&E) -> bool) {
        let all = self.of::<E>();
        assert!(
            all.iter().any(|(e, _)| predicate(e)),
            "expected a matching {} to be broadcast; recorded: {:?}",
            std::any::type_name::<E>(),
            self.messages()
        );
    }

    /// Asserts an `E` was broadcast on `channel`.
    ///
    /// # Panics
    /// When none was.
    #[track_caller]
    pub fn assert_broadcast_on<E: DeserializeOwned + 'static>(&self, channel: &Channel) {
        let all = self.of::<E>();
        assert!(
            all.iter().any(|(_, m)| m.channels.contains(channel)),
            "expected a {} on {channel}; recorded: {:?}",
            std::any::type_name::<E>(),
            self.messages()
        );
    }

    /// Asserts exactly `times` events of type `E` were broadcast.
    ///
    /// # Panics
    /// When the count differs.
    #[track_caller]
    pub fn assert_broadcast_times<E: DeserializeOwned + 'static>(&self, times: usize) {
        let n = self.of::<E>().len();
        assert_eq!(
            n,
            times,
            "expected {times} × {}, got {n}",
            std::any::type_name::<E>()
        );
    }

    /// Asserts no `E` was broadcast.
    ///
    /// # Panics
    /// When one was.
    #[track_caller]
    pub fn assert_not_broadcast<E: DeserializeOwned + 'static>(&self) {
        self.assert_broadcast_times::<E>(0);
    }

    /// Asserts a message named `name` (anonymous events, notifications) went to `channel`.
    ///
    /// # Panics
    /// When none did.
    #[track_caller]
    pub fn assert_sent(&self, name: &str, channel: &Channel) {
        assert!(
            self.messages()
                .iter()
                .any(|m| m.name == name && m.channels.contains(channel)),
            "expected {name} on {channel}; recorded: {:?}",
            self.messages()
        );
    }

    /// Asserts nothing at all was broadcast.
    ///
    /// # Panics
    /// When something was.
    #[track_caller]
    pub fn assert_nothing_broadcast(&self) {
        let all = self.messages();
        assert!(all.is_empty(), "expected nothing broadcast, got {all:?}");
    }
}
