//! A Soketi deployment's environment, served unchanged.

use super::*;

#[test]
fn a_soketi_deployment() {
    let mut vars = SOKETI_APP.to_vec();
    vars.extend([
        ("SOKETI_DEBUG", "1"),
        ("SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES", "true"),
        ("SOKETI_DEFAULT_APP_MAX_CONNS", "-1"),
        ("SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC", "-1"),
        ("SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC", "-1"),
        ("SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC", "100"),
        ("SOKETI_DEFAULT_APP_USER_AUTHENTICATION", "true"),
        ("SOKETI_USER_AUTHENTICATION_TIMEOUT", "10000"),
        (
            "SOKETI_DEFAULT_APP_WEBHOOKS",
            r#"[{"url":"https://app.test/hook","event_types":["channel_occupied"],
                 "filter":{"channel_name_starts_with":"private-"},"headers":{"X-A":"1"}}]"#,
        ),
        ("SOKETI_ADAPTER_DRIVER", "redis"),
        ("SOKETI_ADAPTER_REDIS_PREFIX", "eu"),
        ("SOKETI_DB_REDIS_HOST", "redis"),
        ("SOKETI_DB_REDIS_PASSWORD", "pw"),
        ("SOKETI_EVENT_MAX_SIZE_IN_KB", "100"),
        ("SOKETI_EVENT_MAX_BATCH_SIZE", "10"),
        ("SOKETI_PRESENCE_MAX_MEMBERS", "50"),
        ("SOKETI_SHUTDOWN_GRACE_PERIOD", "3000"),
        ("SOKETI_WEBHOOKS_BATCHING", "true"),
        ("SOKETI_SSL_CERT", "/etc/cert.pem"),
        ("SOKETI_SSL_KEY", "/etc/key.pem"),
        ("SOKETI_SSL_PASS", "secret"),
        ("SOKETI_QUEUE_DRIVER", "redis"),
        ("SOKETI_PATH_PREFIX", "/soketi"),
    ]);
    let l = loaded(&vars);
    let (s, app) = (&l.config.server, &l.config.apps[0]);
    assert_eq!((s.host.as_str(), s.port), ("0.0.0.0", 6001));
    assert_eq!((s.shutdown_timeout, s.webhooks.batch_window_ms), (3, 50));
    assert!(l.verbose && app.client_events && app.max_connections.is_none());
    assert!(s.debug, "SOKETI_DEBUG turns on --debug");
    assert_eq!(app.limits.client_events_per_second, u32::MAX);
    assert_eq!(app.authorized_connections_timeout, Some(10));
    assert_eq!(
        (app.limits.event_data_bytes, app.limits.presence_members),
        (102_400, 50)
    );
    assert_eq!(app.webhooks[0].channel_prefix.as_deref(), Some("private-"));
    let c = &l.config.cluster;
    assert_eq!((c.backend, c.prefix.as_str()), (Backend::Redis, "eu#"));
    assert_eq!(c.url.as_deref(), Some("redis://:pw@redis:6379/0"));
    let tls = l
        .config
        .server
        .tls
        .as_ref()
        .expect("SOKETI_SSL_CERT/KEY set TLS");
    assert_eq!(
        (tls.cert.as_str(), tls.key.as_str()),
        ("/etc/cert.pem", "/etc/key.pem")
    );
    assert_eq!(
        unhonoured(&l),
        [
            "SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC",
            "SOKETI_DEFAULT_APP_WEBHOOKS",
            "SOKETI_PATH_PREFIX",
            "SOKETI_QUEUE_DRIVER",
            "SOKETI_SSL_PASS"
        ]
    );
}

#[test]
fn soketi_nats_adapter() {
    let mut vars = SOKETI_APP.to_vec();
    vars.extend([
        ("SOKETI_ADAPTER_DRIVER", "nats"),
        (
            "SOKETI_ADAPTER_NATS_SERVERS",
            r#"["nats-1:4222","nats-2:4222"]"#,
        ),
        ("SOKETI_ADAPTER_NATS_TOKEN", "t0ken"),
    ]);
    let l = loaded(&vars);
    assert_eq!(l.config.cluster.backend, Backend::Nats);
    assert_eq!(
        l.config.cluster.url.as_deref(),
        Some("nats://t0ken@nats-1:4222")
    );
    assert_eq!(unhonoured(&l), ["SOKETI_ADAPTER_NATS_SERVERS"]);
}
