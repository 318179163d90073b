//! Ordering (docs/reliability.md "Ordering"): events published one after another — HTTP requests
//! each answered before the next, the items of one batch, the client events of one connection —
//! reach every subscriber in that order; events published concurrently reach every subscriber of
//! the node in one and the same order, each publisher's own events still in its order.

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::support::{config, config_with, Api, Client, TestServer, MAIN};

/// Subscribers each test watches.
const SUBSCRIBERS: usize = 16;

/// `n` clients subscribed to each of `channels`.
async fn subscribers(server: &TestServer, channels: &[&str], n: usize) -> Vec<Client> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let mut client = server.connect().await;
        for channel in channels {
            if channel.starts_with("private-") {
                client.subscribe_private(channel).await;
            } else {
                client.subscribe_public(channel).await;
            }
        }
        clients.push(client);
    }
    clients
}

/// The next `n` frames, each `(channel, data)` of an event named `event`.
async fn received(client: &mut Client, event: &str, n: usize) -> Vec<(String, String)> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let frame = client.recv_json().await;
        assert_eq!(frame["event"], event, "only {event} is published: {frame}");
        let channel = frame["channel"].as_str().expect("a channel").to_owned();
        let data = frame["data"].as_str().expect("string data").to_owned();
        got.push((channel, data));
    }
    client.assert_silent().await;
    got
}

/// Only the data of [`received`].
async fn datas(client: &mut Client, event: &str, n: usize) -> Vec<String> {
    let got = received(client, event, n).await;
    got.into_iter().map(|(_, data)| data).collect()
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn sequential_http_publishes_reach_every_subscriber_in_order() {
    const EVENTS: usize = 100;
    let server = TestServer::spawn(config()).await;
    let mut clients = subscribers(&server, &["ordered"], SUBSCRIBERS).await;
    let api = server.api();
    for i in 0..EVENTS {
        api.publish("ordered", "seq", &i.to_string()).await;
    }
    // A second HTTP client (another connection) continues the sequence after the first's answers.
    let other = Api::new(&server.http_base(), MAIN);
    for i in EVENTS..2 * EVENTS {
        other.publish("ordered", "seq", &i.to_string()).await;
    }
    for client in &mut clients {
        assert_eq!(datas(client, "seq", 2 * EVENTS).await, numbered(2 * EVENTS));
    }
}

#[tokio::test]
async fn batch_items_arrive_in_array_order() {
    const BATCHES: usize = 5;
    const PER_BATCH: usize = 10;
    let server = TestServer::spawn(config()).await;
    let mut both = subscribers(&server, &["a", "private-b"], SUBSCRIBERS / 2).await;
    let mut only_a = subscribers(&server, &["a"], SUBSCRIBERS / 2).await;
    let api = server.api();
    let channel_of = |i: usize| {
        if i.is_multiple_of(3) {
            "private-b"
        } else {
            "a"
        }
    };
    for b in 0..BATCHES {
        let batch: Vec<Value> = (b * PER_BATCH..(b + 1) * PER_BATCH)
            .map(|i| json!({"name": "item", "channel": channel_of(i), "data": i.to_string()}))
            .collect();
        let (status, body) = api.post("/batch_events", &json!({ "batch": batch })).await;
        assert_eq!(status, 200, "{body}");
    }
    // One event to several channels: delivered once per channel, in the order the channels are
    // listed.
    let many = json!({"name": "item", "channels": ["private-b", "a"], "data": "last"});
    assert_eq!(api.post("/events", &many).await, (200, json!({})));

    let total = BATCHES * PER_BATCH;
    let mut expected: Vec<(String, String)> = (0..total)
        .map(|i| (channel_of(i).to_owned(), i.to_string()))
        .collect();
    expected.push(("private-b".into(), "last".into()));
    expected.push(("a".into(), "last".into()));
    for client in &mut both {
        assert_eq!(received(client, "item", total + 2).await, expected);
    }
    let on_a: Vec<(String, String)> = expected.into_iter().filter(|(c, _)| c == "a").collect();
    for client in &mut only_a {
        assert_eq!(received(client, "item", on_a.len()).await, on_a);
    }
}

#[tokio::test]
async fn client_events_of_one_connection_arrive_in_order() {
    const EVENTS: usize = 100;
    let chat = "private-chat";
    let server = TestServer::spawn(config_with(|app| {
        app.limits.client_events_per_second = 1000;
    }))
    .await;
    let mut sender = server.connect().await;
    sender.subscribe_private(chat).await;
    let mut clients = subscribers(&server, &[chat], SUBSCRIBERS).await;
    // Sent back to back, none waiting for the one before to arrive anywhere.
    for i in 0..EVENTS {
        let frame = json!({"event": "client-seq", "channel": chat, "data": i.to_string()});
        sender.send_json(&frame).await;
    }
    for client in &mut clients {
        assert_eq!(datas(client, "client-seq", EVENTS).await, numbered(EVENTS));
    }
    sender.assert_silent().await;
}

/// 16 publishers, each on its own HTTP connection, publishing 25 events one after another, all at
/// the same time: every subscriber sees the same order, and in it each publisher's events in the
/// order that publisher sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_reach_every_subscriber_in_one_order() {
    const PUBLISHERS: usize = 16;
    const EACH: usize = 25;
    let server = TestServer::spawn(config()).await;
    let mut clients = subscribers(&server, &["race"], SUBSCRIBERS).await;
    let mut publishers = JoinSet::new();
    for p in 0..PUBLISHERS {
        let api = Api::new(&server.http_base(), MAIN);
        publishers.spawn(async move {
            for s in 0..EACH {
                api.publish("race", "raced", &format!("{p}-{s}")).await;
            }
        });
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("a publisher task panicked");
    }
    let first = datas(&mut clients[0], "raced", PUBLISHERS * EACH).await;
    assert_per_publisher_order(&first, PUBLISHERS, EACH);
    for (i, client) in clients.iter_mut().enumerate().skip(1) {
        let seen = datas(client, "raced", PUBLISHERS * EACH).await;
        assert!(
            seen == first,
            "subscriber {i} saw another order than subscriber 0:\n{seen:?}\n{first:?}"
        );
    }
}

/// Each publisher's `"{p}-{s}"` appear with `s` = 0, 1, 2, … and all of them once.
fn assert_per_publisher_order(seen: &[String], publishers: usize, each: usize) {
    let mut next = vec![0; publishers];
    for data in seen {
        let (p, s) = data.split_once('-').expect("{p}-{s}");
        let (p, s): (usize, usize) = (p.parse().expect("p"), s.parse().expect("s"));
        assert_eq!(
            s, next[p],
            "publisher {p}'s events out of order in {seen:?}"
        );
        next[p] += 1;
    }
    assert_eq!(next, vec![each; publishers], "every event arrived once");
}
