//! `unsubscribed_timeout`: a Pusher connection that has subscribed to nothing since it connected is
//! closed with `pusher:error` 4009 + close 4009 (pusher-js does not retry 4001–4099). One that has
//! had a subscription, even one it left, stays.

use std::time::Duration;

use super::Bystander;
use crate::support::{config_with, Client, Outcome, TestServer};

/// Idle connections opened by the hostile client.
const IDLE: usize = 20;
/// How long the close may take to come: the 1 s timeout plus scheduling on a loaded machine.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn connections_that_never_subscribe_are_closed_4009() {
    let server = TestServer::spawn(config_with(|app| app.unsubscribed_timeout = Some(1))).await;
    let mut calm = Bystander::join(&server).await;
    let mut left = server.connect().await;
    left.subscribe_public("once").await;
    left.unsubscribe("once").await;
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(server.connect().await);
    }
    for client in &mut idle {
        expect_never_subscribed(client).await;
        calm.still_delivers().await;
    }
    left.ping().await;
    calm.still_delivers().await;
}

/// Waits (up to [`WAIT`]) for the goodbye: `pusher:error` 4009, then close 4009.
async fn expect_never_subscribed(client: &mut Client) {
    let Outcome::Text(text) = client.next_within(WAIT).await else {
        panic!("expected pusher:error 4009 within {WAIT:?}");
    };
    let frame: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(frame["event"], "pusher:error", "{frame}");
    assert_eq!(frame["data"]["code"], 4009, "{frame}");
    let (code, reason) = client.expect_close().await;
    assert_eq!(code, 4009, "{reason}");
    assert!(reason.contains("subscribed to no channel"), "{reason}");
}
