use std::collections::HashMap;

use super::*;
use crate::config::MapEnv;

fn no_env() -> MapEnv {
    MapEnv(HashMap::new())
}

/// What `laravel-echo-server init` writes (tab-indented, its default key order), answering: no dev
/// mode, port 6001, redis, http://localhost, http, a generated client, CORS for localhost:80.
const INIT: &str = "{
\t\"authHost\": \"http://localhost\",
\t\"authEndpoint\": \"/broadcasting/auth\",
\t\"clients\": [
\t\t{
\t\t\t\"appId\": \"3f2c9d0b1e7a6c55\",
\t\t\t\"key\": \"8c1e0f3d9b2a7e6f5d4c3b2a19081726\"
\t\t}
\t],
\t\"database\": \"redis\",
\t\"databaseConfig\": {
\t\t\"redis\": {},
\t\t\"sqlite\": {
\t\t\t\"databasePath\": \"/database/laravel-echo-server.sqlite\"
\t\t}
\t},
\t\"devMode\": false,
\t\"host\": null,
\t\"port\": \"6001\",
\t\"protocol\": \"http\",
\t\"socketio\": {},
\t\"secureOptions\": 67108864,
\t\"sslCertPath\": \"\",
\t\"sslKeyPath\": \"\",
\t\"sslCertChainPath\": \"\",
\t\"sslPassphrase\": \"\",
\t\"subscribers\": {
\t\t\"http\": true,
\t\t\"redis\": true
\t},
\t\"apiOriginAllow\": {
\t\t\"allowCors\": true,
\t\t\"allowOrigin\": \"http://localhost:80\",
\t\t\"allowMethods\": \"GET, POST\",
\t\t\"allowHeaders\": \"Origin, Content-Type, X-Auth-Token, X-Requested-With, Accept, Authorization, X-CSRF-TOKEN, X-Socket-Id\"
\t}
}";

#[test]
fn init_output_maps_without_warnings() {
    let echo = EchoServer::from_json(INIT, "t", &no_env()).unwrap();
    assert!(echo.warnings.is_empty(), "{:?}", echo.warnings);
    echo.config.validate().unwrap();
    let c = &echo.config;
    assert_eq!((c.server.host.as_str(), c.server.port), ("0.0.0.0", 6001));
    let app = &c.apps[0];
    assert_eq!((app.id.as_str(), app.key.as_str()), (ECHO_APP, ECHO_APP));
    assert_eq!(app.secret.len(), 32);
    let ingest = app.ingest.as_ref().unwrap();
    assert_eq!(
        (ingest.url.as_str(), ingest.prefix.as_str()),
        ("redis://127.0.0.1:6379/0", "")
    );
    let api = app.echo_api.as_ref().unwrap();
    assert!(api.events && api.authorises("3f2c9d0b1e7a6c55", "8c1e0f3d9b2a7e6f5d4c3b2a19081726"));
    let cors = api.cors.as_ref().unwrap();
    assert_eq!(
        (cors.allow_origin.as_str(), cors.allow_methods.as_str()),
        ("http://localhost:80", "GET, POST")
    );
    assert!(cors.allow_headers.ends_with("X-Socket-Id"));
    let want = SocketIoConfig {
        auth_host: Some("http://localhost".into()),
        ..SocketIoConfig::default()
    };
    assert_eq!(app.socketio.as_ref(), Some(&want));
    assert!(!echo.dev_mode);
}

#[test]
fn redis_socketio_and_auth_options_map() {
    let text = r#"{
        "authHost": ["http://a.test", "http://b.test"], "authEndpoint": "/auth",
        "host": "127.0.0.1", "port": 7001, "devMode": "true",
        "databaseConfig": {"redis": {"host": "redis.internal", "port": "6380", "password": "p@ss word",
            "db": 2, "keyPrefix": "laravel_database_", "tls": {}, "family": 4}},
        "socketio": {"pingInterval": 10000, "pingTimeout": "4000", "maxHttpBufferSize": 2048,
            "path": "/ws/socket.io", "transports": ["websocket"]},
        "subscribers": {"http": false},
        "headers": ["Authorization"]
    }"#;
    let echo = EchoServer::from_json(text, "t", &no_env()).unwrap();
    let app = &echo.config.apps[0];
    let ingest = app.ingest.as_ref().unwrap();
    assert_eq!(ingest.url, "rediss://:p%40ss%20word@redis.internal:6380/2");
    assert_eq!(ingest.prefix, "laravel_database_");
    assert!(!app.echo_api.as_ref().unwrap().events);
    assert_eq!(
        (echo.config.server.host.as_str(), echo.config.server.port),
        ("127.0.0.1", 7001)
    );
    assert!(echo.dev_mode);
    let s = app.socketio.as_ref().unwrap();
    assert_eq!(s.auth_host.as_deref(), Some("http://a.test"));
    assert_eq!(
        s.auth_hosts,
        ["http://b.test"],
        "the rest are chosen by Referer"
    );
    assert_eq!(
        (s.auth_endpoint.as_str(), s.path.as_str()),
        ("/auth", "/ws/socket.io")
    );
    let timings = (
        s.ping_interval,
        s.ping_timeout,
        s.max_payload,
        s.auth_timeout,
    );
    assert_eq!(timings, (10000, 4000, 2048, 5000));
    let warned = echo.warnings.join("\n");
    for name in [
        "databaseConfig.redis.family",
        "socketio.transports",
        "headers",
    ] {
        assert!(warned.contains(name), "{name} not in {warned}");
    }
    assert!(!warned.contains("authHost"), "{warned}");
    echo.config.validate().unwrap();
}

#[test]
fn env_overrides_as_its_readme_lists() {
    let env = MapEnv(HashMap::from([
        ("LARAVEL_ECHO_SERVER_PORT", "6002"),
        ("LARAVEL_ECHO_SERVER_HOST", "127.0.0.1"),
        ("LARAVEL_ECHO_SERVER_AUTH_HOST", "${APP_URL}"),
        ("APP_URL", "http://shop.test"),
        ("LARAVEL_ECHO_SERVER_DEBUG", "true"),
        ("LARAVEL_ECHO_SERVER_REDIS_HOST", "10.0.0.5"),
        ("LARAVEL_ECHO_SERVER_REDIS_PORT", "6390"),
        ("LARAVEL_ECHO_SERVER_REDIS_PASSWORD", "secret"),
    ]));
    let echo = EchoServer::from_json(INIT, "t", &env).unwrap();
    assert_eq!(
        (echo.config.server.host.as_str(), echo.config.server.port),
        ("127.0.0.1", 6002)
    );
    let sio = echo.config.apps[0].socketio.as_ref().unwrap();
    assert_eq!(sio.auth_host.as_deref(), Some("http://shop.test"));
    assert!(echo.dev_mode);
    let ingest = echo.config.apps[0].ingest.as_ref().unwrap();
    assert_eq!(ingest.url, "redis://:secret@10.0.0.5:6390/0");
    // The variables reach options absent from the file, too.
    let env = MapEnv(HashMap::from([("LARAVEL_ECHO_SERVER_REDIS_PORT", "7000")]));
    let echo = EchoServer::from_json("{}", "t", &env).unwrap();
    assert_eq!(
        echo.config.apps[0].ingest.as_ref().unwrap().url,
        "redis://127.0.0.1:7000/0"
    );
    let env = MapEnv(HashMap::from([("LARAVEL_ECHO_SERVER_PROTO", "https")]));
    let err = EchoServer::from_json(INIT, "t", &env)
        .unwrap_err()
        .to_string();
    assert!(err.contains("protocol") && err.contains("TLS"), "{err}");
}

#[test]
fn refusals_name_the_option() {
    let err = |text: &str| {
        EchoServer::from_json(text, "echo.json", &no_env())
            .unwrap_err()
            .to_string()
    };
    assert!(err(r#"{"protocol": "https", "sslCertPath": "/c.pem"}"#).contains("TLS proxy"));
    assert!(err(r#"{"protocol": "ftp"}"#).contains("protocol"));
    assert!(err(r#"{"port": "http"}"#).contains("port"));
    assert!(err(r#"{"port": 70000}"#).contains("port"));
    assert!(err(r#"{"databaseConfig": {"redis": {"port": true}}}"#)
        .contains("databaseConfig.redis.port"));
    assert!(err(r#"{"socketio": {"pingTimeout": -1}}"#).contains("socketio.pingTimeout"));
    assert!(err("[1]").contains("echo.json"));
    assert!(err("{").contains("echo.json"));
    let no_redis = EchoServer::from_json(
        r#"{"subscribers": {"redis": false}, "database": "sqlite", "sslKeyPath": "k"}"#,
        "t",
        &no_env(),
    )
    .unwrap();
    assert!(no_redis.config.apps[0].ingest.is_none());
    let warned = no_redis.warnings.join("\n");
    assert!(
        warned.contains("sqlite") && warned.contains("sslKeyPath"),
        "{warned}"
    );
}
