//! Channel names, socket ids: parse never panics, and what parses prints back as it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_protocol::{ChannelName, Limits, SocketId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(name) = ChannelName::parse(text, &Limits::default()) {
        assert_eq!(name.as_str(), text);
        let _ = name.kind();
    }
    if let Ok(id) = SocketId::parse(text) {
        let printed = id.to_string();
        assert_eq!(SocketId::parse(&printed), Ok(id));
    }
});
