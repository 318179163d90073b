//! Polling bodies: the packets of one long-poll response or one POST. EIO 3 writes each packet as
//! `<len>:<packet>` where `len` counts UTF-16 code units (JavaScript's `String.length`: an emoji
//! counts 2), EIO 4 joins packets with the record separator `\x1e`, which JSON text never holds
//! unescaped.

use super::EngineVersion;

/// EIO 4's packet separator.
pub const SEPARATOR: char = '\x1e';
/// Most digits of an EIO 3 length prefix: a body is bounded by `maxPayload` long before that.
const MAX_LEN_DIGITS: usize = 10;

/// Why a polling body could not be split into packets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("empty payload")]
    Empty,
    #[error("a length prefix is missing or not a number")]
    BadLength,
    #[error("a length prefix is absurdly long")]
    LengthTooLong,
    #[error("a packet is shorter than its length prefix says")]
    Truncated,
    #[error("a length prefix splits a character")]
    SplitCharacter,
}

/// Splits a polling body into packet texts (each still to be decoded by [`super::engine::decode`]).
///
/// # Errors
/// [`PayloadError`] for an empty body or, in EIO 3, a bad length prefix.
pub fn decode(body: &str, version: EngineVersion) -> Result<Vec<&str>, PayloadError> {
    if body.is_empty() {
        return Err(PayloadError::Empty);
    }
    match version {
        EngineVersion::V3 => decode_v3(body),
        EngineVersion::V4 => Ok(body.split(SEPARATOR).collect()),
    }
}

fn decode_v3(mut body: &str) -> Result<Vec<&str>, PayloadError> {
    let mut packets = Vec::new();
    while !body.is_empty() {
        let (digits, rest) = body.split_once(':').ok_or(PayloadError::BadLength)?;
        if digits.len() > MAX_LEN_DIGITS {
            return Err(PayloadError::LengthTooLong);
        }
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PayloadError::BadLength);
        }
        let units: usize = digits.parse().map_err(|_| PayloadError::LengthTooLong)?;
        let end = byte_end(rest, units)?;
        packets.push(&rest[..end]);
        body = &rest[end..];
    }
    Ok(packets)
}

/// The byte offset in `text` after its first `units` UTF-16 code units.
fn byte_end(text: &str, units: usize) -> Result<usize, PayloadError> {
    let mut counted = 0;
    for (at, c) in text.char_indices() {
        if counted == units {
            return Ok(at);
        }
        counted += c.len_utf16();
        if counted > units {
            return Err(PayloadError::SplitCharacter);
        }
    }
    if counted == units {
        Ok(text.len())
    } else {
        Err(PayloadError::Truncated)
    }
}

/// Joins packet texts into one polling body.
pub fn encode<'a>(packets: impl IntoIterator<Item = &'a str>, version: EngineVersion) -> String {
    let mut out = String::new();
    for (i, packet) in packets.into_iter().enumerate() {
        match version {
            EngineVersion::V3 => {
                let units: usize = packet.chars().map(char::len_utf16).sum();
                out.push_str(&units.to_string());
                out.push(':');
            }
            EngineVersion::V4 if i > 0 => out.push(SEPARATOR),
            EngineVersion::V4 => {}
        }
        out.push_str(packet);
    }
    out
}
