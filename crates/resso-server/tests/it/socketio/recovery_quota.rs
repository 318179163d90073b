//! A session waiting for a recovery keeps its place in the app's `max_connections`: newcomers on
//! either protocol are refused while it waits, and the client it belongs to gets back in.

use resso_test_kit::{eventually, Client};

use super::next_packet;
use super::recovery::{connect_with, drop_transport, recovery_config};
use crate::support::{TestServer, MAIN};

/// A server whose Socket.IO app (MAIN) takes one connection.
async fn server_of_one() -> TestServer {
    let mut config = recovery_config(120_000, 100);
    let main = config.apps.iter_mut().find(|a| a.id == MAIN.id).unwrap();
    main.max_connections = Some(1);
    TestServer::spawn(config).await
}

#[tokio::test]
async fn a_waiting_session_keeps_its_place_in_the_connection_limit() {
    let server = server_of_one().await;
    let (ws, old) = connect_with(&server, "").await;
    drop_transport(ws).await;
    assert_eq!(connections(&server).await, 1, "the waiting session counts");

    let mut pusher = Client::open(&server.ws_url(MAIN.key)).await;
    pusher.expect_refusal(4004).await;
    let (mut fresh, answer) = connect_refused(&server).await;
    assert_eq!(answer, r#"44{"message":"Over quota"}"#);
    assert_eq!(next_packet(&mut fresh).await, "1", "closed");
    eventually("the refused socket is counted out", || async {
        connections(&server).await == 1
    })
    .await;

    let claim = serde_json::json!({"pid": old["pid"]}).to_string();
    let (_back, answer) = connect_with(&server, &claim).await;
    assert_eq!(answer["sid"], old["sid"], "its own session gets back in");
    let mut pusher = Client::open(&server.ws_url(MAIN.key)).await;
    pusher.expect_refusal(4004).await;
}

/// A protocol 5 websocket whose CONNECT asks for no session: it and the answer's text.
async fn connect_refused(server: &TestServer) -> (super::Ws, String) {
    let url = super::ws_url(server, super::V4, None);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert!(super::next_text(&mut ws).await.starts_with('0'));
    super::send(&mut ws, "40").await;
    let answer = next_packet(&mut ws).await;
    (ws, answer)
}

/// The app's connections as the HTTP API counts them.
async fn connections(server: &TestServer) -> u64 {
    let body = server.api().get_ok("/connections", &[]).await;
    body["connections"].as_u64().unwrap()
}
