//! The drivers a [`Broadcaster`](crate::Broadcaster) sends through, chosen once (from the
//! environment or in code) as one enum, so nothing else knows which one runs.

pub mod api_types;
pub mod fake;
pub mod pusher;
pub mod redis;

use crate::Message;

pub use self::fake::{Fake, Recorded};
pub use self::pusher::{PusherClient, PusherConfig, PusherError};
pub use self::redis::{RedisConfig, RedisDriver};

/// Where broadcasts go. `Display` names it (with the server's address, never a secret).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Driver {
    /// The Pusher HTTP API of a Pusher-protocol server (Laravel's `reverb` and `pusher`).
    Pusher(PusherClient),
    /// Redis PUBLISH in Laravel's format (Laravel's `redis`).
    Redis(RedisDriver),
    /// A `tracing` line per broadcast at INFO (Laravel's `log`).
    Log,
    /// Nothing (Laravel's `null`).
    Null,
    /// Records for assertions in tests.
    Fake(Fake),
}

/// Why a broadcast failed. The text never carries a signed URL or a signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastError {
    #[error(transparent)]
    Pusher(#[from] PusherError),
    #[error("Redis broadcast failed: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("the event payload does not serialize to a JSON object: {0}")]
    Payload(#[from] serde_json::Error),
}

impl Driver {
    /// The driver's name as `BROADCAST_CONNECTION` spells it (`fake` for the test fake).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Pusher(_) => "pusher",
            Self::Redis(_) => "redis",
            Self::Log => "log",
            Self::Null => "null",
            Self::Fake(_) => "fake",
        }
    }

    /// Sends a resolved message.
    ///
    /// # Errors
    /// What the driver reports.
    pub async fn send(&self, message: &Message) -> Result<(), BroadcastError> {
        match self {
            Self::Pusher(client) => client.send(message).await?,
            Self::Redis(redis) => redis.send(message).await?,
            Self::Log => log(message),
            Self::Null => {}
            Self::Fake(fake) => fake.record(Recorded {
                event_type: None,
                event: serde_json::Value::Null,
                message: message.clone(),
            }),
        }
        Ok(())
    }
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pusher(client) => {
                let c = client.config();
                write!(f, "pusher ({}, app {})", c.base_url, c.app_id)
            }
            Self::Redis(redis) => write!(f, "redis (prefix {:?})", redis.prefix()),
            Self::Null => f.write_str("null (events are dropped; set BROADCAST_CONNECTION)"),
            Self::Log | Self::Fake(_) => f.write_str(self.name()),
        }
    }
}

fn log(message: &Message) {
    let channels: Vec<String> = message.channels.iter().map(ToString::to_string).collect();
    tracing::info!(
        event = %message.name,
        channels = %channels.join(", "),
        socket = ?message.socket.map(|s| s.to_string()),
        payload = %message.payload.to_json(),
        "broadcasting"
    );
}
