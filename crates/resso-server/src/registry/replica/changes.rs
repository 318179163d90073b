//! The replication vocabulary: what a node's registry tells the others about itself — events to
//! deliver ([`Publish`]), changes of its local state ([`Change`]), and its whole state
//! ([`Snapshot`]) — each naming the node it comes from. These are the registry's own types; the
//! cluster transport wraps them in its envelope and carries them as JSON. Names are parsed once,
//! at decode, into the typed names the registry uses (a message with a malformed name is refused
//! whole). Payloads stay byte-exact `RawValue`s.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use resso_protocol::{AppId, ChannelName, SocketId, UserId};

use crate::broadcast::{Broadcast, Kind};

/// A node's id: random per process.
pub type NodeId = u64;

/// A channel event crossing nodes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Publish {
    pub node: NodeId,
    /// Its number among `node`'s publishes (from 1), given as it is relayed.
    #[serde(default)]
    pub seq: u64,
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
        let (text, json) = payload.to_parts();
        Some(Self {
            node,
            seq: 0,
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
        member: Option<MemberInfo>,
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

/// A presence member as other nodes see it: the user and the info it joined with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberInfo {
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
    pub members: Vec<(MemberInfo, usize)>,
}
