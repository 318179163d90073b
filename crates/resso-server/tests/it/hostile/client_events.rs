//! A client-event flood: `limits.client_events_per_second` bounds the fan-out. Every flooded event
//! is either relayed (to each other subscriber, once) or refused with `pusher:error` 4301 — none is
//! queued for later — and the relayed ones fit the fixed one-second windows the flood spanned.

use serde_json::{json, Value};
use tokio::time::Instant;

use super::Bystander;
use crate::support::{config, Client, TestServer};

const ROOM: &str = "private-flood";
const FLOOD: usize = 300;
const PER_SECOND: usize = 10;

/// Sends the flood, then a ping; returns how many 4301 refusals came before the pong (the server
/// answers in order, so that is all of them).
async fn flood(flooder: &mut Client) -> usize {
    for n in 0..FLOOD {
        let event = json!({"event": "client-flood", "channel": ROOM, "data": {"n": n}});
        flooder.send_json(&event).await;
    }
    flooder
        .send_json(&json!({"event": "pusher:ping", "data": {}}))
        .await;
    let mut refused = 0;
    loop {
        let frame = flooder.recv_json().await;
        match frame["event"].as_str() {
            Some("pusher:pong") => return refused,
            Some("pusher:error") if frame["data"]["code"] == 4301 => refused += 1,
            _ => panic!("the flooder got {frame}"),
        }
    }
}

/// Reads `count` relayed events; returns their numbers.
async fn relayed(peer: &mut Client, count: usize) -> Vec<u64> {
    let mut numbers = Vec::with_capacity(count);
    for _ in 0..count {
        let frame: Value = peer.recv_json().await;
        assert_eq!(frame["event"], "client-flood", "{frame}");
        numbers.push(frame["data"]["n"].as_u64().expect("a number"));
    }
    numbers
}

#[tokio::test]
async fn a_client_event_flood_fans_out_at_most_the_rate_limit() {
    let server = TestServer::spawn(config()).await;
    let mut calm = Bystander::join(&server).await;
    let mut flooder = server.connect().await;
    flooder.subscribe_private(ROOM).await;
    let mut peer = server.connect().await;
    peer.subscribe_private(ROOM).await;

    let started = Instant::now();
    let refused = flood(&mut flooder).await;
    let windows = started.elapsed().as_secs() as usize + 1;
    let passed = FLOOD - refused;
    assert!(refused > 0, "a flood of {FLOOD} was not limited");
    assert!(
        passed <= PER_SECOND * windows,
        "{passed} relayed over at most {windows} one-second windows"
    );
    let numbers = relayed(&mut peer, passed).await;
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "in order: {numbers:?}"
    );
    peer.assert_silent().await;
    calm.still_delivers().await;
}
