//! Watchlists (reference §2.6, §10.15): `pusher_internal:watchlist_events` in the format pusher-js
//! understands, once after signin and on every online/offline change; at most 100 ids (4302).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::support::{config, Client, TestServer};

fn user(id: &str, watchlist: &[&str]) -> String {
    json!({"id": id, "watchlist": watchlist}).to_string()
}

/// The next frame must be `pusher_internal:watchlist_events` without a channel and with a JSON
/// string `data` of `{"events":[{"name":"online"|"offline","user_ids":[…]}…]}`; returns the ids by
/// name (sorted).
async fn expect_watchlist(client: &mut Client) -> BTreeMap<String, Vec<String>> {
    let frame = client
        .expect_event("pusher_internal:watchlist_events")
        .await;
    assert!(frame.get("channel").is_none(), "no channel: {frame}");
    let text = frame["data"]
        .as_str()
        .unwrap_or_else(|| panic!("data must be a JSON string: {frame}"));
    let data: Value = serde_json::from_str(text).expect("data holds JSON");
    let events = data["events"].as_array().expect("events is an array");
    let mut by_name = BTreeMap::new();
    for event in events {
        let name = event["name"].as_str().expect("name is a string");
        assert!(name == "online" || name == "offline", "{frame}");
        let mut ids: Vec<String> = event["user_ids"]
            .as_array()
            .expect("user_ids is an array")
            .iter()
            .map(|id| id.as_str().expect("ids are strings").to_owned())
            .collect();
        ids.sort();
        let previous = by_name.insert(name.to_owned(), ids);
        assert!(previous.is_none(), "one group per name: {frame}");
    }
    by_name
}

fn status(groups: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    groups
        .iter()
        .map(|(name, ids)| {
            let ids = ids.iter().map(|id| (*id).to_owned()).collect();
            ((*name).to_owned(), ids)
        })
        .collect()
}

#[tokio::test]
async fn signin_reports_the_watched_users_then_every_change() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.signin(&user("A", &["B", "C"])).await;
    let frame_text = {
        // The exact frame for the all-offline case.
        let mut probe = server.connect().await;
        let data = user("P", &["B", "C"]);
        let auth = probe.signin_auth(&data);
        probe.send_signin(&auth, &data).await;
        probe.expect_event("pusher:signin_success").await;
        probe.recv_text().await
    };
    assert_eq!(
        frame_text,
        r#"{"event":"pusher_internal:watchlist_events","data":"{\"events\":[{\"name\":\"offline\",\"user_ids\":[\"B\",\"C\"]}]}"}"#
    );
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("offline", &["B", "C"])])
    );

    let mut b1 = server.connect().await;
    b1.signin(&user("B", &[])).await;
    b1.assert_silent().await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("online", &["B"])])
    );
    let mut b2 = server.connect().await;
    b2.signin(&user("B", &[])).await;
    a.assert_silent().await;

    drop(b1);
    a.assert_silent().await;
    drop(b2);
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("offline", &["B"])])
    );
}

#[tokio::test]
async fn signin_reports_online_users_too() {
    let server = TestServer::spawn(config()).await;
    let mut c = server.connect().await;
    c.signin(&user("C", &[])).await;
    let mut a = server.connect().await;
    a.signin(&user("A", &["B", "C"])).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("online", &["C"]), ("offline", &["B"])])
    );
    a.assert_silent().await;
    c.assert_silent().await;
}

#[tokio::test]
async fn no_watchlist_no_watchlist_events() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.signin(r#"{"id":"A"}"#).await;
    let mut b = server.connect().await;
    b.signin(r#"{"id":"B"}"#).await;
    a.assert_silent().await;
}

#[tokio::test]
async fn more_than_100_watched_ids_is_a_4302_error_after_success() {
    let server = TestServer::spawn(config()).await;
    let ids: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut a = server.connect().await;
    a.signin(&user("A", &ids)).await;
    let frame = a.expect_event("pusher:error").await;
    assert_eq!(frame["data"]["code"], 4302, "{frame}");
    let status = expect_watchlist(&mut a).await;
    assert_eq!(status.len(), 1, "{status:?}");
    assert_eq!(status["offline"].len(), 100, "the first 100 ids are kept");
    assert!(!status["offline"].contains(&"u100".to_owned()));
    a.ping().await;
    // The 100 kept ids are followed.
    let mut u5 = server.connect().await;
    u5.signin(r#"{"id":"u5"}"#).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        self::status(&[("online", &["u5"])])
    );
}

#[tokio::test]
async fn signing_in_again_as_the_same_user_is_not_a_change() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.signin(&user("A", &["B"])).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("offline", &["B"])])
    );
    let mut b = server.connect().await;
    b.signin(r#"{"id":"B","name":"Bob"}"#).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("online", &["B"])])
    );
    // B signs in again on the same connection (new user_data, same id): B never went offline.
    b.signin(r#"{"id":"B","name":"Bobby"}"#).await;
    a.assert_silent().await;
}

#[tokio::test]
async fn a_terminated_user_goes_offline() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.signin(&user("A", &["B"])).await;
    expect_watchlist(&mut a).await;
    let mut b = server.connect().await;
    b.signin(r#"{"id":"B"}"#).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("online", &["B"])])
    );
    let api = server.api();
    assert_eq!(
        api.post("/users/B/terminate_connections", &json!({})).await,
        (200, json!({}))
    );
    b.expect_refusal(4009).await;
    assert_eq!(
        expect_watchlist(&mut a).await,
        status(&[("offline", &["B"])])
    );
}
