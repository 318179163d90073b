//! A Socket.IO websocket that floods WebSocket pings while reading nothing: its pongs back up, and a
//! write that cannot finish within the app's `ping_timeout` closes it — as for Pusher connections.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpSocket;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use super::Bystander;
use crate::socketio::{send, sio_config, ws_url, V4};
use crate::support::TestServer;

#[tokio::test]
async fn a_socketio_ping_flood_that_reads_nothing_is_closed_once_its_pongs_back_up() {
    // Recovery off: a socket dropped for a lapsed heartbeat would otherwise keep its channel for
    // the recovery window.
    let mut config = sio_config(1000);
    for app in &mut config.apps {
        if let Some(sio) = app.socketio.as_mut() {
            sio.recovery_window = 0;
        }
    }
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut flood = super::ws_over(&server, socket, ws_url(&server, V4, None)).await;
    super::sio_connect(&mut flood).await;
    send(&mut flood, r#"42["subscribe",{"channel":"flood"}]"#).await;
    // The server handles a socket's frames in order: the pong comes after the join.
    flood
        .send(Message::Ping(vec![1].into()))
        .await
        .expect("ping");
    let pong = timeout(Duration::from_secs(10), flood.next()).await;
    assert!(matches!(pong, Ok(Some(Ok(Message::Pong(_))))), "{pong:?}");
    let occupied = server.api().get("/channels/flood", &[]).await;
    assert_eq!(occupied, (200, json!({"occupied": true})));
    super::ping_flood_is_dropped(&server, &mut calm, flood, "flood").await;
}
