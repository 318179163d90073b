//! RFC 6455 framing, server side: encoding unmasked frames once per message (a broadcast's frame is
//! built once and written to every subscriber as is), and decoding the client's masked frames with
//! the checks the RFC requires (masking, reserved bits, opcodes, control-frame limits, fragment order,
//! the message size limit, UTF-8 of text).

use bytes::{BufMut, Bytes, BytesMut};

/// Frame opcodes (RFC 6455 §5.2).
pub mod op {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

const FIN: u8 = 0x80;
const MASKED: u8 = 0x80;

/// Bytes a server frame's header takes for a payload of `len` bytes.
#[must_use]
pub const fn header_len(len: usize) -> usize {
    if len < 126 {
        2
    } else if len <= 0xFFFF {
        4
    } else {
        10
    }
}

/// Appends the header of a final, unmasked frame.
fn put_header(out: &mut BytesMut, opcode: u8, len: usize) {
    out.put_u8(FIN | opcode);
    if len < 126 {
        #[allow(clippy::cast_possible_truncation)] // < 126
        out.put_u8(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.put_u8(126);
        out.put_u16(short);
    } else {
        out.put_u8(127);
        out.put_u64(len as u64);
    }
}

/// A whole server frame: header and payload in one buffer.
#[must_use]
pub fn encode(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(header_len(payload.len()) + payload.len());
    put_header(&mut out, opcode, payload.len());
    out.put_slice(payload);
    out.freeze()
}

/// The payload of a frame made by [`encode`].
#[must_use]
#[cfg(test)]
pub fn payload(frame: &[u8]) -> &[u8] {
    let start = match frame.get(1) {
        Some(126) => 4,
        Some(127) => 10,
        _ => 2,
    };
    frame.get(start..).unwrap_or_default()
}

/// A text frame.
#[must_use]
pub fn text(payload: &str) -> Bytes {
    encode(op::TEXT, payload.as_bytes())
}

/// A close frame with `code` and `reason` (the caller keeps the reason within 123 bytes).
#[must_use]
pub fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(reason.as_bytes());
    encode(op::CLOSE, &payload)
}

/// A message from the client, reassembled from its fragments.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// Binary data means nothing in the Pusher protocol; it only counts as activity.
    Binary,
    Ping(Vec<u8>),
    Pong,
    /// The client's close, with its code if it sent one.
    Close(Option<u16>),
}

/// How the client broke the WebSocket protocol; each maps to the close code it earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// Unmasked or malformed frame, reserved bits, unknown opcode, bad fragment order: 1002.
    Protocol,
    /// Invalid UTF-8 in a text message or close reason: 1007.
    Utf8,
    /// A message over the size limit: 1009.
    TooBig,
}

impl Violation {
    /// The RFC 6455 close code and a reason.
    #[must_use]
    pub const fn close(self) -> (u16, &'static str) {
        match self {
            Self::Protocol => (1002, "WebSocket protocol error"),
            Self::Utf8 => (1007, "Invalid UTF-8 in text frame"),
            Self::TooBig => (1009, "Message too big"),
        }
    }
}

/// The fixed part of a parsed frame header.
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// Bytes taken by the header.
    size: usize,
    len: usize,
}

/// Parses the header at the front of `buf`; `None` while incomplete.
fn parse_header(buf: &[u8], max: usize) -> Result<Option<Header>, Violation> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    let known = matches!(
        b0 & 0x0F,
        op::CONTINUATION | op::TEXT | op::BINARY | op::CLOSE | op::PING | op::PONG
    );
    if b0 & 0x70 != 0 || b1 & MASKED == 0 || !known {
        return Err(Violation::Protocol);
    }
    let (len, at) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => (
                u64::from_be_bytes(b.try_into().map_err(|_| Violation::Protocol)?),
                10,
            ),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let (fin, opcode) = (b0 & FIN != 0, b0 & 0x0F);
    if opcode >= op::CLOSE && (!fin || len > 125) {
        return Err(Violation::Protocol);
    }
    let len = usize::try_from(len).map_err(|_| Violation::TooBig)?;
    if len > max {
        return Err(Violation::TooBig);
    }
    let Some(mask) = buf.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask: [mask[0], mask[1], mask[2], mask[3]],
        size: at + 4,
        len,
    }))
}

/// Unmasks `payload` in place, eight bytes at a time.
pub fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

/// Reassembles client messages from the bytes read so far.
#[derive(Debug)]
pub struct Decoder {
    max: usize,
    /// A fragmented data message in progress.
    partial: Option<Partial>,
}

/// A fragmented data message in progress: its opcode, the payload so far, and for text how much
/// of it is known to be valid UTF-8 — checked as fragments arrive, so that bad text fails the
/// connection at once (RFC 6455 §8.1), each byte checked once.
#[derive(Debug)]
struct Partial {
    opcode: u8,
    so_far: Vec<u8>,
    /// A `u32` (messages are capped below 4 GiB, see [`Decoder::new`]) keeps the decoder, which
    /// lives in every connection's task, as small as before.
    checked: u32,
}

impl Partial {
    fn new(opcode: u8, payload: Vec<u8>) -> Result<Self, Violation> {
        let mut partial = Self {
            opcode,
            so_far: payload,
            checked: 0,
        };
        partial.check()?;
        Ok(partial)
    }

    /// Checks the text added since the last check; a character cut at the end waits for more.
    fn check(&mut self) -> Result<(), Violation> {
        if self.opcode != op::TEXT {
            return Ok(());
        }
        let from = self.checked as usize;
        let valid = match std::str::from_utf8(&self.so_far[from..]) {
            Ok(_) => self.so_far.len(),
            Err(e) if e.error_len().is_none() => from + e.valid_up_to(),
            Err(_) => return Err(Violation::Utf8),
        };
        self.checked = u32::try_from(valid).map_err(|_| Violation::TooBig)?;
        Ok(())
    }
}

impl Decoder {
    /// Accepts messages of at most `max` bytes (and never of 4 GiB or more).
    #[must_use]
    pub const fn new(max: usize) -> Self {
        let max = if max > u32::MAX as usize {
            u32::MAX as usize
        } else {
            max
        };
        Self { max, partial: None }
    }

    /// Takes whole frames off the front of `buf` until a message is complete; `None` when `buf`
    /// holds no complete message yet (what was consumed is kept).
    ///
    /// # Errors
    /// The violation, after which the connection must be closed.
    pub fn decode(&mut self, buf: &mut Vec<u8>) -> Result<Option<Incoming>, Violation> {
        loop {
            let Some(header) = parse_header(buf, self.max)? else {
                return Ok(None);
            };
            let end = header.size + header.len;
            if buf.len() < end {
                return Ok(None);
            }
            let mut payload: Vec<u8> = buf.drain(..end).skip(header.size).collect();
            unmask(&mut payload, header.mask);
            if let Some(message) = self.frame(&header, payload)? {
                return Ok(Some(message));
            }
        }
    }

    /// Handles one unmasked frame; `None` for a fragment that does not end its message.
    fn frame(&mut self, header: &Header, payload: Vec<u8>) -> Result<Option<Incoming>, Violation> {
        match header.opcode {
            op::CLOSE | op::PING | op::PONG => control(header, payload).map(Some),
            op::TEXT | op::BINARY if self.partial.is_none() => {
                if header.fin {
                    return finish(header.opcode, payload).map(Some);
                }
                self.partial = Some(Partial::new(header.opcode, payload)?);
                Ok(None)
            }
            op::CONTINUATION => {
                let Some(mut partial) = self.partial.take() else {
                    return Err(Violation::Protocol);
                };
                if partial.so_far.len() + payload.len() > self.max {
                    return Err(Violation::TooBig);
                }
                partial.so_far.extend_from_slice(&payload);
                if header.fin {
                    return finish(partial.opcode, partial.so_far).map(Some);
                }
                partial.check()?;
                self.partial = Some(partial);
                Ok(None)
            }
            _ => Err(Violation::Protocol),
        }
    }
}

fn finish(opcode: u8, payload: Vec<u8>) -> Result<Incoming, Violation> {
    if opcode == op::BINARY {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload)
        .map(Incoming::Text)
        .map_err(|_| Violation::Utf8)
}

/// A control frame, already checked to be final and within 125 bytes.
fn control(header: &Header, payload: Vec<u8>) -> Result<Incoming, Violation> {
    match header.opcode {
        op::PING => Ok(Incoming::Ping(payload)),
        op::PONG => Ok(Incoming::Pong),
        _ => match payload.as_slice() {
            [] => Ok(Incoming::Close(None)),
            [_] => Err(Violation::Protocol),
            [hi, lo, reason @ ..] => {
                std::str::from_utf8(reason).map_err(|_| Violation::Utf8)?;
                Ok(Incoming::Close(Some(u16::from_be_bytes([*hi, *lo]))))
            }
        },
    }
}

#[cfg(test)]
mod tests;
