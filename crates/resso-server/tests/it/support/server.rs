//! [`TestServer`]: `resso_server::run` on `127.0.0.1:0` with its own shutdown token, and the apps the
//! tests configure it with (besides the kit's [`MAIN`]).

use std::net::SocketAddr;
use std::time::Duration;

use resso_server::config::{AppConfig, Config, ServerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Api, Client, TestApp, MAIN};

/// Client events off.
pub const QUIET: TestApp = TestApp {
    id: "quiet-id",
    key: "quiet-key",
    secret: "quiet-secret",
};
/// At most one connection.
pub const QUOTA: TestApp = TestApp {
    id: "quota-id",
    key: "quota-key",
    secret: "quota-secret",
};
/// Only browsers from `example.com`.
pub const ORIGIN: TestApp = TestApp {
    id: "origin-id",
    key: "origin-key",
    secret: "origin-secret",
};
/// Disabled.
pub const DISABLED: TestApp = TestApp {
    id: "disabled-id",
    key: "disabled-key",
    secret: "disabled-secret",
};

/// A configuration with every test app and the server defaults.
pub fn config() -> Config {
    let app = |t: TestApp| AppConfig::with_credentials(t.id, t.key, t.secret);
    let mut quiet = app(QUIET);
    quiet.client_events = false;
    let mut quota = app(QUOTA);
    quota.max_connections = Some(1);
    let mut origin = app(ORIGIN);
    origin.allowed_origins = vec!["example.com".into()];
    let mut disabled = app(DISABLED);
    disabled.enabled = false;
    Config {
        server: ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
        apps: vec![app(MAIN), quiet, quota, origin, disabled],
        ..Config::default()
    }
}

/// [`config`] with [`MAIN`]'s settings changed by `edit`.
pub fn config_with(edit: impl FnOnce(&mut AppConfig)) -> Config {
    let mut config = config();
    let main = config
        .apps
        .iter_mut()
        .find(|a| a.id == MAIN.id)
        .expect("MAIN is configured");
    edit(main);
    config
}

/// A running server; cancelled when dropped.
pub struct TestServer {
    addr: SocketAddr,
    token: CancellationToken,
    run: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Validates `config`, binds port 0 and spawns `resso_server::run`.
    pub async fn spawn(config: Config) -> Self {
        config.validate().expect("the test configuration is valid");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local address");
        let token = CancellationToken::new();
        let run = tokio::spawn(resso_server::run(listener, config, token.clone()));
        Self {
            addr,
            token,
            run: Some(run),
        }
    }

    /// `ws://127.0.0.1:{port}` with no path.
    pub fn ws_base(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// The URL pusher-js would open for `key`.
    pub fn ws_url(&self, key: &str) -> String {
        format!(
            "{}/app/{key}?protocol=7&client=js&version=8.4.0&flash=false",
            self.ws_base()
        )
    }

    /// `http://127.0.0.1:{port}`.
    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A connected client of [`MAIN`].
    pub async fn connect(&self) -> Client {
        self.client(MAIN).await
    }

    /// A connected client of `app`, signing subscriptions with its secret.
    pub async fn client(&self, app: TestApp) -> Client {
        Client::connect(&self.ws_url(app.key)).await.with_app(app)
    }

    /// The HTTP API of [`MAIN`].
    pub fn api(&self) -> Api {
        Api::new(&self.http_base(), MAIN)
    }

    /// The value of the series `name{labels}` on `GET /metrics` (labels in the order rendered).
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let page = reqwest::get(format!("{}/metrics", self.http_base()))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("a text page");
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let series = format!("resso_{name}{{{}}} ", labels.join(","));
        let line = page
            .lines()
            .find(|l| l.starts_with(&series))
            .unwrap_or_else(|| panic!("no {series} in\n{page}"));
        line[series.len()..].parse().expect("a number")
    }

    /// Cancels the server and waits for `run` to return `Ok`.
    pub async fn shutdown(mut self) {
        self.token.cancel();
        let run = self.run.take().expect("not shut down twice");
        tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("run returns within 5 s of shutdown")
            .expect("the run task does not panic")
            .expect("run returns Ok");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.token.cancel();
    }
}
