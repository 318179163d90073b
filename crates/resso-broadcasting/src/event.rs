//! What makes a type broadcastable ([`ShouldBroadcast`]) and the resolved [`Message`] every driver
//! sends. Resolving happens once, in [`Message::from_event`], so drivers, the queue and the test fake
//! all see the same name, channels and payload.

use std::any::type_name;
use std::borrow::Cow;

use resso_protocol::SocketId;
use serde::{Deserialize, Serialize};

use crate::payload::Payload;
use crate::Channel;

/// The namespace Laravel events live in; Echo's default `namespace: 'App.Events'` maps to it.
pub const DEFAULT_NAMESPACE: &str = "App\\Events";

/// An event your app broadcasts, like Laravel's `ShouldBroadcast`.
///
/// Only [`broadcast_on`](ShouldBroadcast::broadcast_on) is required. By default the event is named
/// `{namespace}\{TypeName}` (`App\Events\OrderShipped`, so unmodified Echo `.listen('OrderShipped')`
/// hears it) and its payload is the event serialized with serde.
///
/// ```
/// use resso_broadcasting::{Channel, ShouldBroadcast};
///
/// #[derive(serde::Serialize)]
/// struct OrderShipped { order_id: u64 }
///
/// impl ShouldBroadcast for OrderShipped {
///     fn broadcast_on(&self) -> Vec<Channel> {
///         vec![Channel::private(format!("orders.{}", self.order_id))]
///     }
/// }
/// ```
pub trait ShouldBroadcast: Serialize {
    /// The channels the event goes to.
    fn broadcast_on(&self) -> Vec<Channel>;

    /// The event name sent verbatim, replacing `{namespace}\{TypeName}`. Echo listens for such a name
    /// with a leading dot: `.listen('.order.shipped')`.
    fn broadcast_as(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The payload; by default the event itself, serialized. Must serialize to a JSON object.
    ///
    /// # Errors
    /// Whatever serialization reports.
    fn broadcast_with(&self) -> Result<Payload, serde_json::Error> {
        Payload::from_serialize(self)
    }

    /// Whether to broadcast at all (checked when broadcasting or dispatching).
    fn broadcast_when(&self) -> bool {
        true
    }
}

/// The short name of a type: `my_app::events::OrderShipped` → `OrderShipped`.
#[must_use]
pub fn short_type_name<T: ?Sized>() -> &'static str {
    let full = type_name::<T>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

/// One event resolved for sending: name, channels, payload and the socket to leave out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub name: String,
    pub channels: Vec<Channel>,
    pub payload: Payload,
    /// The `X-Socket-ID` of the request that caused the event ("to others").
    #[serde(default, with = "socket_serde")]
    pub socket: Option<SocketId>,
}

impl Message {
    /// Resolves `event` under `namespace`. `None` when `broadcast_when` says no.
    ///
    /// # Errors
    /// When the payload does not serialize to a JSON object.
    pub fn from_event<E: ShouldBroadcast + ?Sized>(
        event: &E,
        namespace: &str,
    ) -> Result<Option<Self>, serde_json::Error> {
        if !event.broadcast_when() {
            return Ok(None);
        }
        let name = match event.broadcast_as() {
            Some(name) => name.into_owned(),
            None => qualified(namespace, short_type_name::<E>()),
        };
        Ok(Some(Self {
            name,
            channels: event.broadcast_on(),
            payload: event.broadcast_with()?,
            socket: None,
        }))
    }
}

/// `namespace\name`, or `name` alone for an empty namespace.
#[must_use]
pub fn qualified(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}\\{name}")
    }
}

mod socket_serde {
    use resso_protocol::SocketId;
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`
    pub fn serialize<S: Serializer>(s: &Option<SocketId>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(id) => ser.collect_str(id),
            None => ser.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<SocketId>, D::Error> {
        let text = Option::<String>::deserialize(de)?;
        text.map(|t| SocketId::parse(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct OrderShipped {
        id: u64,
        note: &'static str,
    }

    impl ShouldBroadcast for OrderShipped {
        fn broadcast_on(&self) -> Vec<Channel> {
            vec![Channel::private(format!("orders.{}", self.id))]
        }
    }

    #[derive(Serialize)]
    struct Renamed;

    impl ShouldBroadcast for Renamed {
        fn broadcast_on(&self) -> Vec<Channel> {
            vec![Channel::public("news")]
        }
        fn broadcast_as(&self) -> Option<Cow<'_, str>> {
            Some("news.posted".into())
        }
        fn broadcast_when(&self) -> bool {
            false
        }
    }

    #[test]
    fn default_name_payload_and_channels() {
        let e = OrderShipped { id: 7, note: "b/a" };
        let m = Message::from_event(&e, DEFAULT_NAMESPACE).unwrap().unwrap();
        assert_eq!(m.name, "App\\Events\\OrderShipped");
        assert_eq!(m.channels, vec![Channel::private("orders.7")]);
        assert_eq!(m.payload.to_json(), r#"{"id":7,"note":"b/a"}"#);
        let m = Message::from_event(&e, "").unwrap().unwrap();
        assert_eq!(m.name, "OrderShipped");
    }

    #[test]
    fn broadcast_when_false_sends_nothing() {
        assert!(Message::from_event(&Renamed, DEFAULT_NAMESPACE)
            .unwrap()
            .is_none());
        assert_eq!(Renamed.broadcast_as().as_deref(), Some("news.posted"));
    }

    #[test]
    fn a_message_round_trips_through_json() {
        let mut m = Message::from_event(&OrderShipped { id: 1, note: "x" }, DEFAULT_NAMESPACE)
            .unwrap()
            .unwrap();
        m.socket = Some(SocketId::new(123, 456));
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains(r#""socket":"123.456""#), "{text}");
        assert_eq!(serde_json::from_str::<Message>(&text).unwrap(), m);
    }

    #[test]
    fn short_names() {
        assert_eq!(short_type_name::<OrderShipped>(), "OrderShipped");
        assert_eq!(short_type_name::<Vec<u8>>(), "Vec");
    }
}
