//! Graceful shutdown: every client is told to reconnect (4200) and `run` returns (principle 8).

use std::time::Duration;

use tokio::time::Instant;

use crate::support::{config, Client, Outcome, TestServer};

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

/// A test server whose drain closes its clients over `secs` seconds.
async fn draining_server(secs: u64) -> TestServer {
    let mut config = config();
    config.server.drain_seconds = secs;
    TestServer::spawn(config).await
}

#[tokio::test]
async fn the_drain_spreads_its_4200s_over_the_window() {
    let server = draining_server(2).await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(server.connect().await);
    }
    let start = Instant::now();
    let closes = futures_util::future::join_all(clients.iter_mut().map(|client| async move {
        closed_with_4200(client).await;
        start.elapsed()
    }));
    let ((), mut at) = tokio::join!(server.shutdown(), closes);
    at.sort();
    let (first, last) = (at[0], at[at.len() - 1]);
    assert!(
        first < Duration::from_secs(1),
        "the first close came at {first:?}"
    );
    assert!(
        last - first >= Duration::from_secs(1),
        "20 clients over a 2 s drain closed between {first:?} and {last:?}"
    );
}

/// Waits for this client's `pusher:error` 4200 and close 4200, which the drain may send up to its
/// window's end — longer than the kit's receive timeout allows on a loaded machine.
async fn closed_with_4200(client: &mut Client) {
    let mut told = false;
    loop {
        match client.next_within(Duration::from_secs(10)).await {
            Outcome::Text(text) if text.contains("pusher:error") => {
                assert!(text.contains("4200"), "{text}");
                told = true;
            }
            Outcome::Text(_) | Outcome::Pong(_) => {}
            Outcome::Close(Some((code, _))) => {
                assert_eq!(code, 4200);
                assert!(told, "pusher:error 4200 before the close");
                return;
            }
            other => panic!("expected close 4200, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn ready_answers_503_while_draining_and_the_api_still_works() {
    let server = draining_server(2).await;
    let base = server.http_base();
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(server.connect().await);
    }
    let api = server.api();
    let probe = async {
        let mut status = 200;
        for _ in 0..200 {
            let answer = http.get(format!("{base}/ready")).send().await.unwrap();
            status = answer.status().as_u16();
            if status == 503 {
                let body: serde_json::Value = answer.json().await.unwrap();
                assert_eq!(body["ready"], false);
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(status, 503, "/ready while draining");
        let body = serde_json::json!({"name": "during-drain", "channel": "news", "data": "{}"});
        let (status, _) = api.post("/events", &body).await;
        assert_eq!(status, 200, "the HTTP API serves during the drain");
        for client in &mut clients {
            client.expect_refusal(4200).await;
        }
    };
    tokio::join!(server.shutdown(), probe);
}

#[tokio::test]
async fn usage_tells_memory_and_connections() {
    let server = TestServer::spawn(config()).await;
    let _client = server.connect().await;
    let usage: serde_json::Value = reqwest::get(format!("{}/usage", server.http_base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(usage["connections"], 1, "{usage}");
    assert!(
        usage["memory"]["usage"].as_u64().unwrap() > 1 << 20,
        "{usage}"
    );
    assert!(
        usage["memory"]["total"].as_u64().unwrap() >= usage["memory"]["usage"].as_u64().unwrap()
    );
}
