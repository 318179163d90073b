//! Presence with members spread over nodes: `subscription_succeeded` lists every distinct user of the
//! cluster, member_added/removed come exactly once per user on every other connection, a user on two
//! nodes is one member until its last connection anywhere, and the HTTP API answers the same from
//! either node.

use serde_json::{json, Value};

use crate::support::{
    assert_all_silent, presence_hash, user_ids, Backend, Client, Cluster, Options, RECV,
};

both_brokers!(presence_spread_over_nodes);

const ROOM: &str = "presence-room";

fn info(name: &str) -> Value {
    json!({"name": name})
}

async fn added(client: &mut Client, user: &str, name: &str) {
    let data = client.expect_member("member_added", ROOM, RECV).await;
    assert_eq!(data, json!({"user_id": user, "user_info": info(name)}));
}

async fn removed(client: &mut Client, user: &str) {
    let data = client.expect_member("member_removed", ROOM, RECV).await;
    assert_eq!(data, json!({"user_id": user}));
}

/// `GET /channels…` and `/users` answer exactly `users` (and `subscriptions`) from every node.
async fn assert_http(cluster: &Cluster, nodes: usize, users: &[&str], subscriptions: usize) {
    let counts = "user_count,subscription_count";
    for i in 0..nodes {
        let api = cluster.node(i).api();
        let all = api.get_ok("/channels", &[]).await;
        assert_eq!(all, json!({"channels": {ROOM: {}}}), "node{}", i + 1);
        let filtered = [("filter_by_prefix", "presence-"), ("info", "user_count")];
        let listed = api.get_ok("/channels", &filtered).await;
        let expected = json!({"channels": {ROOM: {"user_count": users.len()}}});
        assert_eq!(listed, expected, "node{}", i + 1);
        let one = api
            .get_ok(&format!("/channels/{ROOM}"), &[("info", counts)])
            .await;
        let expected = json!({
            "occupied": true, "user_count": users.len(), "subscription_count": subscriptions
        });
        assert_eq!(one, expected, "node{}", i + 1);
        let listed = user_ids(&api.get_ok(&format!("/channels/{ROOM}/users"), &[]).await);
        let wanted: Vec<&str> = listed.iter().map(String::as_str).collect();
        assert_eq!(wanted, users, "node{} /users", i + 1);
    }
}

async fn presence_spread_over_nodes(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));

    // Alice on node 1, then Bob on node 2, then Carol on node 2.
    let mut alice = n1.connect().await;
    let presence = alice.join(ROOM, "1", "Alice").await;
    assert_eq!(presence_hash(&presence), json!({"1": info("Alice")}));
    cluster.await_users(ROOM, &["1"]).await;

    let mut bob = n2.connect().await;
    let presence = bob.join(ROOM, "2", "Bob").await;
    let two = json!({"1": info("Alice"), "2": info("Bob")});
    assert_eq!(
        presence_hash(&presence),
        two,
        "node 2 lists node 1's member"
    );
    added(&mut alice, "2", "Bob").await;
    cluster.await_users(ROOM, &["1", "2"]).await;

    let mut carol = n2.connect().await;
    let presence = carol.join(ROOM, "3", "Carol").await;
    let three = json!({"1": info("Alice"), "2": info("Bob"), "3": info("Carol")});
    assert_eq!(presence_hash(&presence), three);
    added(&mut alice, "3", "Carol").await;
    added(&mut bob, "3", "Carol").await;
    cluster.await_users(ROOM, &["1", "2", "3"]).await;
    assert_all_silent(&mut [&mut alice, &mut bob, &mut carol]).await;

    // Bob again, on node 1: the same member, so no member_added anywhere.
    let mut bob_again = n1.connect().await;
    let presence = bob_again.join(ROOM, "2", "Bob").await;
    assert_eq!(presence_hash(&presence), three);
    cluster.await_subscriptions(ROOM, 4).await;
    assert_all_silent(&mut [&mut alice, &mut bob, &mut carol, &mut bob_again]).await;
    assert_http(&cluster, 2, &["1", "2", "3"], 4).await;

    // Bob leaves node 2 but stays on node 1: no member_removed anywhere.
    bob.unsubscribe(ROOM).await;
    cluster.await_subscriptions(ROOM, 3).await;
    assert_all_silent(&mut [&mut alice, &mut carol, &mut bob_again, &mut bob]).await;
    assert_http(&cluster, 2, &["1", "2", "3"], 3).await;

    // His last connection anywhere closes: member_removed once on each node.
    bob_again.close().await;
    removed(&mut alice, "2").await;
    removed(&mut carol, "2").await;
    cluster.await_users(ROOM, &["1", "3"]).await;
    assert_all_silent(&mut [&mut alice, &mut carol, &mut bob]).await;
    assert_http(&cluster, 2, &["1", "3"], 2).await;

    // A newcomer on node 1 sees both remaining members with their info.
    let mut dave = n1.connect().await;
    let presence = dave.join(ROOM, "4", "Dave").await;
    let hash = json!({"1": info("Alice"), "3": info("Carol"), "4": info("Dave")});
    assert_eq!(presence_hash(&presence), hash);
    added(&mut alice, "4", "Dave").await;
    added(&mut carol, "4", "Dave").await;
}
