//! What nodes tell each other through the broker, as JSON. Every message names the node it comes
//! from, so a node ignores its own echo. Events carry the excluded `socket_id` so exclusion holds on
//! every node; state changes travel as small deltas, and a full [`Snapshot`] answers a `Hello` so a
//! node that (re)joins — or comes back after a broker outage — converges with the others.
//! Enums are externally tagged (`{"delta":{…}}`): serde cannot buffer the byte-exact `RawValue`
//! payloads inside internally tagged ones. Names travel as text and are parsed once, at decode,
//! into the typed names the registry uses (a message with a malformed name is refused whole).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use resso_protocol::{AppId, ChannelName, SocketId, UserId};

use crate::broadcast::{Broadcast, Kind, Payload};

/// A node's id: random per process.
pub type NodeId = u64;

/// One message between nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wire {
    /// An event to deliver to local subscribers of `channel`.
    Publish(Publish),
    /// A change in the sender's local state.
    Delta {
        node: NodeId,
        app: AppId,
        change: Change,
    },
    /// The sender is alive; `connections` per app.
    Heartbeat {
        node: NodeId,
        connections: HashMap<AppId, u64>,
    },
    /// The sender (re)joined: here is its state; please answer with yours.
    Hello { node: NodeId, snapshot: Snapshot },
    /// An answer to `Hello`.
    State { node: NodeId, snapshot: Snapshot },
    /// The sender is shutting down cleanly.
    Bye { node: NodeId },
    /// Close every connection signed in as `user`.
    Terminate {
        node: NodeId,
        app: AppId,
        user: UserId,
    },
}

/// A channel event crossing nodes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Publish {
    pub node: NodeId,
    pub app: AppId,
    pub channel: ChannelName,
    pub event: String,
    /// From the HTTP API: the data string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// From a client: the JSON value it sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<SocketId>,
}

impl Publish {
    /// A client event for the other nodes, excluding its sender there too; `None` when `msg` is
    /// not a channel event.
    #[must_use]
    pub fn client_event(
        node: NodeId,
        app: &AppId,
        msg: &Broadcast,
        sender: SocketId,
    ) -> Option<Self> {
        let Kind::Event {
            channel,
            event,
            payload,
            user_id,
        } = msg.kind()
        else {
            return None;
        };
        let (text, json) = match payload {
            Payload::Text(t) => (Some(t.clone()), None),
            Payload::Json(j) => (None, Some(j.clone())),
            Payload::Empty => (None, None),
        };
        Some(Self {
            node,
            app: app.clone(),
            channel: channel.clone(),
            event: event.clone(),
            text,
            json,
            user_id: user_id.clone(),
            except: Some(sender),
        })
    }
}

/// A change of one node's local state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Subscribed {
        channel: ChannelName,
        member: Option<MemberWire>,
    },
    Unsubscribed {
        channel: ChannelName,
        user: Option<UserId>,
    },
    SignedIn {
        user: UserId,
    },
    SignedOut {
        user: UserId,
    },
}

/// A presence member on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberWire {
    pub user: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Box<RawValue>>,
}

/// Everything a node holds locally, per app.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub apps: HashMap<AppId, AppSnapshot>,
}

/// One app's local state on one node.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AppSnapshot {
    pub connections: u64,
    /// Channel → (subscriber count, presence members with their connection counts).
    pub channels: HashMap<ChannelName, ChannelSnapshot>,
    /// Signed-in user → connection count.
    pub users: HashMap<UserId, usize>,
}

/// One channel's local state on one node.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChannelSnapshot {
    pub subscribers: usize,
    pub members: Vec<(MemberWire, usize)>,
}

impl Wire {
    /// The node that sent it.
    #[must_use]
    pub fn node(&self) -> NodeId {
        match self {
            Self::Publish(p) => p.node,
            Self::Delta { node, .. }
            | Self::Heartbeat { node, .. }
            | Self::Hello { node, .. }
            | Self::State { node, .. }
            | Self::Bye { node }
            | Self::Terminate { node, .. } => *node,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_tagged_json() {
        let info = RawValue::from_string(r#"{"name":"A\/B"}"#.into()).unwrap();
        let channel = ChannelName::parse("presence-x", &resso_protocol::Limits::default()).unwrap();
        let change = Change::Subscribed {
            channel,
            member: Some(MemberWire {
                user: "1".into(),
                info: Some(info),
            }),
        };
        let wire = Wire::Delta {
            node: 7,
            app: "app".into(),
            change,
        };
        let text = serde_json::to_string(&wire).unwrap();
        assert!(text.starts_with(r#"{"delta":{"node":7"#), "{text}");
        assert!(
            text.contains(r#""info":{"name":"A\/B"}"#),
            "info kept byte-exact: {text}"
        );
        let back: Wire = serde_json::from_str(&text).unwrap();
        assert_eq!(back.node(), 7);
        let Wire::Delta {
            change: Change::Subscribed { channel, .. },
            ..
        } = back
        else {
            panic!("a delta: {text}");
        };
        assert_eq!(
            channel.kind(),
            resso_protocol::ChannelKind::Presence,
            "parsed at decode"
        );
    }

    #[test]
    fn a_malformed_name_refuses_the_message_at_decode() {
        let fine = r#"{"delta":{"node":1,"app":"a","change":{"signed_in":{"user":"u"}}}}"#;
        assert!(serde_json::from_str::<Wire>(fine).is_ok());
        let bad = r#"{"delta":{"node":1,"app":"a","change":{"subscribed":{"channel":"no spaces","member":null}}}}"#;
        assert!(serde_json::from_str::<Wire>(bad).is_err());
        let bad_socket =
            r#"{"publish":{"node":1,"app":"a","channel":"c","event":"e","except":"x"}}"#;
        assert!(serde_json::from_str::<Wire>(bad_socket).is_err());
    }
}
