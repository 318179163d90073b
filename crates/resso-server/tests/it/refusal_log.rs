//! What an operator sees at the default log level when clients are refused: one warning per
//! reason with the app — a bad subscription signature, a bad API signature, an unknown key — from
//! the real binary's log.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::support::{Client, Proc};

/// The kit client signs as MAIN (`app-id` / `app-key` / `app-secret`).
const CONFIG: &str = "[[apps]]\nid = \"app-id\"\nkey = \"app-key\"\nsecret = \"app-secret\"\n";

/// The real binary on a free port with its log (stderr) going to `log`.
async fn start(dir: &std::path::Path, extra: &[&str]) -> (Proc, SocketAddr) {
    let config = dir.join("resso.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
    command.args(["--config", config.to_str().unwrap(), "--port", "0"]);
    command.args(extra);
    command.env_remove("RESSO_LOG").env("NO_COLOR", "1");
    let mut proc = Proc::spawn("resso", command, &dir.join("resso.log"), true);
    let addr = proc.printed_address().await;
    (proc, addr)
}

/// Waits until the log holds every one of `lines`.
async fn log_shows(log: &std::path::Path, lines: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if lines.iter().all(|l| text.contains(l)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "missing {lines:?} in the log:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn refusals_are_logged_with_their_reason_and_app() {
    let dir = std::env::temp_dir().join(format!("resso-refusals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (proc, addr) = start(&dir, &[]).await;
    let mut client = Client::connect(&format!("ws://{addr}/app/app-key?protocol=7")).await;
    client
        .send_subscribe("private-orders", Some("app-key:not-a-signature"), None)
        .await;
    client.expect_subscription_error("private-orders").await;
    let api = reqwest::Client::new();
    let url = format!("http://{addr}/apps/app-id/events?auth_key=app-key&auth_timestamp=1&auth_version=1.0&auth_signature=bad");
    let answer = api
        .post(url)
        .json(&json!({"name": "e", "channel": "c", "data": "{}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let mut unknown = Client::open(&format!("ws://{addr}/app/no-such-key?protocol=7")).await;
    unknown.expect_refusal(4001).await;
    let log = log_shows(
        &dir.join("resso.log"),
        &[
            "subscription refused: bad signature",
            "HTTP API call refused: bad signature",
            "connection refused: unknown app key",
        ],
    )
    .await;
    assert!(log.contains("WARN"), "at the default level: {log}");
    assert!(
        log.contains("app=\"app-id\"") || log.contains("app=app-id"),
        "{log}"
    );
    drop(proc);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    let dir = std::env::temp_dir().join(format!("resso-json-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (proc, addr) = start(&dir, &["--log-format", "json"]).await;
    let mut unknown = Client::open(&format!("ws://{addr}/app/no-such-key?protocol=7")).await;
    unknown.expect_refusal(4001).await;
    let log = log_shows(&dir.join("resso.log"), &["unknown app key"]).await;
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let refusal = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("unknown app key")
        })
        .expect("the refusal as a JSON line");
    assert_eq!(refusal["level"], "WARN");
    assert_eq!(refusal["fields"]["app"], "no-such-key");
    drop(proc);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--debug`: every connection, subscription and refusal with its reason, API call and published
/// event, at the default level — from the same tap as the debug console.
#[tokio::test]
async fn debug_logs_refusals_with_their_reason_and_every_step() {
    let dir = std::env::temp_dir().join(format!("resso-debug-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (proc, addr) = start(&dir, &["--debug"]).await;
    let mut client = Client::connect(&format!("ws://{addr}/app/app-key?protocol=7")).await;
    client
        .send_subscribe("private-orders", Some("app-key:not-a-signature"), None)
        .await;
    client.expect_subscription_error("private-orders").await;
    client.send_subscribe("news", Some(""), None).await;
    client
        .expect_event("pusher_internal:subscription_succeeded")
        .await;
    let api = reqwest::Client::new();
    let bad = format!("http://{addr}/apps/app-id/events?auth_key=app-key&auth_timestamp=1&auth_version=1.0&auth_signature=bad");
    let body = json!({"name": "e", "channel": "c", "data": "{}"});
    assert_eq!(
        api.post(bad).json(&body).send().await.unwrap().status(),
        401
    );
    let signed = crate::support::Api::new(&format!("http://{addr}"), crate::support::MAIN);
    signed.publish("news", "price-changed", r#"{"p":1}"#).await;
    drop(client);
    let log = log_shows(
        &dir.join("resso.log"),
        &[
            "connection opened socket=",
            "subscription refused socket=",
            "channel=private-orders: The connection is unauthorized",
            "subscribed socket=",
            "channel=news",
            "refused: HTTP API call refused: bad signature",
            "API call POST /apps/app-id/events -> 401",
            "API event channel=news event=price-changed delivered=1",
            "API call POST /apps/app-id/events -> 200",
            "connection closed socket=",
        ],
    )
    .await;
    assert!(log.contains("resso::debug"), "{log}");
    let closed = log
        .lines()
        .find(|l| l.contains("connection closed"))
        .unwrap();
    assert!(closed.contains("via=pusher code="), "{closed}");
    drop(proc);
    let _ = std::fs::remove_dir_all(&dir);
}
