use resso_protocol::{AppId, ChannelKind};

use super::{Metrics, Protocol};

fn line<'a>(page: &'a str, start: &str) -> &'a str {
    page.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in\n{page}"))
}

#[test]
fn counts_render_under_the_prefix_with_app_port_and_protocol() {
    let metrics = Metrics::new("soketi_", 6001);
    let app = metrics.app(&AppId::from("app-1"));
    app.connected(Protocol::Pusher);
    app.connected(Protocol::Pusher);
    app.disconnected(Protocol::Pusher, 4100);
    app.sent(Protocol::SocketIo, 3, 120);
    app.subscribed(ChannelKind::Presence, false);
    app.http_call(10, 20);
    let page = metrics.render();
    let pusher = r#"{app_id="app-1",port="6001",protocol="pusher"}"#;
    let sio = r#"{app_id="app-1",port="6001",protocol="socketio"}"#;
    assert!(page.contains("# TYPE soketi_connected gauge\n"), "{page}");
    assert_eq!(
        line(&page, &format!("soketi_connected{pusher}")),
        format!("soketi_connected{pusher} 1")
    );
    assert!(page.contains(&format!("soketi_new_connections_total{pusher} 2\n")));
    assert!(page.contains(&format!("soketi_ws_messages_sent_total{sio} 3\n")));
    assert!(page.contains(&format!("soketi_socket_transmitted_bytes{sio} 120\n")));
    assert!(page
        .contains(r#"soketi_connection_closes_total{app_id="app-1",port="6001",code="4100"} 1"#));
    assert!(page.contains(
        r#"soketi_subscriptions_total{app_id="app-1",port="6001",channel_type="presence"} 1"#
    ));
    assert!(page.contains(r#"soketi_http_calls_received_total{app_id="app-1",port="6001"} 1"#));
    assert!(page.contains("soketi_build_info{version=\""));
}

#[test]
fn every_series_exists_at_zero_for_a_known_app() {
    let metrics = Metrics::new("resso_", 8080);
    let _ = metrics.app(&AppId::from("a"));
    let page = metrics.render();
    assert!(page.contains(r#"resso_connected{app_id="a",port="8080",protocol="socketio"} 0"#));
    assert!(page.contains(r#"resso_client_events_total{app_id="a",port="8080"} 0"#));
}

#[test]
fn label_values_are_escaped() {
    let metrics = Metrics::new("r_", 1);
    let _ = metrics.app(&AppId::from("we\"ird\\id"));
    assert!(metrics.render().contains(r#"app_id="we\"ird\\id""#));
}

#[test]
fn counts_from_many_threads_add_up() {
    let metrics = Metrics::new("r_", 1);
    let app = metrics.app(&AppId::from("a"));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| (0..1000).for_each(|_| app.client_event()));
        }
    });
    assert!(metrics
        .render()
        .contains(r#"r_client_events_total{app_id="a",port="1"} 4000"#));
}

#[test]
fn refusals_by_limiter_and_redis_messages_by_result_start_at_zero() {
    use super::{Ingested, Limiter};
    let metrics = Metrics::new("resso_", 8080);
    let app = metrics.app(&AppId::from("a"));
    let labels = |k: &str, v: &str| format!(r#"{{app_id="a",port="8080",{k}="{v}"}}"#);
    let page = metrics.render();
    for limiter in ["client_events", "http_api"] {
        let series = format!("resso_rate_limited_total{} 0\n", labels("limiter", limiter));
        assert!(page.contains(&series), "{page}");
    }
    for result in ["delivered", "rejected"] {
        let series = format!(
            "resso_ingest_messages_total{} 0\n",
            labels("result", result)
        );
        assert!(page.contains(&series), "{page}");
    }
    app.rate_limited(Limiter::HttpApi);
    app.ingested(Ingested::Rejected);
    app.ingested(Ingested::Rejected);
    let page = metrics.render();
    let limited = format!(
        "resso_rate_limited_total{} 1\n",
        labels("limiter", "http_api")
    );
    assert!(page.contains(&limited), "{page}");
    let rejected = format!(
        "resso_ingest_messages_total{} 2\n",
        labels("result", "rejected")
    );
    assert!(page.contains(&rejected), "{page}");
}
