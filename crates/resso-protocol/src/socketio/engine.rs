//! One Engine.IO packet: a type digit and its data (`4hello`, `2probe`, `0{…}`), or binary data.
//! Text packets are the same in EIO 3 and 4; binary ones differ (EIO 3 prefixes a WebSocket binary
//! frame with a `4` byte and polls them as `b4<base64>`, EIO 4 sends raw frames and `b<base64>`).

use base64::Engine as _;

use super::EngineVersion;

/// One packet, borrowing its text from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `0`: the handshake (server to client), with its JSON.
    Open(&'a str),
    /// `1`: the transport closes.
    Close,
    /// `2`: a ping, with its data (`probe` during an upgrade).
    Ping(&'a str),
    /// `3`: a pong, echoing the ping's data.
    Pong(&'a str),
    /// `4`: a message: the Socket.IO packet text.
    Message(&'a str),
    /// `5`: the client switches to the probed transport.
    Upgrade,
    /// `6`: nothing (ends a long poll during an upgrade).
    Noop,
    /// A binary message.
    Binary(Vec<u8>),
}

/// Why a packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("invalid base64 in a binary packet")]
    Base64,
    #[error("binary packet without its type byte")]
    BinaryType,
}

/// Decodes a text packet (a WebSocket text frame, or one entry of a polling payload). The base64
/// binary form (`b…`) is recognised per `version`.
///
/// # Errors
/// [`EngineError`] for an empty packet, an unknown type or bad base64.
pub fn decode(text: &str, version: EngineVersion) -> Result<Packet<'_>, EngineError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(EngineError::Empty)?;
    let data = chars.as_str();
    Ok(match kind {
        '0' => Packet::Open(data),
        '1' => Packet::Close,
        '2' => Packet::Ping(data),
        '3' => Packet::Pong(data),
        '4' => Packet::Message(data),
        '5' => Packet::Upgrade,
        '6' => Packet::Noop,
        'b' => Packet::Binary(decode_base64(data, version)?),
        other => return Err(EngineError::UnknownType(other)),
    })
}

fn decode_base64(data: &str, version: EngineVersion) -> Result<Vec<u8>, EngineError> {
    let data = match version {
        // EIO 3 writes the packet type after the `b`: only messages (`4`) carry binary.
        EngineVersion::V3 => data.strip_prefix('4').ok_or(EngineError::BinaryType)?,
        EngineVersion::V4 => data,
    };
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| EngineError::Base64)
}

/// Decodes a WebSocket binary frame's payload.
///
/// # Errors
/// [`EngineError::BinaryType`] for an EIO 3 frame that is not a binary message.
pub fn decode_binary(bytes: &[u8], version: EngineVersion) -> Result<Packet<'static>, EngineError> {
    match version {
        EngineVersion::V3 => match bytes.split_first() {
            Some((4, rest)) => Ok(Packet::Binary(rest.to_vec())),
            _ => Err(EngineError::BinaryType),
        },
        EngineVersion::V4 => Ok(Packet::Binary(bytes.to_vec())),
    }
}

/// Encodes a packet as text; binary data in its base64 form for `version`.
#[must_use]
pub fn encode(packet: &Packet<'_>, version: EngineVersion) -> String {
    let (kind, data) = match packet {
        Packet::Open(d) => ('0', *d),
        Packet::Close => ('1', ""),
        Packet::Ping(d) => ('2', *d),
        Packet::Pong(d) => ('3', *d),
        Packet::Message(d) => ('4', *d),
        Packet::Upgrade => ('5', ""),
        Packet::Noop => ('6', ""),
        Packet::Binary(bytes) => {
            let prefix = match version {
                EngineVersion::V3 => "b4",
                EngineVersion::V4 => "b",
            };
            return format!(
                "{prefix}{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
        }
    };
    let mut out = String::with_capacity(1 + data.len());
    out.push(kind);
    out.push_str(data);
    out
}

/// What the open packet announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open<'a> {
    pub sid: &'a str,
    /// Transports the client may upgrade to (`["websocket"]` from polling, none from websocket).
    pub upgrades: &'a [&'a str],
    pub ping_interval_ms: u64,
    pub ping_timeout_ms: u64,
    /// Announced to EIO 4 clients only (EIO 3 has no such field).
    pub max_payload: u64,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenJson<'a> {
    sid: &'a str,
    upgrades: &'a [&'a str],
    ping_interval: u64,
    ping_timeout: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_payload: Option<u64>,
}

/// The open packet (`0{"sid":…}`) for `version`.
#[must_use]
pub fn open(open: &Open<'_>, version: EngineVersion) -> String {
    let json = OpenJson {
        sid: open.sid,
        upgrades: open.upgrades,
        ping_interval: open.ping_interval_ms,
        ping_timeout: open.ping_timeout_ms,
        max_payload: (version == EngineVersion::V4).then_some(open.max_payload),
    };
    // Serializing plain strings and numbers cannot fail.
    format!("0{}", serde_json::to_string(&json).unwrap_or_default())
}
