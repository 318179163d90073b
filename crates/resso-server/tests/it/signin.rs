//! User authentication (reference §2.6): `pusher:signin`, `#server-to-user-{id}`, terminating a
//! user's connections (§5.8, §10.23) and the authorized-connections timeout.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::support::{config, config_with, Client, Outcome, TestServer, QUIET};

const ALICE: &str = r#"{"id":"1","name":"Alice"}"#;
const BOB: &str = r#"{"id":"2","name":"Bob"}"#;

#[tokio::test]
async fn signin_with_a_good_signature_succeeds() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.signin(ALICE).await;
    client.assert_silent().await;
    // PHP-style escapes are signed and echoed byte for byte.
    let mut php = server.connect().await;
    php.signin(r#"{"id":"3","url":"https:\/\/example.com","name":"Jos\u00e9"}"#)
        .await;
}

#[tokio::test]
async fn signin_data_may_come_as_a_json_string() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let auth = client.signin_auth(ALICE);
    let data = json!({"auth": auth, "user_data": ALICE}).to_string();
    client
        .send_json(&json!({"event": "pusher:signin", "data": data}))
        .await;
    let frame = client.expect_event("pusher:signin_success").await;
    assert_eq!(frame["data"], json!({"user_data": ALICE}), "{frame}");
}

/// The test's own signin signature matches the §4.3 vector (socket `123.456`).
#[tokio::test]
async fn the_reference_signin_vector_verifies() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.socket_id = "123.456".into();
    assert_eq!(
        client.signin_auth(ALICE),
        "app-key:87b6acf879c38f9fb807474a202239803ca10b12e84505ddaf0d257044fe04a9"
    );
}

#[tokio::test]
async fn numeric_ids_are_accepted() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.signin(r#"{"id":7,"name":"Seven"}"#).await;
    client.subscribe_public("#server-to-user-7").await;
}

#[tokio::test]
async fn bad_signin_is_a_4009_error_and_the_connection_stays() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let good = client.signin_auth(ALICE);
    let other = server.connect().await;
    let cases = [
        (
            "bad signature",
            format!("app-key:{}", "0".repeat(64)),
            ALICE,
        ),
        (
            "another socket's signature",
            other.signin_auth(ALICE),
            ALICE,
        ),
        ("signature of other user_data", good.clone(), BOB),
        (
            "wrong key",
            format!("other-key:{}", good.split_once(':').expect("key:sig").1),
            ALICE,
        ),
    ];
    for (case, auth, user_data) in cases {
        client.send_signin(&auth, user_data).await;
        let frame = client.expect_event("pusher:error").await;
        assert_eq!(frame["data"]["code"], 4009, "{case}: {frame}");
        client.ping().await;
    }
    for (case, user_data) in [
        ("no id", r#"{"name":"Alice"}"#),
        ("empty id", r#"{"id":"","name":"Alice"}"#),
        ("not an object", r#""1""#),
    ] {
        let auth = client.signin_auth(user_data);
        client.send_signin(&auth, user_data).await;
        let frame = client.expect_event("pusher:error").await;
        assert_eq!(frame["data"]["code"], 4009, "{case}: {frame}");
        client.ping().await;
    }
    // Not signed in: its server-to-user channel is refused.
    client
        .send_subscribe("#server-to-user-1", Some(""), None)
        .await;
    client.expect_subscription_error("#server-to-user-1").await;
}

#[tokio::test]
async fn a_connection_cannot_switch_to_another_user() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.signin(ALICE).await;
    let auth = client.signin_auth(BOB);
    client.send_signin(&auth, BOB).await;
    let frame = client.expect_event("pusher:error").await;
    assert!(frame["data"]["message"].is_string(), "{frame}");
    client.ping().await;
    // Still Alice.
    client
        .send_subscribe("#server-to-user-2", Some(""), None)
        .await;
    client.expect_subscription_error("#server-to-user-2").await;
    client.subscribe_public("#server-to-user-1").await;
}

#[tokio::test]
async fn server_to_user_is_only_for_that_signed_in_user() {
    let server = TestServer::spawn(config()).await;
    let channel = "#server-to-user-1";
    let mut anonymous = server.connect().await;
    anonymous.send_subscribe(channel, Some(""), None).await;
    anonymous.expect_subscription_error(channel).await;

    let mut bob = server.connect().await;
    bob.signin(BOB).await;
    bob.send_subscribe(channel, Some(""), None).await;
    bob.expect_subscription_error(channel).await;
    bob.subscribe_public("#server-to-user-2").await;

    let mut alice1 = server.connect().await;
    alice1.signin(ALICE).await;
    alice1.subscribe_public(channel).await;
    let mut alice2 = server.connect().await;
    alice2.signin(ALICE).await;
    alice2.subscribe_public(channel).await;

    // The same user id in another app is another user.
    let mut elsewhere = server.client(QUIET).await;
    elsewhere.signin(ALICE).await;
    elsewhere.subscribe_public(channel).await;

    let data = r#"{"message":"hello \/ you"}"#;
    server.api().publish(channel, "my-event", data).await;
    let expected = json!({"event": "my-event", "channel": channel, "data": data});
    assert_eq!(alice1.recv_json().await, expected);
    assert_eq!(alice2.recv_json().await, expected);
    for client in [&mut anonymous, &mut bob, &mut elsewhere] {
        client.assert_silent().await;
    }
    alice1.assert_silent().await;
}

#[tokio::test]
async fn terminate_closes_every_connection_of_the_user_only() {
    let server = TestServer::spawn(config()).await;
    let mut alice1 = server.connect().await;
    alice1.signin(ALICE).await;
    let mut alice2 = server.connect().await;
    alice2.signin(ALICE).await;
    let mut bob = server.connect().await;
    bob.signin(BOB).await;
    // A presence member with user_id 1 that never signed in is not "user 1" (§5.8).
    let mut member = server.connect().await;
    member
        .subscribe_presence("presence-room", json!("1"), json!({}))
        .await;

    let mut other_app = server.client(QUIET).await;
    other_app.signin(ALICE).await;

    let api = server.api();
    assert_eq!(
        api.post("/users/1/terminate_connections", &json!({})).await,
        (200, json!({}))
    );
    for alice in [&mut alice1, &mut alice2] {
        alice.expect_refusal(4009).await;
    }
    for client in [&mut bob, &mut member, &mut other_app] {
        client.ping().await;
    }
    assert_eq!(
        api.post("/users/nobody/terminate_connections", &json!({}))
            .await,
        (200, json!({}))
    );
}

#[tokio::test]
async fn the_python_sdk_terminate_path_also_works() {
    let server = TestServer::spawn(config()).await;
    let mut bob = server.connect().await;
    bob.signin(BOB).await;
    let mut alice = server.connect().await;
    alice.signin(ALICE).await;
    let api = server.api();
    // pusher-http-python signs and posts `/users/{id}/terminate_connections`, body_md5 included.
    let path = "/users/2/terminate_connections";
    let query = api.query("POST", path, &[], "{}");
    assert_eq!(
        api.send("POST", &format!("{path}?{query}"), "{}").await,
        (200, json!({}))
    );
    bob.expect_refusal(4009).await;
    alice.ping().await;
}

async fn app_requiring_authorization() -> TestServer {
    TestServer::spawn(config_with(|app| {
        app.authorized_connections_timeout = Some(1);
    }))
    .await
}

/// Reads until the connection is closed for want of authorization, which must be with `pusher:error`
/// 4009 + close 4009 between 0.9 s and 2 s after `opened`.
async fn expect_unauthorized_close(client: &mut Client, opened: Instant) {
    client.expect_refusal(4009).await;
    let after = opened.elapsed();
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(2),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_when_authorization_is_required() {
    let server = app_requiring_authorization().await;
    let opened = Instant::now();
    let mut idle = server.connect().await;
    let mut public = server.connect().await;
    public.subscribe_public("news").await;
    expect_unauthorized_close(&mut idle, opened).await;
    expect_unauthorized_close(&mut public, opened).await;
}

#[tokio::test]
async fn failed_authorization_attempts_do_not_count() {
    let server = app_requiring_authorization().await;
    let opened = Instant::now();
    let mut bad_signin = server.connect().await;
    bad_signin
        .send_signin(&format!("app-key:{}", "0".repeat(64)), ALICE)
        .await;
    bad_signin.expect_error(Some(4009)).await;
    let mut bad_private = server.connect().await;
    bad_private
        .send_subscribe("private-x", Some(""), None)
        .await;
    bad_private.expect_subscription_error("private-x").await;
    let mut bad_user_channel = server.connect().await;
    bad_user_channel
        .send_subscribe("#server-to-user-1", Some(""), None)
        .await;
    bad_user_channel
        .expect_subscription_error("#server-to-user-1")
        .await;
    for client in [&mut bad_signin, &mut bad_private, &mut bad_user_channel] {
        expect_unauthorized_close(client, opened).await;
    }
}

#[tokio::test]
async fn signing_in_or_joining_a_private_channel_in_time_keeps_the_connection() {
    let server = app_requiring_authorization().await;
    let mut signed = server.connect().await;
    signed.signin(ALICE).await;
    let mut private = server.connect().await;
    private.subscribe_private("private-x").await;
    let mut presence = server.connect().await;
    presence
        .subscribe_presence("presence-x", json!("9"), json!({}))
        .await;
    presence.assert_silent().await;
    // Opened after the others, an unauthorized connection is closed once its deadline passes:
    // then theirs has passed too.
    let mut canary = server.connect().await;
    canary.expect_refusal(4009).await;
    for client in [&mut signed, &mut private, &mut presence] {
        match client.next_within(Duration::from_millis(10)).await {
            Outcome::Timeout => {}
            other => panic!("an authorized connection got {other:?}"),
        }
        client.ping().await;
    }
}
