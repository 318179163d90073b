//! What Laravel's `redis` broadcaster publishes: any channel name and payload is parsed or
//! rejected, never a panic (the first line of the input is the Redis channel).
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_protocol::Limits;
use resso_server::fuzzing::parse_laravel_message as parse;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (channel, payload) = data.split_at(split);
    let payload = payload.get(1..).unwrap_or_default();
    let Ok(channel) = std::str::from_utf8(channel) else {
        return;
    };
    let limits = Limits::default();
    for prefix in ["laravel_database_", ""] {
        let _ = parse(channel, payload, prefix, &limits);
    }
});
