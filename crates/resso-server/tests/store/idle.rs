//! Idle apps are let go: a database app with no connection, not looked up for a few TTLs, is
//! dropped from memory and read again at its next use; an app with an open connection stays.

use crate::support::schema::{self, Row};
use crate::support::{database, eventually, Client, Engine, Node, TestApp, DB_APP};

const BUSY: TestApp = TestApp {
    id: "busy-id",
    key: "busy-key",
    secret: "busy-secret",
};

pub async fn idle_apps_are_let_go_and_read_again(engine: Engine) {
    let db = database(engine).await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    schema::insert(&db, BUSY, &Row::default()).await;
    let node = Node::start(&db, 1).await;
    let mut busy = Client::connect_as(&node.ws(BUSY), BUSY).await;
    busy.subscribe_public("news").await;
    assert_eq!(node.api(DB_APP).get("/channels", &[]).await.0, 200);

    eventually("the idle app is let go", || async {
        node.logged("database app idle") == 1
    })
    .await;
    assert_eq!(
        node.logged_with("database app idle", DB_APP.id),
        1,
        "the idle one, not the busy one"
    );
    // Read again at its next use.
    assert_eq!(node.api(DB_APP).get("/channels", &[]).await.0, 200);
    node.api(BUSY).publish("news", "still", "here").await;
    busy.expect_event("still").await;
}
