//! The HTTP API's outside input: `POST /events` and `POST /batch_events` bodies, and the query
//! string with its signature check. Never a panic, and any body signed with the right secret (by
//! the SDKs' algorithm, `signed_query`) verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_protocol::api::{parse_batch, parse_events};
use resso_protocol::http_sig::{signed_query, Query, Request};
use resso_protocol::Limits;

const NOW: u64 = 1_700_000_000;

fn verify(query: &Query, body: &[u8]) -> bool {
    let request = Request {
        method: "POST",
        path: "/apps/1/events",
        query,
        body,
    };
    request.verify("key", "secret", NOW).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = parse_events(data, &limits);
    let _ = parse_batch(data, &limits);
    // The input as a query string (up to a newline) and a body (after it).
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (query, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    if let Ok(raw) = std::str::from_utf8(query) {
        let _ = verify(&Query::parse(raw), body);
    }
    let signed = signed_query("key", "secret", "POST", "/apps/1/events", &[], body, NOW);
    assert!(
        verify(&Query::parse(&signed), body),
        "a correctly signed request"
    );
});
