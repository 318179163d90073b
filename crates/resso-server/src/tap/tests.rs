use std::sync::Arc;

use resso_protocol::AppId;

use super::*;

fn entry(n: usize) -> Entry {
    Entry::Occupied {
        channel: format!("c{n}"),
    }
}

#[test]
fn nobody_watching_builds_nothing() {
    let tap = Taps::default().of(&AppId::from("a"));
    assert!(!tap.is_watched());
    tap.emit(|| unreachable!("an entry built for nobody"));
}

#[tokio::test]
async fn a_watcher_gets_entries_from_then_on_and_leaving_stops_them() {
    let taps = Taps::default();
    let tap = taps.of(&AppId::from("a"));
    tap.emit(|| entry(0));
    let mut feed = tap.watch();
    assert!(tap.is_watched());
    tap.emit(|| entry(1));
    let Next::Entry(record) = feed.next().await else {
        panic!("dropped");
    };
    assert_eq!(record.entry, entry(1));
    assert_eq!(record.to_json()["kind"], "channel");
    assert_eq!(record.to_json()["channel"], "c1");
    drop(feed);
    assert!(!tap.is_watched());
    assert!(Arc::ptr_eq(&tap, &taps.of(&AppId::from("a"))), "kept by id");
}

#[tokio::test]
async fn a_watcher_that_falls_behind_is_told_how_many_it_lost() {
    let tap = Taps::default().of(&AppId::from("a"));
    let mut feed = tap.watch();
    for n in 0..FEED_CAPACITY + 10 {
        tap.emit(|| entry(n));
    }
    match feed.next().await {
        Next::Dropped(n) => assert_eq!(n, 10),
        Next::Entry(e) => panic!("expected a drop count, got {e:?}"),
    }
    let Next::Entry(record) = feed.next().await else {
        panic!("dropped twice");
    };
    assert_eq!(record.entry, entry(10));
}

#[tokio::test]
async fn debug_applies_to_taps_made_before_and_after() {
    let taps = Taps::default();
    let before = taps.of(&AppId::from("a"));
    taps.set_debug(true);
    assert!(before.is_watched());
    let after = taps.of(&AppId::from("b"));
    assert!(after.is_watched());
    taps.set_debug(false);
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while before.is_watched() || after.is_watched() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the debug logs stop watching");
}

#[test]
fn data_is_clipped_at_a_character_boundary() {
    assert_eq!(Entry::clip("short"), "short");
    let long = "é".repeat(entry::DATA_SHOWN);
    let clipped = Entry::clip(&long);
    assert!(clipped.len() < long.len() && clipped.ends_with("bytes)"));
}
