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
        assert_eq!(
            super::plain(&next_packet(&mut ws).await),
            r#"42["e","news","plain text"]"#
        );
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

/// A server pinging every 100 ms whose protocol 5 clients must send CONNECT within 500 ms.
async fn connect_timeout_server() -> crate::support::TestServer {
    let mut config = super::sio_config(100);
    for app in &mut config.apps {
        if let Some(sio) = app.socketio.as_mut() {
            sio.connect_timeout = 500;
        }
    }
    crate::support::TestServer::spawn(config).await
}

/// Answers the server's pings until it closes the engine (packet `1`) and the socket; returns how
/// many pings were answered.
async fn answer_pings_until_closed(ws: &mut super::Ws) -> usize {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut answered = 0;
    let mut engine_closed = false;
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("closed within 10 s");
        match next {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                send(ws, "3").await;
                answered += 1;
            }
            Some(Ok(Message::Text(t))) if t.as_str() == "1" => engine_closed = true,
            Some(Ok(Message::Text(t))) => panic!("only pings before the close, got {t}"),
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                assert!(engine_closed, "an Engine.IO close before the socket's");
                return answered;
            }
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_v5_client_that_never_connects_is_closed_after_connect_timeout() {
    let server = connect_timeout_server().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(super::ws_url(&server, V4, None))
        .await
        .unwrap();
    assert!(super::next_text(&mut ws).await.starts_with("0{"));
    // Its heartbeat is alive (pings answered), so only the missing CONNECT can close it.
    let answered = answer_pings_until_closed(&mut ws).await;
    assert!(
        answered >= 2,
        "closed after {answered} pings, before the connect timeout"
    );
}

#[tokio::test]
async fn a_connected_v5_client_outlives_connect_timeout() {
    let server = connect_timeout_server().await;
    let (mut ws, _) = ws_connect(&server, V4).await;
    // Ten pings at 100 ms apart: twice the 500 ms connect timeout.
    for _ in 0..10 {
        assert_eq!(super::next_text(&mut ws).await, "2");
        send(&mut ws, "3").await;
    }
    send(&mut ws, &probe("alive")).await;
    assert_refused(&next_packet(&mut ws).await, "alive");
}

#[tokio::test]
async fn the_clients_close_is_answered_on_both_versions() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;
    let server = server().await;
    for eio in [V3, V4] {
        let (mut ws, _) = ws_connect(&server, eio).await;
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        ws.send(Message::Close(Some(close))).await.unwrap();
        loop {
            let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await;
            match next.expect("an answer within 10 s") {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(frame.code, CloseCode::Normal, "EIO {eio}");
                    break;
                }
                Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("EIO {eio}: expected the close answered, got {other:?}"),
            }
        }
    }
}
