//! Registries of two nodes, their messages carried as the broker would.

use super::registry::{app_drain as drain, frames, member, name};
use crate::cluster::{wire::Wire, Queue};
use crate::config::AppConfig;
use crate::config::{Backend, ClusterConfig};
use crate::outbox::outbox;
use crate::registry::{Counts, Registry};
use crate::webhooks::Webhooks;
use resso_protocol::SocketId;
use tokio_util::sync::CancellationToken;

pub(super) fn node() -> (Registry, Queue) {
    let config = ClusterConfig {
        backend: Backend::Redis,
        url: Some("redis://x".into()),
        ..Default::default()
    };
    let (port, queue) = crate::cluster::port(&config);
    (
        Registry::new(Webhooks::disabled(), port, CancellationToken::new()),
        queue.unwrap(),
    )
}

/// Delivers everything `from` sent to `to` (answering through `to_queue`), as the broker would.
pub(super) fn pump(
    from: &mut Queue,
    (to, to_queue): (&Registry, &Queue),
    apps: &crate::apps::Apps,
) {
    while let Some(wire) = from.try_recv() {
        let text = serde_json::to_string(&wire).unwrap();
        to_queue.apply(to, serde_json::from_str(&text).unwrap(), apps);
    }
}

#[test]
fn presence_spans_nodes_and_dies_with_a_node() {
    let apps = crate::apps::Apps::new(&[AppConfig::development()]);
    let app = apps.by_id("app-id").unwrap().clone();
    let ((a, mut a_rx), (b, mut b_rx)) = (node(), node());
    let ch = name("presence-room");
    let (oa, mut ia) = outbox(1 << 20);
    let (ob, mut ib) = outbox(1 << 20);
    a.subscribe(&app, &ch, SocketId::new(1, 1), &oa, member("alice"))
        .unwrap();
    pump(&mut a_rx, (&b, &b_rx), &apps);
    let frames = frames(
        &ch,
        b.subscribe(&app, &ch, SocketId::new(2, 1), &ob, member("bob"))
            .unwrap(),
    );
    assert!(
        frames[0].contains(r#"\"count\":2"#),
        "bob sees alice on the other node: {frames:?}"
    );
    pump(&mut b_rx, (&a, &a_rx), &apps);
    let added = drain(&mut ia);
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].contains("member_added") && added[0].contains("bob"));
    assert_eq!(
        a.counts(&app.id, "presence-room"),
        Counts {
            subscriptions: 2,
            users: 2
        }
    );
    // alice also connects on node b: no second member_added anywhere
    b.subscribe(&app, &ch, SocketId::new(2, 2), &ob, member("alice"))
        .unwrap();
    pump(&mut b_rx, (&a, &a_rx), &apps);
    assert!(drain(&mut ia).is_empty());
    assert!(drain(&mut ib).iter().all(|f| !f.contains("member_added")));
    // node b dies: alice stays (still on a), bob goes
    a.remove_node(b.node());
    let removed = drain(&mut ia);
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(removed[0].contains("member_removed") && removed[0].contains("bob"));
    assert_eq!(
        a.counts(&app.id, "presence-room"),
        Counts {
            subscriptions: 1,
            users: 1
        }
    );
}

#[test]
fn events_cross_nodes_with_exclusion() {
    let apps = crate::apps::Apps::new(&[AppConfig::development()]);
    let app = apps.by_id("app-id").unwrap().clone();
    let ((a, mut a_rx), (b, b_rx)) = (node(), node());
    let ch = name("news");
    let (o1, mut i1) = outbox(1 << 20);
    let (o2, mut i2) = outbox(1 << 20);
    b.subscribe(&app, &ch, SocketId::new(2, 1), &o1, None)
        .unwrap();
    b.subscribe(&app, &ch, SocketId::new(2, 2), &o2, None)
        .unwrap();
    a.publish_api(&app, &ch, "e", "d", Some(SocketId::new(2, 2)));
    pump(&mut a_rx, (&b, &b_rx), &apps);
    assert_eq!(
        drain(&mut i1),
        [r#"{"event":"e","channel":"news","data":"d"}"#]
    );
    assert!(drain(&mut i2).is_empty(), "excluded on the other node too");
    assert_eq!(
        a.channels(&app.id, "").len(),
        0,
        "a never heard b's deltas in this test"
    );
}

#[test]
fn a_node_known_only_from_deltas_is_asked_for_its_state() {
    let apps = crate::apps::Apps::new(&[AppConfig::development()]);
    let app = apps.by_id("app-id").unwrap().clone();
    let ((a, mut a_rx), (b, mut b_rx)) = (node(), node());
    let (o, _i) = outbox(1 << 20);
    // b had a subscriber before a heard of it (a missed b's Hello).
    b.subscribe(&app, &name("early"), SocketId::new(2, 1), &o, None)
        .unwrap();
    while b_rx.try_recv().is_some() {}
    b.subscribe(&app, &name("late"), SocketId::new(2, 2), &o, None)
        .unwrap();
    pump(&mut b_rx, (&a, &a_rx), &apps);
    assert_eq!(a.channels(&app.id, "").len(), 1, "only the delta so far");
    // b's heartbeat makes a ask for everyone's state; b answers with its snapshot.
    let heartbeat = Wire::Heartbeat {
        node: b.node(),
        connections: std::collections::HashMap::new(),
    };
    a_rx.apply(&a, heartbeat, &apps);
    pump(&mut a_rx, (&b, &b_rx), &apps);
    pump(&mut b_rx, (&a, &a_rx), &apps);
    assert_eq!(a.channels(&app.id, "").len(), 2, "early and late");
}
