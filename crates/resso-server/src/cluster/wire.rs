//! What nodes tell each other through the broker, as JSON. Every message names the node it comes
//! from, so a node ignores its own echo. Events carry the excluded `socket_id` so exclusion holds on
//! every node; state changes travel as small deltas, and a full [`Snapshot`] answers a `Hello` so a
//! node that (re)joins — or comes back after a broker outage — converges with the others.
//! Enums are externally tagged (`{"delta":{…}}`): serde cannot buffer the byte-exact `RawValue`
//! payloads inside internally tagged ones. Names travel as text and are parsed once, at decode,
//! into the typed names the registry uses (a message with a malformed name is refused whole).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use resso_protocol::{AppId, UserId};

use crate::registry::replica::{Change, NodeId, Publish, Snapshot};
use crate::registry::Handover;

/// One message between nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wire {
    /// An event to deliver to local subscribers of `channel`.
    Publish(Publish),
    /// A change in the sender's local state (numbered with its publishes).
    Delta {
        node: NodeId,
        app: AppId,
        change: Change,
        #[serde(default)]
        seq: u64,
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
    /// A step of a Socket.IO recovery handed over between nodes (most are for one node).
    Handover { node: NodeId, handover: Handover },
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
            | Self::Terminate { node, .. }
            | Self::Handover { node, .. } => *node,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::replica::MemberInfo;
    use resso_protocol::ChannelName;
    use serde_json::value::RawValue;

    #[test]
    fn round_trips_as_tagged_json() {
        let info = RawValue::from_string(r#"{"name":"A\/B"}"#.into()).unwrap();
        let channel = ChannelName::parse("presence-x", &resso_protocol::Limits::default()).unwrap();
        let change = Change::Subscribed {
            channel,
            member: Some(MemberInfo {
                user: "1".into(),
                info: Some(info),
            }),
        };
        let wire = Wire::Delta {
            node: 7,
            app: "app".into(),
            change,
            seq: 1,
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
