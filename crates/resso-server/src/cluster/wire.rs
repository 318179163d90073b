//! What nodes tell each other through the broker, as JSON. Every message names the node it comes
//! from, so a node ignores its own echo. Events carry the excluded `socket_id` so exclusion holds on
//! every node; state changes travel as small deltas, and a full [`Snapshot`] answers a `Hello` so a
//! node that (re)joins — or comes back after a broker outage — converges with the others.
//! Enums are externally tagged (`{"delta":{…}}`): serde cannot buffer the byte-exact `RawValue`
//! payloads inside internally tagged ones.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use resso_protocol::{AppId, SocketId};

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
        app: String,
        change: Change,
    },
    /// The sender is alive; `connections` per app.
    Heartbeat {
        node: NodeId,
        connections: HashMap<String, u64>,
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
        app: String,
        user: String,
    },
}

/// A channel event crossing nodes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Publish {
    pub node: NodeId,
    pub app: String,
    pub channel: String,
    pub event: String,
    /// From the HTTP API: the data string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// From a client: the JSON value it sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<String>,
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
            app: app.to_string(),
            channel: channel.to_string(),
            event: event.clone(),
            text,
            json,
            user_id: user_id.as_ref().map(ToString::to_string),
            except: Some(sender.to_string()),
        })
    }
}

/// A change of one node's local state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Subscribed {
        channel: String,
        member: Option<MemberWire>,
    },
    Unsubscribed {
        channel: String,
        user: Option<String>,
    },
    SignedIn {
        user: String,
    },
    SignedOut {
        user: String,
    },
}

/// A presence member on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberWire {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Box<RawValue>>,
}

/// Everything a node holds locally, per app.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub apps: HashMap<String, AppSnapshot>,
}

/// One app's local state on one node.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AppSnapshot {
    pub connections: u64,
    /// Channel → (subscriber count, presence members with their connection counts).
    pub channels: HashMap<String, ChannelSnapshot>,
    /// Signed-in user → connection count.
    pub users: HashMap<String, usize>,
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
        let change = Change::Subscribed {
            channel: "presence-x".into(),
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
    }
}
