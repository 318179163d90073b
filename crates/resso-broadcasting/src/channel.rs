//! The four channel types Laravel has, as one enum: the prefix a channel carries on the wire is
//! decided here once, so an event never spells `private-` by hand.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A channel an event is broadcast on. [`Channel::name`] is the name on the wire (with its prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Channel {
    /// Anyone may subscribe (`Echo.channel('orders')`).
    Public(String),
    /// `private-…`: subscribers are authorized by your app (`Echo.private('orders.1')`).
    Private(String),
    /// `presence-…`: private, with a member list (`Echo.join('chat.1')`).
    Presence(String),
    /// `private-encrypted-…`: private, payloads end-to-end encrypted with a master key
    /// (`Echo.encryptedPrivate('doc.1')`).
    Encrypted(String),
}

const ENCRYPTED: &str = "private-encrypted-";
const PRIVATE: &str = "private-";
const PRESENCE: &str = "presence-";

impl Channel {
    /// A public channel.
    pub fn public(name: impl Into<String>) -> Self {
        Self::Public(name.into())
    }

    /// A private channel; `name` without the `private-` prefix.
    pub fn private(name: impl Into<String>) -> Self {
        Self::Private(name.into())
    }

    /// A presence channel; `name` without the `presence-` prefix.
    pub fn presence(name: impl Into<String>) -> Self {
        Self::Presence(name.into())
    }

    /// An encrypted private channel; `name` without the `private-encrypted-` prefix.
    pub fn encrypted(name: impl Into<String>) -> Self {
        Self::Encrypted(name.into())
    }

    /// Reads a wire name (`private-orders.1` → `Private("orders.1")`).
    #[must_use]
    pub fn parse(wire: &str) -> Self {
        if let Some(rest) = wire.strip_prefix(ENCRYPTED) {
            Self::encrypted(rest)
        } else if let Some(rest) = wire.strip_prefix(PRIVATE) {
            Self::private(rest)
        } else if let Some(rest) = wire.strip_prefix(PRESENCE) {
            Self::presence(rest)
        } else {
            Self::public(wire)
        }
    }

    /// The name on the wire, prefix included.
    #[must_use]
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// The name without its prefix — what channel authorization patterns match.
    #[must_use]
    pub fn base(&self) -> &str {
        match self {
            Self::Public(n) | Self::Private(n) | Self::Presence(n) | Self::Encrypted(n) => n,
        }
    }

    /// Whether payloads on it must be encrypted.
    #[must_use]
    pub const fn is_encrypted(&self) -> bool {
        matches!(self, Self::Encrypted(_))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self {
            Self::Public(_) => "",
            Self::Private(_) => PRIVATE,
            Self::Presence(_) => PRESENCE,
            Self::Encrypted(_) => ENCRYPTED,
        };
        write!(f, "{prefix}{}", self.base())
    }
}

impl From<Channel> for String {
    fn from(c: Channel) -> Self {
        c.name()
    }
}

impl From<String> for Channel {
    fn from(wire: String) -> Self {
        Self::parse(&wire)
    }
}

impl From<&str> for Channel {
    fn from(wire: &str) -> Self {
        Self::parse(wire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for (channel, wire) in [
            (Channel::public("orders"), "orders"),
            (Channel::private("orders.1"), "private-orders.1"),
            (Channel::presence("chat.1"), "presence-chat.1"),
            (Channel::encrypted("doc"), "private-encrypted-doc"),
        ] {
            assert_eq!(channel.name(), wire);
            assert_eq!(Channel::parse(wire), channel);
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(json, format!("\"{wire}\""));
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), channel);
        }
    }
}
