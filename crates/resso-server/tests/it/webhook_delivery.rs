//! Webhook delivery end to end, without WebSockets: events go in through [`Webhooks::emit`] and come
//! out at the kit's real HTTP [`Sink`] on port 0, which checks and records every request. Runs on real
//! time with short settings; the exact schedules are unit-tested on paused time in `src/webhooks/`.

use std::sync::Arc;
use std::time::Duration;

use resso_protocol::{AppId, ChannelName, Limits, SocketId, UserId};
use resso_server::apps::Apps;
use resso_server::config::{AppConfig, WebhookConfig, WebhookSettings};
use resso_server::webhooks::{HookEvent, WebhookStats, Webhooks};
use serde_json::{json, Value};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::support::{Hook, Sink, MAIN};

const SECRET: &str = "app-secret";
const WAIT: Duration = Duration::from_secs(10);

/// A running dispatcher for app `app-id` with `hooks`, and the handles to stop it.
struct Dispatcher {
    webhooks: Webhooks,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Dispatcher {
    fn start(hooks: Vec<WebhookConfig>, settings: WebhookSettings) -> Self {
        let mut app = AppConfig::with_credentials("app-id", "app-key", SECRET);
        app.webhooks = hooks;
        let quiet = AppConfig::with_credentials("other", "other-key", "other-secret");
        let apps = Arc::new(Apps::new(&[app, quiet]));
        let (shutdown, tracker) = (CancellationToken::new(), TaskTracker::new());
        let webhooks = Webhooks::start(apps, settings, shutdown.clone(), &tracker);
        Self {
            webhooks,
            shutdown,
            tracker,
        }
    }

    fn emit(&self, event: HookEvent) {
        self.webhooks.emit(&AppId::from("app-id"), event);
    }

    /// Shuts down and waits for every task, flush included.
    async fn stop(self) -> WebhookStats {
        self.shutdown.cancel();
        self.tracker.close();
        tokio::time::timeout(WAIT, self.tracker.wait())
            .await
            .expect("dispatcher stops");
        self.webhooks.stats()
    }
}

fn hook(url: String) -> WebhookConfig {
    WebhookConfig {
        url,
        event_types: Vec::new(),
        channel_prefix: None,
    }
}

fn settings(batch_window_ms: u64, grace_ms: u64) -> WebhookSettings {
    WebhookSettings {
        batch_window_ms,
        grace_ms,
        ..WebhookSettings::default()
    }
}

fn ch(name: &str) -> ChannelName {
    ChannelName::parse(name, &Limits::default()).unwrap()
}

fn occupied(name: &str) -> HookEvent {
    HookEvent::ChannelOccupied { channel: ch(name) }
}

fn vacated(name: &str) -> HookEvent {
    HookEvent::ChannelVacated { channel: ch(name) }
}

/// `name:channel` of each event in a body.
fn names(body: &Value) -> Vec<String> {
    let events = body["events"].as_array().unwrap();
    let name = |e: &Value| {
        format!(
            "{}:{}",
            e["name"].as_str().unwrap(),
            e["channel"].as_str().unwrap()
        )
    };
    events.iter().map(name).collect()
}

fn sizes(hooks: &[Hook]) -> Vec<usize> {
    hooks.iter().map(|h| names(&h.body).len()).collect()
}

fn stats(delivered: u64, failed: u64, dropped: u64) -> WebhookStats {
    WebhookStats {
        delivered,
        failed,
        dropped,
    }
}

#[tokio::test]
async fn events_are_batched_signed_and_counted() {
    let sink = Sink::start(MAIN).await;
    let d = Dispatcher::start(vec![hook(sink.url("/hook"))], settings(200, 0));
    let before = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_millis();
    for c in ["a", "b", "c"] {
        d.emit(occupied(c));
    }
    d.webhooks.emit(&AppId::from("other"), occupied("ignored"));
    let hooks = sink.wait_for_requests(1).await;
    let body = &hooks[0].body;
    let expected = [
        "channel_occupied:a",
        "channel_occupied:b",
        "channel_occupied:c",
    ];
    assert_eq!(names(body), expected);
    assert!(u128::from(body["time_ms"].as_u64().unwrap()) >= before);
    let webhooks = d.webhooks.clone();
    let stopped = d.stop().await;
    assert_eq!(sink.hooks().len(), 1);
    assert_eq!(stopped, stats(3, 0, 0));
    let by_type = webhooks.sent_by_type();
    assert_eq!(by_type.len(), 7, "every type, counted or not: {by_type:?}");
    for (name, delivered, failed) in by_type {
        let expected = if name == "channel_occupied" { 3 } else { 0 };
        assert_eq!((delivered, failed), (expected, 0), "{name}");
    }
}

#[tokio::test]
async fn a_full_batch_goes_at_once_and_shutdown_flushes_the_rest() {
    let sink = Sink::start(MAIN).await;
    let settings = WebhookSettings {
        batch_max_events: 2,
        ..settings(60_000, 0)
    };
    let d = Dispatcher::start(vec![hook(sink.url("/hook"))], settings);
    for c in ["a", "b", "c", "d", "e"] {
        d.emit(occupied(c));
    }
    assert_eq!(sizes(&sink.wait_for_requests(2).await), [2, 2]);
    assert_eq!(d.stop().await.delivered, 5);
    assert_eq!(sizes(&sink.hooks()), [2, 2, 1]);
}

#[tokio::test]
async fn each_endpoint_gets_what_its_filters_ask_for() {
    let sink = Sink::start(MAIN).await;
    let only_occupied = WebhookConfig {
        event_types: vec!["channel_occupied".into()],
        ..hook(sink.url("/occupied"))
    };
    let only_private = WebhookConfig {
        channel_prefix: Some("private-".into()),
        ..hook(sink.url("/private"))
    };
    let hooks = vec![hook(sink.url("/all")), only_occupied, only_private];
    let d = Dispatcher::start(hooks, settings(100, 0));
    d.emit(occupied("news"));
    d.emit(vacated("private-x"));
    d.emit(HookEvent::ClientEvent {
        channel: ch("presence-room"),
        event: "client-typing".into(),
        data: Some(serde_json::value::RawValue::from_string(r#"{"on":true}"#.into()).unwrap()),
        socket_id: SocketId::new(1, 2),
        user_id: Some(UserId::from("u1")),
    });
    sink.wait_for_requests(3).await;
    assert_eq!(names(&sink.delivered("/all")[0]).len(), 3);
    assert_eq!(
        names(&sink.delivered("/occupied")[0]),
        ["channel_occupied:news"]
    );
    assert_eq!(
        names(&sink.delivered("/private")[0]),
        ["channel_vacated:private-x"]
    );
    let client = &sink.delivered("/all")[0]["events"][2];
    assert_eq!(
        *client,
        json!({"name": "client_event", "channel": "presence-room", "event": "client-typing",
               "data": "{\"on\":true}", "socket_id": "1.2", "user_id": "u1"})
    );
    assert_eq!(d.stop().await.delivered, 5);
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff() {
    let sink = Sink::failing_first(MAIN, 2).await;
    let d = Dispatcher::start(vec![hook(sink.url("/hook"))], settings(10, 0));
    d.emit(occupied("a"));
    let hooks = sink.wait_for_requests(3).await;
    let answers: Vec<_> = hooks.iter().map(|h| h.answered.as_u16()).collect();
    assert_eq!(answers, [500, 500, 200]);
    let gaps = [hooks[1].at - hooks[0].at, hooks[2].at - hooks[1].at];
    assert!(gaps[0] >= Duration::from_millis(900), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(1900), "{gaps:?}");
    assert!(hooks
        .iter()
        .all(|h| h.body == hooks[0].body && h.signature == hooks[0].signature));
    assert_eq!(d.stop().await, stats(1, 0, 0));
}

#[tokio::test]
async fn a_dead_endpoint_is_given_up_without_delaying_others() {
    let sink = Sink::start(MAIN).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/dead", listener.local_addr().unwrap())
    };
    let settings = WebhookSettings {
        retry_for_secs: 1,
        ..settings(10, 0)
    };
    let d = Dispatcher::start(vec![hook(dead), hook(sink.url("/ok"))], settings);
    let started = Instant::now();
    d.emit(occupied("a"));
    sink.wait_for_requests(1).await;
    assert!(started.elapsed() < Duration::from_millis(900));
    let give_up = Instant::now() + WAIT;
    while d.webhooks.stats().failed == 0 {
        assert!(
            Instant::now() < give_up,
            "the dead endpoint was never given up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
    let occupied_sent = d.webhooks.sent_by_type()[0];
    assert_eq!(occupied_sent, ("channel_occupied", 1, 1));
    assert_eq!(d.stop().await, stats(1, 1, 0));
}

#[tokio::test]
async fn grace_hides_a_reload_and_delays_a_real_vacate() {
    let sink = Sink::start(MAIN).await;
    let d = Dispatcher::start(vec![hook(sink.url("/hook"))], settings(20, 300));
    let started = Instant::now();
    d.emit(vacated("reload"));
    d.emit(occupied("reload"));
    let (channel, user_id) = (ch("presence-room"), UserId::from("u1"));
    d.emit(HookEvent::MemberRemoved {
        channel: channel.clone(),
        user_id: user_id.clone(),
    });
    d.emit(HookEvent::MemberAdded { channel, user_id });
    d.emit(vacated("gone"));
    let hooks = sink.wait_for_requests(1).await;
    assert!(hooks[0].at - started >= Duration::from_millis(300));
    assert_eq!(names(&hooks[0].body), ["channel_vacated:gone"]);
    assert_eq!(d.stop().await.delivered, 1);
    assert_eq!(sink.hooks().len(), 1);
}

#[tokio::test]
async fn emit_never_blocks_and_counts_what_the_queue_cannot_take() {
    let sink = Sink::start(MAIN).await;
    let settings = WebhookSettings {
        queue_capacity: 4,
        ..settings(20, 0)
    };
    let d = Dispatcher::start(vec![hook(sink.url("/hook"))], settings);
    // The test runtime has one thread: the dispatcher cannot drain the queue during this loop.
    let started = Instant::now();
    for i in 0..100 {
        d.emit(occupied(&format!("c{i}")));
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(d.webhooks.stats().dropped, 96);
    let hooks = sink.wait_for_requests(1).await;
    assert_eq!(names(&hooks[0].body).len(), 4);
    assert_eq!(d.stop().await, stats(4, 0, 96));
}
