use serde_json::json;

use super::{assert_refused, probe, server, sio_config, Polling, V3, V4};
use crate::support::TestServer;

#[tokio::test]
async fn the_handshake_differs_per_version() {
    let server = server().await;
    let (_, open) = Polling::connect(&server, V3).await;
    assert_eq!(open["upgrades"], json!(["websocket"]));
    assert_eq!(
        (open["pingInterval"].as_u64(), open["pingTimeout"].as_u64()),
        (Some(25_000), Some(25_000))
    );
    assert!(
        open.get("maxPayload").is_none(),
        "EIO 3 has no maxPayload: {open}"
    );
    let sid = open["sid"].as_str().unwrap();
    assert!(
        sid.split('.').all(|half| half.parse::<u64>().is_ok()),
        "EIO 3's sid is the socket id: {sid}"
    );
    let (_, open) = Polling::connect(&server, V4).await;
    assert_eq!(open["maxPayload"], 4096);
    assert!(!open["sid"].as_str().unwrap().contains('.'));
}

#[tokio::test]
async fn events_go_both_ways_for_both_versions() {
    let server = server().await;
    for eio in [V3, V4] {
        let (s, _) = Polling::connect(&server, eio).await;
        assert_eq!(s.post(&probe("a")).await, 200);
        assert_refused(&s.next().await, "a");
        assert_eq!(s.post(r#"42["subscribe",{"channel":"news"}]"#).await, 200);
        // Multi-unit characters: EIO 3's length prefixes count UTF-16 units.
        let data = r#"{"id":1,"t":"é😀"}"#;
        server
            .api()
            .publish("news", "App\\Events\\Shipped", data)
            .await;
        let expected = format!(r#"42["App\\Events\\Shipped","news",{data}]"#);
        assert_eq!(super::plain(&s.next().await), expected);
    }
}

#[tokio::test]
async fn eio3_clients_ping_and_eio4_servers_do() {
    let server = TestServer::spawn(sio_config(300)).await;
    let (s, _) = Polling::connect(&server, V3).await;
    assert_eq!(s.post("2").await, 200);
    assert_eq!(s.get().await, ["3"]);
    let (s, _) = Polling::connect(&server, V4).await;
    assert_eq!(s.get().await, ["2"], "the server pings after pingInterval");
    assert_eq!(s.post("3").await, 200);
    assert_eq!(s.get().await, ["2"], "and again after the pong");
}

/// A session nobody polls ends after its heartbeat lapses; its sid is then unknown.
#[tokio::test]
async fn silent_sessions_expire() {
    let server = TestServer::spawn(sio_config(200)).await;
    for eio in [V3, V4] {
        let (s, _) = Polling::connect(&server, eio).await;
        let mut status = 200;
        for _ in 0..50 {
            let (code, body) = s.poll().await;
            status = code;
            if code != 200 {
                assert_eq!(body, r#"{"code":1,"message":"Session ID unknown"}"#);
                break;
            }
        }
        assert_eq!(status, 400, "EIO {eio}: the session expired");
    }
    let api = server.api();
    assert_eq!(api.get("/channels", &[]).await.0, 200);
}

#[tokio::test]
async fn browsers_get_cors_with_credentials() {
    let server = server().await;
    let url = Polling::url(&server, V4);
    let http = reqwest::Client::new();
    let r = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://shop.test")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://shop.test");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let r = http
        .get(&url)
        .header("Origin", "https://shop.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.test"
    );
}

#[tokio::test]
async fn the_apps_origins_and_limits_apply() {
    let mut config = sio_config(25_000);
    let main = config
        .apps
        .iter_mut()
        .find(|a| a.socketio.is_some())
        .unwrap();
    main.allowed_origins = vec!["shop.test".into()];
    main.max_connections = Some(1);
    let server = TestServer::spawn(config).await;
    let http = reqwest::Client::new();
    let url = Polling::url(&server, V4);
    let r = http
        .get(&url)
        .header("Origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let _first = Polling::connect(&server, V4).await;
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(
        r.status(),
        403,
        "the app's connection limit counts Socket.IO sockets"
    );
}
