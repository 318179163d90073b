//! A Pusher client frame: `ClientMessage::parse` never panics on any text, and presence
//! `channel_data` and signin `user_data` inside it parse or fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_protocol::presence::Member;
use resso_protocol::user::User;
use resso_protocol::{ClientMessage, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    let _ = ClientMessage::parse(text);
    let _ = Member::parse(Some(text), &limits);
    let _ = User::parse(text);
});
