//! The wire format of a webhook (§6), free of I/O: each [`HookEvent`] becomes one JSON object,
//! rendered once and shared by every endpoint that wants it; a request body is `{"time_ms":…,
//! "events":[…]}` spliced from those objects; its signature is the hex HMAC-SHA256 of exactly the
//! bytes sent.

use std::borrow::Cow;

use resso_protocol::{ChannelKind, ChannelName, UserId};
use serde::Serialize;

use super::HookEvent;

/// Every event `name`, in the order the per-type counters keep them: the names an endpoint may
/// ask for.
pub const NAMES: [&str; 7] = crate::config::WEBHOOK_EVENTS;

/// The index in [`NAMES`] of a rendered event's name (rendered events start with it).
#[must_use]
pub fn name_index(rendered: &str) -> Option<usize> {
    let name = rendered.strip_prefix("{\"name\":\"")?.split('"').next()?;
    NAMES.iter().position(|n| *n == name)
}

/// The `name` an event carries, which endpoints filter on.
#[must_use]
pub fn name(event: &HookEvent) -> &'static str {
    match event {
        HookEvent::ChannelOccupied { .. } => "channel_occupied",
        HookEvent::ChannelVacated { .. } => "channel_vacated",
        HookEvent::MemberAdded { .. } => "member_added",
        HookEvent::MemberRemoved { .. } => "member_removed",
        HookEvent::ClientEvent { .. } => "client_event",
        HookEvent::CacheMiss { .. } => "cache_miss",
        HookEvent::SubscriptionCount { .. } => "subscription_count",
    }
}

/// The channel an event is about.
#[must_use]
pub fn channel(event: &HookEvent) -> &ChannelName {
    match event {
        HookEvent::ChannelOccupied { channel }
        | HookEvent::ChannelVacated { channel }
        | HookEvent::MemberAdded { channel, .. }
        | HookEvent::MemberRemoved { channel, .. }
        | HookEvent::ClientEvent { channel, .. }
        | HookEvent::CacheMiss { channel }
        | HookEvent::SubscriptionCount { channel, .. } => channel,
    }
}

/// One event as sent; the `name` tag comes first, as in Pusher's examples.
#[derive(Serialize)]
#[serde(tag = "name", rename_all = "snake_case")]
enum Wire<'a> {
    ChannelOccupied {
        channel: &'a str,
    },
    ChannelVacated {
        channel: &'a str,
    },
    MemberAdded {
        channel: &'a str,
        user_id: &'a str,
    },
    MemberRemoved {
        channel: &'a str,
        user_id: &'a str,
    },
    ClientEvent {
        channel: &'a str,
        event: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Cow<'a, str>>,
        socket_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<&'a str>,
    },
    CacheMiss {
        channel: &'a str,
    },
    SubscriptionCount {
        channel: &'a str,
        subscription_count: usize,
    },
}

/// The JSON object for `event`.
#[must_use]
pub fn render(event: &HookEvent) -> String {
    let wire = match event {
        HookEvent::ChannelOccupied { channel } => Wire::ChannelOccupied {
            channel: channel.as_str(),
        },
        HookEvent::ChannelVacated { channel } => Wire::ChannelVacated {
            channel: channel.as_str(),
        },
        HookEvent::MemberAdded { channel, user_id } => Wire::MemberAdded {
            channel: channel.as_str(),
            user_id: user_id.as_str(),
        },
        HookEvent::MemberRemoved { channel, user_id } => Wire::MemberRemoved {
            channel: channel.as_str(),
            user_id: user_id.as_str(),
        },
        HookEvent::ClientEvent {
            channel,
            event,
            data,
            socket_id,
            user_id,
        } => Wire::ClientEvent {
            channel: channel.as_str(),
            event,
            data: data.as_deref().map(|raw| data_string(raw.get())),
            socket_id: socket_id.to_string(),
            user_id: user_id
                .as_ref()
                .filter(|_| channel.kind() == ChannelKind::Presence)
                .map(UserId::as_str),
        },
        HookEvent::CacheMiss { channel } => Wire::CacheMiss {
            channel: channel.as_str(),
        },
        HookEvent::SubscriptionCount { channel, count } => Wire::SubscriptionCount {
            channel: channel.as_str(),
            subscription_count: *count,
        },
    };
    serde_json::to_string(&wire).expect("a webhook event always serializes")
}

/// Client event data as Pusher documents it, a string: a JSON string is kept as that string, any
/// other JSON value becomes its own text.
fn data_string(raw: &str) -> Cow<'_, str> {
    match serde_json::from_str::<String>(raw) {
        Ok(text) => Cow::Owned(text),
        Err(_) => Cow::Borrowed(raw),
    }
}

/// The request body: `{"time_ms":…,"events":[…]}` around already rendered events.
#[must_use]
pub fn body<S: AsRef<str>>(time_ms: u64, events: &[S]) -> String {
    let len = events.iter().map(|e| e.as_ref().len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len + 40);
    out.push_str("{\"time_ms\":");
    out.push_str(&time_ms.to_string());
    out.push_str(",\"events\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(event.as_ref());
    }
    out.push_str("]}");
    out
}

/// `X-Pusher-Signature`: hex HMAC-SHA256 of the exact body under the app secret.
#[must_use]
pub fn signature(secret: &str, body: &str) -> String {
    resso_protocol::auth::sign_hex(secret, body.as_bytes())
}

#[cfg(test)]
mod tests {
    use resso_protocol::{Limits, SocketId};
    use serde_json::{json, value::RawValue, Value};

    use super::*;

    fn ch(name: &str) -> ChannelName {
        ChannelName::parse(name, &Limits::default()).unwrap()
    }

    fn parsed(event: &HookEvent) -> Value {
        serde_json::from_str(&render(event)).unwrap()
    }

    fn client_event(channel: &str, data: &str) -> HookEvent {
        HookEvent::ClientEvent {
            channel: ch(channel),
            event: "client-typing".into(),
            data: Some(RawValue::from_string(data.into()).unwrap()),
            socket_id: SocketId::new(123, 456),
            user_id: Some(UserId::from("u1")),
        }
    }

    #[test]
    fn signs_the_reference_vector() {
        let event = render(&HookEvent::ChannelOccupied {
            channel: ch("my-channel"),
        });
        let body = body(1_700_000_000_000, &[event]);
        assert_eq!(
            body,
            r#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"my-channel"}]}"#
        );
        assert_eq!(
            signature("app-secret", &body),
            "fec9fff324b82111ea03affc886e951bec5ee7a9e365bfd05cf254414c990a1a"
        );
    }

    #[test]
    fn renders_every_kind() {
        let (c, u) = (ch("presence-room"), UserId::from("7"));
        let cases = [
            (
                HookEvent::ChannelVacated { channel: c.clone() },
                json!({"name": "channel_vacated", "channel": "presence-room"}),
            ),
            (
                HookEvent::MemberAdded {
                    channel: c.clone(),
                    user_id: u.clone(),
                },
                json!({"name": "member_added", "channel": "presence-room", "user_id": "7"}),
            ),
            (
                HookEvent::MemberRemoved {
                    channel: c.clone(),
                    user_id: u,
                },
                json!({"name": "member_removed", "channel": "presence-room", "user_id": "7"}),
            ),
            (
                HookEvent::CacheMiss {
                    channel: ch("cache-x"),
                },
                json!({"name": "cache_miss", "channel": "cache-x"}),
            ),
            (
                HookEvent::SubscriptionCount {
                    channel: ch("news"),
                    count: 3,
                },
                json!({"name": "subscription_count", "channel": "news", "subscription_count": 3}),
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(parsed(&event), expected);
            assert_eq!(expected["name"], name(&event));
        }
    }

    #[test]
    fn client_event_data_is_a_string_and_user_id_only_on_presence() {
        let presence = parsed(&client_event("presence-room", r#"{"a": 1}"#));
        assert_eq!(
            presence,
            json!({"name": "client_event", "channel": "presence-room", "event": "client-typing",
                   "data": "{\"a\": 1}", "socket_id": "123.456", "user_id": "u1"})
        );
        let private = parsed(&client_event("private-room", r#""hi \"there\"""#));
        assert_eq!(private["data"], "hi \"there\"");
        assert!(private.get("user_id").is_none());
    }

    #[test]
    fn body_joins_several_events() {
        assert_eq!(body(5, &["{}", "[]"]), r#"{"time_ms":5,"events":[{},[]]}"#);
        assert_eq!(body::<&str>(0, &[]), r#"{"time_ms":0,"events":[]}"#);
    }

    #[test]
    fn a_rendered_event_names_its_type() {
        let event = HookEvent::MemberAdded {
            channel: ch("presence-room"),
            user_id: "7".into(),
        };
        let index = name_index(&render(&event)).unwrap();
        assert_eq!(NAMES[index], name(&event));
        assert_eq!(name_index("{}"), None);
    }
}
