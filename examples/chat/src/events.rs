//! What the chat broadcasts. Named by their bare type names (the app's broadcaster has an empty
//! namespace), so the page binds `MessageSent` and `DirectMessage`.

use resso_broadcasting::{Channel, ShouldBroadcast};
use serde::Serialize;

use crate::users::User;

/// A message to everyone in a room, on `presence-chat.{room}`.
#[derive(Debug, Serialize)]
pub struct MessageSent {
    #[serde(skip)]
    pub room: String,
    pub from: User,
    pub text: String,
}

/// A message to one user, on their `private-users.{id}`.
#[derive(Debug, Serialize)]
pub struct DirectMessage {
    #[serde(skip)]
    pub to: u64,
    pub from: User,
    pub text: String,
}

impl ShouldBroadcast for MessageSent {
    fn broadcast_on(&self) -> Vec<Channel> {
        vec![Channel::presence(format!("chat.{}", self.room))]
    }
}

impl ShouldBroadcast for DirectMessage {
    fn broadcast_on(&self) -> Vec<Channel> {
        vec![Channel::private(format!("users.{}", self.to))]
    }
}
