//! A node killed with `kill -9`: its connections' presence members and channel occupancy vanish
//! cluster-wide within the node timeout, with member_removed to the other nodes' clients and one
//! set of webhooks; users also connected to a live node stay. A new node then joins cleanly.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::support::{
    assert_all_silent, object_keys, presence_hash, user_ids, Backend, Client, Cluster, Options,
    Sink, HOOKS, MAIN, RECV,
};

both_brokers!(killed_node_is_removed_once_and_a_new_node_joins);

const ROOM: &str = "presence-crash";
const LONELY: &str = "lonely";
/// How long after the kill the others must have reacted (node timeout 1 s, heartbeat 200 ms).
const REACT: Duration = Duration::from_secs(3);

async fn join(client: &mut Client, user: &str) -> serde_json::Value {
    presence_hash(&client.join(ROOM, user, &format!("user {user}")).await)
}

async fn expect_added(client: &mut Client, user: &str) {
    let data = client.expect_member("member_added", ROOM, RECV).await;
    assert_eq!(data["user_id"], user, "{data}");
}

async fn killed_node_is_removed_once_and_a_new_node_joins(backend: Backend) {
    let sink = Sink::start(MAIN).await;
    let options = Options {
        webhook: Some(sink.url(HOOKS)),
        ..Options::default()
    };
    let mut cluster = Cluster::start(backend, 3, options).await;
    let t0 = Instant::now();

    // User 1 on node 1, user 2 on node 2; on node 3 user 3 and user 1 again, and the only
    // subscriber of LONELY.
    let mut one = cluster.node(0).connect().await;
    join(&mut one, "1").await;
    cluster.await_users(ROOM, &["1"]).await;
    let mut two = cluster.node(1).connect().await;
    join(&mut two, "2").await;
    expect_added(&mut one, "2").await;
    cluster.await_users(ROOM, &["1", "2"]).await;
    let mut three = cluster.node(2).connect().await;
    join(&mut three, "3").await;
    expect_added(&mut one, "3").await;
    expect_added(&mut two, "3").await;
    cluster.await_users(ROOM, &["1", "2", "3"]).await;
    let mut one_again = cluster.node(2).connect().await;
    let hash = join(&mut one_again, "1").await;
    assert_eq!(object_keys(&hash), set(&["1", "2", "3"]));
    one_again.subscribe_public(LONELY).await;
    cluster.await_subscriptions(ROOM, 4).await;
    cluster.await_subscriptions(LONELY, 1).await;
    sink.wait_for_event(t0, ("channel_occupied", LONELY, None), REACT)
        .await;
    assert_all_silent(&mut [&mut one, &mut two]).await;

    let killed = Instant::now();
    cluster.node_mut(2).kill();
    drop((three, one_again));

    // Clients on the live nodes hear that user 3 left, once, and nothing about user 1.
    for client in [&mut one, &mut two] {
        let data = client.expect_member("member_removed", ROOM, REACT).await;
        assert_eq!(data, json!({"user_id": "3"}));
    }
    let reacted = killed.elapsed();
    assert!(reacted < REACT, "member_removed took {reacted:?}");
    assert_all_silent(&mut [&mut one, &mut two]).await;
    for i in 0..2 {
        let api = cluster.node(i).api();
        let users = api.get_ok(&format!("/channels/{ROOM}/users"), &[]).await;
        assert_eq!(user_ids(&users), set(&["1", "2"]), "node{} /users", i + 1);
        let channels = api
            .get_ok("/channels", &[("info", "subscription_count")])
            .await;
        let expected = json!({"channels": {ROOM: {"subscription_count": 2}}});
        assert_eq!(channels, expected, "node{}: no ghost of node 3", i + 1);
    }

    // The webhooks: exactly once, by one node.
    sink.wait_for_event(killed, ("member_removed", ROOM, Some("3")), REACT)
        .await;
    sink.wait_for_event(killed, ("channel_vacated", LONELY, None), REACT)
        .await;
    cluster.settle(&sink).await;
    let counts = [
        sink.count(killed, "member_removed", ROOM, Some("3")),
        sink.count(killed, "channel_vacated", LONELY, None),
        sink.count(killed, "member_removed", ROOM, Some("1")),
        sink.count(killed, "channel_vacated", ROOM, None),
    ];
    assert_eq!(
        counts,
        [1, 1, 0, 0],
        "[member_removed 3, channel_vacated {LONELY}, member_removed 1, channel_vacated {ROOM}]; \
         events since the kill: {:?}",
        sink.events_since(killed)
    );

    // A new node process joins cleanly.
    let four = cluster.add_node().await;
    let mut six = cluster.node(four).connect().await;
    let hash = join(&mut six, "6").await;
    assert_eq!(
        object_keys(&hash),
        set(&["1", "2", "6"]),
        "the new node's view"
    );
    expect_added(&mut one, "6").await;
    expect_added(&mut two, "6").await;
    cluster.await_users(ROOM, &["1", "2", "6"]).await;
    let channels = cluster.node(four).api().get_ok("/channels", &[]).await;
    assert_eq!(
        channels,
        json!({"channels": {ROOM: {}}}),
        "no ghost on the new node"
    );
    assert_all_silent(&mut [&mut one, &mut two, &mut six]).await;
    cluster.assert_running();
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}
