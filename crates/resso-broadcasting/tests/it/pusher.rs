//! The Pusher HTTP driver through a real Ressò: what a subscribed client receives is what the
//! library meant to send.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use resso_broadcasting::driver::pusher::BatchEvent;
use resso_broadcasting::{Channel, Notifiable, ShouldBroadcast};
use serde::Serialize;
use serde_json::{json, Value};

use crate::support::Resso;

#[derive(Serialize)]
struct OrderShipped {
    order_id: u64,
    note: String,
}

impl ShouldBroadcast for OrderShipped {
    fn broadcast_on(&self) -> Vec<Channel> {
        vec![Channel::public(format!("orders.{}", self.order_id))]
    }
}

#[tokio::test]
async fn an_event_arrives_with_laravels_name_and_payload_and_skips_the_sender() {
    let resso = Resso::start().await;
    let mut sender = resso.client().await;
    let mut other = resso.client().await;
    sender.subscribe("orders.1", None).await;
    other.subscribe("orders.1", None).await;
    let b = resso.broadcaster();
    let event = OrderShipped {
        order_id: 1,
        note: "a/é".into(),
    };
    b.broadcast(&event)
        .to_others(sender.socket_id)
        .await
        .unwrap();
    let frame = other.next_event().await;
    assert_eq!(frame["event"], "App\\Events\\OrderShipped");
    assert_eq!(frame["channel"], "orders.1");
    assert_eq!(frame["data"], r#"{"order_id":1,"note":"a/é"}"#);
    sender.assert_nothing_pending().await;
    b.broadcast(&event).await.unwrap();
    assert_eq!(
        sender.next_event().await["event"],
        "App\\Events\\OrderShipped"
    );
}

struct Wide;
impl Serialize for Wide {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({"wide": true}).serialize(s)
    }
}
impl ShouldBroadcast for Wide {
    fn broadcast_on(&self) -> Vec<Channel> {
        (0..250)
            .map(|i| Channel::public(format!("wide.{i}")))
            .collect()
    }
    fn broadcast_as(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some("wide".into())
    }
}

#[tokio::test]
async fn more_than_100_channels_are_sent_in_chunks() {
    let resso = Resso::start().await;
    let mut first = resso.client().await;
    let mut last = resso.client().await;
    first.subscribe("wide.0", None).await;
    last.subscribe("wide.249", None).await;
    resso.broadcaster().broadcast(&Wide).await.unwrap();
    assert_eq!(first.next_event().await["channel"], "wide.0");
    assert_eq!(last.next_event().await["channel"], "wide.249");
}

#[tokio::test]
async fn encrypted_channels_carry_only_ciphertext_that_the_channel_key_opens() {
    let resso = Resso::start().await;
    let mut client = resso.client().await;
    let auth = client.subscribe_allowed("private-encrypted-doc.1").await;
    let b = resso.broadcaster();
    b.on([Channel::encrypted("doc.1")])
        .event("DocSaved")
        .with(&json!({"secret": "plans"}))
        .send()
        .await
        .unwrap();
    let frame = client.next_event().await;
    assert_eq!(frame["event"], "DocSaved");
    let data = frame["data"].as_str().unwrap();
    assert!(!data.contains("plans"), "plaintext leaked: {data}");
    let sealed: Value = serde_json::from_str(data).unwrap();
    let secret = B64.decode(auth["shared_secret"].as_str().unwrap()).unwrap();
    let nonce = B64.decode(sealed["nonce"].as_str().unwrap()).unwrap();
    let ciphertext = B64.decode(sealed["ciphertext"].as_str().unwrap()).unwrap();
    let cipher = XSalsa20Poly1305::new_from_slice(&secret).unwrap();
    let plain = cipher
        .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
        .expect("the channel's shared secret opens it");
    assert_eq!(String::from_utf8(plain).unwrap(), r#"{"secret":"plans"}"#);
}

#[tokio::test]
async fn batches_of_more_than_10_and_channel_info() {
    let resso = Resso::start().await;
    let mut client = resso.client().await;
    client.subscribe("batch", None).await;
    let api = resso.broadcaster().pusher().unwrap().clone();
    let events: Vec<BatchEvent> = (0..13)
        .map(|i| BatchEvent {
            channel: "batch".into(),
            name: format!("e{i}"),
            data: format!("{{\"n\":{i}}}"),
            socket_id: None,
            info: Some("subscription_count".into()),
        })
        .collect();
    let answer = api.trigger_batch(&events).await.unwrap();
    assert_eq!(answer.batch.len(), 13);
    assert_eq!(answer.batch[12].subscription_count, Some(1));
    for i in 0..13 {
        assert_eq!(client.next_event().await["event"], format!("e{i}"));
    }
    let channels = api.channels(None, None).await.unwrap();
    assert!(channels.channels.contains_key("batch"), "{channels:?}");
    let info = api
        .channel("batch", Some("subscription_count"))
        .await
        .unwrap();
    assert!(info.occupied);
    assert_eq!(info.subscription_count, Some(1));
    let err = api.trigger(&[], "x", "{}", None, None).await.unwrap_err();
    assert!(err.to_string().contains("1..=100"), "{err}");
}

#[derive(Serialize)]
struct ExportReady {
    rows: u64,
}
impl resso_broadcasting::BroadcastNotification for ExportReady {}

#[tokio::test]
async fn notifications_arrive_as_echo_expects_them() {
    let resso = Resso::start().await;
    let mut client = resso.client().await;
    client.subscribe_allowed("private-App.Models.User.7").await;
    let id = resso
        .broadcaster()
        .notify(&Notifiable::user(7), &ExportReady { rows: 3 })
        .await
        .unwrap();
    let frame = client.next_event().await;
    assert_eq!(
        frame["event"],
        "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated"
    );
    let data: Value = serde_json::from_str(frame["data"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"rows": 3, "id": id, "type": "App\\Notifications\\ExportReady"})
    );
}

#[tokio::test]
async fn a_refused_trigger_is_an_error_with_the_servers_answer() {
    let resso = Resso::start().await;
    let mut config = resso.pusher_config();
    config.secret = "wrong".into();
    let b = resso_broadcasting::Broadcaster::new(resso_broadcasting::Driver::Pusher(
        resso_broadcasting::PusherClient::new(config),
    ));
    let err = b
        .broadcast(&OrderShipped {
            order_id: 1,
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
}
