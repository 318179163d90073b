//! Hostile WebSocket framing: a fragmented message that grows past `max_message_bytes` (1009), a
//! fragment that never finishes (cut by the heartbeat, 4201), and a client that floods pings while
//! reading nothing (its pongs back up; a write that cannot finish within `pong_timeout` closes it).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use super::{Bystander, Ws};
use crate::support::{config, TestServer};

const WAIT: Duration = Duration::from_secs(10);

/// A Pusher connection over a socket with a `recv_buffer`-byte receive buffer, greeted.
async fn raw(server: &TestServer, recv_buffer: u32) -> Ws {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(recv_buffer).expect("SO_RCVBUF");
    let mut ws = super::ws_over(server, socket, server.ws_url("app-key")).await;
    let greeting = text(&mut ws).await;
    assert_eq!(
        greeting["event"], "pusher:connection_established",
        "{greeting}"
    );
    ws
}

/// The next text frame as JSON.
async fn text(ws: &mut Ws) -> Value {
    match next(ws).await {
        Message::Text(t) => serde_json::from_str(&t).expect("JSON"),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

async fn next(ws: &mut Ws) -> Message {
    timeout(WAIT, ws.next())
        .await
        .expect("a frame in time")
        .expect("the stream is open")
        .expect("a valid frame")
}

/// Reads until the close frame; its code.
async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        if let Message::Close(frame) = next(ws).await {
            return frame.map_or(1005, |f| f.code.into());
        }
    }
}

async fn subscribe(ws: &mut Ws, channel: &str) {
    let frame = json!({"event": "pusher:subscribe", "data": {"channel": channel}});
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("send");
    let answer = text(ws).await;
    assert_eq!(
        answer["event"], "pusher_internal:subscription_succeeded",
        "{answer}"
    );
}

#[tokio::test]
async fn a_ping_flood_that_reads_nothing_is_closed_once_its_pongs_back_up() {
    let mut config = config();
    config.server.pong_timeout = 1;
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let mut flood = raw(&server, 4096).await;
    subscribe(&mut flood, "flood").await;
    super::ping_flood_is_dropped(&server, &mut calm, flood, "flood").await;
}

fn fragment(opcode: Data, payload: &[u8], fin: bool) -> Message {
    Message::Frame(Frame::message(payload.to_vec(), OpCode::Data(opcode), fin))
}

#[tokio::test]
async fn fragments_growing_past_max_message_bytes_are_closed_1009() {
    let mut config = config();
    config.server.max_message_bytes = 1024;
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let mut hostile = raw(&server, 64 * 1024).await;
    let piece = [b'x'; 200];
    let first = fragment(Data::Text, br#"{"event":"pusher:ping","data":""#, false);
    hostile.send(first).await.expect("send");
    // Each piece is far below the limit; five of them pass it. None is final.
    for _ in 0..5 {
        hostile
            .send(fragment(Data::Continue, &piece, false))
            .await
            .expect("send");
        calm.still_delivers().await;
    }
    assert_eq!(close_code(&mut hostile).await, 1009);
    calm.still_delivers().await;
}

#[tokio::test]
async fn a_fragment_that_never_finishes_is_cut_by_the_heartbeat_4201() {
    let mut config = config();
    (config.server.activity_timeout, config.server.pong_timeout) = (1, 1);
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let mut hostile = raw(&server, 64 * 1024).await;
    let first = fragment(Data::Text, br#"{"event":"pusher:ping","#, false);
    hostile.send(first).await.expect("send");
    calm.still_delivers().await;
    // A message begun is not activity: the server pings, hears nothing whole, and closes.
    let ping = text(&mut hostile).await;
    assert_eq!(ping["event"], "pusher:ping", "{ping}");
    calm.still_delivers().await; // the bystander answers its own ping and stays
    assert_eq!(close_code(&mut hostile).await, 4201);
    calm.still_delivers().await;
}
