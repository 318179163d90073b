//! Engine.IO packets (text and binary), polling payloads of both versions and Socket.IO packets:
//! never a panic, and a decoded Engine.IO packet or payload re-encodes to what decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_protocol::socketio::{engine, packet, payload, EngineVersion};

fuzz_target!(|data: &[u8]| {
    for version in [EngineVersion::V3, EngineVersion::V4] {
        let _ = engine::decode_binary(data, version);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = packet::decode(text);
    for version in [EngineVersion::V3, EngineVersion::V4] {
        if let Ok(p) = engine::decode(text, version) {
            let again = engine::encode(&p, version);
            let back = engine::decode(&again, version).expect("an encoded packet decodes");
            assert_eq!(format!("{p:?}"), format!("{back:?}"));
        }
        if let Ok(packets) = payload::decode(text, version) {
            let again = payload::encode(packets.iter().copied(), version);
            let back = payload::decode(&again, version).expect("an encoded payload decodes");
            assert_eq!(packets, back);
        }
    }
});
