//! The Echo handler on a real registry: subscribe, refusals, presence, whispers.

use super::*;

struct Client {
    socket: EchoSocket,
    inbox: Inbox,
}

fn app() -> Arc<App> {
    let mut config = AppConfig::development();
    config.limits.client_events_per_second = 3;
    Arc::new(App::from_config(&config))
}

fn client(echo: &Echo, app: &Arc<App>, registry: &Registry, target: &AuthTarget) -> Client {
    client_of(echo, app, registry, Some(target.clone()))
}

fn client_of(
    echo: &Echo,
    app: &Arc<App>,
    registry: &Registry,
    target: Option<AuthTarget>,
) -> Client {
    let socket_id = SocketId::new(rand::random(), rand::random());
    let (out, inbox) = outbox(1 << 20);
    registry.connect(app, socket_id, &out).unwrap();
    let connect = Connect {
        app: app.clone(),
        socket_id,
        registry: registry.clone(),
        outbox: out,
        headers: vec![("cookie".into(), "laravel_session=abc".into())],
        recoverable: false,
    };
    Client {
        socket: echo.connect_to(connect, target),
        inbox,
    }
}

impl Client {
    fn send(&mut self, args: &str) -> Vec<String> {
        let raw: Box<RawValue> = serde_json::from_str(args).unwrap();
        let mut out = Vec::new();
        self.socket.on_event(&raw, &mut out);
        texts(out)
    }

    /// Waits for the next finished auth call and returns what it wrote.
    async fn work(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        poll_fn(|cx| self.socket.poll_work(cx, &mut out)).await;
        texts(out)
    }

    /// The Socket.IO packets broadcast to this socket so far.
    fn received(&mut self) -> Vec<String> {
        let mut got = Vec::new();
        while let Some(msg) = self.inbox.try_recv() {
            got.extend(
                msg.encoded::<crate::socketio::codec::SocketIo>()
                    .map(|e| e.text().to_owned()),
            );
        }
        got
    }
}

fn texts(out: Vec<Bytes>) -> Vec<String> {
    out.into_iter()
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
        .collect()
}

#[tokio::test]
async fn public_at_once_private_after_the_app_allows() {
    let (target, _) = auth_app().await;
    let (app, registry, echo) = (app(), Registry::default(), Echo::default());
    let mut c = client(&echo, &app, &registry, &target);
    assert!(c.send(r#"["subscribe",{"channel":"news"}]"#).is_empty());
    assert!(c.socket.is_joined("news"));
    assert!(c.send(r#"["subscribe",{"channel":"news"}]"#).is_empty());
    assert_eq!(registry.counts(&app.id, "news").subscriptions, 1);
    assert!(c
        .send(r#"["subscribe",{"channel":"private-slow","auth":{"headers":{}}}]"#)
        .is_empty());
    assert!(c
        .send(r#"["subscribe",{"channel":"private-ok"}]"#)
        .is_empty());
    assert!(!c.socket.is_joined("private-ok"), "joins only once allowed");
    // The slow call does not hold up the socket's other traffic or the other call.
    registry.publish_api(
        &app,
        &resso_protocol::ChannelName::parse("news", &app.limits).unwrap(),
        "App\\Events\\X",
        r#"{"a":1}"#,
        None,
    );
    assert_eq!(c.received(), [r#"42["App\\Events\\X","news",{"a":1}]"#]);
    assert!(c.work().await.is_empty());
    assert!(c.socket.is_joined("private-ok"));
    assert_eq!(
        c.work().await,
        [r#"42["subscription_error","private-slow",504]"#]
    );
    assert!(!c.socket.is_joined("private-slow"));
    c.send(r#"["unsubscribe",{"channel":"news"}]"#);
    assert_eq!(registry.counts(&app.id, "news").subscriptions, 0);
    drop(c);
    assert_eq!(registry.counts(&app.id, "private-ok").subscriptions, 0);
}

#[tokio::test]
async fn refusals_answer_subscription_error() {
    let (target, _) = auth_app().await;
    let (app, registry, echo) = (app(), Registry::default(), Echo::default());
    let mut c = client(&echo, &app, &registry, &target);
    assert_eq!(
        c.send(r#"["subscribe",{"channel":"bad name!"}]"#),
        [r#"42["subscription_error","bad name!",400]"#]
    );
    assert_eq!(
        c.send(r##"["subscribe",{"channel":"#server-to-user-1"}]"##)
            .len(),
        1
    );
    c.send(r#"["subscribe",{"channel":"private-deny"}]"#);
    assert_eq!(
        c.work().await,
        [r#"42["subscription_error","private-deny",403]"#]
    );
    c.send(r#"["subscribe",{"channel":"presence-bad"}]"#);
    assert_eq!(
        c.work().await,
        [r#"42["subscription_error","presence-bad",502]"#]
    );
    c.send(r#"["subscribe",{"channel":"presence-huge"}]"#);
    assert_eq!(
        c.work().await,
        [r#"42["subscription_error","presence-huge",413]"#]
    );
    for junk in [
        r#"["subscribe"]"#,
        r#"["subscribe",7]"#,
        "[]",
        r#"["x",{}]"#,
        r#"{"a":1}"#,
        r#"["unsubscribe",null]"#,
    ] {
        assert!(c.send(junk).is_empty(), "{junk}");
    }
    let mut nowhere = client_of(&echo, &app, &registry, None);
    assert_eq!(
        nowhere.send(r#"["subscribe",{"channel":"private-ok"}]"#),
        [r#"42["subscription_error","private-ok",403]"#]
    );
    // An unsubscribe while the app is asked drops its answer.
    c.send(r#"["subscribe",{"channel":"private-ok"}]"#);
    c.send(r#"["unsubscribe",{"channel":"private-ok"}]"#);
    assert!(c.work().await.is_empty());
    assert!(!c.socket.is_joined("private-ok"));
}

#[tokio::test]
async fn presence_lists_members_once_per_user_and_tells_the_others() {
    let (target, _) = auth_app().await;
    let (app, registry, echo) = (app(), Registry::default(), Echo::default());
    let mut a = client(&echo, &app, &registry, &target);
    let mut a2 = client(&echo, &app, &registry, &target);
    let mut b = client(&echo, &app, &registry, &target);
    a.send(r#"["subscribe",{"channel":"presence-room"}]"#);
    let first = a.work().await;
    let ann = r#"{"user_id":1,"user_info":{"name":"U1"}}"#;
    assert_eq!(
        first,
        [format!(
            r#"42["presence:subscribed","presence-room",[{ann}]]"#
        )]
    );
    a2.send(r#"["subscribe",{"channel":"presence-room"}]"#);
    assert_eq!(a2.work().await, first, "the same user twice is one member");
    assert!(
        a.received().is_empty(),
        "a second socket of a present user is no join"
    );
    b.send(r#"["subscribe",{"channel":"presence-room","auth":{"headers":{"X-User":"2"}}}]"#);
    let listed = b.work().await;
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].contains(ann) && listed[0].contains(r#""user_id":2,"#),
        "{listed:?}"
    );
    let joining =
        r#"42["presence:joining","presence-room",{"user_id":2,"user_info":{"name":"U2"}}]"#;
    assert_eq!(a.received(), [joining]);
    assert_eq!(a2.received(), [joining]);
    drop(a2);
    assert!(b.received().is_empty(), "user 1 is still here through a");
    drop(a);
    let leaving = b.received();
    assert_eq!(leaving.len(), 1);
    assert!(
        leaving[0].starts_with(r#"42["presence:leaving","presence-room",{"user_id":1,"#),
        "{leaving:?}"
    );
}

#[tokio::test]
async fn whispers_go_to_the_others_only_within_the_rules() {
    let (target, _) = auth_app().await;
    let (app, registry, echo) = (app(), Registry::default(), Echo::default());
    let (mut a, mut b) = (
        client(&echo, &app, &registry, &target),
        client(&echo, &app, &registry, &target),
    );
    for c in [&mut a, &mut b] {
        c.send(r#"["subscribe",{"channel":"private-ok"}]"#);
        c.work().await;
        c.send(r#"["subscribe",{"channel":"news"}]"#);
    }
    let whisper =
        r#"["client event",{"channel":"private-ok","event":"client-typing","data":{"n":1}}]"#;
    assert!(a.send(whisper).is_empty());
    assert_eq!(
        b.received(),
        [r#"42["client-typing","private-ok",{"n":1}]"#]
    );
    assert!(a.received().is_empty(), "never echoed");
    a.send(r#"["client event",{"channel":"private-ok","event":"typing","data":1}]"#);
    a.send(r#"["client event",{"channel":"news","event":"client-typing","data":1}]"#);
    a.send(r#"["client event",{"channel":"private-other","event":"client-typing","data":1}]"#);
    assert!(b.received().is_empty());
    for _ in 0..5 {
        a.send(whisper);
    }
    assert_eq!(b.received().len(), 2, "3 a second, one already sent");
}
