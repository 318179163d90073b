//! The classifier of a connection's first bytes (Pusher upgrade, Socket.IO upgrade, or plain
//! HTTP): never panics, and once a head is complete, more bytes never change what it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_server::fuzzing::{classify, First};

fn kind(first: &First) -> &'static str {
    match first {
        First::Upgrade(_) => "pusher",
        First::SocketIo(_) => "socket.io",
        First::Http(_) => "http",
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(first) = classify(data) else {
        return;
    };
    if let First::Upgrade(_) | First::SocketIo(_) = &first {
        let mut more = data.to_vec();
        more.extend_from_slice(b"\x81\x80early");
        let again = classify(&more).expect("a complete head stays complete");
        assert_eq!(kind(&first), kind(&again));
    }
});
