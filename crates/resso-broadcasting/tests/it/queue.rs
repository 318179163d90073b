//! Queued broadcasting through a real `redis-server` and apalis: a job dispatched in one place is
//! delivered by the worker, retried with backoff when the server refuses it.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use resso_broadcasting::queue::{worker, BroadcastQueue, QueueOptions};
use resso_broadcasting::{
    Broadcaster, Channel, Driver, PusherClient, PusherConfig, ShouldBroadcast,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::support::{serve, Resso, APP_ID, KEY, SECRET};
use resso_test_kit::Broker;

#[derive(Serialize)]
struct ExportCompleted {
    user: u64,
}

impl ShouldBroadcast for ExportCompleted {
    fn broadcast_on(&self) -> Vec<Channel> {
        vec![Channel::public(format!("exports.{}", self.user))]
    }
}

fn options(name: &str) -> QueueOptions {
    QueueOptions {
        name: name.to_owned(),
        poll_interval: std::time::Duration::from_millis(20),
        backoff_min: std::time::Duration::from_millis(10),
        backoff_max: std::time::Duration::from_millis(50),
        ..QueueOptions::default()
    }
}

#[tokio::test]
async fn a_queued_event_reaches_subscribers_through_the_worker() {
    let redis = Broker::redis().await;
    let resso = Resso::start().await;
    let mut client = resso.client().await;
    client.subscribe("exports.1", None).await;
    let queue = BroadcastQueue::connect(&redis.url(), options("it:deliver"))
        .await
        .unwrap();
    let broadcaster = resso.broadcaster();
    queue
        .dispatch_event(broadcaster.broadcast(&ExportCompleted { user: 1 }))
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let (queue, stop) = (queue.clone(), stop.clone());
        worker("it-deliver", queue, broadcaster, stop.cancelled_owned())
    });
    let frame = client.next_event().await;
    assert_eq!(frame["event"], "App\\Events\\ExportCompleted");
    assert_eq!(frame["data"], r#"{"user":1}"#);
    stop.cancel();
    run.await.unwrap().unwrap();
}

/// An HTTP API that refuses the first `fail` triggers with 503, then accepts; records every body.
#[derive(Clone, Default)]
struct Flaky {
    bodies: Arc<Mutex<Vec<String>>>,
    fail: usize,
    done: Arc<tokio::sync::Notify>,
}

async fn flaky_events(State(f): State<Flaky>, body: String) -> (StatusCode, &'static str) {
    let mut bodies = f.bodies.lock().unwrap();
    bodies.push(body);
    if bodies.len() <= f.fail {
        return (StatusCode::SERVICE_UNAVAILABLE, "try later");
    }
    f.done.notify_one();
    (StatusCode::OK, "{}")
}

#[tokio::test]
async fn a_job_failing_twice_is_retried_until_it_succeeds() {
    let redis = Broker::redis().await;
    let flaky = Flaky {
        fail: 2,
        ..Flaky::default()
    };
    let app = axum::Router::new()
        .route(&format!("/apps/{APP_ID}/events"), post(flaky_events))
        .with_state(flaky.clone());
    let base = serve(app).await;
    let broadcaster = Broadcaster::new(Driver::Pusher(PusherClient::new(PusherConfig::new(
        base, APP_ID, KEY, SECRET,
    ))));
    let queue = BroadcastQueue::connect(&redis.url(), options("it:retry"))
        .await
        .unwrap();
    queue
        .dispatch_event(broadcaster.broadcast(&ExportCompleted { user: 2 }))
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let (queue, stop) = (queue.clone(), stop.clone());
        worker("it-retry", queue, broadcaster, stop.cancelled_owned())
    });
    tokio::time::timeout(std::time::Duration::from_secs(10), flaky.done.notified())
        .await
        .expect("the third attempt succeeds within 10 s");
    stop.cancel();
    run.await.unwrap().unwrap();
    let bodies = flaky.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3, "two refusals and one success: {bodies:?}");
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "every attempt sends the same event"
    );
    assert!(
        bodies[0].contains(r#""channels":["exports.2"]"#),
        "{}",
        bodies[0]
    );
}
