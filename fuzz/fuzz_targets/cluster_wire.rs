//! A message from the cluster's broker: decoding never panics, and what decodes re-encodes to
//! something that decodes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_server::fuzzing::Wire;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = serde_json::from_slice::<Wire>(data) else {
        return;
    };
    let text = serde_json::to_string(&wire).expect("a decoded message encodes");
    serde_json::from_str::<Wire>(&text).expect("an encoded message decodes");
});
