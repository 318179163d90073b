use serde_json::json;

use super::*;

fn row(extra: &[(&str, Cell)]) -> Cells {
    let mut cells: Cells = [
        ("id", Cell::Int(7)),
        ("key", Cell::Text("k".into())),
        ("secret", Cell::Text("s".into())),
        ("max_connections", Cell::Int(-1)),
        ("enable_client_messages", Cell::Int(1)),
        ("enabled", Cell::Int(1)),
        ("max_backend_events_per_sec", Cell::Int(-1)),
        ("max_client_events_per_sec", Cell::Int(-1)),
        ("max_read_req_per_sec", Cell::Int(-1)),
        ("webhooks", Cell::Null),
        ("max_presence_members_per_channel", Cell::Null),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        cells.insert((*k).to_owned(), v.clone());
    }
    cells
}

#[test]
fn soketis_defaults_and_meanings() {
    let limits = AppLimits {
        presence_members: 9,
        ..AppLimits::default()
    };
    let app = parse(&row(&[]), &limits, None).unwrap().config;
    assert_eq!(
        (app.id.as_str(), app.enabled, app.client_events),
        ("7", true, true)
    );
    assert_eq!(app.max_connections, None);
    assert_eq!(app.limits.client_events_per_second, u32::MAX);
    assert_eq!(app.limits.api_requests_per_second, None);
    assert_eq!(
        app.limits.presence_members, 9,
        "NULL keeps the server's default"
    );
    let app = parse(
        &row(&[
            ("enabled", Cell::Bool(false)),
            ("max_connections", Cell::Int(3)),
            ("max_backend_events_per_sec", Cell::Int(10)),
            ("max_read_req_per_sec", Cell::Int(5)),
            ("max_presence_members_per_channel", Cell::Int(2)),
            ("max_event_payload_in_kb", Cell::Float(1.5)),
            ("enable_user_authentication", Cell::Text("1".into())),
        ]),
        &limits,
        None,
    )
    .unwrap()
    .config;
    assert!(!app.enabled);
    assert_eq!(app.max_connections, Some(3));
    assert_eq!(app.limits.api_requests_per_second, Some(15));
    assert_eq!(
        (app.limits.presence_members, app.limits.event_data_bytes),
        (2, 1536)
    );
    assert_eq!(app.authorized_connections_timeout, Some(30));
}

#[test]
fn webhooks_as_json_or_text_and_settings_over_the_row() {
    let hooks = json!([{"url": "http://127.0.0.1:9/h", "event_types": ["channel_occupied"],
        "headers": {"X": "1"}}]);
    let parsed = parse(
        &row(&[("webhooks", Cell::Text(hooks.to_string()))]),
        &AppLimits::default(),
        None,
    )
    .unwrap();
    assert_eq!(parsed.config.webhooks[0].url, "http://127.0.0.1:9/h");
    assert_eq!(parsed.dropped, ["webhooks[0].headers are not sent"]);
    let settings = json!({"allowed_origins": ["example.com"], "subscription_count": true});
    let app = parse(&row(&[]), &AppLimits::default(), Some(&settings))
        .unwrap()
        .config;
    assert_eq!(app.allowed_origins, ["example.com"]);
    assert!(app.subscription_count);
    let bad = json!({"socket_io": {}});
    let error = parse(&row(&[]), &AppLimits::default(), Some(&bad)).unwrap_err();
    assert!(matches!(error, RowError::Settings(_)), "{error}");
}

#[test]
fn socketio_ingest_and_echo_api_parse_and_are_checked_as_the_files_are() {
    let settings = json!({
        "socketio": {"path": "/io", "ping_interval": 100},
        "ingest": {"url": "redis://127.0.0.1:6379", "prefix": "laravel_database_"},
        "echo_api": {"clients": [{"app_id": "c", "key": "k"}]},
    });
    let app = parse(&row(&[]), &AppLimits::default(), Some(&settings))
        .unwrap()
        .config;
    let sio = app.socketio.unwrap();
    assert_eq!(
        (sio.path.as_str(), sio.ping_interval, sio.ping_timeout),
        ("/io", 100, 20_000)
    );
    assert_eq!(app.ingest.unwrap().pattern(), "laravel_database_*");
    assert!(app.echo_api.unwrap().authorises("c", "k"));
    let off = json!({"socketio": {"enabled": false}});
    let app = parse(&row(&[]), &AppLimits::default(), Some(&off)).unwrap();
    assert!(app.config.socketio.is_none());
    let invalid = |doc: serde_json::Value| {
        parse(&row(&[]), &AppLimits::default(), Some(&doc))
            .unwrap_err()
            .to_string()
    };
    assert!(invalid(json!({"socketio": {"path": "io"}})).contains("socketio.path"));
    assert!(invalid(json!({"ingest": {"url": "http://h"}})).contains("ingest.url"));
    let keyless = json!({"echo_api": {"clients": [{"app_id": "c", "key": ""}]}});
    assert!(invalid(keyless).contains("echo_api.clients[0].key"));
    assert!(invalid(json!({"socketio": {"pth": "/x"}})).contains("pth"));
}

#[test]
fn a_row_without_credentials_or_with_bad_webhooks_is_refused() {
    let error = parse(&row(&[("secret", Cell::Null)]), &AppLimits::default(), None).unwrap_err();
    assert_eq!(error, RowError::Missing("secret"));
    let bad = json!([{"url": "ftp://x", "event_types": ["channel_occupied"]}]);
    let error = parse(
        &row(&[("webhooks", Cell::Json(bad))]),
        &AppLimits::default(),
        None,
    );
    assert!(matches!(error, Err(RowError::Invalid(_))));
}
