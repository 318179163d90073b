use serde_json::json;

use super::{assert_refused, closed, next_packet, probe, send, server, ws_connect, V3, V4};

#[tokio::test]
async fn websocket_only_sockets_work_for_both_versions() {
    let server = server().await;
    for eio in [V3, V4] {
        let (mut ws, open) = ws_connect(&server, eio).await;
        assert_eq!(open["upgrades"], json!([]));
        send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
        send(&mut ws, &probe("ws")).await;
        assert_refused(&next_packet(&mut ws).await, "ws");
        server.api().publish("news", "e", "plain text").await;
        assert_eq!(next_packet(&mut ws).await, r#"42["e","news","plain text"]"#);
        if eio == V3 {
            send(&mut ws, "2").await;
            assert_eq!(super::next_text(&mut ws).await, "3");
        }
    }
}

#[tokio::test]
async fn shutdown_closes_socketio_sockets_with_an_engine_close() {
    let server = server().await;
    let (mut v3, _) = ws_connect(&server, V3).await;
    let (mut v4, _) = ws_connect(&server, V4).await;
    server.shutdown().await;
    assert_eq!(closed(&mut v3).await, ["1"]);
    assert_eq!(closed(&mut v4).await, ["1"]);
}

#[tokio::test]
async fn a_client_disconnect_ends_the_socket() {
    let server = server().await;
    let (mut ws, _) = ws_connect(&server, V4).await;
    send(&mut ws, "41").await;
    assert_eq!(closed(&mut ws).await, Vec::<String>::new());
}
