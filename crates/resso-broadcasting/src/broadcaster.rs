//! [`Broadcaster`]: the handle an app keeps (in its axum state) to broadcast events, anonymous events
//! and notifications through one [`Driver`].

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use resso_protocol::SocketId;

use crate::anonymous::AnonymousEvent;
use crate::config::{ConfigError, DriverConfig};
use crate::driver::{BroadcastError, Driver, Fake, PusherClient, Recorded};
use crate::event::{Message, ShouldBroadcast, DEFAULT_NAMESPACE};
use crate::notification::{BroadcastNotification, Notifiable};
use crate::Channel;

/// Broadcasts through a driver. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Broadcaster {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    driver: Driver,
    namespace: String,
}

impl Broadcaster {
    /// A broadcaster over `driver`, naming events under `App\Events`.
    #[must_use]
    pub fn new(driver: Driver) -> Self {
        Self {
            inner: Arc::new(Inner {
                driver,
                namespace: DEFAULT_NAMESPACE.to_owned(),
            }),
        }
    }

    /// Names default-named events `{namespace}\{TypeName}` instead (`""`: the bare type name; match
    /// it with Echo's `namespace` option).
    #[must_use]
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                driver: self.inner.driver.clone(),
                namespace: namespace.into(),
            }),
        }
    }

    /// The driver the environment names, as a Laravel app reads it (`BROADCAST_CONNECTION`, …).
    ///
    /// # Errors
    /// A missing or bad setting, or a Redis server that cannot be reached.
    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(DriverConfig::from_env()?.connect().await?))
    }

    /// A broadcaster that records, and the record to assert on.
    #[must_use]
    pub fn fake() -> (Self, Fake) {
        let fake = Fake::new();
        (Self::new(Driver::Fake(fake.clone())), fake)
    }

    /// The driver.
    #[must_use]
    pub fn driver(&self) -> &Driver {
        &self.inner.driver
    }

    /// The key and secret the driver publishes with, for channel authorization
    /// ([`ChannelAuth::from_broadcaster`](crate::auth::ChannelAuth::from_broadcaster)); `None` unless
    /// the driver is a Pusher-protocol one.
    #[must_use]
    pub fn credentials(&self) -> Option<crate::auth::Credentials> {
        self.pusher().map(|client| client.config().credentials())
    }

    /// The HTTP API client when the driver is Pusher (Laravel's `Broadcast::driver()->getPusher()`).
    #[must_use]
    pub fn pusher(&self) -> Option<&PusherClient> {
        match &self.inner.driver {
            Driver::Pusher(client) => Some(client),
            Driver::Redis(_) | Driver::Log | Driver::Null | Driver::Fake(_) => None,
        }
    }

    /// The namespace default event names are put under.
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Resolves `event` to the message it would send (`None` when `broadcast_when` says no).
    ///
    /// # Errors
    /// When the payload does not serialize to an object.
    pub fn message<E: ShouldBroadcast>(
        &self,
        event: &E,
    ) -> Result<Option<Message>, BroadcastError> {
        Ok(Message::from_event(event, &self.inner.namespace)?)
    }

    /// Broadcasts `event` when awaited; `.to_others(socket)` first to leave out the sender.
    pub fn broadcast<'a, E: ShouldBroadcast + Sync>(
        &'a self,
        event: &'a E,
    ) -> PendingBroadcast<'a, E> {
        PendingBroadcast {
            broadcaster: self,
            event,
            socket: None,
        }
    }

    /// Sends an already resolved message (what the queue worker does).
    ///
    /// # Errors
    /// What the driver reports.
    pub async fn send(&self, message: &Message) -> Result<(), BroadcastError> {
        self.inner.driver.send(message).await
    }

    /// An anonymous event on `channels` (`Broadcast::on(...)`).
    pub fn on(&self, channels: impl IntoIterator<Item = Channel>) -> AnonymousEvent {
        AnonymousEvent::new(self.clone(), channels.into_iter().collect())
    }

    /// An anonymous event on `private-{name}` (`Broadcast::private(...)`).
    pub fn private(&self, name: impl Into<String>) -> AnonymousEvent {
        self.on([Channel::private(name)])
    }

    /// An anonymous event on `presence-{name}` (`Broadcast::presence(...)`).
    pub fn presence(&self, name: impl Into<String>) -> AnonymousEvent {
        self.on([Channel::presence(name)])
    }

    /// Broadcasts a notification the way Echo's `.notification(cb)` receives it; returns its id.
    ///
    /// # Errors
    /// When the notification does not serialize to an object, or the driver fails.
    pub async fn notify<N: BroadcastNotification>(
        &self,
        notifiable: &Notifiable,
        notification: &N,
    ) -> Result<String, BroadcastError> {
        let (id, message) = crate::notification::message(notifiable, notification)?;
        self.send(&message).await?;
        Ok(id)
    }

    async fn broadcast_event<E: ShouldBroadcast>(
        &self,
        event: &E,
        socket: Option<SocketId>,
    ) -> Result<(), BroadcastError> {
        let Some(mut message) = self.message(event)? else {
            return Ok(());
        };
        message.socket = socket;
        if let Driver::Fake(fake) = &self.inner.driver {
            fake.record(Recorded {
                event_type: Some(std::any::type_name::<E>()),
                event: serde_json::to_value(event)?,
                message,
            });
            return Ok(());
        }
        self.send(&message).await
    }
}

/// A broadcast waiting to be awaited (or queued, with the `queue` feature).
#[must_use = "a broadcast does nothing until awaited"]
pub struct PendingBroadcast<'a, E> {
    broadcaster: &'a Broadcaster,
    event: &'a E,
    socket: Option<SocketId>,
}

impl<E: ShouldBroadcast> PendingBroadcast<'_, E> {
    /// Leaves out the connection with this socket id (the request's `X-Socket-ID`; `None`: nobody).
    pub fn to_others(mut self, socket: impl Into<Option<SocketId>>) -> Self {
        self.socket = socket.into();
        self
    }

    /// The message this broadcast resolves to, with its socket (what a queue carries).
    ///
    /// # Errors
    /// When the payload does not serialize to an object.
    pub fn message(&self) -> Result<Option<Message>, BroadcastError> {
        let message = self.broadcaster.message(self.event)?;
        Ok(message.map(|mut m| {
            m.socket = self.socket;
            m
        }))
    }
}

impl<'a, E: ShouldBroadcast + Sync> IntoFuture for PendingBroadcast<'a, E> {
    type Output = Result<(), BroadcastError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.broadcaster.broadcast_event(self.event, self.socket))
    }
}
