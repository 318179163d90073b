//! TLS to the database where the URL asks for it: a server with a certificate made by the test is
//! reached with the certificate checked (`sslmode=verify-full` / `ssl-mode=VERIFY_IDENTITY`) and
//! serves its apps; a URL requiring TLS of a server without it, or one whose certificate fails the
//! check, stops start-up with a message saying so rather than waiting.

use std::time::Duration;

use crate::support::pki::{Ca, Files};
use crate::support::schema::{self, Row};
use crate::support::{Client, Database, Engine, Node, DB_APP};

/// `url` asking for TLS with the server's certificate checked against `ca` (a PEM file).
fn verified(db: &Database, ca: &str) -> String {
    match db.engine {
        Engine::Postgres => format!("{}?sslmode=verify-full&sslrootcert={ca}", db.url()),
        Engine::MariaDb => format!("{}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}", db.url()),
    }
}

pub async fn tls_is_used_and_required(engine: Engine) {
    let (ca, wrong) = (Ca::new(), Ca::new());
    let files = Files::new();
    files.replace(&files.path("ca.pem"), &ca.pem());
    files.replace(&files.path("wrong.pem"), &wrong.pem());
    let leaf = ca.localhost(1);
    let db = Database::start_with_tls(engine, &leaf.cert_pem, &leaf.key_pem).await;
    schema::create(&db).await;
    schema::insert(&db, DB_APP, &Row::default()).await;

    let node = Node::on_url(&verified(&db, &files.path("ca.pem")), db.port, 1, "", "tls").await;
    let mut client = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    client.subscribe_public("news").await;
    node.api(DB_APP).publish("news", "over", "tls").await;
    client.expect_event("over").await;

    let untrusted = verified(&db, &files.path("wrong.pem"));
    refused_at_start(&untrusted, db.port, "untrusted").await;
    let plain = Database::start(engine).await;
    refused_at_start(
        &verified(&plain, &files.path("ca.pem")),
        plain.port,
        "plain",
    )
    .await;
}

/// Starts `resso` on `url` and expects it to exit at once, naming the failed TLS.
async fn refused_at_start(url: &str, port: u16, name: &str) {
    let (log, mut proc) = Node::spawn(url, port, 1, "", name);
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = proc.child.try_wait().expect("wait for resso") {
            break status;
        }
        assert!(waited < Duration::from_secs(10), "{name}: resso still runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!status.success(), "{name}: {printed}");
    assert!(
        printed.contains("app_store.url asks for TLS, and TLS with the database failed"),
        "{name}: {printed}"
    );
}
