//! `limits.channels_per_connection`: a connection past the cap gets a `LimitReached` subscription
//! error (Pusher) or `subscription_error` 429 (Socket.IO, Echo's connector); it keeps what it has,
//! and a place freed by an unsubscribe can be taken again.

use serde_json::json;

use super::Bystander;
use crate::socketio::{next_packet, send, ws_connect, V4};
use crate::support::{config_with, TestServer};

const CAP: usize = 3;

async fn capped_server() -> TestServer {
    TestServer::spawn(config_with(|app| {
        app.limits.channels_per_connection = CAP;
        app.socketio = Some(resso_server::config::SocketIoConfig::default());
    }))
    .await
}

#[tokio::test]
async fn a_pusher_connection_past_the_channel_cap_is_refused_limit_reached() {
    let server = capped_server().await;
    let mut calm = Bystander::join(&server).await;
    let mut greedy = server.connect().await;
    for i in 0..CAP {
        greedy.subscribe_public(&format!("greedy-{i}")).await;
    }
    for i in CAP..CAP + 20 {
        let channel = format!("greedy-{i}");
        greedy.send_subscribe(&channel, Some(""), None).await;
        let error = greedy.expect_subscription_error(&channel).await;
        assert_eq!(error["type"], "LimitReached", "{error}");
        assert_eq!(error["status"], 4100, "{error}");
        calm.still_delivers().await;
    }
    let refused = server.api().get("/channels/greedy-3", &[]).await;
    assert_eq!(refused, (200, json!({"occupied": false})));

    // Re-subscribing to a channel it holds is not a new place; an unsubscribe frees one.
    greedy.subscribe_public("greedy-0").await;
    greedy.unsubscribe("greedy-1").await;
    greedy.subscribe_public("greedy-3").await;
    calm.still_delivers().await;
}

#[tokio::test]
async fn a_socketio_socket_past_the_channel_cap_gets_subscription_error_429() {
    let server = capped_server().await;
    let mut calm = Bystander::join(&server).await;
    let (mut greedy, _) = ws_connect(&server, V4).await;
    let subscribe = |c: &str| format!(r#"42["subscribe",{{"channel":"{c}"}}]"#);
    for i in 0..CAP {
        send(&mut greedy, &subscribe(&format!("greedy-{i}"))).await;
    }
    for i in CAP..CAP + 20 {
        let channel = format!("greedy-{i}");
        send(&mut greedy, &subscribe(&channel)).await;
        let refusal = json!(["subscription_error", channel, 429]).to_string();
        assert_eq!(next_packet(&mut greedy).await, format!("42{refusal}"));
        calm.still_delivers().await;
    }
    // The first CAP subscriptions hold: a publish on one of them arrives.
    server.api().publish("greedy-2", "e", "still here").await;
    assert_eq!(
        crate::socketio::plain(&next_packet(&mut greedy).await),
        r#"42["e","greedy-2","still here"]"#
    );
}
