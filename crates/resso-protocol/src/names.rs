//! Validated identifiers. Everything past the parser holds one of these types, never a bare string,
//! so a channel's kind is decided once (by prefix, §3.2) and a socket id always has the `\d+.\d+`
//! shape every server SDK checks.

use std::fmt;
use std::sync::Arc;

use crate::Limits;

/// Why a name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {0} characters")]
    TooLong(usize),
    #[error("name contains a character outside [A-Za-z0-9_-=@,.;]")]
    BadCharacter,
    #[error("socket id must match \\d+.\\d+")]
    BadSocketId,
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The identifier as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(Arc::from(s))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
                Ok(Self::from(&*text))
            }
        }
    };
}

/// Serde for names carried between trusted parties (a cluster's nodes): as their text, decoded
/// with the syntax checked by `parse` and, for channels, no length limit (each app's limit was
/// applied where the name first arrived).
fn deserialize_with<'de, D, T>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, NameError>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

string_newtype!(
    /// An app's id, as used in HTTP API paths (`/apps/{id}/…`).
    AppId
);
string_newtype!(
    /// An app's public key, as used in WebSocket paths (`/app/{key}`).
    AppKey
);
string_newtype!(
    /// A user's id (presence `user_id` or signin `id`). Numeric ids are kept as their decimal text.
    UserId
);

/// A connection's id, `{a}.{b}` with both parts decimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId {
    high: u64,
    low: u64,
}

impl SocketId {
    /// Builds an id from its two numeric parts.
    #[must_use]
    pub const fn new(high: u64, low: u64) -> Self {
        Self { high, low }
    }

    /// Parses the `\d+.\d+` form.
    ///
    /// # Errors
    /// [`NameError::BadSocketId`] when `s` has another shape or a part overflows `u64`.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let (a, b) = s.split_once('.').ok_or(NameError::BadSocketId)?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return Err(NameError::BadSocketId);
        }
        let high = a.parse().map_err(|_| NameError::BadSocketId)?;
        let low = b.parse().map_err(|_| NameError::BadSocketId)?;
        Ok(Self { high, low })
    }
}

impl serde::Serialize for SocketId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SocketId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_with(d, Self::parse)
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.high, self.low)
    }
}

/// What a channel's prefix makes it (§3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Anyone may subscribe.
    Public,
    /// `private-`: subscription needs a signature.
    Private,
    /// `private-encrypted-`: private, with end-to-end encrypted payloads the server never reads.
    Encrypted,
    /// `presence-`: private, with a member list.
    Presence,
    /// `#server-to-user-{id}`: only the signed-in user `{id}` may subscribe.
    ServerToUser,
}

impl ChannelKind {
    /// Whether subscribing needs an `auth` signature.
    #[must_use]
    pub const fn needs_auth(self) -> bool {
        matches!(self, Self::Private | Self::Encrypted | Self::Presence)
    }

    /// Whether clients may send `client-*` events on it.
    #[must_use]
    pub const fn allows_client_events(self) -> bool {
        matches!(self, Self::Private | Self::Presence)
    }
}

const SERVER_TO_USER: &str = "#server-to-user-";

/// A validated channel name with the kind its prefix gives it.
#[derive(Debug, Clone)]
pub struct ChannelName {
    name: Arc<str>,
    kind: ChannelKind,
    cache: bool,
}

impl PartialEq for ChannelName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for ChannelName {}
impl std::hash::Hash for ChannelName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}
impl std::borrow::Borrow<str> for ChannelName {
    fn borrow(&self) -> &str {
        &self.name
    }
}

impl serde::Serialize for ChannelName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for ChannelName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let limits = Limits {
            channel_name: usize::MAX,
            ..Limits::default()
        };
        deserialize_with(d, |s| Self::parse(s, &limits))
    }
}

impl ChannelName {
    /// Validates a channel name: 1..=`limits.channel_name` bytes of `[A-Za-z0-9_\-=@,.;]`, or
    /// `#server-to-user-` followed by such characters.
    ///
    /// # Errors
    /// A [`NameError`] saying what is wrong.
    pub fn parse(s: &str, limits: &Limits) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.len() > limits.channel_name {
            return Err(NameError::TooLong(limits.channel_name));
        }
        let body = s.strip_prefix(SERVER_TO_USER).unwrap_or(s);
        if body.is_empty() || !body.bytes().all(is_channel_byte) {
            return Err(NameError::BadCharacter);
        }
        let (kind, cache) = classify(s);
        Ok(Self {
            name: Arc::from(s),
            kind,
            cache,
        })
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The kind the prefix gives the channel.
    #[must_use]
    pub const fn kind(&self) -> ChannelKind {
        self.kind
    }

    /// Whether it is a cache channel (`cache-`, `private-cache-`, …).
    #[must_use]
    pub const fn is_cache(&self) -> bool {
        self.cache
    }

    /// For `#server-to-user-{id}`, the `{id}`.
    #[must_use]
    pub fn server_to_user_id(&self) -> Option<&str> {
        self.name.strip_prefix(SERVER_TO_USER)
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

const fn is_channel_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'=' | b'@' | b',' | b'.' | b';')
}

fn classify(s: &str) -> (ChannelKind, bool) {
    const PREFIXES: [(&str, ChannelKind, bool); 8] = [
        ("private-encrypted-cache-", ChannelKind::Encrypted, true),
        ("private-encrypted-", ChannelKind::Encrypted, false),
        ("private-cache-", ChannelKind::Private, true),
        ("private-", ChannelKind::Private, false),
        ("presence-cache-", ChannelKind::Presence, true),
        ("presence-", ChannelKind::Presence, false),
        ("cache-", ChannelKind::Public, true),
        (SERVER_TO_USER, ChannelKind::ServerToUser, false),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _, _)| s.starts_with(prefix))
        .map_or((ChannelKind::Public, false), |&(_, kind, cache)| {
            (kind, cache)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ChannelName, NameError> {
        ChannelName::parse(s, &Limits::default())
    }

    #[test]
    fn kinds_follow_prefixes_in_order() {
        let kind = |s: &str| {
            let c = parse(s).unwrap();
            (c.kind(), c.is_cache())
        };
        assert_eq!(kind("orders"), (ChannelKind::Public, false));
        assert_eq!(kind("private-orders.1"), (ChannelKind::Private, false));
        assert_eq!(kind("private-encrypted-x"), (ChannelKind::Encrypted, false));
        assert_eq!(
            kind("private-encrypted-cache-x"),
            (ChannelKind::Encrypted, true)
        );
        assert_eq!(kind("presence-cache-x"), (ChannelKind::Presence, true));
        assert_eq!(kind("cache-x"), (ChannelKind::Public, true));
        assert_eq!(kind("privateer"), (ChannelKind::Public, false));
        assert_eq!(
            kind("#server-to-user-42"),
            (ChannelKind::ServerToUser, false)
        );
        assert_eq!(
            parse("#server-to-user-42").unwrap().server_to_user_id(),
            Some("42")
        );
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(parse(""), Err(NameError::Empty));
        assert_eq!(parse("a b"), Err(NameError::BadCharacter));
        assert_eq!(parse("#other"), Err(NameError::BadCharacter));
        assert_eq!(parse("#server-to-user-"), Err(NameError::BadCharacter));
        assert_eq!(parse(&"a".repeat(201)), Err(NameError::TooLong(200)));
        assert!(parse(&"a".repeat(200)).is_ok());
        assert!(parse("App.Models.User.1;x=y@z,w").is_ok());
    }

    #[test]
    fn socket_ids_round_trip_and_reject_bad_shapes() {
        let id = SocketId::parse("123.456").unwrap();
        assert_eq!(id.to_string(), "123.456");
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "a.1",
            "1.2.3",
            "1 .2",
            "-1.2",
            "99999999999999999999.1",
        ] {
            assert_eq!(SocketId::parse(bad), Err(NameError::BadSocketId), "{bad}");
        }
    }
}
