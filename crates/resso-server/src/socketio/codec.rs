//! A broadcast as Socket.IO clients see it: one Engine.IO message packet carrying a Socket.IO EVENT
//! on `/`, `42[event, channel, data]`, byte-identical for Engine.IO 3 and 4, so one encoding serves
//! every Socket.IO subscriber, on either version, over websocket or polling. The mapping is Laravel
//! Echo's `socket.io` connector's (`(event, channel, data)` listeners) as laravel-echo-server fed it:
//! a payload string holding JSON is embedded as that JSON, presence changes are
//! `presence:joining` / `presence:leaving` with the member. A broadcast kept in its channel's
//! history for connection state recovery carries its offset as the last argument, a string, as
//! socket.io's server sends it (Echo's `(channel, data)` listeners never see it); an event without
//! data then carries `null` in its place, so the offset is never taken for the data. Clients that
//! cannot recover (socket.io-client 2) get [`SocketIoPlain`], the same packet without it.

use resso_protocol::socketio::SioUserId;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::broadcast::{Codec, Encoded, Kind, Payload};

/// The Socket.IO codec of broadcasts.
pub struct SocketIo;

impl Codec for SocketIo {
    const SLOT: usize = 1;

    fn encode(kind: &Kind, offset: Option<u64>) -> Option<Encoded> {
        packet(kind, offset.map(|o| o.to_string()).as_deref()).map(|p| Encoded::new(&p))
    }
}

/// The Socket.IO codec without offsets: for socket.io-client 2 (no recovery in its protocol), and
/// for a copy sent outside the history's order (a cache channel's last event, replayed to a new
/// subscriber), whose old offset the client must not take for where it is.
pub struct SocketIoPlain;

impl Codec for SocketIoPlain {
    const SLOT: usize = 2;

    fn encode(kind: &Kind, _offset: Option<u64>) -> Option<Encoded> {
        packet(kind, None).map(|p| Encoded::new(&p))
    }
}

/// The presence member of `presence:joining` / `presence:leaving`.
#[derive(Serialize)]
struct Member<'a> {
    user_id: SioUserId<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_info: Option<&'a RawValue>,
}

/// The packet for `kind`, or `None` when Socket.IO clients never get it.
fn packet(kind: &Kind, offset: Option<&str>) -> Option<String> {
    let event_packet = |event: &str, channel: &str, data: Option<&dyn erased::Data>| {
        event_packet(event, channel, data, offset)
    };
    match kind {
        Kind::Event {
            channel,
            event,
            payload,
            ..
        } => Some(match payload {
            Payload::Text(text) => match serde_json::from_str::<&RawValue>(text) {
                Ok(json) => event_packet(event, channel.as_str(), Some(&json)),
                Err(_) => event_packet(event, channel.as_str(), Some(&text.as_str())),
            },
            Payload::Json(json) => event_packet(event, channel.as_str(), Some(&&**json)),
            Payload::Empty => event_packet(event, channel.as_str(), None),
        }),
        Kind::MemberAdded {
            channel,
            user_id,
            user_info,
        } => Some(member_packet(
            ("presence:joining", channel.as_str()),
            user_id.as_str(),
            user_info,
            offset,
        )),
        Kind::MemberRemoved {
            channel,
            user_id,
            user_info,
        } => Some(member_packet(
            ("presence:leaving", channel.as_str()),
            user_id.as_str(),
            user_info,
            offset,
        )),
        Kind::Watchlist { .. } | Kind::SubscriptionCount { .. } => None,
    }
}

fn member_packet(
    (event, channel): (&str, &str),
    user_id: &str,
    user_info: &Option<Box<RawValue>>,
    offset: Option<&str>,
) -> String {
    let member = Member {
        user_id: SioUserId(user_id),
        user_info: user_info.as_deref(),
    };
    event_packet(event, channel, Some(&member), offset)
}

/// Serializable data of any type, behind one reference type.
mod erased {
    pub trait Data {
        fn json(&self) -> serde_json::Result<String>;
    }

    impl<T: serde::Serialize> Data for T {
        fn json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}

/// `42["event","channel",data]`, or `42["event","channel"]` without data; with an offset,
/// `42["event","channel",data,"offset"]` (`null` for missing data).
fn event_packet(
    event: &str,
    channel: &str,
    data: Option<&dyn erased::Data>,
    offset: Option<&str>,
) -> String {
    let head = serde_json::to_string(&(event, channel)).expect("strings serialize");
    let data = data.map(|d| d.json().expect("event data serializes"));
    let mut out = String::with_capacity(8 + head.len() + data.as_ref().map_or(4, String::len));
    out.push_str("42");
    out.push_str(&head[..head.len() - 1]);
    match (data, offset) {
        (Some(data), _) => {
            out.push(',');
            out.push_str(&data);
        }
        (None, Some(_)) => out.push_str(",null"),
        (None, None) => {}
    }
    if let Some(offset) = offset {
        out.push_str(",\"");
        out.push_str(offset); // digits: nothing to escape
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use resso_protocol::{ChannelName, Limits, UserId};

    use super::SocketIo;
    use crate::broadcast::{Broadcast, Payload};
    use crate::ws::frame;

    fn channel(name: &str) -> ChannelName {
        ChannelName::parse(name, &Limits::default()).unwrap()
    }

    fn raw(json: &str) -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string(json.into()).unwrap()
    }

    fn packet(msg: &Broadcast) -> &str {
        msg.encoded::<SocketIo>().unwrap().text()
    }

    fn event(payload: Payload) -> Broadcast {
        Broadcast::event(
            channel("orders.1"),
            r"App\Events\Shipped".into(),
            payload,
            None,
        )
    }

    #[test]
    fn an_api_payload_holding_json_is_embedded_raw() {
        let msg = event(Payload::Text(r#"{"id":1,"name":"A\/B"}"#.into()));
        assert_eq!(
            packet(&msg),
            r#"42["App\\Events\\Shipped","orders.1",{"id":1,"name":"A\/B"}]"#
        );
        let padded = event(Payload::Text(" [1, 2] ".into()));
        assert_eq!(
            packet(&padded),
            r#"42["App\\Events\\Shipped","orders.1",[1, 2]]"#
        );
    }

    #[test]
    fn a_payload_that_is_not_json_becomes_a_json_string() {
        let msg = event(Payload::Text("hello \"you\"".into()));
        assert_eq!(
            packet(&msg),
            r#"42["App\\Events\\Shipped","orders.1","hello \"you\""]"#
        );
        let half = event(Payload::Text(r#"{"a":"#.into()));
        assert_eq!(
            packet(&half),
            r#"42["App\\Events\\Shipped","orders.1","{\"a\":"]"#
        );
    }

    #[test]
    fn client_payloads_stay_json_and_a_missing_one_is_left_out() {
        let user = Some(UserId::from("7"));
        let msg = Broadcast::event(
            channel("presence-room"),
            "client-typing".into(),
            Payload::Json(raw(r#"{"typing":true}"#)),
            user,
        );
        assert_eq!(
            packet(&msg),
            r#"42["client-typing","presence-room",{"typing":true}]"#
        );
        let empty = Broadcast::event(
            channel("private-x"),
            "client-ping".into(),
            Payload::Empty,
            None,
        );
        assert_eq!(packet(&empty), r#"42["client-ping","private-x"]"#);
    }

    #[test]
    fn presence_changes_carry_the_member() {
        let joined = Broadcast::member_added(
            channel("presence-room"),
            UserId::from("1"),
            Some(raw(r#"{"name":"Alice"}"#)),
        );
        assert_eq!(
            packet(&joined),
            r#"42["presence:joining","presence-room",{"user_id":1,"user_info":{"name":"Alice"}}]"#
        );
        let left = Broadcast::member_removed(channel("presence-room"), UserId::from("1"), None);
        assert_eq!(
            packet(&left),
            r#"42["presence:leaving","presence-room",{"user_id":1}]"#
        );
        let left_known = Broadcast::member_removed(
            channel("presence-room"),
            UserId::from("2"),
            Some(raw(r#"{"name":"Bob"}"#)),
        );
        assert_eq!(
            packet(&left_known),
            r#"42["presence:leaving","presence-room",{"user_id":2,"user_info":{"name":"Bob"}}]"#
        );
    }

    #[test]
    fn an_offset_is_the_last_argument_and_missing_data_becomes_null() {
        let msg = event(Payload::Text(r#"{"id":1}"#.into()));
        msg.set_offset(42);
        assert_eq!(
            packet(&msg),
            r#"42["App\\Events\\Shipped","orders.1",{"id":1},"42"]"#
        );
        let empty = Broadcast::event(
            channel("private-x"),
            "client-ping".into(),
            Payload::Empty,
            None,
        );
        empty.set_offset(7);
        assert_eq!(packet(&empty), r#"42["client-ping","private-x",null,"7"]"#);
        let left = Broadcast::member_removed(channel("presence-room"), UserId::from("1"), None);
        left.set_offset(9);
        assert_eq!(
            packet(&left),
            r#"42["presence:leaving","presence-room",{"user_id":1},"9"]"#
        );
        let plain = msg.encoded::<super::SocketIoPlain>().unwrap();
        assert_eq!(
            plain.text(),
            r#"42["App\\Events\\Shipped","orders.1",{"id":1}]"#
        );
    }

    #[test]
    fn counts_and_watchlists_are_not_for_socket_io() {
        let count = Broadcast::subscription_count(channel("news"), 3);
        assert!(count.encoded::<SocketIo>().is_none());
        let watch = Broadcast::watchlist(true, UserId::from("1"));
        assert!(watch.encoded::<SocketIo>().is_none());
    }

    #[test]
    fn the_frame_wraps_the_packet_and_both_are_encoded_once() {
        let msg = event(Payload::Text("x".repeat(300)));
        let encoded = || msg.encoded::<SocketIo>().unwrap();
        let frame = encoded().frame();
        assert_eq!(frame[0], 0x81, "a final text frame");
        assert_eq!(frame::payload(frame), &encoded().payload()[..]);
        assert_eq!(
            encoded().frame().as_ptr(),
            frame.as_ptr(),
            "cached, not re-encoded"
        );
        assert_eq!(
            encoded().payload().as_ptr(),
            frame[frame.len() - encoded().payload().len()..].as_ptr(),
            "the packet is the frame's own payload bytes"
        );
    }
}
