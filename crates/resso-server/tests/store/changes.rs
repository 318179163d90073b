//! Changes in the database take effect within the TTL, without a restart: a new app is served, a
//! changed secret is used, a disabled app is refused and its connections closed with 4003.

use std::time::Duration;

use crate::support::schema::{self, Row};
use crate::support::{database, eventually, Api, Client, Engine, Node, TestApp, DB_APP};

const LATE: TestApp = TestApp {
    id: "late-id",
    key: "late-key",
    secret: "late-secret",
};

pub async fn changes_apply_within_the_ttl(engine: Engine) {
    let db = database(engine).await;
    let node = Node::start(&db, 1).await;
    let mut refused = Client::open_as(&node.ws(LATE), LATE).await;
    refused.expect_refusal(4001).await;

    // Inserted while Ressò runs: served within the TTL.
    schema::insert(&db, LATE, &Row::default()).await;
    eventually("the inserted app is served", || async {
        let (status, _) = node.api(LATE).get("/channels", &[]).await;
        status == 200
    })
    .await;
    let mut client = Client::connect_as(&node.ws(LATE), LATE).await;
    client.subscribe_public("news").await;

    // A new secret: requests signed with it are accepted within the TTL, the old one refused.
    schema::update(&db, LATE, "secret = 'rotated-secret'").await;
    let rotated = TestApp {
        secret: "rotated-secret",
        ..LATE
    };
    let new_api = node.api(rotated);
    eventually("the new secret is used", || async {
        new_api.get("/channels", &[]).await.0 == 200
    })
    .await;
    assert_eq!(node.api(LATE).get("/channels", &[]).await.0, 401);
    let stale: Api = node.api(DB_APP);
    assert_eq!(
        stale.get("/channels", &[]).await.0,
        404,
        "an unknown app id"
    );

    // Disabled: the open connection is closed with 4003 within the TTL, new ones refused.
    schema::update(&db, LATE, "enabled = 0").await;
    let (_, end) = client.read_until_close(Duration::from_secs(5)).await;
    assert!(
        format!("{end:?}").contains("4003"),
        "closed with 4003: {end:?}"
    );
    let mut again = Client::open_as(&node.ws(LATE), rotated).await;
    again.expect_refusal(4003).await;
}
