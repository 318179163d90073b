//! Webhooks end to end (reference §6, §10.17): WebSocket activity in, signed webhook requests out to
//! a local [`Sink`], with a short grace (300 ms) and batch window (50 ms).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resso_server::config::{Config, WebhookConfig, WebhookSettings};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::support::{config_with, eventually, Client, Sink, TestServer, MAIN};

const GRACE: Duration = Duration::from_millis(300);

/// Waits until every webhook owed so far has been sent, for the assertions that nothing more
/// comes: a sentinel channel occupied and left now is vacated one grace from now, later than
/// anything the events before it owe, and the dispatcher hands events over in the order they come
/// due (batches a window apart), so once its `channel_vacated` is in, so is the rest. Sentinels
/// are public channels named `settle-…`; the assertions look at other channels.
async fn settled(server: &TestServer, sink: &Sink) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let channel = format!("settle-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut sentinel = server.connect().await;
    sentinel.subscribe_public(&channel).await;
    drop(sentinel);
    sink.wait_for("/all", move |e| {
        e["name"] == "channel_vacated" && e["channel"] == channel.as_str()
    })
    .await;
}

/// Waits until the server no longer counts `channel` occupied (its last subscriber's leave is
/// handled), as a page that reloads has left before its new page subscribes.
async fn vacant(server: &TestServer, channel: &str) {
    let api = server.api();
    let what = format!("{channel} unoccupied");
    let path = format!("/channels/{channel}");
    eventually(&what, || async {
        let (_, body) = api.get(&path, &[]).await;
        body["occupied"] == false
    })
    .await;
}

/// Waits until `user` is no longer a member of presence `channel`.
async fn gone(server: &TestServer, channel: &str, user: &str) {
    let api = server.api();
    let path = format!("/channels/{channel}/users");
    let what = format!("user {user} gone from {channel}");
    eventually(&what, || async {
        let (_, body) = api.get(&path, &[]).await;
        let users = body["users"].as_array().cloned().unwrap_or_default();
        !users.iter().any(|u| u["id"] == user)
    })
    .await;
}

fn hook(sink: &Sink, path: &str) -> WebhookConfig {
    WebhookConfig {
        url: sink.url(path),
        event_types: Vec::new(),
        channel_prefix: None,
    }
}

/// [`MAIN`] reporting everything to `/all`, only `channel_occupied` to `/occupied` and only
/// `private-` channels to `/private`.
fn hooked_config(sink: &Sink) -> Config {
    let hooks = vec![
        hook(sink, "/all"),
        WebhookConfig {
            event_types: vec!["channel_occupied".into()],
            ..hook(sink, "/occupied")
        },
        WebhookConfig {
            channel_prefix: Some("private-".into()),
            ..hook(sink, "/private")
        },
    ];
    let mut config = config_with(|app| app.webhooks = hooks);
    config.server.webhooks = WebhookSettings {
        batch_window_ms: 50,
        grace_ms: 300,
        retry_for_secs: 2,
        timeout_secs: 2,
        ..WebhookSettings::default()
    };
    config
}

async fn start() -> (Sink, TestServer) {
    let sink = Sink::start(MAIN).await;
    let server = TestServer::spawn(hooked_config(&sink)).await;
    (sink, server)
}

fn is(name: &'static str, channel: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["name"] == name && e["channel"] == channel
}

/// `name channel [user_id]` of every event on `path` about `channel`, in arrival order.
fn summary(sink: &Sink, path: &str, channel: &str) -> Vec<String> {
    sink.bodies(path)
        .iter()
        .filter(|e| e["channel"] == channel)
        .map(|e| {
            let name = e["name"].as_str().unwrap_or("?");
            match e["user_id"].as_str() {
                Some(user) => format!("{name} {user}"),
                None => name.to_owned(),
            }
        })
        .collect()
}

/// [`summary`] sorted, where the order of distinct events is not the point.
fn sorted_summary(sink: &Sink, path: &str, channel: &str) -> Vec<String> {
    let mut events = summary(sink, path, channel);
    events.sort();
    events
}

#[tokio::test]
async fn first_subscriber_occupies_and_last_leaver_vacates_after_grace() {
    let (sink, server) = start().await;
    let mut a = server.connect().await;
    a.subscribe_public("news").await;
    let occupied = sink.wait_for("/all", is("channel_occupied", "news")).await;
    assert_eq!(
        occupied.event,
        json!({"name": "channel_occupied", "channel": "news"})
    );
    let mut b = server.connect().await;
    b.subscribe_public("news").await;
    a.unsubscribe("news").await;
    a.ping().await;
    let left = Instant::now();
    drop(b);
    let vacated = sink.wait_for("/all", is("channel_vacated", "news")).await;
    assert_eq!(
        vacated.event,
        json!({"name": "channel_vacated", "channel": "news"})
    );
    let delay = vacated.at - left;
    assert!(delay >= GRACE, "vacated {delay:?} after the last leave");
    settled(&server, &sink).await;
    assert_eq!(
        summary(&sink, "/all", "news"),
        ["channel_occupied", "channel_vacated"]
    );
}

#[tokio::test]
async fn a_reload_within_grace_sends_neither_vacated_nor_occupied() {
    let (sink, server) = start().await;
    let mut page = server.connect().await;
    page.subscribe_public("news").await;
    sink.wait_for("/all", is("channel_occupied", "news")).await;
    // Page reload: the old connection goes, a new one subscribes within the grace delay.
    drop(page);
    vacant(&server, "news").await;
    let mut reloaded = server.connect().await;
    reloaded.subscribe_public("news").await;
    // Unsubscribe and resubscribe on one connection, too.
    reloaded.unsubscribe("news").await;
    reloaded.subscribe_public("news").await;
    settled(&server, &sink).await;
    assert_eq!(summary(&sink, "/all", "news"), ["channel_occupied"]);
    reloaded.unsubscribe("news").await;
    sink.wait_for("/all", is("channel_vacated", "news")).await;
    assert_eq!(
        summary(&sink, "/all", "news"),
        ["channel_occupied", "channel_vacated"]
    );
}

#[tokio::test]
async fn presence_members_are_reported_per_user() {
    let (sink, server) = start().await;
    let room = "presence-room";
    let join = |user: &'static str| {
        let url = server.ws_url(MAIN.key);
        async move {
            let mut client = Client::connect(&url).await;
            client
                .subscribe_presence(room, json!(user), json!({}))
                .await;
            client
        }
    };
    let one_a = join("1").await;
    let mut one_b = join("1").await;
    let two = join("2").await;
    sink.wait_for("/all", |e| {
        e["name"] == "member_added" && e["user_id"] == "2"
    })
    .await;
    drop(one_a);
    settled(&server, &sink).await;
    assert_eq!(
        sorted_summary(&sink, "/all", room),
        ["channel_occupied", "member_added 1", "member_added 2"]
    );
    one_b.unsubscribe(room).await;
    let left = Instant::now();
    let removed = sink
        .wait_for("/all", |e| e["name"] == "member_removed")
        .await;
    assert_eq!(
        removed.event,
        json!({"name": "member_removed", "channel": room, "user_id": "1"})
    );
    assert!(removed.at - left >= GRACE, "{:?}", removed.at - left);
    // A member who leaves and comes back within grace is neither removed nor added again.
    drop(two);
    gone(&server, room, "2").await;
    let _two_again = join("2").await;
    settled(&server, &sink).await;
    assert_eq!(
        sorted_summary(&sink, "/all", room),
        [
            "channel_occupied",
            "member_added 1",
            "member_added 2",
            "member_removed 1"
        ]
    );
}

#[tokio::test]
async fn client_events_are_reported_with_the_presence_user_id() {
    let (sink, server) = start().await;
    let room = "presence-room";
    let mut alice = server.connect().await;
    alice.subscribe_presence(room, json!("1"), json!({})).await;
    let mut bob = server.connect().await;
    bob.subscribe_presence(room, json!("2"), json!({})).await;
    alice
        .expect_member_event("pusher_internal:member_added", room)
        .await;
    alice
        .send_json(&json!({"event": "client-typing", "channel": room, "data": {"on": true}}))
        .await;
    bob.expect_event("client-typing").await;
    let hook = sink.wait_for("/all", |e| e["name"] == "client_event").await;
    let mut event = hook.event;
    assert_data(&mut event, &json!({"on": true}));
    assert_eq!(
        event,
        json!({"name": "client_event", "channel": room, "event": "client-typing",
               "socket_id": alice.socket_id, "user_id": "1"})
    );

    let chat = "private-chat";
    alice.subscribe_private(chat).await;
    bob.subscribe_private(chat).await;
    bob.send_json(&json!({"event": "client-note", "channel": chat, "data": "hi"}))
        .await;
    alice.expect_event("client-note").await;
    let hook = sink
        .wait_for("/private", |e| e["name"] == "client_event")
        .await;
    let mut event = hook.event;
    assert_data(&mut event, &json!("hi"));
    assert_eq!(
        event,
        json!({"name": "client_event", "channel": chat, "event": "client-note",
               "socket_id": bob.socket_id}),
        "no user_id off presence channels"
    );
}

/// Removes `data` from a `client_event`, which must be `sent` as a JSON string (Pusher's
/// documented form) or as the raw value (soketi's); §6 accepts both.
fn assert_data(event: &mut Value, sent: &Value) {
    let data = event
        .as_object_mut()
        .and_then(|o| o.remove("data"))
        .unwrap_or_else(|| panic!("client_event has data: {event}"));
    let as_string = data
        .as_str()
        .and_then(|s| serde_json::from_str::<Value>(s).ok());
    assert!(
        &data == sent || as_string.as_ref() == Some(sent),
        "client_event data {data} for {sent}"
    );
}

#[tokio::test]
async fn cache_misses_are_reported_once() {
    let (sink, server) = start().await;
    let mut a = server.connect().await;
    a.subscribe_public("cache-x").await;
    a.expect_event("pusher:cache_miss").await;
    let mut b = server.connect().await;
    b.subscribe_public("cache-x").await;
    b.expect_event("pusher:cache_miss").await;
    sink.wait_for("/all", is("cache_miss", "cache-x")).await;
    settled(&server, &sink).await;
    assert_eq!(
        sorted_summary(&sink, "/all", "cache-x"),
        ["cache_miss", "channel_occupied"]
    );
}

#[tokio::test]
async fn endpoints_get_only_the_event_types_and_channels_they_ask_for() {
    let (sink, server) = start().await;
    let mut a = server.connect().await;
    a.subscribe_public("news").await;
    a.subscribe_private("private-orders").await;
    a.subscribe_presence("presence-room", json!("1"), json!({}))
        .await;
    drop(a);
    for channel in ["news", "private-orders", "presence-room"] {
        sink.wait_for("/all", move |e| {
            e["name"] == "channel_vacated" && e["channel"] == channel
        })
        .await;
    }
    settled(&server, &sink).await;
    let mut occupied: Vec<Value> = sink.bodies("/occupied");
    occupied.retain(|e| {
        e["channel"]
            .as_str()
            .is_some_and(|c| !c.starts_with("settle-"))
    });
    occupied.sort_by_key(|e| e["channel"].as_str().map(str::to_owned));
    assert_eq!(
        occupied,
        [
            json!({"name": "channel_occupied", "channel": "news"}),
            json!({"name": "channel_occupied", "channel": "presence-room"}),
            json!({"name": "channel_occupied", "channel": "private-orders"}),
        ]
    );
    assert_eq!(
        summary(&sink, "/private", "private-orders"),
        ["channel_occupied", "channel_vacated"]
    );
    assert!(
        sink.bodies("/private")
            .iter()
            .all(|e| e["channel"] == "private-orders"),
        "{:?}",
        sink.bodies("/private")
    );
    assert_eq!(
        sorted_summary(&sink, "/all", "presence-room"),
        [
            "channel_occupied",
            "channel_vacated",
            "member_added 1",
            "member_removed 1"
        ]
    );
}

#[tokio::test]
async fn subscription_counts_are_reported_when_the_app_counts() {
    let sink = Sink::start(MAIN).await;
    let mut config = hooked_config(&sink);
    let main = config.apps.iter_mut().find(|a| a.id == MAIN.id);
    main.expect("MAIN is configured").subscription_count = true;
    let server = TestServer::spawn(config).await;
    let mut a = server.connect().await;
    a.subscribe_public("news").await;
    let mut b = server.connect().await;
    b.subscribe_public("news").await;
    b.unsubscribe("news").await;
    let count =
        |n: u64| move |e: &Value| e["name"] == "subscription_count" && e["subscription_count"] == n;
    sink.wait_for("/all", count(2)).await;
    let last = sink.wait_for("/all", count(1)).await;
    assert_eq!(
        last.event,
        json!({"name": "subscription_count", "channel": "news", "subscription_count": 1})
    );
    settled(&server, &sink).await;
    let counts: Vec<Value> = sink
        .bodies("/all")
        .into_iter()
        .filter(|e| e["name"] == "subscription_count" && e["channel"] == "news")
        .map(|e| e["subscription_count"].clone())
        .collect();
    assert_eq!(counts, [json!(1), json!(2), json!(1)]);
}
