//! Graceful shutdown: every client is told to reconnect (4200) and `run` returns (principle 8).

use std::time::Duration;

use tokio::time::Instant;

use crate::support::{config, TestServer};

#[tokio::test]
async fn shutdown_closes_clients_with_4200_and_run_returns() {
    let server = TestServer::spawn(config()).await;
    let url = server.ws_url("app-key");
    let mut idle = server.connect().await;
    let mut subscribed = server.connect().await;
    subscribed.subscribe_public("news").await;
    let start = Instant::now();
    let clients = async {
        for client in [&mut idle, &mut subscribed] {
            client.expect_refusal(4200).await;
        }
    };
    tokio::join!(server.shutdown(), clients);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        start.elapsed()
    );
    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(refused.is_err(), "no new connections after shutdown");
}
