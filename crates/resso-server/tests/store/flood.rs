//! Made-up keys and ids never reach the database: 10,000 lookups of keys the table does not have
//! make no query, and the server's memory does not grow with them.

use futures_util::stream::{self, StreamExt};

use crate::support::schema::{self, Row};
use crate::support::{database, Client, Engine, Node, TestApp, DB_APP};

/// Lookups with made-up keys or ids.
const ATTEMPTS: usize = 10_000;
/// WebSocket connections among them (the rest are HTTP API requests, by id).
const SOCKETS: usize = 500;

pub async fn made_up_keys_never_reach_the_database(engine: Engine) {
    let db = database(engine).await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    // A long TTL: no refresh runs during the flood, so every query counted is a lookup's.
    let node = Node::start(&db, 300).await;
    Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    let queries = db.select_count().await;
    let rss = node.rss_kib();

    for i in 0..SOCKETS {
        let key: &'static str = Box::leak(format!("made-up-{i}").into_boxed_str());
        let mut client = Client::open(&node.ws(TestApp { key, ..DB_APP })).await;
        client.expect_refusal(4001).await;
    }
    let http = reqwest::Client::new();
    let base = format!("http://{}", node.addr);
    stream::iter(SOCKETS..ATTEMPTS)
        .for_each_concurrent(32, |i| {
            let url = format!("{base}/apps/made-up-{i}/channels");
            let http = http.clone();
            async move {
                let status = http.get(url).send().await.expect("request").status();
                assert_eq!(status.as_u16(), 404);
            }
        })
        .await;

    let made = db.select_count().await - queries;
    assert!(
        made <= 2,
        "{made} queries for {ATTEMPTS} made-up keys and ids"
    );
    let grown = node.rss_kib().saturating_sub(rss);
    assert!(grown < 32 * 1024, "memory grew by {grown} KiB");
    // The real app is still served, from the cache.
    Client::connect_as(&node.ws(DB_APP), DB_APP).await;
}
