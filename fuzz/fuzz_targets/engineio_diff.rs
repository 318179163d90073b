//! The Engine.IO packet decoder against `engineioxide-core`'s (socketioxide's), both versions:
//! every packet engineioxide accepts, Ressò decodes to the same packet. (Ressò also decodes the
//! open packet, a server's, which engineioxide does not parse.)
#![no_main]

use engineioxide_core::{Packet as Theirs, ProtocolVersion};
use libfuzzer_sys::fuzz_target;
use resso_protocol::socketio::engine::{self, Packet as Ours};
use resso_protocol::socketio::EngineVersion;

/// The packet as both can express it.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Close,
    Ping,
    PingProbe,
    Pong,
    PongProbe,
    Message(String),
    Upgrade,
    Noop,
    Binary(Vec<u8>),
}

fn ours(text: &str, version: EngineVersion) -> Option<Kind> {
    Some(match engine::decode(text, version).ok()? {
        Ours::Open(_) => return None, // a server's packet: engineioxide does not parse it
        Ours::Close => Kind::Close,
        Ours::Ping("probe") => Kind::PingProbe,
        Ours::Ping(_) => Kind::Ping,
        Ours::Pong("probe") => Kind::PongProbe,
        Ours::Pong(_) => Kind::Pong,
        Ours::Message(m) => Kind::Message(m.to_owned()),
        Ours::Upgrade => Kind::Upgrade,
        Ours::Noop => Kind::Noop,
        Ours::Binary(b) => Kind::Binary(b),
    })
}

fn theirs(text: &str, version: ProtocolVersion) -> Option<Kind> {
    Some(match Theirs::parse(version, text.to_owned()).ok()? {
        Theirs::Open(_) => return None,
        Theirs::Close => Kind::Close,
        Theirs::Ping => Kind::Ping,
        Theirs::PingUpgrade => Kind::PingProbe,
        Theirs::Pong => Kind::Pong,
        Theirs::PongUpgrade => Kind::PongProbe,
        Theirs::Message(m) => Kind::Message(m.as_str().to_owned()),
        Theirs::Upgrade => Kind::Upgrade,
        Theirs::Noop => Kind::Noop,
        Theirs::Binary(b) | Theirs::BinaryV3(b) => Kind::Binary(b.to_vec()),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (ours_v, theirs_v) in [
        (EngineVersion::V3, ProtocolVersion::V3),
        (EngineVersion::V4, ProtocolVersion::V4),
    ] {
        if let Some(reference) = theirs(text, theirs_v) {
            assert_eq!(ours(text, ours_v), Some(reference), "{text:?} {ours_v:?}");
        }
    }
});
