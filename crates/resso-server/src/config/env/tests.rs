use std::collections::HashMap;

use crate::config::{
    load, report, Backend, Config, ConfigError, Loaded, MapEnv, Origin, Sources, Warning,
};

fn env(vars: &[(&'static str, &'static str)]) -> MapEnv {
    MapEnv(HashMap::from_iter(vars.iter().copied()))
}

fn loaded(vars: &[(&'static str, &'static str)]) -> Loaded {
    load(&Sources::default(), &env(vars)).unwrap()
}

fn error(vars: &[(&'static str, &'static str)]) -> String {
    load(&Sources::default(), &env(vars))
        .unwrap_err()
        .to_string()
}

/// The names in the one "set but not honoured" warning.
fn unhonoured(l: &Loaded) -> Vec<String> {
    l.warnings
        .iter()
        .find_map(|w| match w {
            Warning::Unhonoured(vars) => Some(vars.iter().map(|v| v.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

mod soketi;

const SOKETI_APP: [(&str, &str); 3] = [
    ("SOKETI_DEFAULT_APP_ID", "app-1"),
    ("SOKETI_DEFAULT_APP_KEY", "soketi-key"),
    ("SOKETI_DEFAULT_APP_SECRET", "soketi-secret"),
];

const REVERB_APP: [(&str, &str); 3] = [
    ("REVERB_APP_ID", "123"),
    ("REVERB_APP_KEY", "laravel-key"),
    ("REVERB_APP_SECRET", "laravel-secret"),
];

#[test]
fn a_production_laravel_env_listens_on_the_server_address() {
    let mut vars = REVERB_APP.to_vec();
    vars.extend([
        ("REVERB_HOST", "ws.example.com"),
        ("REVERB_PORT", "443"),
        ("REVERB_SCHEME", "https"),
    ]);
    let l = loaded(&vars);
    let s = &l.config.server;
    assert_eq!((s.host.as_str(), s.port), ("0.0.0.0", 8080));
    assert_eq!(
        l.origins.of("server.port"),
        Origin::PlatformDefault("Reverb")
    );
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    vars.extend([
        ("REVERB_SERVER_HOST", "10.0.0.7"),
        ("REVERB_SERVER_PORT", "9000"),
    ]);
    let l = loaded(&vars);
    let s = &l.config.server;
    assert_eq!((s.host.as_str(), s.port), ("10.0.0.7", 9000));
    assert_eq!(
        l.origins.of("server.port"),
        Origin::env("REVERB_SERVER_PORT")
    );
    assert_eq!(
        l.origins.of("apps[0].secret"),
        Origin::env("REVERB_APP_SECRET")
    );
}

#[test]
fn reverb_app_options_and_scaling() {
    let mut vars = REVERB_APP.to_vec();
    vars.extend([
        ("REVERB_APP_ACTIVITY_TIMEOUT", "30"),
        ("REVERB_APP_MAX_MESSAGE_SIZE", "10000"),
        ("REVERB_APP_MAX_CONNECTIONS", "500"),
        ("REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM", "none"),
        ("REVERB_APP_PING_INTERVAL", "60"),
        ("REVERB_SERVER_PATH", "/ws"),
        ("REVERB_SCALING_ENABLED", "true"),
        ("REVERB_SCALING_CHANNEL", "shop"),
        ("REDIS_HOST", "redis.internal"),
        ("REDIS_PASSWORD", "null"),
        ("REDIS_DB", "2"),
        ("REVERB_PULSE_INGEST_INTERVAL", "15"),
    ]);
    let l = loaded(&vars);
    let (s, app) = (&l.config.server, &l.config.apps[0]);
    assert_eq!((s.activity_timeout, s.max_message_bytes), (30, 10_000));
    assert_eq!((app.max_connections, app.client_events), (Some(500), false));
    let c = &l.config.cluster;
    assert_eq!(c.backend, Backend::Redis);
    assert_eq!(c.url.as_deref(), Some("redis://redis.internal:6379/2"));
    assert_eq!(c.prefix, "shop#");
    assert_eq!(
        unhonoured(&l),
        [
            "REVERB_APP_PING_INTERVAL",
            "REVERB_PULSE_INGEST_INTERVAL",
            "REVERB_SERVER_PATH"
        ]
    );
    let tls = loaded(&[
        REVERB_APP[0],
        REVERB_APP[1],
        REVERB_APP[2],
        ("REVERB_SCALING_ENABLED", "(true)"),
        ("REDIS_URL", "tls://user:pw@cache:6380"),
    ]);
    assert_eq!(
        tls.config.cluster.url.as_deref(),
        Some("rediss://user:pw@cache:6380")
    );
}

#[test]
fn bad_values_name_the_variable() {
    assert!(error(&[("REVERB_APP_ID", "1")]).contains("REVERB_APP_ID/REVERB_APP_KEY"));
    assert!(error(&[("REVERB_SERVER_PORT", "http")]).contains("REVERB_SERVER_PORT"));
    assert!(error(&[("SOKETI_PORT", "x"), ("SOKETI_HOST", "127.0.0.1")]).contains("SOKETI_PORT"));
    let e = error(&[("SOKETI_DEFAULT_APP_KEY", "k")]);
    assert!(e.contains("SOKETI_DEFAULT_APP_ID/"), "{e}");
    let e = error(&[("SOKETI_ADAPTER_DRIVER", "kafka"), ("SOKETI_HOST", "::1")]);
    assert!(e.contains("SOKETI_ADAPTER_DRIVER"), "{e}");
    let e = error(&[("REVERB_SCALING_ENABLED", "maybe"), ("RESSO_HOST", "::1")]);
    assert!(e.contains("REVERB_SCALING_ENABLED"), "{e}");
}

#[test]
fn precedence_resso_then_reverb_then_soketi_then_file() {
    let mut vars = REVERB_APP.to_vec();
    vars.extend(SOKETI_APP);
    vars.extend([
        ("SOKETI_HOST", "10.0.0.1"),
        ("REVERB_SERVER_HOST", "10.0.0.2"),
    ]);
    let l = loaded(&vars);
    assert_eq!(l.config.server.host, "10.0.0.2");
    assert_eq!(l.config.apps.len(), 2);
    assert!(l
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::Conflict { field, .. }
        if field == "server.host")));
    assert!(l
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::Conflict { field, .. }
        if field == "server.port")));
    vars.push(("RESSO_HOST", "10.0.0.3"));
    assert_eq!(loaded(&vars).config.server.host, "10.0.0.3");
    vars.push(("SOKETI_DEFAULT_APP_ID", "123"));
    let l = loaded(&vars); // the later SOKETI_DEFAULT_APP_ID wins in the map
    assert_eq!(l.config.apps.len(), 1);
    assert_eq!(l.config.apps[0].key, "laravel-key");
    assert_eq!(l.origins.of("apps[0].enabled"), Origin::Default);
    assert!(l
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::Conflict { field, .. }
        if field == "apps[0].id")));

    let path = std::env::temp_dir().join(format!("resso-env-test-{}.toml", std::process::id()));
    std::fs::write(&path, "[server]\nhost = '127.0.0.5'\n").unwrap();
    let file = Sources {
        config: Some(path.display().to_string()),
        ..Sources::default()
    };
    let l = load(&file, &env(&REVERB_APP)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let s = &l.config.server;
    assert_eq!((s.host.as_str(), s.port), ("127.0.0.5", 8080));
    assert_eq!(l.origins.of("server.host"), Origin::File);
    let mut c = Config::from_toml("[server]\nport = 9001\n", "t").unwrap();
    c.apply_env(&env(&REVERB_APP)).unwrap();
    assert_eq!((c.server.host.as_str(), c.server.port), ("0.0.0.0", 9001));
}

#[test]
fn no_app_runs_the_development_app_on_loopback_only() {
    let l = loaded(&[]);
    assert_eq!(l.development_app().map(|a| a.key.as_str()), Some("app-key"));
    assert!(matches!(l.warnings[..], [Warning::DevelopmentApp { .. }]));
    let e = error(&[("SOKETI_DEBUG", "true")]);
    assert!(e.contains("0.0.0.0") && e.contains("[[apps]]"), "{e}");
    assert!(e.contains("SOKETI_DEFAULT_APP_ID"), "{e}");
    let flags = Sources {
        host: Some("0.0.0.0".into()),
        ..Sources::default()
    };
    let e = load(&flags, &env(&[])).unwrap_err();
    assert!(matches!(e, ConfigError::NoApp { .. }), "{e}");
    assert!(loaded(&[("RESSO_HOST", "::1")]).development_app().is_some());
}

#[test]
fn socketio_auth_host_for_the_only_app() {
    let mut vars = REVERB_APP.to_vec();
    vars.push(("RESSO_SOCKETIO_AUTH_HOST", "https://shop.test"));
    let l = loaded(&vars);
    let sio = l.config.apps[0].socketio.as_ref().unwrap();
    assert_eq!(
        (sio.auth_host.as_deref(), sio.path.as_str()),
        (Some("https://shop.test"), "/socket.io")
    );
    vars.extend(SOKETI_APP);
    assert!(error(&vars).contains("RESSO_SOCKETIO_AUTH_HOST"));
    let bad = [("RESSO_SOCKETIO_AUTH_HOST", "shop.test")];
    assert!(error(&bad).contains("socketio.auth_host"));
}

/// Loads `toml` as the `--config` file, with no environment.
fn from_file(toml: &str) -> Loaded {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "resso-sio-{}-{}.toml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, toml).unwrap();
    let file = Sources {
        config: Some(path.display().to_string()),
        ..Sources::default()
    };
    let l = load(&file, &env(&[]));
    std::fs::remove_file(&path).unwrap();
    l.unwrap()
}

#[test]
fn the_only_app_serves_socketio_unless_it_opts_out() {
    let one = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n";
    let l = from_file(one);
    assert_eq!(
        l.config.apps[0].socketio.as_ref().unwrap().path,
        "/socket.io"
    );
    assert_eq!(l.origins.of("apps[0].socketio.path"), Origin::Default);
    let l = from_file(&format!("{one}[apps.socketio]\nenabled = false\n"));
    assert!(l.config.apps[0].socketio.is_none());
    let two = format!("{one}[[apps]]\nid='2'\nkey='k2'\nsecret='s'\n");
    let l = from_file(&two);
    assert!(l.config.apps.iter().all(|a| a.socketio.is_none()));
    assert!(loaded(&REVERB_APP).config.apps[0].socketio.is_some());
}

#[test]
fn unknown_keys_of_a_laravel_env_are_named_once() {
    let mut vars = REVERB_APP.to_vec();
    vars.extend([
        ("REVERB_APP_RATE_LIMITING_ENABLED", "true"),
        ("PUSHER_APP_KEY", "other-key"),
        ("VITE_REVERB_HOST", "ws.example.com"),
    ]);
    let l = loaded(&vars);
    assert_eq!(
        unhonoured(&l),
        ["PUSHER_APP_KEY", "REVERB_APP_RATE_LIMITING_ENABLED"]
    );
    let text = l.warnings[0].to_string();
    assert!(
        text.starts_with("set but not honoured: PUSHER_APP_KEY ("),
        "{text}"
    );
}

#[test]
fn check_output_masks_secrets_and_names_origins() {
    let mut vars = REVERB_APP.to_vec();
    vars.extend([
        ("REVERB_SERVER_PORT", "9000"),
        ("REVERB_APP_PING_INTERVAL", "60"),
    ]);
    let text = report::render(&loaded(&vars));
    assert!(
        text.contains("port = 9000  # env REVERB_SERVER_PORT"),
        "{text}"
    );
    assert!(
        text.contains("host = \"0.0.0.0\"  # Reverb's default"),
        "{text}"
    );
    assert!(
        text.contains("secret = \"lara…\"  # env REVERB_APP_SECRET"),
        "{text}"
    );
    assert!(text.contains("pong_timeout = 30  # default"), "{text}");
    assert!(!text.contains("laravel-secret"), "{text}");
    assert!(
        text.contains("# warning: set but not honoured: REVERB_APP_PING_INTERVAL"),
        "{text}"
    );
}

#[test]
fn tls_from_the_environment() {
    let l = loaded(&[
        ("RESSO_TLS_CERT", "chain.pem"),
        ("RESSO_TLS_KEY", "key.pem"),
        ("RESSO_TLS_PLAIN_PORT", "8081"),
    ]);
    let tls = l.config.server.tls.as_ref().expect("TLS set");
    assert_eq!(
        (tls.cert.as_str(), tls.key.as_str(), tls.plain_port),
        ("chain.pem", "key.pem", Some(8081))
    );
    assert_eq!(l.origins.of("server.tls.key"), Origin::env("RESSO_TLS_KEY"));
    // Ressò's pair wins over Soketi's.
    let l = loaded(&[
        ("SOKETI_SSL_CERT", "soketi.pem"),
        ("SOKETI_SSL_KEY", "soketi.key"),
        ("SOKETI_HOST", "127.0.0.1"),
        ("RESSO_TLS_CERT", "resso.pem"),
        ("RESSO_TLS_KEY", "resso.key"),
    ]);
    assert_eq!(l.config.server.tls.unwrap().cert, "resso.pem");
    let err = error(&[("SOKETI_SSL_CERT", "cert.pem")]);
    assert!(err.contains("SOKETI_SSL_KEY"), "{err}");
    let err = error(&[("RESSO_TLS_PLAIN_PORT", "80")]);
    assert!(err.contains("RESSO_TLS_PLAIN_PORT"), "{err}");
}

/// The annotated example at the repository root loads as it is, and with its commented-out
/// settings turned on.
#[test]
fn the_example_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../resso.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let l = from_file(&text);
    assert_eq!(l.config.apps[0].id, "my-app-id");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    // Every commented `# key = value` line (not prose) uncommented; the TLS block stays commented
    // (its files do not exist here).
    let mut in_tls = false;
    let on: String = text
        .lines()
        .map(|line| {
            in_tls = line.starts_with("# [server.tls]") || (in_tls && !line.is_empty());
            match line.strip_prefix("# ") {
                Some(rest) if !in_tls && (rest.contains(" = ") || rest.starts_with('[')) => rest,
                _ => line,
            }
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let l = from_file(&on);
    let app = &l.config.apps[0];
    assert!(app.ingest.is_some() && app.echo_api.is_some() && !app.webhooks.is_empty());
    assert_eq!(l.config.metrics.port, Some(9601));
}

#[test]
fn the_console_and_debug_from_the_environment_and_flags() {
    let l = loaded(&[]);
    assert_eq!(l.config.console.credentials(), None, "off by default");
    assert!(!l.config.server.debug);
    let l = loaded(&[
        ("RESSO_CONSOLE_USER", "ops"),
        ("RESSO_CONSOLE_PASSWORD", "pw"),
    ]);
    assert_eq!(l.config.console.credentials(), Some(("ops", "pw")));
    assert_eq!(
        l.origins.of("console.password"),
        Origin::env("RESSO_CONSOLE_PASSWORD")
    );
    let err = error(&[("RESSO_CONSOLE_USER", "ops")]);
    assert!(err.contains("console.password"), "{err}");
    let flags = Sources {
        debug: true,
        ..Sources::default()
    };
    let l = load(&flags, &env(&[])).unwrap();
    assert!(l.config.server.debug && l.verbose);
}
