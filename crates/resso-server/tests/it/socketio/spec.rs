//! Rules of the Engine.IO v4 / Socket.IO v5 protocol documents where they say MUST, each checked
//! on the wire: an EVENT before CONNECT closes the connection, an EVENT with an ack id is
//! acknowledged, and an encrypted channel (which Echo's connector cannot decrypt) is refused.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::{next_packet, send, server, ws_connect, V3, V4};

#[tokio::test]
async fn an_event_before_connect_closes_the_connection_at_once() {
    let server = server().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(super::ws_url(&server, V4, None))
        .await
        .unwrap();
    assert!(super::next_text(&mut ws).await.starts_with("0{"));
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.as_str() == "1" => {} // the engine's close
                Some(Ok(Message::Text(t))) => panic!("no packet but the close, got {t}"),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "closed within 2 s, not at the connect timeout"
    );
}

#[tokio::test]
async fn an_event_with_an_ack_id_is_acknowledged() {
    let server = server().await;
    for eio in [V3, V4] {
        let (mut ws, _) = ws_connect(&server, eio).await;
        send(&mut ws, r#"4217["subscribe",{"channel":"news"}]"#).await;
        assert_eq!(next_packet(&mut ws).await, "4317[]", "EIO {eio}");
    }
}

#[tokio::test]
async fn an_encrypted_channel_is_refused_to_socketio_clients() {
    let server = server().await;
    let (mut ws, _) = ws_connect(&server, V4).await;
    send(
        &mut ws,
        r#"42["subscribe",{"channel":"private-encrypted-orders"}]"#,
    )
    .await;
    // 400, not the 403 of a private channel this test app cannot authorize: refused for what it is.
    assert_eq!(
        next_packet(&mut ws).await,
        r#"42["subscription_error","private-encrypted-orders",400]"#
    );
}
