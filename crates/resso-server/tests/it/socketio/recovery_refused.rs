//! Recoveries that cannot be honoured whole — an expired window, too much missed, a forged, foreign
//! or garbage `pid`, an offset from the future or not one the server writes — give a fresh session
//! (a new `sid`, nothing replayed), never an error; and a foreign app's attempt leaves the real
//! session recoverable.

use std::time::Duration;

use resso_server::config::SocketIoConfig;
use serde_json::{json, Value};

use super::recovery::{args, connect_with, drop_transport, nothing_more, offset, recovery_config};
use super::{next_packet, send, Ws};
use crate::support::{TestServer, QUIET};

/// A socket subscribed to `news` that saw one event, then lost its transport; its CONNECT answer
/// and the offset it holds.
async fn away(server: &TestServer) -> (Value, String) {
    let (mut ws, answer) = connect_with(server, "").await;
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    server.api().publish("news", "seen", "0").await;
    let seen = offset(&next_packet(&mut ws).await);
    drop_transport(ws).await;
    (answer, seen)
}

/// Asserts `answer` opened a fresh session (not `old`), and nothing was replayed on `ws`.
async fn fresh(ws: &mut Ws, answer: &Value, old: &Value) {
    assert_ne!(answer["sid"], old["sid"], "a new socket id");
    assert_ne!(answer["pid"], old["pid"], "a new session id");
    assert!(answer["pid"].is_string());
    nothing_more(ws, "fresh").await;
}

#[tokio::test]
async fn past_the_window_a_session_starts_afresh() {
    let server = TestServer::spawn(recovery_config(300, 100)).await;
    let (old, seen) = away(&server).await;
    server.api().publish("news", "missed", "1").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let claim = json!({"pid": old["pid"], "offset": seen}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    fresh(&mut ws, &answer, &old).await;
    let info = server
        .api()
        .channel_info("news", "subscription_count")
        .await;
    assert_eq!(info["occupied"], false, "the expired session left: {info}");
    // The fresh session subscribes as any would.
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "joined").await;
    server.api().publish("news", "live", "2").await;
    assert_eq!(args(&next_packet(&mut ws).await)[2], json!(2));
}

#[tokio::test]
async fn more_missed_than_the_bound_gives_a_fresh_session_not_a_partial_one() {
    let server = TestServer::spawn(recovery_config(120_000, 3)).await;
    let (old, seen) = away(&server).await;
    for n in 1..=4 {
        server.api().publish("news", "missed", &n.to_string()).await;
    }
    let claim = json!({"pid": old["pid"], "offset": seen}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    fresh(&mut ws, &answer, &old).await;
}

#[tokio::test]
async fn forged_garbage_and_future_claims_give_fresh_sessions() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let (old, seen) = away(&server).await;
    server.api().publish("news", "missed", "1").await;
    let pid = old["pid"].as_str().unwrap();
    // The last hex digit changed (to another one whatever it was): a pid that was never given.
    let last = if pid.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &pid[..pid.len() - 1]);
    let claims = [
        json!({"pid": forged, "offset": seen}),
        json!({"pid": 12, "offset": seen}),
        json!({"pid": null}),
        json!({"offset": seen}),
        json!({"pid": [pid], "offset": seen}),
    ];
    for claim in claims {
        let (mut ws, answer) = connect_with(&server, &claim.to_string()).await;
        fresh(&mut ws, &answer, &old).await;
    }
    // An offset this server never wrote gives a fresh session.
    for offset in [
        json!("99999999999999999"),
        json!("abc"),
        json!("0"),
        json!(5),
    ] {
        let (other, _) = away(&server).await;
        let claim = json!({"pid": other["pid"], "offset": offset}).to_string();
        let (mut ws, answer) = connect_with(&server, &claim).await;
        fresh(&mut ws, &answer, &other).await;
    }
    let claim = json!({"pid": pid, "offset": seen}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    assert_eq!(
        answer["sid"], old["sid"],
        "still recoverable after the attempts"
    );
    assert_eq!(args(&next_packet(&mut ws).await)[2], json!(1));
}

#[tokio::test]
async fn another_apps_pid_is_not_recovered_and_not_lost() {
    let mut config = recovery_config(120_000, 100);
    let other = config.apps.iter_mut().find(|a| a.id == QUIET.id).unwrap();
    other.socketio = Some(SocketIoConfig {
        path: "/other.io".into(),
        ..SocketIoConfig::default()
    });
    let server = TestServer::spawn(config).await;
    let (old, seen) = away(&server).await;
    server.api().publish("news", "missed", "1").await;
    let claim = json!({"pid": old["pid"], "offset": seen}).to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "{}/other.io/?EIO=4&transport=websocket",
        server.ws_base()
    ))
    .await
    .unwrap();
    assert!(super::next_text(&mut ws).await.starts_with('0'));
    send(&mut ws, &format!("40{claim}")).await;
    let answer: Value =
        serde_json::from_str(next_packet(&mut ws).await.strip_prefix("40").unwrap()).unwrap();
    fresh(&mut ws, &answer, &old).await;
    let (mut ws, answer) = connect_with(&server, &claim).await;
    assert_eq!(answer["sid"], old["sid"], "its own app recovers it");
    assert_eq!(args(&next_packet(&mut ws).await)[2], json!(1));
}

#[tokio::test]
async fn a_client_that_disconnects_is_not_kept() {
    let server = TestServer::spawn(recovery_config(120_000, 100)).await;
    let (mut ws, old) = connect_with(&server, "").await;
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    send(&mut ws, "41").await;
    drop_transport(ws).await;
    let info = server
        .api()
        .channel_info("news", "subscription_count")
        .await;
    assert_eq!(info["occupied"], false, "{info}");
    let claim = json!({"pid": old["pid"]}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    fresh(&mut ws, &answer, &old).await;
}

#[tokio::test]
async fn with_recovery_off_there_is_no_pid_and_no_offset() {
    let server = TestServer::spawn(recovery_config(0, 100)).await;
    let (mut ws, answer) = connect_with(&server, "").await;
    assert_eq!(answer.as_object().unwrap().len(), 1, "only a sid: {answer}");
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    nothing_more(&mut ws, "barrier").await;
    server.api().publish("news", "e", "x").await;
    assert_eq!(next_packet(&mut ws).await, r#"42["e","news","x"]"#);
}
