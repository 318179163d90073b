//! One message from Laravel's `redis` broadcaster, parsed at the edge: the Redis channel with the
//! app's prefix stripped becomes a [`ChannelName`], the payload `{"event","data","socket"}` an
//! [`Event`]. Everything else is a typed [`Rejection`]; nothing here does I/O.

use resso_protocol::names::NameError;
use resso_protocol::{ChannelName, Limits, SocketId};
use serde::Deserialize;
use serde_json::value::RawValue;

/// An event to deliver.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    pub channel: ChannelName,
    pub name: String,
    /// The JSON text of `data`, byte-for-byte as Laravel sent it (Pusher clients get it as a
    /// string, as `PusherBroadcaster` would send it).
    pub data: String,
    /// The socket that caused the event (`->toOthers()`), left out of the delivery.
    pub except: Option<SocketId>,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("Redis channel {0:?} does not start with the configured prefix")]
    NoPrefix(String),
    #[error("channel {channel:?}: {error}")]
    Channel { channel: String, error: NameError },
    #[error("payload is not JSON of the shape {{\"event\",\"data\",\"socket\"}}: {0}")]
    Shape(String),
    #[error("event name is empty or longer than {0} bytes")]
    EventName(usize),
}

#[derive(Deserialize)]
struct Payload<'a> {
    event: String,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default)]
    socket: Option<String>,
}

/// Parses `payload` published on Redis channel `redis_channel`.
///
/// # Errors
/// A [`Rejection`] saying what is wrong; the message is then dropped.
pub fn parse(
    redis_channel: &str,
    payload: &[u8],
    prefix: &str,
    limits: &Limits,
) -> Result<Event, Rejection> {
    let name = redis_channel
        .strip_prefix(prefix)
        .ok_or_else(|| Rejection::NoPrefix(redis_channel.to_owned()))?;
    let channel = ChannelName::parse(name, limits).map_err(|error| Rejection::Channel {
        channel: name.to_owned(),
        error,
    })?;
    let msg: Payload<'_> =
        serde_json::from_slice(payload).map_err(|e| Rejection::Shape(e.to_string()))?;
    if msg.event.is_empty() || msg.event.len() > limits.event_name {
        return Err(Rejection::EventName(limits.event_name));
    }
    Ok(Event {
        channel,
        name: msg.event,
        data: msg.data.get().to_owned(),
        // An id of another shape names no socket of ours, so nobody is left out (as
        // laravel-echo-server did for a socket it did not know).
        except: msg.socket.as_deref().and_then(|s| SocketId::parse(s).ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(channel: &str, payload: &str, prefix: &str) -> Event {
        parse(channel, payload.as_bytes(), prefix, &Limits::default()).unwrap()
    }

    fn err(channel: &str, payload: &str) -> Rejection {
        let r = parse(channel, payload.as_bytes(), "p_", &Limits::default());
        r.unwrap_err()
    }

    #[test]
    fn laravel_payloads_parse() {
        let payload = r#"{"event":"App\\Events\\OrderShipped","data":{"id":1,"socket":"12.34"},"socket":"12.34"}"#;
        let e = ok(
            "laravel_database_private-orders.1",
            payload,
            "laravel_database_",
        );
        assert_eq!(e.channel.as_str(), "private-orders.1");
        assert_eq!(e.name, "App\\Events\\OrderShipped");
        assert_eq!(e.data, r#"{"id":1,"socket":"12.34"}"#);
        assert_eq!(e.except, Some(SocketId::new(12, 34)));
        let e = ok("news", r#"{"event":"x","data":[1, 2],"socket":null}"#, "");
        assert_eq!(
            (e.channel.as_str(), e.data.as_str(), e.except),
            ("news", "[1, 2]", None)
        );
        let e = ok(
            "p_news",
            r#"{"event":"x","data":"s","socket":"not-an-id"}"#,
            "p_",
        );
        assert_eq!((e.data.as_str(), e.except), ("\"s\"", None));
    }

    #[test]
    fn bad_messages_are_rejected() {
        assert!(matches!(err("other", "{}"), Rejection::NoPrefix(_)));
        assert!(matches!(err("p_", "{}"), Rejection::Channel { .. }));
        assert!(matches!(err("p_a b", "{}"), Rejection::Channel { .. }));
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"event":1,"data":{}}"#,
            r#"{"event":"e"}"#,
        ] {
            assert!(matches!(err("p_news", bad), Rejection::Shape(_)), "{bad:?}");
        }
        let socket_number = r#"{"event":"e","data":{},"socket":5}"#;
        assert!(matches!(err("p_news", socket_number), Rejection::Shape(_)));
        assert_eq!(
            err("p_news", r#"{"event":"","data":1}"#),
            Rejection::EventName(200)
        );
        let long = format!(r#"{{"event":"{}","data":1}}"#, "e".repeat(201));
        assert_eq!(err("p_news", &long), Rejection::EventName(200));
    }
}
