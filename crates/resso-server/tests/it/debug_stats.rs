//! `GET /debug/stats` (`[server] debug_stats`): absent by default, and when on it counts the
//! connections and tasks that a soak run checks for leaks.

use serde_json::{json, Value};

use crate::support::{config, TestServer};

async fn stats(server: &TestServer) -> (u16, Value) {
    server.api().send("GET", "/debug/stats", "").await
}

#[tokio::test]
async fn debug_stats_is_a_404_unless_configured() {
    let server = TestServer::spawn(config()).await;
    let (status, body) = stats(&server).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body, json!({"error": "Not found", "code": 404}));
}

#[tokio::test]
async fn debug_stats_counts_connections_and_their_tasks() {
    let mut config = config();
    config.server.debug_stats = true;
    let server = TestServer::spawn(config).await;
    let (status, before) = stats(&server).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["connections"], 0, "{before}");
    assert_eq!(before["socketio_sessions"], 0, "{before}");

    let _one = server.connect().await;
    let _two = server.connect().await;
    let (_, during) = stats(&server).await;
    assert_eq!(during["connections"], 2, "{during}");
    let tasks = |v: &Value| v["tasks"].as_u64().expect("tasks is a number");
    assert!(
        tasks(&during) >= tasks(&before) + 2,
        "{before} then {during}"
    );
}
