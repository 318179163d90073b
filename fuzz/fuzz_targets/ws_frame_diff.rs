//! The WebSocket frame decoder against `tungstenite`'s (server role, the same size limit): for any
//! byte stream both accept the same messages in the same order, and end the same way — a close, a
//! protocol error, or waiting for more bytes. The one difference allowed is written out in
//! `same_end`.
#![no_main]

use std::io::{self, Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use resso_server::fuzzing::{Decoder, Incoming};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Error, Message};

const MAX: usize = 4096;

/// What a decoder made of the stream, normalised to what both can express.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    Text(String),
    Binary,
    Ping(Vec<u8>),
    Pong,
    Close(Option<u16>),
    Error,
    /// The stream ended inside a frame or message (or between them).
    MoreBytes,
}

impl Event {
    /// Whether nothing can follow it (everything but a message).
    fn ends(&self) -> bool {
        !matches!(
            self,
            Self::Text(_) | Self::Binary | Self::Ping(_) | Self::Pong
        )
    }
}

fn ours(stream: &[u8]) -> Vec<Event> {
    let mut decoder = Decoder::new(MAX);
    let mut buf = stream.to_vec();
    let mut seen = Vec::new();
    loop {
        let event = match decoder.decode(&mut buf) {
            Ok(Some(Incoming::Text(t))) => Event::Text(t),
            Ok(Some(Incoming::Binary)) => Event::Binary,
            Ok(Some(Incoming::Ping(p))) => Event::Ping(p),
            Ok(Some(Incoming::Pong)) => Event::Pong,
            Ok(Some(Incoming::Close(code))) => Event::Close(code),
            Ok(None) => Event::MoreBytes,
            Err(_) => Event::Error,
        };
        let last = event.ends();
        seen.push(event);
        if last {
            return seen;
        }
    }
}

/// Reads from the input, swallows what tungstenite writes (its pongs and close replies).
struct Pipe(Cursor<Vec<u8>>);

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn theirs(stream: &[u8]) -> Vec<Event> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX))
        .max_frame_size(Some(MAX));
    let mut ws = WebSocket::from_raw_socket(
        Pipe(Cursor::new(stream.to_vec())),
        Role::Server,
        Some(config),
    );
    let mut seen = Vec::new();
    loop {
        let event = match ws.read() {
            Ok(Message::Text(t)) => Event::Text(t.as_str().to_owned()),
            Ok(Message::Binary(_)) => Event::Binary,
            Ok(Message::Ping(p)) => Event::Ping(p.to_vec()),
            Ok(Message::Pong(_)) => Event::Pong,
            Ok(Message::Close(frame)) => Event::Close(frame.map(|f| u16::from(f.code))),
            Ok(Message::Frame(_)) => continue,
            Err(Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => Event::MoreBytes,
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Event::MoreBytes,
            Err(_) => Event::Error,
        };
        let last = event.ends();
        seen.push(event);
        if last {
            return seen;
        }
    }
}

/// Whether two last events agree. Allowed: a close code outside tungstenite's list of sendable
/// ones (RFC 6455 §7.4: 1000–1003, 1007–1011, 3000–4999) is a protocol error to it, which
/// reports it as a close with 1002 or an error; Ressò takes the close as a close, since it ends
/// the connection either way.
fn same_end(ours: &Event, theirs: &Event) -> bool {
    let sendable = |code: u16| matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999);
    ours == theirs
        || matches!((ours, theirs),
            (Event::Close(Some(c)), Event::Error | Event::Close(Some(1002))) if !sendable(*c))
}

fuzz_target!(|data: &[u8]| {
    let (a, mut b) = (ours(data), theirs(data));
    if a.last() == Some(&Event::Error) && b.last() == Some(&Event::MoreBytes) {
        // Ressò refuses a bad frame from its header; tungstenite once the whole frame is in.
        // Zeros complete the frame (and make unmasked frames after it): tungstenite must refuse.
        let mut padded = data.to_vec();
        padded.resize(data.len() + MAX + 14, 0);
        b = theirs(&padded);
    }
    let (Some((a_end, a_msgs)), Some((b_end, b_msgs))) = (a.split_last(), b.split_last()) else {
        unreachable!("both end with an event");
    };
    assert!(
        a_msgs == b_msgs && same_end(a_end, b_end),
        "ours {a:?}\ntheirs {b:?}"
    );
});
