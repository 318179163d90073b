use super::*;
use crate::config::AppConfig;
use crate::outbox::{outbox, Inbox};
use resso_protocol::presence::Member;
use resso_protocol::{Limits, UserId};

fn app() -> App {
    App::from_config(&AppConfig::development())
}

fn name(s: &str) -> ChannelName {
    ChannelName::parse(s, &Limits::default()).unwrap()
}

fn member(id: &str) -> Option<Member> {
    let data = format!(r#"{{"user_id":"{id}","user_info":{{"n":"{id}"}}}}"#);
    Some(Member::parse(Some(&data), &Limits::default()).unwrap())
}

/// The Pusher frames a subscribe's answer becomes.
fn frames(channel: &ChannelName, subscribed: Subscribed) -> Vec<String> {
    let mut out = Vec::new();
    crate::pusher::subscribed(channel, subscribed, &mut out);
    out.iter()
        .map(|f| String::from_utf8(crate::ws::frame::payload(f).to_vec()).unwrap())
        .collect()
}

fn drain(inbox: &mut Inbox) -> Vec<String> {
    std::iter::from_fn(|| inbox.try_recv())
        .map(|m| m.pusher_frame().to_string())
        .collect()
}

#[test]
fn presence_is_per_user() {
    let (reg, app) = (Registry::default(), app());
    let ch = name("presence-room");
    let (o1, mut i1) = outbox(1 << 20);
    let (o2, _i2) = outbox(1 << 20);
    let (o3, _i3) = outbox(1 << 20);
    reg.subscribe(&app, &ch, SocketId::new(1, 1), &o1, member("alice"))
        .unwrap();
    let frames = frames(
        &ch,
        reg.subscribe(&app, &ch, SocketId::new(1, 2), &o2, member("bob"))
            .unwrap(),
    );
    assert!(frames[0].contains(r#"\"count\":2"#), "{frames:?}");
    assert_eq!(drain(&mut i1).len(), 1, "alice hears bob join");
    let frames = super::tests::frames(
        &ch,
        reg.subscribe(&app, &ch, SocketId::new(1, 3), &o3, member("bob"))
            .unwrap(),
    );
    assert!(frames[0].contains(r#"\"count\":2"#), "{frames:?}");
    assert!(
        drain(&mut i1).is_empty(),
        "a second connection of bob is not a new member"
    );
    assert_eq!(
        reg.counts(&app.id, "presence-room"),
        Counts {
            subscriptions: 3,
            users: 2
        }
    );
    assert!(reg.unsubscribe(&app, &ch, SocketId::new(1, 2)));
    assert!(
        drain(&mut i1).is_empty(),
        "bob is still here on another connection"
    );
    reg.disconnect(&app, SocketId::new(1, 3), [&ch]);
    let removed = drain(&mut i1);
    assert_eq!(removed.len(), 1);
    assert!(removed[0].contains("member_removed") && removed[0].contains("bob"));
}

#[test]
fn presence_member_limit() {
    let reg = Registry::default();
    let mut config = AppConfig::development();
    config.limits.presence_members = 1;
    let app = App::from_config(&config);
    let ch = name("presence-small");
    let (o, _i) = outbox(1 << 20);
    reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, member("a"))
        .unwrap();
    assert!(
        reg.subscribe(&app, &ch, SocketId::new(1, 2), &o, member("a"))
            .is_ok(),
        "same user again"
    );
    assert_eq!(
        reg.subscribe(&app, &ch, SocketId::new(1, 3), &o, member("b"))
            .unwrap_err(),
        Refusal::PresenceFull(1)
    );
}

#[test]
fn resubscribe_is_idempotent_and_empty_channels_vanish() {
    let (reg, app) = (Registry::default(), app());
    let ch = name("news");
    let (o, _i) = outbox(1 << 20);
    reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, None)
        .unwrap();
    reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, None)
        .unwrap();
    assert_eq!(reg.counts(&app.id, "news").subscriptions, 1);
    assert_eq!(reg.channels(&app.id, "").len(), 1);
    assert!(reg.unsubscribe(&app, &ch, SocketId::new(1, 1)));
    assert!(!reg.unsubscribe(&app, &ch, SocketId::new(1, 1)));
    assert!(reg.channels(&app.id, "").is_empty());
}

#[test]
fn connection_quota() {
    let reg = Registry::default();
    let mut config = AppConfig::development();
    config.max_connections = Some(1);
    let app = App::from_config(&config);
    let (first, second) = (SocketId::new(1, 1), SocketId::new(1, 2));
    let (outbox, _inbox) = outbox(1024);
    reg.connect(&app, first, &outbox).unwrap();
    assert_eq!(
        reg.connect(&app, second, &outbox),
        Err(Unwelcome::OverQuota)
    );
    reg.disconnect(&app, first, []);
    reg.connect(&app, second, &outbox).unwrap();
}

#[test]
fn shutdown_closes_every_connection_and_admits_none() {
    use futures_util::FutureExt;
    let (reg, app) = (Registry::default(), app());
    let (outbox, inbox) = outbox(1024);
    reg.connect(&app, SocketId::new(1, 1), &outbox).unwrap();
    let doom = inbox.doom_signal();
    assert_eq!(doom.doomed().now_or_never(), None);
    reg.shutdown.cancel();
    reg.close_all(ErrorCode::ReconnectImmediately);
    assert_eq!(
        doom.doomed().now_or_never(),
        Some(ErrorCode::ReconnectImmediately)
    );
    let (late, _late_inbox) = crate::outbox::outbox(1024);
    assert_eq!(
        reg.connect(&app, SocketId::new(1, 2), &late),
        Err(Unwelcome::ShuttingDown)
    );
}

#[test]
fn cache_channels_replay_the_last_api_event() {
    let (reg, app) = (Registry::default(), app());
    let ch = name("cache-prices");
    let (o, _i) = outbox(1 << 20);
    let frames = frames(
        &ch,
        reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, None)
            .unwrap(),
    );
    assert_eq!(
        frames[1],
        r#"{"event":"pusher:cache_miss","channel":"cache-prices","data":"{}"}"#
    );
    reg.publish_api(&app, &ch, "price", r#"{"p":1}"#, None);
    reg.publish_api(&app, &ch, "price", r#"{"p":2}"#, None);
    let frames = super::tests::frames(
        &ch,
        reg.subscribe(&app, &ch, SocketId::new(1, 2), &o, None)
            .unwrap(),
    );
    assert_eq!(
        frames[1],
        r#"{"event":"price","channel":"cache-prices","data":"{\"p\":2}"}"#
    );
    let cached = reg.cached(&app.id, &ch).unwrap();
    assert_eq!(
        (&*cached.data, cached.ttl_secs >= 1799),
        (r#"{"p":2}"#, true)
    );
}

#[test]
fn watchlists_follow_signins() {
    let (reg, app) = (Registry::default(), app());
    let (watcher, mut wi) = outbox(1 << 20);
    let (bob, _bi) = outbox(1 << 20);
    let alice = resso_protocol::user::User::parse(r#"{"id":"alice","watchlist":["bob"]}"#).unwrap();
    let status = reg
        .sign_in(&app, SocketId::new(1, 1), &alice, &watcher)
        .unwrap();
    assert_eq!(
        status,
        Watchlist {
            online: vec![],
            offline: vec![UserId::from("bob")]
        }
    );
    let bob_user = resso_protocol::user::User::parse(r#"{"id":"bob"}"#).unwrap();
    assert!(reg
        .sign_in(&app, SocketId::new(1, 2), &bob_user, &bob)
        .is_none());
    let online = drain(&mut wi);
    assert_eq!(online.len(), 1);
    assert!(
        online[0].contains(r#"\"online\",\"user_ids\":[\"bob\"]"#),
        "{online:?}"
    );
    reg.disconnect(&app, SocketId::new(1, 2), []);
    assert!(drain(&mut wi)[0].contains("offline"));
    assert_eq!(
        reg.signed_in_as(&app.id, SocketId::new(1, 1))
            .unwrap()
            .as_str(),
        "alice"
    );
    assert_eq!(reg.terminate(&app, "alice"), 1);
}

mod cluster {
    use super::*;
    use crate::cluster::wire::Wire;
    use crate::config::{Backend, ClusterConfig};
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    fn node() -> (Registry, mpsc::Receiver<Wire>) {
        let config = ClusterConfig {
            backend: Backend::Redis,
            url: Some("redis://x".into()),
            ..Default::default()
        };
        let (handle, rx) = crate::cluster::handle(&config);
        (
            Registry::new(Webhooks::disabled(), handle, CancellationToken::new()),
            rx.unwrap(),
        )
    }

    /// Delivers everything `from` sent to `to`, as the broker would.
    fn pump(from: &mut mpsc::Receiver<Wire>, to: &Registry, apps: &crate::apps::Apps) {
        while let Ok(wire) = from.try_recv() {
            let text = serde_json::to_string(&wire).unwrap();
            to.apply(serde_json::from_str(&text).unwrap(), apps);
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
        pump(&mut a_rx, &b, &apps);
        let frames = frames(
            &ch,
            b.subscribe(&app, &ch, SocketId::new(2, 1), &ob, member("bob"))
                .unwrap(),
        );
        assert!(
            frames[0].contains(r#"\"count\":2"#),
            "bob sees alice on the other node: {frames:?}"
        );
        pump(&mut b_rx, &a, &apps);
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
        pump(&mut b_rx, &a, &apps);
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
        let ((a, mut a_rx), (b, _b_rx)) = (node(), node());
        let ch = name("news");
        let (o1, mut i1) = outbox(1 << 20);
        let (o2, mut i2) = outbox(1 << 20);
        b.subscribe(&app, &ch, SocketId::new(2, 1), &o1, None)
            .unwrap();
        b.subscribe(&app, &ch, SocketId::new(2, 2), &o2, None)
            .unwrap();
        a.publish_api(&app, &ch, "e", "d", Some(SocketId::new(2, 2)));
        pump(&mut a_rx, &b, &apps);
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
        while b_rx.try_recv().is_ok() {}
        b.subscribe(&app, &name("late"), SocketId::new(2, 2), &o, None)
            .unwrap();
        pump(&mut b_rx, &a, &apps);
        assert_eq!(a.channels(&app.id, "").len(), 1, "only the delta so far");
        // b's heartbeat makes a ask for everyone's state; b answers with its snapshot.
        let heartbeat = Wire::Heartbeat {
            node: b.node(),
            connections: std::collections::HashMap::new(),
        };
        a.apply(heartbeat, &apps);
        pump(&mut a_rx, &b, &apps);
        pump(&mut b_rx, &a, &apps);
        assert_eq!(a.channels(&app.id, "").len(), 2, "early and late");
    }
}
