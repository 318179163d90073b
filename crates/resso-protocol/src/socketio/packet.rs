//! The Socket.IO packet inside an Engine.IO message: `<type>[<attachments>-][<nsp>,][<id>][<json>]`
//! (`0/admin,`, `2["subscribe",{…}]`, `312["ok"]`). Protocol 4 (client 2.x) and 5 (client 3.x/4.x)
//! differ in what CONNECT carries (5: an auth object, and a reply with the socket id) and in the
//! CONNECT_ERROR payload (4: a string, 5: `{"message":…}`). Binary packets (`5`, `6`) are
//! recognised and refused: Echo never sends them.
//!
//! The encoders return whole Engine.IO message texts (`4` + the packet), what the server writes.

use serde_json::value::RawValue;

use super::EngineVersion;

/// The default namespace, the only one Echo uses.
pub const DEFAULT_NAMESPACE: &str = "/";
/// Most digits of an ack id (ids are JavaScript numbers counting up from 0).
const MAX_ID_DIGITS: usize = 15;

/// What a packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
}

/// One decoded packet, borrowing from the message text.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub kind: Kind,
    /// `/` unless the packet names another (protocol 4's `?query` cut off).
    pub namespace: &'a str,
    /// The ack id an EVENT asks to be answered with, or an ACK answers.
    pub id: Option<u64>,
    /// The JSON after the header: an array for EVENT/ACK, an object (auth) for CONNECT.
    pub data: Option<&'a RawValue>,
}

/// Why a message is not a Socket.IO packet we take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("binary packets are not supported")]
    Binary,
    #[error("the ack id is not a number or too long")]
    BadId,
    #[error("the payload is not valid JSON")]
    BadJson,
    #[error("the payload does not fit the packet type")]
    BadShape,
}

/// Decodes the Socket.IO packet of an Engine.IO message's text.
///
/// # Errors
/// [`PacketError`] for malformed packets, and for binary ones.
pub fn decode(text: &str) -> Result<Packet<'_>, PacketError> {
    let mut chars = text.chars();
    let kind = match chars.next().ok_or(PacketError::Empty)? {
        '0' => Kind::Connect,
        '1' => Kind::Disconnect,
        '2' => Kind::Event,
        '3' => Kind::Ack,
        '4' => Kind::ConnectError,
        '5' | '6' => return Err(PacketError::Binary),
        other => return Err(PacketError::UnknownType(other)),
    };
    let rest = chars.as_str();
    let (namespace, rest) = split_namespace(rest);
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (id, rest) = rest.split_at(digits);
    let id = match id {
        "" => None,
        d if d.len() > MAX_ID_DIGITS => return Err(PacketError::BadId),
        d => Some(d.parse().map_err(|_| PacketError::BadId)?),
    };
    let data = match rest {
        "" => None,
        json => Some(serde_json::from_str::<&RawValue>(json).map_err(|_| PacketError::BadJson)?),
    };
    check_shape(kind, data)?;
    Ok(Packet {
        kind,
        namespace,
        id,
        data,
    })
}

/// `/nsp,rest` → (`/nsp`, `rest`); no leading `/` → the default namespace.
fn split_namespace(text: &str) -> (&str, &str) {
    if !text.starts_with('/') {
        return (DEFAULT_NAMESPACE, text);
    }
    let (nsp, rest) = text.split_once(',').unwrap_or((text, ""));
    let nsp = nsp.split_once('?').map_or(nsp, |(n, _)| n);
    (nsp, rest)
}

fn check_shape(kind: Kind, data: Option<&RawValue>) -> Result<(), PacketError> {
    let fits = match (kind, data) {
        (Kind::Event, Some(d)) => is_event_array(d),
        (Kind::Ack, Some(d)) => d.get().starts_with('['),
        (Kind::Connect, None) | (Kind::Disconnect, None) | (Kind::ConnectError, _) => true,
        (Kind::Connect, Some(d)) => d.get().starts_with('{'),
        (Kind::Event | Kind::Ack, None) | (Kind::Disconnect, Some(_)) => false,
    };
    if fits {
        Ok(())
    } else {
        Err(PacketError::BadShape)
    }
}

/// An EVENT's data: a non-empty array whose first element, the event name, is a string.
fn is_event_array(data: &RawValue) -> bool {
    serde_json::from_str::<Vec<&RawValue>>(data.get())
        .ok()
        .and_then(|args| args.first().map(|name| name.get().starts_with('"')))
        .unwrap_or(false)
}

/// Protocol 4's CONNECT on `/`, which the server sends unasked right after the open packet.
pub const CONNECT_V4: &str = "40";
/// A DISCONNECT on `/`.
pub const DISCONNECT: &str = "41";

/// Protocol 5's answer to a CONNECT on `/`: `40{"sid":"…"}`.
#[must_use]
pub fn connected(sid: &str) -> String {
    format!("40{}", serde_json::json!({ "sid": sid }))
}

/// Protocol 5's answer to a CONNECT on `/` with connection state recovery on:
/// `40{"sid":"…","pid":"…"}`, `pid` naming the session for a later recovering CONNECT.
#[must_use]
pub fn connected_recoverable(sid: &str, pid: &str) -> String {
    let (sid, pid) = (serde_json::Value::from(sid), serde_json::Value::from(pid));
    format!(r#"40{{"sid":{sid},"pid":{pid}}}"#)
}

/// A CONNECT_ERROR for `namespace`: protocol 4 carries the message as a JSON string, 5 as
/// `{"message":…}`.
#[must_use]
pub fn connect_error(version: EngineVersion, namespace: &str, message: &str) -> String {
    let payload = match version {
        EngineVersion::V3 => serde_json::Value::from(message),
        EngineVersion::V4 => serde_json::json!({ "message": message }),
    };
    if namespace == DEFAULT_NAMESPACE {
        format!("44{payload}")
    } else {
        format!("44{namespace},{payload}")
    }
}

/// An EVENT on `/` with `args` (a JSON array whose first element is the event name).
#[must_use]
pub fn event(args: &str) -> String {
    format!("42{args}")
}

/// The ACK on `/` answering the EVENT with ack id `id`, with no arguments: `43{id}[]`.
#[must_use]
pub fn ack(id: u64) -> String {
    format!("43{id}[]")
}
