//! Two nodes on one database (and one Redis between them): each reads the app itself, events
//! cross nodes, and disabling the app closes its connections on both within the TTL.

use std::time::Duration;

use crate::support::schema::{self, Row};
use crate::support::{database, eventually, Broker, Client, Engine, Node, DB_APP};

pub async fn two_nodes_share_one_database(engine: Engine) {
    let db = database(engine).await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    let redis = Broker::redis().await;
    let cluster = format!(
        "\n[cluster]\nbackend = \"redis\"\nurl = \"{}\"\nprefix = \"store-\"\n\
         heartbeat_ms = 200\nnode_timeout_ms = 1000\n",
        redis.url()
    );
    let a = Node::started(&db, 1, &cluster, "a").await;
    let b = Node::started(&db, 1, &cluster, "b").await;
    let mut on_a = Client::connect_as(&a.ws(DB_APP), DB_APP).await;
    let mut on_b = Client::connect_as(&b.ws(DB_APP), DB_APP).await;
    on_a.subscribe_public("news").await;
    on_b.subscribe_public("news").await;
    eventually("node a sees both subscribers", || async {
        let info = a
            .api(DB_APP)
            .channel_info("news", "subscription_count")
            .await;
        info["subscription_count"] == 2
    })
    .await;
    a.api(DB_APP).publish("news", "everywhere", "hi").await;
    on_a.expect_event("everywhere").await;
    on_b.expect_event("everywhere").await;

    schema::update(&db, DB_APP, "enabled = 0").await;
    for client in [&mut on_a, &mut on_b] {
        let (_, end) = client.read_until_close(Duration::from_secs(5)).await;
        assert!(
            format!("{end:?}").contains("4003"),
            "closed with 4003: {end:?}"
        );
    }
}
