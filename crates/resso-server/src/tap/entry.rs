//! What a tap tells: one typed [`Entry`] per thing that happened, stamped into a [`Record`]. The
//! console reads a record as JSON (`type`, `kind` and the entry's fields, the channel and event
//! names as text); the `--debug` log writes an entry's `Display` line.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Pusher,
    SocketIo,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pusher => "pusher",
            Self::SocketIo => "socketio",
        })
    }
}

/// One thing that happened in an app. Socket ids, channels, events and users are text here:
/// an entry is only ever built for someone watching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    Connected {
        socket: String,
        via: Via,
    },
    Disconnected {
        socket: String,
        via: Via,
        code: u16,
    },
    Subscribed {
        socket: String,
        channel: String,
    },
    Unsubscribed {
        socket: String,
        channel: String,
    },
    SubscriptionRefused {
        socket: String,
        channel: String,
        reason: String,
    },
    Occupied {
        channel: String,
    },
    Vacated {
        channel: String,
    },
    MemberAdded {
        channel: String,
        user: String,
    },
    MemberRemoved {
        channel: String,
        user: String,
    },
    /// Published through the HTTP API (or the console's event creator).
    ApiEvent {
        channel: String,
        event: String,
        data: String,
        delivered: usize,
    },
    ClientEvent {
        socket: String,
        channel: String,
        event: String,
        data: String,
    },
    /// Read from Laravel's `redis` broadcaster.
    Ingested {
        channel: String,
        event: String,
        data: String,
        delivered: usize,
    },
    WebhookSent {
        url: String,
        events: String,
    },
    WebhookFailed {
        url: String,
        events: String,
        error: String,
    },
    ApiCall {
        method: String,
        path: String,
        status: u16,
    },
    /// A connection or an API call refused, with why.
    Refused {
        reason: String,
    },
}

/// The groups the console filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connection,
    Subscription,
    Channel,
    Presence,
    Api,
    Client,
    Webhook,
    Ingest,
    Refusal,
}

impl Kind {
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Connection => "connection",
            Self::Subscription => "subscription",
            Self::Channel => "channel",
            Self::Presence => "presence",
            Self::Api => "api",
            Self::Client => "client",
            Self::Webhook => "webhook",
            Self::Ingest => "ingest",
            Self::Refusal => "refusal",
        }
    }
}

/// The most of an event's data an entry keeps, in bytes.
pub const DATA_SHOWN: usize = 1024;

impl Entry {
    #[must_use]
    pub const fn kind(&self) -> Kind {
        match self {
            Self::Connected { .. } | Self::Disconnected { .. } => Kind::Connection,
            Self::Subscribed { .. } | Self::Unsubscribed { .. } => Kind::Subscription,
            Self::Occupied { .. } | Self::Vacated { .. } => Kind::Channel,
            Self::MemberAdded { .. } | Self::MemberRemoved { .. } => Kind::Presence,
            Self::ApiEvent { .. } | Self::ApiCall { .. } => Kind::Api,
            Self::ClientEvent { .. } => Kind::Client,
            Self::WebhookSent { .. } | Self::WebhookFailed { .. } => Kind::Webhook,
            Self::Ingested { .. } => Kind::Ingest,
            Self::SubscriptionRefused { .. } | Self::Refused { .. } => Kind::Refusal,
        }
    }

    /// `data` cut to [`DATA_SHOWN`] bytes (at a character boundary), marked when cut.
    #[must_use]
    pub fn clip(data: &str) -> String {
        if data.len() <= DATA_SHOWN {
            return data.to_owned();
        }
        let mut end = DATA_SHOWN;
        while !data.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &data[..end], data.len())
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected { socket, via } => {
                write!(f, "connection opened socket={socket} via={via}")
            }
            Self::Disconnected { socket, via, code } => {
                write!(f, "connection closed socket={socket} via={via} code={code}")
            }
            Self::Subscribed { socket, channel } => {
                write!(f, "subscribed socket={socket} channel={channel}")
            }
            Self::Unsubscribed { socket, channel } => {
                write!(f, "unsubscribed socket={socket} channel={channel}")
            }
            Self::SubscriptionRefused {
                socket,
                channel,
                reason,
            } => {
                write!(
                    f,
                    "subscription refused socket={socket} channel={channel}: {reason}"
                )
            }
            Self::Occupied { channel } => write!(f, "channel occupied channel={channel}"),
            Self::Vacated { channel } => write!(f, "channel vacated channel={channel}"),
            Self::MemberAdded { channel, user } => {
                write!(f, "member added channel={channel} user={user}")
            }
            Self::MemberRemoved { channel, user } => {
                write!(f, "member removed channel={channel} user={user}")
            }
            Self::ApiEvent {
                channel,
                event,
                data,
                delivered,
            } => write!(
                f,
                "API event channel={channel} event={event} delivered={delivered} data={data}"
            ),
            Self::ClientEvent {
                socket,
                channel,
                event,
                data,
            } => write!(
                f,
                "client event socket={socket} channel={channel} event={event} data={data}"
            ),
            Self::Ingested {
                channel,
                event,
                data,
                delivered,
            } => write!(
                f,
                "Redis event channel={channel} event={event} delivered={delivered} data={data}"
            ),
            Self::WebhookSent { url, events } => {
                write!(f, "webhook sent url={url} events={events}")
            }
            Self::WebhookFailed { url, events, error } => {
                write!(f, "webhook failed url={url} events={events}: {error}")
            }
            Self::ApiCall {
                method,
                path,
                status,
            } => write!(f, "API call {method} {path} -> {status}"),
            Self::Refused { reason } => write!(f, "refused: {reason}"),
        }
    }
}

/// An entry with the time it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub entry: Entry,
}

impl Record {
    #[must_use]
    pub fn now(entry: Entry) -> Self {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let at_ms = since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self { at_ms, entry }
    }

    /// `{"at": ms, "kind": …, "type": …, <the entry's fields>}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.entry).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            fields.insert("at".into(), self.at_ms.into());
            fields.insert("kind".into(), self.entry.kind().label().into());
        }
        value
    }
}
