//! The bodies the Pusher HTTP API takes and answers (§5.3–5.7 of the protocol reference), typed so
//! callers of [`PusherClient`](super::PusherClient) read fields, not JSON.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One item of a batch trigger.
#[derive(Debug, Clone, Serialize)]
pub struct BatchEvent {
    pub channel: String,
    pub name: String,
    /// The event data, a string (usually JSON).
    pub data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

/// Attributes of one channel, as `info` asks for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChannelAttributes {
    pub user_count: Option<u64>,
    pub subscription_count: Option<u64>,
}

/// Answer of `POST /events` (and of `GET /channels`): attributes per channel when `info` was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Channels {
    #[serde(default)]
    pub channels: HashMap<String, ChannelAttributes>,
}

/// Answer of `POST /batch_events`: attributes per item when any item asked for `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BatchAnswer {
    #[serde(default)]
    pub batch: Vec<ChannelAttributes>,
}

/// Answer of `GET /channels/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChannelInfo {
    pub occupied: bool,
    pub user_count: Option<u64>,
    pub subscription_count: Option<u64>,
}

/// Answer of `GET /channels/{name}/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Users {
    pub users: Vec<UserRef>,
}

/// One presence member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserRef {
    pub id: String,
}
