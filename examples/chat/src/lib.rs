//! A chat room in one small axum app, with nothing but `resso-broadcasting` between it and any
//! Pusher-protocol server (Ressò, Reverb, Soketi): who is in the room is a presence channel
//! (`presence-chat.{room}`), a direct message goes to the recipient's private channel
//! (`private-users.{id}`), and the page is plain pusher-js.
//!
//! Map of the crate:
//! - [`users`]: signing in by name, the bearer tokens, and [`users::User`], the extractor that
//!   `/broadcasting/auth` and the message routes take.
//! - [`events`]: what is broadcast (`MessageSent`, `DirectMessage`).
//! - [`routes`]: the router, the channel rules (Laravel's `routes/channels.php`), the handlers and
//!   the page.
//!
//! `main` reads the broadcaster from the environment (`BROADCAST_CONNECTION=reverb`, `REVERB_*`)
//! and serves [`routes::router`].

pub mod events;
pub mod routes;
pub mod users;

use resso_broadcasting::Broadcaster;

/// What every handler and channel callback shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub broadcaster: Broadcaster,
    pub users: users::Users,
    /// The rooms there are; a subscription to any other is refused.
    pub rooms: &'static [&'static str],
}

impl AppState {
    /// A chat with one room, `lobby`, broadcasting through `broadcaster` under bare event names
    /// (`MessageSent`, not `App\Events\MessageSent`), since the page is raw pusher-js.
    #[must_use]
    pub fn new(broadcaster: Broadcaster) -> Self {
        Self {
            broadcaster: broadcaster.with_namespace(""),
            users: users::Users::default(),
            rooms: &["lobby"],
        }
    }
}
