//! The registry's transitions, as Pusher clients see them.

use resso_protocol::{ChannelName, ErrorCode, SocketId};
use tokio_util::sync::CancellationToken;

use crate::apps::App;
use crate::config::AppConfig;
use crate::outbox::{outbox, Inbox};
use crate::pusher::codec::Pusher;
use crate::registry::{Counts, Port, Refusal, Registry, Subscribed, Unwelcome, Watchlist};
use crate::webhooks::Webhooks;
use resso_protocol::presence::Member;
use resso_protocol::{Limits, UserId};

fn app() -> App {
    App::from_config(&AppConfig::development())
}

pub(super) fn name(s: &str) -> ChannelName {
    ChannelName::parse(s, &Limits::default()).unwrap()
}

pub(super) fn member(id: &str) -> Option<Member> {
    let data = format!(r#"{{"user_id":"{id}","user_info":{{"n":"{id}"}}}}"#);
    Some(Member::parse(Some(&data), &Limits::default()).unwrap())
}

/// The Pusher frames a subscribe's answer becomes.
pub(super) fn frames(channel: &ChannelName, subscribed: Subscribed) -> Vec<String> {
    let mut out = Vec::new();
    crate::pusher::codec::subscribed(channel, subscribed, &mut out);
    out.iter()
        .map(|f| String::from_utf8(crate::ws::frame::payload(f).to_vec()).unwrap())
        .collect()
}

pub(super) fn app_drain(inbox: &mut Inbox) -> Vec<String> {
    std::iter::from_fn(|| inbox.try_recv())
        .map(|m| m.encoded::<Pusher>().unwrap().text().to_owned())
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
    assert_eq!(app_drain(&mut i1).len(), 1, "alice hears bob join");
    let frames = self::frames(
        &ch,
        reg.subscribe(&app, &ch, SocketId::new(1, 3), &o3, member("bob"))
            .unwrap(),
    );
    assert!(frames[0].contains(r#"\"count\":2"#), "{frames:?}");
    assert!(
        app_drain(&mut i1).is_empty(),
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
        app_drain(&mut i1).is_empty(),
        "bob is still here on another connection"
    );
    reg.disconnect(&app, SocketId::new(1, 3), [&ch]);
    let removed = app_drain(&mut i1);
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
    let shutdown = CancellationToken::new();
    let reg = Registry::new(Webhooks::disabled(), Port::single(), shutdown.clone());
    let app = app();
    let (outbox, inbox) = outbox(1024);
    reg.connect(&app, SocketId::new(1, 1), &outbox).unwrap();
    let doom = inbox.doom_signal();
    assert_eq!(doom.doomed().now_or_never(), None);
    shutdown.cancel();
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
    let frames = self::frames(
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
    let online = app_drain(&mut wi);
    assert_eq!(online.len(), 1);
    assert!(
        online[0].contains(r#"\"online\",\"user_ids\":[\"bob\"]"#),
        "{online:?}"
    );
    reg.disconnect(&app, SocketId::new(1, 2), []);
    assert!(app_drain(&mut wi)[0].contains("offline"));
    assert_eq!(
        reg.signed_in_as(&app.id, SocketId::new(1, 1))
            .unwrap()
            .as_str(),
        "alice"
    );
    assert_eq!(reg.terminate(&app, "alice"), 1);
}
