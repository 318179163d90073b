//! Hostile loads made of connections and subscriptions: a connection flood from one address, one
//! connection subscribing past its channel cap, and a presence join/leave storm into a nearly full
//! room. Each runs until `stop` and within fixed caps, whatever the server answers.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::tally::Tally;
use super::ws::{self, Dialer, Greeting};

/// Connection flood: dials per second (about 15× `connects_per_ip_per_second` = 32), in flight at
/// once, and at most this many in one phase.
const DIALS_PER_S: f64 = 500.0;
const DIALS_IN_FLIGHT: usize = 64;
const MAX_DIALS: usize = 10_000;
/// Channel cap: subscribe frames per tick of 1 ms (2000/s), at most this many in one phase.
const SUBSCRIBES_PER_TICK: usize = 2;
const MAX_SUBSCRIBES: usize = 20_000;
/// Presence: the room's `presence_members` (bench/hostile.toml), the largest `user_info`, the
/// storm's connections and the pause between two of a stormer's frames (join, leave, join, …).
const ROOM: &str = "presence-hostile";
const ROOM_SIZE: usize = 50;
const INFO_BYTES: usize = 1024;
const STORMERS: usize = 2;
const STORM_PERIOD: Duration = Duration::from_millis(10);

/// Dials from one address as fast as [`DIALS_PER_S`], holding every connection admitted.
pub async fn conn_flood(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let held = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(Semaphore::new(DIALS_IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / DIALS_PER_S));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dials = JoinSet::new();
    for _ in 0..MAX_DIALS {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let (dialer, tally, held) = (dialer.clone(), tally.clone(), held.clone());
        dials.spawn(async move {
            match dialer.open(None).await {
                Ok(Greeting::Established(ws, _)) => {
                    tally.add("admitted");
                    held.lock().unwrap_or_else(PoisonError::into_inner).push(ws);
                }
                Ok(Greeting::Refused(code)) => tally.add(&format!("refused {code}")),
                Err(_) => tally.add("dial failed"),
            }
            drop(permit);
        });
        while dials.try_join_next().is_some() {}
    }
    while dials.join_next().await.is_some() {}
    tally.add_n("dials", tally.snapshot().values().sum());
}

/// One connection subscribing to channel after channel, 2000 a second, reading the answers.
pub async fn channel_cap(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let Ok((mut ws, _)) = dialer.established(None).await else {
        tally.add("dial failed");
        return;
    };
    let mut sent = 0;
    let next = || {
        if sent >= MAX_SUBSCRIBES {
            return Vec::new();
        }
        sent += SUBSCRIBES_PER_TICK;
        (sent - SUBSCRIBES_PER_TICK..sent)
            .map(|i| Message::text(ws::subscribe_frame(&format!("greedy-{i}"), None, None)))
            .collect()
    };
    let seen = |text: &str| {
        if text.contains("subscription_succeeded") {
            tally.add("subscribed");
        } else if text.contains("LimitReached") && text.contains("4100") {
            tally.add("LimitReached 4100");
        } else {
            tally.add("other frame");
        }
    };
    let ended = ws::drive(&mut ws, Duration::from_millis(1), next, seen, &stop).await;
    if let Some(key) = ended.key() {
        tally.add(&key);
    }
}

/// Fills [`ROOM`] but one place with readers of its member events, then storms it: each stormer
/// joins as a new user with the largest `user_info` and leaves, one frame every [`STORM_PERIOD`].
pub async fn presence(fillers: Dialer, storm: Dialer, tally: Tally, stop: CancellationToken) {
    let mut tasks = JoinSet::new();
    for i in 0..ROOM_SIZE - 1 {
        if stop.is_cancelled() {
            break;
        }
        match ws::join(&fillers, ROOM, Some(&member(&format!("filler-{i}")))).await {
            Ok(ws) => {
                tasks.spawn(filler(ws, tally.clone(), stop.clone()));
            }
            Err(_) => tally.add("filler failed"),
        }
        // 20 new connections a second, under `connects_per_ip_per_second`.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 0..STORMERS {
        tasks.spawn(stormer(storm.clone(), n, tally.clone(), stop.clone()));
    }
    while tasks.join_next().await.is_some() {}
}

/// `channel_data` of `user` with a `user_info` of exactly [`INFO_BYTES`].
fn member(user: &str) -> String {
    let pad = "x".repeat(INFO_BYTES - r#"{"pad":""}"#.len());
    json!({"user_id": user, "user_info": {"pad": pad}}).to_string()
}

/// A member that reads the storm's joins and leaves.
async fn filler(mut ws: crate::subscriber::Ws, tally: Tally, stop: CancellationToken) {
    let seen = |text: &str| {
        if text.contains("member_added") {
            tally.add("member_added seen");
        } else if text.contains("member_removed") {
            tally.add("member_removed seen");
        }
    };
    let ended = ws::drive(&mut ws, Duration::from_secs(3600), Vec::new, seen, &stop).await;
    if let Some(key) = ended.key() {
        tally.add(&format!("filler {key}"));
    }
}

/// Joins as user `storm-{n}-{k}` for k = 0, 1, …, leaving after each join.
async fn stormer(dialer: Dialer, n: usize, tally: Tally, stop: CancellationToken) {
    let Ok((mut ws, id)) = dialer.established(None).await else {
        tally.add("dial failed");
        return;
    };
    let mut k = 0usize;
    let next = || {
        k += 1;
        if k.is_multiple_of(2) {
            return vec![Message::text(ws::unsubscribe_frame(ROOM))];
        }
        let data = member(&format!("storm-{n}-{k}"));
        let auth = dialer.auth(&id, ROOM, Some(&data));
        vec![Message::text(ws::subscribe_frame(
            ROOM,
            Some(&auth),
            Some(&data),
        ))]
    };
    let seen = |text: &str| {
        if text.contains("subscription_succeeded") {
            tally.add("joined");
        } else if text.contains("LimitReached") {
            tally.add("LimitReached");
        }
    };
    let ended = ws::drive(&mut ws, STORM_PERIOD, next, seen, &stop).await;
    if let Some(key) = ended.key() {
        tally.add(&format!("stormer {key}"));
    }
}
