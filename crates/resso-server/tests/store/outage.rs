//! The database stopped mid-run: apps already looked up keep working (connections and the HTTP
//! API), other keys are refused at once rather than waited on, and the outage is logged once;
//! started again: new apps appear again, and the recovery is logged.

use std::time::{Duration, Instant};

use crate::support::schema::{self, Row};
use crate::support::{database, eventually, Client, Engine, Node, TestApp, DB_APP};

const UNCACHED: TestApp = TestApp {
    id: "uncached-id",
    key: "uncached-key",
    secret: "uncached-secret",
};

const AFTER: TestApp = TestApp {
    id: "after-id",
    key: "after-key",
    secret: "after-secret",
};

pub async fn an_outage_keeps_cached_apps_serving(engine: Engine) {
    let mut db = database(engine).await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    schema::insert(&db, UNCACHED, &Row::default()).await;
    let node = Node::start(&db, 1).await;
    let mut client = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    client.subscribe_public("news").await;

    db.stop();
    eventually("the outage is logged", || async {
        node.logged("app store unreachable") == 1
    })
    .await;
    // Cached: new connections and the API keep working.
    Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    node.api(DB_APP).publish("news", "still", "here").await;
    client.expect_event("still").await;
    // Not cached: refused at once.
    let started = Instant::now();
    let mut refused = Client::open_as(&node.ws(UNCACHED), UNCACHED).await;
    refused.expect_refusal(4001).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused after {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        node.logged("app store unreachable"),
        1,
        "the outage is logged once"
    );

    db.restart().await;
    schema::insert(&db, AFTER, &Row::default()).await;
    eventually("an app inserted after the outage is served", || async {
        node.api(AFTER).get("/channels", &[]).await.0 == 200
    })
    .await;
    Client::connect_as(&node.ws(UNCACHED), UNCACHED).await;
    assert_eq!(node.logged("app store reachable again"), 1);
}
