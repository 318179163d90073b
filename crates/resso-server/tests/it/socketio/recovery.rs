//! Connection state recovery (socket.io-client 4.6+): the `pid` in the CONNECT answer, offsets on
//! events, and a recovering CONNECT getting the same `sid` and what it missed, once and in order —
//! or, whenever that cannot be honoured whole, a fresh session with nothing replayed.

use std::time::Duration;

use futures_util::StreamExt;
use resso_server::config::Config;
use serde_json::{json, Value};

use super::{assert_refused, next_packet, probe, send, ws_url, Ws, V3, V4};
use crate::support::TestServer;

/// The Socket.IO test config with recovery bounded by `window_ms` and `max_events`.
pub fn recovery_config(window_ms: u64, max_events: usize) -> Config {
    let mut config = super::sio_config(25_000);
    for app in &mut config.apps {
        if let Some(sio) = app.socketio.as_mut() {
            sio.recovery_window = window_ms;
            sio.recovery_max_events = max_events;
        }
    }
    config
}

/// A protocol 5 websocket whose CONNECT carries `payload`; the socket and the answer's JSON.
pub async fn connect_with(server: &TestServer, payload: &str) -> (Ws, Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(server, V4, None))
        .await
        .unwrap();
    assert!(super::next_text(&mut ws).await.starts_with('0'));
    send(&mut ws, &format!("40{payload}")).await;
    let answer = next_packet(&mut ws).await;
    let json = answer.strip_prefix("40").expect("a CONNECT answer");
    (ws, serde_json::from_str(json).unwrap())
}

/// The arguments of an EVENT packet.
pub fn args(packet: &str) -> Vec<Value> {
    let json = packet
        .strip_prefix("42")
        .unwrap_or_else(|| panic!("an EVENT, got {packet}"));
    serde_json::from_str(json).unwrap()
}

/// The offset an EVENT carries (its last argument).
pub fn offset(packet: &str) -> String {
    let args = args(packet);
    args.last()
        .and_then(Value::as_str)
        .expect("a string offset")
        .to_owned()
}

/// Closes `ws` with a close frame and waits for the server's answer: by then the server has kept
/// the session for recovery.
pub async fn drop_transport(mut ws: Ws) {
    ws.close(None).await.unwrap();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await {}
}

/// Sends [`probe`]`(name)` and asserts its refusal is the next packet: nothing else was queued.
pub async fn nothing_more(ws: &mut Ws, name: &str) {
    send(ws, &probe(name)).await;
    assert_refused(&next_packet(ws).await, name);
}

#[tokio::test]
async fn the_connect_answer_carries_a_pid_and_events_their_offsets() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let (mut ws, answer) = connect_with(&server, "").await;
    let (sid, pid) = (
        answer["sid"].as_str().unwrap(),
        answer["pid"].as_str().unwrap(),
    );
    assert!(!sid.is_empty() && pid.len() >= 22, "{answer}");
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    server.api().publish("news", "e", r#"{"n":1}"#).await;
    server.api().publish("news", "e", "plain").await;
    let first = next_packet(&mut ws).await;
    let second = next_packet(&mut ws).await;
    assert_eq!(
        args(&first)[..3],
        [json!("e"), json!("news"), json!({"n": 1})]
    );
    assert_eq!(
        args(&second)[..3],
        [json!("e"), json!("news"), json!("plain")]
    );
    let (a, b): (u64, u64) = (
        offset(&first).parse().unwrap(),
        offset(&second).parse().unwrap(),
    );
    assert!(b > a, "offsets rise: {a} then {b}");

    // socket.io-client 2 has no recovery: no offsets.
    let (mut v3, _) = super::ws_connect(&server, V3).await;
    send(&mut v3, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut v3, "v3").await;
    server.api().publish("news", "e", "plain").await;
    assert_eq!(next_packet(&mut v3).await, r#"42["e","news","plain"]"#);
}

#[tokio::test]
async fn a_recovered_session_keeps_its_sid_and_gets_what_it_missed_once_in_order() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let api = server.api();
    let (mut ws, answer) = connect_with(&server, "").await;
    let (sid, pid) = (answer["sid"].clone(), answer["pid"].clone());
    for channel in ["news", "orders"] {
        send(
            &mut ws,
            &format!(r#"42["subscribe",{{"channel":"{channel}"}}]"#),
        )
        .await;
    }
    nothing_more(&mut ws, "barrier").await;
    api.publish("news", "seen", "0").await;
    let seen = offset(&next_packet(&mut ws).await);
    drop_transport(ws).await;

    api.publish("news", "missed", "1").await;
    api.publish("orders", "missed", "2").await;
    api.publish_except("news", "not-for-me", "x", sid.as_str())
        .await;
    api.publish("elsewhere", "missed", "never").await;
    api.publish("news", "missed", "3").await;

    let claim = json!({"pid": pid, "offset": seen}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    assert_eq!(
        (&answer["sid"], &answer["pid"]),
        (&sid, &pid),
        "the same session"
    );
    for (channel, data) in [("news", 1), ("orders", 2), ("news", 3)] {
        let packet = next_packet(&mut ws).await;
        assert_eq!(
            args(&packet)[..3],
            [json!("missed"), json!(channel), json!(data)]
        );
    }
    // Echo subscribes again after a reconnect: nothing changes, nothing is sent twice.
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    api.publish("news", "live", "4").await;
    let live = next_packet(&mut ws).await;
    assert_eq!(args(&live)[..3], [json!("live"), json!("news"), json!(4)]);
    nothing_more(&mut ws, "after").await;
    let info = api.channel_info("news", "subscription_count").await;
    assert_eq!(info["subscription_count"], 1, "{info}");

    // Recovered again from the newest offset: nothing to replay.
    drop_transport(ws).await;
    let claim = json!({"pid": pid, "offset": offset(&live)}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    assert_eq!(answer["sid"], sid);
    nothing_more(&mut ws, "again").await;
}

#[tokio::test]
async fn a_session_that_got_no_event_yet_recovers_from_its_subscriptions() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let (mut ws, answer) = connect_with(&server, "").await;
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    drop_transport(ws).await;
    server.api().publish("news", "missed", "1").await;
    let claim = json!({"pid": answer["pid"]}).to_string(); // no offset: none received
    let (mut ws, again) = connect_with(&server, &claim).await;
    assert_eq!(again["sid"], answer["sid"]);
    let packet = next_packet(&mut ws).await;
    assert_eq!(
        args(&packet)[..3],
        [json!("missed"), json!("news"), json!(1)]
    );
    nothing_more(&mut ws, "after").await;
}

/// Events from Laravel's `redis` broadcaster (through a real `redis-server`) are kept and recovered
/// like the HTTP API's, `->toOthers()` included.
#[tokio::test]
async fn events_from_laravels_redis_broadcaster_are_recovered() {
    const PREFIX: &str = "laravel_database_";
    let redis = crate::support::Broker::redis().await;
    let mut config = recovery_config(120_000, 100);
    let ingest = resso_server::config::IngestConfig::new(&redis.url(), PREFIX);
    config.apps[0].ingest = Some(ingest);
    let server = TestServer::spawn(config).await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;
    let laravel = |n: u32, socket: Option<&str>| {
        json!({"event": "App\\Events\\Shipped", "data": {"n": n}, "socket": socket}).to_string()
    };
    let (mut ws, answer) = connect_with(&server, "").await;
    send(&mut ws, r#"42["subscribe",{"channel":"orders"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    let channel = format!("{PREFIX}orders");
    redis.publish(&channel, &laravel(0, None)).await.unwrap();
    let seen = offset(&next_packet(&mut ws).await);
    drop_transport(ws).await;

    let sid = answer["sid"].as_str().unwrap();
    for (n, socket) in [(1, None), (2, Some(sid)), (3, None)] {
        redis.publish(&channel, &laravel(n, socket)).await.unwrap();
    }
    let claim = json!({"pid": answer["pid"], "offset": seen}).to_string();
    let (mut ws, again) = connect_with(&server, &claim).await;
    assert_eq!(again["sid"], answer["sid"]);
    for n in [1, 3] {
        let packet = next_packet(&mut ws).await;
        assert_eq!(args(&packet)[2]["n"], n, "{packet}");
    }
    nothing_more(&mut ws, "after").await;
}

/// The same over long-polling: the client's Engine.IO close (`1`, what `engine.close()` sends
/// while polling) keeps the session; a new polling session recovers it.
#[tokio::test]
async fn a_polling_session_recovers_too() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let open = |claim: String| {
        let server = &server;
        async move {
            let (s, _, _) = super::Polling::open(server, V4).await;
            assert_eq!(s.post(&format!("40{claim}")).await, 200);
            let mut body = s.get().await;
            let answer = body.remove(0);
            let answer: Value = serde_json::from_str(answer.strip_prefix("40").unwrap()).unwrap();
            (s, answer, body) // what came with the answer
        }
    };
    let (s, answer, _) = open(String::new()).await;
    assert_eq!(s.post(r#"42["subscribe",{"channel":"news"}]"#).await, 200);
    server.api().publish("news", "seen", "0").await;
    let seen = offset(&s.next().await);
    assert_eq!(s.post("1").await, 200);
    server.api().publish("news", "missed", "1").await;

    let claim = json!({"pid": answer["pid"], "offset": seen}).to_string();
    let (s, again, mut rest) = open(claim).await;
    assert_eq!(again["sid"], answer["sid"]);
    if rest.is_empty() {
        rest.push(s.next().await);
    }
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(
        args(&rest[0])[..3],
        [json!("missed"), json!("news"), json!(1)]
    );
    assert_eq!(s.post(&super::probe("after")).await, 200);
    super::assert_refused(&s.next().await, "after");
}
