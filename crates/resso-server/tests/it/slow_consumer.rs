//! A client that stops reading is closed with a 4100-range code once its bounded queue fills, while
//! the others keep receiving every event (design principle 5).

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::{timeout, Instant};

use crate::support::{config, Api, Client, Outcome, TestServer, MAIN};

const CHANNEL: &str = "firehose";
/// Events per batch request: ten of ~1 KB stay under the 16 KiB queue of a client that keeps up.
const PER_BATCH: usize = 10;

/// Reads `bulk` events until the `done` event, reporting the running count; returns the total.
async fn count_until_done(mut client: Client, progress: watch::Sender<usize>) -> usize {
    let mut bulk = 0;
    loop {
        let frame = client.recv_json().await;
        match frame["event"].as_str() {
            Some("bulk") => bulk += 1,
            Some("done") => return bulk,
            _ => panic!("the reading client got {frame} after {bulk} events"),
        }
        progress.send_replace(bulk);
    }
}

async fn subscribers(api: &Api) -> Value {
    api.channel_info(CHANNEL, "subscription_count").await["subscription_count"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_is_closed_while_others_get_everything() {
    let mut config = config();
    config.server.outbound_queue_bytes = 16 * 1024;
    let server = TestServer::spawn(config).await;
    let api = server.api();
    let mut slow = Client::connect_small_buffer(&server.ws_url(MAIN.key), 4096).await;
    slow.subscribe_public(CHANNEL).await;
    let mut fast = server.connect().await;
    fast.subscribe_public(CHANNEL).await;
    let (progress, mut reader_count) = watch::channel(0);
    let reader = tokio::spawn(count_until_done(fast, progress));

    let data = "x".repeat(1000);
    let batch: Vec<Value> = (0..PER_BATCH)
        .map(|_| json!({"channel": CHANNEL, "name": "bulk", "data": data}))
        .collect();
    let batch = json!({ "batch": batch });
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut published = 0;
    while subscribers(&api).await == 2 {
        assert!(
            Instant::now() < deadline,
            "slow client still subscribed after {published} events"
        );
        for _ in 0..10 {
            assert_eq!(api.post("/batch_events", &batch).await, (200, json!({})));
            published += PER_BATCH;
            // Publish at the reading client's pace, so only the client that stopped reading backs up.
            timeout(
                Duration::from_secs(2),
                reader_count.wait_for(|&n| n >= published),
            )
            .await
            .unwrap_or_else(|_| panic!("reading client stalled at {published} events"))
            .expect("reader alive");
        }
    }
    api.publish(CHANNEL, "done", "").await;

    let (read, end) = slow.read_until_close(Duration::from_secs(5)).await;
    match end {
        Outcome::Close(Some((code, _))) => {
            assert!(
                (4100..4200).contains(&code),
                "slow client closed with {code}"
            );
        }
        other => panic!(
            "slow client: expected a close frame with a 4100-range code, got {other:?} \
             after {read} text frames ({published} events published)"
        ),
    }
    let received = timeout(Duration::from_secs(10), reader)
        .await
        .expect("reading client finishes")
        .expect("reader task");
    assert_eq!(received, published, "the reading client gets every event");
}
