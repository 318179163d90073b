//! Hostile loads made of WebSocket frames: a client-event flood on a private channel, messages of
//! the largest allowed size back to back with fragmented messages that outgrow the limit or never
//! finish, and ping floods from clients that read nothing.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::tally::Tally;
use super::ws::{self, Dialer, Ended};
use crate::subscriber::Ws;

/// Client events: the channel, one event per ms (100× `client_events_per_second` = 10), at most
/// this many in one phase.
const EVENTS_ROOM: &str = "private-hostile-flood";
const MAX_EVENTS: usize = 10_000;
/// The server's `max_message_bytes` (its default; bench/hostile.toml keeps it).
const MAX_MESSAGE_BYTES: usize = 20 * 1024;
/// Max-size messages: one every 2 ms (10 MB/s).
const BIG_PERIOD: Duration = Duration::from_millis(2);
/// A new connection sending fragments past the limit every this often; their piece size.
const OVERGROW_EVERY: Duration = Duration::from_millis(500);
const PIECE: usize = 1000;
/// Connections that begin a message and never finish it (cut by the heartbeat, ~6 s here).
const UNFINISHED: usize = 2;
/// Ping flood: flooders at once, connections each may use in one phase, ping payload.
const FLOODERS: usize = 2;
const FLOOD_CYCLES: usize = 10;
const PING_BYTES: usize = 125;
/// Longest wait for a close the load provoked.
const CLOSE_WAIT: Duration = Duration::from_secs(12);

/// One member floods client events at 1000/s; another member of the channel counts what is
/// relayed.
pub async fn client_events(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let (Ok(mut flooder), Ok(mut peer)) = (
        ws::join(&dialer, EVENTS_ROOM, None).await,
        ws::join(&dialer, EVENTS_ROOM, None).await,
    ) else {
        tally.add("join failed");
        return;
    };
    let peer_tally = tally.clone();
    let peer_stop = stop.clone();
    let peer = tokio::spawn(async move {
        let seen = |t: &str| {
            if t.contains("client-flood") {
                peer_tally.add("relayed");
            }
        };
        ws::drive(
            &mut peer,
            Duration::from_secs(3600),
            Vec::new,
            seen,
            &peer_stop,
        )
        .await
    });
    let mut sent = 0;
    let next = || {
        if sent >= MAX_EVENTS {
            return Vec::new();
        }
        sent += 1;
        let event = json!({"event": "client-flood", "channel": EVENTS_ROOM, "data": {"n": sent}});
        vec![Message::text(event.to_string())]
    };
    let seen = |t: &str| {
        tally.add(if t.contains("4301") {
            "error 4301"
        } else {
            "other frame"
        })
    };
    let ended = ws::drive(&mut flooder, Duration::from_millis(1), next, seen, &stop).await;
    tally.add_n("sent", sent as u64);
    for end in [Some(ended), peer.await.ok()].into_iter().flatten() {
        if let Some(key) = end.key() {
            tally.add(&key);
        }
    }
}

/// Max-size messages back to back on one connection; meanwhile connections whose fragments
/// outgrow the limit, and a few that begin a message and never finish it.
pub async fn frames(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let mut tasks = JoinSet::new();
    for _ in 0..UNFINISHED {
        tasks.spawn(unfinished(dialer.clone(), tally.clone()));
    }
    tasks.spawn(big_messages(dialer.clone(), tally.clone(), stop.clone()));
    let mut every = tokio::time::interval(OVERGROW_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = every.tick() => {}
        }
        tasks.spawn(overgrown(dialer.clone(), tally.clone()));
    }
    while tasks.join_next().await.is_some() {}
}

/// A `pusher:ping` padded to exactly `bytes`.
fn padded_ping(bytes: usize) -> String {
    let head = r#"{"event":"pusher:ping","data":""#;
    format!("{head}{}\"}}", "x".repeat(bytes - head.len() - 2))
}

async fn big_messages(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let Ok((mut ws, _)) = dialer.established(None).await else {
        tally.add("dial failed");
        return;
    };
    let big = padded_ping(MAX_MESSAGE_BYTES);
    let mut sent = 0u64;
    let next = || {
        sent += 1;
        vec![Message::text(big.clone())]
    };
    let seen = |t: &str| {
        let pong = t.contains("pusher:pong");
        tally.add(if pong {
            "max-size pong"
        } else {
            "max-size other"
        });
    };
    let ended = ws::drive(&mut ws, BIG_PERIOD, next, seen, &stop).await;
    tally.add_n("max-size sent", sent);
    if let Some(key) = ended.key() {
        tally.add(&format!("max-size {key}"));
    }
}

fn fragment(opcode: Data, payload: &[u8], fin: bool) -> Message {
    Message::Frame(Frame::message(payload.to_vec(), OpCode::Data(opcode), fin))
}

/// Sends pieces of one message, none final, until the server closes (1009 expected).
async fn overgrown(dialer: Dialer, tally: Tally) {
    let Ok((mut ws, _)) = dialer.established(None).await else {
        tally.add("dial failed");
        return;
    };
    let first = fragment(Data::Text, br#"{"event":"pusher:ping","data":""#, false);
    let piece = [b'x'; PIECE];
    let mut sending = ws.send(first).await.is_ok();
    for _ in 0..2 * MAX_MESSAGE_BYTES / PIECE {
        sending = sending
            && ws
                .send(fragment(Data::Continue, &piece, false))
                .await
                .is_ok();
    }
    tally.add(&closed_key(&mut ws).await);
}

/// Begins a message and sends nothing more, reading until the server closes (4201 expected).
async fn unfinished(dialer: Dialer, tally: Tally) {
    let Ok((mut ws, _)) = dialer.established(None).await else {
        tally.add("dial failed");
        return;
    };
    let first = fragment(Data::Text, br#"{"event":"pusher:ping","#, false);
    if ws.send(first).await.is_err() {
        tally.add("lost");
        return;
    }
    tally.add(&closed_key(&mut ws).await);
}

/// Reads (answering nothing) until the close; `close {code}`, `dropped` (ended without a close
/// frame) or `no close`.
async fn closed_key(ws: &mut Ws) -> String {
    match timeout(CLOSE_WAIT, crate::subscriber::close_code(ws)).await {
        Ok(1006) => "dropped".into(),
        Ok(code) => format!("close {code}"),
        Err(_) => "no close".into(),
    }
}

/// [`FLOODERS`] clients that each subscribe, then send pings and read nothing until the server
/// drops them, then do it again on a new connection.
pub async fn ping_flood(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let mut tasks = JoinSet::new();
    for n in 0..FLOODERS {
        let (dialer, tally, stop) = (dialer.clone(), tally.clone(), stop.clone());
        tasks.spawn(async move {
            for cycle in 0..FLOOD_CYCLES {
                if stop.is_cancelled() {
                    return;
                }
                let channel = format!("flood-{n}-{cycle}");
                let Ok((mut ws, _)) = dialer.established(Some(4096)).await else {
                    tally.add("dial failed");
                    continue;
                };
                if ws::subscribe(&mut ws, ws::subscribe_frame(&channel, None, None))
                    .await
                    .is_err()
                {
                    tally.add("subscribe failed");
                    continue;
                }
                let pings = pings_until_dropped(&mut ws, &stop).await;
                tally.add_n("pings sent", pings.0);
                if pings.1 == Ended::Lost {
                    tally.add("dropped");
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Pings until a send fails (the server dropped us) or `stop`; the count and how it ended.
async fn pings_until_dropped(ws: &mut Ws, stop: &CancellationToken) -> (u64, Ended) {
    let mut sent = 0;
    loop {
        let ping = Message::Ping(vec![0; PING_BYTES].into());
        tokio::select! {
            () = stop.cancelled() => return (sent, Ended::Stopped),
            r = ws.send(ping) => match r {
                Ok(()) => sent += 1,
                Err(_) => return (sent, Ended::Lost),
            },
        }
    }
}
