//! What the app-store tests stand on: a real database ([`Database`], from the test kit) with
//! Soketi's table ([`schema`]), and a `resso` process reading it ([`Node`]).

#[allow(dead_code)] // the certificates of the `it` tests; some of them are not needed here
#[path = "../../it/tls/pki.rs"]
pub mod pki;
pub mod schema;
pub mod sio;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use resso_test_kit::Proc;
pub use resso_test_kit::{eventually, Api, Broker, Client, Database, Engine, Sink, TestApp};

/// The app kept in the database by most tests.
pub const DB_APP: TestApp = TestApp {
    id: "db-id",
    key: "db-key",
    secret: "db-secret",
};

/// The app of the config file, beside the database's.
pub const FILE_APP: TestApp = TestApp {
    id: "file-id",
    key: "file-key",
    secret: "file-secret",
};

/// One `resso` process with `[app_store]` on a database.
pub struct Node {
    pub addr: SocketAddr,
    log: PathBuf,
    proc: Proc,
}

impl Node {
    /// Starts `resso` on `db` with a TTL of `ttl_secs` and [`FILE_APP`] in its file.
    pub async fn start(db: &Database, ttl_secs: u64) -> Self {
        Self::started(db, ttl_secs, "", "node").await
    }

    /// [`Node::start`] with `extra` TOML appended (a `[cluster]`), logging under `name`.
    pub async fn started(db: &Database, ttl_secs: u64, extra: &str, name: &str) -> Self {
        Self::on_url(&db.url(), db.port, ttl_secs, extra, name).await
    }

    /// [`Node::started`] on the database at `url` (of the server on `port`).
    pub async fn on_url(url: &str, port: u16, ttl_secs: u64, extra: &str, name: &str) -> Self {
        let (log, mut proc) = Self::spawn(url, port, ttl_secs, extra, name);
        let addr = proc.printed_address().await;
        Self { addr, log, proc }
    }

    /// Starts `resso` on the database at `url`: its log and process.
    pub fn spawn(url: &str, port: u16, ttl_secs: u64, extra: &str, name: &str) -> (PathBuf, Proc) {
        let dir =
            std::env::temp_dir().join(format!("resso-store-{}-{port}-{name}", std::process::id(),));
        std::fs::create_dir_all(&dir).expect("create the node directory");
        let config = dir.join("resso.toml");
        let toml = format!(
            "[server]\nhost = \"127.0.0.1\"\nshutdown_timeout = 1\n\n[server.webhooks]\n\
             batch_window_ms = 0\ngrace_ms = 0\n\n[app_store]\nurl = \"{}\"\n\
             cache_ttl_secs = {ttl_secs}\nquery_timeout_ms = 500\n\
             settings_table = \"resso_app_settings\"\n\n[[apps]]\nid = \"{}\"\n\
             key = \"{}\"\nsecret = \"{}\"\n",
            url, FILE_APP.id, FILE_APP.key, FILE_APP.secret
        ) + extra;
        std::fs::write(&config, toml).expect("write the config");
        let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
        command.arg("--config").arg(&config).args(["--port", "0"]);
        command.env("RESSO_LOG", "info");
        for var in [
            "RESSO_CONFIG",
            "RESSO_HOST",
            "RESSO_PORT",
            "RESSO_APP_STORE_URL",
        ] {
            command.env_remove(var);
        }
        let log = dir.join("resso.log");
        let proc = Proc::spawn("resso", command, &log, true);
        (log, proc)
    }

    pub fn ws(&self, app: TestApp) -> String {
        format!("ws://{}/app/{}?protocol=7", self.addr, app.key)
    }

    pub fn api(&self, app: TestApp) -> Api {
        Api::new(&format!("http://{}", self.addr), app)
    }

    /// How often the log holds `text` so far.
    pub fn logged(&self, text: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches(text)
            .count()
    }

    /// How many lines of the log hold both `text` and `also` (a field's value) so far.
    pub fn logged_with(&self, text: &str, also: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains(text) && l.contains(also))
            .count()
    }

    /// The process's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.child.id()))
            .expect("read /proc status");
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS");
        line.split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("a number")
    }
}

/// A database of `engine` with Soketi's `apps` table.
pub async fn database(engine: Engine) -> Database {
    let db = Database::start(engine).await;
    schema::create(&db).await;
    db
}

/// The most any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(90);

/// Runs a test body, failing it if it takes longer than [`TEST_LIMIT`].
pub async fn run(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test finishes within its time limit");
}
