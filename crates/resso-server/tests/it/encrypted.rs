//! Encrypted channels (reference §2.7, §10.18): authorized like private channels, payloads forwarded
//! byte for byte, no client events.

use serde_json::json;

use crate::support::{config, TestServer};

const CHANNEL: &str = "private-encrypted-doc";
/// The §4.3 vector: `{"message":"hello"}` sealed with nonce 0..23.
const SEALED: &str = r#"{"nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX","ciphertext":"VkS3u8fcRAcuhKBrrLI3FR6z9hvix8tlIUx5iSbFOIqY5OU="}"#;

#[tokio::test]
async fn subscribing_needs_a_private_signature() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.send_subscribe(CHANNEL, Some(""), None).await;
    let error = client.expect_subscription_error(CHANNEL).await;
    assert_eq!(error["status"], 401, "{error}");
    let other_channel = client.auth("private-encrypted-other", None);
    client
        .send_subscribe(CHANNEL, Some(&other_channel), None)
        .await;
    client.expect_subscription_error(CHANNEL).await;
    // The signature is over `socket_id:channel` only; a shared_secret is never signed or needed.
    client.subscribe_private(CHANNEL).await;
    client.assert_silent().await;
}

#[tokio::test]
async fn published_ciphertext_is_delivered_byte_exact() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.subscribe_private(CHANNEL).await;
    let mut b = server.connect().await;
    b.subscribe_private(CHANNEL).await;
    server.api().publish(CHANNEL, "my-event", SEALED).await;
    let expected = r#"{"event":"my-event","channel":"private-encrypted-doc","data":"{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\",\"ciphertext\":\"VkS3u8fcRAcuhKBrrLI3FR6z9hvix8tlIUx5iSbFOIqY5OU=\"}"}"#;
    assert_eq!(a.recv_text().await, expected);
    assert_eq!(b.recv_text().await, expected);
}

#[tokio::test]
async fn client_events_are_refused() {
    let server = TestServer::spawn(config()).await;
    let mut sender = server.connect().await;
    sender.subscribe_private(CHANNEL).await;
    let mut other = server.connect().await;
    other.subscribe_private(CHANNEL).await;
    for data in [json!({"x": 1}), json!(SEALED)] {
        let whisper = json!({"event": "client-x", "channel": CHANNEL, "data": data});
        sender.send_json(&whisper).await;
        sender.expect_event("pusher:error").await;
        sender.ping().await;
    }
    other.assert_silent().await;
}
