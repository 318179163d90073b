use super::*;

fn client() -> PusherClient {
    PusherClient::new(PusherConfig::new(
        "http://127.0.0.1:1",
        "1",
        "app-key",
        "app-secret",
    ))
}

#[test]
fn signed_urls_match_the_reference_vectors() {
    let body = br#"{"name":"my-event","channels":["my-channel"],"data":"{\"message\":\"hello\"}"}"#;
    assert_eq!(
        client().signed_url("POST", "events", &[], body, 1_700_000_000),
        "http://127.0.0.1:1/apps/1/events?auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0\
         &body_md5=5930e2a54c7987da9dd25c55628f8bf7\
         &auth_signature=bdaba4c0edd9f1a9c09500a9dabe04127d1f952661933348f24a7400af3ed0d1"
    );
    let extra = [("filter_by_prefix", "presence-"), ("info", "user_count")];
    let url = client().signed_url("GET", "channels", &extra, &[], 1_700_000_000);
    assert!(
        url.ends_with(
            "&auth_signature=985aebc7e3bd1977bb4ab10e11ad6eba7624244a20ac945c884f459dd1366359"
        ),
        "{url}"
    );
    let url = client().signed_url(
        "GET",
        "channels/presence-chat.1/users",
        &[],
        &[],
        1_700_000_000,
    );
    assert!(
        url.ends_with(
            "auth_signature=ca3d9529b620bbc33a98df677d518208df529622e64a9179546939189de519cd"
        ),
        "{url}"
    );
}

#[test]
fn trigger_bodies_are_what_the_api_expects() {
    let channels = ["my-channel".to_owned()];
    let body = Trigger {
        name: "my-event",
        data: r#"{"message":"hello"}"#,
        channels: &channels,
        socket_id: Some("123.456".into()),
        info: None,
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"name":"my-event","data":"{\"message\":\"hello\"}","channels":["my-channel"],"socket_id":"123.456"}"#
    );
}
