use super::{
    assert_refused, closed, next_packet, probe, send, server, ws_connect, Polling, V3, V4,
};

#[tokio::test]
async fn bad_requests_get_engineio_errors() {
    let server = server().await;
    let base = format!("{}/socket.io/", server.http_base());
    let http = reqwest::Client::new();
    for (query, method, code) in [
        ("EIO=5&transport=polling", "GET", 5),
        ("EIO=4&transport=carrier-pigeon", "GET", 0),
        ("EIO=4&transport=polling&sid=nope", "GET", 1),
        ("EIO=3&transport=polling&sid=1.2", "POST", 1),
        ("EIO=4&transport=polling", "POST", 2),
        ("EIO=4&transport=websocket", "GET", 3),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = http
            .request(method, format!("{base}?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], code, "{query}: {body}");
        assert!(body["message"].is_string());
    }
    let refused = tokio_tungstenite::connect_async(super::ws_url(&server, V4, Some("nope"))).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("a websocket with an unknown sid is refused before the upgrade");
    };
    assert_eq!(response.status(), 400);
}

/// Garbage ends the session that sent it, never the server or anyone else.
#[tokio::test]
async fn garbage_is_refused_and_others_are_unaffected() {
    let server = server().await;
    let (bystander, _) = Polling::connect(&server, V4).await;
    for eio in [V3, V4] {
        for body in [
            "99999999999999999999:42[\"x\"]",
            "5:4",
            "42[\"unterminated",
            "4x",
            "9",
        ] {
            let (s, _) = Polling::connect(&server, eio).await;
            let (status, _) = s.post_raw(body.to_owned()).await;
            if status == 200 {
                continue; // a valid payload in this version (EIO 4 has no length prefixes)
            }
            assert_eq!(status, 400, "EIO {eio} {body:?}");
            let (after, _) = s.poll().await;
            assert!(after == 400 || after == 200, "the session ends");
        }
    }
    let (s, _) = Polling::connect(&server, V3).await;
    let (status, _) = s.post_raw(format!("4:42{}", "x".repeat(5000))).await;
    assert_eq!(status, 413, "a body past maxPayload");
    assert_eq!(bystander.post(&probe("fine")).await, 200);
    assert_refused(&bystander.next().await, "fine");
}

#[tokio::test]
async fn namespaces_acks_and_binary_are_refused_without_harm() {
    let server = server().await;
    for eio in [V3, V4] {
        let (mut ws, _) = ws_connect(&server, eio).await;
        send(&mut ws, "40/admin,").await;
        let refusal = next_packet(&mut ws).await;
        let expected = if eio == V3 {
            r#"44/admin,"Invalid namespace""#
        } else {
            r#"44/admin,{"message":"Invalid namespace"}"#
        };
        assert_eq!(refusal, expected);
        send(&mut ws, r#"451-["x",{"_placeholder":true,"num":0}]"#).await;
        send(&mut ws, r#"43["ack"]"#).await;
        send(&mut ws, r#"4212["subscribe",{"channel":"private-acked"}]"#).await;
        send(&mut ws, &probe("alive")).await;
        assert_refused(&next_packet(&mut ws).await, "acked");
        assert_eq!(next_packet(&mut ws).await, "4312[]", "the event's ack");
        assert_refused(&next_packet(&mut ws).await, "alive");
        send(&mut ws, "42[\"broken").await;
        assert_eq!(
            closed(&mut ws).await,
            ["1"],
            "a malformed packet closes the engine"
        );
    }
}

#[tokio::test]
async fn oversized_websocket_messages_close_the_socket() {
    let server = server().await;
    let (mut ws, _) = ws_connect(&server, V4).await;
    send(&mut ws, &format!("42[\"echo\",\"{}\"]", "x".repeat(5000))).await;
    closed(&mut ws).await;
    let (mut other, _) = ws_connect(&server, V4).await;
    send(&mut other, &probe("other")).await;
    assert_refused(&next_packet(&mut other).await, "other");
}

/// A Socket.IO request on a path no app serves (here: no app has Socket.IO) gets a JSON 404 that
/// names the setting, over polling and as a websocket upgrade; other unknown paths keep theirs.
#[tokio::test]
async fn a_path_no_app_serves_names_the_setting() {
    let server = crate::support::TestServer::spawn(crate::support::config()).await;
    let base = format!("{}/socket.io/", server.http_base());
    let r = reqwest::get(format!("{base}?EIO=4&transport=polling"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("[apps.socketio]"), "{body}");
    let refused = tokio_tungstenite::connect_async(super::ws_url(&server, V4, None)).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("the upgrade is refused");
    };
    assert_eq!(response.status(), 404);
    let body: serde_json::Value =
        serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
    assert_eq!(body["message"], message);
    let other = reqwest::get(format!("{}/nothing-here", server.http_base()))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let body: serde_json::Value = other.json().await.unwrap();
    assert_eq!(body["error"], "Not found");
}
