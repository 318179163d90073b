//! Laravel-style event broadcasting for Rust backends, against any Pusher-protocol server (Ressò,
//! Reverb, Soketi, Sockudo, Pusher) or a Redis consumer of Laravel's format (laravel-echo-server,
//! Ressò's Redis ingestion). Unmodified Laravel Echo / pusher-js pages receive what you send.
//!
//! Map of the crate:
//! - [`channel`]: [`Channel`] — public, private, presence, private-encrypted.
//! - [`event`]: the [`ShouldBroadcast`] trait (channels, name, payload, condition) and the resolved
//!   [`Message`] every driver sends.
//! - [`payload`]: [`Payload`], an event's JSON object with its key order kept.
//! - [`anonymous`]: one-off events without a type (`broadcaster.private("x").event("Name").with(..)`).
//! - [`notification`]: notifications in the shape Echo's `.notification(cb)` expects.
//! - [`broadcaster`]: [`Broadcaster`], the handle your app keeps, and [`PendingBroadcast`]
//!   (`.to_others(socket)`).
//! - [`driver`]: Pusher HTTP API, Redis, log, null and the test [`Fake`] with assertions.
//! - [`config`]: the driver chosen from a Laravel app's environment (`BROADCAST_CONNECTION`, …).
//! - [`encrypt`]: end-to-end encryption for `private-encrypted-` channels.
//! - [`socket`]: the [`XSocketId`] extractor for "to others".
//! - [`auth`]: `/broadcasting/auth` and `/broadcasting/user-auth` for axum, with Laravel patterns,
//!   signed with the broadcaster's credentials.
//! - [`webhook`]: the verified [`Webhook`] extractor.
#![cfg_attr(
    feature = "queue",
    doc = "- [`queue`]: queued broadcasting on Redis (apalis) and its worker."
)]
#![cfg_attr(
    not(feature = "queue"),
    doc = "- `queue` (feature `queue`): queued broadcasting on Redis (apalis) and its worker."
)]
//!
//! # Event names on the wire
//!
//! An event is named `App\Events\{TypeName}` by default, so unmodified Laravel Echo code hears it:
//! Echo's `.listen('OrderShipped', …)` adds its `App.Events` namespace. Raw pusher-js binds the
//! wire name itself, `App\Events\OrderShipped` (`channel.bind('App\\Events\\OrderShipped', …)` in
//! JavaScript), or, with [`Broadcaster::with_namespace("")`](Broadcaster::with_namespace), the
//! bare `OrderShipped`.
//!
//! # Broadcasting an event
//!
//! ```
//! use resso_broadcasting::{Broadcaster, Channel, ShouldBroadcast};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct ExportCompleted { user_id: u64, rows: u64 }
//!
//! impl ShouldBroadcast for ExportCompleted {
//!     fn broadcast_on(&self) -> Vec<Channel> {
//!         vec![Channel::private(format!("App.Models.User.{}", self.user_id))]
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // In your app: `Broadcaster::from_env().await?` reads BROADCAST_CONNECTION, REVERB_*, …
//! let (broadcaster, fake) = Broadcaster::fake();
//! broadcaster.broadcast(&ExportCompleted { user_id: 1, rows: 42 }).await.unwrap();
//!
//! // Echo: Echo.private('App.Models.User.1').listen('ExportCompleted', e => …)
//! let sent = &fake.messages()[0];
//! assert_eq!(sent.name, "App\\Events\\ExportCompleted");
//! assert_eq!(sent.channels[0].name(), "private-App.Models.User.1");
//! assert_eq!(sent.payload.to_json(), r#"{"user_id":1,"rows":42}"#);
//! fake.assert_broadcast::<ExportCompleted>(|e| e.rows == 42);
//! # }
//! ```
//!
//! # Anonymous events and notifications
//!
//! ```
//! use resso_broadcasting::{Broadcaster, BroadcastNotification, Notifiable, Channel};
//!
//! #[derive(serde::Serialize)]
//! struct ExportFailed { reason: String }
//! impl BroadcastNotification for ExportFailed {}
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let (broadcaster, fake) = Broadcaster::fake();
//! broadcaster.private("orders.1").event("OrderUpdated").with(&serde_json::json!({"id": 1}))
//!     .send().await.unwrap();
//! // Echo: Echo.private('App.Models.User.7').notification(n => n.type, n.reason, n.id)
//! broadcaster.notify(&Notifiable::user(7), &ExportFailed { reason: "disk full".into() })
//!     .await.unwrap();
//! fake.assert_sent("OrderUpdated", &Channel::private("orders.1"));
//! fake.assert_sent(
//!     "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated",
//!     &Channel::private("App.Models.User.7"),
//! );
//! # }
//! ```
//!
//! Channel authorization, signed with the broadcaster's own credentials and with callbacks that
//! reach your app's state: see [`auth`]. Queued broadcasting: the `queue` feature. A full guide
//! ("export → queued job → e-mail → live notification") is `docs/broadcasting.md` in the repository.

pub mod anonymous;
pub mod auth;
pub mod broadcaster;
pub mod channel;
pub mod config;
pub mod driver;
pub mod encrypt;
pub mod event;
pub mod notification;
pub mod payload;
#[cfg(feature = "queue")]
pub mod queue;
pub mod socket;
pub mod webhook;

pub use anonymous::AnonymousEvent;
pub use auth::{ChannelAuth, Credentials, Decision};
pub use broadcaster::{Broadcaster, PendingBroadcast};
pub use channel::Channel;
pub use config::{ConfigError, DriverConfig};
pub use driver::{BroadcastError, Driver, Fake, PusherClient, PusherConfig, RedisConfig};
pub use encrypt::MasterKey;
pub use event::{Message, ShouldBroadcast};
pub use notification::{BroadcastNotification, Notifiable};
pub use payload::Payload;
pub use resso_protocol::SocketId;
pub use socket::XSocketId;
pub use webhook::{Webhook, WebhookEvent, WebhookVerifier};
