//! A Socket.IO session handed over between two nodes' registries: what the holder replays, and
//! the marks that tell the claiming node which of its own deliveries the client already had there.

use std::time::Duration;

use resso_protocol::{AppId, ChannelName, SocketId};

use super::cluster::{node, pump};
use super::registry::{member, name};
use crate::apps::Apps;
use crate::config::AppConfig;
use crate::outbox::outbox;
use crate::registry::{Handed, HistoryBounds, Joined, Registry, Wanted};

fn bounds() -> HistoryBounds {
    HistoryBounds {
        max_events: 100,
        max_bytes: 1 << 20,
        max_age: Duration::from_secs(60),
    }
}

/// Everything `held` was sent on `channel` since offset `since`, handed over by `holder`.
fn hand_over_all(
    holder: &Registry,
    app: &AppId,
    channel: &ChannelName,
    since: u64,
    held: SocketId,
) -> Handed {
    let channels = [Joined {
        channel: channel.clone(),
        since,
    }];
    let wanted = Wanted {
        socket: held,
        channels: &channels,
        after: 0,
        max_events: 100,
        max_bytes: 1 << 20,
    };
    holder.hand_over(app, &wanted).unwrap()
}

#[test]
fn the_marks_cover_what_reached_the_holder_and_nothing_after() {
    let apps = Apps::new(&[AppConfig::development()]);
    let app = apps.by_id("app-id").unwrap().clone();
    let ((a, mut a_rx), (b, mut b_rx)) = (node(), node());
    let news = name("news");
    let held = SocketId::new(1, 1);
    let (oa, _ia) = outbox(1 << 20);
    a.subscribe(&app, &news, held, &oa, None).unwrap();
    let since = a.keep_history(&app, &news, bounds());
    let (ob, mut ib) = outbox(1 << 20);
    b.subscribe(&app, &news, SocketId::new(2, 1), &ob, None)
        .unwrap();
    pump(&mut a_rx, (&b, &b_rx), &apps);
    pump(&mut b_rx, (&a, &a_rx), &apps);

    b.publish_api(&app, &news, "e", "from-b", None);
    a.publish_api(&app, &news, "e", "from-a", None);
    pump(&mut b_rx, (&a, &a_rx), &apps);
    pump(&mut a_rx, (&b, &b_rx), &apps);
    let handed = hand_over_all(&a, &app.id, &news, since, held);
    let replay = serde_json::to_string(&handed.events).unwrap();
    let (first, second) = (replay.find("from-a"), replay.find("from-b"));
    assert!(
        first.is_some() && first < second,
        "in node a's order: {replay}"
    );
    assert_eq!(handed.events.len(), 2, "{replay}");

    b.publish_api(&app, &news, "e", "late", None); // after the collect: node a never had it
    let at_b: Vec<_> = std::iter::from_fn(|| ib.try_recv()).collect();
    let had: Vec<bool> = at_b.iter().map(|m| handed.marks.covers(m)).collect();
    assert_eq!(had, [true, true, false], "from-b, from-a, late");
    let crossed = serde_json::to_string(&handed).unwrap();
    let back: crate::registry::Handed = serde_json::from_str(&crossed).unwrap();
    assert!(back.marks.covers(&at_b[1]) && !back.marks.covers(&at_b[2]));
}

/// Presence joins are numbered by the delta that tells of them, on the node where they happen and
/// on the nodes that hear of them.
#[test]
fn the_marks_cover_presence_changes_too() {
    let apps = Apps::new(&[AppConfig::development()]);
    let app = apps.by_id("app-id").unwrap().clone();
    let ((a, mut a_rx), (b, mut b_rx)) = (node(), node());
    let room = name("presence-room");
    let held = SocketId::new(1, 1);
    let (oa, _ia) = outbox(1 << 20);
    a.subscribe(&app, &room, held, &oa, member("u")).unwrap();
    let since = a.keep_history(&app, &room, bounds());
    pump(&mut a_rx, (&b, &b_rx), &apps);
    let (ob, mut ib) = outbox(1 << 20);
    b.subscribe(&app, &room, SocketId::new(2, 1), &ob, member("w"))
        .unwrap();
    pump(&mut b_rx, (&a, &a_rx), &apps);

    let (others, _io) = outbox(1 << 20);
    b.subscribe(&app, &room, SocketId::new(2, 2), &others, member("x"))
        .unwrap(); // joins on b
    a.subscribe(&app, &room, SocketId::new(1, 2), &others, member("z"))
        .unwrap(); // joins on a
    pump(&mut a_rx, (&b, &b_rx), &apps);
    pump(&mut b_rx, (&a, &a_rx), &apps);
    let handed = hand_over_all(&a, &app.id, &room, since, held);
    let replay = serde_json::to_string(&handed.events).unwrap();
    for user in [r#""w""#, r#""x""#, r#""z""#] {
        assert!(
            replay.contains(user),
            "{user} joined in the replay: {replay}"
        );
    }

    b.subscribe(&app, &room, SocketId::new(2, 3), &others, member("y"))
        .unwrap(); // after the collect
    let at_b: Vec<_> = std::iter::from_fn(|| ib.try_recv()).collect();
    let had: Vec<bool> = at_b.iter().map(|m| handed.marks.covers(m)).collect();
    assert_eq!(had, [true, true, false], "x (on b), z (from a), y (late)");
}
