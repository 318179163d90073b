//! Frames the server sends (§2), each encoded once into JSON text. The forms follow the table in §2.1:
//! `data` is a JSON *string* where pusher-js and the stricter client libraries expect one.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::names::{SocketId, UserId};

#[derive(Serialize)]
struct Frame<'a, D: Serialize> {
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

fn encode<D: Serialize>(event: &str, channel: Option<&str>, data: Option<D>) -> String {
    let frame = Frame {
        event,
        channel,
        data,
        user_id: None,
    };
    serde_json::to_string(&frame).expect("frames serialize")
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("values serialize")
}

/// `pusher:pong` in answer to a client's ping.
pub const PONG: &str = r#"{"event":"pusher:pong","data":{}}"#;
/// `pusher:ping` to a silent client.
pub const PING: &str = r#"{"event":"pusher:ping","data":{}}"#;

/// `pusher:connection_established`, `data` a JSON string.
#[must_use]
pub fn connection_established(socket_id: SocketId, activity_timeout_secs: u64) -> String {
    #[derive(Serialize)]
    struct Data {
        socket_id: String,
        activity_timeout: u64,
    }
    let data = json(&Data {
        socket_id: socket_id.to_string(),
        activity_timeout: activity_timeout_secs,
    });
    encode("pusher:connection_established", None, Some(data))
}

/// `pusher:error` with an object `data`; `code` is `null` for errors that are not close codes.
#[must_use]
pub fn error(code: Option<u16>, message: &str) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        code: Option<u16>,
        message: &'a str,
    }
    encode("pusher:error", None, Some(Data { code, message }))
}

/// `pusher_internal:subscription_succeeded` for a channel without presence.
#[must_use]
pub fn subscription_succeeded(channel: &str) -> String {
    encode(
        "pusher_internal:subscription_succeeded",
        Some(channel),
        Some("{}"),
    )
}

/// `pusher_internal:subscription_succeeded` for a presence channel; one entry per distinct user.
#[must_use]
pub fn presence_succeeded<'a, I>(channel: &str, members: I) -> String
where
    I: IntoIterator<Item = (&'a UserId, Option<&'a RawValue>)>,
{
    struct Hash<'a>(Vec<(&'a str, Option<&'a RawValue>)>);
    impl Serialize for Hash<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().copied())
        }
    }
    #[derive(Serialize)]
    struct Presence<'a> {
        ids: Vec<&'a str>,
        hash: Hash<'a>,
        count: usize,
    }
    #[derive(Serialize)]
    struct Data<'a> {
        presence: Presence<'a>,
    }
    let hash: Vec<_> = members
        .into_iter()
        .map(|(id, info)| (id.as_str(), info))
        .collect();
    let ids = hash.iter().map(|(id, _)| *id).collect();
    let count = hash.len();
    let data = json(&Data {
        presence: Presence {
            ids,
            hash: Hash(hash),
            count,
        },
    });
    encode(
        "pusher_internal:subscription_succeeded",
        Some(channel),
        Some(data),
    )
}

/// `pusher_internal:member_added`, `data` a JSON string.
#[must_use]
pub fn member_added(channel: &str, user_id: &UserId, user_info: Option<&RawValue>) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        user_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_info: Option<&'a RawValue>,
    }
    let data = json(&Data {
        user_id: user_id.as_str(),
        user_info,
    });
    encode("pusher_internal:member_added", Some(channel), Some(data))
}

/// `pusher_internal:member_removed`, `data` a JSON string.
#[must_use]
pub fn member_removed(channel: &str, user_id: &UserId) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        user_id: &'a str,
    }
    encode(
        "pusher_internal:member_removed",
        Some(channel),
        Some(json(&Data {
            user_id: user_id.as_str(),
        })),
    )
}

/// Channel-scoped `pusher:subscription_error`, which Laravel Echo's `.error()` receives (§2.4).
#[must_use]
pub fn subscription_error(channel: &str, kind: &str, error: &str, status: u16) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        error: &'a str,
        status: u16,
    }
    encode(
        "pusher:subscription_error",
        Some(channel),
        Some(Data {
            kind,
            error,
            status,
        }),
    )
}

/// The `data` of a channel event: a string from the HTTP API, or the JSON a client sent.
#[derive(Debug, Clone, Copy)]
pub enum EventData<'a> {
    /// Sent as a JSON string, byte-for-byte what the publisher gave.
    Text(&'a str),
    /// Sent as the JSON value it is.
    Json(&'a RawValue),
    /// No `data` member.
    None,
}

/// A channel event; `user_id` is added for client events on presence channels.
#[must_use]
pub fn channel_event(
    event: &str,
    channel: &str,
    data: EventData<'_>,
    user_id: Option<&str>,
) -> String {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Data<'a> {
        Text(&'a str),
        Json(&'a RawValue),
    }
    let data = match data {
        EventData::Text(t) => Some(Data::Text(t)),
        EventData::Json(j) => Some(Data::Json(j)),
        EventData::None => None,
    };
    let frame = Frame {
        event,
        channel: Some(channel),
        data,
        user_id,
    };
    serde_json::to_string(&frame).expect("frames serialize")
}

/// `pusher:signin_success`; `data` is an object whose `user_data` is the signed string (§2.6).
#[must_use]
pub fn signin_success(user_data: &str) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        user_data: &'a str,
    }
    encode("pusher:signin_success", None, Some(Data { user_data }))
}

/// `pusher_internal:watchlist_events` with `online` and/or `offline` groups (empty groups omitted).
#[must_use]
pub fn watchlist_events(online: &[&UserId], offline: &[&UserId]) -> String {
    #[derive(Serialize)]
    struct Group<'a> {
        name: &'a str,
        user_ids: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Data<'a> {
        events: Vec<Group<'a>>,
    }
    let events: Vec<Group<'_>> = [("online", online), ("offline", offline)]
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(name, ids)| Group {
            name,
            user_ids: ids.iter().map(|id| id.as_str()).collect(),
        })
        .collect();
    encode(
        "pusher_internal:watchlist_events",
        None,
        Some(json(&Data { events })),
    )
}

/// `pusher:cache_miss` for a cache channel with nothing cached.
#[must_use]
pub fn cache_miss(channel: &str) -> String {
    encode("pusher:cache_miss", Some(channel), Some("{}"))
}

/// `pusher_internal:subscription_count`, `data` a JSON string.
#[must_use]
pub fn subscription_count(channel: &str, count: usize) -> String {
    #[derive(Serialize)]
    struct Data {
        subscription_count: usize,
    }
    let data = json(&Data {
        subscription_count: count,
    });
    encode(
        "pusher_internal:subscription_count",
        Some(channel),
        Some(data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_established_has_string_data() {
        let f = connection_established(SocketId::new(123, 456), 120);
        assert_eq!(
            f,
            r#"{"event":"pusher:connection_established","data":"{\"socket_id\":\"123.456\",\"activity_timeout\":120}"}"#
        );
    }

    #[test]
    fn presence_payload_matches_the_reference() {
        let alice = RawValue::from_string(r#"{"name":"Alice"}"#.into()).unwrap();
        let bob = RawValue::from_string(r#"{"name":"Bob"}"#.into()).unwrap();
        let (one, two) = (UserId::from("1"), UserId::from("2"));
        let f = presence_succeeded(
            "presence-chat.1",
            [(&one, Some(&*alice)), (&two, Some(&*bob))],
        );
        assert_eq!(
            f,
            r#"{"event":"pusher_internal:subscription_succeeded","channel":"presence-chat.1","data":"{\"presence\":{\"ids\":[\"1\",\"2\"],\"hash\":{\"1\":{\"name\":\"Alice\"},\"2\":{\"name\":\"Bob\"}},\"count\":2}}"}"#
        );
        let added = member_added("presence-chat.1", &one, Some(&alice));
        assert_eq!(
            added,
            r#"{"event":"pusher_internal:member_added","channel":"presence-chat.1","data":"{\"user_id\":\"1\",\"user_info\":{\"name\":\"Alice\"}}"}"#
        );
        assert_eq!(
            member_removed("presence-chat.1", &one),
            r#"{"event":"pusher_internal:member_removed","channel":"presence-chat.1","data":"{\"user_id\":\"1\"}"}"#
        );
    }

    #[test]
    fn user_frames_match_the_reference() {
        assert_eq!(
            signin_success(r#"{"id":"1"}"#),
            r#"{"event":"pusher:signin_success","data":{"user_data":"{\"id\":\"1\"}"}}"#
        );
        let (two, three, four) = (UserId::from("2"), UserId::from("3"), UserId::from("4"));
        assert_eq!(
            watchlist_events(&[&two], &[&three, &four]),
            r#"{"event":"pusher_internal:watchlist_events","data":"{\"events\":[{\"name\":\"online\",\"user_ids\":[\"2\"]},{\"name\":\"offline\",\"user_ids\":[\"3\",\"4\"]}]}"}"#
        );
        assert_eq!(
            subscription_count("c", 3),
            r#"{"event":"pusher_internal:subscription_count","channel":"c","data":"{\"subscription_count\":3}"}"#
        );
    }

    #[test]
    fn events_keep_their_data_form() {
        let text = channel_event(
            "my-event",
            "c",
            EventData::Text(r#"{"message":"hello"}"#),
            None,
        );
        assert_eq!(
            text,
            r#"{"event":"my-event","channel":"c","data":"{\"message\":\"hello\"}"}"#
        );
        let raw = RawValue::from_string(r#"{"a":1}"#.into()).unwrap();
        let json = channel_event("client-x", "presence-c", EventData::Json(&raw), Some("7"));
        assert_eq!(
            json,
            r#"{"event":"client-x","channel":"presence-c","data":{"a":1},"user_id":"7"}"#
        );
        assert_eq!(
            error(None, "x"),
            r#"{"event":"pusher:error","data":{"code":null,"message":"x"}}"#
        );
        assert_eq!(
            subscription_error("private-x", "AuthError", "bad", 401),
            r#"{"event":"pusher:subscription_error","channel":"private-x","data":{"type":"AuthError","error":"bad","status":401}}"#
        );
    }
}
