//! Admission under memory pressure: above `[server.limits] max_rss_mb`, new connections are
//! refused — Pusher with 4100, HTTP with 503 — instead of growing the process further.

use crate::support::{config, Client, TestServer};

#[tokio::test]
async fn above_the_memory_ceiling_new_connections_are_refused() {
    let mut config = config();
    config.server.limits.max_rss_mb = Some(1); // any process is above 1 MiB
    let server = TestServer::spawn(config).await;
    // A new connection per request: connections made before the ceiling was seen live on.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let up = format!("{}/up", server.http_base());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let body = loop {
        let answer = http.get(&up).send().await.unwrap();
        if answer.status() == 503 {
            break answer.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "HTTP refused with 503 once the ceiling is seen"
        );
        tokio::task::yield_now().await;
    };
    assert_eq!(body["code"], 503);
    assert!(body["error"].as_str().unwrap().contains("memory"), "{body}");
    let mut client = Client::open(&server.ws_url("app-key")).await;
    let reason = client.expect_refusal(4100).await;
    assert!(reason.contains("memory"), "{reason}");
}
