//! `[server.limits]` per-address limits: past `connections_per_ip` open connections or
//! `connects_per_ip_per_second` new ones, a Pusher upgrade gets `pusher:error` 4100 + close 4100
//! and an HTTP request 429 with a JSON body. The hostile client dials from 127.0.0.2 (or .3), the
//! bystander from 127.0.0.1, so only the hostile address is over its limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpSocket;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::{sio_connect, ws_over, Bystander, Ws};
use crate::socketio::{sio_config, ws_url, V4};
use crate::support::{config, TestServer};

const HOSTILE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const HOSTILE_HTTP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
const WAIT: Duration = Duration::from_secs(5);

/// How a WebSocket dial ended.
enum Dial {
    Established(Box<Ws>),
    /// `pusher:error` with this code, then a close frame with this code and reason.
    Refused {
        error: u16,
        close: u16,
        reason: String,
    },
}

/// Opens a Pusher WebSocket from `from` and reads until it is greeted or refused.
async fn dial(server: &TestServer, from: IpAddr) -> Dial {
    let mut ws = ws_over(server, bound(from), server.ws_url("app-key")).await;
    let first = next(&mut ws).await;
    let Message::Text(text) = first else {
        panic!("expected a text frame, got {first:?}");
    };
    let frame: Value = serde_json::from_str(&text).expect("JSON");
    if frame["event"] == "pusher:connection_established" {
        return Dial::Established(Box::new(ws));
    }
    assert_eq!(frame["event"], "pusher:error", "{frame}");
    let error = frame["data"]["code"].as_u64().expect("a code") as u16;
    let Message::Close(Some(close)) = next(&mut ws).await else {
        panic!("expected a close frame after {frame}");
    };
    Dial::Refused {
        error,
        close: close.code.into(),
        reason: close.reason.to_string(),
    }
}

async fn next(ws: &mut Ws) -> Message {
    timeout(WAIT, ws.next())
        .await
        .expect("a frame in time")
        .expect("the stream is open")
        .expect("a valid frame")
}

fn assert_over_capacity(dial: Dial) {
    match dial {
        Dial::Refused {
            error,
            close,
            reason,
        } => {
            assert_eq!((error, close), (4100, 4100), "{reason}");
            assert!(reason.starts_with("Over capacity"), "{reason}");
        }
        Dial::Established(_) => panic!("expected a 4100 refusal, the connection was admitted"),
    }
}

/// `GET /up` from `from` over a new connection: its status and JSON body.
async fn up_from(server: &TestServer, from: IpAddr) -> (u16, Value) {
    let http = reqwest::Client::builder()
        .local_address(from)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let response = http
        .get(format!("{}/up", server.http_base()))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn assert_429(answer: &(u16, Value)) {
    let (status, body) = answer;
    assert_eq!(*status, 429, "{body}");
    assert_eq!(body["code"], 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("address")),
        "{body}"
    );
}

#[tokio::test]
async fn open_connections_past_the_per_ip_limit_are_refused_4100_and_429() {
    let mut config = config();
    config.server.limits.connections_per_ip = Some(4);
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let Dial::Established(ws) = dial(&server, HOSTILE).await else {
            panic!("the first 4 are admitted");
        };
        held.push(ws);
    }
    for _ in 0..10 {
        assert_over_capacity(dial(&server, HOSTILE).await);
        assert_429(&up_from(&server, HOSTILE).await);
        calm.still_delivers().await;
    }
    // A closed connection gives its place back: a later dial is admitted.
    let mut gone = held.pop().expect("held");
    gone.close(None).await.expect("close");
    while gone.next().await.is_some() {}
    until_admitted(&server, "the freed place was not given back").await;
    calm.still_delivers().await;
}

#[tokio::test]
async fn a_connection_flood_past_the_per_ip_rate_is_refused_4100_and_429() {
    let mut config = config();
    config.server.limits.connects_per_ip_per_second = Some(5);
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let mut admitted = Vec::new();
    let refused = loop {
        assert!(admitted.len() < 200, "200 dials, none refused");
        match dial(&server, HOSTILE).await {
            Dial::Established(ws) => admitted.push(ws),
            refused => break refused,
        }
    };
    assert_over_capacity(refused);
    assert!(admitted.len() >= 5, "the first window's 5 are admitted");
    calm.still_delivers().await;
    let mut tries = 0;
    let answer = loop {
        tries += 1;
        assert!(tries <= 200, "200 requests, none refused");
        let answer = up_from(&server, HOSTILE_HTTP).await;
        if answer.0 != 200 {
            break answer;
        }
    };
    assert_429(&answer);
    calm.still_delivers().await;
}

/// Opens a Socket.IO (EIO 4) websocket from `from`, connected on `/`.
async fn dial_socketio(server: &TestServer, from: IpAddr) -> Ws {
    let mut ws = ws_over(server, bound(from), ws_url(server, V4, None)).await;
    sio_connect(&mut ws).await;
    ws
}

/// A TCP socket bound to `from`, so the server sees that address.
fn bound(from: IpAddr) -> TcpSocket {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind a loopback address");
    socket
}

/// Dials from [`HOSTILE`] until a connection is admitted again (refusals meanwhile must be 4100).
async fn until_admitted(server: &TestServer, what: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        match dial(server, HOSTILE).await {
            Dial::Established(_) => return,
            refused => assert_over_capacity(refused),
        }
        assert!(Instant::now() < deadline, "{what}");
    }
}

/// A Socket.IO websocket runs in a task of its own, apart from the connection that carried its
/// upgrade: it must keep its address's place for as long as it lives.
#[tokio::test]
async fn socketio_websockets_hold_their_place_under_the_per_ip_limit() {
    let mut config = sio_config(25_000);
    config.server.limits.connections_per_ip = Some(2);
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let held = [
        dial_socketio(&server, HOSTILE).await,
        dial_socketio(&server, HOSTILE).await,
    ];
    assert_over_capacity(dial(&server, HOSTILE).await);
    calm.still_delivers().await;
    drop(held);
    until_admitted(&server, "the freed places were not given back").await;
}

/// A Socket.IO polling session outlives the requests that poll it, so it takes a place of its own:
/// one keep-alive connection cannot open sessions past the address's limit.
#[tokio::test]
async fn socketio_polling_sessions_count_under_the_per_ip_limit() {
    let mut config = sio_config(25_000);
    config.server.limits.connections_per_ip = Some(2);
    let server = TestServer::spawn(config).await;
    let mut calm = Bystander::join(&server).await;
    let http = reqwest::Client::builder()
        .local_address(HOSTILE)
        .build()
        .expect("client");
    let handshake = format!("{}/socket.io/?EIO=4&transport=polling", server.http_base());
    // The keep-alive connection holds one place, the first session the other.
    let first = http.get(&handshake).send().await.expect("an answer");
    assert_eq!(first.status().as_u16(), 200);
    assert!(
        first.text().await.expect("body").starts_with('0'),
        "open packet"
    );
    let second = http.get(&handshake).send().await.expect("an answer");
    assert_eq!(second.status().as_u16(), 429);
    let body: Value = second.json().await.expect("a JSON body");
    assert_eq!(body["code"], 3, "{body}");
    assert_over_capacity(dial(&server, HOSTILE).await);
    calm.still_delivers().await;
}
