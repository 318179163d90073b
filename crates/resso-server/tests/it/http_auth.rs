//! HTTP API request signatures as each SDK sends them (reference §5.1–5.2, §10.4–5), `/up` and 404s.

use resso_protocol::http_sig::{signed_query, EMPTY_BODY_MD5};
use serde_json::{json, Value};

use crate::support::{config, now, Api, TestApp, TestServer, MAIN};

const BODY: &str =
    r#"{"name":"my-event","channels":["my-channel"],"data":"{\"message\":\"hello\"}"}"#;

fn assert_json_error(status: u16, body: &Value, expected: u16, case: &str) {
    assert_eq!(status, expected, "{case}: {body}");
    assert!(body.is_object(), "{case}: JSON object body, got {body}");
}

#[tokio::test]
async fn bad_signatures_are_401_with_a_json_body() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let path = "/apps/app-id/events";
    let sign = |key: &str, body: &str, time: u64| {
        signed_query(key, MAIN.secret, "POST", path, &[], body.as_bytes(), time)
    };
    let good = sign(MAIN.key, BODY, now());
    let (head, _) = good.split_once("auth_signature=").expect("signed");
    let forged = format!("{head}auth_signature={}", "0".repeat(64));
    let other_secret = signed_query(MAIN.key, "wrong", "POST", path, &[], BODY.as_bytes(), now());
    let cases = [
        ("bad signature", forged, BODY),
        ("signed with another secret", other_secret, BODY),
        ("stale timestamp", sign(MAIN.key, BODY, now() - 700), BODY),
        ("future timestamp", sign(MAIN.key, BODY, now() + 700), BODY),
        ("wrong key", sign("other-key", BODY, now()), BODY),
        (
            "body_md5 mismatch",
            good.clone(),
            r#"{"name":"x","channel":"c","data":"d"}"#,
        ),
        ("no auth params", String::new(), BODY),
    ];
    for (case, query, body) in cases {
        let (status, response) = api.send("POST", &format!("{path}?{query}"), body).await;
        assert_json_error(status, &response, 401, case);
    }
    let (status, response) = api.send("POST", &format!("{path}?{good}"), BODY).await;
    assert_eq!((status, response), (200, json!({})), "the good request");
}

#[tokio::test]
async fn unknown_app_is_404_json() {
    let server = TestServer::spawn(config()).await;
    let ghost = TestApp {
        id: "no-such-app",
        key: "no-such-key",
        secret: "s",
    };
    let api = Api::new(&server.http_base(), ghost);
    let (status, body) = api.post_raw("/events", BODY).await;
    assert_json_error(status, &body, 404, "POST events");
    let (status, body) = api.get("/channels", &[]).await;
    assert_json_error(status, &body, 404, "GET channels");
}

#[tokio::test]
async fn python_style_get_with_empty_body_md5_is_accepted() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client
        .subscribe_presence("presence-chat.1", json!("1"), json!({"name": "Alice"}))
        .await;
    let api = server.api();
    let extra = [
        ("body_md5", EMPTY_BODY_MD5),
        ("info", "user_count,subscription_count"),
    ];
    let (status, body) = api.get("/channels/presence-chat.1", &extra).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"occupied": true, "user_count": 1, "subscription_count": 1})
    );
}

#[tokio::test]
async fn php_style_percent_encoded_query_is_accepted() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client
        .subscribe_presence("presence-chat.1", json!(1), json!({"name": "Alice"}))
        .await;
    let api = server.api();
    let path = api.path("/channels/presence-chat.1");
    let signed = api.query(
        "GET",
        &path,
        &[("info", "user_count,subscription_count")],
        "",
    );
    let php = signed.replace(
        "user_count,subscription_count",
        "user_count%2Csubscription_count",
    );
    assert!(php.contains("%2C"), "{php}");
    let (status, body) = api.send("GET", &format!("{path}?{php}"), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"occupied": true, "user_count": 1, "subscription_count": 1})
    );
}

#[tokio::test]
async fn up_is_200_json_and_unknown_routes_are_404_json() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let (status, body) = api.send("GET", "/up", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.is_object(), "{body}");
    let (status, body) = api.send("GET", "/nope", "").await;
    assert_json_error(status, &body, 404, "GET /nope");
    let (status, body) = api.get("/nope", &[]).await;
    assert_json_error(status, &body, 404, "signed GET /apps/app-id/nope");
}
