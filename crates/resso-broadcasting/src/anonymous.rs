//! Anonymous events: a one-off broadcast without an event type, like Laravel's
//! `Broadcast::on('orders.1')->as('Name')->with([...])->toOthers()->sendNow()`.

use resso_protocol::SocketId;
use serde::Serialize;

use crate::driver::BroadcastError;
use crate::{Broadcaster, Channel, Message, Payload};

/// Laravel's default name for an anonymous event (sent verbatim: Echo `.listen('.AnonymousEvent')`).
pub const ANONYMOUS_EVENT: &str = "AnonymousEvent";

/// An anonymous event being built; [`send`](AnonymousEvent::send) broadcasts it.
#[must_use = "an anonymous event does nothing until sent"]
#[derive(Debug)]
pub struct AnonymousEvent {
    broadcaster: Broadcaster,
    message: Message,
    error: Option<serde_json::Error>,
}

impl AnonymousEvent {
    pub(crate) fn new(broadcaster: Broadcaster, channels: Vec<Channel>) -> Self {
        Self {
            broadcaster,
            message: Message {
                name: ANONYMOUS_EVENT.to_owned(),
                channels,
                payload: Payload::new(),
                socket: None,
            },
            error: None,
        }
    }

    /// The event name, sent verbatim (Laravel's `as`).
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.message.name = name.into();
        self
    }

    /// The payload; anything that serializes to a JSON object.
    pub fn with<T: Serialize + ?Sized>(mut self, payload: &T) -> Self {
        match Payload::from_serialize(payload) {
            Ok(p) => self.message.payload = p,
            Err(e) => self.error = Some(e),
        }
        self
    }

    /// Leaves out the connection with this socket id.
    pub fn to_others(mut self, socket: impl Into<Option<SocketId>>) -> Self {
        self.message.socket = socket.into();
        self
    }

    /// The resolved message (to queue it, or to inspect it).
    ///
    /// # Errors
    /// When the payload given to [`with`](Self::with) was not a JSON object.
    pub fn into_message(self) -> Result<Message, BroadcastError> {
        match self.error {
            Some(e) => Err(e.into()),
            None => Ok(self.message),
        }
    }

    /// Broadcasts now.
    ///
    /// # Errors
    /// A bad payload or what the driver reports.
    pub async fn send(self) -> Result<(), BroadcastError> {
        let broadcaster = self.broadcaster.clone();
        broadcaster.send(&self.into_message()?).await
    }
}
