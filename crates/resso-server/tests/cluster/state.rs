//! Other cluster-wide truth: a user's online status for watchlists (online on the first connection
//! anywhere, offline after the last), the cached event of cache channels on every node, and the
//! subscription counts sent to subscribers.

use serde_json::{json, Value};

use crate::support::{assert_all_silent, Backend, Client, Cluster, Options, RECV};

both_brokers!(
    watchlists_see_users_on_every_node,
    cache_channels_replay_on_every_node,
    subscription_counts_are_cluster_wide
);

fn user(id: &str, watchlist: &[&str]) -> String {
    json!({"id": id, "watchlist": watchlist}).to_string()
}

/// The next frame must be `pusher_internal:watchlist_events`; returns its `events`.
async fn watchlist(client: &mut Client) -> Value {
    let frame = client
        .expect_event("pusher_internal:watchlist_events")
        .await;
    let data: Value = serde_json::from_str(frame["data"].as_str().expect("string data"))
        .expect("data holds JSON");
    data["events"].clone()
}

fn status(name: &str, id: &str) -> Value {
    json!([{"name": name, "user_ids": [id]}])
}

async fn watchlists_see_users_on_every_node(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut watcher = n1.connect().await;
    watcher.signin(&user("A", &["B"])).await;
    assert_eq!(watchlist(&mut watcher).await, status("offline", "B"));

    // B comes online on node 2, then also on node 1: one `online`.
    let mut b_far = n2.connect().await;
    b_far.signin(&user("B", &[])).await;
    assert_eq!(watchlist(&mut watcher).await, status("online", "B"));
    let mut b_near = n1.connect().await;
    b_near.signin(&user("B", &[])).await;
    assert_all_silent(&mut [&mut watcher]).await;

    // A watcher signing in on node 2 while B is online on both nodes sees B online.
    let mut late = n2.connect().await;
    late.signin(&user("C", &["B"])).await;
    assert_eq!(watchlist(&mut late).await, status("online", "B"));

    // B's node-1 connection closes: B is still online on node 2. Then the last one closes.
    b_near.close().await;
    assert_all_silent(&mut [&mut watcher, &mut late]).await;
    b_far.close().await;
    assert_eq!(watchlist(&mut watcher).await, status("offline", "B"));
    assert_eq!(watchlist(&mut late).await, status("offline", "B"));
    assert_all_silent(&mut [&mut watcher, &mut late]).await;
}

async fn cache_channels_replay_on_every_node(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    n1.api().publish("cache-news", "headline", "{}", None).await;
    n1.api()
        .publish("cache-news", "headline", "late", None)
        .await;
    let check = |body: &Value| body["cache"]["data"] == "late";
    let info = [("info", "cache")];
    cluster
        .await_all("/channels/cache-news", &info, check)
        .await;

    let expected = json!({"event": "headline", "channel": "cache-news", "data": "late"});
    for node in [n1, n2] {
        let mut client = node.connect().await;
        client.subscribe_public("cache-news").await;
        assert_eq!(client.recv_within(RECV).await, expected, "{}", node.name);
        client.assert_silent_for(crate::support::QUIET).await;
    }
}

/// The next frame must be `pusher_internal:subscription_count` on `channel`; returns the count.
async fn count(client: &mut Client, channel: &str) -> u64 {
    let frame = client
        .expect_event("pusher_internal:subscription_count")
        .await;
    assert_eq!(frame["channel"], channel, "{frame}");
    let data = &frame["data"];
    let data: Value = data
        .as_str()
        .map_or_else(|| data.clone(), |s| serde_json::from_str(s).expect("JSON"));
    data["subscription_count"].as_u64().expect("a count")
}

async fn subscription_counts_are_cluster_wide(backend: Backend) {
    let options = Options {
        subscription_count: true,
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut a = n1.connect().await;
    a.subscribe_public("counted").await;
    assert_eq!(count(&mut a, "counted").await, 1);
    cluster.await_subscriptions("counted", 1).await;

    let mut b = n2.connect().await;
    b.subscribe_public("counted").await;
    assert_eq!(
        count(&mut b, "counted").await,
        2,
        "node 2 counts node 1's subscriber"
    );
    assert_eq!(
        count(&mut a, "counted").await,
        2,
        "node 1 hears of node 2's subscriber"
    );

    b.close().await;
    assert_eq!(count(&mut a, "counted").await, 1);
    assert_all_silent(&mut [&mut a]).await;
}
